"""``launcher: pytorch``: two processes started by torchrun train one DDP model (gloo, CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch.distributed as dist

from container import ConfigError
from runner.dist import init_dist

ROOT = Path(__file__).parents[3]

HOOK = textwrap.dedent(
    """
    import json, os
    import torch.distributed as dist
    from runner import HOOKS, Hook

    @HOOKS.register_module()
    class DumpWeights(Hook):
        def __init__(self, out):
            self.out = out

        def after_train(self, runner):
            model = getattr(runner.model, "module", runner.model)
            weights = [p.detach().flatten().tolist() for p in model.parameters()]
            path = os.path.join(self.out, f"rank{dist.get_rank()}.json")
            with open(path, "w") as file:
                json.dump({"weights": weights, "wrapper": type(runner.model).__name__}, file)
    """
)


def test_unknown_launcher() -> None:
    with pytest.raises(ConfigError, match=r"'launcher' must be one of none, pytorch, got 'slurm'"):
        init_dist("slurm")
    assert init_dist("none") is False


def test_pytorch_launcher_needs_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(ConfigError, match=r"needs torchrun's environment"):
        init_dist("pytorch")


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_torchrun_trains_one_model_on_two_processes(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    (tmp_path / "dumpweights.py").write_text(HOOK)
    work = tmp_path / "work"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "-m", "runner", "train", "examples/digits/cnn.yaml", "--launcher", "pytorch",
        "--cfg-options", "train_cfg.max_epochs=1", f"work_dir={work}",
        "custom_imports.imports=[examples.digits.components,dumpweights]",
        f"custom_hooks=[{{type: DumpWeights, out: {tmp_path}}}]",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    ranks = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in range(2)]
    assert ranks[0]["wrapper"] == "DistributedModel"
    assert ranks[0]["weights"] == ranks[1]["weights"]  # gradients were averaged
    assert (work / "epoch_1.pth").is_file()
    assert len([p for p in work.iterdir() if p.is_dir()]) == 1  # one log directory: rank 0's


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_a_refusal_on_rank_0_stops_every_rank_with_its_message(tmp_path: Path) -> None:
    """Rank 0 alone reads the work dir; the others get its error instead of waiting for ever."""
    pytest.importorskip("sklearn")
    work = tmp_path / "work"
    work.mkdir()
    (work / "epoch_1.pth").write_bytes(b"an earlier run's checkpoint")
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "-m", "runner", "train", "examples/digits/cnn.yaml", "--launcher", "pytorch",
        "--cfg-options", "train_cfg.max_epochs=1", f"work_dir={work}",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode != 0
    assert result.stderr.count("holds checkpoints of an earlier run (epoch_1.pth)") == 2
    assert (work / "epoch_1.pth").read_bytes() == b"an earlier run's checkpoint"


@pytest.mark.parametrize(("rank", "said"), [("0", True), ("1", False)])
def test_rank_0_alone_says_it_was_stopped_by_a_signal(
    rank: str, said: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import signal

    from runner._errors import Interrupted
    from runner.app import cli

    def stopped(args: object) -> int:
        raise Interrupted(signal.SIGTERM, Path("iter_4.pth"))

    monkeypatch.setitem(cli._COMMANDS, "train", stopped)
    monkeypatch.setenv("RANK", rank)
    assert cli.main(["train", "cfg.py"]) == 128 + signal.SIGTERM
    assert ("stopped by SIGTERM" in capsys.readouterr().err) == said


def test_convert_checkpoint_into_a_missing_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from runner.app.cli import main

    (tmp_path / "ckpt.pth").write_bytes(b"x")
    assert main(["convert-checkpoint", str(tmp_path / "ckpt.pth"), str(tmp_path / "no/x.pth")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err
    assert "is not a directory: create it first" in err, err
