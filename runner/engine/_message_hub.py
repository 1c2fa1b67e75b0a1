"""The message hub: the latest values hooks publish for other hooks (MMEngine's names).

A runner makes one; :meth:`MessageHub.get_current_instance` gives the one made last, from
anywhere (MMEngine's ``MessageHub.get_current_instance()``). Unlike MMEngine's, each scalar
keeps a bounded window of values (``window``), so a long run's hub does not grow.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs
import torch


class ScalarHistory:
    """The kept values of one scalar: MMEngine's ``HistoryBuffer`` methods over a window."""

    __slots__ = ("_values",)

    def __init__(self, values: deque[float]) -> None:
        self._values = values

    def current(self) -> float:
        """The newest value.

        Raises:
            ValueError: No value was recorded yet.
        """
        if not self._values:
            raise ValueError("no value recorded yet")
        return float(self._values[-1])

    def _last(self, window_size: int | None) -> Iterator[float]:
        size = len(self._values)
        start = size - window_size if window_size and window_size < size else 0
        return map(float, itertools.islice(self._values, start, None))

    def mean(self, window_size: int | None = None) -> float:
        """The mean of the newest ``window_size`` values (all kept ones when None)."""
        values = list(self._last(window_size))
        if not values:
            raise ValueError("no value recorded yet")
        return sum(values) / len(values)

    def max(self, window_size: int | None = None) -> float:
        return max(self._last(window_size))

    def min(self, window_size: int | None = None) -> float:
        return min(self._last(window_size))

    @property
    def data(self) -> tuple[float, ...]:
        """The kept values, oldest first."""
        return tuple(map(float, self._values))

    def __len__(self) -> int:
        return len(self._values)


@attrs.define
class MessageHub:
    """The latest values of a run: scalars (``train/loss``), kept in a window, and infos
    (``epoch``, ``max_iters``), replaced.

    Attributes:
        window: How many values of each scalar are kept.
        name: The hub's name (MMEngine's instances are named).
    """

    window: int = 100
    name: str = "regwire"
    _scalars: dict[str, deque[float]] = attrs.field(factory=dict)
    _info: dict[str, Any] = attrs.field(factory=dict)

    _current: ClassVar[list[MessageHub]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __attrs_post_init__(self) -> None:
        with MessageHub._lock:
            MessageHub._current[:] = [self]

    @classmethod
    def get_current_instance(cls) -> MessageHub:
        """The hub made last in this process (a new one when none was made yet)."""
        with cls._lock:
            if cls._current:
                return cls._current[0]
        return cls()

    # -- infos ------------------------------------------------------------------------

    def update_info(self, key: str, value: Any, resumed: bool = True) -> None:
        """Record a value that is not a scalar (``epoch``, ``max_iters``), replacing the last
        one. ``resumed`` is MMEngine's flag; regwire checkpoints its state its own way."""
        self._info[key] = value

    def update_info_dict(self, info: Mapping[str, Any], resumed: bool = True) -> None:
        for key, value in info.items():
            self.update_info(key, value)

    def get_info(self, key: str, default: Any = None) -> Any:
        """The value recorded under ``key`` by :meth:`update_info`, or ``default``."""
        return self._info.get(key, default)

    @property
    def runtime_info(self) -> dict[str, Any]:
        """Every info by key (a copy)."""
        return dict(self._info)

    # -- scalars ----------------------------------------------------------------------

    def update_scalar(self, key: str, value: Any, count: int = 1, resumed: bool = True) -> None:
        """Record a value of ``key`` (``train/loss``, ``val/accuracy/top1``). A one-element
        tensor is kept as it is (detached) and read as a number when the value is read, so
        recording a loss every iteration waits for no device. ``count`` is MMEngine's weight,
        not kept here."""
        if isinstance(value, torch.Tensor):
            self.history(key).append(value.detach())  # type: ignore[arg-type]
        else:
            self.history(key).append(float(value))

    def update_scalars(
        self, values: Mapping[str, Any], prefix: str = "", resumed: bool = True
    ) -> None:
        for key, value in values.items():
            self.update_scalar(prefix + key, value)

    def history(self, key: str) -> deque[float]:
        """The kept values of ``key``, oldest first (made empty if there are none).

        Appending a float to it records a value as :meth:`update_scalar` does; a hook that
        records every iteration looks its series up once.
        """
        history = self._scalars.get(key)
        if history is None:
            history = self._scalars[key] = deque(maxlen=self.window)
        return history

    def get_scalar(self, key: str) -> ScalarHistory:
        """The values of ``key`` (MMEngine's ``HistoryBuffer`` methods: ``current()``,
        ``mean(n)``, ``max``, ``min``, ``data``).

        Raises:
            KeyError: Nothing was recorded under ``key`` (with the nearest keys).
        """
        history = self._scalars.get(key)
        if history is None:
            from container import did_you_mean

            raise KeyError(
                f"no scalar {key!r} in the message hub{did_you_mean(key, self._scalars)}"
            )
        return ScalarHistory(history)

    @property
    def log_scalars(self) -> dict[str, ScalarHistory]:
        """Every scalar by key."""
        return {key: ScalarHistory(values) for key, values in self._scalars.items()}

    def latest(self, key: str, default: float | None = None) -> float | None:
        """The newest value of ``key``, or ``default``."""
        history = self._scalars.get(key)
        return float(history[-1]) if history else default

    def mean(self, key: str, last: int | None = None) -> float | None:
        """The mean of the newest ``last`` values of ``key`` (all kept ones when None)."""
        history = self._scalars.get(key)
        if not history:
            return None
        size = len(history)
        if last and last < size:  # the newest ``last`` values, oldest first, without a copy
            return float(sum(itertools.islice(history, size - last, None))) / last
        return float(sum(history)) / size

    def keys(self) -> list[str]:
        return list(self._scalars)
