"""Param schedulers: MMEngine's begin/end semantics on torch schedulers, state, building."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from container import BuildError, ConfigError, RegistryError
from runner import (
    PARAM_SCHEDULERS,
    CosineAnnealingLR,
    LinearLR,
    MultiStepLR,
    OptimWrapper,
    build_dataloader,
    build_optim_wrapper,
    build_param_schedulers,
)


def make_wrapper(lr: float = 1.0) -> OptimWrapper:
    param = torch.nn.Parameter(torch.zeros(1))
    return OptimWrapper(torch.optim.SGD([param], lr=lr))


def run(wrapper: OptimWrapper, schedulers: list[Any], steps: int) -> list[float]:
    """The lr used at each of ``steps`` steps (optimizer first, then schedulers)."""
    lrs = []
    param = wrapper.param_groups[0]["params"][0]
    for _ in range(steps):
        lrs.append(wrapper.get_lr()["lr"][0])
        param.grad = torch.ones(1)
        wrapper.step()
        for scheduler in schedulers:
            scheduler.step()
    return lrs


def test_all_mmengine_names_are_registered() -> None:
    for name in (
        "StepLR",
        "MultiStepLR",
        "CosineAnnealingLR",
        "LinearLR",
        "ExponentialLR",
        "ConstantLR",
        "PolyLR",
        "OneCycleLR",
    ):
        assert name in PARAM_SCHEDULERS


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        ({"type": "StepLR", "step_size": 2, "gamma": 0.5}, [1, 1, 0.5, 0.5, 0.25]),
        ({"type": "MultiStepLR", "milestones": [1, 3], "gamma": 0.1}, [1, 0.1, 0.1, 0.01, 0.01]),
        ({"type": "ExponentialLR", "gamma": 0.5}, [1, 0.5, 0.25, 0.125, 0.0625]),
        ({"type": "LinearLR", "start_factor": 0.2, "end": 5}, [0.2, 0.4, 0.6, 0.8, 1, 1]),
        ({"type": "ConstantLR", "factor": 0.5, "end": 4}, [0.5, 0.5, 0.5, 1, 1]),
        ({"type": "PolyLR", "eta_min": 0.0, "power": 1.0, "end": 5}, [1, 0.75, 0.5, 0.25, 0, 0]),
        (
            {"type": "CosineAnnealingLR", "end": 4},
            [1, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2, None],
        ),
    ],
)
def test_schedules(cfg: dict[str, Any], expected: list[float | None]) -> None:
    wrapper = make_wrapper()
    schedulers = build_param_schedulers(wrapper, cfg)
    lrs = run(wrapper, schedulers, len(expected))
    for got, want in zip(lrs, expected, strict=True):
        if want is not None:
            assert got == pytest.approx(want, abs=1e-9)


def test_cosine_stops_at_end() -> None:
    wrapper = make_wrapper()
    schedulers = build_param_schedulers(wrapper, {"type": "CosineAnnealingLR", "end": 4})
    lrs = run(wrapper, schedulers, 8)
    assert lrs[4:] == [lrs[3]] * 4  # frozen from `end` on


def test_warmup_then_decay_chain_with_begin() -> None:
    wrapper = make_wrapper()
    schedulers = build_param_schedulers(
        wrapper,
        [
            {"type": "LinearLR", "start_factor": 0.5, "begin": 0, "end": 3, "by_epoch": False},
            {"type": "StepLR", "step_size": 1, "gamma": 0.5, "begin": 4, "by_epoch": False},
        ],
    )
    assert [s.by_epoch for s in schedulers] == [False, False]
    assert run(wrapper, schedulers, 7) == pytest.approx([0.5, 0.75, 1, 1, 1, 0.5, 0.25])


def test_one_cycle_goes_up_then_down() -> None:
    wrapper = make_wrapper(lr=0.1)
    schedulers = build_param_schedulers(wrapper, {"type": "OneCycleLR", "eta_max": 1.0, "end": 10})
    lrs = run(wrapper, schedulers, 10)
    peak = lrs.index(max(lrs))
    assert lrs[0] == pytest.approx(1.0 / 25)
    assert 0 < peak < 9
    assert max(lrs) == pytest.approx(1.0, rel=0.05)
    assert lrs[-1] < lrs[0]


def test_state_dict_resumes_the_schedule() -> None:
    cfg = [
        {"type": "LinearLR", "start_factor": 0.5, "end": 3},
        {"type": "MultiStepLR", "milestones": [2, 4], "gamma": 0.1, "begin": 2},
    ]
    wrapper = make_wrapper()
    schedulers = build_param_schedulers(wrapper, cfg)
    full = run(wrapper, schedulers, 10)

    first = make_wrapper()
    before = build_param_schedulers(first, cfg)
    head = run(first, before, 3)
    states = [s.state_dict() for s in before]
    optimizer_state = first.state_dict()

    second = make_wrapper()
    after = build_param_schedulers(second, cfg)  # built first, as a runner does
    second.load_state_dict(optimizer_state)
    for scheduler, state in zip(after, states, strict=True):
        scheduler.load_state_dict(state)
    tail = run(second, after, 7)
    assert head + tail == pytest.approx(full)


def test_state_before_begin_round_trips() -> None:
    wrapper = make_wrapper()
    (scheduler,) = build_param_schedulers(wrapper, {"type": "StepLR", "step_size": 1, "begin": 5})
    run(wrapper, [scheduler], 2)
    assert scheduler.state_dict() == {"last_step": 2, "scheduler": None}


def test_scheduler_accepts_a_wrapper_or_an_optimizer() -> None:
    wrapper = make_wrapper()
    assert MultiStepLR(wrapper, milestones=[1]).optimizer is wrapper.optimizer
    assert LinearLR(wrapper.optimizer, end=2).optimizer is wrapper.optimizer
    with pytest.raises(TypeError, match="expected a torch optimizer"):
        LinearLR("sgd", end=2)


def test_ready_torch_scheduler_is_kept() -> None:
    wrapper = make_wrapper()
    ready = torch.optim.lr_scheduler.StepLR(wrapper.optimizer, step_size=1)
    assert build_param_schedulers(wrapper, [ready]) == [ready]
    assert build_param_schedulers(wrapper, None) == []


@pytest.mark.parametrize(
    ("cfg", "error", "match"),
    [
        (
            [{"type": "LinearLR", "end": 3}, {"type": "MultiStepLRR", "milestones": [1]}],
            RegistryError,
            r"'param_scheduler\.1\.type'.*did you mean 'MultiStepLR'",
        ),
        (
            {"type": "LinearLR", "start_factor": 0.1},
            BuildError,
            r"'param_scheduler'.*LinearLR needs a finite 'end'",
        ),
        ({"type": "CosineAnnealingLR"}, BuildError, "needs T_max or a finite 'end'"),
        ({"type": "StepLR", "step_size": 1, "begin": 3, "end": 3}, BuildError, "0 <= begin < end"),
        ([{"milestones": [1]}], ConfigError, r"'param_scheduler\.0' needs a 'type'"),
        ([3], ConfigError, r"'param_scheduler\.0' must be a scheduler config"),
        ("StepLR", ConfigError, "must be a scheduler config or a list"),
    ],
)
def test_config_errors_name_the_entry(cfg: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        build_param_schedulers(make_wrapper(), cfg)
    assert str(getattr(info.value, "config_path", "")).startswith("param_scheduler")


def test_cosine_with_t_max_and_eta_min() -> None:
    wrapper = make_wrapper()
    scheduler = CosineAnnealingLR(wrapper, T_max=2, eta_min=0.5)
    assert run(wrapper, [scheduler], 3) == pytest.approx([1.0, 0.75, 0.5])


def test_convert_to_iter_based_scales_epochs_to_iterations() -> None:
    wrapper = make_wrapper()
    (scheduler,) = build_param_schedulers(
        wrapper,
        [
            {
                "type": "MultiStepLR",
                "milestones": [1, 2],
                "gamma": 0.5,
                "convert_to_iter_based": True,
            }
        ],
        epoch_length=3,
    )
    assert scheduler.by_epoch is False
    assert scheduler.milestones == [3, 6]
    assert run(wrapper, [scheduler], 8) == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
    (cosine,) = build_param_schedulers(
        make_wrapper(),
        {"type": "CosineAnnealingLR", "begin": 1, "end": 3, "convert_to_iter_based": True},
        epoch_length=4,
    )
    assert (cosine.begin, cosine.end, cosine.T_max) == (4, 12, 8)
    (kept,) = build_param_schedulers(
        make_wrapper(), {"type": "StepLR", "step_size": 2, "convert_to_iter_based": False}
    )
    assert (kept.step_size, kept.by_epoch) == (2, True)


def test_convert_to_iter_based_errors() -> None:
    cfg = {"type": "StepLR", "step_size": 1, "convert_to_iter_based": True}
    with pytest.raises(ConfigError, match=r"'param_scheduler\.convert_to_iter_based' needs"):
        build_param_schedulers(make_wrapper(), cfg)
    with pytest.raises(ConfigError, match="only an epoch-based scheduler"):
        build_param_schedulers(make_wrapper(), {**cfg, "by_epoch": False}, epoch_length=2)


def test_epoch_length_may_be_a_function_called_once_and_only_to_convert() -> None:
    asked: list[int] = []

    def length() -> int:
        asked.append(1)
        return 10

    plain = {"type": "StepLR", "step_size": 1}
    assert len(build_param_schedulers(make_wrapper(), [plain], epoch_length=length)) == 1
    assert asked == []
    converted = {"type": "MultiStepLR", "milestones": [1, 2], "convert_to_iter_based": True}
    schedulers = build_param_schedulers(
        make_wrapper(), [converted, dict(converted)], epoch_length=length
    )
    assert [s.milestones for s in schedulers] == [[10, 20], [10, 20]]
    assert asked == [1]


def test_builders_take_none_for_an_absent_section() -> None:
    assert build_param_schedulers(None, {"type": "StepLR", "step_size": 1}) == []
    assert build_param_schedulers(make_wrapper(), None) == []
    assert build_optim_wrapper(torch.nn.Linear(1, 1), None) is None
    assert build_dataloader(None) is None


@pytest.mark.parametrize(
    ("kind", "args", "needs"),
    [
        ("LinearLR", {}, "LinearLR needs a finite 'end'"),
        ("PolyLR", {}, "PolyLR needs a finite 'end'"),
        ("CosineAnnealingLR", {}, "CosineAnnealingLR needs T_max or a finite 'end'"),
        ("OneCycleLR", {"eta_max": 1.0}, "OneCycleLR needs total_steps or a finite 'end'"),
    ],
)
def test_schedulers_that_need_an_end_say_so(kind: str, args: dict[str, Any], needs: str) -> None:
    scheduler = PARAM_SCHEDULERS.get(kind)
    assert scheduler is not None
    with pytest.raises(ValueError, match=needs):
        scheduler(make_wrapper(), **args)
