"""The console: a Runner made in Python prints its lines once; a bar only on a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import torch

from runner import EpochBasedTrainLoop, LoggerHook, OptimWrapper, ProgressBarHook, Runner

from ..conftest import ToyModel, make_loader

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import torch
from runner import EpochBasedTrainLoop, LoggerHook, OptimWrapper, ProgressBarHook, Runner
from torch.utils.data import DataLoader, TensorDataset
from torch import nn
from torch.nn import functional as F

class Toy(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
    def train_step(self, data, optim_wrapper):
        x, y = data
        loss = F.mse_loss(self.linear(x), y)
        optim_wrapper.update_params(loss)
        return {"loss": loss.detach()}

torch.manual_seed(0)
model = Toy()
data = DataLoader(TensorDataset(torch.randn(64, 2), torch.randn(64, 1)), batch_size=4)
Runner(
    model,
    train_dataloader=data,
    train_loop=EpochBasedTrainLoop(max_epochs=2),
    optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)),
    hooks=[LoggerHook(interval=8), ProgressBarHook(refresh=0.0)],
).train()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}


def test_not_a_terminal_plain_lines_and_no_bar() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=_env(), check=True
    )
    lines = [line for line in done.stdout.splitlines() if "Epoch(train)" in line]
    assert len(lines) == 4  # 2 epochs x 16 iterations / 8, each printed once
    assert "it/s" not in done.stdout + done.stderr
    assert "\r" not in done.stdout


def test_on_a_terminal_the_bar_appears() -> None:
    leader, follower = pty.openpty()
    # a terminal of 24 rows and 100 columns (a new pty has none)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=follower, stderr=follower, env=_env()
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    text = output.decode(errors="replace")
    assert "Epoch 1/2" in text
    assert "it/s" in text
    assert "loss=" in text
    assert "lr=" in text
    assert text.count("Epoch(train) [1][ 8/16]") == 1  # the lines still print, once


def test_a_runner_made_in_python_prints_each_line_once(
    model: ToyModel, capsys: pytest.CaptureFixture[str]
) -> None:
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    Runner(
        model,
        train_dataloader=make_loader(8, 4),
        train_loop=EpochBasedTrainLoop(max_epochs=1),
        optim_wrapper=optim,
        hooks=[LoggerHook(interval=1), ProgressBarHook()],
    ).train()
    out = capsys.readouterr().out
    assert out.count("Epoch(train) [1][1/2]") == 1
    assert "it/s" not in out  # captured output is no terminal


def test_a_script_that_configured_logging_sees_each_line_once() -> None:
    script = "import logging\nlogging.basicConfig(level=logging.INFO)\n" + SCRIPT
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=_env(), check=True
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "Epoch(train)" in line]
    assert len(lines) == 4  # not 8: the regwire logger does not propagate to the root's handler


def test_the_log_file_is_created_at_any_level(model: ToyModel, tmp_path: Path) -> None:
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    runner = Runner(
        model,
        work_dir=tmp_path,
        train_dataloader=make_loader(8, 4),
        train_loop=EpochBasedTrainLoop(max_epochs=1),
        optim_wrapper=optim,
        hooks=[LoggerHook(interval=1)],
        log_level="WARNING",
    )
    runner.train()
    assert runner.log_dir is not None
    assert (runner.log_dir / f"{runner.timestamp}.log").is_file()  # empty, as MMEngine's
