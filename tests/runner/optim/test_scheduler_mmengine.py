"""Side by side with MMEngine: the same scheduler configs, run the same way, give the same
values before every iteration. Skipped where mmengine is not installed (the benchmark
environment, ``.venv-bench``, has it).

MMEngine's schedulers are built as its runner builds them (``Runner._build_param_scheduler``:
``end`` defaults to ``max_epochs`` or ``max_iters``, then ``PARAM_SCHEDULERS.build`` with
``optimizer`` and ``epoch_length``, which converts ``convert_to_iter_based`` entries).
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any

import pytest
import torch

from runner import build_param_schedulers

from ._sim import Loop, epoch_loop, iter_loop, make_optimizer, simulate
from .test_scheduler import CASES, LENGTH, RUNS

mmengine_registry = pytest.importorskip("mmengine.registry")
pytest.importorskip("mmengine.optim")  # registers MMEngine's schedulers


def mmengine_schedulers(
    optimizer: torch.optim.Optimizer, cfg: Any, loop: Loop, length: int
) -> list[Any]:
    built = []
    for entry in cfg if isinstance(cfg, list) else [cfg]:
        entry = copy.deepcopy(entry)
        default_end = loop.max_epochs if entry.get("by_epoch", True) else loop.max_iters
        entry.setdefault("end", default_end)
        built.append(
            mmengine_registry.PARAM_SCHEDULERS.build(
                entry, default_args={"optimizer": optimizer, "epoch_length": length}
            )
        )
    return built


def both(
    cfg: Any,
    loop: Loop,
    length: int,
    key: str = "lr",
    make: Callable[[], torch.optim.Optimizer] = lambda: make_optimizer(groups=2),
    group: int = 0,
) -> tuple[list[float], list[float]]:
    ours_opt, theirs_opt = make(), make()
    ours = build_param_schedulers(
        ours_opt, copy.deepcopy(cfg), epoch_length=length, train_loop=loop
    )
    theirs = mmengine_schedulers(theirs_opt, cfg, loop, length)
    return (
        simulate(ours_opt, ours, loop, length, key=key, group=group),
        simulate(theirs_opt, theirs, loop, length, key=key, group=group),
    )


@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_lr_scheduler_matches_mmengine(case: str, run: str) -> None:
    cfg, _ = CASES[case]
    loop, by_epoch, begin, end = RUNS[run]
    entry = {**cfg, "by_epoch": by_epoch, "begin": begin}
    if end is not None:
        entry["end"] = end
    for group in (0, 1):
        ours, theirs = both(entry, loop, LENGTH, group=group)
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


CHAINS = {
    "warmup-iter-then-cosine-epoch": [
        {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 7},
        {"type": "CosineAnnealingLR", "eta_min": 1e-4, "by_epoch": True},
    ],
    "warmup-then-multistep": [
        {"type": "LinearLR", "start_factor": 0.1, "by_epoch": False, "end": 5},
        {"type": "MultiStepLR", "milestones": [2, 4], "gamma": 0.1},
    ],
    "convert-cosine-begin": [
        {"type": "LinearLR", "start_factor": 0.1, "end": 1, "convert_to_iter_based": True},
        {
            "type": "CosineAnnealingLR",
            "begin": 1,
            "T_max": 4,
            "eta_min_ratio": 0.05,
            "convert_to_iter_based": True,
        },
    ],
    "convert-without-end": [
        {"type": "PolyLR", "power": 0.9, "eta_min": 1e-4, "convert_to_iter_based": True}
    ],
    "convert-step-restart": [
        {"type": "StepLR", "step_size": 2, "gamma": 0.5, "convert_to_iter_based": True},
        {
            "type": "CosineRestartLR",
            "periods": [2, 3],
            "restart_weights": [1, 0.5],
            "eta_min": 0.0,
            "convert_to_iter_based": True,
        },
    ],
    "constant-then-exponential": [
        {"type": "ConstantLR", "factor": 0.1, "end": 2},
        {"type": "ExponentialLR", "gamma": 0.9, "begin": 2},
    ],
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_chains_and_conversions_match_mmengine(name: str) -> None:
    ours, theirs = both(CHAINS[name], epoch_loop(6, 4), 4)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert len(set(ours)) > 3


@pytest.mark.parametrize(
    ("kind", "options", "key"),
    [("SGD", {"momentum": 0.9}, "momentum"), ("Adam", {"betas": (0.9, 0.99)}, "betas")],
)
@pytest.mark.parametrize(
    "cfg",
    [
        {"type": "LinearMomentum", "start_factor": 0.5, "by_epoch": False},
        {"type": "CosineAnnealingMomentum", "eta_min": 0.8},
        {"type": "StepMomentum", "step_size": 2, "gamma": 0.9, "begin": 1},
        {
            "type": "CosineRestartMomentum",
            "periods": [3, 3],
            "restart_weights": [1, 0.9],
            "eta_min": 0.5,
            "by_epoch": False,
        },
        {"type": "ConstantMomentum", "factor": 0.5},
    ],
    ids=lambda cfg: cfg["type"],
)
def test_momentum_matches_mmengine(kind: str, options: dict[str, Any], key: str, cfg: Any) -> None:
    ours, theirs = both(
        [cfg, {"type": "ExponentialLR", "gamma": 0.9}],
        epoch_loop(5, 3),
        3,
        key=key,
        make=lambda: make_optimizer(kind, **options),
    )
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert len(set(ours)) > 1


def test_weight_decay_by_param_name_matches_mmengine() -> None:
    cfg = [
        {
            "type": "LinearParamScheduler",
            "param_name": "weight_decay",
            "start_factor": 0.1,
            "by_epoch": False,
            "end": 5,
        },
        {"type": "MultiStepParamScheduler", "param_name": "weight_decay", "milestones": [1, 3]},
    ]
    ours, theirs = both(
        cfg, epoch_loop(4, 3), 3, key="weight_decay", make=lambda: make_optimizer(weight_decay=0.05)
    )
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize(
    "cfg",
    [
        {"type": "ReduceOnPlateauLR", "patience": 1, "factor": 0.5, "cooldown": 1},
        {
            "type": "ReduceOnPlateauLR",
            "rule": "greater",
            "monitor": "acc",
            "patience": 0,
            "threshold": 0.1,
            "threshold_rule": "abs",
            "min_value": 0.02,
        },
        {"type": "ReduceOnPlateauLR", "patience": 0, "factor": 0.5, "begin": 2, "end": 6},
    ],
)
def test_reduce_on_plateau_matches_mmengine(cfg: dict[str, Any]) -> None:
    losses = [1.0, 0.9, 0.91, 0.92, 0.7, 0.71, 0.72, 0.73, 0.5, 0.6]
    loop = epoch_loop(len(losses), 2)
    runs = []
    for build in (
        lambda opt: build_param_schedulers(opt, copy.deepcopy(cfg), train_loop=loop),
        lambda opt: mmengine_schedulers(opt, cfg, loop, 2),
    ):
        optimizer = make_optimizer(lr=1.0)
        (scheduler,) = build(optimizer)

        def validate(epoch: int, scheduler: Any = scheduler) -> None:
            scheduler.step({"loss": losses[epoch], "acc": -losses[epoch]})

        runs.append(simulate(optimizer, [scheduler], loop, 2, between=validate))
    assert runs[0] == pytest.approx(runs[1], rel=1e-12)
    assert len(set(runs[0])) > 1


@pytest.mark.parametrize("stop", [2, 7, 10])
def test_resume_in_the_middle_matches_mmengine(stop: int) -> None:
    cfg = CHAINS["warmup-iter-then-cosine-epoch"]
    loop = epoch_loop(4, 4)
    _, full = both(cfg, loop, 4)

    first = make_optimizer(groups=2)
    schedulers = build_param_schedulers(first, copy.deepcopy(cfg), epoch_length=4, train_loop=loop)
    head = _iterations(first, schedulers, 0, stop, 4)
    buffer = io.BytesIO()
    torch.save([first.state_dict(), [s.state_dict() for s in schedulers]], buffer)
    buffer.seek(0)
    optim_state, states = torch.load(buffer, weights_only=True)
    second = make_optimizer(groups=2)
    resumed = build_param_schedulers(second, copy.deepcopy(cfg), epoch_length=4, train_loop=loop)
    second.load_state_dict(optim_state)
    for scheduler, state in zip(resumed, states, strict=True):
        scheduler.load_state_dict(state)
    tail = _iterations(second, resumed, stop, 16, 4)
    assert head + tail == pytest.approx(full, rel=1e-12)


def _iterations(
    optimizer: torch.optim.Optimizer, schedulers: list[Any], start: int, stop: int, length: int
) -> list[float]:
    values = []
    for index in range(start, stop):
        values.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        for scheduler in (s for s in schedulers if not s.by_epoch):
            scheduler.step()
        if (index + 1) % length == 0:
            for scheduler in (s for s in schedulers if s.by_epoch):
                scheduler.step()
    return values


def test_dict_of_lists_matches_mmengine_per_optimizer() -> None:
    from runner import OptimWrapper

    cfg = {
        "gen": [{"type": "OneCycleLR", "eta_max": 0.5, "by_epoch": False}],
        "disc": [{"type": "PolyLR", "power": 2.0}],
    }
    loop = iter_loop(12)
    wrappers = {"gen": OptimWrapper(make_optimizer()), "disc": OptimWrapper(make_optimizer())}
    ours = build_param_schedulers(wrappers, copy.deepcopy(cfg), epoch_length=12, train_loop=loop)
    for index, name in enumerate(("gen", "disc")):
        theirs_opt = make_optimizer()
        theirs = mmengine_schedulers(theirs_opt, cfg[name], loop, 12)
        ours_opt = wrappers[name].optimizer
        got = simulate(ours_opt, [ours[index]], loop, 12)
        assert got == pytest.approx(simulate(theirs_opt, theirs, loop, 12), rel=1e-12)


def test_iteration_loop_with_epoch_scheduler_matches_mmengine() -> None:
    ours, theirs = both({"type": "ConstantLR", "factor": 0.5}, iter_loop(6), 3)
    assert ours == theirs
