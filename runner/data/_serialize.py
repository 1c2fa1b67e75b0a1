"""A list of data dicts held as one numpy byte array, and subsets of either form.

Dataloader workers forked from the main process share its memory until they write to it, and
reading a Python object writes (its reference count), so a list of a million dicts is copied,
page by page, into every worker as they read it. MMEngine's remedy, kept here: each item is
pickled, the pickles are laid end to end in one ``uint8`` array, and a second ``int64`` array
holds where each one ends. Two numpy arrays are two objects, whatever the number of items.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

Indices = int | Sequence[int]
"""``n`` (the first ``n`` items; ``-n`` the last ``n``) or the positions of the items to keep."""


def serialize(items: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Pickle ``items`` into one byte array; return it and the end offset of each item."""
    chunks = [np.frombuffer(pickle.dumps(item, protocol=4), dtype=np.uint8) for item in items]
    ends = np.cumsum(np.asarray([len(chunk) for chunk in chunks], dtype=np.int64))
    data = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
    return data, ends


def item_at(data: np.ndarray, ends: np.ndarray, index: int) -> Any:
    """Unpickle item ``index`` (``0 <= index < len(ends)``) of a :func:`serialize` result."""
    start = int(ends[index - 1]) if index > 0 else 0
    return pickle.loads(data[start : int(ends[index])].data)


def select(indices: Any, length: int) -> slice | list[int]:
    """What ``indices`` picks from ``length`` items: a slice for a count, else positions.

    Raises:
        TypeError: ``indices`` is neither an int nor a sequence of ints.
        IndexError: A count larger than ``length``, or a position outside ``-length`` to
            ``length - 1``.
    """
    if _is_int(indices):
        count = int(indices)
        if abs(count) > length:
            raise IndexError(f"indices={count} asks for more items than the {length} there are")
        return slice(0, count) if count >= 0 else slice(length + count, length)
    if isinstance(indices, Sequence) and not isinstance(indices, str | bytes):
        positions = []
        for index in indices:
            if not _is_int(index):
                raise TypeError(f"indices must hold ints, got {index!r}")
            if not -length <= index < length:
                raise IndexError(f"index {index} is out of range for {length} items")
            positions.append(int(index) % length)
        return positions
    raise TypeError(
        f"indices must be an int or a sequence of ints, got {indices!r} "
        f"(a {type(indices).__name__})"
    )


def list_subset(items: list[Any], indices: Any) -> list[Any]:
    """The items ``indices`` picks (see :func:`select`), in that order."""
    picked = select(indices, len(items))
    if isinstance(picked, slice):
        return items[picked]
    return [items[index] for index in picked]


def serialized_subset(
    data: np.ndarray, ends: np.ndarray, indices: Any
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`list_subset` of a :func:`serialize` result, without unpickling anything."""
    picked = select(indices, len(ends))
    if isinstance(picked, slice):
        positions: Sequence[int] = range(len(ends))[picked]
        if not positions:
            return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
        first, last = positions[0], positions[-1]
        start = int(ends[first - 1]) if first > 0 else 0
        return data[start : int(ends[last])].copy(), ends[first : last + 1] - start
    starts = np.concatenate([np.zeros(1, dtype=np.int64), ends[:-1]])
    chunks = [data[int(starts[index]) : int(ends[index])] for index in picked]
    sizes = np.asarray([len(chunk) for chunk in chunks], dtype=np.int64)
    joined = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
    return joined, np.cumsum(sizes)


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)
