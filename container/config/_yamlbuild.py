"""Building config values from a composed YAML document, within the limits of ``_limits``.

PyYAML composes a document into a graph of nodes, in which an alias is the node it names
again, so a 1 KB file can hold a graph that expands to billions of values. :class:`Builder`
walks the graph once per place a node appears and builds plain dicts, lists and core-schema
scalars itself; the first visit of a node is what the text spells out, every further visit
is produced by an alias and counts against :data:`~._limits.MAX_ALIAS_VALUES` and
:data:`~._limits.MAX_ALIAS_CHARS`, so an alias bomb stops at the budget instead of running
for minutes. The same walk refuses containers nested deeper than :data:`~._limits.MAX_DEPTH`,
integers longer than :data:`~._limits.MAX_INT_DIGITS`, scalars a tag cannot read
(``!!int x``) and keys that cannot be dict keys, each as a ``ConfigError`` naming the file,
line and key. Nodes of other tags (``!!set``, ``!!omap``, ``!!timestamp``, ...) go to the
loader's safe constructors, after the same counting over their part of the graph.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from typing import Any

import attrs
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .._errors import ConfigError
from ._limits import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    Expansion,
    depth_problem,
    int_digits_problem,
)
from ._paths import Path, config_error
from ._provenance import Provenance, Source

TAG = "tag:yaml.org,2002:"
_PYTHON_TAG = f"{TAG}python/"
_MAP, _SEQ, _MERGE = TAG + "map", TAG + "seq", TAG + "merge"
_TIMESTAMP, _TIMESTAMP_TEXT = TAG + "timestamp", yaml.constructor.SafeConstructor.timestamp_regexp

_INT_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:_[0-9]+)*|0x[0-9a-fA-F]+|0o[0-7]+)")
_BOOLS = {word: word[0] in "tT" for word in ("true", "True", "TRUE", "false", "False", "FALSE")}
_NULLS = frozenset(("~", "null", "Null", "NULL", "", "None", "none"))

# What PyYAML's safe constructors raise, besides YAMLError, for a value they cannot read:
# ``!!timestamp ''`` an AttributeError, ``!!timestamp 2020-13-01`` a ValueError.
_CONSTRUCTOR_ERRORS = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


def core_int(text: str) -> int:
    """Read a core-schema integer: decimal (leading zeros are decimal), ``0x`` or ``0o``.

    Raises:
        ValueError: ``text`` is not one, or has more than ``MAX_INT_DIGITS`` digits.
    """
    if _INT_TEXT.fullmatch(text) is None:
        raise ValueError("not an integer (decimal, 0x hex or 0o octal)")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    base = {"0x": 16, "0o": 8}.get(digits[:2], 10)
    if base != 10:
        digits = digits[2:]
    if len(digits) > MAX_INT_DIGITS and len(digits.replace("_", "")) > MAX_INT_DIGITS:
        raise ValueError(int_digits_problem(len(digits.replace("_", ""))))
    return sign * int(digits, base)


def core_float(text: str) -> float:
    """Read a core-schema float, ``.inf`` and ``.nan`` included.

    Raises:
        ValueError: ``text`` is not a number.
    """
    value = text.replace("_", "").lower()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    try:
        return sign * float(value)
    except ValueError:
        raise ValueError("not a number") from None


def core_bool(text: str) -> bool:
    """Read ``true`` or ``false`` (capitalized or upper case too), and nothing else."""
    try:
        return _BOOLS[text]
    except KeyError:
        raise ValueError("not true or false") from None


def core_null(text: str) -> None:
    """Read ``null``, ``~`` or nothing (and ``None`` or ``none``, which overrides accept)."""
    if text not in _NULLS:
        raise ValueError("not null")


def core_binary(text: str) -> bytes:
    """Read base64 (line breaks allowed), strictly: PyYAML's own skips what is not base64."""
    return base64.b64decode("".join(text.split()), validate=True)


#: How the scalars of a config are built, by tag; any other tag goes to PyYAML's constructors.
#: Each raises ValueError for text it cannot read (an explicit ``!!int x``).
SCALARS: dict[str, Callable[[str], Any]] = {
    TAG + "str": str,
    TAG + "null": core_null,
    TAG + "bool": core_bool,
    TAG + "int": core_int,
    TAG + "float": core_float,
    TAG + "binary": core_binary,
}


def tag_name(tag: str) -> str:
    """Return a tag as YAML files write it: ``!!int`` for ``tag:yaml.org,2002:int``."""
    return "!!" + tag[len(TAG) :] if tag.startswith(TAG) else tag


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:20]) + f"... ({len(text)} characters)"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


@attrs.define
class Builder:
    """Builds the value of a composed YAML document, checking it and recording its lines.

    Args:
        loader: The loader that composed the document (its constructors build other tags).
        origin: The file, for sources.
        provenance: Where the line of every key and item is recorded.
        where: For a command-line value: the source every error names (no lines then).
    """

    loader: yaml.SafeLoader
    origin: str
    provenance: Provenance
    where: Source | None = None
    _open: set[int] = attrs.field(factory=set)
    _seen: set[int] = attrs.field(factory=set)
    _expansion: Expansion = attrs.field(factory=Expansion)
    _merged: dict[int, int] = attrs.field(factory=dict)

    def source(self, node: Node) -> Source:
        """Where ``node`` was written."""
        return self.where or Source(self.origin, node.start_mark.line + 1)

    def error(self, message: str, path: Path, node: Node) -> ConfigError:
        """Return the error for a problem with ``node``, at ``path``."""
        return config_error(message, path=path, source=self.source(node))

    def build(self, node: Node, path: Path) -> Any:
        """Return the value of ``node``, which sits at ``path``.

        A node met again is an alias (or inside one): it counts against the limits.
        """
        key = id(node)
        if key in self._seen:
            self._charge(node, path)
        else:
            self._seen.add(key)
        if node.__class__ is ScalarNode:  # most nodes: read here, without a call of _value
            convert = SCALARS.get(node.tag)  # the core tags only: never a python/ tag
            if convert is not None:
                try:
                    return convert(node.value)
                except ValueError as exc:
                    raise self._unreadable(node, path, exc) from exc
        return self._value(node, path)

    def _unreadable(self, node: Node, path: Path, exc: ValueError) -> ConfigError:
        message = f"cannot read {_shown(node.value)} as {tag_name(node.tag)}: {exc}"
        return self.error(message, path, node)

    def _charge(self, node: Node, path: Path) -> None:
        chars = len(node.value) if isinstance(node, ScalarNode) else 0
        problem = self._expansion.add(1, chars)
        if problem is not None:
            raise self.error(problem, path, node)

    def _value(self, node: Node, path: Path) -> Any:
        tag = node.tag
        if tag.startswith(_PYTHON_TAG):
            raise self.error(
                f"YAML tag {tag_name(tag)} is not allowed: config files are loaded safely "
                "and never create Python objects; write plain values and let a registry build "
                "objects",
                path,
                node,
            )
        if isinstance(node, ScalarNode):
            convert = SCALARS.get(tag)
            if convert is None:
                return self._construct(node, path)
            try:
                return convert(node.value)
            except ValueError as exc:
                raise self._unreadable(node, path, exc) from exc
        if len(path) >= MAX_DEPTH:
            raise self.error(depth_problem(), path, node)
        key = id(node)
        if key in self._open:
            raise self.error(
                "a YAML alias refers to a collection that contains it; a config must be a tree",
                path,
                node,
            )
        self._open.add(key)
        try:
            if isinstance(node, MappingNode) and tag == _MAP:
                return self._mapping(node, path)
            if isinstance(node, SequenceNode) and tag == _SEQ:
                return self._sequence(node, path)
            return self._construct(node, path)
        finally:
            self._open.discard(key)

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        own = {id(key_node) for key_node, _ in node.value if key_node.tag != _MERGE}
        if len(own) != len(node.value):
            merged = self._merged_pairs(node, path, len(path)) - len(own)
            if merged > MAX_ALIAS_VALUES:
                message = (
                    f"merge keys (<<) bring {merged:,} entries into this mapping, more than "
                    f"{MAX_ALIAS_VALUES:,} (MAX_ALIAS_VALUES)"
                )
                raise self.error(message, path, node)
            self.loader.flatten_mapping(node)  # YAML merge keys: merged pairs come first
        result: dict[Any, Any] = {}
        first_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path)
            line = key_node.start_mark.line + 1
            if type(key) is not str and not _hashable(key):
                raise self.error("a mapping key must be a plain value", path, key_node)
            if id(key_node) in own:
                if key in first_lines:
                    raise config_error(
                        f"key {key!r} is given twice in one mapping (first on line "
                        f"{first_lines[key]}); remove one of them",
                        path=(*path, key),
                        source=self.where or Source(self.origin, line),
                    )
                first_lines[key] = line
            self.provenance.record((*path, key), Source(self.origin, line))
            result[key] = self.build(value_node, (*path, key))
        return result

    def _sequence(self, node: SequenceNode, path: Path) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.provenance.record((*path, index), self.source(item))
            items.append(self.build(item, (*path, index)))
        return items

    def _merged_pairs(self, node: MappingNode, path: Path, depth: int) -> int:
        """Return how many pairs ``flatten_mapping`` will give ``node``, without flattening.

        Counted first because flattening copies pairs: merge keys that merge mappings that
        merge mappings multiply them, before anything is built.
        """
        known = self._merged.get(id(node))
        if known is not None:
            if known < 0:
                raise self.error("a merge key (<<) merges a mapping into itself", path, node)
            return known
        if depth >= MAX_DEPTH:
            raise self.error(depth_problem(), path, node)
        self._merged[id(node)] = -1  # being counted
        total = 0
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                total += 1
                continue
            subs = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for sub in subs:
                if isinstance(sub, MappingNode):  # flatten_mapping reports anything else
                    total += self._merged_pairs(sub, path, depth + 1)
        self._merged[id(node)] = total
        return total

    def _construct(self, node: Node, path: Path) -> Any:
        """Build a node of another tag with the loader's safe constructors."""
        what = f"the {tag_name(node.tag)} value"
        if isinstance(node, ScalarNode):
            what = f"{_shown(node.value)} as {tag_name(node.tag)}"
            if node.tag == _TIMESTAMP and _TIMESTAMP_TEXT.match(node.value) is None:
                message = f"cannot read {what}: not a date (2024-01-02) or a date and time"
                raise self.error(message, path, node)
        else:
            self._charge_graph(node, path)
        try:
            return self.loader.construct_object(node, True)
        except _CONSTRUCTOR_ERRORS as exc:
            raise self.error(f"cannot read {what}: {exc}", path, node) from exc

    def _charge_graph(self, node: Node, path: Path) -> None:
        """Count what constructing ``node`` produces, as :meth:`build` would count it.

        PyYAML's constructors build each node once and share it, but copying, merging and
        dumping a config expand what is shared, so every reuse counts here too.
        """
        stack = [(child, len(path) + 1, False) for child in _children(node)]
        while stack:
            item, depth, reused = stack.pop()
            key = id(item)
            if key in self._seen:
                reused = True
            else:
                self._seen.add(key)
            if reused:
                self._charge(item, path)
            children = _children(item)
            if children and depth >= MAX_DEPTH:
                raise self.error(depth_problem(), path, node)
            stack.extend((child, depth + 1, reused) for child in children)


def _hashable(key: object) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True
