"""RuntimeInfoHook: publishes the run's counters, learning rates and losses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._registries import HOOKS
from ..engine import DataBatch, Hook, Priority, RunnerView, is_scalar


@HOOKS.register_module()
class RuntimeInfoHook(Hook):
    """Publish what other hooks may read in ``runner.message_hub`` (MMEngine's hook).

    Info ``epoch``, ``iter``, ``max_epochs``, ``max_iters``; scalars ``train/lr`` (one per
    parameter group name, the first group's value), ``train/<param_name>`` for every other
    key a parameter scheduler changes (``train/momentum``, ``train/weight_decay``: the first
    group's value, of the first optimizer scheduled), ``train/<name>`` for each value
    ``train_step`` returned, and ``val/<name>`` / ``test/<name>`` for the metrics. Not among
    the default hooks (it reads a tensor every iteration); add it to ``default_hooks`` or
    ``custom_hooks`` when a hook of yours needs it.
    """

    priority = Priority.VERY_HIGH

    def __init__(self) -> None:
        self._scheduled: dict[str, Any] = {}  # param name -> the groups it is read from

    def before_train(self, runner: RunnerView) -> None:
        hub = runner.message_hub
        for key in ("epoch", "iter", "max_epochs", "max_iters"):
            hub.update_info(key, getattr(runner, key))
        self._scheduled = {}
        for scheduler in runner.param_schedulers:
            name = getattr(scheduler, "param_name", None)
            optimizer = getattr(scheduler, "optimizer", None)
            if isinstance(name, str) and name != "lr" and optimizer is not None:
                self._scheduled.setdefault(name, optimizer.param_groups)

    def before_train_epoch(self, runner: RunnerView) -> None:
        runner.message_hub.update_info("epoch", runner.epoch)

    def before_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None
    ) -> None:
        hub = runner.message_hub
        hub.update_info("iter", runner.iter)
        if runner.optim_wrapper is not None:
            for name, values in runner.optim_wrapper.get_lr().items():
                hub.update_scalar(f"train/{name}", values[0])
        for name, groups in self._scheduled.items():
            hub.update_scalar(f"train/{name}", float(groups[0][name]))

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        if isinstance(outputs, Mapping):  # tensors as they are: read when logged, no sync
            hub = runner.message_hub
            for name, value in outputs.items():
                if is_scalar(value):
                    hub.update_scalar(f"train/{name}", value)

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        runner.message_hub.update_scalars(dict(metrics or {}), prefix="val/")

    def after_test_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        runner.message_hub.update_scalars(dict(metrics or {}), prefix="test/")
