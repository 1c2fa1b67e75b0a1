"""Optimizer-wrapper constructors: paramwise_cfg groups (side by side with MMEngine's
constructor where it is installed), several optimizers, auto_scale_lr."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import torch
from torch import nn

from container import ConfigError
from runner import (
    OptimWrapperDict,
    build_optim_wrapper,
    build_param_schedulers,
)
from runner.optim import DefaultOptimWrapperConstructor, scale_lr

from ._sim import epoch_loop


class Net(nn.Module):
    """Every rule of paramwise_cfg has a parameter to act on."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.dwconv = nn.Conv2d(4, 4, 3, groups=4)
        self.norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 2)
        self.scale = nn.Parameter(torch.ones(3))  # a flat parameter at the top
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


PARAMWISE: list[dict[str, Any]] = [
    {"bias_lr_mult": 2.0, "bias_decay_mult": 0.0},
    {"norm_decay_mult": 0.0, "dwconv_decay_mult": 0.5, "flat_decay_mult": 0.1},
    {
        "custom_keys": {
            "backbone": {"lr_mult": 0.1},
            "backbone.0": {"lr_mult": 0.5, "decay_mult": 2.0},
        }
    },
    {"custom_keys": {"head": {"lr_mult": 10.0, "decay_mult": 0.0}}, "bias_lr_mult": 3.0},
    {"custom_keys": {".scale": {"decay_mult": 0.0}}, "norm_decay_mult": 0.0},
]


def groups_of(optimizer: torch.optim.Optimizer, model: nn.Module) -> list[tuple[str, float, float]]:
    names = {id(p): n for n, p in model.named_parameters()}
    return [
        (names[id(group["params"][0])], group["lr"], group["weight_decay"])
        for group in optimizer.param_groups
    ]


def build(paramwise_cfg: dict[str, Any], optimizer: str = "SGD") -> tuple[Net, Any]:
    model = Net()
    cfg = {
        "optimizer": {"type": optimizer, "lr": 0.1, "weight_decay": 1e-4},
        "paramwise_cfg": paramwise_cfg,
    }
    return model, build_optim_wrapper(model, cfg)


def test_multipliers_reach_the_right_groups() -> None:
    model, wrapper = build(PARAMWISE[0] | PARAMWISE[1])
    groups = {name: (lr, wd) for name, lr, wd in groups_of(wrapper.optimizer, model)}
    assert "frozen.weight" not in groups  # frozen parameters are left out, as MMEngine does
    assert groups["head.bias"] == pytest.approx((0.2, 0.0))
    assert groups["head.weight"] == pytest.approx((0.1, 1e-4))
    assert groups["backbone.1.weight"] == pytest.approx((0.1, 0.0))  # a norm's weight
    assert groups["backbone.1.bias"] == pytest.approx((0.1, 0.0))  # no bias_lr_mult in norms
    assert groups["dwconv.weight"] == pytest.approx((0.1, 0.5e-4))
    assert groups["scale"] == pytest.approx((0.1, 1e-5))  # flat
    model, wrapper = build(PARAMWISE[2])
    groups = {name: (lr, wd) for name, lr, wd in groups_of(wrapper.optimizer, model)}
    assert groups["backbone.0.weight"] == pytest.approx((0.05, 2e-4))  # the longest key wins
    assert groups["backbone.1.weight"] == pytest.approx((0.01, 1e-4))
    assert groups["head.weight"] == pytest.approx((0.1, 1e-4))


def test_a_custom_key_that_matches_nothing_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        build({"custom_keys": {"neck": {"lr_mult": 0.1}, "head": {"lr_mult": 2.0}}})
    assert "optim_wrapper.paramwise_cfg.custom_keys.neck matches no parameter" in caplog.text
    assert "custom_keys.head" not in caplog.text


def test_bad_paramwise_keys_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean 'norm_decay_mult'") as info:
        build({"norm_decay_mul": 0.0})
    assert info.value.config_path == "optim_wrapper.paramwise_cfg.norm_decay_mul"
    with pytest.raises(ConfigError, match=r"set optimizer\.weight_decay"):
        build_optim_wrapper(
            Net(),
            {"optimizer": {"type": "SGD", "lr": 0.1}, "paramwise_cfg": {"bias_decay_mult": 0}},
        )
    with pytest.raises(ConfigError, match="did you mean 'DefaultOptimWrapperConstructor'"):
        build_optim_wrapper(
            Net(), {"constructor": "DefaultConstructor", "optimizer": {"type": "SGD", "lr": 0.1}}
        )


def test_bypass_duplicate_skips_shared_parameters() -> None:
    model = Net()
    model.tied = model.head  # the same parameters under two names
    cfg = {"optimizer": {"type": "SGD", "lr": 0.1}, "paramwise_cfg": {"bypass_duplicate": True}}
    wrapper = build_optim_wrapper(model, cfg)
    assert wrapper is not None
    ids = [id(group["params"][0]) for group in wrapper.optimizer.param_groups]
    assert len(ids) == len(set(ids))


def test_another_constructor_gets_the_section_and_paramwise_cfg() -> None:
    calls = []

    class Recording:
        def __init__(self, optim_wrapper_cfg: dict[str, Any], paramwise_cfg: Any = None) -> None:
            calls.append((optim_wrapper_cfg, paramwise_cfg))

        def __call__(self, model: nn.Module) -> Any:
            from runner import OptimWrapper

            return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))

    wrapper = build_optim_wrapper(  # a class, as a Python config gives it
        Net(), {"constructor": Recording, "optimizer": {"type": "SGD"}, "paramwise_cfg": {"x": 1}}
    )
    assert calls == [({"optimizer": {"type": "SGD"}}, {"x": 1})]
    assert wrapper is not None
    assert wrapper.get_lr() == {"lr": [0.5]}


class Gan(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.generator = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)


def test_two_optimizers_with_a_dict_of_scheduler_lists() -> None:
    model = Gan()
    wrappers = build_optim_wrapper(
        model,
        {
            "generator": {"optimizer": {"type": "Adam", "lr": 0.1}},
            "discriminator": {
                "optimizer": {"type": "SGD", "lr": 0.2},
                "clip_grad": {"max_norm": 1},
            },
        },
    )
    assert isinstance(wrappers, OptimWrapperDict)
    assert list(wrappers.keys()) == ["generator", "discriminator"]
    schedulers = build_param_schedulers(
        wrappers,
        {
            "generator": [{"type": "StepLR", "step_size": 1, "gamma": 0.5}],
            "discriminator": [{"type": "ConstantLR", "factor": 0.5, "end": 2}],
        },
        train_loop=epoch_loop(4, 1),
    )
    assert wrappers.get_lr() == {"generator.lr": [0.1], "discriminator.lr": [0.1]}
    x = torch.ones(3, 2)
    for _ in range(2):  # a GAN's train_step: each optimizer updated with its own loss
        wrappers["discriminator"].update_params(model.discriminator(x).sum())
        wrappers["generator"].update_params(model.generator(x).pow(2).sum())
        for scheduler in schedulers:
            scheduler.step()
    assert wrappers.get_lr() == {"generator.lr": [0.025], "discriminator.lr": [pytest.approx(0.2)]}
    assert set(wrappers.get_momentum()) == {"generator.momentum", "discriminator.momentum"}
    with pytest.raises(NotImplementedError, match=r"optim_wrapper\['generator'\]\.update_params"):
        wrappers.update_params(x.sum())
    state = wrappers.state_dict()
    again = build_optim_wrapper(
        Gan(),
        {
            "constructor": "MultiOptimWrapperConstructor",
            "generator": {"optimizer": {"type": "Adam", "lr": 0.1}},
            "discriminator": {"optimizer": {"type": "SGD", "lr": 0.2}},
        },
    )
    assert isinstance(again, OptimWrapperDict)
    again.load_state_dict(state)
    assert again.get_lr() == wrappers.get_lr()
    with pytest.raises(ConfigError, match="names no submodule of Gan; did you mean 'generator'"):
        build_optim_wrapper(Gan(), {"generatr": {"optimizer": {"type": "SGD", "lr": 0.1}}})


def test_auto_scale_lr_scales_by_world_size_times_batch_size() -> None:
    _model, wrapper = build(PARAMWISE[0])
    before = [group["lr"] for group in wrapper.optimizer.param_groups]
    assert scale_lr(wrapper, {"enable": False, "base_batch_size": 16}, 32, 2) is None
    assert scale_lr(wrapper, {"enable": True, "base_batch_size": 16}, 32, 2) == 4.0
    assert [group["lr"] for group in wrapper.optimizer.param_groups] == [lr * 4 for lr in before]
    gan = build_optim_wrapper(Gan(), {"generator": {"optimizer": {"type": "SGD", "lr": 0.1}}})
    assert scale_lr(gan, {"enable": True, "base_batch_size": 8}, 4, 1) == 0.5
    assert gan is not None
    assert gan.get_lr() == {"generator.lr": [0.05]}
    with pytest.raises(ConfigError, match="base_batch_size"):
        scale_lr(wrapper, {"enable": True}, 32, 1)


def test_auto_scale_lr_in_a_run() -> None:
    from runner import Runner

    from ..app.test_app import toy_cfg

    runner = Runner.from_cfg(
        toy_cfg(auto_scale_lr={"enable": True, "base_batch_size": 16}, param_scheduler=None)
    )
    assert runner.optim_wrapper is not None
    assert runner.optim_wrapper.get_lr() == {"lr": [pytest.approx(0.1 * 4 / 16)]}


def mmengine_groups(
    model: nn.Module, paramwise_cfg: dict[str, Any]
) -> list[tuple[str, float, float]]:
    from mmengine.optim import DefaultOptimWrapperConstructor as Theirs

    cfg = {"type": "OptimWrapper", "optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 1e-4}}
    wrapper = Theirs(cfg, paramwise_cfg)(model)
    return groups_of(wrapper.optimizer, model)


@pytest.mark.parametrize("paramwise_cfg", PARAMWISE)
def test_groups_match_mmengine_side_by_side(paramwise_cfg: dict[str, Any]) -> None:
    pytest.importorskip("mmengine.optim")
    model, wrapper = build(paramwise_cfg)
    ours = groups_of(wrapper.optimizer, model)
    assert ours == mmengine_groups(Net(), paramwise_cfg)
    assert len({lr for _, lr, _ in ours} | {wd for _, _, wd in ours}) > 2  # multipliers acted


class LayerDecay(DefaultOptimWrapperConstructor):
    """mmpretrain's layer-decay pattern: ``add_params`` overridden, a key of its own."""

    def add_params(
        self, params: list[dict[str, Any]], module: nn.Module, prefix: str = "", **kwargs: Any
    ) -> None:
        rate = self.paramwise_cfg["layer_decay_rate"]
        assert self.base_lr is not None
        for index, (_name, param) in enumerate(module.named_parameters()):
            params.append({"params": [param], "lr": self.base_lr * rate**index})


class FrozenHead(DefaultOptimWrapperConstructor):
    """Overrides ``add_params`` for one subtree and leaves the rest to the default."""

    def add_params(
        self, params: list[dict[str, Any]], module: nn.Module, prefix: str = "", **kwargs: Any
    ) -> None:
        if prefix == "head":
            return
        super().add_params(params, module, prefix, **kwargs)


def test_a_subclass_overriding_add_params_is_called() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    cfg = {
        "constructor": LayerDecay,
        "optimizer": {"type": "SGD", "lr": 1.0, "weight_decay": 0.1},
        "paramwise_cfg": {"layer_decay_rate": 0.5},  # not MMEngine's key: the subclass's
    }
    wrapper = build_optim_wrapper(model, cfg)
    assert wrapper is not None
    assert [group["lr"] for group in wrapper.optimizer.param_groups] == [1.0, 0.5, 0.25, 0.125]
    cfg["constructor"] = FrozenHead  # the default recursion goes through self.add_params
    cfg["paramwise_cfg"] = {"bias_lr_mult": 2.0}
    model = Net()
    wrapper = build_optim_wrapper(model, cfg)
    assert wrapper is not None
    names = [name for name, _, _ in groups_of(wrapper.optimizer, model)]
    assert "backbone.0.bias" in names
    assert not [name for name in names if name.startswith("head")]
    with pytest.raises(ConfigError, match="not a paramwise_cfg key") as info:
        build({"layer_decay_rate": 0.5})  # the default constructor knows its keys
    assert info.value.config_path == "optim_wrapper.paramwise_cfg.layer_decay_rate"


def test_a_subclass_keeps_mmengine_signature_without_section() -> None:
    class Plain(DefaultOptimWrapperConstructor):
        def __init__(self, optim_wrapper_cfg: dict[str, Any], paramwise_cfg: Any = None) -> None:
            super().__init__(optim_wrapper_cfg, paramwise_cfg)

    wrapper = build_optim_wrapper(Net(), {"constructor": Plain, "optimizer": {"type": "SGD"}})
    assert wrapper is not None


def test_a_typo_in_a_custom_keys_entry_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="did you mean 'lr_mult'") as info:
        build({"custom_keys": {"backbone": {"lr_mul": 0.1}}})
    assert info.value.config_path == "optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mul"
    with pytest.raises(ConfigError, match="did you mean 'decay_mult'"):
        build({"custom_keys": {"backbone": {"decay_mul": 0}}})
    model, wrapper = build({"custom_keys": {"head": {"lr_mult": 2.0, "momentum": 0.5}}})
    names = [name for name, _, _ in groups_of(wrapper.optimizer, model)]
    groups = wrapper.optimizer.param_groups
    momenta = {name: group["momentum"] for name, group in zip(names, groups, strict=True)}
    assert momenta["head.weight"] == 0.5  # an optimizer's group key is a legal entry key
