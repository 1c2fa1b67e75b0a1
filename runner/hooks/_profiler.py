"""ProfilerHook: records the first epochs or iterations with ``torch.profiler``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import profiler

from container import did_you_mean

from .._registries import HOOKS
from .._sections import ArgumentError, check_positive
from ..engine import DataBatch, Hook, Priority, RunnerView

TRACE_TYPES = ("log_trace", "tb_trace")


@HOOKS.register_module()
class ProfilerHook(Hook):
    """Profile the first ``profile_times`` epochs (or iterations) of training and write a
    Chrome trace (``chrome://tracing``, Perfetto) to ``work_dir/<timestamp>/profiler/``
    (MMEngine's arguments).

    Args:
        by_epoch: Count ``profile_times`` in epochs; otherwise in iterations.
        profile_times: How many epochs or iterations to record.
        activity_with_cpu: Record CPU activity.
        activity_with_cuda: Record CUDA kernels.
        schedule: ``torch.profiler.schedule`` arguments (``wait``, ``warmup``, ``active``,
            ``repeat``); each finished cycle writes a trace.
        on_trace_ready: ``{type: log_trace, sort_by, row_limit}`` also logs a table of the
            costliest operators; ``{type: tb_trace, dir_name}`` writes TensorBoard traces; a
            callable (Python configs) is ``torch.profiler``'s own ``on_trace_ready``.
        record_shapes: Record input shapes.
        profile_memory: Record memory use.
        with_stack: Record source locations.
        with_flops: Estimate FLOPs.
        json_trace_path: Where the trace goes instead (a file, without ``schedule``).

    Raises:
        ArgumentError: ``profile_times`` is not positive, or ``on_trace_ready`` is unknown
            (a ``ValueError``).
    """

    priority = Priority.VERY_LOW

    def __init__(
        self,
        by_epoch: bool = True,
        profile_times: int = 1,
        activity_with_cpu: bool = True,
        activity_with_cuda: bool = False,
        schedule: Mapping[str, int] | None = None,
        on_trace_ready: dict[str, Any] | Callable[..., Any] | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        json_trace_path: str | os.PathLike[str] | None = None,
    ) -> None:
        check_positive("profile_times", profile_times)
        self._handler: Callable[..., Any] | None = None
        if callable(on_trace_ready):
            self._handler, trace = on_trace_ready, {}
        else:
            trace = dict(on_trace_ready or {})
        if trace and trace.get("type") not in TRACE_TYPES:
            kind = trace.get("type")
            hint = did_you_mean(kind, TRACE_TYPES) if isinstance(kind, str) else ""
            raise ArgumentError(
                "on_trace_ready",
                f"type must be one of {', '.join(TRACE_TYPES)}, got {kind!r}{hint}",
            )
        self.by_epoch = by_epoch
        self.profile_times = profile_times
        self.activities = [
            activity
            for activity, wanted in (
                (profiler.ProfilerActivity.CPU, activity_with_cpu),
                (profiler.ProfilerActivity.CUDA, activity_with_cuda and torch.cuda.is_available()),
            )
            if wanted
        ]
        self.schedule = dict(schedule) if schedule is not None else None
        self.on_trace_ready = trace
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.json_trace_path = Path(json_trace_path) if json_trace_path is not None else None
        self._profile: Any = None
        self._count = 0
        self._dir: Path | None = None

    def before_train(self, runner: RunnerView) -> None:
        base = runner.log_dir or runner.work_dir
        self._dir = base / "profiler" if base is not None else None
        if self._dir is None and self.json_trace_path is None:
            runner.logger.warning("ProfilerHook: no work_dir and no json_trace_path; no trace")
            return
        handler = self._handler
        if self.on_trace_ready.get("type") == "tb_trace":
            target = self.on_trace_ready.get("dir_name") or str(self._dir or ".")
            handler = profiler.tensorboard_trace_handler(str(target))
        elif self.schedule is not None and handler is None:
            handler = self._export
        self._profile = profiler.profile(
            activities=self.activities,
            schedule=profiler.schedule(**self.schedule) if self.schedule is not None else None,
            on_trace_ready=handler,
            record_shapes=self.record_shapes,
            profile_memory=self.profile_memory,
            with_stack=self.with_stack,
            with_flops=self.with_flops,
        )
        self._profile.__enter__()
        self._count = 0

    def _export(self, profile: Any) -> None:
        if self._dir is not None:
            self._dir.mkdir(parents=True, exist_ok=True)
            profile.export_chrome_trace(str(self._dir / f"trace_{profile.step_num}.json"))

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        if self._profile is None:
            return
        if self.schedule is not None:
            self._profile.step()
        if not self.by_epoch:
            self._count += 1
            if self._count >= self.profile_times:
                self._stop(runner)

    def after_train_epoch(self, runner: RunnerView) -> None:
        if self._profile is not None and self.by_epoch:
            self._count += 1
            if self._count >= self.profile_times:
                self._stop(runner)

    def after_train(self, runner: RunnerView) -> None:
        if self._profile is not None:
            self._stop(runner)

    def _stop(self, runner: RunnerView) -> None:
        profile, self._profile = self._profile, None
        profile.__exit__(None, None, None)
        if self.schedule is None and self.on_trace_ready.get("type") != "tb_trace":
            path = self.json_trace_path
            if path is None and self._dir is not None:
                path = self._dir / "trace.json"
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                profile.export_chrome_trace(str(path))
                runner.logger.info("profiler trace written to %s", path)
        if self.on_trace_ready.get("type") == "log_trace":
            sort_by = self.on_trace_ready.get("sort_by", "cpu_time_total")
            row_limit = int(self.on_trace_ready.get("row_limit", 10))
            table = profile.key_averages().table(sort_by=sort_by, row_limit=row_limit)
            runner.logger.info("profiler:\n%s", table)
