"""SIGTERM stops a run cleanly: the iteration finishes, the position is saved, ``after_train``
and ``after_run`` run, one line is printed, the exit status is 128 + 15, and ``--resume`` ends
with the same weights as a run that was never stopped. Under torchrun every rank stops after
the same iteration.

The signal comes from a hook in the training process itself, after a chosen iteration, so
the moment is exact and the tests are repeatable.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist

from runner import load_checkpoint

ROOT = Path(__file__).parents[3]
DIGITS = "examples/digits/cnn.yaml"

HOOK = textwrap.dedent(
    """
    import json, os, signal
    from runner import HOOKS, Hook

    @HOOKS.register_module()
    class SignalSelf(Hook):
        def __init__(self, at, out, rank=0, signum=int(signal.SIGTERM)):
            self.at, self.out, self.rank, self.signum = at, out, rank, signum

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter + 1 == self.at and runner.rank == self.rank:
                os.kill(os.getpid(), self.signum)

        def after_train(self, runner):
            self._note("after_train", runner)

        def after_run(self, runner):
            self._note("after_run", runner)

        def _note(self, stage, runner):
            with open(os.path.join(self.out, f"stages{runner.rank}.jsonl"), "a") as file:
                file.write(json.dumps([stage, runner.epoch, runner.iter]) + "\\n")
    """
)


def _train(tmp_path: Path, work: Path, *options: str, signal_at: int | None = None) -> Any:
    (tmp_path / "signalself.py").write_text(HOOK)
    ema = "{type: EMAHook, ema_type: MomentumAnnealingEMA, momentum: 0.01, gamma: 10}"  # the yaml's
    hooks = f"custom_hooks=[{ema}, {{type: SignalSelf, at: {signal_at}, out: {tmp_path}}}]"
    command = [
        sys.executable, "-m", "runner", "train", DIGITS, "--work-dir", str(work),
        "--cfg-options", "train_cfg.max_epochs=2",
        "custom_imports.imports=[examples.digits.components,signalself]",
        *([hooks] if signal_at is not None else []), *options,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _weights(path: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = load_checkpoint(path)["state_dict"]
    return state


def test_sigterm_saves_the_position_and_resume_ends_with_the_same_weights(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    whole = _train(tmp_path, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-2000:]

    stopped = _train(tmp_path, tmp_path / "cut", signal_at=10)  # epoch 1 has 45 iterations
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-2000:]
    assert "Traceback" not in stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("regwire: stopped by SIGTERM after finishing the iteration; saved ")
    assert last.endswith("iter_10.pth; continue with --resume")
    meta = load_checkpoint(tmp_path / "cut" / "iter_10.pth")["meta"]
    assert (meta["epoch"], meta["iter"], meta["inner_iter"]) == (0, 10, 10)
    assert not (tmp_path / "cut" / "epoch_1.pth").exists()  # the epoch had not ended
    stages = [json.loads(line) for line in (tmp_path / "stages0.jsonl").read_text().splitlines()]
    assert stages == [["after_train", 0, 10], ["after_run", 0, 10]]

    resumed = _train(tmp_path, tmp_path / "cut", "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from" in resumed.stdout
    whole_weights = _weights(tmp_path / "whole" / "epoch_2.pth")
    resumed_weights = _weights(tmp_path / "cut" / "epoch_2.pth")
    assert whole_weights.keys() == resumed_weights.keys()
    for key, value in whole_weights.items():
        assert torch.equal(value, resumed_weights[key]), key  # bit for bit


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_under_torchrun_every_rank_stops_after_the_same_iteration(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    (tmp_path / "signalself.py").write_text(HOOK)
    work = tmp_path / "work"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "-m", "runner", "train", DIGITS, "--launcher", "pytorch",
        "--cfg-options", "train_cfg.max_epochs=1", f"work_dir={work}",
        "custom_imports.imports=[examples.digits.components,signalself]",
        f"custom_hooks=[{{type: SignalSelf, at: 7, rank: 1, out: {tmp_path}}}]",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode != 0  # torchrun reports workers that stopped on a signal
    # every rank stops; rank 0 alone says so
    assert result.stderr.count("regwire: stopped by SIGTERM after finishing the iteration") == 1
    meta = load_checkpoint(work / "iter_7.pth")["meta"]  # rank 0 saved rank 1's position
    assert (meta["epoch"], meta["iter"], meta["inner_iter"]) == (0, 7, 7)
    for rank in range(2):
        lines = (tmp_path / f"stages{rank}.jsonl").read_text().splitlines()
        assert [json.loads(line) for line in lines] == [["after_train", 0, 7], ["after_run", 0, 7]]
