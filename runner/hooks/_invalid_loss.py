"""CheckInvalidLossHook: a NaN or infinite loss stops the run, naming the iteration."""

from __future__ import annotations

import math
from typing import Any

import torch

from container import RegwireError

from .._registries import HOOKS
from .._sections import check_positive
from ..engine import DataBatch, Hook, Priority, RunnerView


class InvalidLossError(RegwireError):
    """The training loss became NaN or infinite (often a learning rate too high)."""


@HOOKS.register_module()
class CheckInvalidLossHook(Hook):
    """Stop training when the loss is NaN or infinite (MMEngine's hook; one of regwire's
    default hooks: ``default_hooks: {check_invalid_loss: null}`` turns it off).

    The loss is read (a device sync) every ``interval`` iterations, at the end of each epoch
    and of training, and before every checkpoint, so no checkpoint is written from a run
    whose loss went bad unnoticed. Between reads, the newest loss is only kept.

    Args:
        interval: Read the loss every this many iterations.
    """

    priority = Priority.NORMAL

    def __init__(self, interval: int = 50) -> None:
        check_positive("interval", interval)
        self.interval = interval
        self._loss: Any = None
        self._at = (0, 0, 0)  # the iteration (from 1), epoch (from 1) and batch of the loss

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        # every iteration: keep the loss and where, read nothing (the message is built later)
        loss = outputs.get("loss") if isinstance(outputs, dict) else None
        if loss is None:
            return
        count = runner.iter + 1
        self._loss, self._at = loss, (count, runner.epoch + 1, batch_idx)
        if count % self.interval == 0:
            self._check()

    def after_train_epoch(self, runner: RunnerView) -> None:
        self._check()

    def after_train(self, runner: RunnerView) -> None:
        self._check()

    def before_save_checkpoint(self, runner: RunnerView, checkpoint: dict[str, Any]) -> None:
        self._check()

    def _check(self) -> None:
        loss, self._loss = self._loss, None
        if loss is None:
            return
        value = float(loss.detach().float().mean()) if isinstance(loss, torch.Tensor) else loss
        if not math.isfinite(value):
            count, epoch, batch = self._at
            raise InvalidLossError(
                f"the loss is {value} at iteration {count} (epoch {epoch}, batch {batch}): "
                "training stops before it writes "
                "anything more (lower the learning rate, clip gradients, or look at the data; "
                "default_hooks: {check_invalid_loss: null} turns this check off)"
            )
