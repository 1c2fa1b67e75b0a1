"""Small timing helpers shared by the benchmark scripts (medians of repeated runs)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from typing import Any


def per_call_us(func: Callable[[], Any], *, repeat: int = 7, min_time: float = 0.2) -> float:
    """Median time of one call of ``func`` in microseconds."""
    timer = timeit.Timer(func)
    number = 1
    while timer.timeit(number) < min_time / repeat:
        number *= 2
    return statistics.median(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def import_ms(statement: str, *, runs: int = 15, python: str = sys.executable) -> float:
    """Median wall time of ``statement`` in a fresh interpreter, in milliseconds."""
    code = (
        "import time; t = time.perf_counter(); "
        f"{statement}; print((time.perf_counter() - t) * 1000)"
    )
    samples = [
        float(
            subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(samples)


def row(name: str, value: float, unit: str, baseline: float | None = None) -> str:
    """One markdown table row; the ratio is ``value / baseline``."""
    ratio = f"{value / baseline:.2f}×" if baseline else "—"
    return f"| {name} | {value:,.2f} {unit} | {ratio} |"
