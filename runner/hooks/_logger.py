"""LoggerHook: a line every few iterations, and the metrics after each evaluation."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from .._registries import HOOKS
from .._sections import check_positive
from ..data import length_of
from ..engine import DataBatch, Hook, Priority, RunnerView, scalars


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
        check_positive("interval", interval)
        self.interval = interval
        self.ignore_last = ignore_last
        self._by_epoch = True
        self._length: int | None = None
        self._width = 1  # of the iteration count in an epoch, for aligned lines

    def before_train(self, runner: RunnerView) -> None:
        self._by_epoch = bool(getattr(runner.train_loop, "by_epoch", True))

    def before_train_epoch(self, runner: RunnerView) -> None:
        self._length = length_of(runner.train_dataloader)
        self._width = _width(self._length)

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        # most iterations log nothing: decide with as little work as possible
        if self._by_epoch:
            count = batch_idx + 1
            if count % self.interval and (self.ignore_last or count != self._length):
                return
        elif (runner.iter + 1) % self.interval:
            return
        logger = runner.logger
        if logger.isEnabledFor(logging.INFO):  # a line nobody sees is not built
            logger.info(self._train_line(runner, batch_idx, outputs))

    def _train_line(self, runner: RunnerView, batch_idx: int, outputs: Any) -> str:
        """The progress line: where, learning rates, ETA, times, and the logged values.

        The values are read (``.item()``, a device sync) only here, once per line.
        """
        length = self._length
        max_iters = runner.max_iters
        if self._by_epoch:
            where = f"Epoch(train) [{runner.epoch + 1}][{batch_idx + 1:>{self._width}}/{length}]"
        else:
            where = f"Iter(train) [{runner.iter + 1:>{len(str(max_iters))}}/{max_iters}]"
        parts = [where]
        optim_wrapper = runner.optim_wrapper
        if optim_wrapper is not None:
            for name, values in optim_wrapper.get_lr().items():
                parts.append(f"{name}: {values[0]:.4e}")
        hub = runner.message_hub
        step_time = hub.mean("train/time", self.interval)
        if step_time is not None:
            if max_iters:
                left = max(max_iters - runner.iter - 1, 0) * step_time
                parts.append(f"eta: {datetime.timedelta(seconds=int(left))}")
            parts.append(f"time: {step_time:.4f}")
        data_time = hub.mean("train/data_time", self.interval)
        if data_time is not None:
            parts.append(f"data_time: {data_time:.4f}")
        for name, value in scalars(outputs).items():
            parts.append(f"{name}: {value:.4f}")
        return "  ".join(parts)

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        where = f"Epoch(val) [{runner.epoch}]" if runner.max_epochs else "Epoch(val)"
        if not getattr(runner.train_loop, "by_epoch", True):
            where = f"Iter(val) [{runner.iter}]"
        self._log_metrics(runner, "val", where, metrics)

    def after_test_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        self._log_metrics(runner, "test", "Epoch(test)", metrics)

    def _log_metrics(
        self, runner: RunnerView, mode: str, where: str, metrics: Mapping[str, float] | None
    ) -> None:
        values = scalars(metrics)
        runner.message_hub.update_scalars(values, prefix=f"{mode}/")
        parts = [where, *(f"{name}: {value:.4f}" for name, value in values.items())]
        runner.logger.info("  ".join(parts))


def _width(length: int | None) -> int:
    return len(str(length)) if length is not None else 1
