"""LoggerHook: a line every few iterations, and the metrics after each evaluation."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import torch

from .._hook import DataBatch, Hook, Priority
from .._registries import HOOKS


@HOOKS.register_module()
class LoggerHook(Hook):
    """Log training progress to ``runner.logger`` (and so to ``work_dir/<timestamp>/``).

    Every ``interval`` training iterations: epoch and iteration, learning rate, ETA, the
    iteration and data times of :class:`IterTimerHook`, and the values ``train_step``
    returned. After each validation or test: the metrics, which are also published in
    ``runner.message_hub`` as ``val/<name>`` and ``test/<name>``.

    Args:
        interval: Log every this many training iterations.
        ignore_last: Skip the last iterations of an epoch that do not fill an interval.
    """

    priority = Priority.BELOW_NORMAL

    def __init__(self, interval: int = 10, ignore_last: bool = True) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"interval must be a positive int, got {interval!r}")
        self.interval = interval
        self.ignore_last = ignore_last
        self._by_epoch = True
        self._length: int | None = None

    def before_train(self, runner: Any) -> None:
        self._by_epoch = bool(getattr(runner.train_loop, "by_epoch", True))

    def before_train_epoch(self, runner: Any) -> None:
        self._length = _length(runner.train_dataloader)

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        by_epoch, length = self._by_epoch, self._length
        if by_epoch:
            due = (batch_idx + 1) % self.interval == 0 or (
                not self.ignore_last and batch_idx + 1 == length
            )
        else:
            due = (runner.iter + 1) % self.interval == 0
        if not due:
            return
        if by_epoch:
            where = f"Epoch(train) [{runner.epoch + 1}][{batch_idx + 1:>{_width(length)}}/{length}]"
        else:
            total = runner.max_iters
            where = f"Iter(train) [{runner.iter + 1:>{len(str(total))}}/{total}]"
        parts = [where]
        lrs = runner.optim_wrapper.get_lr() if runner.optim_wrapper is not None else {}
        for name, values in lrs.items():
            parts.append(f"{name}: {values[0]:.4e}")
        hub = runner.message_hub
        step_time = hub.mean("train/time", self.interval)
        if step_time is not None and runner.max_iters:
            left = max(runner.max_iters - runner.iter - 1, 0) * step_time
            parts.append(f"eta: {datetime.timedelta(seconds=int(left))}")
        for key in ("time", "data_time"):
            value = hub.mean(f"train/{key}", self.interval)
            if value is not None:
                parts.append(f"{key}: {value:.4f}")
        parts.extend(f"{name}: {value:.4f}" for name, value in _scalars(outputs).items())
        runner.logger.info("  ".join(parts))

    def after_val_epoch(self, runner: Any, metrics: Mapping[str, float] | None = None) -> None:
        where = f"Epoch(val) [{runner.epoch}]" if runner.max_epochs else "Epoch(val)"
        if not getattr(runner.train_loop, "by_epoch", True):
            where = f"Iter(val) [{runner.iter}]"
        self._log_metrics(runner, "val", where, metrics)

    def after_test_epoch(self, runner: Any, metrics: Mapping[str, float] | None = None) -> None:
        self._log_metrics(runner, "test", "Epoch(test)", metrics)

    def _log_metrics(
        self, runner: Any, mode: str, where: str, metrics: Mapping[str, float] | None
    ) -> None:
        values = _scalars(metrics)
        runner.message_hub.update_scalars(values, prefix=f"{mode}/")
        parts = [where, *(f"{name}: {value:.4f}" for name, value in values.items())]
        runner.logger.info("  ".join(parts))


def _scalars(values: Mapping[str, Any] | None) -> dict[str, float]:
    """The entries of ``values`` that are numbers or one-element tensors, as floats."""
    scalars = {}
    for name, value in (values or {}).items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            scalars[name] = float(value.item())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            scalars[name] = float(value)
    return scalars


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _width(length: int | None) -> int:
    return len(str(length)) if length is not None else 1
