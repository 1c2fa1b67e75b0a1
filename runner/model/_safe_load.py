"""Reading checkpoint files with ``torch.load(weights_only=True)``, MMEngine's included.

regwire writes plain dicts of tensors and values, followed by a checksum trailer
(:data:`CHECKSUM_MARKER`). A training checkpoint MMEngine wrote also holds its message hub:
``HistoryBuffer`` objects and numpy arrays, which ``weights_only`` refuses. For a file
without the trailer, :func:`load_weights_only` allowlists *stand-ins* under those qualified
names (torch's ``safe_globals`` takes ``(object, "module.Name")`` pairs): a class that only
absorbs the state it is given, a ``getattr`` that never looks anything up (HistoryBuffer
pickles its statistics methods with it), and numpy's array and scalar reconstruction for the
numeric dtypes, as torch's documentation describes. No other global is allowed, and no code
of MMEngine's runs. What the stand-ins absorbed is dropped (None), numpy scalars become
Python numbers and arrays tensors, so the model's and the optimizer's state load as usual.

Used by ``Pretrained`` (:mod:`runner.model`) and by the engine's checkpoint files, so it lives
here, below both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch

CHECKSUM_MARKER = b"\n#regwire-sha256"
"""The 16 bytes before the SHA-256 digest that ends a file regwire wrote."""
TRAILER_SIZE = len(CHECKSUM_MARKER) + 32
"""The size of the trailer: the marker and the 32-byte digest."""

_MMENGINE_CLASSES = (
    "mmengine.logging.history_buffer.HistoryBuffer",
    "mmengine.logging.message_hub.MessageHub",
)
"""MMEngine's classes a training checkpoint may hold (under ``message_hub``)."""


class ForeignObject:
    """Stands in for an object of a class regwire does not load (MMEngine's HistoryBuffer):
    takes whatever state the file gives it and keeps none of it."""

    def __setstate__(self, state: object) -> None:
        del state

    def __repr__(self) -> str:
        return "ForeignObject()"


def _no_getattr(owner: object, name: str) -> ForeignObject:
    """Stands in for ``builtins.getattr`` (a pickled method of a foreign class): looks up
    nothing."""
    del owner, name
    return ForeignObject()


def has_checksum_trailer(path: str | os.PathLike[str]) -> bool:
    """Whether the file ends with regwire's checksum trailer (it was written by regwire)."""
    source = Path(path)
    size = source.stat().st_size
    if size < TRAILER_SIZE:
        return False
    with source.open("rb") as file:
        file.seek(size - TRAILER_SIZE)
        return file.read(len(CHECKSUM_MARKER)) == CHECKSUM_MARKER


Allowed = Callable[..., Any] | tuple[Callable[..., Any], str]
"""What ``torch.serialization.safe_globals`` takes: a global, or one under a name."""


def _numpy_globals() -> list[Allowed]:
    try:
        import numpy as np
    except ImportError:  # no numpy: a file with arrays is refused as torch refuses it
        return []
    core = getattr(np, "_core", None) or np.core
    found: list[Allowed] = []
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2 and 1
        found += [
            (core.multiarray._reconstruct, f"{module}._reconstruct"),
            (core.multiarray.scalar, f"{module}.scalar"),
        ]
    found += [(np.ndarray, "numpy.ndarray"), (np.dtype, "numpy.dtype")]
    numeric = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
    for kind in (*numeric, "float16", "float32", "float64", "complex64", "complex128"):
        dtype_class = type(np.dtype(kind))
        found.append((dtype_class, f"numpy.dtypes.{dtype_class.__name__}"))
    return found


def foreign_globals() -> list[Allowed]:
    """The ``(stand-in, qualified name)`` pairs allowed when reading a foreign file."""
    names: list[Allowed] = [(ForeignObject, name) for name in _MMENGINE_CLASSES]
    names += [(_no_getattr, "builtins.getattr"), (_no_getattr, "__builtin__.getattr")]
    return names + _numpy_globals()


def load_weights_only(
    path: str | os.PathLike[str],
    map_location: str | torch.device | None = "cpu",
    *,
    foreign: bool | None = None,
) -> Any:
    """``torch.load(path, weights_only=True)``; for a file regwire did not write, with the
    stand-ins of MMEngine's objects allowed (see the module), then cleaned.

    Args:
        path: The file.
        map_location: Where the tensors go.
        foreign: Whether the file was written elsewhere (None: it is, unless it ends with
            regwire's checksum trailer).

    Raises:
        pickle.UnpicklingError: The file holds objects ``weights_only`` refuses even so.
        RuntimeError, EOFError, OSError, ValueError: As ``torch.load`` raises them.
    """
    if foreign is None:
        foreign = not has_checksum_trailer(path)
    allowed: AbstractContextManager[Any] = (
        torch.serialization.safe_globals(foreign_globals()) if foreign else nullcontext()
    )
    with allowed:
        loaded = torch.load(path, map_location=map_location, weights_only=True)
    return _cleaned(loaded) if foreign else loaded


def _cleaned(value: Any) -> Any:
    """``value`` with stand-ins as None, numpy scalars as Python numbers and numpy arrays as
    tensors (containers rebuilt only where something changed)."""
    kind = type(value)
    if kind is torch.Tensor or kind is torch.nn.Parameter:
        return value
    if isinstance(value, ForeignObject):
        return None
    convert = _numpy_conversion(value)
    if convert is not None:
        return convert(value)
    if isinstance(value, dict):
        changed = {key: _cleaned(item) for key, item in value.items()}
        if all(changed[key] is item for key, item in value.items()):
            return value
        value = value.copy()  # an OrderedDict stays one
        value.update(changed)
        return value
    if isinstance(value, list | tuple):
        items = list(_each_cleaned(value))
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


def _each_cleaned(values: list[Any] | tuple[Any, ...]) -> Iterator[Any]:
    for item in values:
        yield _cleaned(item)


def _numpy_conversion(value: Any) -> Callable[[Any], Any] | None:
    module = type(value).__module__
    if not module.startswith("numpy"):
        return None
    import numpy as np

    if isinstance(value, np.generic):
        return lambda scalar: scalar.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy
    return None
