"""The generic ``*ParamScheduler`` family (``param_name``), the ``*Momentum`` family (SGD's
momentum, Adam's first beta), ``ReduceOnPlateau*``, and schedulers for several optimizers."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest

from container import BuildError, ConfigError
from runner import (
    PARAM_SCHEDULERS,
    OptimWrapper,
    ReduceOnPlateauLR,
    build_param_schedulers,
)

from ._sim import cosine, epoch_loop, iter_loop, make_optimizer, simulate

GENERIC = [
    "Constant",
    "Linear",
    "Step",
    "MultiStep",
    "Exponential",
    "CosineAnnealing",
    "Poly",
    "CosineRestart",
    "ReduceOnPlateau",
]


def test_every_family_is_registered() -> None:
    for stem in GENERIC:
        for suffix in ("ParamScheduler", "LR", "Momentum"):
            assert f"{stem}{suffix}" in PARAM_SCHEDULERS, f"{stem}{suffix}"
    assert "OneCycleParamScheduler" in PARAM_SCHEDULERS
    assert "OneCycleLR" in PARAM_SCHEDULERS
    assert "OneCycleMomentum" not in PARAM_SCHEDULERS  # MMEngine has none either


@pytest.mark.parametrize("stem", GENERIC)
def test_fixed_families_have_the_generic_signature_without_param_name(stem: str) -> None:
    generic = inspect.signature(PARAM_SCHEDULERS.get(f"{stem}ParamScheduler"))
    assert "param_name" in generic.parameters
    for suffix in ("LR", "Momentum"):
        fixed = inspect.signature(PARAM_SCHEDULERS.get(f"{stem}{suffix}"))
        assert list(fixed.parameters) == [n for n in generic.parameters if n != "param_name"]


def test_an_lr_scheduler_rejects_param_name() -> None:
    with pytest.raises(BuildError, match="param_name"):
        build_param_schedulers(
            make_optimizer(), {"type": "StepLR", "step_size": 1, "param_name": "momentum"}
        )


def test_weight_decay_by_param_name() -> None:
    optimizer = make_optimizer(weight_decay=0.01)
    cfg = {
        "type": "CosineAnnealingParamScheduler",
        "param_name": "weight_decay",
        "eta_min": 0.001,
        "by_epoch": False,
    }
    schedulers = build_param_schedulers(optimizer, cfg, train_loop=iter_loop(8))
    got = simulate(optimizer, schedulers, iter_loop(8), 8, key="weight_decay")
    assert got == pytest.approx([cosine(0.01, 0.001, t, 8) for t in range(8)])
    assert optimizer.param_groups[0]["lr"] == 0.1  # untouched
    assert optimizer.param_groups[0]["initial_weight_decay"] == 0.01


def test_generic_and_lr_schedulers_chain_on_different_keys() -> None:
    optimizer = make_optimizer(momentum=0.9, weight_decay=1e-4)
    cfg = [
        {"type": "StepLR", "step_size": 1, "gamma": 0.5},
        {"type": "StepParamScheduler", "param_name": "weight_decay", "step_size": 2, "gamma": 0.1},
    ]
    loop = epoch_loop(4, 1)
    schedulers = build_param_schedulers(optimizer, cfg, train_loop=loop)
    lr = simulate(optimizer, schedulers, loop, 1)
    optimizer = make_optimizer(momentum=0.9, weight_decay=1e-4)
    schedulers = build_param_schedulers(optimizer, cfg, train_loop=loop)
    decay = simulate(optimizer, schedulers, loop, 1, key="weight_decay")
    assert lr == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    assert decay == pytest.approx([1e-4, 1e-4, 1e-5, 1e-5])


def test_sgd_momentum_schedule() -> None:
    optimizer = make_optimizer(momentum=0.9)
    cfg = {"type": "LinearMomentum", "start_factor": 0.5, "by_epoch": False}
    schedulers = build_param_schedulers(optimizer, cfg, train_loop=iter_loop(6))
    got = simulate(optimizer, schedulers, iter_loop(6), 6, key="momentum")
    assert got == pytest.approx([0.9 * (0.5 + 0.5 * t / 5) for t in range(6)])


@pytest.mark.parametrize("kind", ["Adam", "AdamW"])
def test_adam_first_beta_is_the_momentum(kind: str) -> None:
    optimizer = make_optimizer(kind, betas=(0.95, 0.999))
    cfg = {"type": "CosineAnnealingMomentum", "eta_min": 0.85, "by_epoch": False}
    schedulers = build_param_schedulers(optimizer, cfg, train_loop=iter_loop(5))
    got = simulate(optimizer, schedulers, iter_loop(5), 5, key="betas")
    assert got == pytest.approx([cosine(0.95, 0.85, t, 5) for t in range(5)])
    assert optimizer.param_groups[0]["betas"][1] == 0.999
    assert optimizer.param_groups[0]["momentum"] == optimizer.param_groups[0]["betas"][0]


def test_momentum_needs_an_optimizer_with_momentum() -> None:
    with pytest.raises(
        BuildError, match="Adagrad's parameter groups have neither momentum nor betas"
    ):
        build_param_schedulers(make_optimizer("Adagrad"), {"type": "StepMomentum", "step_size": 1})


def test_unknown_param_name_suggests_a_group_key() -> None:
    with pytest.raises(ConfigError, match=r"no 'momentun'; did you mean 'momentum'\?") as info:
        build_param_schedulers(
            make_optimizer(momentum=0.9),
            [{"type": "ExponentialParamScheduler", "param_name": "momentun", "gamma": 0.5}],
        )
    assert info.value.config_path == "param_scheduler.0.param_name"


def test_one_cycle_schedules_only_the_learning_rate() -> None:
    with pytest.raises(BuildError, match="OneCycle schedules only 'lr'"):
        build_param_schedulers(
            make_optimizer(momentum=0.9),
            {"type": "OneCycleParamScheduler", "param_name": "momentum", "eta_max": 1, "end": 5},
        )


# -- ReduceOnPlateau -------------------------------------------------------------------------


def plateau_values(cfg: dict[str, Any], metrics: list[float], optimizer: Any = None) -> list[float]:
    """The learning rate of each epoch, with validation ``metrics[epoch]`` after it."""
    optimizer = optimizer or make_optimizer(lr=1.0)
    (scheduler,) = build_param_schedulers(optimizer, cfg, train_loop=epoch_loop(len(metrics), 1))
    return simulate(
        optimizer,
        [scheduler],
        epoch_loop(len(metrics), 1),
        1,
        between=lambda epoch: scheduler.step({"loss": metrics[epoch], "acc": -metrics[epoch]}),
    )


def test_plateau_reduces_after_patience_bad_validations() -> None:
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85]
    got = plateau_values({"type": "ReduceOnPlateauLR", "patience": 2, "factor": 0.5}, metrics)
    # best 0.9 at epoch 1; bad at 2, 3, 4 (> patience 2): halved after epoch 4; best 0.8 at
    # 5; bad at 6, 7, 8: halved after 8
    assert got == pytest.approx([1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25])


def test_plateau_greater_rule_cooldown_threshold_and_min_value() -> None:
    cfg = {
        "type": "ReduceOnPlateauLR",
        "monitor": "acc",
        "rule": "greater",
        "patience": 0,
        "cooldown": 1,
        "factor": 0.1,
        "min_value": 0.005,
        "threshold": 0.5,
        "threshold_rule": "abs",
    }
    # acc = -loss: -1, -0.8 (not 0.5 better), then worse and worse
    got = plateau_values(cfg, [1.0, 0.8, 1.4, 1.6, 1.8, 2.0, 2.2])
    # bad at 1: x0.1 (cooldown 1); 2 ignored in cooldown; bad at 3: x0.1 -> 0.01; 4 ignored;
    # bad at 5: 0.001 -> clipped to min 0.005
    assert got == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01, 0.005])


def test_plateau_rel_threshold() -> None:
    cfg = {"type": "ReduceOnPlateauLR", "patience": 0, "factor": 0.5, "threshold": 0.1}
    # rel, less: improvement means < best * 0.9
    got = plateau_values(cfg, [1.0, 0.95, 0.85, 0.8])
    assert got == pytest.approx([1, 1, 0.5, 0.5])


def test_plateau_window_and_epoch_counting() -> None:
    cfg = {"type": "ReduceOnPlateauLR", "patience": 0, "factor": 0.5, "begin": 2}
    got = plateau_values(cfg, [1.0, 2.0, 3.0, 4.0, 5.0])
    # epochs 0, 1 are counted but not judged (the validation after epoch e sees e + 1
    # counted epochs); from epoch 1's validation on: 2.0 is best, then bad, bad, bad
    assert got == pytest.approx([1, 1, 1, 0.5, 0.25])


def test_plateau_momentum_with_adam() -> None:
    optimizer = make_optimizer("Adam", lr=1.0, betas=(0.9, 0.999))
    cfg = {"type": "ReduceOnPlateauMomentum", "patience": 0, "factor": 0.5}
    (scheduler,) = build_param_schedulers(optimizer, cfg, train_loop=epoch_loop(3, 1))
    scheduler.step()
    scheduler.step({"loss": 1.0})
    scheduler.step()
    scheduler.step({"loss": 2.0})
    assert optimizer.param_groups[0]["betas"] == pytest.approx((0.45, 0.999))


def test_plateau_missing_monitor_is_a_config_error_at_step_time() -> None:
    (scheduler,) = build_param_schedulers(
        make_optimizer(),
        [{"type": "StepLR", "step_size": 1}, {"type": "ReduceOnPlateauLR", "monitor": "acuracy"}],
    )[1:]
    with pytest.raises(
        ConfigError,
        match=r"'param_scheduler\.1\.monitor' is 'acuracy'.*\(accuracy, loss\); did you mean",
    ) as info:
        scheduler.step({"accuracy": 0.5, "loss": 1.0})
    assert info.value.config_path == "param_scheduler.1.monitor"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"by_epoch": False}, "by_epoch must be true: a plateau scheduler steps on the metrics"),
        ({"factor": 1.0}, "factor must be below 1"),
        ({"rule": "lesser"}, "did you mean 'less'"),
        ({"threshold_rule": "relative"}, "threshold_rule must be one of"),
        ({"min_value": [0.1, 0.2]}, "expected 1 values of min_value"),
    ],
)
def test_plateau_argument_errors(args: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ReduceOnPlateauLR(make_optimizer(), **args)


def test_plateau_state_round_trips() -> None:
    optimizer = make_optimizer(lr=1.0)
    scheduler = ReduceOnPlateauLR(optimizer, patience=1, factor=0.5)
    for loss in (1.0, 2.0):
        scheduler.step()
        scheduler.step({"loss": loss})
    state = scheduler.state_dict()
    again = ReduceOnPlateauLR(make_optimizer(lr=1.0), patience=1, factor=0.5)
    again.load_state_dict(state)
    assert (again.best, again.num_bad_epochs, again._global_step) == (1.0, 1, 2)


# -- several optimizers --------------------------------------------------------------------


def two_wrappers() -> dict[str, OptimWrapper]:
    return {
        "generator": OptimWrapper(make_optimizer(lr=0.1)),
        "discriminator": OptimWrapper(make_optimizer("Adam", lr=0.01)),
    }


def test_a_dict_of_lists_schedules_each_optimizer() -> None:
    wrappers = two_wrappers()
    cfg = {
        "generator": [{"type": "StepLR", "step_size": 1, "gamma": 0.5}],
        "discriminator": [
            {"type": "LinearLR", "start_factor": 0.5, "by_epoch": False, "end": 3},
            {"type": "ExponentialLR", "gamma": 0.1},
        ],
    }
    schedulers = build_param_schedulers(wrappers, cfg, epoch_length=2, train_loop=epoch_loop(3, 2))
    assert [type(s).__name__ for s in schedulers] == ["StepLR", "LinearLR", "ExponentialLR"]
    assert schedulers[0].optimizer is wrappers["generator"].optimizer
    assert schedulers[1].optimizer is wrappers["discriminator"].optimizer
    assert schedulers[1].config_path == "param_scheduler.discriminator.0"
    generator = wrappers["generator"].optimizer
    discriminator = wrappers["discriminator"].optimizer
    lrs = []
    for _ in range(3):
        for _ in range(2):
            lrs.append((generator.param_groups[0]["lr"], discriminator.param_groups[0]["lr"]))
            for scheduler in schedulers:
                if not scheduler.by_epoch:
                    scheduler.step()
        for scheduler in schedulers:
            if scheduler.by_epoch:
                scheduler.step()
    want_g = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    want_d = [0.005, 0.0075, 0.001, 0.001, 0.0001, 0.0001]
    assert [g for g, _ in lrs] == pytest.approx(want_g)
    assert [d for _, d in lrs] == pytest.approx(want_d)


def test_one_list_is_built_for_every_optimizer() -> None:
    wrappers = two_wrappers()
    schedulers = build_param_schedulers(wrappers, [{"type": "StepLR", "step_size": 1}])
    assert [s.optimizer for s in schedulers] == [w.optimizer for w in wrappers.values()]


@pytest.mark.parametrize(
    ("cfg", "match", "path"),
    [
        (
            {"generator": [], "discriminater": []},
            "is not one of the optimizers.*did you mean 'discriminator'",
            "param_scheduler.discriminater",
        ),
        ({"generator": []}, "no schedulers for optimizer 'discriminator'", "param_scheduler"),
    ],
)
def test_dict_of_lists_names_must_match(cfg: Any, match: str, path: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        build_param_schedulers(two_wrappers(), cfg)
    assert info.value.config_path == path


def test_dict_of_lists_with_one_optimizer_is_an_error() -> None:
    with pytest.raises(ConfigError, match="maps optimizer names to schedulers"):
        build_param_schedulers(make_optimizer(), {"main": [{"type": "StepLR", "step_size": 1}]})


def test_exponential_in_an_iteration_loop_counts_one_epoch() -> None:
    """An epoch-based scheduler in an iteration-based loop: end defaults to 1 (MMEngine's
    IterBasedTrainLoop has max_epochs 1), and it steps once, after training."""
    optimizer = make_optimizer()
    (scheduler,) = build_param_schedulers(
        optimizer, {"type": "ExponentialLR", "gamma": 0.5}, train_loop=iter_loop(5)
    )
    assert scheduler.end == 1
    assert simulate(optimizer, [scheduler], iter_loop(5), 5) == [0.1] * 5
    assert math.isclose(optimizer.param_groups[0]["lr"], 0.1)
