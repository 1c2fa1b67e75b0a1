"""ParamSchedulerHook: steps the parameter schedulers."""

from __future__ import annotations

from typing import Any

from .._registries import HOOKS
from ..engine import DataBatch, Hook, Priority, RunnerView


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    """Step iteration-based schedulers after each training iteration and epoch-based ones
    (``by_epoch`` true, the default) after each training epoch."""

    priority = Priority.LOW

    def __init__(self) -> None:
        self._by_iter: list[Any] = []
        self._by_epoch: list[Any] = []

    def before_train(self, runner: RunnerView) -> None:
        schedulers = list(runner.param_schedulers)
        self._by_epoch = [s for s in schedulers if getattr(s, "by_epoch", True)]
        self._by_iter = [s for s in schedulers if not getattr(s, "by_epoch", True)]

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        for scheduler in self._by_iter:
            scheduler.step()

    def after_train_epoch(self, runner: RunnerView) -> None:
        for scheduler in self._by_epoch:
            scheduler.step()
