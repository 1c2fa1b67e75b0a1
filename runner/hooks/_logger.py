"""LoggerHook: log lines and scalars every few iterations, and after each evaluation."""

from __future__ import annotations

import logging
import os
import shutil
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from .._registries import HOOKS
from .._sections import check_positive
from ..data import length_of
from ..engine import DataBatch, Hook, Priority, RunnerView, scalars
from ._runtime_info import RuntimeInfoHook


@HOOKS.register_module()
class LoggerHook(Hook):
    """Log progress to ``runner.logger`` (console and ``work_dir/<timestamp>/<timestamp>.log``)
    and send the same values to ``runner.visualizer`` (``vis_data/scalars.json``, TensorBoard,
    MLflow), both made by ``runner.log_processor``. MMEngine's arguments.

    Every ``interval`` training iterations: where, learning rates, ETA, times and the values
    ``train_step`` returned (averaged over the processor's window). After each validation or
    test: the metrics, also published in ``runner.message_hub`` as ``val/<name>`` /
    ``test/<name>``. Reading the returned tensors costs one device sync per logged line, not
    one per iteration.

    Args:
        interval: Log every this many iterations.
        ignore_last: Skip the last iterations of an epoch that do not fill an interval
            (unless the epoch has ``interval`` iterations or fewer: its last one is logged).
        interval_exp_name: Log the experiment's name (work dir and timestamp) every this many
            iterations.
        out_dir: After the run, copy the log directory's files (``out_suffix``) to
            ``out_dir/<work_dir name>/<timestamp>/``.
        out_suffix: Which files ``out_dir`` gets.
        keep_local: With ``out_dir``, keep the local files (false deletes them once copied).
        file_client_args: MMEngine's remote storage; only None (mount it and use ``out_dir``).
        log_metric_by_epoch: Record validation metrics at the epoch (epoch-based runs) rather
            than the iteration as their ``step``.
        backend_args: Like ``file_client_args``.

    Raises:
        ValueError: An interval is not a positive int, or remote storage is asked for.
    """

    priority = Priority.BELOW_NORMAL

    def __init__(
        self,
        interval: int = 10,
        ignore_last: bool = True,
        interval_exp_name: int = 1000,
        out_dir: str | os.PathLike[str] | None = None,
        out_suffix: str | Sequence[str] = (".json", ".log", ".py", "yaml"),
        keep_local: bool = True,
        file_client_args: Mapping[str, Any] | None = None,
        log_metric_by_epoch: bool = True,
        backend_args: Mapping[str, Any] | None = None,
    ) -> None:
        check_positive("interval", interval)
        check_positive("interval_exp_name", interval_exp_name)
        for name, given in (("file_client_args", file_client_args), ("backend_args", backend_args)):
            if given is not None:
                raise ValueError(
                    f"{name} (remote storage) is not supported: mount the storage and give "
                    "out_dir a path on it"
                )
        self.interval = interval
        self.ignore_last = ignore_last
        self.interval_exp_name = interval_exp_name
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.out_suffix = (out_suffix,) if isinstance(out_suffix, str) else tuple(out_suffix)
        self.keep_local = keep_local
        self.log_metric_by_epoch = log_metric_by_epoch
        self.json_log_path: str | None = None
        self._by_epoch = True
        self._length: int | None = None
        self._pending: dict[str, deque[Any]] = {}  # returned values since the last line
        self._feeds_hub = True

    def before_run(self, runner: RunnerView) -> None:
        self.json_log_path = f"{runner.timestamp}.json"

    def before_train(self, runner: RunnerView) -> None:
        self._by_epoch = bool(getattr(runner.train_loop, "by_epoch", True))
        # RuntimeInfoHook records the returned values itself, each iteration
        self._feeds_hub = not any(isinstance(hook, RuntimeInfoHook) for hook in runner.hooks)
        self._pending = {}

    def before_train_epoch(self, runner: RunnerView) -> None:
        self._length = length_of(runner.train_dataloader)

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        # every iteration: keep the returned values (no device sync); most end here
        if self._feeds_hub and isinstance(outputs, Mapping):
            pending, keep = self._pending, runner.log_processor.max_window
            for name, value in outputs.items():
                series = pending.get(name)
                if series is None:
                    series = pending[name] = deque(maxlen=keep)
                series.append(value)
        if self._by_epoch:
            count = batch_idx + 1
            if count % self.interval and not self._logs_last(count):
                return
        elif (runner.iter + 1) % self.interval:
            return
        if (runner.iter + 1) % self.interval_exp_name == 0:
            runner.logger.info("Exp name: %s", _experiment_name(runner))
        if runner.logger.isEnabledFor(logging.INFO) or runner.visualizer.active:
            line = self._train_line(runner, batch_idx, outputs)
            runner.logger.info(line)

    def _logs_last(self, count: int) -> bool:
        """Whether iteration ``count`` ends the epoch and is logged as its last line: always
        without ``ignore_last``, and with it when the epoch is no longer than the interval
        (it would log nothing else: MMEngine's rule)."""
        length = self._length
        return count == length and (not self.ignore_last or length <= self.interval)

    def _train_line(self, runner: RunnerView, batch_idx: int, outputs: Any) -> str:
        """Publish the values kept since the last line (one device sync), make the line and
        the scalars, send the scalars to the visualizer, and return the line."""
        self._publish(runner)
        tag, line = runner.log_processor.get_log_after_iter(runner, batch_idx, "train")
        runner.visualizer.add_scalars(tag, step=runner.iter + 1, file_path=self.json_log_path)
        return line

    def _publish(self, runner: RunnerView) -> None:
        hub = runner.message_hub
        for name, series in self._pending.items():
            tensors = [v.detach().reshape(()) for v in series if _is_scalar_tensor(v)]
            values = torch.stack(tensors).tolist() if tensors else []
            values += [float(v) for v in series if isinstance(v, int | float)]
            hub.history(f"train/{name}").extend(values)
            series.clear()

    def _after_iter(
        self,
        runner: RunnerView,
        batch_idx: int,
        data_batch: DataBatch = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:  # validation and test iterations (training has its own stage above)
        if (batch_idx + 1) % self.interval == 0 and runner.logger.isEnabledFor(logging.INFO):
            _, line = runner.log_processor.get_log_after_iter(runner, batch_idx, mode)
            runner.logger.info(line)

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        tag = self._log_metrics(runner, "val", metrics)
        by_epoch = getattr(runner.train_loop, "by_epoch", True)
        step = runner.epoch if self.log_metric_by_epoch and by_epoch else runner.iter
        runner.visualizer.add_scalars(tag, step=step, file_path=self.json_log_path)

    def after_test_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        self._log_metrics(runner, "test", metrics)

    def _log_metrics(
        self, runner: RunnerView, mode: str, metrics: Mapping[str, float] | None
    ) -> dict[str, float]:
        values = scalars(metrics)
        runner.message_hub.update_scalars(values, prefix=f"{mode}/")
        length = length_of(getattr(runner, f"{mode}_dataloader")) or 0
        tag, line = runner.log_processor.get_log_after_epoch(runner, length, mode, values)
        runner.logger.info(line)
        return tag

    def after_run(self, runner: RunnerView) -> None:
        """Copy the log directory's files to ``out_dir`` (deleting them with ``keep_local``
        false)."""
        log_dir, work_dir = runner.log_dir, runner.work_dir
        if self.out_dir is None or log_dir is None or work_dir is None:
            return
        target = self.out_dir / work_dir.name / log_dir.name
        copied = []
        for path in sorted(log_dir.rglob("*")):
            if path.is_file() and path.name.endswith(self.out_suffix):
                destination = target / path.relative_to(log_dir)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                copied.append(path)
        runner.logger.info("copied %d log files to %s", len(copied), target)
        if not self.keep_local:
            for path in copied:
                path.unlink(missing_ok=True)


def _is_scalar_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.numel() == 1


def _experiment_name(runner: RunnerView) -> str:
    work_dir = runner.work_dir
    return f"{work_dir.name}_{runner.timestamp}" if work_dir is not None else runner.timestamp
