"""Tests of the line app, written with regwire's pytest plugin (loaded by itself once regwire
is installed; nothing to import for the fixtures).

Run them with ``python -m pytest examples/testing`` from the repository root.

* ``regwire_app(config, overrides=..., cfg_options=...)`` builds the app's training container
  from its real config file, with ``work_dir`` in the test's ``tmp_path``.
* ``regwire_runner(...)`` does the same and returns the runner.
* ``regwire_override(registry, name, replacement)`` replaces a registered component for one
  test, wherever the config names it.
* ``RunnerTestCase`` (MMEngine's) gives tiny ready-made configs to drive the app's parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from examples.testing.line_app import LineDataset, LineModel
from runner import DATASETS, Runner
from runner.testing import RunnerTestCase

CONFIG = Path(__file__).with_name("line.yaml")


def test_the_app_learns_the_line(regwire_app: Any, tmp_path: Path) -> None:
    app = regwire_app(CONFIG)
    runner = app.runner()
    runner.train()
    assert runner.val()["mae"] < 0.01
    # the run wrote to tmp_path, not to the config's work_dirs/line
    assert (tmp_path / "work_dir" / "epoch_20.pth").is_file()


def test_a_model_of_the_test_is_trained(regwire_runner: Any) -> None:
    model = LineModel()
    torch.nn.init.zeros_(model.linear.weight)
    runner = regwire_runner(
        CONFIG, overrides={"model": model}, cfg_options=["train_cfg.max_epochs=1"]
    )
    assert runner.model is model  # and the optimizer updates its parameters
    runner.train()
    assert model.linear.weight.item() > 0.1


class FlatLine(LineDataset):
    """The same points with slope 0: what the model should then learn is known."""

    def __init__(self, size: int = 32, **_: Any) -> None:
        super().__init__(size, slope=0.0, intercept=3.0)


def test_a_registered_component_replaced_for_one_test(regwire_override: Any) -> None:
    regwire_override(DATASETS, "LineDataset", FlatLine)  # every LineDataset the config builds
    runner = Runner.from_cfg(_quick_cfg())
    runner.train()
    assert runner.model.linear.weight.item() == pytest.approx(0.0, abs=0.01)
    assert runner.model.linear.bias.item() == pytest.approx(3.0, abs=0.01)


def test_the_replacement_is_gone_in_the_next_test() -> None:
    assert DATASETS.get("LineDataset") is LineDataset
    assert not DATASETS.providers["LineDataset"].overridden


def _quick_cfg() -> Any:
    from container import Config

    return Config.fromfile(CONFIG, cfg_options=["work_dir=null", "train_cfg.max_epochs=10"])


class TestLineModelOnToyData(RunnerTestCase):
    """A test moved over from MMEngine: the app's model in RunnerTestCase's tiny configs."""

    def test_the_model_trains_by_epoch_and_by_iteration(self) -> None:
        self.epoch_based_cfg.model = {"type": "LineModel", "in_features": 2}
        runner = self.build_runner(self.epoch_based_cfg)
        before = runner.val()["mae"]
        runner.train()
        assert runner.val()["mae"] < before

        self.iter_based_cfg.model = {"type": "LineModel", "in_features": 2}
        self.iter_based_cfg.train_cfg.max_iters = 4
        self.clear_work_dir()  # regwire refuses to train over another run's checkpoints
        runner = self.build_runner(self.iter_based_cfg)
        runner.train()
        assert runner.iter == 4
