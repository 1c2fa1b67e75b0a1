"""Logging cost per iteration: no logger, LoggerHook at interval 1 and 50 (console, log file and
``vis_data/scalars.json``), the progress bar; flat from iteration 1,000 to 100,000.

A Runner trains a model whose ``train_step`` returns a fixed loss tensor (no maths), over a
dataloader of 100,000 ``None`` batches, with ``IterTimerHook``; what differs between the
variants is the hook under test. The time per iteration is measured over iterations 1,000-2,000,
10,000-11,000 and 99,000-100,000 of the same run (the console goes to /dev/null). Then the same
windows for MMEngine's ``MessageHub`` fed once per iteration, as its ``RuntimeInfoHook`` does,
and read as its ``LogProcessor`` does (window 10): its history keeps every value.

Run in the benchmark environment: ``.venv-bench/bin/python benchmarks/bench_logging.py``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import runner as rw

TOTAL = 100_000
WINDOWS = ((1_000, 2_000), (10_000, 11_000), (99_000, 100_000))


class Still(nn.Module):
    """A model whose step costs nearly nothing: what is measured is the hooks."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.loss = torch.tensor(0.5)

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        return {"loss": self.loss}


class Clock(rw.Hook):
    """Notes the time at the windows' bounds."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.marks: dict[int, float] = {}
        self.bounds = {bound for window in WINDOWS for bound in window}

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if runner.iter + 1 in self.bounds:
            self.marks[runner.iter + 1] = time.perf_counter()


def run(extra: list[Any]) -> list[float]:
    """µs per iteration in each window."""
    model = Still()
    clock = Clock()
    with tempfile.TemporaryDirectory() as work, open(os.devnull, "w") as sink:
        runner = rw.Runner(
            model,
            work_dir=work,
            train_dataloader=[None] * TOTAL,
            train_loop=rw.EpochBasedTrainLoop(max_epochs=1),
            optim_wrapper=rw.OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
            hooks=[rw.IterTimerHook(), *extra, clock],
        )
        with contextlib.redirect_stdout(sink):
            runner.train()
    return [(clock.marks[b] - clock.marks[a]) / (b - a) * 1e6 for a, b in WINDOWS]


def mmengine_hub() -> tuple[list[float], int] | None:
    """MMEngine's MessageHub fed and read once per iteration: µs per iteration, history size."""
    try:
        from mmengine.logging import MessageHub
    except ImportError:
        return None
    hub = MessageHub.get_instance("bench_logging")
    loss = torch.tensor(0.5)
    marks: dict[int, float] = {}
    bounds = {bound for window in WINDOWS for bound in window}
    for i in range(1, TOTAL + 1):
        hub.update_scalar("train/loss", loss)
        hub.update_scalar("train/time", 0.001)
        hub.get_scalar("train/loss").mean(10)
        if i in bounds:
            marks[i] = time.perf_counter()
    size = len(hub.get_scalar("train/loss").data[0])
    return [(marks[b] - marks[a]) / (b - a) * 1e6 for a, b in WINDOWS], size


def main() -> None:
    variants = {
        "no logger (IterTimerHook only)": [],
        "LoggerHook interval 50": [rw.LoggerHook(interval=50)],
        "LoggerHook interval 1": [rw.LoggerHook(interval=1)],
        "ProgressBarHook (bar forced on)": [rw.ProgressBarHook(enabled=True)],
    }
    print("| per iteration | iter 1k-2k | iter 10k-11k | iter 99k-100k |")
    print("|---|---|---|---|")
    base = None
    for name, hooks in variants.items():
        times = run(hooks)
        base = base or times
        cells = " | ".join(f"{t:.1f} µs (+{t - b:.1f})" for t, b in zip(times, base, strict=True))
        print(f"| regwire: {name} | {cells} |")
    found = mmengine_hub()
    if found is not None:
        times, size = found
        print(
            "| mmengine MessageHub, fed and read each iteration | "
            + " | ".join(f"{t:.1f} µs" for t in times)
            + " |"
        )
        print(
            f"\nmmengine's history of train/loss after {TOTAL:,} iterations: {size:,} values; "
            f"regwire's: {rw.MessageHub().window} at most"
        )


if __name__ == "__main__":
    main()
