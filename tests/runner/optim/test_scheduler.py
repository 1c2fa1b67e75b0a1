"""Param schedulers against MMEngine's closed forms, value by value, and their building.

Each case is a scheduler config and the closed form of its value ``t`` steps after ``begin``
(MMEngine's ``_get_closed_form`` / docstring formulas, written out here); the schedulers
compute the chainable form, step by step, as MMEngine does. Every run records the value
before each training iteration, in an epoch-based run (an epoch scheduler) and an
iteration-based run (an iteration scheduler), with ``end`` left to the training length or
given with ``begin > 0``.
"""

from __future__ import annotations

import bisect
import io
import math
from collections.abc import Callable
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

from ._sim import (
    Loop,
    cosine,
    epoch_loop,
    iter_loop,
    make_optimizer,
    per_iteration,
    simulate,
    windowed,
)

Form = Callable[[float, int, int], float]
"""The closed form: (initial value, steps since begin, end - begin) -> value."""


def one_cycle(v0: float, t: int, span: int) -> float:
    """MMEngine's OneCycleLR with eta_max=1, pct_start=0.25, div 25, final div 1e4, cos."""
    del v0  # one-cycle sets its own start: eta_max / div_factor
    low, high = 1.0 / 25, 1.0
    rise_end = 0.25 * span - 1
    anneal = lambda a, b, pct: b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)  # noqa: E731
    if t <= rise_end:
        return anneal(low, high, t / rise_end)
    return anneal(high, low / 1e4, (t - rise_end) / (span - 1 - rise_end))


def cosine_restart(v0: float, t: int, span: int) -> float:
    """periods [2, 3], restart_weights [1, 0.5], eta_min 0.01; frozen after the cycles."""
    t = min(t, 4)
    if t < 2:
        return cosine(v0, 0.01, t, 2)
    return cosine(v0 * 0.5, 0.01, t - 2, 3)


CASES: dict[str, tuple[dict[str, Any], Form]] = {
    "ConstantLR": (
        {"type": "ConstantLR", "factor": 0.5},
        lambda v0, t, span: v0 * 0.5 if t < span - 1 else v0,
    ),
    "LinearLR": (
        {"type": "LinearLR", "start_factor": 0.25},
        lambda v0, t, span: v0 * (0.25 + 0.75 * t / (span - 1)),
    ),
    "LinearLR-down": (
        {"type": "LinearLR", "start_factor": 1.0, "end_factor": 0.1},
        lambda v0, t, span: v0 * (1.0 - 0.9 * t / (span - 1)),
    ),
    "StepLR": (
        {"type": "StepLR", "step_size": 2, "gamma": 0.5},
        lambda v0, t, span: v0 * 0.5 ** (t // 2),
    ),
    "MultiStepLR": (
        {"type": "MultiStepLR", "milestones": [1, 3, 3], "gamma": 0.1},
        lambda v0, t, span: v0 * 0.1 ** bisect.bisect_right([1, 3, 3], t),
    ),
    "ExponentialLR": (
        {"type": "ExponentialLR", "gamma": 0.8},
        lambda v0, t, span: v0 * 0.8**t,
    ),
    "CosineAnnealingLR": (
        {"type": "CosineAnnealingLR", "eta_min": 0.01},
        lambda v0, t, span: cosine(v0, 0.01, t, span),
    ),
    "CosineAnnealingLR-T_max-ratio": (  # T_max shorter than the window: the cosine rises again
        {"type": "CosineAnnealingLR", "T_max": 3, "eta_min_ratio": 0.1},
        lambda v0, t, span: cosine(v0, 0.1 * v0, t, 3),
    ),
    "PolyLR": (
        {"type": "PolyLR", "eta_min": 0.001, "power": 2.0},
        lambda v0, t, span: (v0 - 0.001) * (1 - t / (span - 1)) ** 2 + 0.001,
    ),
    "OneCycleLR": (
        {"type": "OneCycleLR", "eta_max": 1.0, "pct_start": 0.25},
        one_cycle,
    ),
    "CosineRestartLR": (
        {
            "type": "CosineRestartLR",
            "periods": [2, 3],
            "restart_weights": [1.0, 0.5],
            "eta_min": 0.01,
        },
        cosine_restart,
    ),
}

LENGTH = 3  # iterations per epoch
EPOCHS = 8
ITERS = 16
RUNS = {
    # (loop, scheduler by_epoch, begin, end or None for the default)
    "epochs-default-end": (epoch_loop(EPOCHS, LENGTH), True, 0, None),
    "epochs-window": (epoch_loop(EPOCHS, LENGTH), True, 2, 7),
    "iters-default-end": (iter_loop(ITERS), False, 0, None),
    "iters-window": (iter_loop(ITERS), False, 3, 13),
    "iter-scheduler-in-epoch-loop": (epoch_loop(EPOCHS, LENGTH), False, 0, None),
}


def expected_values(
    form: Form, v0: float, loop: Loop, by_epoch: bool, begin: int, end: int | None
) -> list[float]:
    if end is None:  # what the builder fills in: the training length
        end = (loop.max_epochs if loop.by_epoch else 1) if by_epoch else loop.max_iters
    span = end - begin
    return per_iteration(
        lambda step: windowed(lambda t: form(v0, t, span), v0, begin, end, step),
        loop,
        LENGTH,
        by_epoch,
    )


@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("case", list(CASES))
def test_values_before_every_iteration_match_the_closed_form(case: str, run: str) -> None:
    cfg, form = CASES[case]
    loop, by_epoch, begin, end = RUNS[run]
    entry = {**cfg, "by_epoch": by_epoch, "begin": begin}
    if end is not None:
        entry["end"] = end
    for group, v0 in ((0, 0.1), (1, 0.2)):  # make_optimizer's initial rates
        optimizer = make_optimizer(groups=2)
        schedulers = build_param_schedulers(
            optimizer, [entry], epoch_length=LENGTH, train_loop=loop
        )
        got = simulate(optimizer, schedulers, loop, LENGTH, group=group)
        want = expected_values(form, v0, loop, by_epoch, begin, end)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert len(set(got)) > 1  # the schedule moved


def test_constant_lr_returns_to_the_base_rate_at_the_end_of_training() -> None:
    """The issue's example: ConstantLR without `end`, per epoch over 3 epochs."""
    optimizer = make_optimizer(lr=0.1)
    schedulers = build_param_schedulers(
        optimizer, {"type": "ConstantLR", "factor": 0.5}, train_loop=epoch_loop(3, 1)
    )
    assert simulate(optimizer, schedulers, epoch_loop(3, 1), 1) == pytest.approx([0.05, 0.05, 0.1])


def test_warmup_by_iteration_then_cosine_by_epoch_chain() -> None:
    """Chainable forms multiply: lr = v0 * warm-up factor(iteration) * cosine(epoch)."""
    loop = epoch_loop(5, 4)
    cfg = [
        {"type": "LinearLR", "start_factor": 0.2, "by_epoch": False, "begin": 0, "end": 6},
        {"type": "CosineAnnealingLR", "eta_min": 0.0},  # by epoch, end = max_epochs
    ]
    optimizer = make_optimizer(lr=0.1)
    schedulers = build_param_schedulers(optimizer, cfg, epoch_length=4, train_loop=loop)
    got = simulate(optimizer, schedulers, loop, 4)
    warmup = [0.2 + 0.8 * min(i, 5) / 5 for i in range(20)]
    decay = [(1 + math.cos(math.pi * (i // 4) / 5)) / 2 for i in range(20)]
    assert got == pytest.approx([0.1 * w * d for w, d in zip(warmup, decay, strict=True)])


def test_convert_to_iter_based_follows_the_iteration_closed_form() -> None:
    loop = epoch_loop(6, 3)
    cfg = {
        "type": "CosineAnnealingLR",
        "eta_min": 0.0,
        "begin": 1,
        "end": 5,
        "convert_to_iter_based": True,
    }
    optimizer = make_optimizer(lr=1.0)
    (scheduler,) = build_param_schedulers(optimizer, cfg, epoch_length=3, train_loop=loop)
    assert (scheduler.by_epoch, scheduler.begin, scheduler.end, scheduler.T_max) == (
        False,
        3,
        15,
        12,
    )
    got = simulate(optimizer, [scheduler], loop, 3)
    want = [windowed(lambda t: cosine(1.0, 0.0, t, 12), 1.0, 3, 15, i) for i in range(18)]
    assert got == pytest.approx(want)


def test_convert_to_iter_based_without_end_uses_the_epochs_of_training() -> None:
    loop = epoch_loop(4, 5)
    cfg = {"type": "LinearLR", "start_factor": 0.5, "convert_to_iter_based": True}
    (scheduler,) = build_param_schedulers(make_optimizer(), cfg, epoch_length=5, train_loop=loop)
    assert (scheduler.end, scheduler.total_iters) == (20, 19)


def test_convert_to_iter_based_scales_epochs_to_iterations() -> None:
    optimizer = make_optimizer(lr=1.0)
    cfg = {"type": "MultiStepLR", "milestones": [1, 2], "gamma": 0.5, "convert_to_iter_based": True}
    (scheduler,) = build_param_schedulers(optimizer, [cfg], epoch_length=3)
    assert scheduler.by_epoch is False
    assert scheduler.milestones == {3: 1, 6: 1}
    got = simulate(optimizer, [scheduler], iter_loop(8), 8)
    assert got == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
    (kept,) = build_param_schedulers(
        make_optimizer(), {"type": "StepLR", "step_size": 2, "convert_to_iter_based": False}
    )
    assert (kept.step_size, kept.by_epoch) == (2, True)


def test_convert_to_iter_based_errors() -> None:
    cfg = {"type": "StepLR", "step_size": 1, "convert_to_iter_based": True}
    with pytest.raises(ConfigError, match=r"'param_scheduler\.convert_to_iter_based' needs"):
        build_param_schedulers(make_optimizer(), cfg)
    with pytest.raises(ConfigError, match="only an epoch-based scheduler"):
        build_param_schedulers(make_optimizer(), {**cfg, "by_epoch": False}, epoch_length=2)


def test_epoch_length_is_asked_once_and_only_when_needed() -> None:
    asked: list[int] = []

    def length() -> int:
        asked.append(1)
        return 10

    plain = {"type": "StepLR", "step_size": 1}  # by epoch: its default end needs no length
    built = build_param_schedulers(
        make_optimizer(), [plain], epoch_length=length, train_loop=epoch_loop(2, 10)
    )
    assert len(built) == 1
    assert asked == []
    converted = {"type": "MultiStepLR", "milestones": [1, 2], "convert_to_iter_based": True}
    by_iter = {"type": "StepLR", "step_size": 1, "by_epoch": False}  # default end: 2 * 10
    schedulers = build_param_schedulers(
        make_optimizer(), [converted, by_iter], epoch_length=length, train_loop=epoch_loop(2, 10)
    )
    assert [s.milestones for s in schedulers[:1]] == [{10: 1, 20: 1}]
    assert schedulers[1].end == 20
    assert asked == [1]


@pytest.mark.parametrize(
    "cfg",
    [
        [
            {"type": "LinearLR", "start_factor": 0.25, "by_epoch": False, "end": 5},
            {"type": "MultiStepLR", "milestones": [1, 2], "gamma": 0.5, "begin": 1},
        ],
        [{"type": "OneCycleLR", "eta_max": 1.0, "by_epoch": False}],
        [{"type": "CosineRestartLR", "periods": [4, 8], "restart_weights": [1, 0.5], "eta_min": 0}],
        [{"type": "ConstantLR", "factor": 0.5, "begin": 2}],
    ],
    ids=["chain", "one-cycle", "restart", "constant-begin"],
)
@pytest.mark.parametrize("stop", [1, 5, 7])
def test_resume_in_the_middle_continues_exactly(cfg: list[dict[str, Any]], stop: int) -> None:
    loop = epoch_loop(4, 3)
    optimizer = make_optimizer(groups=2)
    full = simulate(
        optimizer, build_param_schedulers(optimizer, cfg, epoch_length=3, train_loop=loop), loop, 3
    )

    first = make_optimizer(groups=2)
    before = build_param_schedulers(first, cfg, epoch_length=3, train_loop=loop)
    head = _run_iterations(first, before, stop, length=3)
    buffer = io.BytesIO()
    torch.save({"optim": first.state_dict(), "sched": [s.state_dict() for s in before]}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)  # as checkpoints are read

    second = make_optimizer(groups=2)
    after = build_param_schedulers(second, cfg, epoch_length=3, train_loop=loop)  # first
    second.load_state_dict(saved["optim"])
    for scheduler, state in zip(after, saved["sched"], strict=True):
        scheduler.load_state_dict(state)
    tail = _run_iterations(second, after, 12 - stop, length=3, start=stop)
    assert head + tail == pytest.approx(full, rel=1e-12)


def _run_iterations(
    optimizer: torch.optim.Optimizer, schedulers: list[Any], count: int, length: int, start: int = 0
) -> list[float]:
    values = []
    for index in range(start, start + count):
        values.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        for scheduler in schedulers:
            if not scheduler.by_epoch:
                scheduler.step()
        if (index + 1) % length == 0:
            for scheduler in schedulers:
                if scheduler.by_epoch:
                    scheduler.step()
    return values


def test_a_state_of_another_scheduler_is_refused() -> None:
    optimizer = make_optimizer()
    step = MultiStepLR(optimizer, milestones=[1])
    with pytest.raises(ValueError, match="saved by another scheduler"):
        step.load_state_dict({"last_step": 2, "scheduler": None})  # regwire's old format


def test_scheduler_accepts_a_wrapper_or_an_optimizer() -> None:
    wrapper = OptimWrapper(make_optimizer())
    assert MultiStepLR(wrapper, milestones=[1]).optimizer is wrapper.optimizer
    assert LinearLR(wrapper.optimizer, end=2).optimizer is wrapper.optimizer
    with pytest.raises(TypeError, match="expected a torch optimizer"):
        LinearLR("sgd", end=2)


def test_ready_schedulers_are_kept() -> None:
    optimizer = make_optimizer()
    ready = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    assert build_param_schedulers(optimizer, [ready]) == [ready]
    assert build_param_schedulers(optimizer, None) == []


@pytest.mark.parametrize(
    ("cfg", "error", "match", "path"),
    [
        (
            [{"type": "LinearLR", "end": 3}, {"type": "MultiStepLRR", "milestones": [1]}],
            RegistryError,
            r"'param_scheduler\.1\.type'.*did you mean 'MultiStepLR'",
            "param_scheduler.1.type",
        ),
        (
            {"type": "LinearLR", "start_factor": 0.1},
            BuildError,
            r"'param_scheduler'.*LinearLR needs a finite 'end'",
            "param_scheduler",
        ),
        (
            {"type": "StepLR", "step_size": 1, "begin": 3, "end": 3},
            ConfigError,
            r"'param_scheduler\.end' must be after begin \(3\), got 3",
            "param_scheduler.end",
        ),
        (
            [{"type": "StepLR", "step_size": 1}, {"type": "StepLR", "step_size": 1, "end": -2}],
            ConfigError,
            r"window \[begin, end\) would be empty",
            "param_scheduler.1.end",
        ),
        (
            {"type": "StepParamScheduler", "param_name": "weight_decy", "step_size": 1},
            ConfigError,
            r"no 'weight_decy'; did you mean 'weight_decay'\?",
            "param_scheduler.param_name",
        ),
        ([{"milestones": [1]}], ConfigError, r"needs a 'type'", "param_scheduler.0"),
        ([3], ConfigError, r"must be a scheduler config", "param_scheduler.0"),
        ("StepLR", ConfigError, "must be a scheduler config or a list", "param_scheduler"),
    ],
)
def test_config_errors_name_the_entry(
    cfg: Any, error: type[Exception], match: str, path: str
) -> None:
    with pytest.raises(error, match=match) as info:
        build_param_schedulers(make_optimizer(), cfg)
    assert getattr(info.value, "config_path", None) == path


def test_window_given_by_the_training_length_can_be_inverted() -> None:
    cfg = {"type": "StepLR", "step_size": 1, "begin": 5}  # training is 3 epochs long
    match = (
        r"'param_scheduler\.end' is not given, so .* train_cfg\.max_epochs \(3\), .* begin \(5\)"
    )
    with pytest.raises(ConfigError, match=match):
        build_param_schedulers(make_optimizer(), cfg, train_loop=epoch_loop(3, 2))


def test_builders_take_none_for_an_absent_section() -> None:
    assert build_param_schedulers(None, {"type": "StepLR", "step_size": 1}) == []
    assert build_param_schedulers(make_optimizer(), None) == []
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
def test_without_a_training_loop_spans_need_an_end(
    kind: str, args: dict[str, Any], needs: str
) -> None:
    scheduler = PARAM_SCHEDULERS.get(kind)
    assert scheduler is not None
    with pytest.raises(ValueError, match=needs):
        scheduler(make_optimizer(), **args)


def test_schedulers_without_end_build_with_a_training_loop() -> None:
    loop = iter_loop(10)
    for kind in ("LinearLR", "PolyLR", "CosineAnnealingLR", "ConstantLR"):
        (scheduler,) = build_param_schedulers(
            make_optimizer(), {"type": kind, "by_epoch": False}, train_loop=loop
        )
        assert scheduler.end == 10
    (cosine_lr,) = build_param_schedulers(
        make_optimizer(), {"type": "CosineAnnealingLR", "by_epoch": False}, train_loop=loop
    )
    assert isinstance(cosine_lr, CosineAnnealingLR)
    assert cosine_lr.T_max == 10


def test_building_sets_the_first_value_at_once() -> None:
    optimizer = make_optimizer(lr=0.4)
    build_param_schedulers(optimizer, {"type": "ConstantLR", "factor": 0.25, "end": 4})
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert optimizer.param_groups[0]["initial_lr"] == pytest.approx(0.4)
