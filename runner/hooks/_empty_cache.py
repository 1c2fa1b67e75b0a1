"""EmptyCacheHook: releases the CUDA caching allocator's unused memory at chosen points."""

from __future__ import annotations

from typing import Any

import torch

from .._registries import HOOKS
from ..engine import DataBatch, Hook, Priority, RunnerView


def _empty() -> None:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    """Call ``torch.cuda.empty_cache()`` after each iteration, and before or after each epoch
    if asked (MMEngine's hook). Nothing happens without CUDA.

    Args:
        before_epoch: Also before each epoch.
        after_epoch: Also after each epoch.
        after_iter: After each iteration.
    """

    priority = Priority.NORMAL

    def __init__(
        self, before_epoch: bool = False, after_epoch: bool = True, after_iter: bool = False
    ) -> None:
        self._do_before_epoch = before_epoch
        self._do_after_epoch = after_epoch
        self._do_after_iter = after_iter

    def _after_iter(
        self,
        runner: RunnerView,
        batch_idx: int,
        data_batch: DataBatch = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        if self._do_after_iter:
            _empty()

    def _before_epoch(self, runner: RunnerView, mode: str = "train") -> None:
        if self._do_before_epoch:
            _empty()

    def _after_epoch(self, runner: RunnerView, mode: str = "train") -> None:
        if self._do_after_epoch:
            _empty()
