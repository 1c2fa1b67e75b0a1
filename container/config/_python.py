"""MMEngine-style Python configs: the file is a Python module whose top-level names are the config.

A Python config *runs code*: it is executed with ``exec`` in a fresh namespace, so load only
files you trust (YAML and JSON configs never run anything). ``_base_`` is read from the source
without running it; when the file runs, the name ``_base_`` is the merged bases (a
:class:`ConfigDict`), so ``_base_.model.depth`` reads an inherited value. Afterwards, every
top-level name is a key of the config, except dunder names, ``_base_``, modules and functions.
"""

from __future__ import annotations

import ast
import types
from typing import Any

from ._configdict import ConfigDict
from ._keys import BASE_KEY
from ._paths import Path, config_error
from ._provenance import Provenance, Source

_DROPPED_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType)


def parse(text: str, origin: str) -> ast.Module:
    """Parse a Python config's text.

    Raises:
        ConfigError: The text is not valid Python, or nests too deep for Python's parser;
            names the file and the line where known.
    """
    try:
        return ast.parse(text, filename=origin)
    except SyntaxError as exc:
        raise config_error(f"invalid Python: {exc.msg}", source=Source(origin, exc.lineno)) from exc
    except UnicodeEncodeError as exc:  # a lone surrogate: Python source is UTF-8
        line = text.count("\n", 0, exc.start) + 1
        message = f"invalid Python: {text[exc.start]!r} is not a Unicode character"
        raise config_error(message, source=Source(origin, line)) from exc
    except (MemoryError, RecursionError) as exc:  # what the parser raises when its stack is full
        message = "invalid Python: the code nests too deep for Python's parser"
        raise config_error(message, source=Source(origin)) from exc


def take_bases(tree: ast.Module, origin: str) -> tuple[Any, Source | None]:
    """Remove ``_base_ = ...`` from ``tree`` and return its value, read without running code.

    Returns:
        The value (``[]`` when there is none) and where it was written.

    Raises:
        ConfigError: ``_base_`` is not a literal.
    """
    found: Any = []
    where: Source | None = None
    body: list[ast.stmt] = []
    for statement in tree.body:
        if not isinstance(statement, ast.Assign) or not any(
            isinstance(target, ast.Name) and target.id == BASE_KEY for target in statement.targets
        ):
            body.append(statement)
            continue
        where = Source(origin, statement.lineno)
        try:
            found = ast.literal_eval(statement.value)
        except (TypeError, ValueError, RecursionError) as exc:  # TypeError: {[1]: 2}
            raise config_error(
                "_base_ must be a literal path or list of paths", path=BASE_KEY, source=where
            ) from exc
    tree.body = body
    return found, where


def run(tree: ast.Module, filename: str, origin: str, base: ConfigDict) -> dict[str, Any]:
    """Execute a parsed Python config and return its top-level names as a dict.

    Raises:
        ConfigError: The code raised; names the file and the line that failed.
    """
    try:
        code = compile(tree, origin, "exec")
    except (MemoryError, RecursionError) as exc:  # a chain of a + a + ... too long to compile
        message = "invalid Python: the code nests too deep for Python's compiler"
        raise config_error(message, source=Source(origin)) from exc
    except SyntaxError as exc:  # what only the compiler sees: 'return' outside a function
        raise config_error(f"invalid Python: {exc.msg}", source=Source(origin, exc.lineno)) from exc
    namespace: dict[str, Any] = {BASE_KEY: base, "__file__": filename, "__name__": "__config__"}
    try:
        exec(code, namespace)  # running the file is what a Python config means
    except (Exception, SystemExit) as exc:  # anything; sys.exit() must not end the command
        line = None
        traceback = exc.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == origin:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        if isinstance(exc, SystemExit):
            message = f"the Python config called sys.exit({exc.code!r}); a config sets values"
        else:
            message = f"the Python config raised {type(exc).__name__}: {exc}"
        raise config_error(message, source=Source(origin, line)) from exc
    return {
        key: value
        for key, value in namespace.items()
        if not key.startswith("__") and key != BASE_KEY and not isinstance(value, _DROPPED_TYPES)
    }


def record_lines(tree: ast.Module, origin: str, provenance: Provenance) -> None:
    """Record the line of every top-level assignment, and of the keys of literal dicts in it."""
    for statement in _top_level(tree.body):
        targets: list[ast.expr]
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
            targets = [statement.target]
        else:
            continue
        value = statement.value
        for target in targets:
            for path, node in _target_paths(target, value):
                provenance.record(path, Source(origin, node.lineno))
                _record_value(node, path, origin, provenance)


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    statements: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.If | ast.For | ast.While | ast.With | ast.Try):
            for block in ("body", "orelse", "finalbody"):
                statements.extend(_top_level(getattr(statement, block, [])))
        else:
            statements.append(statement)
    return statements


def _target_paths(target: ast.expr, value: ast.expr | None) -> list[tuple[Path, ast.expr]]:
    """Return the config path each part of an assignment target names, with its node."""
    if isinstance(target, ast.Tuple | ast.List):
        values: list[ast.expr | None] = [None] * len(target.elts)
        if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts):
            values = list(value.elts)
        found: list[tuple[Path, ast.expr]] = []
        for element, element_value in zip(target.elts, values, strict=True):
            found.extend(_target_paths(element, element_value))
        return found
    path: list[str | int] = []
    node: ast.expr = target
    while True:
        if isinstance(node, ast.Name):
            path.append(node.id)
            break
        if isinstance(node, ast.Attribute):
            path.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
            if not isinstance(key, str | int):
                return []
            path.append(key)
            node = node.value
        else:
            return []
    if path[-1] == BASE_KEY or str(path[-1]).startswith("__"):
        return []
    return [(tuple(reversed(path)), value if value is not None else target)]


def _record_value(node: ast.AST, path: Path, origin: str, provenance: Provenance) -> None:
    """Record the lines of the keys of ``dict(...)``/``{...}`` and items of lists in ``node``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        for keyword in node.keywords:
            if keyword.arg is not None:
                sub = (*path, keyword.arg)
                provenance.record(sub, Source(origin, keyword.value.lineno))
                _record_value(keyword.value, sub, origin, provenance)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                sub = (*path, key.value)
                provenance.record(sub, Source(origin, value.lineno))
                _record_value(value, sub, origin, provenance)
    elif isinstance(node, ast.List | ast.Tuple):
        for index, item in enumerate(node.elts):
            if isinstance(item, ast.Starred):
                return
            sub = (*path, index)
            provenance.record(sub, Source(origin, item.lineno))
            _record_value(item, sub, origin, provenance)
