"""How an :class:`~container.ApplicationContainer` compiles its components: references
become the providers they name, plain values are read from the container's config when a node
is built, and resources tell the container when they are set up (see
:mod:`container._application`)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

from dependency_injector import errors as di_errors
from dependency_injector import providers as di

from providers import (
    RESERVED_KEYS,
    Keys,
    Managed,
    OnceResource,
    Overridden,
    ProviderTree,
    RegisteredResource,
    RegisteredSingleton,
    copy_config,
    node_call,
)

from ._references import Ref, Target, Template, at_path, follow, has_node, holds_nodes, is_node

_LIFETIME = str(Keys.LIFETIME)
SCALARS = frozenset({str, int, float, bool, type(None), bytes, complex})
_UNKNOWN: Any = object()


class Recorded(OnceResource):
    """A resource that tells its container when it has been set up."""

    def __init__(self, app: Any = None, provides: Any = None, **kwargs: Any) -> None:
        super().__init__(provides, **kwargs)
        self._app = app

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._once_lock:
            was = self.initialized
            result = super().__call__(*args, **kwargs)
            if not was and self.initialized and self._app is not None:
                self._app._record(self)
        return result

    def __deepcopy__(self, memo: Any) -> Recorded:
        """A copy for a copied container (``App()`` of a class that holds one)."""
        copied = memo.get(id(self))
        if copied is None:
            if self.initialized:
                raise di_errors.Error(f"cannot copy {self!r}: it is set up (shut it down first)")
            app = memo.get(id(self._app), self._app)
            copied = memo[id(self)] = Recorded(
                app, self.provides, **{k: copy.deepcopy(v, memo) for k, v in self.kwargs.items()}
            )
        return copied  # type: ignore[no-any-return]


class AppTree(ProviderTree):
    """Compiles components: references become the providers they name, values read the
    container's ``config`` when built, and top-level nodes are singletons by default."""

    __slots__ = ("_app", "_lifetimes", "_marked", "_targets", "_values")

    def __init__(
        self,
        resolve: Any,
        app: Any,
        marked: Mapping[str, Any],
        targets: Mapping[int, Target],
    ) -> None:
        super().__init__(resolve)
        self._app = app
        self._marked = marked
        self._targets = targets
        self._values: dict[tuple[str, ...], di.Provider[Any]] = {}
        self._lifetimes: dict[tuple[str, str | None], str | None] = {}

    def component(self, key: str, value: Any) -> di.Provider[Any]:
        if is_node(value):
            leaves = _leaves(value, (key,))
            if _LIFETIME not in value:
                leaves[_LIFETIME] = self._registered_lifetime(value, key, None) or "singleton"
            return self.node(leaves, key, None)  # type: ignore[no-any-return]
        if has_node(value):  # shares what its nodes build
            return di.ThreadSafeSingleton(self.value(_leaves(value, (key,)), key, None))
        if holds_nodes(value):  # values and references only: computed afresh, never stale
            return self.value(_leaves(value, (key,)), key, None)  # type: ignore[no-any-return]
        return self._value_at((key,))

    def node(
        self,
        cfg: Mapping[str, Any],
        path: str,
        scope: str | None,
        default_args: Mapping[str, Any] | None = None,
    ) -> Any:
        if _LIFETIME not in cfg and cfg.get("_partial_") is not True:
            # a name registered as a singleton or resource is one per container
            lifetime = self._registered_lifetime(cfg, path, scope)
            if lifetime is not None:
                cfg = {**cfg, _LIFETIME: lifetime}
        return super().node(cfg, path, scope, default_args)

    def _registered_lifetime(
        self, cfg: Mapping[str, Any], path: str, scope: str | None
    ) -> str | None:
        type_ = cfg.get("type")
        if not isinstance(type_, str):
            return None
        scope = cfg.get("_scope_", scope)
        known = self._lifetimes.get((type_, scope), _UNKNOWN)
        if known is not _UNKNOWN:
            return known  # type: ignore[no-any-return]
        provider = self._resolve(type_, scope, path)
        lifetime = (
            "resource"
            if isinstance(provider, RegisteredResource)
            else "singleton"
            if isinstance(provider, RegisteredSingleton)
            else None
        )
        self._lifetimes[type_, scope] = lifetime
        return lifetime

    def make_node(
        self, info: Any, target: Any, kwargs: dict[str, Any], partial: bool, lifetime: Any
    ) -> Any:
        kind = target.__class__
        if kind is RegisteredResource or kind is RegisteredSingleton:
            # the app holds its own object, but a test's override of the name still wins
            raw = getattr(target.provides, "__wrapped__", target.provides)
            wrap = kind is RegisteredResource
            target = functools.partial(_unless_overridden, target, raw, wrap)
        call = node_call(info, target, partial)
        leaves = {key: value.path for key, value in kwargs.items() if value.__class__ is _Leaf}
        if leaves:  # read together from the config when the node is built: one provider
            kwargs = {key: value for key, value in kwargs.items() if key not in leaves}
            call = functools.partial(_with_leaves, leaves, call, self._app.config)
        if lifetime == "factory":
            return di.Callable(call, **kwargs)
        if lifetime == "singleton":
            return di.ThreadSafeSingleton(call, **kwargs)
        return Recorded(self._app, Managed(call, info), **kwargs)

    def make_dict(self, items: dict[Any, Any], kind: type[Any]) -> di.Provider[Any]:
        return super().make_dict({key: self._provided(item) for key, item in items.items()}, kind)

    def make_list(self, items: list[Any], kind: Any) -> di.Provider[Any]:
        return super().make_list([self._provided(item) for item in items], kind)

    def _provided(self, item: Any) -> Any:
        return self._value_at(item.path) if item.__class__ is _Leaf else item

    def fresh(self, value: Any) -> Any:
        """A config the callable builds itself (``providers.config_params``): its plain values
        read from ``app.config`` and its references resolved when it is built, copied per
        build, its nodes left unbuilt."""
        kind = value.__class__
        if kind is _Leaf:
            return di.Callable(copy_config, self._value_at(value.path))
        if kind is Ref or kind is Template:
            return self.value(value, "", None)
        if isinstance(value, Mapping):
            return di.Dict({key: self.fresh(item) for key, item in value.items()})
        if isinstance(value, list | tuple):
            items = [self.fresh(item) for item in value]
            listed: di.Provider[Any] = di.List(*items) if items else di.Callable(list)
            return listed if isinstance(value, list) else di.Callable(tuple, listed)
        return value

    def value(self, value: Any, path: str, scope: str | None) -> Any:
        kind = value.__class__
        if kind is _Leaf:  # a node's argument; make_dict/make_list turn others into providers
            return value
        if kind is Ref:
            return self._reference(value)
        if kind is Template:
            parts = [
                self._reference(part) if isinstance(part, Ref) else part for part in value.parts
            ]
            return di.Callable(_join, *parts)
        return super().value(value, path, scope)

    def _reference(self, ref: Ref) -> di.Provider[Any]:

        kind, target = self._targets.get(id(ref)) or follow(self._marked, ref)
        if kind == "component":
            component: di.Provider[Any] = getattr(self._app, target[0])  # compiled before
            return component
        marked = at_path(self._marked, target)
        if isinstance(marked, Ref | Template) or holds_nodes(marked):
            return self.value(marked, ".".join(target), None)  # type: ignore[no-any-return]
        return self._value_at(target)

    def _value_at(self, path: tuple[str, ...]) -> di.Provider[Any]:
        provider = self._values.get(path)
        if provider is None:
            provider = self._values[path] = di.Callable(at_path, self._app.config, path)
        return provider


class _Leaf:
    """A plain value in a component, read from the container's ``config`` when built."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path


def _leaves(value: Any, path: tuple[str, ...]) -> Any:
    """``value`` with each part that holds no node and no reference replaced by a
    :class:`_Leaf`: read from the config, whole, when built (not inside a node with
    ``_recursive_: false``, and not a node's reserved keys)."""
    made, built = _leaves_of(value, path)
    return made if built else _Leaf(path)


def _leaves_of(value: Any, path: tuple[str, ...]) -> tuple[Any, bool]:
    """(:func:`_leaves` of ``value``, whether it holds a node or a reference)."""
    kind = value.__class__
    if kind in SCALARS:
        return value, False
    if kind is Ref or kind is Template:
        return value, True
    if isinstance(value, Mapping):
        node = is_node(value)
        if node and value.get("_recursive_") is False:
            return value, True
        parts = {
            key: (item, False) if node and key in RESERVED_KEYS else _leaves_of(item, (*path, key))
            for key, item in value.items()
        }
        if not node and not any(built for _, built in parts.values()):
            return value, False
        return {
            key: item if built or (node and key in RESERVED_KEYS) else _Leaf((*path, key))
            for key, (item, built) in parts.items()
        }, True
    if isinstance(value, list | tuple):
        items = [_leaves_of(item, (*path, str(index))) for index, item in enumerate(value)]
        if not any(built for _, built in items):
            return value, False
        made = [
            item if built else _Leaf((*path, str(index)))
            for index, (item, built) in enumerate(items)
        ]
        return (made if isinstance(value, list) else tuple(made)), True
    return value, False


def _unless_overridden(registered: Any, raw: Any, wrap: bool, /, **kwargs: Any) -> Any:
    """Call ``raw``, unless a test overrides the registered name: then its replacement
    (marked :class:`Overridden` for a resource, so that the app does not close it)."""
    if registered.last_overriding is None:
        return raw(**kwargs)
    value = registered(**kwargs)
    return Overridden(value) if wrap else value


def _with_leaves(
    leaves: Mapping[str, tuple[str, ...]], call: Any, config: di.Provider[Any], /, **kwargs: Any
) -> Any:
    """Call a node with its plain values read from the container's config now (so that an
    override of ``app.config`` reaches it)."""
    values = config()
    for key, path in leaves.items():
        kwargs[key] = at_path(values, path)
    return call(**kwargs)


def _join(*parts: Any) -> str:
    return "".join(str(part) for part in parts)
