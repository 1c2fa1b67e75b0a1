"""Dotted config paths, and the one helper that turns a problem into a located ConfigError.

A path is a tuple of keys and list indices (``("train_pipeline", 1, "size")``); users write it
dotted (``train_pipeline.1.size``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers import PATH, suggestion

from .._errors import ConfigError, nearest

Key = str | int
Path = tuple[Key, ...]


def dotted(path: Path) -> str:
    """Return ``path`` as users write it: ``a.b.0.c``."""
    return ".".join(str(key) for key in path)


def config_error(
    message: str, *, path: Path | str | None = None, source: object = None
) -> ConfigError:
    """Return a :class:`ConfigError` whose message starts with where the problem is.

    Args:
        message: What is wrong and what to do about it.
        path: The config path the problem is at, as a tuple or dotted.
        source: Where the value was written (``configs/a.yaml:12``), or any object whose
            ``str`` says so.

    Returns:
        ``ConfigError("configs/a.yaml:12: model.depth: <message>")`` with ``config_path`` and
        ``source`` set.
    """
    where = printable(str(source)) if source is not None else None
    config_path = printable(dotted(path) if isinstance(path, tuple) else path or "")
    message = PATH.join(printable(part) for part in message.split(PATH))  # the marker stays
    return ConfigError(message, config_path=config_path or None, source=where, source_first=True)


def printable(text: str) -> str:
    """Return ``text`` with control characters escaped (``\\n``), so a message is one line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def iter_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Yield the path of every key and list item under ``value`` (depth first)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from iter_paths(item, (*prefix, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from iter_paths(item, (*prefix, index))


def _child_key(container: Any, part: str) -> Key | None:
    """Return the key ``part`` names in ``container``, or ``None`` if it names nothing."""
    if isinstance(container, dict):
        return part if part in container else None
    if isinstance(container, list | tuple):
        try:
            index = int(part)
        except ValueError:
            return None
        return index if -len(container) <= index < len(container) else None
    return None


def suggest(data: Any, parent: Path, part: str) -> str:
    """Return a did-you-mean for an unknown ``part`` under ``parent``, naming full paths.

    Keys beside ``part`` come first; failing those, keys of a similar name anywhere in the
    config (a key written at the wrong level).
    """
    container = get_path(data, parent)
    if isinstance(container, dict):
        siblings = [str(key) for key in container]
        close = nearest(part, siblings)
        if close:
            return suggestion(dotted((*parent, key)) for key in close)
    by_name: dict[str, list[str]] = {}
    for path in iter_paths(data):
        by_name.setdefault(str(path[-1]), []).append(dotted(path))
    close = nearest(part, by_name)
    return suggestion(sorted((p for key in close for p in by_name[key]), key=len)[:3])


def parse_path(data: Any, key: str, *, source: object = None, create_missing: bool = False) -> Path:
    """Turn a dotted ``key`` into a path through ``data``; unknown parts raise.

    Numeric parts index lists (negative indices count from the end). With ``create_missing``
    (``merge_from_dict``), a key missing from a dict is not an error: an empty dict is added
    there when more parts follow, and the last part may name a key that does not exist yet.

    Raises:
        ConfigError: A part names nothing (with the nearest existing path suggested), or goes
            into a value that is not a dict or list.
    """
    if not key or any(not part for part in key.split(".")):
        raise config_error(f"malformed key {key!r}", source=source)
    path: Path = ()
    node = data
    parts = key.split(".")
    for position, part in enumerate(parts):
        child = _child_key(node, part)
        if child is None and create_missing and isinstance(node, dict):
            if position == len(parts) - 1:
                return (*path, part)
            node[part] = {}
            child = part
        elif child is None:
            raise _not_found(data, path, part, node, setting=create_missing, source=source)
        if isinstance(child, int) and child < 0:
            child += len(node)
        path = (*path, child)
        node = node[child]
    return path


def _not_found(
    data: Any, path: Path, part: str, node: Any, *, setting: bool, source: object
) -> ConfigError:
    """Return the error for ``part``, which names nothing in ``node`` (at ``path``)."""
    if isinstance(node, dict | list | tuple):
        kind = "unknown key" if isinstance(node, dict) else "index out of range"
        return config_error(kind + suggest(data, path, part), path=(*path, part), source=source)
    kind = type(node).__name__
    if setting:
        return config_error(f"cannot set {part!r} inside a {kind} value", path=path, source=source)
    return config_error(f"cannot go into a {kind} value", path=path, source=source)


def get_path(data: Any, path: Path) -> Any:
    """Return the value at an existing ``path``."""
    for key in path:
        data = data[key]
    return data
