"""Checkpoint benchmark: what the checksum costs, saving and loading a 10M-parameter model.

Each system writes the same checkpoint (a 10M-parameter MLP's ``state_dict`` and its Adam
state, 120 MB) to the same local disk:

* ``torch.save`` to the file, then ``fsync`` (the floor: the data on disk, nothing more);
* regwire's ``save_checkpoint``: a unique temporary file, ``torch.save``, the SHA-256 of the
  bytes (computed on a second thread while the first flushes them to disk), the 48-byte
  trailer, ``fsync``, rename, ``fsync`` of the directory;
* the same with the hash computed after the fsync instead of beside it (the simple way);
* mmengine's ``save_checkpoint`` (``torch.save`` to the file, no fsync), when installed.

Then loading: ``torch.load(weights_only=True)`` against regwire's ``load_checkpoint`` (checksum
verified, then the same ``torch.load``). Medians of interleaved runs.
Run: ``.venv-bench/bin/python benchmarks/bench_checkpoint.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import row

from runner import load_checkpoint, save_checkpoint

RUNS = 7
HAVE_MMENGINE = importlib.util.find_spec("mmengine") is not None


def checkpoint() -> dict[str, Any]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1000, 5000), nn.ReLU(), nn.Linear(5000, 1000))
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(8, 1000)).sum().backward()
    optimizer.step()  # Adam's two moments: the optimizer state is twice the weights
    params = sum(p.numel() for p in model.parameters())
    assert 9_900_000 < params < 10_100_000, params
    return {
        "meta": {"epoch": 1},
        "state_dict": model.state_dict(),
        "optimizer": optimizer.state_dict(),
    }


def plain_save(data: dict[str, Any], path: Path) -> None:
    with path.open("wb") as file:
        torch.save(data, file)
        file.flush()
        os.fsync(file.fileno())


def hash_after_save(data: dict[str, Any], path: Path) -> None:
    with path.open("wb") as file:
        torch.save(data, file)
        file.flush()
        os.fsync(file.fileno())
        with path.open("rb") as source:
            digest = hashlib.file_digest(source, "sha256").digest()
        file.write(b"\n#regwire-sha256" + digest)
        file.flush()
        os.fsync(file.fileno())


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    data = checkpoint()
    directory = Path(tempfile.mkdtemp(prefix="bench_checkpoint_", dir=Path.cwd()))
    systems: dict[str, Callable[[], Any]] = {
        "torch.save + fsync": lambda: plain_save(data, directory / "plain.pth"),
        "regwire save_checkpoint (checksum beside the fsync)": lambda: save_checkpoint(
            data, directory / "regwire.pth"
        ),
        "checksum after the fsync (not used)": lambda: hash_after_save(data, directory / "h.pth"),
    }
    if HAVE_MMENGINE:
        from mmengine.runner.checkpoint import save_checkpoint as mm_save

        systems["mmengine save_checkpoint (no fsync)"] = lambda: mm_save(
            data, str(directory / "mm.pth")
        )
    loads: dict[str, Callable[[], Any]] = {
        "torch.load(weights_only=True)": lambda: torch.load(
            directory / "plain.pth", weights_only=True
        ),
        "regwire load_checkpoint (verified)": lambda: load_checkpoint(directory / "regwire.pth"),
    }
    times: dict[str, list[float]] = {name: [] for name in [*systems, *loads]}
    for _ in range(RUNS + 1):  # the first round warms up
        for name, system in [*systems.items(), *loads.items()]:
            times[name].append(timed(system))
    size = (directory / "regwire.pth").stat().st_size / 1e6
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
    medians = {name: statistics.median(values[1:]) * 1e3 for name, values in times.items()}
    print(f"10M-parameter MLP + Adam state ({size:.0f} MB), median of {RUNS} runs\n")
    print("| measurement | median | ratio |")
    print("|---|---|---|")
    base = medians["torch.save + fsync"]
    for name in systems:
        print(row(name, medians[name], "ms", base))
    base = medians["torch.load(weights_only=True)"]
    for name in loads:
        print(row(name, medians[name], "ms", base))


if __name__ == "__main__":
    main()
