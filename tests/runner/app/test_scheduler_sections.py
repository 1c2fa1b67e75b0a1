"""The ``param_scheduler`` section: ``regwire check`` accepts every scheduler form and rejects
the bad ones with their paths; ``Runner.from_cfg`` fills ``end`` from the training loop."""

from __future__ import annotations

import re
from typing import Any

import pytest

from runner import Runner
from runner.app import check_config

from ..conftest import MeanError, ToyModel, make_data


def toy_cfg(**changes: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "model": {"type": ToyModel},
        "train_dataloader": {
            "batch_size": 4,
            "dataset": {"type": make_data, "n": 16},
            "sampler": {"type": "DefaultSampler", "shuffle": False},
        },
        "train_cfg": {"by_epoch": True, "max_epochs": 3},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}},
        "randomness": {"seed": 0},
    }
    cfg.update(changes)
    return cfg


VALIDATION = {
    "val_dataloader": {"batch_size": 4, "dataset": {"type": make_data, "n": 8}},
    "val_cfg": {},
    "val_evaluator": {"type": MeanError},
}
"""What a plateau scheduler, stepping on a validation metric, needs."""


def validation_for(value: Any) -> dict[str, Any]:
    return VALIDATION if "Plateau" in str(value) else {}


SGD = {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}}


def optim_for(name: str, names: tuple[str, ...]) -> dict[str, Any]:
    """The optim_wrapper of a case: several optimizers by name for a per-optimizer one."""
    return dict.fromkeys(names, SGD) if name.startswith("per-optimizer") else SGD


GOOD = {
    "lr-chain": [
        {"type": "LinearLR", "start_factor": 0.1, "by_epoch": False, "end": 4},
        {"type": "CosineAnnealingLR", "eta_min_ratio": 0.01},
    ],
    "generic": [
        {"type": "StepParamScheduler", "param_name": "weight_decay", "step_size": 1},
        {
            "type": "CosineRestartParamScheduler",
            "param_name": "lr",
            "periods": [1, 2],
            "restart_weights": [1, 0.5],
            "eta_min": 0.0,
        },
    ],
    "momentum": {"type": "MultiStepMomentum", "milestones": [1], "gamma": 0.5},
    "plateau": {"type": "ReduceOnPlateauLR", "monitor": "loss", "rule": "less", "patience": 2},
    "one-cycle": {"type": "OneCycleLR", "eta_max": 1.0, "convert_to_iter_based": True},
    "per-optimizer": {
        "main": [{"type": "PolyLR"}],
        "other": {"type": "ExponentialLR", "gamma": 0.9},
    },
}


@pytest.mark.parametrize("name", list(GOOD))
def test_check_accepts_every_scheduler_form(name: str) -> None:
    optim = optim_for(name, ("main", "other"))
    cfg = toy_cfg(param_scheduler=GOOD[name], optim_wrapper=optim, **validation_for(GOOD[name]))
    assert check_config(cfg) == ([], [])


BAD = {
    "inverted": (
        [{"type": "StepLR", "step_size": 1, "begin": 4, "end": 2}],
        "param_scheduler.0.end",
        r"must be after begin \(4\)",
    ),
    "empty": ({"type": "ConstantLR", "begin": 2, "end": 2}, "param_scheduler.end", "empty"),
    "negative-begin": ({"type": "ConstantLR", "begin": -1}, "param_scheduler.begin", "0 or more"),
    "param_name": (
        [{"type": "LinearParamScheduler", "param_name": "weight_decy"}],
        "param_scheduler.0.param_name",
        "did you mean 'weight_decay'",
    ),
    "rule": (
        {"type": "ReduceOnPlateauMomentum", "rule": "lesser"},
        "param_scheduler.rule",
        "did you mean 'less'",
    ),
    "unknown-argument": (
        {"type": "StepLR", "step_size": 1, "param_name": "lr"},
        "param_scheduler.param_name",
        "",
    ),
    "per-optimizer-entry": (
        {"main": [{"type": "StepLR", "step_size": 1}, {"type": "StepLRR"}]},
        "param_scheduler.main.1.type",
        "did you mean 'StepLR'",
    ),
    "per-optimizer-param-name": (
        {"main": [{"type": "StepParamScheduler", "param_name": "moment", "step_size": 1}]},
        "param_scheduler.main.0.param_name",
        "did you mean 'momentum'",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_check_rejects_bad_schedulers_with_their_paths(name: str) -> None:
    value, path, match = BAD[name]
    errors, _ = check_config(
        toy_cfg(
            param_scheduler=value, optim_wrapper=optim_for(name, ("main",)), **validation_for(value)
        )
    )
    assert [error.config_path for error in errors] == [path]
    assert re.search(match, str(errors[0]))


def test_from_cfg_fills_end_from_the_loop() -> None:
    cfg = toy_cfg(
        param_scheduler=[
            {"type": "LinearLR", "start_factor": 0.5, "by_epoch": False},  # 3 epochs x 4 iters
            {"type": "CosineAnnealingMomentum", "eta_min": 0.5},  # 3 epochs
        ]
    )
    runner = Runner.from_cfg(cfg)
    assert [(s.begin, s.end) for s in runner.param_schedulers] == [(0, 12), (0, 3)]
    assert runner.param_schedulers[1].T_max == 3
    runner.train()
    assert runner.optim_wrapper.get_lr()["lr"] == [pytest.approx(0.1)]
    # the cosine's last step is end - 1 = 2: 0.5 + 0.4 * (1 + cos(2 pi / 3)) / 2
    assert runner.optim_wrapper.get_momentum()["momentum"] == [pytest.approx(0.6)]


def test_from_cfg_with_an_iteration_loop() -> None:
    cfg = toy_cfg(
        train_cfg={"by_epoch": False, "max_iters": 6},
        param_scheduler={"type": "PolyLR", "by_epoch": False, "eta_min": 0.0},
    )
    runner = Runner.from_cfg(cfg)
    assert runner.param_schedulers[0].end == 6
    runner.train()
    assert runner.optim_wrapper.get_lr()["lr"] == [pytest.approx(0.0)]
