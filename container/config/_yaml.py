"""YAML for configs: safe, strict about duplicate keys, and with YAML 1.2's plain scalars.

PyYAML follows YAML 1.1, whose plain scalars hold traps for config files: ``1e-3`` is a string,
``yes``/``no``/``on``/``off`` are booleans, ``010`` is octal, ``1:30`` is 90 and ``2024-01-02`` is
a date. The loader here resolves plain scalars as YAML 1.2's core schema does (``1e-3`` is a
float; only ``true``/``false`` are booleans; no dates), and the dumper quotes exactly the strings
that the loader would read as something else, so dumping and loading round-trips.

Loading never runs code: the constructors are PyYAML's safe ones (from libyaml where it is
installed), and a ``!!python/...`` tag is rejected before anything is constructed. The values
are built by :class:`~._yamlbuild.Builder`, within the limits of ``_limits`` (aliases, depth,
integer size); every problem, a syntax error, a character YAML does not allow or a value an
explicit tag cannot read (``!!int x``), is a one-line ``ConfigError`` with file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import ScalarNode
from yaml.reader import ReaderError

from .._errors import ConfigError
from ._paths import Path, config_error
from ._provenance import Provenance, Source
from ._yamlbuild import SCALARS, TAG, Builder

if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
    _BaseDumper = yaml.SafeDumper
else:  # libyaml's C parser and emitter, with PyYAML's safe constructors, where installed
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_REPLACED = {f"{TAG}{name}" for name in ("bool", "int", "float", "null", "timestamp")}

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
            table.setdefault(first, []).append((TAG + name, regexp))
    return table


class ConfigLoader(_BaseLoader):
    """Safe loader with core-schema plain scalars."""

    yaml_implicit_resolvers = _resolvers()


class ValueLoader(_BaseLoader):
    """Loader for one command-line value: also reads Python's ``None``/``none`` as null."""

    yaml_implicit_resolvers = _resolvers(extra_null="|None|none")


class ConfigDumper(_BaseDumper):
    """Safe dumper that quotes every string :class:`ConfigLoader` would read otherwise."""

    yaml_implicit_resolvers = _resolvers()


def _scalar_constructor(convert: Callable[[str], Any]) -> Callable[[Any, ScalarNode], Any]:
    def construct(loader: yaml.SafeLoader, node: ScalarNode) -> Any:
        return convert(str(loader.construct_scalar(node)))

    return construct


# The same scalars inside values that PyYAML's own constructors build (a ``!!set``, ``!!omap``)
for _loader in (ConfigLoader, ValueLoader):
    for _tag, _convert in SCALARS.items():
        if _tag != TAG + "str":
            _loader.add_constructor(_tag, _scalar_constructor(_convert))
ConfigDumper.add_representer(tuple, ConfigDumper.represent_list)  # YAML has no tuples

# libyaml reports where a bad character is in UTF-8 bytes, PyYAML's own reader in characters
_BYTE_POSITIONS = _BaseLoader is not yaml.SafeLoader


def _syntax_error(exc: yaml.YAMLError, text: str, origin: str) -> ConfigError:
    """Return the error for text that is not valid YAML: one line, with the line it is on."""
    if isinstance(exc, ReaderError):  # a character YAML does not allow, such as NUL
        position = exc.position
        if _BYTE_POSITIONS:
            position = len(text.encode("utf-8", "surrogatepass")[:position].decode(errors="ignore"))
        line: int | None = text.count("\n", 0, position) + 1
        problem = str(exc.reason)
        if isinstance(exc.character, int):
            problem = f"unacceptable character #x{exc.character:04x}: {problem}"
    else:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
    message = f"invalid YAML: {' '.join(str(problem).split())}"
    lines = text.splitlines()
    if (
        line is not None
        and 0 < line <= len(lines)
        and re.search(r"[{,]\s*[^\s\"']+:\s*\$\{", lines[line - 1])
    ):
        message += ' (inside {...}, quote a reference: "${name}")'
    return config_error(message, source=Source(origin, line))


def _compose(kind: type[yaml.SafeLoader], text: str, origin: str | Source) -> yaml.SafeLoader:
    """Return a loader of ``kind`` for ``text``; a lone surrogate in it is a ConfigError."""
    try:
        return kind(text)
    except UnicodeEncodeError as exc:  # libyaml reads UTF-8, which cannot hold a lone surrogate
        line = text.count("\n", 0, exc.start) + 1
        source = origin if isinstance(origin, Source) else Source(origin, line)
        message = f"invalid YAML: {text[exc.start]!r} is not a Unicode character (a lone surrogate)"
        raise config_error(message, source=source) from exc


def load_yaml(text: str, origin: str, provenance: Provenance) -> Any:
    """Parse one YAML document safely, recording the line of every key into ``provenance``.

    Raises:
        ConfigError: Invalid YAML, a ``!!python/...`` tag, a key given twice in one mapping, a
            value a tag cannot read, or input over a limit of ``_limits``; the message names
            the file and line, and the key where there is one.
    """
    loader = _compose(ConfigLoader, text, origin)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return Builder(loader, origin, provenance).build(node, ())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, origin) from exc
    finally:
        loader.dispose()


def node_lines(text: str, origin: str, provenance: Provenance) -> None:
    """Record the line of every key of a JSON or YAML text, if it parses as YAML.

    Raises:
        ConfigError: The text parses as YAML, but breaks a rule of :func:`load_yaml` (a key
            given twice, a limit), which JSON has too.
    """
    try:
        loader = _compose(ConfigLoader, text, origin)
    except ConfigError:
        return
    try:
        node = loader.get_single_node()
        if node is not None:
            Builder(loader, origin, provenance).build(node, ())
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def load_value(text: str, source: Source, path: Path) -> Any:
    """Parse one command-line value as a YAML flow scalar or collection.

    Args:
        text: The value.
        source: The override, which every error names.
        path: The key it is for; it counts towards the nesting depth.

    Raises:
        yaml.YAMLError: The value is not valid YAML.
        ConfigError: It breaks a rule of :func:`load_yaml`.
    """
    loader = _compose(ValueLoader, text, source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return Builder(loader, source.origin, Provenance(), source).build(node, path)
    finally:
        loader.dispose()


def dump_yaml(data: Any) -> str:
    """Return ``data`` (plain dicts, lists, tuples and scalars) as block-style YAML."""
    return yaml.dump(
        data, Dumper=ConfigDumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
