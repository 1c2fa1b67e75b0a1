"""The run's logger, and MMEngine's ``print_log``."""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from container import did_you_mean

from ..dist import is_main_process
from ..visualization import dump_config as write_config

LOGGER_NAME = "regwire"
"""Every runner logs to a child of this logger, which sends its records to the console and
no further (as MMEngine's logger): a script's ``logging.basicConfig`` does not print them a
second time. A program that wants them at the root sets ``propagate`` back to true."""


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
    process: a runner made in Python prints as one made by the CLI does, each line once).

    The first call also stops the ``regwire`` logger's propagation to the root logger,
    whose handlers (``logging.basicConfig``) would print every line again."""
    parent = logging.getLogger(LOGGER_NAME)
    for handler in parent.handlers:
        if isinstance(handler, ConsoleHandler):
            return handler
    handler = ConsoleHandler()
    parent.addHandler(handler)
    parent.propagate = False
    return handler


_CURRENT_LOGGER: list[logging.Logger | None] = [None]


def current_logger() -> logging.Logger | None:
    """The logger of the run made last in this process (MMEngine's ``'current'``), or None."""
    return _CURRENT_LOGGER[0]


def print_log(
    msg: Any, logger: logging.Logger | str | None = None, level: int = logging.INFO
) -> None:
    """Log ``msg`` as MMEngine's ``print_log`` does.

    ``logger`` is a ``logging.Logger``; ``"current"``, the logger of the run made last
    (printed when there is none); ``"silent"``, nothing; ``None``, printed; any other str, the
    logger of that name (a child of ``regwire`` unless it names one of its own).
    """
    if logger == "silent":
        return
    if logger == "current":
        logger = current_logger()
    if isinstance(logger, str):
        logger = logging.getLogger(logger)
    if logger is None:
        print(msg)
        return
    if not isinstance(logger, logging.Logger):
        raise TypeError(
            "logger must be a logging.Logger, 'current', 'silent', a logger's name or None, "
            f"got {logger!r}"
        )
    logger.log(level, msg)


def make_logger(name: str, level: int = logging.INFO) -> logging.Logger:
    """Return the logger of one run at ``level``.

    The logger is ``regwire.<name>``; it propagates to ``regwire``, which prints to the
    console (:func:`console_handler`) and not on to the root logger.
    """
    console_handler()
    logger = logging.getLogger(LOGGER_NAME).getChild(name)
    logger.setLevel(level)
    _CURRENT_LOGGER[0] = logger
    return logger


def log_to_file(logger: logging.Logger, log_file: Path) -> logging.Handler:
    """Send ``logger``'s records to ``log_file`` too; return the handler, which the runner
    closes. The file is created now, whatever the level (MMEngine's is there even when
    ``log_level: WARNING`` leaves it empty); a closed handler reopens it at its next record."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
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
    if not isinstance(values, Mapping):
        return {}
    return {name: float(value) for name, value in values.items() if is_scalar(value)}


def is_scalar(value: object) -> bool:
    """A number or a one-element tensor (what the message hub keeps), not a bool."""
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    return isinstance(value, int | float) and not isinstance(value, bool)
