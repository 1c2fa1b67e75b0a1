"""Substitutions made in a config file's text before it is parsed, as MMEngine makes them.

- ``{{fileDirname}}``, ``{{fileBasename}}``, ``{{fileBasenameNoExtension}}``,
  ``{{fileExtname}}``: the config file's absolute directory, name, stem and extension.
- ``{{$VAR:default}}``: the environment variable ``VAR``, else ``default``. In Python files,
  ``{{'$VAR:80'}}`` (quotes inside the braces) puts the text in unquoted, so it can be a number.
- ``{{_base_.a.b}}``: the value at ``a.b`` in the merged bases of this file. The text becomes a
  quoted placeholder, which :func:`resolve_base_refs` replaces after parsing by the value itself
  (of any type), or by its text where the placeholder is part of a longer string.
"""

from __future__ import annotations

import os
import re
from typing import Any

import attrs

from .._errors import ConfigError
from ._limits import Expansion, measure
from ._paths import config_error, get_path, parse_path
from ._provenance import Source

_PREDEFINED = re.compile(
    r"\{\{\s*(fileDirname|fileBasenameNoExtension|fileBasename|fileExtname)\s*\}\}"
)
# Possessive quantifiers (``*+``): no backtracking over a long run of spaces, which took the
# lazy default of an older pattern minutes for "{{$A:" followed by 1,000 spaces.
_ENV = re.compile(r"""\{\{\s*+(['"]?)\s*+\$(\w++)\s*+(?::([^{}'"]*+))?\1\s*+\}\}""")
_BASE_REF = re.compile(r"\{\{\s*_base_\.([\w.]+)\s*\}\}")
_PLACEHOLDER = re.compile(r'"?__regwire_base_ref_(\d+)__"?')


@attrs.frozen
class BaseRef:
    """A ``{{_base_.key}}`` found in a file's text."""

    key: str
    source: Source


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


@attrs.define
class _Lines:
    """Line numbers of positions met in order, counted once through the text."""

    text: str
    _position: int = 0
    _line: int = 1

    def at(self, position: int) -> int:
        self._line += self.text.count("\n", self._position, position)
        self._position = position
        return self._line


def substitute(
    text: str,
    filename: str | None,
    origin: str,
    *,
    predefined: bool = True,
    environment: bool = True,
) -> tuple[str, list[BaseRef]]:
    """Return ``text`` with its ``{{...}}`` variables substituted, and its base references.

    Args:
        text: The file's text.
        filename: The file's path, or ``None`` for a string (predefined variables then fail).
        origin: The file as messages name it.
        predefined: Whether to substitute ``{{fileDirname}}`` and its siblings.
        environment: Whether to substitute ``{{$VAR:default}}``.

    Raises:
        ConfigError: A predefined variable without a file, or an unset variable without a
            default; the message names the variable, file and line.
    """
    if "{{" not in text:
        return text, []
    if predefined:
        text = _PREDEFINED.sub(lambda match: _predefined(match, text, filename, origin), text)
    if environment:
        text = _ENV.sub(lambda match: _environment(match, text, origin), text)
    refs: list[BaseRef] = []
    lines = _Lines(text)

    def placeholder(match: re.Match[str]) -> str:
        refs.append(BaseRef(match.group(1), Source(origin, lines.at(match.start()))))
        return f'"__regwire_base_ref_{len(refs) - 1}__"'

    return _BASE_REF.sub(placeholder, text), refs


def _predefined(match: re.Match[str], text: str, filename: str | None, origin: str) -> str:
    name = match.group(1)
    if filename is None:
        raise config_error(
            f"{{{{{name}}}}} names the config file, but this config was given as a string",
            source=Source(origin, _line(text, match.start())),
        )
    path = os.path.abspath(filename)
    stem, extension = os.path.splitext(os.path.basename(path))
    values = {
        "fileDirname": os.path.dirname(path),
        "fileBasename": os.path.basename(path),
        "fileBasenameNoExtension": stem,
        "fileExtname": extension,
    }
    return values[name].replace("\\", "/")


def _environment(match: re.Match[str], text: str, origin: str) -> str:
    _, name, default = match.groups()
    value = os.environ.get(name)
    if value is not None:
        return value
    default = (default or "").strip()
    if default:
        return default
    raise config_error(
        f"environment variable {name!r} is not set and {match.group(0)} gives no default; "
        f"set it, or write {{{{${name}:default}}}}",
        source=Source(origin, _line(text, match.start())),
    )


def resolve_base_refs(value: Any, refs: list[BaseRef], base: Any) -> Any:
    """Return ``value`` with every base-reference placeholder replaced (containers are copied).

    Raises:
        ConfigError: A reference names a key the bases lack, with the nearest one suggested;
            or the references together copy in more than ``MAX_ALIAS_VALUES`` values.
    """
    return _Resolver(refs, base).resolve(value)


@attrs.define
class _Resolver:
    """Replaces the placeholders of one file's references, counting what they copy in."""

    refs: list[BaseRef]
    base: Any
    _expansion: Expansion = attrs.field(factory=Expansion)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            match = _PLACEHOLDER.fullmatch(value)
            if match is not None:
                return self._value(match)
            if "__regwire_base_ref_" in value:
                return _PLACEHOLDER.sub(lambda found: str(self._value(found)), value)
            return value
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.resolve(item) for item in value)
        return value

    def _value(self, match: re.Match[str]) -> Any:
        number = match.group(1)
        if len(number) > 9 or int(number) >= len(self.refs):
            return match.group(0)  # text that only looks like a placeholder
        ref = self.refs[int(number)]
        found = _lookup(ref, self.base)
        problem = self._expansion.add(*measure(found))
        if problem is not None:
            raise config_error(problem, source=ref.source)
        return found


def _lookup(ref: BaseRef, base: Any) -> Any:
    try:
        path = parse_path(base, ref.key)
    except ConfigError as exc:
        raise config_error(
            f"{{{{_base_.{ref.key}}}}} names nothing in the bases of this file ({exc.message})",
            source=ref.source,
        ) from exc
    return get_path(base, path)
