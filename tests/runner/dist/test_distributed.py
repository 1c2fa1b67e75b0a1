"""Samplers, metrics and DistributedModel in two real processes (gloo on the CPU).

One script runs both processes once for the module (spawning costs seconds); each test reads
what the processes wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch.distributed as dist

ROOT = Path(__file__).parents[3]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from torch import nn

    from runner import Accuracy, BaseModel, DefaultSampler, DistributedModel, OptimWrapper

    class Line(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, x, y=None, mode="tensor"):
            out = self.linear(x).squeeze(1)
            if mode == "loss":
                return {"loss": ((out - y) ** 2).mean()}
            return out

    def batch(rank):
        x = torch.arange(4.0).reshape(2, 2) + 10 * rank
        return x, torch.tensor([1.0, -1.0]) * (rank + 1)

    def sampler_and_metric(rank):
        torch.manual_seed(rank)  # different global RNGs: the unseeded sampler must agree
        unseeded = DefaultSampler(range(7))
        sampler = DefaultSampler(range(7), seed=3)
        mine = list(sampler)
        metric = Accuracy()
        labels = torch.tensor(mine)
        # sample i is predicted right when i is even
        scores = torch.nn.functional.one_hot(torch.where(labels % 2 == 0, labels, 0), 7).float()
        metric.process(None, {"pred_score": scores, "gt_label": labels})
        return {"indices": mine, "seed": unseeded.seed, "len": len(sampler),
                "metrics": metric.evaluate(size=7)}

    def ddp_step(rank):
        torch.manual_seed(0)
        model = DistributedModel(Line())
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
        model.train_step(batch(rank), wrapper)
        weights = [p.detach().flatten().tolist() for p in model.module.parameters()]
        del model, wrapper  # DDP's reducer goes before the process group
        return weights

    class Marked(Line):
        # a model's own train_step is kept under DDP when it takes the caller
        def train_step(self, data, optim_wrapper, *, caller=None):
            logged = super().train_step(data, optim_wrapper, caller=caller)
            return {**logged, "marked": torch.tensor(1.0)}

    def ddp_own_step(rank):
        torch.manual_seed(0)
        model = DistributedModel(Marked())
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
        logged = model.train_step(batch(rank), wrapper)
        weights = [p.detach().flatten().tolist() for p in model.module.parameters()]
        del model, wrapper
        return {"weights": weights, "logged": sorted(logged)}

    def work(rank, world, init, out):
        dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
        result = {
            **sampler_and_metric(rank), "weights": ddp_step(rank), "own": ddp_own_step(rank)
        }
        with open(f"{out}/{rank}.json", "w") as file:
            json.dump(result, file)
        dist.barrier()
        dist.destroy_process_group()
        # Everything is written. Leave without the interpreter's teardown: torch 2.13 spawned
        # workers sometimes abort there ("terminate called without an active exception",
        # ~2% of runs), after the work is done, which would fail the run for nothing.
        os._exit(0)

    if __name__ == "__main__":
        out = sys.argv[1]
        mp.spawn(work, args=(2, f"file://{out}/store", out), nprocs=2)
        # the DDP step by hand: the gradient averaged over both processes' batches
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


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    out = tmp_path_factory.mktemp("dist")
    script = out / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(script), str(out)], check=True, env=env, timeout=120)
    ranks = [json.loads((out / f"{rank}.json").read_text()) for rank in range(2)]
    return [*ranks, {"weights": json.loads((out / "expected.json").read_text())}]


def test_ranks_share_one_seeded_epoch(results: list[dict[str, Any]]) -> None:
    first, second = results[0]["indices"], results[1]["indices"]
    assert (len(first), len(second)) == (4, 4)
    assert [r["len"] for r in results[:2]] == [4, 4]
    assert sorted(set(first) | set(second)) == list(range(7))
    assert results[0]["seed"] == results[1]["seed"]  # rank 0's random seed is broadcast


def test_metrics_gather_all_ranks_and_cut_the_padding(results: list[dict[str, Any]]) -> None:
    # 7 samples, 4 of them even (0, 2, 4, 6); the padded 8th sample is cut
    expected = {"accuracy/top1": pytest.approx(100 * 4 / 7)}
    assert [r["metrics"] for r in results[:2]] == [expected, expected]


def test_distributed_model_averages_gradients(results: list[dict[str, Any]]) -> None:
    expected = results[2]["weights"]
    for rank in range(2):
        for got, want in zip(results[rank]["weights"], expected, strict=True):
            assert got == pytest.approx(want, rel=1e-5)


def test_a_models_own_train_step_runs_under_ddp_and_still_averages(
    results: list[dict[str, Any]],
) -> None:
    expected = results[2]["weights"]
    for rank in range(2):
        own = results[rank]["own"]
        assert own["logged"] == ["loss", "marked"]
        for got, want in zip(own["weights"], expected, strict=True):
            assert got == pytest.approx(want, rel=1e-5)
