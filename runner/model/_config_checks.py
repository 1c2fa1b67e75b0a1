"""Checks of a ``model`` config without building it (``regwire check``).

The signature of every node is checked by the registry; here is what a signature cannot say:
each model class's ``argument_problems`` (``ImgDataPreprocessor``'s ``mean`` of 2 values),
and each ``init_cfg`` entry as :func:`~runner.model.initialize` will read it: a ``Pretrained``
checkpoint that is a URL, an ``override`` without ``name`` (with the near-miss key), with
arguments but no ``type``, or naming no child of the model. A model's children are known
without building it only when every ``__init__`` of its class assigns them by name
(``self.head = ...``); otherwise the name is not checked.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from torch import nn

from container import ConfigError, DefaultScope, RegistryError, did_you_mean
from providers import PATH

from .._registries import MODELS
from ._pretrained import checkpoint_problem

Problems = list[ConfigError]


def model_config_problems(value: Any, path: str = "model") -> Problems:
    """The problems of a model config (``path`` is its config path), nested models and
    ``init_cfg`` entries included."""
    return list(_walk(value, path, None))


def _walk(value: Any, path: str, scope: str | None) -> Problems:
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in _walk(item, f"{path}.{i}", scope)]
    if not isinstance(value, Mapping):
        return []
    scope = value.get("_scope_", scope)
    kind = _model_class(value.get("type"), scope)
    problems: Problems = []
    reasons = getattr(kind, "argument_problems", None)
    if callable(reasons):
        problems += [
            ConfigError(f"{PATH} {reason}", config_path=f"{path}.{name}")
            for name, reason in reasons(value)
        ]
    for key, item in value.items():
        if key == "init_cfg":
            problems += init_cfg_problems(item, f"{path}.init_cfg", kind)
        else:
            problems += _walk(item, f"{path}.{key}", scope)
    return problems


def _model_class(type_: Any, scope: str | None) -> Any:
    if not isinstance(type_, str):
        return type_
    if scope is None and (current := DefaultScope.get_current_instance()) is not None:
        scope = current.scope_name
    try:
        provider = MODELS.resolve_type(type_, scope, "")
    except RegistryError:
        return None  # the registry's own check reports it
    return getattr(provider, "provides", None)


def init_cfg_problems(init_cfg: Any, path: str, kind: Any = None) -> Problems:
    """The problems of an ``init_cfg`` (``path`` is its config path) of a module of class
    ``kind`` (None when unknown): Pretrained URLs and overrides."""
    entries: list[tuple[Any, str]]
    if isinstance(init_cfg, Mapping):
        entries = [(init_cfg, path)]
    elif isinstance(init_cfg, list | tuple):
        entries = [(item, f"{path}.{i}") for i, item in enumerate(init_cfg)]
    else:
        return []  # the signature check reports the shape
    problems: Problems = []
    for entry, where in entries:
        if not isinstance(entry, Mapping):
            continue
        checkpoint = entry.get("checkpoint")
        reason = checkpoint_problem(checkpoint) if entry.get("type") == "Pretrained" else None
        if reason is not None:
            problems.append(ConfigError(f"{PATH} {reason}", config_path=f"{where}.checkpoint"))
        override = entry.get("override")
        if isinstance(override, Mapping):
            problems += override_problems(override, f"{where}.override", kind)
        elif isinstance(override, list | tuple):
            for i, item in enumerate(override):
                if isinstance(item, Mapping):
                    problems += override_problems(item, f"{where}.override.{i}", kind)
    return problems


def override_problems(override: Mapping[str, Any], path: str, kind: Any = None) -> Problems:
    """The problems of one ``override`` (``path`` is its config path) of a module of class
    ``kind``, or of a built ``module`` (a module instance as ``kind``): what
    :func:`~runner.model.initialize` refuses."""
    if "name" not in override:
        near = [key for key in override if did_you_mean(str(key), ["name"])]
        if near:
            return [
                ConfigError(
                    f"{PATH} is not a key of an override; did you mean 'name'? (the child to "
                    "initialize)",
                    config_path=f"{path}.{near[0]}",
                )
            ]
        return [ConfigError(f"{PATH} needs 'name' (the child to initialize)", config_path=path)]
    problems: Problems = []
    if "type" not in override and len(override) > 1:
        problems.append(
            ConfigError(
                f"{PATH} gives arguments but no 'type' (give only 'name' to reuse the entry's "
                "initializer)",
                config_path=path,
            )
        )
    name = override["name"]
    if isinstance(kind, nn.Module):
        children: Sequence[str] | None = [child for child, _ in kind.named_children()]
        owner, listed = type(kind).__name__, "its children"
    else:
        children = static_children(kind) if isinstance(kind, type) else None
        owner, listed = getattr(kind, "__name__", ""), "the attributes its __init__ sets"
    if children is not None and name not in children:
        public = [child for child in children if not child.startswith("_") and child != "init_cfg"]
        problems.append(
            ConfigError(
                f"{PATH} is {name!r}, which is no child of {owner}"
                f"{did_you_mean(str(name), public)} ({listed}: {', '.join(public) or 'none'})",
                config_path=f"{path}.name",
            )
        )
    return problems


@cache
def static_children(kind: type) -> tuple[str, ...] | None:
    """The names a module class's ``__init__`` methods assign on ``self``, or None when they
    cannot be told from the source (a class of torch's, ``setattr``, ``add_module`` with a
    computed name, no source)."""
    if not issubclass(kind, nn.Module) or kind.__module__.startswith("torch."):
        return None
    names: list[str] = []
    for klass in kind.__mro__:
        if klass is nn.Module or klass is object:
            break
        if klass.__module__.startswith("torch."):
            return None  # nn.Sequential and friends: children by position or by mapping
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
        except (OSError, TypeError, SyntaxError):
            return None
        found = _assigned(tree)
        if found is None:
            return None
        names += [name for name in found if name not in names]
    return tuple(names)


def _assigned(tree: ast.AST) -> list[str] | None:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                names.append(node.attr)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("setattr", "__setattr__", "add_module", "register_module"):
                first = node.args[0] if node.args else None
                if called == "setattr":
                    first = node.args[1] if len(node.args) > 1 else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    return None
                names.append(first.value)
    return names
