"""Reading config files: the three formats, ``_base_`` inheritance and ``custom_imports``.

:func:`load_file` reads a file, substitutes its ``{{...}}`` variables, loads its bases (in
order, each relative to the file, of any format), merges them (a key may come from one sibling
base only), and merges the file over them. It returns plain data and its :class:`Provenance`.
Files are read through ``_files``, within the limits of ``_limits``, which one load counts
in a :class:`~._files.Reads`.
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from ._configdict import ConfigDict, to_config
from ._files import Reads, read_text, real_path
from ._keys import BASE_KEY
from ._limits import MAX_INT_DIGITS, depth_problem, int_digits_problem, too_deep
from ._merge import merge
from ._paths import Path, config_error
from ._provenance import Provenance, Source
from ._python import parse, record_lines, run, take_bases
from ._text import resolve_base_refs, substitute
from ._yaml import load_yaml, node_lines

FORMATS = (".py", ".yaml", ".yml", ".json")


@attrs.frozen
class LoadOptions:
    """How files are read: which ``{{...}}`` substitutions are made."""

    predefined: bool = True
    environment: bool = True


@attrs.frozen
class Loaded:
    """A loaded config: its data (plain dicts, and ConfigDicts from Python files) and sources."""

    data: dict[str, Any]
    provenance: Provenance


def file_format(name: str, *, source: object = None) -> str:
    """Return the format (``.py``, ``.yaml``, ``.yml`` or ``.json``) a file name says."""
    extension = os.path.splitext(name)[1].lower()
    if extension not in FORMATS:
        raise config_error(
            f"{name!r} is not a config file: the name must end in .py, .yaml, .yml or .json",
            source=source,
        )
    return extension


def load_file(filename: str, options: LoadOptions = LoadOptions()) -> Loaded:
    """Load a config file with everything it inherits.

    Raises:
        ConfigError: The file or a base is missing, malformed, inherits from itself, or is
            over a limit of ``_limits`` (not a regular file, too large, nested too deep, ...).
    """
    try:
        path = os.path.expanduser(filename)
    except ValueError as exc:  # "~user" with a NUL character in it
        raise config_error(f"cannot read config file {filename!r}: {exc}") from exc
    data, provenance = _load_file(path, file_format(path), options, (), Reads())
    return Loaded(data, provenance)


def load_text(text: str, extension: str, options: LoadOptions = LoadOptions()) -> Loaded:
    """Load config text given as a string; ``_base_`` paths are relative to the working dir."""
    if extension.lower() not in FORMATS:
        raise config_error(f"file_format must be one of .py, .yaml, .yml, .json, not {extension!r}")
    data, provenance = _load(None, text, extension.lower(), options, (), Reads())
    return Loaded(data, provenance)


def _load_file(
    filename: str,
    extension: str,
    options: LoadOptions,
    chain: tuple[str, ...],
    reads: Reads,
    included_from: Source | None = None,
) -> tuple[dict[str, Any], Provenance]:
    """Load ``filename``, which the files in ``chain`` inherit from (through ``included_from``)."""
    real = real_path(filename, included_from)
    if real in chain:
        cycle = " -> ".join([*chain[chain.index(real) :], real])
        raise config_error(
            f"_base_ files inherit from each other in a cycle: {cycle}",
            path=BASE_KEY,
            source=included_from,
        )
    text = read_text(filename, included_from, reads)
    return _load(filename, text, extension, options, (*chain, real), reads)


def _load(
    filename: str | None,
    text: str,
    extension: str,
    options: LoadOptions,
    chain: tuple[str, ...],
    reads: Reads,
) -> tuple[dict[str, Any], Provenance]:
    origin = filename if filename is not None else "<string>"
    text, refs = substitute(
        text,
        filename,
        origin,
        predefined=options.predefined,
        environment=options.environment,
    )
    provenance = Provenance()
    if extension == ".py":
        tree = parse(text, origin)
        base_files, base_source = take_bases(tree, origin)
    else:
        data = _parse_data(text, extension, origin, provenance)
        base_files = data.pop(BASE_KEY, [])
        base_source = provenance.lookup((BASE_KEY,))

    base_data, base_provenance = _load_bases(
        base_files, filename, options, chain, reads, base_source or Source(origin)
    )
    # Only a Python file's code sees its bases, as ``_base_``: it gets a ConfigDict copy, which
    # it may change. Merging and {{_base_...}} references read plain data and copy what they
    # change; Config makes the final ConfigDicts.
    base = base_data
    if extension == ".py":
        code_base: ConfigDict = to_config(base_data)
        data = run(tree, os.path.abspath(filename) if filename else origin, origin, code_base)
        base = code_base
        record_lines(tree, origin, provenance)
        _check_depth(data, provenance, origin)
    if refs:
        data = resolve_base_refs(data, refs, base)
        _check_depth(data, provenance, origin)  # a reference may bring a deep value in deep
    _warn_deprecated(data.pop(DEPRECATION_KEY, None), origin)
    merged = merge(base, data, base_provenance)
    base_provenance.update(provenance)
    return merged, base_provenance


DEPRECATION_KEY = "_deprecation_"
"""A file's note that it is deprecated (MMEngine's key): ``{expected: new.py, reference: url}``.
It is said as a ``DeprecationWarning`` when the file is loaded, and is not part of the config."""


def _warn_deprecated(info: Any, origin: str) -> None:
    if info is None:
        return
    message = f"the config file {origin} is deprecated"
    if isinstance(info, Mapping):
        if "expected" in info:
            message += f"; use {info['expected']} instead"
        if "reference" in info:
            message += f" (see {info['reference']})"
    warnings.warn(message, DeprecationWarning, stacklevel=2)


def _parse_data(text: str, extension: str, origin: str, provenance: Provenance) -> dict[str, Any]:
    if extension == ".json":
        # The YAML pass records each key's line (and finds duplicate keys with their line); the
        # JSON parse, a few percent of the time, is what rejects YAML that is not JSON (a
        # trailing comma, a comment, a missing value) and reads NaN and Infinity as JSON does.
        node_lines(text, origin, provenance)
        data = _load_json(text, origin)
    else:
        data = load_yaml(text, origin, provenance)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise config_error(
            f"a config file must hold a mapping at the top, not a {type(data).__name__}",
            source=Source(origin, 1),
        )
    return data


def _load_json(text: str, origin: str) -> Any:
    """Parse JSON text; a key given twice in one object is an error naming the object's path."""
    duplicates: dict[int, str] = {}

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) < len(pairs):
            keys = [key for key, _ in pairs]
            duplicates[id(result)] = next(k for i, k in enumerate(keys) if k in keys[:i])
        return result

    def integer(digits: str) -> int:
        count = len(digits.lstrip("-"))
        if count > MAX_INT_DIGITS:
            line = text.count("\n", 0, text.find(digits)) + 1
            raise config_error(int_digits_problem(count), source=Source(origin, line))
        return int(digits)

    try:
        data = json.loads(text, object_pairs_hook=unique, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise config_error(f"invalid JSON: {exc.msg}", source=Source(origin, exc.lineno)) from exc
    except RecursionError as exc:  # nested far deeper than MAX_DEPTH
        raise config_error(depth_problem(), source=Source(origin)) from exc
    _check_depth(data, Provenance(), origin)
    if duplicates:
        path, key = next(
            (path, duplicates[id(value)])
            for path, value in _dicts(data, ())
            if id(value) in duplicates
        )
        raise config_error(f"key {key!r} is given twice in one object", path=path, source=origin)
    return data


def _check_depth(data: Any, provenance: Provenance, origin: str) -> None:
    """Raise if ``data``, a file's values, nests deeper than ``MAX_DEPTH``."""
    deep = too_deep(data)
    if deep is not None:
        where = provenance.lookup(deep) or Source(origin)
        raise config_error(depth_problem(), path=deep, source=where)


def _dicts(value: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield every dict in a parsed JSON value with its path, outermost first."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _dicts(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _dicts(item, (*path, index))


def _load_bases(
    base_files: Any,
    filename: str | None,
    options: LoadOptions,
    chain: tuple[str, ...],
    reads: Reads,
    source: Source,
) -> tuple[dict[str, Any], Provenance]:
    if isinstance(base_files, str):
        base_files = [base_files]
    if not isinstance(base_files, list | tuple) or not all(
        isinstance(item, str) for item in base_files
    ):
        raise config_error(
            f"_base_ must be a path or a list of paths, not {base_files!r}",
            path=BASE_KEY,
            source=source,
        )
    folder = os.path.dirname(filename) if filename is not None else ""
    data: dict[str, Any] = {}
    provenance = Provenance()
    owners: dict[str, str] = {}
    for base_file in base_files:
        if "::" in base_file:
            raise config_error(
                f"{base_file!r}: bases from other packages ('package::path') are not supported",
                path=BASE_KEY,
                source=source,
            )
        path = os.path.normpath(os.path.join(folder, base_file))
        extension = file_format(path, source=source)
        base_data, base_provenance = _load_file(path, extension, options, chain, reads, source)
        for key in base_data:
            if key in owners:
                raise config_error(
                    f"key {key!r} is set by two sibling bases, {owners[key]} and {path}; "
                    "a key may come from one base only (set it in this file instead)",
                    path=BASE_KEY,
                    source=source,
                )
            owners[key] = path
        data.update(base_data)
        provenance.update(base_provenance)
    return data, provenance


def import_custom_modules(data: Mapping[str, Any], provenance: Provenance | None = None) -> None:
    """Import the modules ``custom_imports`` names, as MMEngine does when a file is loaded.

    ``custom_imports = dict(imports=["pkg.module", ...], allow_failed_imports=False)``.
    ``provenance``, when there is one, names the file and line of a bad entry.

    Raises:
        ConfigError: ``custom_imports`` is malformed, or a module cannot be imported (unless
            ``allow_failed_imports``); names the module and the key.
    """
    spec = data.get("custom_imports")
    if spec is None:
        return
    if provenance is None:
        provenance = Provenance()
    where = provenance.lookup(("custom_imports",))
    if not isinstance(spec, Mapping):
        raise config_error(
            "must be a dict(imports=[...], allow_failed_imports=False)",
            path="custom_imports",
            source=where,
        )
    imports = spec.get("imports", [])
    if isinstance(imports, str):
        imports = [imports]
    path: Path = ("custom_imports", "imports")
    if not isinstance(imports, Sequence) or not all(isinstance(name, str) for name in imports):
        raise config_error(
            f"must be a module name or a list of module names, not {imports!r}",
            path=path,
            source=provenance.lookup(path),
        )
    allow_failed = spec.get("allow_failed_imports", False)
    if not isinstance(allow_failed, bool):
        flag: Path = ("custom_imports", "allow_failed_imports")
        raise config_error(
            f"must be true or false, not {allow_failed!r}",
            path=flag,
            source=provenance.lookup(flag),
        )
    for index, name in enumerate(imports):
        if not all(part.isidentifier() for part in name.split(".")):
            raise config_error(
                f"{name!r} is not a module name (dotted Python names: 'pkg.module')",
                path=(*path, index),
                source=provenance.lookup((*path, index)),
            )
        try:
            importlib.import_module(name)
        except ImportError as exc:
            if allow_failed:
                message = f"custom_imports: {name!r} failed to import and is skipped: {exc}"
                warnings.warn(message, stacklevel=3)
                continue
            raise config_error(
                f"cannot import module {name!r}: {exc}",
                path=(*path, index),
                source=provenance.lookup((*path, index)),
            ) from exc
        except Exception as exc:  # the module's own code failed (a SyntaxError, a bug)
            raise config_error(
                f"importing module {name!r} raised {type(exc).__name__}: {exc}",
                path=(*path, index),
                source=provenance.lookup((*path, index)),
            ) from exc
