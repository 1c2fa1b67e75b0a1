"""ParamSchedulerHook: steps the parameter schedulers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._registries import HOOKS
from ..engine import DataBatch, Hook, Priority, RunnerView


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    """Step the parameter schedulers, as MMEngine's hook does.

    Iteration-based schedulers step after each training iteration, epoch-based ones
    (``by_epoch`` true, the default) after each training epoch; schedulers that judge a
    validation metric (``need_val_args``, the ``ReduceOnPlateau*`` family, epoch-based)
    step again after each validation, with its metrics.
    """

    priority = Priority.LOW

    def __init__(self) -> None:
        self._by_iter: list[Any] = []
        self._by_epoch: list[Any] = []
        self._on_metrics: list[Any] = []

    def before_train(self, runner: RunnerView) -> None:
        schedulers = list(runner.param_schedulers)
        self._by_epoch = [s for s in schedulers if getattr(s, "by_epoch", True)]
        self._by_iter = [s for s in schedulers if not getattr(s, "by_epoch", True)]
        self._on_metrics = [s for s in self._by_epoch if getattr(s, "need_val_args", False)]

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        for scheduler in self._by_iter:
            scheduler.step()

    def after_train_epoch(self, runner: RunnerView) -> None:
        for scheduler in self._by_epoch:
            scheduler.step()

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        if metrics is None:
            return
        for scheduler in self._on_metrics:
            scheduler.step(dict(metrics))
