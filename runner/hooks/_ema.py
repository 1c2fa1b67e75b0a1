"""EMAHook: an averaged copy of the model, used for validation, test and the checkpoints."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from container import ConfigError

from .._registries import HOOKS, MODELS
from .._sections import ArgumentError
from ..engine import DataBatch, Hook, Priority, RunnerView
from ..model import is_sharded
from ._averaged import BaseAveragedModel

PREFIX = "module."
"""The averaged model's keys in ``ema_state_dict``: its ``module`` holds the copy."""


@HOOKS.register_module()
class EMAHook(Hook):
    """Keep an average of the model's weights during training (MMEngine's hook and format).

    The averaged weights are swapped into the model for each validation and test, and are
    the ``state_dict`` of every checkpoint, so a saved or best checkpoint is the averaged
    model; the training weights travel in the checkpoint's ``ema_state_dict`` (with the
    average's ``steps``) and come back on ``resume``, which continues the average exactly.
    A checkpoint loaded with ``load_from`` starts the average from its weights.

    Args:
        ema_type: The averaged model, from ``MODELS``: ``ExponentialMovingAverage``,
            ``MomentumAnnealingEMA`` or ``StochasticWeightAverage`` (or your own).
        strict_load: Load the average's state strictly.
        begin_iter: Start averaging at this iteration (before it, the average copies the
            model).
        begin_epoch: Start averaging at this epoch instead.
        **kwargs: Arguments of ``ema_type`` (``momentum``, ``gamma``, ``interval``,
            ``update_buffers``...).

    Raises:
        ArgumentError: Both ``begin_iter`` and ``begin_epoch`` are given, one is negative, or
            an argument of a built-in ``ema_type`` is unknown or out of range (a
            ``ValueError``; built from a config, a ``ConfigError`` naming its path).
    """

    priority = Priority.NORMAL

    def __init__(
        self,
        ema_type: str = "ExponentialMovingAverage",
        strict_load: bool = False,
        begin_iter: int = 0,
        begin_epoch: int = 0,
        **kwargs: Any,
    ) -> None:
        if begin_iter and begin_epoch:
            raise ArgumentError(
                "begin_epoch",
                f"and begin_iter are both given ({begin_epoch}, {begin_iter}); keep one",
            )
        for name, value in (("begin_iter", begin_iter), ("begin_epoch", begin_epoch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ArgumentError(name, f"must be an int >= 0, got {value!r}")
        averaged = MODELS.get(ema_type)
        if isinstance(averaged, type) and issubclass(averaged, BaseAveragedModel):
            averaged.check_arguments(kwargs)  # now, not when the run starts
        self.ema_cfg = {"type": ema_type, **kwargs}
        self.strict_load = strict_load
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.ema_model: BaseAveragedModel | None = None
        self.src_model: nn.Module | None = None
        self._resuming = False

    def before_run(self, runner: RunnerView) -> None:
        """Make the averaged copy (once per hook: a second run of the runner keeps it)."""
        if is_sharded(runner.model):
            raise ConfigError(
                "EMAHook keeps an averaged copy of the whole model, which a sharded model "
                "(model_wrapper_cfg: FullyShardedModel) cannot make: remove EMAHook from "
                "custom_hooks, or train without sharding",
                config_path="custom_hooks",
            )
        if self.ema_model is None:
            model = runner.model
            inner = getattr(model, "module", None)  # a DDP wrapper's model
            self.src_model = inner if isinstance(inner, nn.Module) else model
            self.ema_model = MODELS.build(self.ema_cfg, default_args={"model": self.src_model})

    def before_train(self, runner: RunnerView) -> None:
        if self.begin_epoch > runner.max_epochs > 0 or self.begin_iter > runner.max_iters > 0:
            runner.logger.warning(
                "EMAHook begins after training ends (begin_epoch %d, begin_iter %d): the "
                "average is a copy of the model",
                self.begin_epoch,
                self.begin_iter,
            )

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        ema, src = self.ema_model, self.src_model
        if ema is None or src is None:
            return
        if self._started(runner):
            ema.update_parameters(src)
        else:
            with torch.no_grad():
                for averaged, current in zip(
                    ema.module.state_dict().values(), src.state_dict().values(), strict=True
                ):
                    averaged.copy_(current)

    def _started(self, runner: RunnerView) -> bool:
        if self.begin_epoch:
            return runner.epoch + 1 >= self.begin_epoch
        return runner.iter + 1 >= self.begin_iter

    def before_val_epoch(self, runner: RunnerView) -> None:
        self._swap_parameters()

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        self._swap_parameters()

    def before_test_epoch(self, runner: RunnerView) -> None:
        self._swap_parameters()

    def after_test_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        self._swap_parameters()

    def _swap_parameters(self) -> None:
        """Exchange the model's weights with the average's (buffers too with
        ``update_buffers``)."""
        ema, src = self.ema_model, self.src_model
        if ema is None or src is None:
            return
        if ema.update_buffers:
            pairs = zip(
                itertools.chain(ema.module.parameters(), ema.module.buffers()),
                itertools.chain(src.parameters(), src.buffers()),
                strict=True,
            )
        else:
            pairs = zip(ema.module.parameters(), src.parameters(), strict=True)
        with torch.no_grad():
            for averaged, current in pairs:
                kept = averaged.detach().clone()
                averaged.copy_(current)
                current.copy_(kept)

    def state_dict(self) -> dict[str, Any]:
        """What tells a resume from a load (the weights are in ``ema_state_dict``)."""
        return {"steps": self.ema_model._steps if self.ema_model is not None else 0}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._resuming = True  # only a resume restores hook states

    def before_save_checkpoint(self, runner: RunnerView, checkpoint: dict[str, Any]) -> None:
        """Save the average as the checkpoint's ``state_dict``, the training weights and the
        average's steps in ``ema_state_dict``."""
        if self.ema_model is None:
            return
        ema_state = self.ema_model.state_dict()
        model_state = checkpoint["state_dict"]
        for key in ema_state:
            if key.startswith(PREFIX) and key[len(PREFIX) :] in model_state:
                name = key[len(PREFIX) :]
                ema_state[key], model_state[name] = model_state[name], ema_state[key]
        checkpoint["ema_state_dict"] = ema_state

    def after_load_checkpoint(self, runner: RunnerView, checkpoint: dict[str, Any]) -> None:
        """On resume: the average from ``state_dict``, the training weights (and steps) from
        ``ema_state_dict``. On a load: the average starts from the loaded weights."""
        ema, src = self.ema_model, self.src_model
        if ema is None or src is None:
            return
        resuming, self._resuming = self._resuming, False
        model_state = checkpoint["state_dict"]
        saved = checkpoint.get("ema_state_dict")
        if resuming and saved is not None:
            averaged = {**saved, **{PREFIX + k: v for k, v in model_state.items()}}
            ema.load_state_dict(averaged, strict=self.strict_load)
            training = {k[len(PREFIX) :]: v for k, v in saved.items() if k.startswith(PREFIX)}
            src.load_state_dict(training, strict=False)
            return
        if resuming:
            runner.logger.warning("the checkpoint has no ema_state_dict: the average restarts")
        ema.module.load_state_dict(model_state, strict=self.strict_load)
