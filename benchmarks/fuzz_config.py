"""Fuzz the config loader with many hostile inputs; count what escapes.

Feeds YAML files, JSON files, ``--cfg-options`` lists and ``merge_from_dict`` options (the
strategies of ``tests/container/config/fuzz_inputs.py``, with alias bombs up to 9**9) to
``Config.fromfile`` and the dumpers. An *escape* is anything but success or a ``ConfigError``,
or an input that runs past its time budget. Prints the inputs tried, the escapes (each kind
once, with an example), how the inputs ended, and the time taken::

    python benchmarks/fuzz_config.py --examples 20000        # split over the four kinds
    python benchmarks/fuzz_config.py --examples 2000 --kind yaml --seed 1

Exits 1 if anything escaped.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from container import ConfigError
from container.config import Config
from tests.container.config import fuzz_inputs

KINDS = ("yaml", "json", "overrides", "merge")


def outcome(folder: Path, kind: str, value: Any, budget: float) -> str:
    """Run one input; return ``ok``, ``ConfigError: <gist>`` or ``ESCAPE <what>``."""
    target = (folder / "target.yaml").read_bytes()
    name, data, options = {
        "yaml": ("c.yaml", value, None),
        "json": ("c.json", value, None),
        "overrides": ("c.yaml", target, value),
        "merge": ("c.yaml", target, value),
    }[kind]
    escaped = fuzz_inputs.escape(folder, name, data, options, budget=budget)
    if escaped is not None:
        return f"ESCAPE {escaped}"
    try:  # escape() said it ends well; say how, for the summary
        Config.fromfile(folder / name, cfg_options=options)
    except ConfigError as exc:
        return "ConfigError: " + _gist(exc.template)
    return "ok"


def _gist(message: str) -> str:
    """The kind of a message: its words, without the values in it."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\d[\d,]*", "_", message)
    return " ".join(text.split()[:7])


def run(kind: str, examples: int, folder: Path, budget: float, chosen_seed: int) -> list[str]:
    """Run ``examples`` inputs of ``kind``; return the outcome of each."""
    strategy: st.SearchStrategy[Any] = {
        "yaml": fuzz_inputs.yaml_inputs(largest_bomb=9**9),
        "json": fuzz_inputs.json_inputs(),
        "overrides": fuzz_inputs.override_inputs(),
        "merge": fuzz_inputs.merge_inputs(),
    }[kind]
    outcomes: list[str] = []

    @seed(chosen_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(value=strategy)
    def trial(value: Any) -> None:
        outcomes.append(outcome(folder, kind, value, budget))

    trial()
    return outcomes


def report(results: dict[str, list[str]], seconds: float, printer: Callable[[str], None]) -> int:
    """Print the summary; return the number of escapes."""
    total = sum(len(found) for found in results.values())
    escapes = [line for found in results.values() for line in found if line.startswith("ESCAPE")]
    printer(f"inputs tried: {total:,} ({', '.join(f'{k} {len(v):,}' for k, v in results.items())})")
    printer(
        f"escapes (anything but success or ConfigError, or over the time budget): {len(escapes)}"
    )
    for line, count in collections.Counter(escapes).most_common():
        printer(f"  {count:6,}  {line}")
    printer(f"time: {seconds:.1f} s ({seconds / max(total, 1) * 1000:.2f} ms per input)")
    printer("how the inputs ended (most common):")
    ends = collections.Counter(line for found in results.values() for line in found)
    for line, count in ends.most_common(25):
        printer(f"  {count:6,}  {line}")
    return len(escapes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=20_000, help="inputs in all (default 20,000)"
    )
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds an input may take")
    args = parser.parse_args(argv)
    kinds = KINDS if args.kind == "all" else (args.kind,)
    share = {"yaml": 0.4, "json": 0.2, "overrides": 0.25, "merge": 0.15}
    results: dict[str, list[str]] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as temp, fuzz_inputs.environment():
        folder = fuzz_inputs.make_folder(Path(temp))
        for kind in kinds:
            count = args.examples if len(kinds) == 1 else round(args.examples * share[kind])
            results[kind] = run(kind, count, folder, args.budget, args.seed)
    return 1 if report(results, time.perf_counter() - start, print) else 0


if __name__ == "__main__":
    sys.exit(main())
