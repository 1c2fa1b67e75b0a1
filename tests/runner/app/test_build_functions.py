"""MMEngine's build functions: models from a list, runners by runner_type, schedulers
converted to iterations."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from container import Registry, RegistryError
from runner import (
    MODELS,
    PARAM_SCHEDULERS,
    RUNNERS,
    ModelRegistry,
    Runner,
    build_model_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
)

from .test_app import toy_cfg


def test_a_list_of_model_configs_is_a_sequential() -> None:
    layers = [{"type": nn.Linear, "in_features": 2, "out_features": 3}, {"type": nn.ReLU}]
    built = MODELS.build(layers)
    assert isinstance(built, nn.Sequential)
    assert [type(layer) for layer in built] == [nn.Linear, nn.ReLU]
    child = ModelRegistry("model", parent=MODELS, scope="build-functions-child")
    assert isinstance(child.build(layers), nn.Sequential)  # a child builds as MODELS does
    assert MODELS.build_func is build_model_from_cfg
    module = nn.ReLU()
    assert MODELS.build(module) is module  # a built module comes back as it is


def test_runners_are_built_by_runner_type() -> None:
    assert isinstance(RUNNERS.build(toy_cfg()), Runner)

    class MyRunner(Runner):
        pass

    local = Registry("runner", parent=RUNNERS, scope="build-functions-runners")
    local.register_module(module=MyRunner)
    assert type(build_runner_from_cfg(toy_cfg(runner_type="MyRunner"), local)) is MyRunner
    unknown = r"'MyRuner' is not registered.*did you mean 'MyRunner'"
    with pytest.raises(RegistryError, match=unknown):
        build_runner_from_cfg(toy_cfg(runner_type="MyRuner"), local)


def test_a_scheduler_converted_to_iterations() -> None:
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    cfg = {"type": "MultiStepLR", "milestones": [1, 2], "by_epoch": True, "end": 3}
    scheduler = build_scheduler_from_cfg(
        {**cfg, "convert_to_iter_based": True},
        PARAM_SCHEDULERS,
        {"optimizer": optimizer, "epoch_length": 10},
    )
    assert scheduler.by_epoch is False
    assert scheduler.end == 30
    assert list(scheduler.milestones) == [10, 20]


def test_default_arguments_reach_a_build_function_in_either_spelling() -> None:
    class Holder(nn.Module):
        def __init__(self, model: object = None) -> None:
            super().__init__()
            self.held = model

    assert MODELS.build({"type": Holder}, model=3).held == 3  # regwire's spelling
    assert MODELS.build({"type": Holder}, default_args={"model": 4}).held == 4  # MMEngine's
