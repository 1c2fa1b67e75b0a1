"""ProgressBarHook: a live bar on a terminal (tqdm), nothing elsewhere."""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Mapping
from typing import Any

from tqdm import tqdm

from .._registries import HOOKS
from ..data import length_of
from ..dist import is_main_process
from ..engine import DataBatch, Hook, Priority, RunnerView


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a tqdm bar per training epoch (per validation interval in an iteration-based run)
    with the loss, the learning rate and the time left, while log lines keep printing above it.

    The bar appears only where a person watches: on rank 0, when standard output is a
    terminal. In CI, in a file or under ``nohup`` the plain log lines are all there is.

    Args:
        enabled: Force the bar on (True) or off (False); None decides by the terminal.
        refresh: Seconds between updates of the loss and learning rate shown (reading the
            loss is a device sync).
    """

    priority = Priority.LOW

    def __init__(self, enabled: bool | None = None, refresh: float = 0.5) -> None:
        self.enabled = enabled
        self.refresh = refresh
        self._on = False
        self._bar: Any = None
        self._shown = 0.0

    def before_train(self, runner: RunnerView) -> None:
        terminal = sys.stdout.isatty() if self.enabled is None else self.enabled
        self._on = bool(terminal) and is_main_process()

    def before_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None
    ) -> None:
        if self._on and self._bar is None:
            self._bar = self._open(runner, batch_idx)

    def _open(self, runner: RunnerView, batch_idx: int) -> Any:
        loop = runner.train_loop
        if getattr(loop, "by_epoch", True):
            total = length_of(runner.train_dataloader)
            desc = f"Epoch {runner.epoch + 1}/{runner.max_epochs}"
            done = batch_idx
        else:
            interval = int(getattr(loop, "val_interval", runner.max_iters) or runner.max_iters)
            start = runner.iter - runner.iter % interval
            end = min(start + interval, runner.max_iters)
            total, done = end - start, runner.iter - start
            desc = f"Iter {start + 1}-{end}/{runner.max_iters}"
        return tqdm(
            total=total, initial=done, desc=desc, file=sys.stdout, leave=False, dynamic_ncols=True
        )

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        bar = self._bar
        if bar is None:
            return
        bar.update(1)
        now = time.monotonic()
        if now - self._shown >= self.refresh:
            self._shown = now
            bar.set_postfix(self._postfix(runner, outputs), refresh=False)
        if bar.total is not None and bar.n >= bar.total:
            self._close()

    def _postfix(self, runner: RunnerView, outputs: Any) -> dict[str, str]:
        shown: dict[str, str] = {}
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else None
        if loss is not None and getattr(loss, "numel", lambda: 1)() == 1:
            shown["loss"] = f"{float(loss):.4f}"
        if runner.optim_wrapper is not None:
            for name, values in runner.optim_wrapper.get_lr().items():
                shown[name] = f"{values[0]:.2e}"
        step = runner.message_hub.mean("train/time", 10)
        if step is not None and runner.max_iters:
            left = max(runner.max_iters - runner.iter - 1, 0) * step
            shown["eta"] = str(datetime.timedelta(seconds=int(left)))
        return shown

    def after_train_epoch(self, runner: RunnerView) -> None:
        self._close()

    def before_val(self, runner: RunnerView) -> None:
        self._close()

    def after_train(self, runner: RunnerView) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
