"""Writing a config out as YAML, JSON or an MMEngine-style Python file.

Only plain values can be written: dicts, lists, tuples, strings, numbers, booleans and
``None``. Anything else (a lambda, a class, a live object) is an error naming its path, found
before anything is written. YAML and JSON write tuples as lists. The Python writer is a small
``repr``-based pretty-printer (no yapf): a dict whose keys are all identifiers is written as
``dict(a=1)``, others as ``{'a-b': 1}``.
"""

from __future__ import annotations

import json
import keyword
import math
import os
import unicodedata
from typing import Any

from ._limits import MAX_INT_DIGITS, int_digits_problem
from ._paths import config_error, get_path, iter_paths
from ._yaml import dump_yaml

_SCALARS = (str, int, float, bool, type(None))
_WIDTH = 88
_INDENT = "    "
_MAX_INT_BITS = math.ceil(MAX_INT_DIGITS / math.log10(2))  # what loading accepts


def check_plain(value: Any, path: tuple[Any, ...] = (), *, string_keys: bool = False) -> None:
    """Raise if ``value`` holds anything but plain data.

    Raises:
        ConfigError: Names the path of the first value that cannot be written.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) and (string_keys or not isinstance(key, _SCALARS)):
                raise config_error(
                    f"key {key!r} cannot be written: keys must be strings", path=(*path, key)
                )
            check_plain(item, (*path, key), string_keys=string_keys)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_plain(item, (*path, index), string_keys=string_keys)
    elif not isinstance(value, _SCALARS):
        raise config_error(
            f"cannot write a {type(value).__name__} value ({value!r:.60}): only dicts, lists, "
            "tuples, strings, numbers, booleans and None can be dumped",
            path=path,
        )
    elif isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise config_error(
            f"cannot write an integer of {value.bit_length():,} bits: "
            + int_digits_problem(math.ceil(value.bit_length() * math.log10(2))),
            path=path,
        )


def to_text(data: dict[str, Any], extension: str) -> str:
    """Return ``data`` (plain, as ``Config.to_dict`` gives) written in the format of ``extension``.

    Raises:
        ConfigError: A value cannot be written, or ``extension`` is not a config format.
    """
    if extension in (".yaml", ".yml"):
        check_plain(data)
        try:
            return _encodable(dump_yaml(data), data)
        except UnicodeEncodeError as exc:  # libyaml's emitter writes UTF-8
            raise _not_unicode(data, exc) from exc
    if extension == ".json":
        check_plain(data, string_keys=True)
        return _encodable(json.dumps(data, indent=2, ensure_ascii=False) + "\n", data)
    if extension == ".py":
        return python_text(data)
    raise config_error(f"cannot dump to {extension!r}: use .py, .yaml, .yml or .json")


def _encodable(text: str, data: Any) -> str:
    """Return ``text``, a dump of ``data``, if it can be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _not_unicode(data, exc) from exc
    return text


def _not_unicode(data: Any, exc: UnicodeEncodeError) -> Exception:
    """Return the error for a string of ``data`` that holds a lone surrogate."""
    bad = str(exc.object[exc.start])
    path = next(
        (
            found
            for found in iter_paths(data)
            if bad in str(found[-1]) or bad in str(get_path(data, found))
        ),
        (),
    )
    return config_error(
        f"{bad!r} is not a Unicode character (a lone surrogate): YAML and JSON cannot hold "
        "it; dump to .py, or fix the string",
        path=path[:-1] if path and bad in str(path[-1]) else path,
    )


def python_text(data: dict[str, Any]) -> str:
    """Return ``data`` as a Python config: one ``name = value`` per top-level key."""
    check_plain(data)
    lines = []
    for key, value in data.items():
        if not _is_name(key) or key == "_base_":
            raise config_error(
                "cannot be a name in a Python config; dump to .yaml or .json instead", path=str(key)
            )
        lines.append(f"{key} = {_format(value, 0)}")
    return "\n".join(lines) + "\n"


def _is_name(key: object) -> bool:
    """Whether ``key`` can be written as a Python name (Python NFKC-normalizes names)."""
    return (
        isinstance(key, str)
        and key.isidentifier()
        and not keyword.iskeyword(key)
        and unicodedata.normalize("NFKC", key) == key
    )


def _scalar(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


def _format(value: Any, depth: int) -> str:
    """Return ``value`` as Python source, on one line if it fits, else one item per line."""
    if not isinstance(value, dict | list | tuple):
        return _scalar(value)
    items = _items(value, depth + 1)
    opening, closing = _brackets(value)
    if isinstance(value, tuple) and len(items) == 1:
        items = [items[0] + ","]
    flat = opening + ", ".join(items) + closing
    if "\n" not in flat and len(_INDENT * depth) + len(flat) <= _WIDTH:
        return flat
    inner = _INDENT * (depth + 1)
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{opening}\n{body}{_INDENT * depth}{closing}"


def _brackets(value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> tuple[str, str]:
    if isinstance(value, dict):
        return ("dict(", ")") if all(_is_name(key) for key in value) else ("{", "}")
    return ("[", "]") if isinstance(value, list) else ("(", ")")


def _items(value: dict[Any, Any] | list[Any] | tuple[Any, ...], depth: int) -> list[str]:
    if isinstance(value, dict):
        if all(_is_name(key) for key in value):
            return [f"{key}={_format(item, depth)}" for key, item in value.items()]
        return [f"{_scalar(key)}: {_format(item, depth)}" for key, item in value.items()]
    return [_format(item, depth) for item in value]


def write(data: dict[str, Any], filename: str) -> None:
    """Write ``data`` to ``filename`` in the format its extension names."""
    extension = os.path.splitext(filename)[1].lower()
    text = to_text(data, extension)
    with open(filename, "w", encoding="utf-8") as stream:
        stream.write(text)
