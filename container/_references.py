"""References between the components of an application config: ``${db}``, ``${db.url}``.

A string that is exactly ``${path}`` stands for what is at ``path``: a top-level component (the
one object its container holds), or a value of the config. A string with references inside
other text (``"postgres://${settings.host}/shop"``) is that text with each reference's value
put in with ``str()``. ``\\${`` writes a literal ``${``.

``path`` is dotted: a top-level key, then keys (and list indices) inside its value. It may end
on another reference, which is followed. It may not end inside a nested node (a node is built
afresh by its parent; make it a top-level component to share it).

This module reads references and orders the components; :mod:`container._application` builds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from providers import PATH, RESERVED_KEYS

from ._errors import ConfigError, did_you_mean

_REFERENCE = re.compile(r"(\\?)\$\{([^${}]*)\}")
_TYPE, _RECURSIVE = "type", "_recursive_"
_ATOMS = frozenset({str, int, float, bool, type(None), bytes, complex})


class Ref:
    """A whole-string reference, found at ``where`` (a config path), to ``target``."""

    __slots__ = ("target", "where")

    def __init__(self, target: tuple[str, ...], where: str) -> None:
        self.target = target
        self.where = where

    def __repr__(self) -> str:
        return f"${{{'.'.join(self.target)}}}"


class Template:
    """Text with references inside: ``parts`` alternate text and :class:`Ref`."""

    __slots__ = ("parts", "where")

    def __init__(self, parts: list[str | Ref], where: str) -> None:
        self.parts = parts
        self.where = where


def parse(text: str, where: str) -> str | Ref | Template:
    """Read the references in one string; a string without any comes back as it is."""
    if "${" not in text:
        return text
    if text[:2] == "${" and text.count("{") == 1 and text.find("}") == len(text) - 1:
        inside = text[2:-1].strip()  # the common case, a whole-string reference
        if inside and "$" not in inside and all(inside.split(".")):
            return Ref(tuple(inside.split(".")), where)
    parts: list[str | Ref] = []
    position = 0
    for match in _REFERENCE.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        if match.group(1):  # \${...}: written as it is, without the backslash
            parts.append(match.group(0)[1:])
            continue
        inside = match.group(2).strip()
        if not inside or any(not part for part in inside.split(".")):
            raise ConfigError(
                f"{PATH} has an empty or malformed reference {match.group(0)!r}", config_path=where
            )
        parts.append(Ref(tuple(inside.split(".")), where))
    parts.append(text[position:])
    parts = [part for part in parts if part != ""]
    if len(parts) == 1 and isinstance(parts[0], Ref):
        return parts[0]
    if not any(isinstance(part, Ref) for part in parts):
        return "".join(str(part) for part in parts)
    return Template(parts, where)


def is_node(value: object) -> bool:
    if value.__class__ is dict:  # the common case, without the abstract-class check
        return _TYPE in value
    return isinstance(value, Mapping) and _TYPE in value


def mark(value: Any, where: str, found: list[Ref] | None = None) -> Any:
    """A copy of ``value`` with its reference strings read (:class:`Ref`, :class:`Template`);
    each :class:`Ref` is also appended to ``found``, those in templates included.

    Inside a node with ``_recursive_: false`` nothing is read: its values are passed as
    written.
    """
    kind = value.__class__
    if kind is str:
        marked = parse(value, where)
        if found is not None and marked.__class__ is not str:
            found.extend(references(marked))
        return marked
    if kind in _ATOMS:
        return value
    if isinstance(value, Mapping):
        node = is_node(value)
        if node and value.get(_RECURSIVE) is False:
            return dict(value)
        return {
            key: item if node and key in RESERVED_KEYS else mark(item, f"{where}.{key}", found)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        items = [mark(item, f"{where}.{index}", found) for index, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    return value


def references(value: Any) -> Iterator[Ref]:
    """Every :class:`Ref` in a marked value, those inside templates included."""
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Template):
        yield from (part for part in value.parts if isinstance(part, Ref))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from references(item)


def has_node(value: Any) -> bool:
    """Whether a value has a node in it."""
    return holds_nodes(value, references=False)


def at_path(marked: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at a path (such as :func:`follow` returns) in a marked or plain config."""
    value: Any = marked
    for key in path:
        value = value[int(key)] if isinstance(value, list | tuple) else value[key]
    return value


def holds_nodes(value: Any, *, references: bool = True) -> bool:
    """Whether a marked value has a node or (with ``references``) a reference in it: then it
    is built."""
    kind = value.__class__
    if kind in _ATOMS:
        return False
    if (references and (kind is Ref or kind is Template)) or is_node(value):
        return True
    if isinstance(value, Mapping):
        return any(holds_nodes(item, references=references) for item in value.values())
    if isinstance(value, list | tuple):
        return any(holds_nodes(item, references=references) for item in value)
    return False


Target = tuple[str, tuple[str, ...]]
"""Where a reference ends, after following references: ("component", (name,)) for a whole
top-level component, or ("value", path) for a value of the config."""


def follow(marked: Mapping[str, Any], ref: Ref, chain: tuple[str, ...] = ()) -> Target:
    """Where ``ref`` ends, following references it lands on.

    Raises:
        ConfigError: The path does not exist (the nearest key is suggested), ends inside a
            nested node, or references lead back to themselves.
    """
    shown = ".".join(ref.target)
    if shown in chain:
        cycle = " -> ".join(f"${{{name}}}" for name in (*chain, shown))
        raise ConfigError(f"{PATH} starts a reference cycle: {cycle}", config_path=ref.where)
    head, *rest = ref.target
    if head not in marked:
        hint = did_you_mean(head, [str(key) for key in marked])
        raise ConfigError(
            f"{PATH} refers to {shown!r}, but there is no top-level key {head!r}{hint}",
            config_path=ref.where,
        )
    value = marked[head]
    for depth, key in enumerate(rest):
        if isinstance(value, Ref):
            break
        if depth > 0 and is_node(value):
            return _into_node(ref, ".".join(ref.target[: depth + 1]))
        value = _step(value, key, ref, ".".join(ref.target[: depth + 1]))
    else:
        if isinstance(value, Ref):
            return follow(marked, value, (*chain, shown))
        if not rest:
            return ("component", (head,))
        if has_node(value):
            return _into_node(ref, shown)
        return ("value", ref.target)
    raise ConfigError(
        f"{PATH} refers to {shown!r}, which passes through the reference {value!r}; "
        "refer to its target directly",
        config_path=ref.where,
    )


def _step(value: Any, key: str, ref: Ref, at: str) -> Any:
    if isinstance(value, Mapping) and key in value:
        return value[key]
    if isinstance(value, Mapping) and key.isdigit() and int(key) in value:
        return value[int(key)]  # a YAML key such as 1 is an int
    if isinstance(value, list | tuple) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    keys = [str(name) for name in value] if isinstance(value, Mapping) else []
    hint = did_you_mean(key, keys) if keys else ""
    raise ConfigError(
        f"{PATH} refers to {'.'.join(ref.target)!r}, but {at.rsplit('.', 1)[0]!r} has no "
        f"{key!r}{hint}",
        config_path=ref.where,
    )


def _into_node(ref: Ref, at: str) -> Target:
    raise ConfigError(
        f"{PATH} refers to {'.'.join(ref.target)!r}, inside the node at {at!r}, which its "
        "parent builds afresh; make it a top-level component to share it",
        config_path=ref.where,
    )


def build_order(
    marked: Mapping[str, Any], refs: Mapping[str, list[Ref]] | None = None
) -> tuple[list[str], dict[str, list[Target]], dict[int, Target]]:
    """The top-level keys in an order where every component comes after those it refers to,
    each key's references resolved, and each :class:`Ref` object's target by its ``id``.

    Raises:
        ConfigError: A reference is wrong (see :func:`follow`) or components refer to each
            other in a cycle (the message names the cycle).
    """
    targets: dict[str, list[Target]] = {}
    resolved: dict[int, Target] = {}
    first_ref: dict[tuple[str, str], str] = {}
    for key, value in marked.items():
        found: list[Target] = []
        pending = list(refs[key]) if refs is not None else list(references(value))
        seen: set[tuple[str, ...]] = set()
        while pending:  # a value reference brings the references inside that value
            ref = pending.pop()
            target = resolved[id(ref)] = follow(marked, ref)
            found.append(target)
            if target[0] == "component":
                first_ref.setdefault((key, target[1][0]), ref.where)
            elif target[1] not in seen:
                seen.add(target[1])
                pending.extend(references(at_path(marked, target[1])))
        targets[key] = found
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(key: str, path: Sequence[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            cycle = [*path[path.index(key) :], key]
            raise ConfigError(
                f"{PATH} is part of a reference cycle: {' -> '.join(cycle)}",
                config_path=first_ref.get((cycle[0], cycle[1]), cycle[0]),
            )
        state[key] = 1
        for kind, target in targets[key]:
            if kind == "component":
                visit(target[0], [*path, key])
        state[key] = 2
        order.append(key)

    for key in marked:
        visit(key, [])
    return order, targets, resolved


def check_references(cfg: Any) -> None:
    """Raise the first problem of ``cfg``'s references (see :func:`build_order`)."""
    to_dict = getattr(cfg, "to_dict", None)
    plain = to_dict() if callable(to_dict) else cfg
    found: dict[str, list[Ref]] = {key: [] for key in plain}
    marked = {key: mark(value, str(key), found[key]) for key, value in plain.items()}
    build_order(marked, found)
