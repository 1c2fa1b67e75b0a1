"""The run's logger and its store of the latest scalars (MMEngine's ``message_hub``)."""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import torch
import yaml

from container import did_you_mean
from providers import copy_plain

LOGGER_NAME = "regwire"
"""Every runner logs to a child of this logger; the CLI sends it to the console."""


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


def make_logger(name: str, level: int = logging.INFO) -> logging.Logger:
    """Return the logger of one run at ``level``.

    The logger is ``regwire.<name>``; it propagates to ``regwire``, which the command line
    (or the application) sends to the console.
    """
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
    target = log_dir / "config.yaml"
    dump = getattr(cfg, "dump", None)
    if callable(dump):
        dump(target)
        return target
    try:
        text = yaml.dump(copy_plain(cfg), Dumper=_Dumper, sort_keys=False)
    except yaml.YAMLError:
        text = f"# not representable as YAML; Python repr:\n# {cfg!r}\n"
    target.write_text(text, encoding="utf-8")
    return target


class _Dumper(yaml.SafeDumper):
    """``safe_dump``, writing tuples (of Python configs) as lists."""


_Dumper.add_representer(tuple, lambda dumper, value: dumper.represent_list(value))


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
