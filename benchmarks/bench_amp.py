"""Mixed precision: a training step through ``AmpOptimWrapper`` against the same step written
by hand with ``torch.autocast`` (and, on CUDA, ``torch.amp.GradScaler``), on the same model.

Each step is ``with optim_context(model): loss = ...`` then ``update_params(loss)`` for
regwire, and ``with torch.autocast(...): loss = ...``, ``backward``, ``step``, ``zero_grad``
(with the scaler's ``scale``/``step``/``update`` for float16) by hand. The two run in
alternating rounds of ``STEPS`` steps on two copies of one model, on one CPU thread; the figure
is the median time per step over the rounds. Two models: an MLP whose step takes milliseconds (what a real step
costs), and a tiny one, where the step is mostly the wrappers' own Python.

Run: ``.venv/bin/python benchmarks/bench_amp.py`` (bfloat16 on the CPU; float16 too where CUDA
is available).
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner import AmpOptimWrapper

STEPS, ROUNDS = 20, 15


def mlp(width: int) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width), nn.Linear(width, 10)
    )


def regwire_step(
    model: nn.Module, wrapper: AmpOptimWrapper, x: torch.Tensor, y: torch.Tensor
) -> Callable[[], None]:
    def step() -> None:
        with wrapper.optim_context(model):
            loss = nn.functional.cross_entropy(model(x), y)
        wrapper.update_params(loss)

    return step


def hand_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    device: str,
    dtype: torch.dtype,
    scaler: torch.amp.GradScaler | None,
) -> Callable[[], None]:
    def step() -> None:
        with torch.autocast(device, dtype=dtype):
            loss = nn.functional.cross_entropy(model(x), y)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        optimizer.zero_grad()

    return step


def per_step_ms(steps: dict[str, Callable[[], None]], device: str) -> dict[str, float]:
    """Median milliseconds per step of each, over alternating rounds."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for step in steps.values():  # warm up (allocator, autocast caches)
        for _ in range(3):
            step()
    for _ in range(ROUNDS):
        for name, step in steps.items():
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(STEPS):
                step()
            if device == "cuda":
                torch.cuda.synchronize()
            times[name].append((time.perf_counter() - start) / STEPS * 1e3)
    return {name: statistics.median(values) for name, values in times.items()}


def compare(width: int, batch: int, device: str, dtype: torch.dtype) -> tuple[float, float]:
    base = mlp(width).to(device)
    ours, theirs = base, copy.deepcopy(base)
    x = torch.randn(batch, width, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    wrapper = AmpOptimWrapper(
        torch.optim.AdamW(ours.parameters(), lr=1e-4), dtype=str(dtype).removeprefix("torch.")
    )
    optimizer = torch.optim.AdamW(theirs.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler("cuda") if dtype is torch.float16 else None
    found = per_step_ms(
        {
            "regwire": regwire_step(ours, wrapper, x, y),
            "hand": hand_step(theirs, optimizer, x, y, device, dtype, scaler),
        },
        device,
    )
    return found["regwire"], found["hand"]


def main() -> None:
    # one thread: on a shared machine, intra-op threads fight other jobs and the variance
    # swamps a 5% difference (the two steps run the same kernels either way)
    torch.set_num_threads(1)
    cases = [("cpu", torch.bfloat16, 256, 32), ("cpu", torch.bfloat16, 16, 8)]
    if torch.cuda.is_available():
        cases += [("cuda", torch.float16, 1024, 256), ("cuda", torch.float16, 16, 8)]
        cases += [("cuda", torch.bfloat16, 1024, 256)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| device, dtype | model (width, batch) | AmpOptimWrapper | by hand | ratio |")
    print("|---|---|---|---|---|")
    for device, dtype, width, batch in cases:
        ours, hand = compare(width, batch, device, dtype)
        name = str(dtype).removeprefix("torch.")
        print(
            f"| {device}, {name} | MLP {width}, batch {batch} | {ours:.3f} ms | {hand:.3f} ms "
            f"| {ours / hand:.3f}x |"
        )


if __name__ == "__main__":
    main()
