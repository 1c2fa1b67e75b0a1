"""``regwire check`` of the optimization sections: what always fails to build is reported
before anything is built, with its path; what builds is not refused."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from container import ConfigError
from runner import build_param_schedulers
from runner.app import check_config
from runner.optim import load_scheduler_states

from ._sim import epoch_loop, make_optimizer


class TwoNets(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gen = nn.Linear(2, 2)
        self.disc = nn.Linear(2, 1)


READY = TwoNets()  # a ready model: nothing to check


def cfg_with(**changes: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "model": READY,
        "train_dataloader": {"batch_size": 4, "dataset": object()},
        "train_cfg": {"by_epoch": True, "max_epochs": 2},
        "optim_wrapper": {"optimizer": {"type": "Adam", "lr": 0.1}},
    }
    cfg.update(changes)
    return cfg


VALIDATION: dict[str, Any] = {
    "val_dataloader": {"batch_size": 4, "dataset": object()},
    "val_cfg": {},
    "val_evaluator": {"type": "Accuracy"},
}


def errors_of(**changes: Any) -> list[tuple[str, str]]:
    errors, _ = check_config(cfg_with(**changes))
    return [(str(error.config_path), str(error)) for error in errors]


def test_the_default_end_is_applied_and_named() -> None:
    found = errors_of(param_scheduler=[{"type": "CosineAnnealingLR", "begin": 3}])
    assert [path for path, _ in found] == ["param_scheduler.0.end"]
    assert "train_cfg.max_epochs (2), which is not after begin (3)" in found[0][1]
    iters = errors_of(
        train_cfg={"by_epoch": False, "max_iters": 5},
        param_scheduler=[{"type": "LinearLR", "by_epoch": False, "begin": 5}],
    )
    assert "train_cfg.max_iters (5)" in iters[0][1]
    assert errors_of(param_scheduler=[{"type": "CosineAnnealingLR", "begin": 1}]) == []


def test_the_train_time_message_says_where_the_end_came_from() -> None:
    with pytest.raises(ConfigError, match=r"train_cfg\.max_epochs \(2\), which is not after"):
        build_param_schedulers(
            make_optimizer(),
            [{"type": "CosineAnnealingLR", "begin": 3}],
            train_loop=epoch_loop(2, 4),
        )


def test_per_optimizer_schedulers_need_the_optimizers_names() -> None:
    per = {"gen": [{"type": "StepLR", "step_size": 1}]}
    assert [p for p, _ in errors_of(param_scheduler=per)] == ["param_scheduler"]
    two = {
        "gen": {"optimizer": {"type": "Adam", "lr": 0.1}},
        "disc": {"optimizer": {"type": "SGD", "lr": 0.1}},
    }
    assert errors_of(optim_wrapper=two, param_scheduler={"gen": [], "disc": []}) == []
    found = errors_of(optim_wrapper=two, param_scheduler={"gne": [], "disc": []})
    assert [p for p, _ in found] == ["param_scheduler.gne", "param_scheduler"]
    assert "did you mean 'gen'?" in found[0][1]


@pytest.mark.parametrize(
    ("optimizer", "entry", "path", "match"),
    [
        ("Adagrad", {"type": "StepMomentum", "step_size": 1}, "type", "neither momentum nor"),
        ("Adam", {"type": "ReduceOnPlateauLR", "by_epoch": False}, "by_epoch", "must be true"),
        (
            "Adam",
            {"type": "ReduceOnPlateauLR", "convert_to_iter_based": True},
            "convert_to_iter_based",
            "cannot be converted",
        ),
        (
            "Adam",
            {"type": "CosineAnnealingLR", "eta_min": 0.0, "eta_min_ratio": 0.1},
            "eta_min_ratio",
            "not be given with eta_min",
        ),
        ("Adam", {"type": "CosineRestartLR", "periods": [2]}, "eta_min", "one of them"),
        (
            "Adam",
            {"type": "CosineRestartLR", "periods": [1, 1], "eta_min": 0.0},
            "restart_weights",
            r"one weight per period \(2\), got 1",
        ),
        ("Adam", {"type": "ConstantLR", "factor": 0}, "factor", r"must be in \(0, 1\]"),
        ("Adam", {"type": "ConstantLR", "factor": 1.5}, "factor", r"must be in \(0, 1\]"),
        ("Adam", {"type": "LinearLR", "start_factor": 0}, "start_factor", r"\(0, 1\]"),
        ("Adam", {"type": "StepLR", "step_size": 0}, "step_size", "at least 1"),
        ("Adam", {"type": "OneCycleLR", "pct_start": 2}, "pct_start", r"\[0, 1\]"),
    ],
)
def test_what_always_fails_to_build_is_a_check_error(
    optimizer: str, entry: dict[str, Any], path: str, match: str
) -> None:
    found = errors_of(
        optim_wrapper={"optimizer": {"type": optimizer, "lr": 0.1}},
        param_scheduler=[entry],
        **VALIDATION,  # a plateau scheduler needs it
    )
    assert [p for p, _ in found] == [f"param_scheduler.0.{path}"]
    assert any(__import__("re").search(match, message) for _, message in found)
    params = [torch.nn.Parameter(torch.zeros(1))]
    with pytest.raises(Exception, match=match):  # and the build refuses it alike
        build_param_schedulers(
            getattr(torch.optim, optimizer)(params, lr=0.1),
            [entry],
            epoch_length=3,
            train_loop=epoch_loop(2, 3),
        )


def test_param_name_sees_what_earlier_entries_add() -> None:
    chain = [
        {"type": "CosineAnnealingMomentum", "eta_min": 0.8},
        {"type": "ExponentialParamScheduler", "param_name": "momentum", "gamma": 0.9},
    ]
    assert errors_of(param_scheduler=chain) == []
    params = [torch.nn.Parameter(torch.zeros(1))]
    schedulers = build_param_schedulers(
        torch.optim.Adam(params, lr=0.1), chain, train_loop=epoch_loop(2, 3)
    )
    assert len(schedulers) == 2
    reversed_chain = errors_of(param_scheduler=chain[::-1])
    assert [p for p, _ in reversed_chain] == ["param_scheduler.0.param_name"]


def test_a_momentum_scheduler_given_param_name_is_one_error() -> None:
    found = errors_of(
        param_scheduler=[{"type": "StepMomentum", "step_size": 1, "param_name": "momentum"}]
    )
    assert [p for p, _ in found] == ["param_scheduler.0.param_name"]
    assert "takes no argument 'param_name'" in found[0][1]


def test_the_new_optim_wrapper_keys_are_checked() -> None:
    wrapper = {
        "type": "AmpOptimWrapper",
        "dtype": "bfloat",
        "constructor": "DefaultOptimWrapperConstructr",
        "optimizer": {"type": "SGD", "lr": 0.1},
        "paramwise_cfg": {"bias_lr_mul": 2, "norm_decay_mult": 0, "custom_keys": {"x": 3}},
    }
    found = dict(errors_of(optim_wrapper=wrapper))
    assert list(found) == ["optim_wrapper.constructor"]  # another constructor reads the rest
    assert "did you mean 'DefaultOptimWrapperConstructor'" in found["optim_wrapper.constructor"]
    wrapper["constructor"] = "DefaultOptimWrapperConstructor"
    found = dict(errors_of(optim_wrapper=wrapper))
    assert "did you mean 'bfloat16'" in found["optim_wrapper.dtype"]
    assert "did you mean 'bias_lr_mult'" in found["optim_wrapper.paramwise_cfg.bias_lr_mul"]
    assert "weight_decay" in found["optim_wrapper.paramwise_cfg.norm_decay_mult"]
    assert "must be a mapping" in found["optim_wrapper.paramwise_cfg.custom_keys.x"]
    assert "auto_scale_lr.base_batch_size" in dict(errors_of(auto_scale_lr={"enable": True}))
    assert errors_of(auto_scale_lr={"enable": True, "base_batch_size": 16}) == []


def test_float16_without_cuda_is_a_check_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GPU config is checked on a CPU host too: the check warns, the build refuses."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    wrapper = {
        "type": "AmpOptimWrapper",
        "dtype": "float16",
        "optimizer": {"type": "SGD", "lr": 0.1},
    }
    errors, warnings = check_config(cfg_with(optim_wrapper=wrapper))
    assert errors == []
    found = {str(w.config_path): str(w) for w in warnings}
    assert "needs CUDA" in found["optim_wrapper.dtype"]
    assert "bfloat16" in found["optim_wrapper.dtype"]
    errors, warnings = check_config(cfg_with(optim_wrapper={"gen": wrapper}))
    assert errors == []
    assert [str(w.config_path) for w in warnings] == ["optim_wrapper.gen.dtype"]


def test_amp_loss_scale_is_checked() -> None:
    wrapper: dict[str, Any] = {
        "type": "AmpOptimWrapper",
        "dtype": "bfloat16",
        "loss_scale": "dynamc",
        "optimizer": {"type": "SGD", "lr": 0.1},
    }
    found = dict(errors_of(optim_wrapper={"gen": wrapper}))
    assert "did you mean 'dynamic'" in found["optim_wrapper.gen.loss_scale"]
    wrapper["loss_scale"] = 512.0  # MMEngine makes a scaler with bfloat16 too
    assert errors_of(optim_wrapper={"gen": wrapper}) == []


def test_a_changed_scheduler_list_is_a_config_error_on_resume() -> None:
    optimizer = make_optimizer()
    old = build_param_schedulers(
        optimizer, [{"type": "StepLR", "step_size": 1}], train_loop=epoch_loop(2, 1)
    )
    states = [s.state_dict() for s in old]
    two = build_param_schedulers(
        make_optimizer(),
        [{"type": "LinearLR", "by_epoch": False, "end": 3}, {"type": "StepLR", "step_size": 1}],
        train_loop=epoch_loop(2, 1),
    )
    with pytest.raises(ConfigError, match=r"'resume': ckpt\.pth holds the states of 1") as info:
        load_scheduler_states(two, states, "ckpt.pth")
    assert info.value.config_path == "resume"
    other = build_param_schedulers(
        make_optimizer(),
        [{"type": "LinearLR", "by_epoch": False, "end": 3}],
        train_loop=epoch_loop(2, 1),
    )
    with pytest.raises(ConfigError, match=r"LinearLR\) cannot take state 0 of ckpt\.pth") as info:
        load_scheduler_states(other, states, "ckpt.pth")
    assert info.value.config_path == "param_scheduler.0"
    load_scheduler_states(old, states, "ckpt.pth")  # the same list loads


def test_custom_keys_entries_are_checked_as_the_build_does() -> None:
    wrapper: dict[str, Any] = {
        "optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 1e-4},
        "paramwise_cfg": {"custom_keys": {"backbone": {"lr_mul": 0.1, "decay_mul": 0}}},
    }
    found = dict(errors_of(optim_wrapper=wrapper))
    assert (
        "did you mean 'lr_mult'" in found["optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mul"]
    )
    assert (
        "did you mean 'decay_mult'"
        in found["optim_wrapper.paramwise_cfg.custom_keys.backbone.decay_mul"]
    )
    wrapper["paramwise_cfg"] = {"custom_keys": {"backbone": {"momentum": 0.5}}}
    assert errors_of(optim_wrapper=wrapper) == []
    wrapper["paramwise_cfg"] = {"layer_decay_rate": 0.5}
    assert list(dict(errors_of(optim_wrapper=wrapper))) == [
        "optim_wrapper.paramwise_cfg.layer_decay_rate"
    ]


def test_a_misspelt_section_key_suggests_it() -> None:
    wrapper = {"constructer": "DefaultOptimWrapperConstructor", "optimizer": {"type": "SGD"}}
    found = errors_of(optim_wrapper=wrapper)
    assert [path for path, _ in found] == ["optim_wrapper.constructer"]
    assert "did you mean 'constructor'" in found[0][1]
    from runner import build_optim_wrapper

    with pytest.raises(ConfigError, match="did you mean 'paramwise_cfg'") as info:
        build_optim_wrapper(TwoNets(), {"paramwise_cf": {}, "optimizer": {"type": "SGD", "lr": 1}})
    assert info.value.config_path == "optim_wrapper.paramwise_cf"


def test_the_summary_names_each_optimizer_of_a_dict() -> None:
    from runner.app._checks import summary

    one = summary(cfg_with())
    assert "optimizer Adam" in one
    several = summary(
        cfg_with(
            optim_wrapper={
                "gen": {"optimizer": {"type": "Adam", "lr": 0.1}},
                "disc": {"optimizer": {"type": "SGD", "lr": 0.1}},
            }
        )
    )
    assert "optimizers gen Adam, disc SGD" in several


def test_a_plateau_scheduler_without_validation_is_an_error() -> None:
    plateau = [{"type": "ReduceOnPlateauLR", "monitor": "loss", "patience": 1}]
    found = errors_of(param_scheduler=[{"type": "StepLR", "step_size": 1}, *plateau])
    assert [path for path, _ in found] == ["param_scheduler.1.type"]
    assert "steps on a validation metric" in found[0][1]
    found = errors_of(
        param_scheduler={"gen": plateau, "disc": []},
        optim_wrapper={
            "gen": {"optimizer": {"type": "SGD", "lr": 0.1}},
            "disc": {"optimizer": {"type": "SGD", "lr": 0.1}},
        },
    )
    assert [path for path, _ in found] == ["param_scheduler.gen.0.type"]
    assert errors_of(param_scheduler=plateau, **VALIDATION) == []
