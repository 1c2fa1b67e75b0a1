"""Merging a config over another: what inheritance through ``_base_`` and overrides mean.

Dicts merge key by key, recursively; any other value, lists included, replaces the old one. A
dict with ``_delete_: true`` replaces the inherited dict instead of merging into it. The
``_delete_`` key itself never reaches a result, at any depth, whether or not there was anything
to delete (MMEngine leaks it when the bases lack the key). ``merge_from_dict`` merges with
``list_keys``: a dict of list indices (``{"1": {...}}``) merges into those items of a list.
"""

from __future__ import annotations

import re
from typing import Any

from ._keys import DELETE_KEY
from ._paths import Path, config_error, iter_paths
from ._provenance import Provenance, Source

_MISSING: Any = object()
_INDEX = re.compile(r"-?[0-9]+")


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
    base: dict[Any, Any],
    child: dict[Any, Any],
    provenance: Provenance | None = None,
    path: Path = (),
    *,
    list_keys: bool = False,
    source: Source | None = None,
) -> dict[Any, Any]:
    """Return a new dict: ``child`` merged over ``base``; neither is changed.

    Args:
        base: The inherited values.
        child: The values that win.
        provenance: The records of ``base``; those of every replaced value are dropped, so
            that the records found afterwards name what set each final value.
        path: Where ``base`` sits in the whole config, for ``provenance`` and errors.
        list_keys: Whether a dict whose keys are all list indices (``{"1": {...}}``) merges
            into those items of a list (``merge_from_dict``), instead of replacing it.
        source: If given, every key ``child`` writes (and everything under it) is recorded in
            ``provenance`` as set by ``source``; keys merged into are not.

    Raises:
        ConfigError: With ``list_keys``, an index is out of range for its list.
    """
    result = dict(base)
    for key, value in child.items():
        if key == DELETE_KEY:
            continue
        here = (*path, key)
        old = result.get(key, _MISSING)
        if isinstance(value, dict) and isinstance(old, dict) and not value.get(DELETE_KEY):
            result[key] = merge(old, value, provenance, here, list_keys=list_keys, source=source)
        elif list_keys and isinstance(old, list) and _is_index_dict(value):
            items = dict(enumerate(old))
            for index_key, item in value.items():
                index = _list_index(index_key, len(old), here, source)
                items = merge(
                    items,
                    {index % len(old): item},
                    provenance,
                    here,
                    list_keys=list_keys,
                    source=source,
                )
            result[key] = list(items.values())
        else:
            value = strip_delete(value)
            if provenance is not None:
                if old is not _MISSING:
                    provenance.forget(here, old)
                if source is not None:
                    provenance.record(here, source)
                    for sub in iter_paths(value, here):
                        provenance.record(sub, source)
            result[key] = value
    return result


def _is_index_dict(value: Any) -> bool:
    """Whether ``value`` is a non-empty dict whose keys are all list indices."""
    return isinstance(value, dict) and bool(value) and all(_is_index(key) for key in value)


def _is_index(key: object) -> bool:
    return isinstance(key, int) or (isinstance(key, str) and _INDEX.fullmatch(key) is not None)


def _list_index(key: int | str, length: int, path: Path, source: Source | None) -> int:
    """Return the index ``key`` names in a list of ``length`` items at ``path``.

    Raises:
        ConfigError: The index is out of range.
    """
    text = str(key)
    index = int(key) if len(text) <= 20 else None  # a longer one is out of range anyway
    if index is None or not -length <= index < length:
        shown = text if index is not None else text[:20] + "..."
        raise config_error(
            f"list index {shown} out of range (the list has {length} items)",
            path=(*path, index if index is not None else shown),
            source=source,
        )
    return index
