"""DistSamplerSeedHook: a new shuffle order every epoch."""

from __future__ import annotations

from typing import Any

from .._data import set_epoch
from .._hook import Hook, Priority
from .._registries import HOOKS


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Call ``set_epoch(epoch)`` on the training sampler (and batch sampler) before each
    epoch, so that a seeded sampler shuffles differently, and reproducibly, every epoch."""

    priority = Priority.NORMAL

    def before_train_epoch(self, runner: Any) -> None:
        set_epoch(runner.train_dataloader, runner.epoch)
