"""The loops, driven directly with a TrainContext (no runner)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import torch

from container import BuildError, ConfigError
from runner import (
    DefaultSampler,
    EpochBasedTrainLoop,
    EvalContext,
    InfiniteSampler,
    IterBasedTrainLoop,
    OptimWrapper,
    TrainContext,
    TrainState,
    ValLoop,
)
from runner.app import build_eval_loop, build_train_loop

from ..conftest import MeanError, ToyModel, make_data, make_loader


class Calls:
    def __init__(self) -> None:
        self.log: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, stage: str, **kwargs: Any) -> None:
        self.log.append((stage, kwargs))

    def stages(self) -> list[str]:
        return [stage for stage, _ in self.log]


def context(
    model: ToyModel, optim: OptimWrapper, loader: Any, calls: Calls, **kw: Any
) -> TrainContext:
    return TrainContext(model, loader, optim, TrainState(), calls, **kw)


def test_epoch_loop_stages_and_counters(model: ToyModel, optim: OptimWrapper) -> None:
    calls = Calls()
    ctx = context(model, optim, make_loader(8, 4), calls)
    EpochBasedTrainLoop(max_epochs=2).run(ctx)
    assert calls.stages() == [
        "before_train",
        *(
            ["before_train_epoch"]
            + ["before_train_iter", "after_train_iter"] * 2
            + ["after_train_epoch"]
        )
        * 2,
        "after_train",
    ]
    assert [kw["batch_idx"] for stage, kw in calls.log if stage == "after_train_iter"] == [
        0,
        1,
        0,
        1,
    ]
    assert (ctx.state.epoch, ctx.state.iter, ctx.state.max_iters) == (2, 4, 4)


def test_validation_interval_and_last_epoch(model: ToyModel, optim: OptimWrapper) -> None:
    epochs: list[int] = []
    state = TrainState()
    ctx = TrainContext(
        model, make_loader(4, 4), optim, state, Calls(), lambda: epochs.append(state.epoch) or {}
    )
    EpochBasedTrainLoop(max_epochs=5, val_begin=2, val_interval=2).run(ctx)
    assert epochs == [2, 4, 5]


def test_after_train_runs_when_a_step_raises(optim: OptimWrapper) -> None:
    class Broken(ToyModel):
        def train_step(self, data: Any, optim_wrapper: Any) -> Any:
            raise RuntimeError("bad step")

    calls = Calls()
    with pytest.raises(RuntimeError, match=r"bad step"):
        EpochBasedTrainLoop(1).run(context(Broken(), optim, make_loader(), calls))
    assert calls.stages()[-1] == "after_train"


def test_stop_training_ends_after_the_iteration(model: ToyModel, optim: OptimWrapper) -> None:
    loop = EpochBasedTrainLoop(max_epochs=3)

    def stop(stage: str, **kwargs: Any) -> None:
        if stage == "after_train_iter" and kwargs["batch_idx"] == 1:
            loop.stop_training = True

    ctx = context(model, optim, make_loader(16, 4), Calls())
    ctx = TrainContext(model, ctx.dataloader, optim, ctx.state, stop)
    loop.run(ctx)
    assert (ctx.state.epoch, ctx.state.iter) == (1, 2)


def test_iter_loop_restarts_the_dataloader_at_once(model: ToyModel, optim: OptimWrapper) -> None:
    sampler = DefaultSampler(make_data(8), shuffle=True, seed=3)
    loader = torch.utils.data.DataLoader(make_data(8), batch_size=4, sampler=sampler)
    calls = Calls()
    validations: list[int] = []
    ctx = context(
        model, optim, loader, calls, validate=lambda: validations.append(ctx.state.iter) or {}
    )
    start = time.perf_counter()
    IterBasedTrainLoop(max_iters=7, val_interval=3).run(ctx)
    assert time.perf_counter() - start < 1.0  # no pause when the data run out
    assert ctx.state.iter == 7
    assert ctx.state.epoch == 3  # three restarts: after batches 2, 4 and 6
    assert sampler.epoch == 3
    assert validations == [3, 6, 7]
    assert calls.stages().count("before_train_epoch") == 1
    assert [kw["batch_idx"] for s, kw in calls.log if s == "before_train_iter"] == list(range(7))


def test_eval_loop_returns_metrics_and_restores_mode(model: ToyModel) -> None:
    calls = Calls()
    model.train()
    metrics = ValLoop().run(EvalContext(model, make_loader(8, 4), MeanError(), calls))
    assert metrics["size"] == 8.0
    assert model.training
    assert calls.stages() == [
        "before_val",
        "before_val_epoch",
        "before_val_iter",
        "after_val_iter",
        "before_val_iter",
        "after_val_iter",
        "after_val_epoch",
        "after_val",
    ]
    assert calls.log[-2][1]["metrics"] is metrics


def test_build_train_loop_by_epoch_or_type() -> None:
    assert isinstance(build_train_loop({"max_epochs": 2}), EpochBasedTrainLoop)
    loop = build_train_loop({"by_epoch": False, "max_iters": 10, "val_interval": 5})
    assert isinstance(loop, IterBasedTrainLoop)
    assert (loop.max_iters, loop.val_interval) == (10, 5)
    assert isinstance(
        build_train_loop({"type": "IterBasedTrainLoop", "max_iters": 3}), IterBasedTrainLoop
    )
    assert build_train_loop(None) is None
    assert isinstance(build_eval_loop({}, "val_cfg"), ValLoop)


def test_build_train_loop_errors_name_the_path() -> None:
    with pytest.raises(ConfigError, match=r"'train_cfg' gives both 'type' and 'by_epoch'"):
        build_train_loop({"type": "EpochBasedTrainLoop", "by_epoch": True, "max_epochs": 1})
    with pytest.raises(BuildError, match=r"'train_cfg'.*max_epochs must be a positive int") as info:
        build_train_loop({"max_epochs": 0})
    assert info.value.config_path == "train_cfg"
    with pytest.raises(Exception, match=r"train_cfg.type"):
        build_train_loop({"type": "EpochBasedTrainLop", "max_epochs": 1})


def test_iter_loop_over_an_infinite_sampler_and_an_iterable(
    model: ToyModel, optim: OptimWrapper
) -> None:
    data = make_data(8)
    sampler = InfiniteSampler(data, shuffle=True, seed=1)
    loader = torch.utils.data.DataLoader(data, batch_size=4, sampler=sampler)
    ctx = context(model, optim, loader, Calls())
    IterBasedTrainLoop(max_iters=5).run(ctx)
    assert ctx.state.iter == 5

    class Stream(torch.utils.data.IterableDataset[Any]):
        def __iter__(self) -> Any:
            return iter(list(data))

    ctx = context(model, optim, torch.utils.data.DataLoader(Stream(), batch_size=4), Calls())
    IterBasedTrainLoop(max_iters=5).run(ctx)
    assert (ctx.state.iter, ctx.state.max_epochs) == (5, 1)
    ctx = context(model, optim, torch.utils.data.DataLoader(Stream(), batch_size=4), Calls())
    EpochBasedTrainLoop(max_epochs=2).run(ctx)
    assert (ctx.state.iter, ctx.state.max_iters) == (4, 0)


def test_a_wrapper_without_train_step_is_refused_not_bypassed(
    model: ToyModel, optim: OptimWrapper
) -> None:
    """Calling ``wrapper.module.train_step`` would skip DDP's forward and its all-reduce."""

    class Wrapper(torch.nn.Module):
        def __init__(self, module: torch.nn.Module) -> None:
            super().__init__()
            self.module = module

    before = [p.detach().clone() for p in model.parameters()]
    loop = EpochBasedTrainLoop(max_epochs=1)
    ctx = TrainContext(Wrapper(model), make_loader(), optim, TrainState(), Calls())
    with pytest.raises(TypeError, match=r"Wrapper\) has no train_step.*runner.DistributedModel"):
        loop.run(ctx)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_iter_loop_takes_mmengine_positional_order() -> None:
    loop = IterBasedTrainLoop(10, 2, 5)  # max_iters, val_begin, val_interval
    assert (loop.max_iters, loop.val_begin, loop.val_interval) == (10, 2, 5)


def test_an_empty_training_set_is_an_error_naming_the_dataset(tmp_path: Any) -> None:
    from container import ConfigError
    from runner import Runner

    model = ToyModel()
    runner = Runner(
        model,
        work_dir=tmp_path,
        train_dataloader=make_loader(0, 4),
        train_loop=EpochBasedTrainLoop(1),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
    )
    with pytest.raises(
        ConfigError, match=r"the training data is empty: 'train_dataloader.dataset'"
    ):
        runner.train()
    assert not list(tmp_path.glob("*.pth"))


def test_a_bug_in_a_metric_keeps_its_traceback_and_a_mismatch_names_the_evaluator() -> None:
    from runner import Accuracy, ValLoop
    from runner.engine import EvalContext

    class Buggy(MeanError):
        def evaluate(self, size: int) -> dict[str, float]:
            _total, _count = [1, 2, 3]  # a bug of its own
            return {}

    model = ToyModel()
    context = EvalContext(model, make_loader(8, 4), Buggy(), lambda *a, **k: None)
    with pytest.raises(ValueError, match="too many values to unpack"):
        ValLoop().run(context)
    mismatched = Accuracy(topk=(5,))
    with pytest.raises(ConfigError, match=r"^'val_evaluator': Accuracy needs"):
        ValLoop().run(EvalContext(model, make_loader(8, 4), mismatched, lambda *a, **k: None))
