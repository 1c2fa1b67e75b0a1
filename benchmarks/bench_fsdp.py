"""FSDP2 through regwire against hand-written FSDP2, 2 processes (gloo on the CPU, nccl on CUDA).

* Step time: ``FullyShardedModel.train_step`` with an ``OptimWrapper`` (what the loops call)
  against a loop written by hand over ``fully_shard`` (forward, backward, step, zero_grad),
  the same model, data and optimizer; median of the timed steps, the slower rank's.
* Memory per rank: the bytes each rank holds of parameters, gradients and Adam state
  (counted from the local shards) against one process holding them all.
* Sharded save: regwire's (temporary directory, the run's state file, rename, pointer)
  against a bare ``dcp.save``; median of 5.

Run: ``python benchmarks/bench_fsdp.py`` (starts its own 2 processes).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.multiprocessing as mp
from torch import nn
from torch.distributed.checkpoint.state_dict import get_state_dict
from torch.distributed.fsdp import fully_shard
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner import BaseModel, FullyShardedModel, OptimWrapper
from runner.engine._sharded import ShardedSaver

WIDTH, DEPTH, BATCH, WARMUP, STEPS, SAVES = 512, 8, 32, 5, 30, 5


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(WIDTH, WIDTH)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(x))


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(Block() for _ in range(DEPTH)))
        self.head = nn.Linear(WIDTH, 1)

    def forward(self, x: Any, y: Any = None, mode: str = "tensor") -> Any:
        out = self.head(self.blocks(x)).squeeze(-1)
        return {"loss": F.mse_loss(out, y)} if mode == "loss" else out


def _local_bytes(model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    def size(tensor: torch.Tensor) -> int:
        local = tensor.to_local() if hasattr(tensor, "to_local") else tensor
        return int(local.numel() * local.element_size())

    total = sum(size(p) + (size(p.grad) if p.grad is not None else 0) for p in model.parameters())
    for state in optimizer.state.values():
        total += sum(size(v) for v in state.values() if isinstance(v, torch.Tensor) and v.dim())
    return total


def _timed(step: Any, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    for _ in range(WARMUP):
        step(batch)
    times = []
    for _ in range(STEPS):
        dist.barrier()
        start = time.perf_counter()
        step(batch)
        times.append(time.perf_counter() - start)
    median = torch.tensor([statistics.median(times)])
    dist.all_reduce(median, op=dist.ReduceOp.MAX)
    return float(median.item())


def _ours(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[float, int, Any, Any]:
    torch.manual_seed(0)
    model = FullyShardedModel(Net(), shard_modules=["Block"])
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    seconds = _timed(lambda data: model.train_step(data, wrapper), batch)
    model(*batch, mode="loss")["loss"].backward()  # gradients held, as within a step
    return seconds, _local_bytes(model, wrapper.optimizer), model.module, wrapper.optimizer


def _by_hand(batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    torch.manual_seed(0)
    model = Net()
    for block in model.blocks:
        fully_shard(block)
    fully_shard(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(data: tuple[torch.Tensor, torch.Tensor]) -> None:
        model(*data, mode="loss")["loss"].backward()
        optimizer.step()
        optimizer.zero_grad()

    return _timed(step, batch)


def _save_times(module: nn.Module, optimizer: torch.optim.Optimizer, where: Path) -> list[float]:
    """Median save times (regwire's, bare ``dcp.save``): one of each first, untimed, then
    alternating which goes first, so neither gains from the other's warm caches."""
    saver = ShardedSaver()
    group = dist.new_group(backend="gloo")

    def ours(index: int) -> float:
        dist.barrier()
        start = time.perf_counter()
        saver.save(module, optimizer, {"meta": {}}, where / f"ours_{index}", overwrite=False)
        dist.barrier()
        return time.perf_counter() - start

    def bare(index: int) -> float:
        dist.barrier()
        start = time.perf_counter()
        model_state, optim_state = get_state_dict(module, optimizer)
        dcp.save(
            {"model": model_state, "optim": optim_state},
            checkpoint_id=where / f"bare_{index}",
            process_group=group,
        )
        dist.barrier()
        return time.perf_counter() - start

    ours(-1), bare(-1)  # warm-up
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    for index in range(SAVES):
        order = (
            (("ours", ours), ("bare", bare)) if index % 2 == 0 else (("bare", bare), ("ours", ours))
        )
        for name, save in order:
            times[name].append(save(index))
    return [statistics.median(times["ours"]), statistics.median(times["bare"])]


def work(rank: int, where: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{where}/store", rank=rank, world_size=2)
    generator = torch.Generator().manual_seed(rank)
    batch = (
        torch.randn(BATCH, WIDTH, generator=generator),
        torch.randn(BATCH, generator=generator),
    )
    hand = _by_hand(batch)
    ours, held, module, optimizer = _ours(batch)
    hand_again = _by_hand(batch)  # both orders: the machine warms up
    saves = _save_times(module, optimizer, Path(where))
    if rank == 0:
        single = Net()
        adam = torch.optim.Adam(single.parameters(), lr=1e-3)
        single(*batch, mode="loss")["loss"].backward()
        adam.step()
        whole = _local_bytes(single, adam)
        by_hand = min(hand, hand_again)
        print("| measurement | value | ratio |\n|---|---|---|")
        print(f"| step, hand-written `fully_shard` loop | {by_hand * 1e3:.2f} ms | 1.00× |")
        print(
            f"| step, `FullyShardedModel.train_step` | {ours * 1e3:.2f} ms | {ours / by_hand:.2f}× |"
        )
        print(f"| held by one process (params+grads+Adam) | {whole / 2**20:.1f} MiB | 1.00× |")
        print(f"| held by each of 2 ranks | {held / 2**20:.1f} MiB | {held / whole:.2f}× |")
        print(f"| sharded save, bare `dcp.save` | {saves[1] * 1e3:.1f} ms | 1.00× |")
        print(f"| sharded save, regwire | {saves[0] * 1e3:.1f} ms | {saves[0] / saves[1]:.2f}× |")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"| peak resident memory of rank 0 (the interpreter and torch included) | {peak:.0f} MiB | — |"
        )
    dist.barrier()
    dist.destroy_process_group()
    os._exit(0)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    scratch = tempfile.mkdtemp()
    try:
        mp.spawn(work, args=(scratch,), nprocs=2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
