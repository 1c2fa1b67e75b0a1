"""Compile a config mapping into a tree of dependency-injector providers.

A mapping with a ``type`` key becomes one node: a provider that calls the registered callable
(itself a provider, looked up through a ``resolve`` callback) with the node's other values as
keyword arguments. Nested mappings with a ``type``, at any depth and inside plain dicts, lists
and tuples, become nested nodes, so calling the root builds the whole object graph bottom-up,
afresh on every call. A node holds the *registered provider*, not only the class it wraps:
while the provider is not overridden the node calls the class directly (one provider call
fewer per node), and once it is, the node calls the provider. So overriding the registered
provider, or any node, changes every later call, also of trees compiled before.

This module knows nothing of where registered callables are stored: the caller passes a
``resolve(type_name, scope, node_path)`` that returns a provider or raises a
:class:`RegwireError`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol

from dependency_injector import providers

from ._config_params import config_params, keeps_config
from ._copying import copy_config
from ._errors import (
    PATH,
    BuildError,
    RegwireError,
    describe_target,
    did_you_mean,
    join_path,
)
from ._lifetimes import Lifetime, Managed, OnceResource, lifetime_of
from ._nodes import RegisteredCallable, RegisteredFactory
from ._scope_state import CURRENT, InScope


class Keys(StrEnum):
    """The reserved keys of a config node; every other key is an argument."""

    TYPE = "type"
    PARTIAL = "_partial_"
    RECURSIVE = "_recursive_"
    SCOPE = "_scope_"
    LIFETIME = "_lifetime_"


RESERVED_KEYS = frozenset(str(key) for key in Keys)
# Values that are never containers, checked before the (slower) abstract-class checks.
_ATOMS = frozenset({str, int, float, bool, type(None), bytes, complex})
# Plain-str copies for the hot path: reading an enum member costs a descriptor call.
_TYPE, _PARTIAL, _RECURSIVE, _SCOPE, _LIFETIME = (str(key) for key in Keys)
# The provider kinds that ``provider_for`` makes for registered callables: they add nothing to
# the call, so a node may call the callable they wrap directly while they are not overridden.
_REGISTERED_KINDS = (RegisteredFactory, RegisteredCallable)


class Resolver(Protocol):
    """Looks up the provider registered under a ``type`` name.

    ``node_path`` is the config path of the node whose ``type`` it is; an error about the name
    should name ``<node_path>.type``.
    """

    def __call__(
        self, type_name: str, scope: str | None, node_path: str
    ) -> providers.Provider[Any]: ...


NodeInfo = tuple[str, str]
"""What a node needs to say where it stands when its callable fails: (config path, type).

A plain tuple, because one is made for every node built.
"""


def _invoke(info: NodeInfo, target: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call a node's target; a failure becomes a :class:`BuildError` naming the node."""
    try:
        return target(*args, **kwargs)
    except RegwireError:
        raise
    except Exception as exc:
        raise node_error(info, target, exc, kwargs) from exc


def _call_registered(
    info: NodeInfo, provider: providers.Provider[Any], direct: Callable[..., Any], /, **kwargs: Any
) -> Any:
    """Call a node's registered callable; a failure becomes a :class:`BuildError`.

    ``direct`` is the callable the registered ``provider`` wraps. While nobody overrides the
    provider it is called directly, which saves a provider call per node (a third of a reused
    tree's time); once the provider is overridden, the provider is called, so the override
    applies.
    """
    try:
        if provider.last_overriding is None:
            return direct(**kwargs)
        return provider(**kwargs)
    except RegwireError:
        raise
    except Exception as exc:
        raise node_error(info, provider, exc, kwargs) from exc


def _direct(target: Any) -> Callable[..., Any]:
    """What to call for a resolved ``target`` now.

    The callable a registered provider wraps while the provider is not overridden (one
    provider call fewer); otherwise ``target`` itself.
    """
    if isinstance(target, _REGISTERED_KINDS) and target.last_overriding is None:
        return target.provides or target
    return target  # type: ignore[no-any-return]


def node_error(
    info: NodeInfo, target: object, exc: Exception, kwargs: Mapping[str, Any] | None = None
) -> BuildError:
    """The error for a node whose callable raised ``exc`` when given ``kwargs``.

    An argument the callable does not take is named by its own config path
    (``model.chanels``), with the nearest parameter suggested; anything else names the node.
    """
    path, type_name = info
    unexpected = _unexpected_argument(target, kwargs) if isinstance(exc, TypeError) else None
    if unexpected is not None:
        key, accepted = unexpected
        key_path = join_path(path, key)
        return BuildError(
            f"{type_name!r} ({describe_target(target)}) takes no argument "
            f"{key!r}{did_you_mean(key, accepted)} (its arguments: {', '.join(accepted)})",
            config_path=key_path,
        )
    return BuildError(
        f"could not build {PATH} (type {type_name!r} = "
        f"{describe_target(target)}): {type(exc).__name__}: {exc}",
        config_path=path,
    )


def _unexpected_argument(
    target: object, kwargs: Mapping[str, Any] | None
) -> tuple[str, list[str]] | None:
    """The first keyword the callable behind ``target`` does not accept, and those it does."""
    if not kwargs:
        return None
    if isinstance(target, providers.Provider):
        if target.last_overriding is not None:  # a replacement was called, not the target
            return None
        target = getattr(target, "provides", None)
    if not callable(target):
        return None
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return None
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return None
    accepted = [
        parameter.name
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    ]
    for key in kwargs:
        if key not in accepted:
            return key, accepted
    return None


def node_call(info: NodeInfo, target: Callable[..., Any], partial: bool) -> Callable[..., Any]:
    """What a compiled node calls with its arguments: ``target`` (its errors become a
    :class:`BuildError` naming the node; a registered provider's callable directly while
    nobody overrides it), or for a ``_partial_`` node a function that binds them."""
    if partial:
        return functools.partial(_bind_partial, info, target)
    if isinstance(target, _REGISTERED_KINDS) and target.provides:
        return functools.partial(_call_registered, info, target, target.provides)
    return functools.partial(_invoke, info, target)


def _bind_partial(info: NodeInfo, target: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Return a callable that builds the node when given the remaining arguments; configs it
    holds are copied for each call (a class may change the config it is given)."""
    return functools.partial(_invoke_fresh, info, target, kwargs)


def _invoke_fresh(
    info: NodeInfo, target: Callable[..., Any], bound: dict[str, Any], /, *args: Any, **more: Any
) -> Any:
    fresh = {key: copy_config(value) for key, value in bound.items()}
    return _invoke(info, target, *args, **fresh, **more)


class ConfigCompiler:
    """Builds configs, or compiles them into provider trees, with one ``resolve`` callback.

    Make one per registry and reuse it: :meth:`build` and :meth:`compile` walk a config the
    same way and call the same registered providers, so their overrides apply to both.

    Args:
        resolve: Returns the provider registered under a name.
    """

    __slots__ = ("_eager", "_tree")

    def __init__(self, resolve: Resolver) -> None:
        self._eager = _Eager(resolve)
        self._tree = ProviderTree(resolve)

    def compile(
        self,
        cfg: Mapping[str, Any],
        *,
        default_args: Mapping[str, Any] | None = None,
        path: str = "",
        scope: str | None = None,
    ) -> providers.Provider[Any]:
        """Compile one config node, and everything nested in it, into a provider tree.

        Args:
            cfg: A mapping with a ``type`` key (a registered name or a callable).
            default_args: Arguments for keys that ``cfg`` lacks, passed as they are.
            path: The dotted path of ``cfg`` in a larger config, for error messages.
            scope: The scope in which names are resolved first (``_scope_`` changes it).

        Returns:
            A provider; each call builds a fresh object graph.

        Raises:
            BuildError: The node has no ``type`` or a reserved key has a wrong value.
            RegwireError: ``resolve`` did not find a name.
        """
        tree: providers.Provider[Any] = self._tree.node(cfg, path, scope, default_args)
        return tree

    def build(
        self,
        cfg: Mapping[str, Any],
        *,
        default_args: Mapping[str, Any] | None = None,
        path: str = "",
        scope: str | None = None,
    ) -> Any:
        """Build the object graph of a config node at once, without a provider tree.

        The fast path for a config that is built once. Arguments and errors are those of
        :meth:`compile`; a callable that raises gives a :class:`BuildError` naming the node.
        """
        return self._eager.node(cfg, path, scope, default_args)


class _Walker:
    """Walks a config; subclasses decide what a node, a dict and a list become."""

    __slots__ = ("_resolve",)

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    def node(
        self,
        cfg: Mapping[str, Any],
        path: str,
        scope: str | None,
        default_args: Mapping[str, Any] | None = None,
    ) -> Any:
        constants: Mapping[str, Any] = _NO_DEFAULTS
        if default_args:  # most nodes have none: no call for them (this runs per node)
            cfg, constants = with_defaults(cfg, default_args)
        if _TYPE not in cfg:
            raise no_type_error(cfg, path)
        partial = _PARTIAL in cfg and _flag(cfg, Keys.PARTIAL, path)
        recursive = _RECURSIVE not in cfg or _flag(cfg, Keys.RECURSIVE, path)
        scope = cfg.get(_SCOPE, scope)
        lifetime = lifetime_of(cfg[_LIFETIME], path) if _LIFETIME in cfg else Lifetime.FACTORY
        if partial and lifetime is Lifetime.RESOURCE:
            raise BuildError(
                f"{PATH} cannot be both a partial and a resource: a partial is called later, "
                "by whoever holds it, so no container can close what it makes",
                config_path=join_path(path, _LIFETIME),
            )
        type_ = cfg[_TYPE]
        if type_.__class__ is str:
            target: Callable[..., Any] = self._resolve(type_, scope, path)
            info = (path, type_)
        elif callable(type_):
            target = type_
            info = (path, describe_target(type_))
        else:
            raise type_error(type_, path)
        kwargs: dict[str, Any] = {}
        kept: frozenset[str] | None = None  # the arguments it takes as configs, looked up once
        for key, value in cfg.items():
            if key in RESERVED_KEYS:
                continue
            if key.__class__ is not str and not isinstance(key, str):
                raise key_error(key, path)
            if value.__class__ in _ATOMS:  # most arguments: no path, no call
                kwargs[key] = value
                continue
            if recursive and kept is None:
                kept = config_params(target)
            if recursive and not keeps_config(kept, key):  # type: ignore[arg-type]
                kwargs[key] = self.value(value, f"{path}.{key}" if path else key, scope)
            else:
                kwargs[key] = self.fresh(value)
        kwargs.update(constants)
        if _SCOPE in cfg and scope is not None and scope != CURRENT[0]:
            target = InScope(scope, target)  # in force while it runs: it may build configs
        return self.make_node(info, target, kwargs, partial, lifetime)

    def value(self, value: Any, path: str, scope: str | None) -> Any:
        if value.__class__ in _ATOMS:
            return value
        if isinstance(value, Mapping):
            if _TYPE in value:
                return self.node(value, path, scope)
            items = {
                key: self.value(item, join_path(path, key), scope) for key, item in value.items()
            }
            return self.make_dict(items, type(value))
        if isinstance(value, list | tuple):
            listed = [
                self.value(item, join_path(path, index), scope) for index, item in enumerate(value)
            ]
            return self.make_list(listed, tuple if isinstance(value, tuple) else list)
        return value

    def make_node(
        self,
        info: NodeInfo,
        target: Callable[..., Any],
        kwargs: dict[str, Any],
        partial: bool,
        lifetime: Lifetime,
    ) -> Any:
        raise NotImplementedError

    def make_dict(self, items: dict[Any, Any], kind: type[Any]) -> Any:
        raise NotImplementedError

    def make_list(self, items: list[Any], kind: type[list[Any]] | type[tuple[Any, ...]]) -> Any:
        raise NotImplementedError

    def fresh(self, value: Any) -> Any:
        """A value given to a non-recursive node: its containers are copied per build."""
        raise NotImplementedError


class ProviderTree(_Walker):
    """Turns each part of a config into a provider."""

    __slots__ = ()

    def make_node(
        self,
        info: NodeInfo,
        target: Callable[..., Any],
        kwargs: dict[str, Any],
        partial: bool,
        lifetime: Lifetime,
    ) -> providers.Provider[Any]:
        call = node_call(info, target, partial)
        if lifetime is Lifetime.FACTORY:
            return providers.Callable(call, **kwargs)
        if lifetime is Lifetime.SINGLETON:  # called without arguments: nothing to check
            return providers.ThreadSafeSingleton(call, **kwargs)
        return OnceResource(Managed(call, info), **kwargs)

    def make_dict(self, items: dict[Any, Any], kind: type[Any]) -> providers.Provider[Any]:
        built: providers.Provider[Any] = providers.Dict(items)
        return built if kind is dict else providers.Callable(kind, built)  # keep ConfigDict

    def make_list(
        self, items: list[Any], kind: type[list[Any]] | type[tuple[Any, ...]]
    ) -> providers.Provider[Any]:
        # An empty List provider returns (), so an empty list gets a provider of its own.
        listed: providers.Provider[Any] = (
            providers.List(*items) if items else providers.Callable(list)
        )
        return listed if kind is list else providers.Callable(tuple, listed)

    def fresh(self, value: Any) -> Any:
        if isinstance(value, Mapping | list | tuple):
            return providers.Callable(copy_config, value)
        return value


class _Eager(_Walker):
    """Builds each part of a config as soon as it is walked."""

    __slots__ = ()

    def make_node(
        self,
        info: NodeInfo,
        target: Callable[..., Any],
        kwargs: dict[str, Any],
        partial: bool,
        lifetime: Lifetime,
    ) -> Any:
        if lifetime is Lifetime.RESOURCE:
            raise BuildError(
                f"{PATH} is a resource (_lifetime_: resource), which its container closes, "
                "and build() has none: declare it in an ApplicationContainer, or compile the "
                "config with registry.provider() and close it with shutdown_resources()",
                config_path=info[0],
            )
        if partial:
            return _bind_partial(info, target, **kwargs)
        try:  # _invoke inlined: this runs once per node built
            return _direct(target)(**kwargs)
        except RegwireError:
            raise
        except Exception as exc:
            raise node_error(info, target, exc, kwargs) from exc

    def make_dict(self, items: dict[Any, Any], kind: type[Any]) -> Any:
        return items if kind is dict else kind(items)

    def make_list(self, items: list[Any], kind: type[list[Any]] | type[tuple[Any, ...]]) -> Any:
        return items if kind is list else tuple(items)

    def fresh(self, value: Any) -> Any:
        return copy_config(value)


def _flag(cfg: Mapping[str, Any], key: Keys, path: str) -> bool:
    value = cfg[key]
    if not isinstance(value, bool):
        raise flag_error(key, value, path)
    return value


_NO_DEFAULTS: Mapping[str, Any] = {}

# What a node's build checks, shared with the static check in ``container`` (one wording).


def with_defaults(
    cfg: Mapping[Any, Any], default_args: Mapping[str, Any] | None
) -> tuple[Mapping[Any, Any], dict[str, Any]]:
    """Apply ``default_args`` to a node: reserved keys (``type``...) join its config; the
    others, live values (parameters, datasets), are passed as they are, never built.

    Returns:
        The config and the constant arguments (only the defaults ``cfg`` lacks).
    """
    if not default_args:
        return cfg, {}
    missing = {key: value for key, value in default_args.items() if key not in cfg}
    constants = {key: value for key, value in missing.items() if key not in RESERVED_KEYS}
    reserved = {key: value for key, value in missing.items() if key in RESERVED_KEYS}
    return ({**cfg, **reserved} if reserved else cfg), constants


def no_type_error(cfg: Mapping[Any, Any], path: str) -> BuildError:
    """The error for a node without ``type``."""
    return BuildError(
        f"config {PATH} has no 'type' key, so there is nothing to build "
        f"(keys: {sorted(map(str, cfg))})",
        config_path=path,
    )


def type_error(type_: object, path: str) -> BuildError:
    """The error for a ``type`` that is neither a name nor a callable."""
    return BuildError(
        f"{PATH} must be a registered name or a callable, got {type_!r} (a {type(type_).__name__})",
        config_path=join_path(path, _TYPE),
    )


def key_error(key: object, path: str) -> BuildError:
    """The error for an argument name that is not a string."""
    return BuildError(f"argument names must be strings; {PATH} has key {key!r}", config_path=path)


def flag_error(key: Keys, value: object, path: str) -> BuildError:
    """The error for a ``_partial_``/``_recursive_`` that is not a bool."""
    return BuildError(
        f"{PATH} must be true or false, got {value!r}", config_path=join_path(path, key.value)
    )
