"""YAML for configs: safe, strict about duplicate keys, and with YAML 1.2's plain scalars.

PyYAML follows YAML 1.1, whose plain scalars hold traps for config files: ``1e-3`` is a string,
``yes``/``no``/``on``/``off`` are booleans, ``010`` is octal, ``1:30`` is 90 and ``2024-01-02`` is
a date. The loader here resolves plain scalars as YAML 1.2's core schema does (``1e-3`` is a
float; only ``true``/``false`` are booleans; no dates), and the dumper quotes exactly the strings
that the loader would read as something else, so dumping and loading round-trips.

Loading never runs code: the constructors are PyYAML's safe ones (from libyaml where it is
installed), and a ``!!python/...`` tag is rejected before anything is constructed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._paths import Path, config_error
from ._provenance import Provenance, Source

if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
    _BaseDumper = yaml.SafeDumper
else:  # libyaml's C parser and emitter, with PyYAML's safe constructors, where installed
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_TAG = "tag:yaml.org,2002:"
_REPLACED = {f"{_TAG}{name}" for name in ("bool", "int", "float", "null", "timestamp")}
_PYTHON_TAG = f"{_TAG}python/"

_CORE_SCALARS: list[tuple[str, str, str]] = [
    ("null", r"~|null|Null|NULL|", "~nN"),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+(?:_[0-9]+)*|0x[0-9a-fA-F]+|0o[0-7]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:_[0-9]+)*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
]


def _resolvers(extra_null: str = "") -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """Return PyYAML's safe implicit resolvers with the core-schema scalars in place of 1.1's."""
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in _REPLACED]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    for name, pattern, firsts in _CORE_SCALARS:
        if name == "null":
            pattern += extra_null
        regexp = re.compile(rf"^(?:{pattern})$", re.X)
        for first in [*firsts, *([""] if name == "null" else [])]:
            table.setdefault(first, []).append((_TAG + name, regexp))
    return table


def _core_int(text: str) -> int:
    """Read a core-schema integer: decimal (leading zeros are decimal), ``0x`` or ``0o``."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    return sign * int(digits, 10)


def _core_float(text: str) -> float:
    """Read a core-schema float, ``.inf`` and ``.nan`` included."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    return sign * float(value)


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    return _core_int(str(loader.construct_scalar(node)))


# How the plain scalars of a config are built; any other tag goes through PyYAML's constructors.
_SCALARS: dict[str, Callable[[str], Any]] = {
    _TAG + "str": str,
    _TAG + "null": lambda text: None,
    _TAG + "bool": lambda text: text.lower() == "true",
    _TAG + "int": _core_int,
    _TAG + "float": _core_float,
}
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"


class ConfigLoader(_BaseLoader):
    """Safe loader with core-schema plain scalars."""

    yaml_implicit_resolvers = _resolvers()


class ValueLoader(_BaseLoader):
    """Loader for one command-line value: also reads Python's ``None``/``none`` as null."""

    yaml_implicit_resolvers = _resolvers(extra_null="|None|none")


class ConfigDumper(_BaseDumper):
    """Safe dumper that quotes every string :class:`ConfigLoader` would read otherwise."""

    yaml_implicit_resolvers = _resolvers()


for _loader in (ConfigLoader, ValueLoader):
    _loader.add_constructor(_TAG + "int", _construct_int)
ConfigDumper.add_representer(tuple, ConfigDumper.represent_list)  # YAML has no tuples


@attrs.define
class _Builder:
    """Builds the value of a composed YAML document, checking it and recording its lines.

    Plain mappings, sequences and scalars are built here (faster than PyYAML's generic
    constructors, and with the path of every key at hand); other tags go to the loader's
    safe constructors.
    """

    loader: yaml.SafeLoader
    origin: str
    provenance: Provenance
    _open: set[int] = attrs.field(factory=set)

    def source(self, node: Node) -> Source:
        return Source(self.origin, node.start_mark.line + 1)

    def build(self, node: Node, path: Path) -> Any:
        tag = node.tag
        if tag.startswith(_PYTHON_TAG):
            raise config_error(
                f"YAML tag !!{tag[len(_TAG) :]} is not allowed: config files are loaded safely "
                "and never create Python objects; write plain values and let a registry build "
                "objects",
                path=path,
                source=self.source(node),
            )
        if isinstance(node, ScalarNode):
            convert = _SCALARS.get(tag)
            return convert(node.value) if convert else self.loader.construct_object(node, True)
        if id(node) in self._open:
            raise config_error(
                "a YAML alias refers to a collection that contains it; a config must be a tree",
                path=path,
                source=self.source(node),
            )
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode) and tag == _MAP:
                return self._mapping(node, path)
            if isinstance(node, SequenceNode) and tag == _SEQ:
                return self._sequence(node, path)
            return self.loader.construct_object(node, True)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        own = {id(key_node) for key_node, _ in node.value if key_node.tag != _MERGE}
        if len(own) != len(node.value):
            self.loader.flatten_mapping(node)  # YAML merge keys: merged pairs come first
        result: dict[Any, Any] = {}
        first_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path)
            line = key_node.start_mark.line + 1
            if isinstance(key, dict | list):
                raise config_error(
                    "a mapping key must be a plain value", path=path, source=self.source(key_node)
                )
            if id(key_node) in own:
                if key in first_lines:
                    raise config_error(
                        f"key {key!r} is given twice in one mapping (first on line "
                        f"{first_lines[key]}); remove one of them",
                        path=(*path, key),
                        source=Source(self.origin, line),
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


def _syntax_error(exc: yaml.YAMLError, origin: str) -> Exception:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return config_error(f"invalid YAML: {problem}", source=Source(origin, line))


def load_yaml(text: str, origin: str, provenance: Provenance) -> Any:
    """Parse one YAML document safely, recording the line of every key into ``provenance``.

    Raises:
        ConfigError: Invalid YAML, a ``!!python/...`` tag, or a key given twice in one
            mapping; the message names the file and line.
    """
    loader = ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _Builder(loader, origin, provenance).build(node, ())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, origin) from exc
    finally:
        loader.dispose()


def node_lines(text: str, origin: str, provenance: Provenance) -> None:
    """Record the line of every key of a JSON or YAML text, if it parses as YAML."""
    loader = ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _Builder(loader, origin, provenance).build(node, ())
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def load_value(text: str) -> Any:
    """Parse one command-line value as a YAML flow scalar or collection."""
    return yaml.load(text, Loader=ValueLoader)  # ValueLoader is a safe loader


def dump_yaml(data: Any) -> str:
    """Return ``data`` (plain dicts, lists, tuples and scalars) as block-style YAML."""
    return yaml.dump(
        data, Dumper=ConfigDumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
