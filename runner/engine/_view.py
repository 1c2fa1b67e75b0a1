"""RunnerView: what a hook may use of the runner that calls it.

Every stage method of :class:`~runner.Hook` receives the runner typed as this Protocol, so a
type checker tells a hook author what a runner offers, and checks the default hooks' use of it.
:class:`~runner.engine.BaseRunner` (and so :class:`runner.Runner`) is one; a test may pass any
object that has what its hook reads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from torch import nn

from ..optim import OptimWrapper
from ..visualization import Visualizer
from ._log_processor import LogProcessor
from ._loops import EvalLoop, TrainLoop, TrainState
from ._message_hub import MessageHub


class RunnerView(Protocol):
    """The runner as hooks see it: counters, components, the log and the work directory.

    Counters follow MMEngine: during ``after_train_iter`` ``iter`` is the index of the
    iteration that just ended, during ``after_train_epoch`` ``epoch`` the index of the epoch
    that just ended.
    """

    # -- counters ---------------------------------------------------------------------------

    @property
    def state(self) -> TrainState:
        """The counters themselves (``epoch``, ``iter``, ``inner_iter``, the maxima)."""

    @property
    def epoch(self) -> int: ...

    @property
    def iter(self) -> int: ...

    @property
    def inner_iter(self) -> int: ...

    @property
    def max_epochs(self) -> int: ...

    @property
    def max_iters(self) -> int: ...

    # -- components -------------------------------------------------------------------------

    @property
    def model(self) -> nn.Module: ...

    @property
    def optim_wrapper(self) -> OptimWrapper | None: ...

    @property
    def param_schedulers(self) -> Sequence[Any]: ...

    @property
    def train_dataloader(self) -> Iterable[Any] | None: ...

    @property
    def val_dataloader(self) -> Iterable[Any] | None: ...

    @property
    def test_dataloader(self) -> Iterable[Any] | None: ...

    @property
    def train_loop(self) -> TrainLoop | None: ...

    @property
    def val_loop(self) -> EvalLoop | None: ...

    @property
    def test_loop(self) -> EvalLoop | None: ...

    @property
    def hooks(self) -> list[object]:
        """The hooks in the order they run."""

    # -- the run's record -------------------------------------------------------------------

    @property
    def message_hub(self) -> MessageHub:
        """The latest values hooks publish for each other (``train/time``...)."""

    @property
    def logger(self) -> logging.Logger: ...

    @property
    def visualizer(self) -> Visualizer:
        """Sends scalars to the backends (``vis_data/scalars.json``, TensorBoard...)."""

    @property
    def log_processor(self) -> LogProcessor:
        """Makes the log lines and the scalars of a logging step, alike."""

    @property
    def work_dir(self) -> Path | None:
        """Where checkpoints go; None for a run that writes nothing."""

    @property
    def log_dir(self) -> Path | None:
        """``work_dir/<timestamp>/``, on the main process; None otherwise."""

    @property
    def timestamp(self) -> str: ...

    @property
    def cfg(self) -> Mapping[str, Any] | None:
        """The config the run was built from, if any."""

    @property
    def seed(self) -> int | None: ...

    # -- processes --------------------------------------------------------------------------

    @property
    def rank(self) -> int: ...

    @property
    def world_size(self) -> int: ...

    @property
    def distributed(self) -> bool: ...

    # -- actions ----------------------------------------------------------------------------

    # BaseRunner.save_checkpoint's signature, stated for hooks; mypy holds the two together.
    def save_checkpoint(
        self,
        out_dir: str | os.PathLike[str],
        filename: str,
        *,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Mapping[str, Any] | None = None,
        by_epoch: bool | None = True,
        latest: bool = False,
        async_save: bool = False,
    ) -> Path:
        """Write a checkpoint of the run to ``out_dir/filename`` (atomically); every rank
        calls it."""
        ...
