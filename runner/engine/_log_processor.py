"""LogProcessor: what a log line and a scalars row hold, smoothed over a window (MMEngine's).

The :class:`~runner.hooks.LoggerHook` asks it for one ``(tag, line)`` pair per logging step:
the line goes to the console and the log file, the tag (a flat dict of floats) to the
visualizer's backends, so all three show the same numbers.

Values come from the run's :class:`MessageHub`, whose history per key is bounded (its window is
the largest this processor asks for): a run's logging memory stays flat however long it runs,
where MMEngine's history grows with every iteration. So windows are counts of values;
MMEngine's ``'epoch'`` and ``'global'`` windows are refused with that reason.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import torch

from container import did_you_mean

from .._registries import LOG_PROCESSORS
from .._sections import ArgumentError
from ..data import length_of
from ..optim import OptimWrapper
from ._message_hub import MessageHub

METHODS = ("mean", "max", "min", "current")
"""How a custom entry smooths its series (MMEngine's ``method_name``)."""


def _statistic(history: deque[float], method: str, window: int) -> float | None:
    if not history:
        return None
    if method == "current":
        return float(history[-1])
    size = len(history)
    values = map(float, itertools.islice(history, max(size - window, 0), None))  # tensors too
    if method == "mean":
        return sum(values) / min(window, size)
    return max(values) if method == "max" else min(values)


class LoggedRun(Protocol):
    """What the processor reads of a runner (a part of :class:`~runner.engine.RunnerView`)."""

    @property
    def message_hub(self) -> MessageHub: ...

    @property
    def optim_wrapper(self) -> OptimWrapper | None: ...

    @property
    def epoch(self) -> int: ...

    @property
    def iter(self) -> int: ...

    @property
    def max_epochs(self) -> int: ...

    @property
    def max_iters(self) -> int: ...

    @property
    def train_dataloader(self) -> Iterable[Any] | None: ...

    @property
    def val_dataloader(self) -> Iterable[Any] | None: ...

    @property
    def test_dataloader(self) -> Iterable[Any] | None: ...


@LOG_PROCESSORS.register_module()
class LogProcessor:
    """Formats log lines and collects the scalars of a logging step.

    Args:
        window_size: How many of the newest values a smoothed key is averaged over.
        by_epoch: Lines say ``Epoch(train) [e][i/n]`` (True) or ``Iter(train) [i/N]``.
        custom_cfg: More entries, each ``{data_src, log_name?, method_name, window_size?}``:
            ``data_src`` the key (``loss``), ``method_name`` one of :data:`METHODS`,
            ``log_name`` the name it is logged under (``data_src`` when omitted: it replaces
            the default), ``window_size`` an int (this processor's when omitted).
        num_digits: Digits after the point of logged values.
        log_with_hierarchy: Keep the ``train/``, ``val/`` prefixes in the scalars sent to the
            backends.
        mean_pattern: Keys matching it are averaged over ``window_size``; others show their
            newest value.

    Raises:
        ValueError: A custom entry is malformed (naming the entry and the fix).
    """

    def __init__(
        self,
        window_size: int = 10,
        by_epoch: bool = True,
        custom_cfg: Sequence[Mapping[str, Any]] | None = None,
        num_digits: int = 4,
        log_with_hierarchy: bool = False,
        mean_pattern: str = r".*(loss|time|data_time|grad_norm).*",
    ) -> None:
        self.window_size = _window(window_size, "window_size")
        self.by_epoch = by_epoch
        self.custom_cfg = [
            _custom_entry(entry, index, self.window_size)
            for index, entry in enumerate(custom_cfg or ())
        ]
        self.num_digits = num_digits
        self.log_with_hierarchy = log_with_hierarchy
        self.mean_pattern = re.compile(mean_pattern)
        names = [entry["log_name"] for entry in self.custom_cfg]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ArgumentError("custom_cfg", f"logs {repeated[0]!r} twice; give each a log_name")

    @property
    def max_window(self) -> int:
        """The most values of one key this processor reads (the hub keeps that many)."""
        return max([self.window_size, *(int(entry["window_size"]) for entry in self.custom_cfg)])

    def collect(self, runner: LoggedRun, mode: str) -> dict[str, float]:
        """The smoothed scalars of ``mode`` (``train/...`` keys of the hub), by name."""
        hub, prefix = runner.message_hub, f"{mode}/"
        sources = {e["data_src"] for e in self.custom_cfg if e["log_name"] == e["data_src"]}
        tag: dict[str, float] = {}
        names = hub.keys()
        for key in names:
            if not key.startswith(prefix) or key[len(prefix) :] in sources:
                continue
            name = key[len(prefix) :]
            method = "mean" if self.mean_pattern.fullmatch(name) else "current"
            value = _statistic(hub.history(key), method, self.window_size)
            if value is not None:
                tag[key if self.log_with_hierarchy else name] = value
        known = set(hub.keys())
        for entry in self.custom_cfg:
            key = prefix + entry["data_src"]
            if key not in known:
                continue
            value = _statistic(hub.history(key), entry["method_name"], entry["window_size"])
            if value is not None:
                name = entry["log_name"]
                tag[prefix + name if self.log_with_hierarchy else name] = value
        return tag

    def get_log_after_iter(
        self, runner: LoggedRun, batch_idx: int, mode: str
    ) -> tuple[dict[str, float], str]:
        """The scalars and the line of an iteration: where, learning rates, ETA, times, the
        logged values (train); the position and losses (val, test)."""
        tag = self.collect(runner, mode)
        lrs: dict[str, float] = {}
        optim_wrapper = runner.optim_wrapper
        if mode == "train" and optim_wrapper is not None:
            lrs = {name: values[0] for name, values in optim_wrapper.get_lr().items()}
        tag.update(lrs)
        parts = [self._where(runner, batch_idx, mode, tag)]
        parts += [f"{name}: {value:.{self.num_digits}e}" for name, value in lrs.items()]
        step_time = tag.get("time")
        if mode == "train" and step_time is not None and runner.max_iters:
            left = max(runner.max_iters - runner.iter - 1, 0) * step_time
            parts.append(f"eta: {datetime.timedelta(seconds=int(left))}")
        for name in ("time", "data_time"):
            if name in tag:
                parts.append(f"{name}: {tag[name]:.{self.num_digits}f}")
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            memory = int(torch.cuda.max_memory_allocated() / 2**20)
            tag["memory"] = memory
            parts.append(f"memory: {memory}")
        shown = ("time", "data_time", "memory", "epoch", "iter", *lrs)
        parts += [
            f"{name}: {value:.{self.num_digits}f}"
            for name, value in tag.items()
            if name not in shown and (mode == "train" or "loss" in name)
        ]
        return tag, "  ".join(parts)

    def _where(self, runner: LoggedRun, batch_idx: int, mode: str, tag: dict[str, float]) -> str:
        tag["iter"] = runner.iter + 1
        if mode != "train":
            length = _length(runner, mode)
            return f"{'Epoch' if self.by_epoch else 'Iter'}({mode}) [{batch_idx + 1}/{length}]"
        if self.by_epoch:
            length = _length(runner, mode)
            tag["epoch"] = runner.epoch + 1
            width = len(str(length)) if length is not None else 1
            return f"Epoch(train) [{runner.epoch + 1}][{batch_idx + 1:>{width}}/{length}]"
        max_iters = runner.max_iters
        return f"Iter(train) [{runner.iter + 1:>{len(str(max_iters))}}/{max_iters}]"

    def get_log_after_epoch(
        self,
        runner: LoggedRun,
        batch_idx: int,
        mode: str,
        metrics: Mapping[str, float] | None = None,
    ) -> tuple[dict[str, float], str]:
        """The scalars and the line after a validation or test: its metrics (``metrics``, or
        the hub's newest ``val/...`` values), then the mean times of its iterations."""
        hub, prefix = runner.message_hub, f"{mode}/"
        if metrics is None:
            metrics = {
                key[len(prefix) :]: value
                for key in list(hub.keys())
                if key.startswith(prefix) and (value := hub.latest(key)) is not None
            }
        tag = {name: value for name, value in metrics.items() if name not in ("time", "data_time")}
        known = set(hub.keys())
        for name in ("data_time", "time"):
            if prefix + name in known:
                value = _statistic(hub.history(prefix + name), "mean", max(batch_idx, 1))
                if value is not None:
                    tag[name] = value
        if mode == "test":
            where = f"{'Epoch' if self.by_epoch else 'Iter'}(test)"
        elif self.by_epoch and runner.max_epochs:
            where = f"Epoch(val) [{runner.epoch}]"
        elif self.by_epoch:
            where = "Epoch(val)"
        else:
            where = f"Iter(val) [{runner.iter}]"
        shown = [f"{name}: {value:.{self.num_digits}f}" for name, value in tag.items()]
        if self.log_with_hierarchy:
            tag = {prefix + name: value for name, value in tag.items()}
        return tag, "  ".join([where, *shown])


def _length(runner: LoggedRun, mode: str) -> int | None:
    return length_of(getattr(runner, f"{mode}_dataloader"))


def _window(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(
            where,
            f"must be a positive int (a count of values), got {value!r}; regwire keeps "
            "a bounded history per key so that logging memory stays flat, so MMEngine's "
            "'epoch' and 'global' windows are not offered",
        )
    return value


CUSTOM_KEYS = ("data_src", "log_name", "method_name", "window_size")
"""The keys of a ``custom_cfg`` entry."""


def _custom_entry(entry: Any, index: int, window: int) -> dict[str, Any]:
    where = f"custom_cfg.{index}"
    if not isinstance(entry, Mapping) or "data_src" not in entry:
        raise ArgumentError(where, f"must be a mapping with 'data_src', got {entry!r}")
    unknown = sorted(set(entry).difference(CUSTOM_KEYS))
    if unknown:
        raise ArgumentError(
            f"{where}.{unknown[0]}",
            f"is not a key of a custom_cfg entry{did_you_mean(unknown[0], CUSTOM_KEYS)} "
            f"(its keys: {', '.join(CUSTOM_KEYS)})",
        )
    method = entry.get("method_name", "mean")
    if method not in METHODS:
        raise ArgumentError(
            f"{where}.method_name",
            f"must be one of {', '.join(METHODS)}, got {method!r}"
            f"{did_you_mean(str(method), METHODS)}",
        )
    src = str(entry["data_src"])
    return {
        "data_src": src.removeprefix("train/"),
        "log_name": str(entry.get("log_name", src.removeprefix("train/"))),
        "method_name": method,
        "window_size": _window(entry.get("window_size", window), f"{where}.window_size"),
    }
