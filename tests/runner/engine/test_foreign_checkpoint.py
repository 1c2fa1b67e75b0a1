"""Checkpoints MMEngine wrote: read with ``weights_only=True`` through stand-ins of its
message hub's objects, for ``load_from``, ``Pretrained`` and ``convert-checkpoint``.

``fixtures/mmengine_epoch_1.pth`` is a real MMEngine training checkpoint (a 2-parameter model
trained 1 iteration by MMEngine's Runner: ``fixtures/make_mmengine_checkpoint.py``), so these
tests run without mmengine; one more makes a fresh one where mmengine is installed.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner import Runner
from runner.app.cli import main
from runner.engine import CheckpointError, load_checkpoint, save_checkpoint
from runner.model import BaseModule, has_checksum_trailer, load_weights_only

FIXTURES = Path(__file__).parent / "fixtures"
MMENGINE_CHECKPOINT = FIXTURES / "mmengine_epoch_1.pth"
REPO = Path(__file__).resolve().parents[3]


class Tiny(BaseModule):
    """The fixture's model: ``linear`` of one weight and one bias."""

    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.linear = nn.Linear(1, 1)


def expected_weights() -> tuple[float, float]:
    return -0.1133, 0.4307  # what MMEngine's one SGD step left in the fixture


def test_the_fixture_is_an_mmengine_file_that_plain_weights_only_refuses() -> None:
    assert not has_checksum_trailer(MMENGINE_CHECKPOINT)
    with pytest.raises(pickle.UnpicklingError, match="HistoryBuffer"):
        torch.load(MMENGINE_CHECKPOINT, weights_only=True)
    with pytest.raises(pickle.UnpicklingError):  # a file taken for regwire's: no stand-ins
        load_weights_only(MMENGINE_CHECKPOINT, foreign=False)


def test_an_mmengine_checkpoint_loads_model_and_optimizer_state() -> None:
    checkpoint = load_checkpoint(MMENGINE_CHECKPOINT, config_path="load_from")
    assert checkpoint["meta"]["mmengine_version"] == "0.10.7"
    weight, bias = expected_weights()
    assert checkpoint["state_dict"]["linear.weight"].item() == pytest.approx(weight, abs=1e-4)
    assert checkpoint["state_dict"]["linear.bias"].item() == pytest.approx(bias, abs=1e-4)
    optimizer = torch.optim.SGD(Tiny().parameters(), lr=0.1, momentum=0.9)
    optimizer.load_state_dict(checkpoint["optimizer"])
    assert optimizer.state_dict()["state"][0]["momentum_buffer"].numel() == 1
    hub = checkpoint["message_hub"]
    assert set(hub["log_scalars"].values()) == {None}  # the stand-ins' content is dropped
    assert type(hub["runtime_info"]["eta"]) is float  # a numpy scalar, made a number


def test_the_runner_and_pretrained_read_an_mmengine_checkpoint() -> None:
    runner = Runner(Tiny())
    runner.load_checkpoint(MMENGINE_CHECKPOINT)  # what load_from does before a run
    weight, bias = expected_weights()
    assert runner.model.linear.weight.item() == pytest.approx(weight, abs=1e-4)
    model = Tiny(init_cfg={"type": "Pretrained", "checkpoint": str(MMENGINE_CHECKPOINT)})
    model.init_weights()
    assert model.linear.bias.item() == pytest.approx(bias, abs=1e-4)


@pytest.mark.filterwarnings("ignore:torch.distributed is disabled")
def test_convert_checkpoint_takes_an_mmengine_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert main(["convert-checkpoint", str(MMENGINE_CHECKPOINT), str(tmp_path / "s")]) == 0
    assert "without the optimizer's" in caplog.text
    assert main(["convert-checkpoint", str(tmp_path / "s"), str(tmp_path / "one.pth")]) == 0
    back = load_checkpoint(tmp_path / "one.pth")
    assert back["state_dict"]["linear.weight"].item() == pytest.approx(expected_weights()[0], 1e-3)


class CallsGetattr:
    """Pickles as ``getattr("abc", "upper")``: what a stand-in must not run."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return getattr, ("abc", "upper")


class Unknown:
    pass


def test_only_the_stand_ins_are_allowed(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.pth"
    torch.save({"state_dict": {}, "method": CallsGetattr()}, foreign)
    assert load_checkpoint(foreign)["method"] is None  # the stand-in, never the real getattr
    torch.save({"state_dict": {}, "thing": Unknown()}, foreign)
    with pytest.raises(CheckpointError, match="weights_only"):
        load_checkpoint(foreign)
    ours = save_checkpoint({"state_dict": {}, "method": CallsGetattr()}, tmp_path / "ours.pth")
    with pytest.raises(CheckpointError, match="weights_only"):  # regwire's file: no stand-ins
        load_checkpoint(ours)


def _mmengine_python() -> str | None:
    """An interpreter with mmengine: this one, or the bench environment's."""
    try:
        import mmengine  # noqa: F401
    except ImportError:
        bench = REPO / ".venv-bench" / "bin" / "python"
        return str(bench) if bench.is_file() and os.access(bench, os.X_OK) else None
    return sys.executable


def test_a_fresh_mmengine_checkpoint_loads(tmp_path: Path) -> None:
    python = _mmengine_python()
    if python is None:
        pytest.skip("mmengine is not installed here (nor in .venv-bench)")
    script = FIXTURES / "make_mmengine_checkpoint.py"
    subprocess.run([python, str(script), str(tmp_path)], check=True, cwd=tmp_path, timeout=300)
    made = tmp_path / "epoch_1.pth"
    assert torch.serialization.get_unsafe_globals_in_checkpoint(made)  # HistoryBuffer, numpy
    checkpoint = load_checkpoint(made)
    model = Tiny()
    model.load_state_dict(checkpoint["state_dict"])
    assert model.linear.weight.item() == pytest.approx(expected_weights()[0], abs=1e-4)
