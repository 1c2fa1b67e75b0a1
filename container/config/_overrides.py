"""Changing a loaded config from outside: ``--cfg-options`` strings and ``merge_from_dict``.

The command-line grammar, one override per string:

- ``key=value`` sets an existing key. ``key`` is dotted, numbers index lists
  (``train_pipeline.1.scale``); a key that does not exist is an error that suggests the nearest
  one, so a typo never adds a silent new key.
- ``+key=value`` adds a key that does not exist yet (its parent must), or appends to a list
  when ``key`` ends in the list's length.
- ``~key`` deletes a key or list item.

A key may not be empty or have an empty part (``+a.=1``, ``a..b=1``), nor name what the loader
reserves (``_base_``, ``_delete_``, and at the top ``filename`` and the other names of
``Config`` attributes); ``merge_from_dict`` keys follow the same rules.

``value`` is read as a YAML flow scalar or collection: ``0.1``, ``1e-3``, ``true``, ``null``
(also ``None``), ``[1, 2]``, ``{type: SGD, lr: 0.1}``, ``'quoted text'``; anything else is a
string, and ``key=`` is the empty string. The value replaces the old one; dicts are not merged
(and a ``_delete_`` key in it is dropped, as everywhere). The value is read like a YAML file,
within the same limits; its key counts towards the nesting depth.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import yaml

from .._errors import ConfigError
from ._configdict import wrap
from ._keys import reserved_problem
from ._limits import MAX_DEPTH, depth_problem, too_deep
from ._merge import merge, strip_delete
from ._paths import Path, config_error, get_path, iter_paths, parse_path
from ._provenance import Provenance, Source
from ._yaml import load_value

CLI_ORIGIN = "--cfg-options"


@attrs.frozen
class Override:
    """One parsed command-line override."""

    action: str  # "set", "add" or "delete"
    key: str
    value: Any
    source: Source


def parse_override(text: str) -> Override:
    """Parse one ``key=value``, ``+key=value`` or ``~key`` string.

    Raises:
        ConfigError: The string does not follow the grammar, its key is empty, has an empty
            part or names a reserved key, or its value is not valid YAML.
    """
    source = Source(CLI_ORIGIN, detail=text)
    stripped = text.strip()
    if stripped.startswith("~"):
        if "=" in stripped:
            raise config_error("'~key' deletes a key and takes no value", source=source)
        return Override("delete", check_key(stripped[1:], source), None, source)
    action = "set"
    if stripped.startswith("+"):
        action, stripped = "add", stripped[1:]
    key, equals, raw = stripped.partition("=")
    if not equals:
        raise config_error("expected 'key=value', '+key=value' or '~key'", source=source)
    key = check_key(key.strip(), source)
    return Override(action, key, parse_value(raw.strip(), source, key), source)


def check_key(key: str, source: Source) -> str:
    """Return a dotted key an override or ``merge_from_dict`` names, if it may be set.

    Raises:
        ConfigError: The key is empty or has an empty part (``a..b``, ``+a.=1``), nests
            deeper than ``MAX_DEPTH``, or names a reserved key (``_base_``, ``_delete_``,
            ``filename``, ...).
    """
    parts = key.split(".")
    if not key or not all(parts):
        message = f"malformed key {key!r}: a dotted key cannot be empty or have an empty part"
        raise config_error(message, source=source)
    if len(parts) > MAX_DEPTH:
        raise config_error(depth_problem(), path=key, source=source)
    reserved = reserved_problem(parts)
    if reserved is not None:
        length, problem = reserved
        raise config_error(problem, path=tuple(parts[:length]), source=source)
    return key


def parse_value(raw: str, source: Source, key: str = "") -> Any:
    """Read a command-line value (see the module docstring) for ``key``."""
    if raw == "":
        return ""
    path = tuple(key.split(".")) if key else ()
    try:
        value = load_value(raw, source, path)
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise config_error(f"cannot read the value {raw!r}: {problem}", source=source) from exc
    except ConfigError as exc:
        message = f"cannot read the value {raw!r}: {exc.template}"
        raise config_error(message, path=exc.config_path, source=source) from exc
    if isinstance(value, dict | list) and not raw.startswith(("{", "[")):
        return raw  # "a: b" or "- a" is text, not block YAML
    return value


def apply_overrides(data: dict[str, Any], provenance: Provenance, overrides: Sequence[str]) -> None:
    """Apply command-line overrides, in order, to ``data`` in place.

    Raises:
        ConfigError: An override is malformed or names a key that does not exist (``+key``: one
            that does), with the nearest existing key suggested.
    """
    for text in overrides:
        if not isinstance(text, str):
            raise config_error(
                f"an override must be a 'key=value' string, not {text!r}", source=CLI_ORIGIN
            )
        override = parse_override(text)
        if override.action == "delete":
            _delete(data, provenance, override)
        elif override.action == "add":
            _add(data, provenance, override)
        else:
            path = parse_path(data, override.key, source=override.source)
            _set(data, provenance, path, override.value, override.source)


def _set(data: Any, provenance: Provenance, path: Path, value: Any, source: Source) -> None:
    parent = get_path(data, path[:-1])
    if isinstance(parent, tuple):
        raise config_error("cannot change an item of a tuple", path=path, source=source)
    if _has(parent, path[-1]):
        provenance.forget(path, parent[path[-1]])
    value = wrap(strip_delete(value))
    parent[path[-1]] = value
    provenance.record(path, source)
    for sub in iter_paths(value, path):
        provenance.record(sub, source)


def _has(parent: Any, key: Any) -> bool:
    if isinstance(parent, dict):
        return key in parent
    return isinstance(key, int) and key < len(parent)


def _add(data: Any, provenance: Provenance, override: Override) -> None:
    parent_key, _, last = override.key.rpartition(".")
    parent_path = parse_path(data, parent_key, source=override.source) if parent_key else ()
    parent = get_path(data, parent_path)
    if isinstance(parent, list) and last == str(len(parent)):
        parent.append(None)
        path: Path = (*parent_path, len(parent) - 1)
    elif isinstance(parent, dict):
        if last in parent:
            raise config_error(
                f"already exists; write '{override.key}=...' without '+' to change it",
                path=override.key,
                source=override.source,
            )
        path = (*parent_path, last)
    elif isinstance(parent, list):
        raise config_error(
            f"the list has {len(parent)} items; '+' appends only at index {len(parent)}",
            path=override.key,
            source=override.source,
        )
    else:
        raise config_error(
            f"cannot add a key inside a {type(parent).__name__} value",
            path=override.key,
            source=override.source,
        )
    _set(data, provenance, path, override.value, override.source)


def _delete(data: Any, provenance: Provenance, override: Override) -> None:
    path = parse_path(data, override.key, source=override.source)
    parent = get_path(data, path[:-1])
    if isinstance(parent, tuple):
        raise config_error("cannot delete an item of a tuple", path=path, source=override.source)
    provenance.forget(path, parent[path[-1]])
    del parent[path[-1]]


def merge_options(
    data: dict[str, Any],
    provenance: Provenance,
    options: Mapping[str, Any],
    *,
    allow_new_keys: bool = True,
    allow_list_keys: bool = True,
) -> None:
    """Merge ``{dotted key: value}`` into ``data`` in place, as MMEngine's ``merge_from_dict``.

    A dict value merges into the dict already there (``_delete_`` works as in files); a dict
    with index keys (``{"1": {...}}``) merges into list items; any other value replaces the old.

    Args:
        data: The config's data.
        provenance: Its sources, updated.
        options: Dotted keys (``model.backbone.depth``, ``pipeline.1.size``) and values.
        allow_new_keys: Whether keys that do not exist yet may be added (with the dicts on the
            way to them); if not, such a key is an error suggesting the nearest one.
        allow_list_keys: Whether index keys may reach into lists (MMEngine's default).

    Raises:
        ConfigError: A key names nothing and new keys are not allowed, goes through a value
            that is not a dict or list, or names an item of a tuple; or an index key is out of
            its list's range.
    """
    for key, value in options.items():
        source = Source("merge_from_dict", detail=f"{key}={_shown(value)}")
        check_key(str(key), source)
        deep = too_deep(value, len(str(key).split(".")))
        if deep is not None:
            raise config_error(depth_problem(), path=(str(key), *deep), source=source)
        path = parse_path(data, str(key), source=source, create_missing=allow_new_keys)
        if not allow_list_keys:
            _refuse_list_keys(data, path, value, source)
        parent = get_path(data, path[:-1])
        if isinstance(parent, tuple):
            raise config_error("cannot change an item of a tuple", path=path, source=source)
        last = path[-1]
        old = {last: parent[last]} if _has(parent, last) else {}
        merged = merge(
            old, {last: value}, provenance, path[:-1], list_keys=allow_list_keys, source=source
        )
        parent[last] = wrap(merged[last])


def _refuse_list_keys(data: Any, path: Any, value: Any, source: Source) -> None:
    """Raise if ``path`` indexes a list, or ``value`` merges index keys into one."""
    current = data
    for depth, part in enumerate(path):
        if isinstance(current, list | tuple):
            raise config_error(
                "indexes a list, which merge_from_dict(allow_list_keys=False) refuses",
                path=path[: depth + 1],
                source=source,
            )
        current = current.get(part) if isinstance(current, Mapping) else None
    if isinstance(current, list) and isinstance(value, Mapping):
        raise config_error(
            "merges index keys into a list, which merge_from_dict(allow_list_keys=False) refuses",
            path=path,
            source=source,
        )


def _shown(value: Any) -> str:
    """Return ``value`` as a source shows it: its repr, shortened where it is long."""
    try:
        return reprlib.repr(value)
    except ValueError:  # an int too long for repr (sys.get_int_max_str_digits)
        return f"<{type(value).__name__}>"
