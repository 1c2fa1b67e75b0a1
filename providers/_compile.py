"""Compile a config mapping into a tree of dependency-injector providers.

A mapping with a ``type`` key becomes one node: a provider that calls the registered callable
(itself a provider, looked up through a ``resolve`` callback) with the node's other values as
keyword arguments. Nested mappings with a ``type``, at any depth and inside plain dicts, lists
and tuples, become nested nodes, so calling the root builds the whole object graph bottom-up,
afresh on every call. Because a node calls the *registered provider* rather than the class it
wraps, overriding the registered provider, or any node, changes every later call.

This module knows nothing of where registered callables are stored: the caller passes a
``resolve(type_name, scope, config_path)`` that returns a provider or raises a
:class:`RegwireError`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from dependency_injector import providers

from ._errors import BuildError, RegwireError, describe_path, join_path


class Keys(StrEnum):
    """The reserved keys of a config node; every other key is an argument."""

    TYPE = "type"
    PARTIAL = "_partial_"
    RECURSIVE = "_recursive_"
    SCOPE = "_scope_"


RESERVED_KEYS = frozenset(Keys)


class Resolver(Protocol):
    """Looks up the provider registered under a ``type`` name."""

    def __call__(
        self, type_name: str, scope: str | None, config_path: str
    ) -> providers.Provider[Any]: ...


class NodeInfo(NamedTuple):
    """What a node needs to say where it stands when its callable fails."""

    path: str
    type_name: str


def describe_target(target: object) -> str:
    """Name a callable, or the callable a provider wraps, for an error message."""
    provides = getattr(target, "provides", target)
    module = getattr(provides, "__module__", None)
    name = getattr(provides, "__qualname__", None) or repr(provides)
    return f"{module}.{name}" if module else name


def _invoke(info: NodeInfo, target: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call a node's target; a failure becomes a :class:`BuildError` naming the node."""
    try:
        return target(*args, **kwargs)
    except RegwireError:
        raise
    except Exception as exc:
        raise BuildError(
            f"could not build {describe_path(info.path)!r} (type {info.type_name!r} = "
            f"{describe_target(target)}): {type(exc).__name__}: {exc}",
            config_path=info.path,
        ) from exc


def _bind_partial(info: NodeInfo, target: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Return a callable that builds the node when given the remaining arguments."""
    return functools.partial(_invoke, info, target, **kwargs)


def copy_plain(value: Any) -> Any:
    """Copy the dicts, lists and tuples of a value; leave everything else shared."""
    if isinstance(value, Mapping):
        return {key: copy_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(copy_plain(item) for item in value)
    return value


def is_node(value: object) -> bool:
    """Tell whether a value is a config node (a mapping with a ``type`` key)."""
    return isinstance(value, Mapping) and Keys.TYPE in value


def compile_config(
    cfg: Mapping[str, Any],
    resolve: Resolver,
    *,
    default_args: Mapping[str, Any] | None = None,
    path: str = "",
    scope: str | None = None,
) -> providers.Provider[Any]:
    """Compile one config node, and everything nested in it, into a provider tree.

    Args:
        cfg: A mapping with a ``type`` key (a registered name or a callable).
        resolve: Returns the provider registered under a name.
        default_args: Arguments for keys that ``cfg`` lacks, passed as they are.
        path: The dotted path of ``cfg`` in a larger config, for error messages.
        scope: The scope in which names are resolved first (``_scope_`` changes it).

    Returns:
        A provider; each call builds a fresh object graph.

    Raises:
        BuildError: The node has no ``type`` or a reserved key has a wrong value.
        RegwireError: ``resolve`` did not find a name.
    """
    return _Compiler(resolve).node(cfg, path, scope, default_args or {})


class _Compiler:
    __slots__ = ("_resolve",)

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    def node(
        self,
        cfg: Mapping[str, Any],
        path: str,
        scope: str | None,
        default_args: Mapping[str, Any] | None = None,
    ) -> providers.Provider[Any]:
        constants: dict[str, Any] = {}
        if default_args:
            # Defaults are live values (parameters, datasets): passed as they are, never built.
            missing = {key: value for key, value in default_args.items() if key not in cfg}
            constants = {key: value for key, value in missing.items() if key not in RESERVED_KEYS}
            cfg = {**cfg, **{key: value for key, value in missing.items() if key in RESERVED_KEYS}}
        if Keys.TYPE not in cfg:
            raise BuildError(
                f"config {describe_path(path)!r} has no 'type' key, so there is nothing to "
                f"build (keys: {sorted(map(str, cfg))})",
                config_path=path,
            )
        partial = _flag(cfg, Keys.PARTIAL, False, path)
        recursive = _flag(cfg, Keys.RECURSIVE, True, path)
        scope = cfg.get(Keys.SCOPE, scope)
        type_ = cfg[Keys.TYPE]
        type_path = join_path(path, Keys.TYPE.value)
        if isinstance(type_, str):
            target: Any = self._resolve(type_, scope, type_path).provider
            info = NodeInfo(path, type_)
        elif callable(type_):
            target = type_
            info = NodeInfo(path, describe_target(type_))
        else:
            raise BuildError(
                f"{type_path!r} must be a registered name or a callable, got {type_!r} "
                f"(a {type(type_).__name__})",
                config_path=type_path,
            )
        kwargs: dict[str, Any] = {}
        for key, value in cfg.items():
            if key in RESERVED_KEYS:
                continue
            if not isinstance(key, str):
                raise BuildError(
                    f"argument names must be strings; {describe_path(path)!r} has key {key!r}",
                    config_path=path,
                )
            child = join_path(path, key)
            kwargs[key] = self.value(value, child, scope) if recursive else _fresh(value)
        kwargs.update(constants)
        if partial:
            return providers.Callable(_bind_partial, info, target, **kwargs)
        return providers.Callable(_invoke, info, target, **kwargs)

    def value(self, value: Any, path: str, scope: str | None) -> Any:
        if isinstance(value, Mapping):
            if Keys.TYPE in value:
                return self.node(value, path, scope)
            items = {
                key: self.value(item, join_path(path, key), scope) for key, item in value.items()
            }
            built: providers.Provider[Any] = providers.Dict(items)
            if type(value) is not dict:  # keep ConfigDict and other dict types
                built = providers.Callable(type(value), built)
            return built
        if isinstance(value, list | tuple):
            items_ = [
                self.value(item, join_path(path, index), scope) for index, item in enumerate(value)
            ]
            # An empty List provider returns (), so an empty list gets its own provider.
            listed: providers.Provider[Any] = (
                providers.List(*items_) if items_ else providers.Callable(list)
            )
            if isinstance(value, tuple):
                listed = providers.Callable(tuple, listed)
            return listed
        return value


def _fresh(value: Any) -> Any:
    """A value given to a non-recursive node: containers are copied on each call."""
    if isinstance(value, Mapping | list | tuple):
        return providers.Callable(copy_plain, value)
    return value


def _flag(cfg: Mapping[str, Any], key: Keys, default: bool, path: str) -> bool:
    value = cfg.get(key, default)
    if not isinstance(value, bool):
        flag_path = join_path(path, key.value)
        raise BuildError(
            f"{flag_path!r} must be true or false, got {value!r}", config_path=flag_path
        )
    return value


def node_at(tree: providers.Provider[Any], path: str) -> providers.Provider[Any]:
    """Return the provider at a dotted config path in a compiled tree.

    The returned provider can be overridden (``node_at(tree, "backbone.norm").override(...)``)
    so that every later call of ``tree`` uses the replacement there.

    Raises:
        KeyError: No provider stands at that path.
    """
    node: providers.Provider[Any] = tree
    for part in filter(None, path.split(".")):
        children = _children(node)
        child = children.get(part)
        if child is None:
            raise KeyError(f"no node at {path!r}: {part!r} is not among {sorted(children)}")
        if not isinstance(child, providers.Provider):
            raise KeyError(f"no provider at {path!r}: {part!r} is a plain value, {child!r}")
        node = child
    return node


def _children(node: providers.Provider[Any]) -> dict[str, Any]:
    """The arguments of a node by name (list items by their index as a string)."""
    if (
        isinstance(node, providers.Callable)
        and node.provides not in (_invoke, _bind_partial)
        and len(node.args) == 1
        and isinstance(node.args[0], providers.Dict | providers.List)
    ):
        node = node.args[0]  # tuple(...) or a dict subclass wrapped around a List or Dict
    if isinstance(node, providers.List):
        return {str(index): item for index, item in enumerate(node.args)}
    if isinstance(node, providers.Dict | providers.Callable):
        return {str(key): item for key, item in node.kwargs.items()}
    return {}
