"""DistSamplerSeedHook: a new shuffle order every epoch."""

from __future__ import annotations

from .._registries import HOOKS
from ..data import set_epoch
from ..engine import Hook, Priority, RunnerView


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Call ``set_epoch(epoch)`` on the training sampler (and batch sampler) before each
    epoch, so that a seeded sampler shuffles differently, and reproducibly, every epoch."""

    priority = Priority.NORMAL

    def before_train_epoch(self, runner: RunnerView) -> None:
        set_epoch(runner.train_dataloader, runner.epoch)
