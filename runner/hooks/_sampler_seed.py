"""DistSamplerSeedHook: a new shuffle order every epoch."""

from __future__ import annotations

from typing import Any

from .._hook import Hook, Priority
from .._registries import HOOKS


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Call ``set_epoch(epoch)`` on the training sampler (and batch sampler) before each
    epoch, so that a seeded sampler shuffles differently, and reproducibly, every epoch."""

    priority = Priority.NORMAL

    def before_train_epoch(self, runner: Any) -> None:
        loader = runner.train_dataloader
        for part in (getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
            set_epoch = getattr(part, "set_epoch", None)
            if set_epoch is not None:
                set_epoch(runner.epoch)
