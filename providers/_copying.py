"""Copies of config values: plain (for dumping and reading) or as written (for a callable)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def copy_plain(value: Any) -> Any:
    """Copy the dicts, lists and tuples of a value into plain ones; leave everything else
    shared."""
    if isinstance(value, Mapping):
        return {key: copy_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(copy_plain(item) for item in value)
    return value


def copy_config(value: Any) -> Any:
    """A config given to its callable as written: copied (the callable may change it), a dict
    subclass keeping its class (a ``ConfigDict`` stays one: OpenMMLab's heads read
    ``test_cfg.max_per_img``)."""
    if isinstance(value, Mapping):
        items = {key: copy_config(item) for key, item in value.items()}
        kind = type(value)
        return items if kind is dict or not issubclass(kind, dict) else kind(items)
    if isinstance(value, list):
        return [copy_config(item) for item in value]
    if isinstance(value, tuple):
        return tuple(copy_config(item) for item in value)
    return value
