"""The run's logger and its store of the latest scalars (MMEngine's ``message_hub``)."""

from __future__ import annotations

import itertools
import logging
import sys
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import torch
from tqdm import tqdm

from container import did_you_mean

from ..dist import is_main_process
from ..visualization import dump_config as write_config

LOGGER_NAME = "regwire"
"""Every runner logs to a child of this logger, which sends its records to the console."""


@attrs.define
class MessageHub:
    """The latest values hooks publish for other hooks (a timer's ``train/time``...).

    Attributes:
        window: How many values of each scalar are kept.
    """

    window: int = 100
    _scalars: dict[str, deque[float]] = attrs.field(factory=dict)
    _info: dict[str, Any] = attrs.field(factory=dict)

    def update_info(self, key: str, value: Any) -> None:
        """Record a non-scalar value (``epoch``, ``max_iters``...), replacing the last one."""
        self._info[key] = value

    def get_info(self, key: str, default: Any = None) -> Any:
        """The value recorded under ``key`` by :meth:`update_info`, or ``default``."""
        return self._info.get(key, default)

    def update_scalar(self, key: str, value: float) -> None:
        """Record a value of ``key`` (``train/loss``, ``val/accuracy/top1``)."""
        history = self._scalars.get(key)
        if history is None:
            history = self._scalars[key] = deque(maxlen=self.window)
        history.append(float(value))

    def history(self, key: str) -> deque[float]:
        """The kept values of ``key``, oldest first (made empty if there are none).

        Appending a float to it records a value as :meth:`update_scalar` does; a hook that
        records every iteration looks its series up once.
        """
        history = self._scalars.get(key)
        if history is None:
            history = self._scalars[key] = deque(maxlen=self.window)
        return history

    def update_scalars(self, values: Mapping[str, float], prefix: str = "") -> None:
        for key, value in values.items():
            self.update_scalar(prefix + key, value)

    def latest(self, key: str, default: float | None = None) -> float | None:
        """The newest value of ``key``, or ``default``."""
        history = self._scalars.get(key)
        return history[-1] if history else default

    def mean(self, key: str, last: int | None = None) -> float | None:
        """The mean of the newest ``last`` values of ``key`` (all kept ones when None)."""
        history = self._scalars.get(key)
        if not history:
            return None
        size = len(history)
        if last and last < size:  # the newest ``last`` values, oldest first, without a copy
            return sum(itertools.islice(history, size - last, None)) / last
        return sum(history) / size

    def keys(self) -> list[str]:
        return list(self._scalars)


_LEVELS = logging.getLevelNamesMapping()
LOG_LEVELS = tuple(_LEVELS)
"""The level names ``log_level`` takes (in any case): the standard library's, as MMEngine."""


def log_level(value: int | str) -> int:
    """The ``logging`` level of a ``log_level`` setting: a name of :data:`LOG_LEVELS` or an int.

    Raises:
        ValueError: Neither (naming the valid names and the nearest one).
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.upper() in LOG_LEVELS:
        return _LEVELS[value.upper()]
    hint = did_you_mean(value.upper(), LOG_LEVELS) if isinstance(value, str) else ""
    raise ValueError(
        f"log_level must be one of {', '.join(LOG_LEVELS)} or a non-negative int, "
        f"got {value!r}{hint}"
    )


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The console of every run: writes to the ``sys.stdout`` of the moment (so a test's
    capture or a redirection sees the lines), around any progress bar (which it redraws
    after the line), and on ranks other than 0 only warnings and errors."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(logging.Formatter("%(asctime)s - %(message)s", "%H:%M:%S"))

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or is_main_process()

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = stream = sys.stdout
        with tqdm.external_write_mode(file=stream):
            super().emit(record)


def console_handler() -> logging.Handler:
    """The console handler of the ``regwire`` logger, added at the first call (once per
    process: a runner made in Python prints as one made by the CLI does, each line once)."""
    parent = logging.getLogger(LOGGER_NAME)
    for handler in parent.handlers:
        if isinstance(handler, ConsoleHandler):
            return handler
    handler = ConsoleHandler()
    parent.addHandler(handler)
    return handler


def make_logger(name: str, level: int = logging.INFO) -> logging.Logger:
    """Return the logger of one run at ``level``.

    The logger is ``regwire.<name>``; it propagates to ``regwire``, which prints to the
    console (:func:`console_handler`) and on to the root logger.
    """
    console_handler()
    logger = logging.getLogger(LOGGER_NAME).getChild(name)
    logger.setLevel(level)
    return logger


def log_to_file(logger: logging.Logger, log_file: Path) -> logging.Handler:
    """Send ``logger``'s records to ``log_file`` too; return the handler, which opens the
    file at the first record and which the runner closes."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    logger.addHandler(handler)
    return handler


def close_handler(logger: logging.Logger, handler: logging.Handler) -> None:
    """Detach and close a run's file handler (a runner's finalizer)."""
    logger.removeHandler(handler)
    handler.close()


def make_log_dir(work_dir: Path, timestamp: str) -> Path:
    """Create ``work_dir/<timestamp>/`` (``_1``, ``_2``... when it exists) and return it."""
    for suffix in itertools.count():
        log_dir = work_dir / (timestamp if suffix == 0 else f"{timestamp}_{suffix}")
        try:
            log_dir.mkdir(parents=True)
            return log_dir
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


def dump_config(cfg: Mapping[str, Any], log_dir: Path) -> Path:
    """Write the run's config to ``log_dir/config.yaml`` (``cfg.dump`` when it has one)."""
    return write_config(cfg, log_dir / "config.yaml")


def scalars(values: object) -> dict[str, float]:
    """The entries of a mapping that are numbers or one-element tensors, as floats.

    Bools are not numbers here; anything that is not a mapping gives ``{}``.
    """
    found: dict[str, float] = {}
    if not isinstance(values, Mapping):
        return found
    for name, value in values.items():
        if isinstance(value, torch.Tensor):
            if value.numel() == 1:
                found[name] = float(value.item())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = float(value)
    return found
