"""TrainingContainer and Runner.from_cfg: building a run from a config, and overriding it."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from dependency_injector import providers

from container import ConfigError, RegistryError, RegwireError
from container.config import Config
from runner import (
    CheckInvalidLossHook,
    CheckpointHook,
    DistSamplerSeedHook,
    Hook,
    IterTimerHook,
    LoggerHook,
    ParamSchedulerHook,
    Priority,
    ProgressBarHook,
    Runner,
    RuntimeInfoHook,
    TrainingContainer,
    build_hooks,
)

from ..conftest import MeanError, ToyModel, make_data


def toy_cfg(**changes: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "model": {"type": ToyModel},
        "train_dataloader": {
            "batch_size": 4,
            "dataset": {"type": make_data, "n": 16},
            "sampler": {"type": "DefaultSampler", "shuffle": True},
        },
        "train_cfg": {"by_epoch": True, "max_epochs": 2},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
        "param_scheduler": {"type": "StepLR", "step_size": 1, "gamma": 0.5},
        "randomness": {"seed": 0},
    }
    cfg.update(changes)
    return cfg


def test_from_cfg_trains_with_the_default_hooks() -> None:
    runner = Runner.from_cfg(toy_cfg())
    assert [type(h) for h in runner.hooks] == [
        RuntimeInfoHook,  # as in MMEngine
        IterTimerHook,
        DistSamplerSeedHook,
        CheckInvalidLossHook,
        LoggerHook,
        ProgressBarHook,
        ParamSchedulerHook,
        CheckpointHook,
    ]
    runner.train()
    assert runner.epoch == 2
    # StepLR without `end` ends with training (end = max_epochs = 2, as MMEngine's runner
    # fills it): its step after the last epoch is outside [0, 2), so 0.1 * 0.5 stays
    assert runner.optim_wrapper.get_lr()["lr"] == [pytest.approx(0.05)]
    assert runner.seed == 0


def test_convert_to_iter_based_uses_the_train_dataloader_length() -> None:
    warmup = {
        "type": "LinearLR",
        "start_factor": 0.5,
        "by_epoch": True,
        "begin": 0,
        "end": 1,
        "convert_to_iter_based": True,
    }
    runner = Runner.from_cfg(toy_cfg(param_scheduler=[warmup], train_cfg={"max_epochs": 1}))
    (scheduler,) = runner.param_schedulers
    assert (scheduler.by_epoch, scheduler.end) == (False, 4)  # 16 samples / batch 4
    runner.train()
    assert runner.optim_wrapper.get_lr()["lr"] == [pytest.approx(0.1)]


def test_schedulers_without_conversion_do_not_build_the_training_data() -> None:
    app = TrainingContainer.from_cfg(toy_cfg())
    built: list[str] = []
    app.train_dataloader.override(providers.Callable(lambda: built.append("train") or []))
    assert len(app.param_schedulers()) == 1
    assert built == []


def test_a_value_override_changes_what_is_built() -> None:
    app = TrainingContainer.from_cfg(toy_cfg())
    app.config.optim_wrapper.optimizer.lr.override(0.01)
    assert app.runner().optim_wrapper.get_lr() == {"lr": [0.01]}


def test_a_component_override_reaches_the_optimizer() -> None:
    mine = ToyModel()
    app = TrainingContainer.from_cfg(toy_cfg())
    app.model.override(providers.Object(mine))
    runner = app.runner()
    assert runner.model is mine
    assert runner.optim_wrapper.optimizer.param_groups[0]["params"][0] is mine.linear.weight


class Wide(ToyModel):
    pass


class MyApp(TrainingContainer):
    model = providers.Singleton(Wide)
    extra_hook = providers.Singleton(IterTimerHook)


def test_a_subclass_replaces_a_component_everywhere() -> None:
    app = MyApp.from_cfg(toy_cfg())
    runner = app.runner()
    assert type(runner.model) is Wide
    params = runner.optim_wrapper.optimizer.param_groups[0]["params"]
    assert params[0] is runner.model.linear.weight
    assert isinstance(app.extra_hook(), IterTimerHook)
    assert type(TrainingContainer.from_cfg(toy_cfg()).runner().model) is ToyModel


def test_a_subclass_model_is_built_after_seeding() -> None:
    weights = []
    for noise in (1, 2):
        torch.manual_seed(noise)  # whatever the global generator holds before the run
        runner = MyApp.from_cfg(toy_cfg()).runner()
        weights.append(runner.model.linear.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])


def test_validation_and_test_sections() -> None:
    cfg = toy_cfg(
        val_dataloader={
            "batch_size": 8,
            "dataset": {"type": make_data, "n": 8},
            "sampler": {"type": "DefaultSampler", "shuffle": False},
        },
        val_evaluator={"type": "Accuracy"},
        val_cfg={},
    )
    runner = Runner.from_cfg(cfg)
    assert runner.val_loop is not None
    assert runner.test_loop is None


def test_default_hooks_replace_remove_update_and_custom() -> None:
    class Mine(Hook):
        priority = Priority.LOW

        def before_run(self, runner: Any) -> None:
            pass

    hooks = build_hooks(
        {
            "logger": {"interval": 3},
            "checkpoint": None,
            "check_invalid_loss": None,  # the opt-out of the NaN check
            "timer": {"type": "IterTimerHook", "priority": "highest"},
        },
        [{"type": Mine, "priority": 5}, {"type": Mine}],
    )
    assert [type(h) for h in hooks] == [  # in the config's order: the table sorts them
        RuntimeInfoHook,
        IterTimerHook,
        DistSamplerSeedHook,
        LoggerHook,
        ProgressBarHook,
        ParamSchedulerHook,
        Mine,
        Mine,
    ]
    assert hooks[1].priority == 0
    assert hooks[3].interval == 3  # type: ignore[attr-defined]
    assert hooks[6].priority == 5
    assert hooks[7].priority == Priority.LOW


def test_hook_config_errors_name_the_path() -> None:
    with pytest.raises(
        ConfigError,
        match=r"'custom_hooks.0.priority': unknown priority 'hihg'; did you mean 'HIGH'",
    ):
        build_hooks(None, [{"type": "IterTimerHook", "priority": "hihg"}])
    with pytest.raises(RegistryError, match=r"default_hooks.logger.type") as info:
        build_hooks({"logger": {"type": "LogerHook"}})
    assert info.value.config_path == "default_hooks.logger.type"

    class Wrong(Hook):
        def after_val_epoch(self, runner: Any, scores: Any) -> None:  # type: ignore[override]
            pass

    with pytest.raises(RegwireError, match=r"custom_hooks.0") as info2:
        build_hooks(None, [{"type": Wrong}])
    assert info2.value.config_path == "custom_hooks.0"


def test_unknown_model_type_names_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model:\n  type: NoSuchNet\ntrain_cfg:\n  max_epochs: 1\n")
    with pytest.raises(RegistryError, match=r"'model.type'") as info:
        Runner.from_cfg(Config.fromfile(path))
    assert info.value.config_path == "model.type"
    assert info.value.source is not None
    assert info.value.source.endswith("run.yaml:2")


def test_bad_randomness_key() -> None:
    with pytest.raises(ConfigError, match=r"'randomness.sed' is not an option"):
        Runner.from_cfg(toy_cfg(randomness={"sed": 1}))


def test_custom_imports_failure() -> None:
    with pytest.raises(
        ConfigError, match=r"^custom_imports\.imports\.1: cannot import module 'no_such_module_xyz'"
    ) as info:
        Runner.from_cfg(toy_cfg(custom_imports={"imports": ["os", "no_such_module_xyz"]}))
    assert info.value.config_path == "custom_imports.imports.1"
    with pytest.warns(UserWarning, match="'no_such_module_xyz' failed to import and is skipped"):
        Runner.from_cfg(
            toy_cfg(
                custom_imports={"imports": ["no_such_module_xyz"], "allow_failed_imports": True}
            )
        )


def test_mean_error_evaluator_is_usable() -> None:
    assert MeanError().evaluate(0)["mae"] == 0.0
    assert torch.is_tensor(make_data(4).tensors[0])


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ("model", "DigitsCNN"),
        ("train_cfg", 3),
        ("val_cfg", "x"),
        ("randomness", 5),
        ("custom_imports", ["os"]),
        ("env_cfg", ["nccl"]),
        ("optim_wrapper", "SGD"),
        ("train_dataloader", 4),
    ],
)
def test_a_section_of_the_wrong_type_is_a_config_error_naming_it(section: str, value: Any) -> None:
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(repr(section))} must be .*got {re.escape(repr(value))}"
    ) as info:
        Runner.from_cfg(toy_cfg(**{section: value}))
    assert info.value.config_path == section


def test_a_misspelt_randomness_key_gets_a_suggestion() -> None:
    with pytest.raises(
        ConfigError, match=r"'randomness.sed' is not an option; did you mean 'seed'\?"
    ):
        Runner.from_cfg(toy_cfg(randomness={"sed": 1}))


@pytest.mark.parametrize("value", ["false", "true", 1])
def test_resume_must_be_a_bool(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^'resume' must be true or false, got") as info:
        TrainingContainer.from_cfg(toy_cfg(resume=value)).runner()
    assert info.value.config_path == "resume"


def test_resume_false_or_null_does_not_resume() -> None:
    for value in (False, None):
        assert not TrainingContainer.from_cfg(toy_cfg(resume=value)).runner().resume_requested


def test_log_level_from_the_config() -> None:
    assert TrainingContainer.from_cfg(toy_cfg()).runner().logger.level == logging.INFO
    quiet = TrainingContainer.from_cfg(toy_cfg(log_level="WARNING")).runner()
    assert quiet.logger.level == logging.WARNING
    with pytest.raises(
        ConfigError, match=r"^'log_level': log_level must be one of .*did you mean 'DEBUG'\?"
    ) as info:
        TrainingContainer.from_cfg(toy_cfg(log_level="DEBG")).runner()
    assert info.value.config_path == "log_level"


def test_each_dataloader_gets_the_run_seed_and_none_when_absent() -> None:
    loader_cfg = toy_cfg()["train_dataloader"]
    app = TrainingContainer.from_cfg(
        toy_cfg(randomness={"seed": 7}, val_dataloader={**loader_cfg, "sampler": None})
    )
    assert app.train_dataloader().sampler.seed == 7
    assert app.val_dataloader().sampler.seed == 7
    assert app.test_dataloader() is None
