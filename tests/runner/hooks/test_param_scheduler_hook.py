"""ParamSchedulerHook in a real run: iteration and epoch schedulers, ReduceOnPlateau stepped
with the validation metrics, and the scheduled values reaching the logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import torch

from container import ConfigError
from runner import (
    EpochBasedTrainLoop,
    IterTimerHook,
    LoggerHook,
    OptimWrapper,
    ParamSchedulerHook,
    Runner,
    RuntimeInfoHook,
    build_param_schedulers,
)
from runner.engine import Hook

from ..conftest import MeanError, ToyModel, make_loader


class LrProbe(Hook):
    """Records the lr and momentum before each training iteration, and what the runtime
    info published."""

    def __init__(self) -> None:
        self.lrs: list[float] = []
        self.published: list[tuple[float | None, float | None]] = []

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.lrs.append(float(runner.optim_wrapper.param_groups[0]["lr"]))

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        hub = runner.message_hub
        self.published.append((hub.latest("train/lr"), hub.latest("train/momentum")))


def make_run(cfg: Any, epochs: int = 4, **kwargs: Any) -> tuple[Runner, LrProbe]:
    torch.manual_seed(0)
    model = ToyModel()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9))
    loop = EpochBasedTrainLoop(max_epochs=epochs)
    schedulers = build_param_schedulers(optim, cfg, epoch_length=2, train_loop=loop)
    probe = LrProbe()
    runner = Runner(
        model,
        train_dataloader=make_loader(8, 4),
        train_loop=loop,
        optim_wrapper=optim,
        param_schedulers=schedulers,
        val_dataloader=make_loader(4, 4),
        val_evaluator=MeanError(),
        hooks=[ParamSchedulerHook(), RuntimeInfoHook(), probe, *kwargs.pop("hooks", [])],
        **kwargs,
    )
    return runner, probe


def test_iteration_and_epoch_schedulers_step_at_their_stages() -> None:
    runner, probe = make_run(
        [
            {"type": "LinearLR", "start_factor": 0.5, "by_epoch": False, "end": 3},
            {"type": "StepLR", "step_size": 1, "gamma": 0.5},
        ]
    )
    runner.train()
    assert probe.lrs == pytest.approx([0.5, 0.75, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125])


def test_plateau_steps_after_validation_with_the_metrics() -> None:
    # the val metric "size" never improves: after patience 0 each validation halves the lr
    runner, probe = make_run(
        [{"type": "ReduceOnPlateauLR", "monitor": "size", "patience": 0, "factor": 0.5}]
    )
    runner.train()
    assert probe.lrs == pytest.approx([1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25])


def test_plateau_with_a_missing_metric_names_the_config_path() -> None:
    runner, _ = make_run([{"type": "ReduceOnPlateauLR", "monitor": "maee"}])
    with pytest.raises(ConfigError, match=r"'param_scheduler\.0\.monitor' is 'maee'.*'mae'"):
        runner.train()


def test_plateau_is_not_stepped_without_metrics() -> None:
    hook = ParamSchedulerHook()
    stepped: list[Any] = []

    class Plateau:
        by_epoch = True
        need_val_args = True

        def step(self, metrics: Any = None) -> None:
            stepped.append(metrics)

    class View:
        param_schedulers = [Plateau()]

    hook.before_train(View())  # type: ignore[arg-type]
    hook.after_val_epoch(View(), None)  # type: ignore[arg-type]
    assert stepped == []
    hook.after_val_epoch(View(), {"loss": 1.0})  # type: ignore[arg-type]
    hook.after_train_epoch(View())  # type: ignore[arg-type]
    assert stepped == [{"loss": 1.0}, None]


def test_scheduled_lr_and_momentum_reach_the_message_hub() -> None:
    runner, probe = make_run(
        [
            {"type": "StepLR", "step_size": 1, "gamma": 0.5},
            {"type": "LinearMomentum", "start_factor": 0.5, "by_epoch": False, "end": 5},
        ],
        epochs=2,
    )
    runner.train()
    lrs = [lr for lr, _ in probe.published]
    momenta = [momentum for _, momentum in probe.published]
    assert lrs == pytest.approx([1, 1, 0.5, 0.5])
    assert momenta == pytest.approx([0.45, 0.5625, 0.675, 0.7875])


def test_scheduled_lr_reaches_the_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    runner, _ = make_run(
        [{"type": "MultiStepLR", "milestones": [1], "gamma": 0.1}],
        epochs=2,
        hooks=[IterTimerHook(), LoggerHook(interval=1)],
    )
    with caplog.at_level(logging.INFO, logger="regwire"):
        runner.train()
    assert "Epoch(train) [1][1/2]  lr: 1.0000e+00" in caplog.text
    assert "Epoch(train) [2][1/2]  lr: 1.0000e-01" in caplog.text
