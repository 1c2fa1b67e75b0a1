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
