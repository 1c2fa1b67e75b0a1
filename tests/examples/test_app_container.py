"""How a test overrides components of an application container before asking for the runner.

This is the pattern to copy: build the container from the real config, override what the
test needs (a value, a component), then ask for the runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from dependency_injector import providers
from torch import nn

from container import Config

pytest.importorskip("sklearn")

from examples.app_container import CONFIG, BestAccuracy, DigitsApp
from examples.digits.components import DigitsCNN


@pytest.fixture
def app() -> Any:
    """The example's container from the real config, made quick and file-free for tests."""
    before = torch.are_deterministic_algorithms_enabled()
    cfg = Config.fromfile(CONFIG, cfg_options=["train_cfg.max_epochs=1", "work_dir=null"])
    yield DigitsApp.from_cfg(cfg)
    torch.use_deterministic_algorithms(before)


def test_the_subclass_wires_its_own_model_and_hook(app: Any) -> None:
    app.config.model.channels.override(4)
    runner = app.runner()
    assert isinstance(runner.model, DigitsCNN)
    assert runner.model.features[0].out_channels == 4
    assert app.best() in runner.hooks
    runner.train()
    assert app.best().best > 50.0


def test_override_a_component_with_a_test_double(app: Any) -> None:
    class Constant(DigitsCNN):
        """Always predicts class 0: a model whose accuracy we know."""

        def forward(self, inputs: torch.Tensor, labels: Any = None, mode: str = "tensor") -> Any:  # type: ignore[override]
            logits = torch.zeros(len(inputs), 10) + self.bias
            logits[:, 0] += 100.0
            if mode == "loss":
                return {"loss": nn.functional.cross_entropy(logits, labels)}
            if mode == "predict":
                return {"pred_score": logits, "gt_label": labels}
            return logits

        def __init__(self) -> None:
            super().__init__(channels=1, hidden=1)
            self.bias = nn.Parameter(torch.zeros(10))

    double = Constant()
    app.model.override(providers.Object(double))
    runner = app.runner()
    assert runner.model is double
    assert any(p is double.bias for p in runner.optim_wrapper.optimizer.param_groups[0]["params"])
    metrics = runner.val()
    assert metrics["accuracy/top1"] == pytest.approx(100 * 35 / 359, abs=6)


def test_override_a_hook_component(app: Any) -> None:
    class Spy(BestAccuracy):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[float] = []

        def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
            self.seen.append(metrics["accuracy/top1"])

    spy = Spy()
    app.best.override(providers.Object(spy))
    app.runner().train()
    assert len(spy.seen) == 1


def test_checkpoint_holds_the_hook_state(app: Any, tmp_path: Path) -> None:
    app.config.work_dir.override(str(tmp_path))
    app.config.train_cfg.max_epochs.override(2)
    app.runner().train()
    # saved after epoch 2's training, and again after its validation found a new best
    # (save_best): it holds epoch 2's best
    state = torch.load(tmp_path / "epoch_2.pth", weights_only=True)["hooks"]["BestAccuracy"]
    assert state["epoch"] == 2
    assert state["best"] > 50.0


def test_the_extra_hook_follows_the_base_hooks_as_the_config_sets_them() -> None:
    cfg = Config.fromfile(CONFIG, cfg_options=["work_dir=null", "default_hooks.logger=null"])
    app = DigitsApp.from_cfg(cfg)
    names = [type(hook).__name__ for hook in app.hooks()]
    assert names[-1] == "BestAccuracy"
    assert "LoggerHook" not in names
    assert "CheckpointHook" in names
