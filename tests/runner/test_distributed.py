"""Samplers and metrics in two real processes (torch.distributed with gloo on the CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch.distributed as dist

ROOT = Path(__file__).parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp

    def work(rank: int, world: int, init: str, out: str) -> None:
        dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
        from runner import Accuracy, DefaultSampler
        torch.manual_seed(rank)  # different global RNGs: the unseeded sampler must agree
        unseeded = DefaultSampler(range(7))
        sampler = DefaultSampler(range(7), seed=3)
        mine = list(sampler)
        metric = Accuracy()
        labels = torch.tensor(mine)
        # sample i is predicted right when i is even
        scores = torch.nn.functional.one_hot(torch.where(labels % 2 == 0, labels, 0), 7).float()
        metric.process(None, {"pred_score": scores, "gt_label": labels})
        result = metric.evaluate(size=7)
        with open(f"{out}/{rank}.json", "w") as file:
            json.dump({"indices": mine, "seed": unseeded.seed, "len": len(sampler),
                       "metrics": result}, file)
        dist.destroy_process_group()

    if __name__ == "__main__":
        out = sys.argv[1]
        mp.spawn(work, args=(2, f"file://{out}/store", out), nprocs=2)
    """
)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_two_processes_share_the_epoch_and_gather_metrics(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, str(script), str(tmp_path)], check=True, env=env, timeout=120, cwd=ROOT
    )
    results = [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in range(2)]
    first, second = (r["indices"] for r in results)
    assert (len(first), len(second)) == (4, 4)
    assert [r["len"] for r in results] == [4, 4]
    assert sorted(set(first) | set(second)) == list(range(7))
    assert results[0]["seed"] == results[1]["seed"]  # rank 0's random seed is broadcast
    # 7 samples, 4 of them even (0, 2, 4, 6), the padded 8th sample is cut
    expected = {"accuracy/top1": pytest.approx(100 * 4 / 7)}
    assert [r["metrics"] for r in results] == [expected, expected]


DDP_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from torch import nn

    from runner import BaseModel, DistributedModel, OptimWrapper

    class Line(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, x, y=None, mode="tensor"):
            out = self.linear(x).squeeze(1)
            if mode == "loss":
                return {"loss": ((out - y) ** 2).mean()}
            return out

    def batch(rank: int):
        x = torch.arange(4.0).reshape(2, 2) + 10 * rank
        return x, torch.tensor([1.0, -1.0]) * (rank + 1)

    def work(rank: int, world: int, init: str, out: str) -> None:
        dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
        torch.manual_seed(0)
        model = DistributedModel(Line())
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
        model.train_step(batch(rank), wrapper)
        weights = [p.detach().flatten().tolist() for p in model.module.parameters()]
        with open(f"{out}/ddp{rank}.json", "w") as file:
            json.dump(weights, file)
        dist.destroy_process_group()

    if __name__ == "__main__":
        out = sys.argv[1]
        mp.spawn(work, args=(2, f"file://{out}/store", out), nprocs=2)
        # the same step by hand: the gradient averaged over both batches
        torch.manual_seed(0)
        line = Line()
        losses = [line(*batch(rank), mode="loss")["loss"] for rank in range(2)]
        (sum(losses) / 2).backward()
        with torch.no_grad():
            expected = [(p - 0.01 * p.grad).flatten().tolist() for p in line.parameters()]
        with open(f"{out}/expected.json", "w") as file:
            json.dump(expected, file)
    """
)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_distributed_model_averages_gradients(tmp_path: Path) -> None:
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, str(script), str(tmp_path)], check=True, env=env, timeout=120, cwd=ROOT
    )
    expected = json.loads((tmp_path / "expected.json").read_text())
    for rank in range(2):
        weights = json.loads((tmp_path / f"ddp{rank}.json").read_text())
        for got, want in zip(weights, expected, strict=True):
            assert got == pytest.approx(want, rel=1e-5)
