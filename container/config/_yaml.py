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

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._paths import Path, config_error
from ._provenance import Provenance, Source

_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BASE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

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


def _construct_int(loader: yaml.SafeLoader, node: Node) -> int:
    """Read a core-schema integer: decimal (leading zeros are decimal), ``0x`` or ``0o``."""
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    return sign * int(digits, 10)


class ConfigLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """Safe loader with core-schema plain scalars."""

    yaml_implicit_resolvers = _resolvers()


class ValueLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """Loader for one command-line value: also reads Python's ``None``/``none`` as null."""

    yaml_implicit_resolvers = _resolvers(extra_null="|None|none")


class ConfigDumper(_BASE_DUMPER):  # type: ignore[valid-type,misc]
    """Safe dumper that quotes every string :class:`ConfigLoader` would read otherwise."""

    yaml_implicit_resolvers = _resolvers()


for _loader in (ConfigLoader, ValueLoader):
    _loader.add_constructor(_TAG + "int", _construct_int)


def _check_tag(node: Node, origin: str) -> None:
    if node.tag.startswith(_PYTHON_TAG):
        tag = "!!" + node.tag[len(_TAG) :]
        raise config_error(
            f"YAML tag {tag} is not allowed: config files are loaded safely and never "
            "create Python objects; write plain values and let a registry build objects",
            source=Source(origin, node.start_mark.line + 1),
        )


def _walk(node: Node, path: Path, origin: str, provenance: Provenance, stack: set[int]) -> None:
    """Check tags and duplicate keys under ``node``, recording the line of every key and item."""
    _check_tag(node, origin)
    if id(node) in stack:
        raise config_error(
            "a YAML alias refers to a collection that contains it; a config must be a tree",
            path=path,
            source=Source(origin, node.start_mark.line + 1),
        )
    if isinstance(node, MappingNode):
        stack.add(id(node))
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            _check_tag(key_node, origin)
            line = key_node.start_mark.line + 1
            if key_node.tag == _TAG + "merge" or not isinstance(key_node, ScalarNode):
                _walk(value_node, path, origin, Provenance(), stack)
                continue
            key = key_node.value
            if key in first_lines:
                raise config_error(
                    f"key {key!r} is given twice in one mapping (first on line "
                    f"{first_lines[key]}); remove one of them",
                    path=(*path, key),
                    source=Source(origin, line),
                )
            first_lines[key] = line
            provenance.record((*path, key), Source(origin, line))
            _walk(value_node, (*path, key), origin, provenance, stack)
        stack.discard(id(node))
    elif isinstance(node, SequenceNode):
        stack.add(id(node))
        for index, item in enumerate(node.value):
            provenance.record((*path, index), Source(origin, item.start_mark.line + 1))
            _walk(item, (*path, index), origin, provenance, stack)
        stack.discard(id(node))


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
        _walk(node, (), origin, provenance, set())
        return loader.construct_document(node)
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
            _walk(node, (), origin, provenance, set())
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def load_value(text: str) -> Any:
    """Parse one command-line value as a YAML flow scalar or collection."""
    return yaml.load(text, Loader=ValueLoader)  # ValueLoader is a safe loader


def dump_yaml(data: Any) -> str:
    """Return ``data`` (plain dicts, lists and scalars) as block-style YAML."""
    return yaml.dump(
        data, Dumper=ConfigDumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
