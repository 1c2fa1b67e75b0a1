"""Hook and Priority: the extension points of a training run, with MMEngine's names.

A hook overrides the stages it cares about; the runner calls, at each stage, only the hooks
whose class overrides it, in priority order (see :func:`runner.engine.call_stage`). ``runner`` in
every signature is the runner that calls the hook, typed as :class:`~runner.engine.RunnerView`:
what a hook may read and do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Sized
from enum import IntEnum
from typing import Any

from container import did_you_mean

from ._view import RunnerView

DataBatch = Any
"""What a dataloader yields: a dict, a tuple or list, or a tensor."""


class Priority(IntEnum):
    """Hook priorities: a smaller value runs earlier (MMEngine's nine levels)."""

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: int | str | Priority) -> int:
    """Return a priority as an int.

    Args:
        priority: A :class:`Priority`, an int from 0 to 100, or a level's name in any case
            (``"high"``, ``"VERY_LOW"``).

    Raises:
        TypeError: The value is neither an int, a str nor a Priority (as MMEngine raises).
        ValueError: The int is out of range, or the name is unknown (the message lists the
            names and suggests the nearest).

    Example:
        >>> get_priority("very_high"), get_priority(Priority.LOW), get_priority(42)
        (10, 70, 42)
    """
    if isinstance(priority, Priority):
        return int(priority)
    if isinstance(priority, bool):  # bool is an int; True is no priority
        raise TypeError(f"priority must be an int, a name or a Priority, got {priority!r}")
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise ValueError(f"priority must be between 0 and 100, got {priority}")
        return priority
    if isinstance(priority, str):
        try:
            return int(Priority[priority.upper()])
        except KeyError:
            names = list(Priority.__members__)
            raise ValueError(
                f"unknown priority {priority!r}{did_you_mean(priority.upper(), names)} "
                f"(valid names, in any case: {', '.join(names)}; or an int from 0 to 100)"
            ) from None
    raise TypeError(
        f"priority must be an int from 0 to 100, a name or a Priority, got {priority!r} "
        f"(a {type(priority).__name__})"
    )


class Hook:
    """The base class of hooks; override the stages you need.

    Stages come in MMEngine's order: ``before_run``; ``after_load_checkpoint``;
    ``before_train``; per epoch ``before_train_epoch``, per iteration ``before_train_iter`` /
    ``after_train_iter``, ``after_train_epoch``; the same for ``val`` and ``test`` (whose
    ``after_*_epoch`` receive the metrics); ``before_save_checkpoint``; ``after_train``;
    ``after_run``. The epoch and iteration stages of the base class forward to
    ``_before_epoch`` / ``_after_epoch`` / ``_before_iter`` / ``_after_iter`` with a
    ``mode`` (``"train"``, ``"val"``, ``"test"``), so a hook can override those instead.

    During ``after_train_iter`` ``runner.iter`` is the index of the iteration that just ended
    (it counts from 0), and during ``after_train_epoch`` ``runner.epoch`` is the index of the
    epoch that just ended: ``self.every_n_train_iters(runner, 10)`` is true after the 10th,
    20th, ... iteration.

    Attributes:
        priority: Where the hook runs among the others at each stage (see :class:`Priority`);
            a config entry's ``priority`` replaces it.
    """

    priority: int | str | Priority = Priority.NORMAL

    def before_run(self, runner: RunnerView) -> None:
        """Before ``train``, ``val`` or ``test`` does anything."""

    def after_run(self, runner: RunnerView) -> None:
        """After ``train``, ``val`` or ``test`` has finished."""

    def before_train(self, runner: RunnerView) -> None:
        """Before the first training epoch or iteration."""

    def after_train(self, runner: RunnerView) -> None:
        """After training, also when it stops early."""

    def before_val(self, runner: RunnerView) -> None:
        """Before a validation."""

    def after_val(self, runner: RunnerView) -> None:
        """After a validation."""

    def before_test(self, runner: RunnerView) -> None:
        """Before a test."""

    def after_test(self, runner: RunnerView) -> None:
        """After a test."""

    def before_save_checkpoint(self, runner: RunnerView, checkpoint: dict[str, Any]) -> None:
        """Before a checkpoint is written; may add to ``checkpoint``."""

    def after_load_checkpoint(self, runner: RunnerView, checkpoint: dict[str, Any]) -> None:
        """After a checkpoint was loaded into the model (and, on resume, everything else)."""

    def before_train_epoch(self, runner: RunnerView) -> None:
        self._before_epoch(runner, mode="train")

    def before_val_epoch(self, runner: RunnerView) -> None:
        self._before_epoch(runner, mode="val")

    def before_test_epoch(self, runner: RunnerView) -> None:
        self._before_epoch(runner, mode="test")

    def after_train_epoch(self, runner: RunnerView) -> None:
        self._after_epoch(runner, mode="train")

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        self._after_epoch(runner, mode="val")

    def after_test_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        self._after_epoch(runner, mode="test")

    def before_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None
    ) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="train")

    def before_val_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None
    ) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="val")

    def before_test_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None
    ) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="test")

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        self._after_iter(runner, batch_idx, data_batch, outputs, mode="train")

    def after_val_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        self._after_iter(runner, batch_idx, data_batch, outputs, mode="val")

    def after_test_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        self._after_iter(runner, batch_idx, data_batch, outputs, mode="test")

    def _before_epoch(self, runner: RunnerView, mode: str = "train") -> None:
        """Before an epoch of any mode."""

    def _after_epoch(self, runner: RunnerView, mode: str = "train") -> None:
        """After an epoch of any mode."""

    def _before_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, mode: str = "train"
    ) -> None:
        """Before an iteration of any mode."""

    def _after_iter(
        self,
        runner: RunnerView,
        batch_idx: int,
        data_batch: DataBatch = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        """After an iteration of any mode."""

    # -- interval helpers (MMEngine's) ------------------------------------------------------

    def every_n_epochs(self, runner: RunnerView, n: int, start: int = 0) -> bool:
        """Tell whether the epoch that is ending is the n-th, 2n-th, ... counted from ``start``."""
        dividend = runner.epoch + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def every_n_train_iters(self, runner: RunnerView, n: int, start: int = 0) -> bool:
        """Tell whether the iteration that is ending is the n-th, 2n-th, ... of training."""
        dividend = runner.iter + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def every_n_inner_iters(self, batch_idx: int, n: int) -> bool:
        """Tell whether ``batch_idx`` ends the n-th, 2n-th, ... iteration of its epoch."""
        return (batch_idx + 1) % n == 0 if n > 0 else False

    def end_of_epoch(self, dataloader: Sized, batch_idx: int) -> bool:
        """Tell whether ``batch_idx`` is the last batch of ``dataloader``."""
        return batch_idx + 1 == len(dataloader)

    def is_last_train_epoch(self, runner: RunnerView) -> bool:
        """Tell whether the epoch that is ending is the last one."""
        return bool(runner.epoch + 1 == runner.max_epochs)

    def is_last_train_iter(self, runner: RunnerView) -> bool:
        """Tell whether the iteration that is ending is the last one."""
        return bool(runner.iter + 1 == runner.max_iters)


NO_ARGS: tuple[str, ...] = ()
ITER_ARGS = ("batch_idx", "data_batch")
ITER_OUTPUT_ARGS = ("batch_idx", "data_batch", "outputs")
METRICS_ARGS = ("metrics",)
CHECKPOINT_ARGS = ("checkpoint",)
"""The five argument lists a stage passes after ``runner``."""

STAGES: Mapping[str, tuple[str, ...]] = {
    "before_run": NO_ARGS,
    "after_load_checkpoint": CHECKPOINT_ARGS,
    "before_train": NO_ARGS,
    "before_train_epoch": NO_ARGS,
    "before_train_iter": ITER_ARGS,
    "after_train_iter": ITER_OUTPUT_ARGS,
    "after_train_epoch": NO_ARGS,
    "before_val": NO_ARGS,
    "before_val_epoch": NO_ARGS,
    "before_val_iter": ITER_ARGS,
    "after_val_iter": ITER_OUTPUT_ARGS,
    "after_val_epoch": METRICS_ARGS,
    "after_val": NO_ARGS,
    "before_save_checkpoint": CHECKPOINT_ARGS,
    "after_train": NO_ARGS,
    "before_test": NO_ARGS,
    "before_test_epoch": NO_ARGS,
    "before_test_iter": ITER_ARGS,
    "after_test_iter": ITER_OUTPUT_ARGS,
    "after_test_epoch": METRICS_ARGS,
    "after_test": NO_ARGS,
    "after_run": NO_ARGS,
}
"""The 22 stages in the order a run reaches them, each with the keyword arguments it passes
after ``runner``."""

HELPERS: Mapping[str, str] = {
    stage: f"_{stage.split('_')[0]}_{stage.rsplit('_', 1)[1]}"
    for stage in STAGES
    if stage.endswith(("_epoch", "_iter"))
}
"""Stage → the ``_before_epoch``-style method that :class:`Hook`'s version of it calls."""


def hook_names(hooks: Sequence[object]) -> list[str]:
    """Name hooks by class; a repeated class gets ``#2``, ``#3``... in list order."""
    seen: dict[str, int] = {}
    names = []
    for hook in hooks:
        base = type(hook).__name__
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return names
