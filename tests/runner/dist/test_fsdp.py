"""FSDP2 and sharded checkpoints in real processes (gloo on the CPU).

One driver script runs every stage once for the module (starting processes costs seconds):

* 2 ranks, ``model_wrapper_cfg: FullyShardedModel``: an uninterrupted run; a run stopped
  mid-epoch after 3 steps (a sharded checkpoint, saved synchronously); that run resumed on 2
  ranks with asynchronous saves.
* 1 rank (FSDP2 over a process group of one, a global batch as large): resumed from the
  2-rank checkpoint, stopped after 6 steps; then 2 ranks resumed from that: 2 -> 1 -> 2.
* 1 process, no process group, no wrapper: the reference run with the same global batch and
  seed; a resume from the 2-rank sharded checkpoint; ``regwire convert-checkpoint`` to one
  file and back, and a resume from the consolidated file.

A second script kills one rank (SIGKILL) while a sharded checkpoint is being written, then
resumes in one process.
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
import torch
import torch.distributed as dist

ROOT = Path(__file__).parents[3]

PARTS = textwrap.dedent(
    """
    import json, os
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn import functional as F
    from torch.utils.data import Dataset
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
    from runner import DATASETS, HOOKS, MODELS, BaseModel, Hook, Runner

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(16, 16)

        def forward(self, x):
            return torch.tanh(self.linear(x))

    @MODELS.register_module()
    class ShardNet(BaseModel):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(Block(), Block())
            self.head = nn.Linear(16, 1)

        def forward(self, inputs, targets=None, mode="tensor"):
            out = self.head(self.blocks(inputs)).squeeze(-1)
            if mode == "loss":
                return {"loss": F.mse_loss(out, targets)}
            return out

    @DATASETS.register_module()
    class Points(Dataset):
        inputs = torch.randn(32, 16, generator=torch.Generator().manual_seed(1))
        targets = inputs.sum(1).sin()

        def __len__(self):
            return 32

        def __getitem__(self, index):
            return {"inputs": self.inputs[index], "targets": self.targets[index]}

    @HOOKS.register_module()
    class StopAt(Hook):
        priority = "LOWEST"  # after the CheckpointHook of the same iteration

        def __init__(self, at):
            self.at = at

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter + 1 == self.at:
                runner.train_loop.stop_training = True

    @HOOKS.register_module()
    class Report(Hook):
        priority = "LOWEST"

        def __init__(self, out):
            self.out, self.start = out, None

        def before_train(self, runner):
            self.start = runner.iter  # where this run started: 0, or where it resumed

        def after_train(self, runner):
            module = getattr(runner.model, "module", runner.model)
            full = get_model_state_dict(module, options=StateDictOptions(full_state_dict=True))
            local = lambda t: t.to_local() if hasattr(t, "to_local") else t
            params = sum(local(p).numel() for p in module.parameters())
            wrappers = getattr(runner.optim_wrapper, "optim_wrappers", {"": runner.optim_wrapper})
            state = [s for w in wrappers.values() for s in w.optimizer.state.values()]
            moments = sum(local(s["exp_avg"]).numel() for s in state)
            report = {
                "weights": {k: v.flatten().tolist() for k, v in full.items()},
                "params": params, "moments": moments, "iter": runner.iter, "start": self.start,
                "wrapper": type(runner.model).__name__,
            }
            with open(f"{self.out}.{runner.rank}.json", "w") as file:
                json.dump(report, file)

    def config(work, out, *, world, batch, stop=None, resume=None, async_save=False):
        hooks = [{"type": "Report", "out": out}]
        if stop is not None:
            hooks.append({"type": "StopAt", "at": stop})
        cfg = {
            "model": {"type": "ShardNet"},
            "work_dir": str(work),
            "train_dataloader": {
                "dataset": {"type": "Points"}, "batch_size": batch,
                "sampler": {"type": "DefaultSampler", "shuffle": True, "seed": 0},
            },
            "train_cfg": {"by_epoch": True, "max_epochs": 2},
            "optim_wrapper": {"optimizer": {"type": "Adam", "lr": 0.01}},
            "randomness": {"seed": 0},
            "default_hooks": {
                "logger": None,
                "checkpoint": {"type": "CheckpointHook", "interval": 3, "by_epoch": False,
                               "async_save": async_save},
            },
            "custom_hooks": hooks,
            "launcher": "pytorch" if world else "none",
        }
        if world:
            cfg["model_wrapper_cfg"] = {"type": "FullyShardedModel", "shard_modules": ["Block"]}
        if resume is not None:
            cfg["resume"] = True
            cfg["load_from"] = None if resume is True else str(resume)
        return cfg

    def train(*args, **kwargs):
        Runner.from_cfg(config(*args, **kwargs)).train()
    """
)

DRIVER = textwrap.dedent(
    """
    import os, sys
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from parts import train

    def two(rank, out):
        dist.init_process_group("gloo", init_method=f"file://{out}/store2a", rank=rank,
                                world_size=2)
        train(f"{out}/full", f"{out}/fsdp", world=2, batch=4)
        train(f"{out}/stopped", f"{out}/stopped", world=2, batch=4, stop=3)
        train(f"{out}/stopped", f"{out}/resumed", world=2, batch=4, resume=True,
              async_save=True)
        dist.barrier()
        dist.destroy_process_group()
        os._exit(0)  # see test_distributed.py: torch's teardown may abort after the work

    def one(rank, out):
        dist.init_process_group("gloo", init_method=f"file://{out}/store1", rank=0,
                                world_size=1)
        train(f"{out}/one", f"{out}/one", world=1, batch=8, stop=6,
              resume=f"{out}/stopped/iter_3.pth")
        dist.destroy_process_group()
        os._exit(0)

    def back(rank, out):
        dist.init_process_group("gloo", init_method=f"file://{out}/store2b", rank=rank,
                                world_size=2)
        train(f"{out}/back", f"{out}/back", world=2, batch=4, resume=f"{out}/one/iter_6.pth")
        dist.barrier()
        dist.destroy_process_group()
        os._exit(0)

    if __name__ == "__main__":
        out = sys.argv[1]
        mp.spawn(two, args=(out,), nprocs=2)
        mp.spawn(one, args=(out,), nprocs=1)
        mp.spawn(back, args=(out,), nprocs=2)
        from runner.app.cli import main
        train(f"{out}/plain", f"{out}/plain", world=0, batch=8)
        train(f"{out}/fromdcp", f"{out}/fromdcp", world=0, batch=8,
              resume=f"{out}/stopped/iter_3.pth")
        assert main(["convert-checkpoint", f"{out}/stopped/iter_3.pth", f"{out}/c.pth"]) == 0
        assert main(["convert-checkpoint", f"{out}/c.pth", f"{out}/again.dcp"]) == 0
        assert main(["convert-checkpoint", f"{out}/again.dcp", f"{out}/c2.pth"]) == 0
        train(f"{out}/fromfile", f"{out}/fromfile", world=0, batch=8, resume=f"{out}/c.pth")
    """
)


def _run(script: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (out / "parts.py").write_text(PARTS)
    (out / "script.py").write_text(script)
    env = {**os.environ, "PYTHONPATH": f"{out}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(out / "script.py"), str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    out = tmp_path_factory.mktemp("fsdp")
    result = _run(DRIVER, out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def _report(out: Path, name: str, rank: int = 0) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((out / f"{name}.{rank}.json").read_text())
    return loaded


def _assert_close(got: dict[str, Any], want: dict[str, Any], exact: bool = False) -> None:
    assert got["weights"].keys() == want["weights"].keys()
    for key, values in want["weights"].items():
        if exact:
            assert got["weights"][key] == values, key
        else:
            assert got["weights"][key] == pytest.approx(values, rel=1e-4, abs=1e-5), key


def test_fsdp_ends_with_the_weights_of_one_process_with_the_same_global_batch(runs: Path) -> None:
    fsdp, plain = _report(runs, "fsdp"), _report(runs, "plain")
    assert fsdp["wrapper"] == "FullyShardedModel"
    assert plain["wrapper"] == "ShardNet"
    assert fsdp["iter"] == plain["iter"] == 8
    _assert_close(fsdp, plain)
    assert _report(runs, "fsdp", 1)["weights"] == fsdp["weights"]


def test_each_rank_holds_half_of_the_parameters_and_optimizer_state(runs: Path) -> None:
    total = _report(runs, "plain")["params"]
    assert _report(runs, "plain")["moments"] == total
    for rank in range(2):
        report = _report(runs, "fsdp", rank)
        assert report["params"] == pytest.approx(total / 2, rel=0.1)
        assert report["moments"] == pytest.approx(total / 2, rel=0.1)


def test_a_sharded_checkpoint_is_a_directory_that_last_checkpoint_names(runs: Path) -> None:
    stopped = runs / "stopped"
    assert _report(runs, "stopped")["iter"] == 3
    assert (stopped / "iter_3.pth" / ".metadata").is_file()
    assert sorted(p.name for p in (stopped / "iter_3.pth").glob("*.distcp")) == [
        "__0_0.distcp",
        "__1_0.distcp",
    ]
    assert (stopped / "last_checkpoint").read_text() == "iter_8.pth"  # after the resumed run
    assert not list(stopped.glob(".*regwire-tmp"))


def test_resumed_on_2_ranks_with_async_saves_ends_as_the_uninterrupted_run(runs: Path) -> None:
    resumed = _report(runs, "resumed")
    assert (resumed["start"], resumed["iter"]) == (3, 8)
    _assert_close(resumed, _report(runs, "fsdp"), exact=True)
    assert (runs / "stopped" / "iter_6.pth" / ".metadata").is_file()  # written asynchronously


def test_2_to_1_to_2_ranks_ends_as_the_uninterrupted_run(runs: Path) -> None:
    one = _report(runs, "one")
    assert (one["start"], one["iter"]) == (3, 6)
    assert (runs / "one" / "iter_6.pth" / "__0_0.distcp").is_file()
    back = _report(runs, "back")
    assert (back["start"], back["iter"]) == (6, 8)
    _assert_close(back, _report(runs, "fsdp"))


def test_one_process_without_a_process_group_resumes_a_sharded_checkpoint(runs: Path) -> None:
    resumed = _report(runs, "fromdcp")
    assert (resumed["wrapper"], resumed["start"]) == ("ShardNet", 3)
    _assert_close(resumed, _report(runs, "fsdp"))


def test_the_consolidated_file_round_trips_and_resumes(runs: Path) -> None:
    first = torch.load(runs / "c.pth", weights_only=True)
    again = torch.load(runs / "c2.pth", weights_only=True)
    assert sorted(first["state_dict"]) == sorted(again["state_dict"])
    for key, value in first["state_dict"].items():
        assert torch.equal(value, again["state_dict"][key]), key
    assert first["optimizer"]["param_groups"] == again["optimizer"]["param_groups"]
    for index, state in first["optimizer"]["state"].items():
        assert torch.equal(state["exp_avg"], again["optimizer"]["state"][index]["exp_avg"])
    assert first["meta"]["iter"] == 3
    assert first["meta"]["world_size"] == 2
    resumed = _report(runs, "fromfile")
    assert resumed["start"] == 3
    _assert_close(resumed, _report(runs, "fsdp"))


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    import torch.distributed as dist
    from torch.distributed.checkpoint import FileSystemWriter
    from parts import train

    out, rank = sys.argv[1], int(sys.argv[2])
    if rank == 1:  # dies in its second save, after writing its shards, before DCP finishes
        original, saves = FileSystemWriter.write_data, []

        def write_data(self, plan, planner):
            future = original(self, plan, planner)
            saves.append(1)
            if len(saves) == 2:
                future.wait()
                os.kill(os.getpid(), signal.SIGKILL)
            return future

        FileSystemWriter.write_data = write_data
    dist.init_process_group("gloo", init_method=f"file://{out}/store", rank=rank, world_size=2)
    train(f"{out}/work", f"{out}/killed", world=2, batch=4)
    """
)

RESUME = textwrap.dedent(
    """
    import sys
    from parts import train

    out = sys.argv[1]
    train(f"{out}/work", f"{out}/resumed", world=0, batch=8, resume=True)
    train(f"{out}/plain", f"{out}/plain", world=0, batch=8)
    """
)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_a_rank_killed_during_a_sharded_save_leaves_the_previous_checkpoint(
    tmp_path: Path,
) -> None:
    (tmp_path / "parts.py").write_text(PARTS)
    (tmp_path / "killed.py").write_text(KILLED)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    ranks = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "killed.py"), str(tmp_path), str(rank)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for rank in range(2)
    ]
    try:
        assert ranks[1].wait(timeout=120) == -9
    finally:
        for process in ranks:
            if process.poll() is None:
                process.kill()  # rank 0 waits in DCP's collective for the dead rank
            process.wait()
            assert process.stderr is not None
            process.stderr.close()
    work = tmp_path / "work"
    assert (work / "last_checkpoint").read_text() == "iter_3.pth"
    assert (work / "iter_3.pth" / ".metadata").is_file()
    assert not (work / "iter_6.pth").exists()
    assert len(list(work.glob(".iter_6.pth.*.regwire-tmp"))) == 1  # the killed save's

    result = _run(RESUME, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not list(work.glob(".*regwire-tmp"))  # removed when the resumed run started
    resumed = _report(tmp_path, "resumed")
    assert (resumed["start"], resumed["iter"]) == (3, 8)
    _assert_close(resumed, _report(tmp_path, "plain"))
