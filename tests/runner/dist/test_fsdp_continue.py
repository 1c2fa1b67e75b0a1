"""FSDP2 runs continued from what other runs wrote, and several optimizers (gloo on the CPU).

* A one-process run stopped after 3 steps writes one file (full tensors, as DDP writes); two
  ranks under FSDP2 resume from it: the weights end as the uninterrupted one-process run's.
* An ``OptimWrapperDict`` (``MultiOptimWrapperConstructor``, one Adam per submodule) under
  FSDP2: its sharded checkpoint holds each optimizer's state by name, and a run resumed from
  it ends as the uninterrupted run, bit for bit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch.distributed as dist
import torch.distributed.checkpoint as dcp

from .test_fsdp import PARTS, ROOT, _assert_close, _report

MORE = textwrap.dedent(
    """
    from parts import *
    from parts import config

    @MODELS.register_module()
    class TwoOptimNet(ShardNet):
        def train_step(self, data, optim_wrapper):
            loss = self(**data, mode="loss")["loss"]
            loss.backward()
            for name, wrapper in optim_wrapper.items():
                wrapper.step()
                wrapper.zero_grad()
            return {"loss": loss.detach()}

    def two_optims(*args, **kwargs):
        cfg = config(*args, **kwargs)
        cfg["model"] = {"type": "TwoOptimNet"}
        adam = {"optimizer": {"type": "Adam", "lr": 0.01}}
        cfg["optim_wrapper"] = {"constructor": "MultiOptimWrapperConstructor",
                                "blocks": adam, "head": adam}
        return cfg

    from runner import METRICS, BaseMetric

    @METRICS.register_module(force=True)
    class Seen(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.append(1)

        def compute_metrics(self, results):
            return {"seen": float(len(results))}

    def with_best(*args, **kwargs):
        cfg = config(*args, **kwargs)
        cfg["val_dataloader"] = {**cfg["train_dataloader"],
                                 "sampler": {"type": "DefaultSampler", "shuffle": False}}
        cfg["val_cfg"] = {}
        cfg["val_evaluator"] = {"type": "Seen"}
        cfg["train_cfg"] = {**cfg["train_cfg"], "val_interval": 1}
        cfg["default_hooks"]["checkpoint"].update(save_best="seen", rule="greater")
        return cfg

    def run(cfg):
        Runner.from_cfg(cfg).train()
    """
)

DRIVER = textwrap.dedent(
    """
    import os, sys
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from more import config, run, two_optims, with_best

    def two(rank, out):
        dist.init_process_group("gloo", init_method=f"file://{out}/store", rank=rank,
                                world_size=2)
        run(config(f"{out}/fromfile", f"{out}/fromfile", world=2, batch=4,
                   resume=f"{out}/single/iter_3.pth"))
        run(two_optims(f"{out}/multi", f"{out}/multi_full", world=2, batch=4))
        run(two_optims(f"{out}/mstop", f"{out}/mstop", world=2, batch=4, stop=3))
        run(two_optims(f"{out}/mstop", f"{out}/mresumed", world=2, batch=4, resume=True))
        run(with_best(f"{out}/best", f"{out}/best", world=2, batch=4))  # every rank saves it
        dist.barrier()
        dist.destroy_process_group()
        os._exit(0)  # see test_distributed.py: torch's teardown may abort after the work

    if __name__ == "__main__":
        out = sys.argv[1]
        run(config(f"{out}/single", f"{out}/single", world=0, batch=8, stop=3))
        run(config(f"{out}/plain", f"{out}/plain", world=0, batch=8))
        mp.spawn(two, args=(out,), nprocs=2)
    """
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    out = tmp_path_factory.mktemp("continue")
    (out / "parts.py").write_text(PARTS)
    (out / "more.py").write_text(MORE)
    (out / "script.py").write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": f"{out}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(out / "script.py"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_fsdp_resumes_a_one_file_checkpoint_and_ends_as_the_uninterrupted_run(runs: Path) -> None:
    assert (runs / "single" / "iter_3.pth").is_file()  # one file: what DDP writes too
    for rank in range(2):
        resumed = _report(runs, "fromfile", rank)
        assert (resumed["wrapper"], resumed["start"], resumed["iter"]) == (
            "FullyShardedModel",
            3,
            8,
        )
        _assert_close(resumed, _report(runs, "plain"))


def test_each_optimizer_of_a_dict_is_saved_by_name_and_resumed(runs: Path) -> None:
    stored = dcp.FileSystemReader(runs / "mstop" / "iter_3.pth").read_metadata()
    keys: Any = stored.state_dict_metadata
    for name in ("blocks", "head"):
        assert any(key.startswith(f"optim.{name}.state.") for key in keys), name
    full, resumed = _report(runs, "multi_full"), _report(runs, "mresumed")
    assert (resumed["start"], resumed["iter"]) == (3, 8)
    _assert_close(resumed, full, exact=True)


def test_a_best_checkpoint_of_a_sharded_model_is_saved_by_every_rank(runs: Path) -> None:
    """Rank 0 alone would enter DCP's collective save and wait forever (the run above would
    time out)."""
    best = sorted(path.name for path in (runs / "best").glob("best_seen_*"))
    assert len(best) == 1
    assert (runs / "best" / best[0] / ".metadata").is_file()  # a sharded directory
