"""IterTimerHook: how long each iteration and its data loading took."""

from __future__ import annotations

from collections import deque
from time import perf_counter
from typing import Any

from .._registries import HOOKS
from ..engine import DataBatch, Hook, Priority, RunnerView


@HOOKS.register_module()
class IterTimerHook(Hook):
    """Publish ``{mode}/time`` (whole iteration) and ``{mode}/data_time`` (waiting for the
    batch) in ``runner.message_hub``, for the logger."""

    priority = Priority.NORMAL

    def __init__(self) -> None:
        self._last = perf_counter()
        self._time: deque[float] | None = None
        self._data_time: deque[float] | None = None

    def before_train(self, runner: RunnerView) -> None:
        # the training series are looked up once; each iteration appends to them directly
        hub = runner.message_hub
        self._time, self._data_time = hub.history("train/time"), hub.history("train/data_time")

    def _before_epoch(self, runner: RunnerView, mode: str = "train") -> None:
        self._last = perf_counter()

    # the training stages directly, not through the mode helpers: they run every iteration

    def before_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None
    ) -> None:
        series = self._data_time
        if series is None:  # called without before_train
            series = self._data_time = runner.message_hub.history("train/data_time")
        series.append(perf_counter() - self._last)

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        now = perf_counter()
        series = self._time
        if series is None:
            series = self._time = runner.message_hub.history("train/time")
        series.append(now - self._last)
        self._last = now

    def _before_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, mode: str = "train"
    ) -> None:
        runner.message_hub.update_scalar(f"{mode}/data_time", perf_counter() - self._last)

    def _after_iter(
        self,
        runner: RunnerView,
        batch_idx: int,
        data_batch: DataBatch = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        now = perf_counter()
        runner.message_hub.update_scalar(f"{mode}/time", now - self._last)
        self._last = now
