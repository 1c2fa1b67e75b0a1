"""The training, validation and test loops.

A loop is built from its config section alone (``train_cfg``, ``val_cfg``, ``test_cfg``) and
is given what it drives when it runs: a :class:`TrainContext` or :class:`EvalContext`. It
never reaches into the runner; it announces each stage through the ``call_hook`` it is given
and keeps its counters in a :class:`TrainState` that the runner (and checkpoints) share.

Counting follows MMEngine: during ``after_train_iter`` ``state.iter`` is the index of the
iteration that just ended; the counter moves on after the hooks have run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs
import torch

from container import ConfigError
from providers import PATH

from .._registries import LOOPS
from .._sections import check_positive
from ..data import CannotSkip, length_of, set_epoch, skip_batches
from ..evaluation import MetricMismatchError
from ._preemption import StopRequest

Metrics = dict[str, float]


CallHook = Callable[..., None]
"""``call_hook(stage, **kwargs)``: announces a stage to the hooks."""


@attrs.define
class TrainState:
    """The counters of a training run (like ignite's ``State``).

    Attributes:
        epoch: Epochs finished (during an epoch: the index of that epoch).
        iter: Iterations finished over the whole run (during one: its index).
        inner_iter: Iterations finished in the current epoch.
        max_epochs: The planned number of epochs.
        max_iters: The planned number of iterations (0 when the dataloader has no length).
    """

    epoch: int = 0
    iter: int = 0
    inner_iter: int = 0
    max_epochs: int = 0
    max_iters: int = 0

    def state_dict(self) -> dict[str, int]:
        return attrs.asdict(self)

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        for field in ("epoch", "iter", "inner_iter"):
            setattr(self, field, int(state.get(field, 0)))

    def resume_point(self, by_epoch: bool | None) -> dict[str, int]:
        """The counters a checkpoint records so that resuming from it continues right after
        the current epoch (``by_epoch`` true: called as it ends), the current iteration
        (false: called as it ends, before the counters move on), or here (None: between
        iterations, the counters as they are)."""
        if by_epoch is None:
            return {"epoch": self.epoch, "iter": self.iter, "inner_iter": self.inner_iter}
        if by_epoch:
            return {"epoch": self.epoch + 1, "iter": self.iter, "inner_iter": 0}
        return {"epoch": self.epoch, "iter": self.iter + 1, "inner_iter": self.inner_iter + 1}


@attrs.frozen
class TrainContext:
    """What a training loop drives, injected by the runner when it runs the loop.

    Attributes:
        model: The model (its ``train_step`` is called, and ``train()`` before each epoch).
        dataloader: The training dataloader.
        optim_wrapper: Passed to ``train_step``.
        state: The counters, updated in place.
        call_hook: Announces a stage to the hooks.
        validate: Runs one validation, or None when the run has none.
        stop: A signal's request to stop, read after each iteration (see
            :mod:`runner.engine._preemption`).
    """

    model: torch.nn.Module
    dataloader: Iterable[Any]
    optim_wrapper: Any
    state: TrainState
    call_hook: CallHook
    validate: Callable[[], Metrics] | None = None
    stop: StopRequest = attrs.field(factory=StopRequest)


@attrs.frozen
class EvalContext:
    """What a validation or test loop drives.

    Attributes:
        model: The model (``val_step``/``test_step`` are called under ``torch.no_grad``).
        dataloader: The dataloader to evaluate on.
        evaluator: Has ``process(data_samples, data_batch)`` and ``evaluate(size)``.
        call_hook: Announces a stage to the hooks.
    """

    model: torch.nn.Module
    dataloader: Iterable[Any]
    evaluator: Any
    call_hook: CallHook


def _step(model: torch.nn.Module, name: str) -> Callable[..., Any]:
    """The step method ``name`` of the model the loop drives.

    A wrapper's ``.module`` is never used instead: calling ``ddp.module.train_step`` would
    run the bare module's forward and skip DDP's gradient all-reduce.

    Raises:
        TypeError: The model has no such method (naming :class:`runner.DistributedModel`
            when it wraps a module, as ``DistributedDataParallel`` does).
    """
    step: Callable[..., Any] | None = getattr(model, name, None)
    if step is not None:
        return step
    kind = type(model).__name__
    if hasattr(model, "module"):
        raise TypeError(
            f"the model ({kind}) has no {name}; it wraps a module whose {name} would run "
            "without the wrapper's forward (a DistributedDataParallel would not synchronize "
            "gradients): wrap a BaseModel with runner.DistributedModel instead"
        )
    raise TypeError(f"the model ({kind}) has no {name} (derive it from runner.BaseModel)")


def _start(
    loop: EpochBasedTrainLoop | IterBasedTrainLoop, ctx: TrainContext
) -> tuple[Callable[..., Any], Callable[[], bool] | None]:
    """Plan the run into ``ctx.state`` and tell the optimizer wrapper where training starts
    (a resumed run: the restored iteration) and ends, as MMEngine's loops do.

    Returns:
        The model's ``train_step``, and what every rank calls after each iteration to agree
        on a signal's request to stop (None in a single process).

    Raises:
        ConfigError: The dataloader gives no batch (naming ``train_dataloader.dataset``).
    """
    if length_of(ctx.dataloader) == 0:  # it would "train" nothing and save a checkpoint of it
        raise ConfigError(
            f"the training data is empty: {PATH} gives no batch (no samples, or fewer than "
            "one batch with drop_last)",
            config_path="train_dataloader.dataset",
        )
    loop.plan(ctx.state, ctx.dataloader)
    loop.stop_training = False  # a request of an earlier run of this loop is done
    initialize = getattr(ctx.optim_wrapper, "initialize_count_status", None)
    if initialize is not None:
        initialize(ctx.model, ctx.state.iter, ctx.state.max_iters)
    return _step(ctx.model, "train_step"), ctx.stop.agree if ctx.stop.distributed else None


def _skip(dataloader: Iterable[Any], done: int) -> Iterator[Any]:
    """Iterate ``dataloader`` without its first ``done`` batches (to resume mid-epoch).

    A sampler with ``skip(n)`` is asked to skip the samples itself; otherwise the batches are
    drawn and dropped, which is slower but exact.
    """
    if done:
        try:
            skip_batches(dataloader, done)
        except CannotSkip:
            return itertools.islice(dataloader, done, None)
    return iter(dataloader)


class _TrainLoopBase:
    """What both training loops share: when to validate, and a hook's request to stop."""

    def __init__(self, val_begin: int, val_interval: int) -> None:
        check_positive("val_interval", val_interval)
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False

    def validates_after(self, count: int, last: int) -> bool:
        """Whether to validate after epoch or iteration ``count`` (from 1) of ``last``."""
        if count < self.val_begin:
            return False
        return count % self.val_interval == 0 or count == last

    def stopped(self) -> bool:
        """Whether a hook asked to stop (``loop.stop_training = True``); the loops read the
        attribute itself after each iteration."""
        return self.stop_training


@LOOPS.register_module()
class EpochBasedTrainLoop(_TrainLoopBase):
    """Train for ``max_epochs`` epochs, validating every ``val_interval`` epochs.

    Args:
        max_epochs: How many epochs to train.
        val_begin: The first epoch (counted from 1) after which to validate.
        val_interval: Validate after every this many epochs (and after the last).

    Attributes:
        stop_training: Set it (from a hook) to end training after the current iteration.
    """

    by_epoch = True

    def __init__(self, max_epochs: int, val_begin: int = 1, val_interval: int = 1) -> None:
        check_positive("max_epochs", max_epochs)
        super().__init__(val_begin, val_interval)
        self.max_epochs = max_epochs

    def plan(self, state: TrainState, dataloader: Iterable[Any]) -> None:
        """Write the planned lengths into ``state``."""
        length = length_of(dataloader)
        state.max_epochs = self.max_epochs
        state.max_iters = self.max_epochs * length if length is not None else 0

    def run(self, ctx: TrainContext) -> torch.nn.Module:
        """Train from ``ctx.state`` on (epoch 0, or where a checkpoint left off)."""
        state, call_hook, optim_wrapper, stop = (
            ctx.state,
            ctx.call_hook,
            ctx.optim_wrapper,
            ctx.stop,
        )
        train_step, agree = _start(self, ctx)
        call_hook("before_train")
        try:
            while state.epoch < self.max_epochs and not self.stopped():
                call_hook("before_train_epoch")
                ctx.model.train()
                start = state.inner_iter
                for batch_idx, data_batch in enumerate(_skip(ctx.dataloader, start), start):
                    call_hook("before_train_iter", batch_idx=batch_idx, data_batch=data_batch)
                    outputs = train_step(data_batch, optim_wrapper=optim_wrapper)
                    call_hook(
                        "after_train_iter",
                        batch_idx=batch_idx,
                        data_batch=data_batch,
                        outputs=outputs,
                    )
                    state.iter += 1
                    state.inner_iter = batch_idx + 1
                    if agree is not None:  # every rank, every iteration
                        agree()
                    if self.stop_training:  # set by a hook or a signal during the iteration
                        break
                if stop.signum is not None:  # a signal: this epoch is not over
                    stop.halt_here()
                call_hook("after_train_epoch")
                state.epoch += 1
                state.inner_iter = 0
                if stop.signum is not None:  # arrived as the epoch ended: no validation
                    stop.halt_here()
                if ctx.validate is not None and self.validates_after(state.epoch, self.max_epochs):
                    ctx.validate()
            if stop.signum is not None:  # arrived during a validation
                stop.halt_here()
        finally:
            call_hook("after_train")
        return ctx.model


# The shape of EpochBasedTrainLoop, counted in iterations instead of epochs: what they share
# (set-up, validation schedule, stop request) is in _start and _TrainLoopBase; the loops
# themselves stay written out, they run every iteration.
@LOOPS.register_module()
class IterBasedTrainLoop(_TrainLoopBase):
    """Train for ``max_iters`` iterations, restarting the dataloader when it runs out.

    The dataloader restarts at once (after ``sampler.set_epoch(n)``), without MMEngine's
    two-second pause. The epoch hooks run once, around the whole run, as in MMEngine.

    Args:
        max_iters: How many iterations to train.
        val_begin: The first iteration (counted from 1) after which to validate.
        val_interval: Validate after every this many iterations (and after the last).

    Attributes:
        stop_training: Set it (from a hook) to end training after the current iteration.
    """

    by_epoch = False

    def __init__(self, max_iters: int, val_begin: int = 1, val_interval: int = 1000) -> None:
        # MMEngine's order (after its runner and dataloader), as EpochBasedTrainLoop's
        check_positive("max_iters", max_iters)
        super().__init__(val_begin, val_interval)
        self.max_iters = max_iters

    def plan(self, state: TrainState, dataloader: Iterable[Any]) -> None:
        """Write the planned lengths into ``state``."""
        length = length_of(dataloader)
        state.max_iters = self.max_iters
        state.max_epochs = math.ceil(self.max_iters / length) if length else 1

    def run(self, ctx: TrainContext) -> torch.nn.Module:
        """Train from ``ctx.state`` on (iteration 0, or where a checkpoint left off)."""
        state, call_hook, optim_wrapper, stop = (
            ctx.state,
            ctx.call_hook,
            ctx.optim_wrapper,
            ctx.stop,
        )
        train_step, agree = _start(self, ctx)
        batches = self._batches(ctx.dataloader, state)
        call_hook("before_train")
        try:
            call_hook("before_train_epoch")
            ctx.model.train()
            while state.iter < self.max_iters and not self.stopped():
                data_batch = next(batches)
                batch_idx = state.iter
                call_hook("before_train_iter", batch_idx=batch_idx, data_batch=data_batch)
                outputs = train_step(data_batch, optim_wrapper=optim_wrapper)
                call_hook(
                    "after_train_iter", batch_idx=batch_idx, data_batch=data_batch, outputs=outputs
                )
                state.iter += 1
                state.inner_iter += 1
                if agree is not None:  # every rank, every iteration
                    agree()
                if stop.signum is not None:  # a signal: no validation, stop here
                    break
                if ctx.validate is not None and self.validates_after(state.iter, self.max_iters):
                    ctx.validate()
                    ctx.model.train()
            if stop.signum is not None:
                stop.halt_here()
            call_hook("after_train_epoch")
        finally:
            call_hook("after_train")
        return ctx.model

    def _batches(self, dataloader: Iterable[Any], state: TrainState) -> Iterator[Any]:
        """Yield batches forever; each pass over the dataloader is one epoch of the state."""
        iterator = _skip(dataloader, state.inner_iter)
        while True:
            yield from iterator
            state.epoch += 1
            state.inner_iter = 0
            set_epoch(dataloader, state.epoch)
            iterator = iter(dataloader)
            if length_of(dataloader) == 0:
                raise ConfigError(
                    "the training dataloader is empty", config_path="train_dataloader"
                )


class _EvalLoop:
    mode = "val"
    step_name = "val_step"

    def run(self, ctx: EvalContext) -> Metrics:
        """Run the model over the dataloader and return the evaluator's metrics."""
        mode, call_hook = self.mode, ctx.call_hook
        step = _step(ctx.model, self.step_name)
        call_hook(f"before_{mode}")
        call_hook(f"before_{mode}_epoch")
        before_iter, after_iter = f"before_{mode}_iter", f"after_{mode}_iter"
        was_training = ctx.model.training
        ctx.model.eval()
        try:
            with torch.no_grad():
                for batch_idx, data_batch in enumerate(ctx.dataloader):
                    call_hook(before_iter, batch_idx=batch_idx, data_batch=data_batch)
                    outputs = step(data_batch)
                    ctx.evaluator.process(data_samples=outputs, data_batch=data_batch)
                    call_hook(
                        after_iter, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs
                    )
            metrics: Metrics = ctx.evaluator.evaluate(_dataset_size(ctx.dataloader))
        except MetricMismatchError as exc:  # the evaluator does not fit the model's outputs
            raise ConfigError(str(exc), config_path=f"{mode}_evaluator") from exc
        finally:
            ctx.model.train(was_training)
        call_hook(f"after_{mode}_epoch", metrics=metrics)
        call_hook(f"after_{mode}")
        return metrics


def _dataset_size(dataloader: Iterable[Any]) -> int:
    dataset = getattr(dataloader, "dataset", None)
    size = length_of(dataset) if dataset is not None else None
    return size if size is not None else 0


@LOOPS.register_module()
class ValLoop(_EvalLoop):
    """One pass of ``val_step`` over the validation dataloader, then the evaluator."""

    mode = "val"
    step_name = "val_step"


@LOOPS.register_module()
class TestLoop(_EvalLoop):
    """One pass of ``test_step`` over the test dataloader, then the evaluator."""

    mode = "test"
    step_name = "test_step"


class TrainLoop(Protocol):
    """What the runner needs of a training loop (both built-in loops are ones)."""

    by_epoch: bool
    stop_training: bool

    def run(self, ctx: TrainContext) -> torch.nn.Module: ...


class EvalLoop(Protocol):
    """What the runner needs of a validation or test loop."""

    def run(self, ctx: EvalContext) -> Metrics: ...
