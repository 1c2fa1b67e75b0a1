"""ParamSchedulerHook: steps the parameter schedulers."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from .._hook import DataBatch, Hook, Priority
from .._registries import HOOKS


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    """Step iteration-based schedulers after each training iteration and epoch-based ones
    (``by_epoch`` true, the default) after each training epoch."""

    priority = Priority.LOW

    def __init__(self) -> None:
        self._by_iter: list[Any] = []
        self._by_epoch: list[Any] = []

    def before_train(self, runner: Any) -> None:
        self._by_epoch, self._by_iter = _split(runner.param_schedulers)

    def idle_stages(self, runner: Any) -> Collection[str]:
        """After each iteration without iteration-based schedulers, after each epoch without
        epoch-based ones."""
        by_epoch, by_iter = _split(getattr(runner, "param_schedulers", None) or ())
        return [
            stage
            for stage, schedulers in (
                ("after_train_iter", by_iter),
                ("after_train_epoch", by_epoch),
            )
            if not schedulers
        ]

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        for scheduler in self._by_iter:
            scheduler.step()

    def after_train_epoch(self, runner: Any) -> None:
        for scheduler in self._by_epoch:
            scheduler.step()


def _split(schedulers: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """The epoch-based schedulers (``by_epoch`` true, the default) and the iteration-based."""
    by_epoch: list[Any] = []
    by_iter: list[Any] = []
    for scheduler in schedulers:
        (by_epoch if getattr(scheduler, "by_epoch", True) else by_iter).append(scheduler)
    return by_epoch, by_iter
