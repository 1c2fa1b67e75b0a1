"""Merging a config over another: what inheritance through ``_base_`` and overrides mean.

Dicts merge key by key, recursively; any other value, lists included, replaces the old one. A
dict with ``_delete_: true`` replaces the inherited dict instead of merging into it. The
``_delete_`` key itself never reaches a result, at any depth, whether or not there was anything
to delete (MMEngine leaks it when the bases lack the key).
"""

from __future__ import annotations

from typing import Any

from ._paths import Path
from ._provenance import Provenance

DELETE_KEY = "_delete_"
_MISSING: Any = object()


def strip_delete(value: Any) -> Any:
    """Return a copy of ``value`` without ``_delete_`` keys at any depth."""
    if isinstance(value, dict):
        return {key: strip_delete(item) for key, item in value.items() if key != DELETE_KEY}
    if isinstance(value, list):
        return [strip_delete(item) for item in value]
    if isinstance(value, tuple):
        return tuple(strip_delete(item) for item in value)
    return value


def merge(
    base: dict[str, Any],
    child: dict[str, Any],
    provenance: Provenance | None = None,
    path: Path = (),
) -> dict[str, Any]:
    """Return a new dict: ``child`` merged over ``base``; neither is changed.

    Args:
        base: The inherited values.
        child: The values that win.
        provenance: The records of ``base``; those of every replaced value are dropped, so
            that the child's records, added afterwards, are the only ones for what it set.
        path: Where ``base`` sits in the whole config, for ``provenance``.
    """
    result = dict(base)
    for key, value in child.items():
        if key == DELETE_KEY:
            continue
        old = result.get(key, _MISSING)
        if isinstance(value, dict) and isinstance(old, dict) and not value.get(DELETE_KEY):
            result[key] = merge(old, value, provenance, (*path, key))
            continue
        if provenance is not None and old is not _MISSING:
            provenance.forget((*path, key), old)
        result[key] = strip_delete(value)
    return result


def merge_value(old: Any, new: Any, provenance: Provenance | None = None, path: Path = ()) -> Any:
    """Return ``new`` merged over ``old`` as ``merge_from_dict`` does.

    Dicts merge; a dict whose keys are list indices (``{"1": {...}}``) merges into those items
    of a list; anything else replaces ``old``.
    """
    if isinstance(new, dict) and isinstance(old, dict) and not new.get(DELETE_KEY):
        merged = dict(old)
        for key, value in new.items():
            if key == DELETE_KEY:
                continue
            if key in merged:
                merged[key] = merge_value(merged[key], value, provenance, (*path, key))
            else:
                merged[key] = strip_delete(value)
        return merged
    if isinstance(new, dict) and isinstance(old, list) and new and all(_is_index(k) for k in new):
        items = list(old)
        for key, value in new.items():
            index = int(key)
            if not -len(items) <= index < len(items):
                raise IndexError(index)
            items[index] = merge_value(items[index], value, provenance, (*path, index % len(items)))
        return items
    if provenance is not None:
        provenance.forget(path, old)
    return strip_delete(new)


def _is_index(key: object) -> bool:
    return isinstance(key, int) or (isinstance(key, str) and key.lstrip("-").isdigit())
