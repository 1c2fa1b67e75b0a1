"""IterTimerHook: how long each iteration and its data loading took."""

from __future__ import annotations

import time
from typing import Any

from .._hook import DataBatch, Hook, Priority
from .._registries import HOOKS


@HOOKS.register_module()
class IterTimerHook(Hook):
    """Publish ``{mode}/time`` (whole iteration) and ``{mode}/data_time`` (waiting for the
    batch) in ``runner.message_hub``, for the logger."""

    priority = Priority.NORMAL

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def _before_epoch(self, runner: Any, mode: str = "train") -> None:
        self._last = time.perf_counter()

    # the training stages directly, not through the mode helpers: they run every iteration

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: DataBatch = None) -> None:
        runner.message_hub.update_scalar("train/data_time", time.perf_counter() - self._last)

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        now = time.perf_counter()
        runner.message_hub.update_scalar("train/time", now - self._last)
        self._last = now

    def _before_iter(
        self, runner: Any, batch_idx: int, data_batch: DataBatch = None, mode: str = "train"
    ) -> None:
        runner.message_hub.update_scalar(f"{mode}/data_time", time.perf_counter() - self._last)

    def _after_iter(
        self,
        runner: Any,
        batch_idx: int,
        data_batch: DataBatch = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        now = time.perf_counter()
        runner.message_hub.update_scalar(f"{mode}/time", now - self._last)
        self._last = now
