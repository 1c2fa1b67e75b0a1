"""The Runner built by hand from ready objects."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch

from container import ConfigError
from runner import (
    CheckpointHook,
    EpochBasedTrainLoop,
    Hook,
    HookError,
    IterBasedTrainLoop,
    IterTimerHook,
    LoggerHook,
    OptimWrapper,
    Priority,
    Runner,
    RuntimeInfoHook,
)

from ..conftest import MeanError, Recorder, ToyModel, make_loader


def make_runner(model: ToyModel, optim: OptimWrapper, **kwargs: Any) -> Runner:
    options: dict[str, Any] = {
        "train_dataloader": make_loader(8, 4),
        "train_loop": EpochBasedTrainLoop(max_epochs=2),
        "optim_wrapper": optim,
        "val_dataloader": make_loader(4, 4),
        "val_evaluator": MeanError(),
        **kwargs,
    }
    return Runner(model, **options)


def test_train_calls_every_stage_in_order(model: ToyModel, optim: OptimWrapper) -> None:
    recorder = Recorder()
    runner = make_runner(model, optim, hooks=[recorder])
    runner.train()
    stages = recorder.stages()
    assert stages[:4] == ["before_run", "before_train", "before_train_epoch", "before_train_iter"]
    assert stages[-2:] == ["after_train", "after_run"]
    assert stages.count("after_train_iter") == 4
    assert stages.count("after_val_epoch") == 2
    # counters follow MMEngine: the index of the iteration or epoch that is ending
    iters = [(e, i) for s, e, i in recorder.calls if s == "after_train_iter"]
    assert iters == [(0, 0), (0, 1), (1, 2), (1, 3)]
    assert [(e, i) for s, e, i in recorder.calls if s == "after_train_epoch"] == [(0, 2), (1, 4)]
    assert (runner.epoch, runner.iter, runner.max_epochs, runner.max_iters) == (2, 4, 2, 4)


def test_weights_change(model: ToyModel, optim: OptimWrapper) -> None:
    before = model.linear.weight.detach().clone()
    make_runner(model, optim).train()
    assert not torch.equal(before, model.linear.weight)


def test_hooks_are_sorted_stably_by_priority(model: ToyModel, optim: OptimWrapper) -> None:
    low, high, normal_a, normal_b = Hook(), Hook(), IterTimerHook(), Hook()
    low.priority = "LOW"
    high.priority = Priority.HIGHEST
    runner = make_runner(model, optim, hooks=[low, normal_a, high, normal_b])
    assert runner.hooks == [high, normal_a, normal_b, low]


def test_hook_failure_names_hook_and_stage(model: ToyModel, optim: OptimWrapper) -> None:
    class Fails(Hook):
        def after_train_epoch(self, runner: Any) -> None:
            raise KeyError("missing")

    with pytest.raises(HookError, match=r"hook Fails failed in after_train_epoch: KeyError"):
        make_runner(model, optim, hooks=[Fails()]).train()


def test_table_is_logged_at_start(
    model: ToyModel, optim: OptimWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    runner = make_runner(model, optim, hooks=[LoggerHook(), IterTimerHook()])
    with caplog.at_level(logging.INFO, logger="regwire"):
        runner.train()  # logged when the run starts, into its log file too
    text = caplog.text
    assert "hooks by stage:" in text
    assert "after_train_iter:\n  (NORMAL      ) IterTimerHook\n  (BELOW_NORMAL) LoggerHook" in text


def test_logger_writes_progress(
    model: ToyModel, optim: OptimWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    runner = make_runner(model, optim, hooks=[IterTimerHook(), LoggerHook(interval=1)])
    with caplog.at_level(logging.INFO, logger="regwire"):
        runner.train()
    assert "Epoch(train) [1][1/2]  lr: 1.0000e-01" in caplog.text
    assert "loss: " in caplog.text
    assert "time: " in caplog.text
    assert "Epoch(val) [2]  mae: " in caplog.text
    assert runner.message_hub.latest("val/mae") is not None


def test_log_level_warning_logs_no_progress_and_builds_no_line(
    model: ToyModel,
    optim: OptimWrapper,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[int] = []
    real = LoggerHook._train_line
    monkeypatch.setattr(
        LoggerHook,
        "_train_line",
        lambda self, runner, batch_idx, outputs: (
            built.append(batch_idx) or real(self, runner, batch_idx, outputs)
        ),
    )
    quiet = make_runner(model, optim, hooks=[LoggerHook(interval=1)], log_level="warning")
    with caplog.at_level(logging.INFO, logger="regwire"):
        quiet.train()
    assert quiet.logger.level == logging.WARNING
    assert "Epoch(train)" not in caplog.text
    assert built == []
    loud = make_runner(model, optim, hooks=[LoggerHook(interval=1)], log_level="notset")
    with caplog.at_level(logging.INFO, logger="regwire"):
        loud.train()
    assert built == [0, 1, 0, 1]
    assert "Epoch(train) [2][2/2]" in caplog.text


@pytest.mark.parametrize(
    ("level", "message"),
    [("WARNNG", "did you mean 'WARNING'"), (-1, "got -1"), (True, "got True"), (None, "got None")],
)
def test_log_level_rejects_what_is_not_a_level(
    model: ToyModel, optim: OptimWrapper, level: Any, message: str
) -> None:
    with pytest.raises(
        ValueError,
        match=rf"log_level must be one of CRITICAL, .*, INFO, DEBUG, NOTSET or a .*{message}",
    ):
        make_runner(model, optim, log_level=level)


def test_work_dir_none_writes_nothing(
    model: ToyModel, optim: OptimWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = make_runner(model, optim, hooks=[CheckpointHook(), LoggerHook()])
    runner.train()
    assert runner.work_dir is None
    assert runner.log_dir is None
    assert list(tmp_path.iterdir()) == []


def test_work_dir_gets_logs_config_and_checkpoints(
    model: ToyModel, optim: OptimWrapper, tmp_path: Path
) -> None:
    runner = make_runner(
        model,
        optim,
        work_dir=tmp_path,
        hooks=[LoggerHook(interval=1), CheckpointHook(max_keep_ckpts=1)],
        cfg={"model": {"type": "ToyModel"}, "train_cfg": {"max_epochs": 2}},
    )
    runner.train()
    assert runner.log_dir is not None
    assert runner.log_dir.parent == tmp_path.resolve()
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert "Epoch(train) [2][2/2]" in log
    assert "max_epochs: 2" in (runner.log_dir / "config.yaml").read_text()
    assert sorted(p.name for p in tmp_path.glob("*.pth")) == ["epoch_2.pth"]
    assert (tmp_path / "last_checkpoint").read_text().endswith("epoch_2.pth")


def test_val_and_test_alone(model: ToyModel, optim: OptimWrapper) -> None:
    recorder = Recorder()
    runner = Runner(
        model,
        val_dataloader=make_loader(8, 4),
        val_evaluator=MeanError(),
        test_dataloader=make_loader(4, 4),
        test_evaluator=MeanError(),
        hooks=[recorder],
    )
    assert runner.val()["size"] == 8.0
    assert runner.test()["size"] == 4.0
    assert "after_test_epoch" in recorder.stages()


def test_missing_parts_are_config_errors(model: ToyModel, optim: OptimWrapper) -> None:
    with pytest.raises(ConfigError, match=r"cannot train without 'optim_wrapper'"):
        Runner(model, train_dataloader=make_loader(), train_loop=EpochBasedTrainLoop(1)).train()
    with pytest.raises(ConfigError, match=r"cannot test without 'test_dataloader'"):
        Runner(model).test()
    with pytest.raises(
        ConfigError, match=r"'val_dataloader' is given but 'val_evaluator' is not"
    ) as info:
        Runner(model, val_dataloader=make_loader())
    assert info.value.config_path == "val_evaluator"


def test_iter_based_runner(model: ToyModel, optim: OptimWrapper) -> None:
    recorder = Recorder()
    runner = make_runner(
        model, optim, train_loop=IterBasedTrainLoop(max_iters=5, val_interval=2), hooks=[recorder]
    )
    runner.train()
    assert runner.iter == 5
    assert recorder.stages().count("after_val_epoch") == 3  # after 2, 4 and 5


def test_register_hook_rebuilds_the_table(model: ToyModel, optim: OptimWrapper) -> None:
    runner = make_runner(model, optim)
    recorder = Recorder()
    runner.register_hook(recorder, priority="HIGHEST")
    runner.call_hook("before_run")
    assert recorder.stages() == ["before_run"]
    with pytest.raises(ValueError, match=r"did you mean 'before_run'"):
        runner.call_hook("before_rn")


def test_runtime_info_hook_publishes(model: ToyModel, optim: OptimWrapper) -> None:
    runner = make_runner(model, optim, hooks=[RuntimeInfoHook()])
    runner.train()
    hub = runner.message_hub
    assert hub.get_info("max_epochs") == 2
    assert hub.get_info("iter") == 3
    assert hub.latest("train/lr") == pytest.approx(0.1)
    assert hub.latest("train/loss") is not None
    assert hub.latest("val/mae") is not None
    assert (runner.rank, runner.world_size, runner.distributed) == (0, 1, False)


def test_train_plans_the_run_once(model: ToyModel, optim: OptimWrapper) -> None:
    class CountingLoop(EpochBasedTrainLoop):
        plans = 0

        def plan(self, state: Any, dataloader: Any) -> None:
            self.plans += 1
            super().plan(state, dataloader)

    loop = CountingLoop(max_epochs=2)
    runner = make_runner(model, optim, train_loop=loop)
    assert loop.plans == 0
    runner.train()
    assert loop.plans == 1
    assert (runner.max_epochs, runner.max_iters) == (2, 4)
