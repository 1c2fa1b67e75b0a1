"""Application containers declared in a config: named components that share objects.

Each top-level key of the config is a component, a provider of the container::

    settings: {host: db.local, port: 5432}
    db: {type: Connection, url: "pg://${settings.host}:${settings.port}/shop",
         _lifetime_: resource}
    orders: {type: OrderService, db: ${db}}
    report: {type: Report, db: ${db}, title: "orders on ${settings.host}"}

* A node (a mapping with ``type``) is built with the registry, nested nodes first, as
  ``registry.build`` builds it. At the top level it is a **singleton** unless its
  ``_lifetime_`` says ``factory`` or ``resource``: every reference to ``db`` gets the one
  object of this container.
* A value without nodes or references (``settings``) is a value; ``app.settings()`` gives it.
* ``${name}`` and ``${name.key}`` are references (see :mod:`container._references`).
* Every value is read from ``app.config`` (a dependency-injector ``Configuration``) when it is
  built, so ``app.config.settings.host.override("test")`` changes what every later build
  receives, and ``app.db.override(FakeDb())`` reaches every component that refers to ``db``.

Resources are set up on first use (or by ``init_resources()``) and torn down, in the reverse
order of their set-up, by ``shutdown_resources()`` or on leaving ``with app:``; a set-up that
fails halfway leaves the ones already set up to be torn down the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dependency_injector import containers
from dependency_injector import providers as di

from providers import (
    PATH,
    RESERVED_KEYS,
    Keys,
    OnceResource,
    OnceSingleton,
    RegwireError,
    join_path,
)
from providers._compile import _ProviderTree

from ._errors import ConfigError
from ._references import (
    Ref,
    Target,
    Template,
    at_path,
    build_order,
    holds_nodes,
    is_node,
    mark,
)
from ._validate import ValidationError

if TYPE_CHECKING:
    from ._registry import Registry
    from .config import Config

_LIFETIME = str(Keys.LIFETIME)
DIRECTIVES = frozenset({"custom_imports"})
"""Top-level keys that are not components: ``Config.fromfile`` acts on them (it imports the
``custom_imports`` modules, so that their classes register)."""


class ApplicationContainer(containers.DynamicContainer):
    """A dependency-injector container whose providers are the components of a config.

    Make one with :meth:`from_cfg`; see the module docstring for the config it reads.
    ``with app:`` closes its resources on leaving.
    """

    config: di.Configuration

    @classmethod
    def from_cfg(
        cls, cfg: Mapping[str, Any] | Config, registry: Registry, *, check: bool = True
    ) -> ApplicationContainer:
        """Make the container of ``cfg``'s components, resolving ``type`` names in ``registry``.

        Nothing is built here; each component is built when first asked for.

        Args:
            cfg: A mapping or a :class:`container.Config` (whose file and line then appear
                in errors).
            registry: Where the components' ``type`` names are looked up.
            check: Validate every component against its callable's signature first, as
                ``regwire check`` does (all problems at once).

        Raises:
            ConfigError: A reference names nothing (the nearest name is suggested), lands
                inside a nested node, or references form a cycle (the cycle is named); a
                top-level key is a name the container itself uses.
            ValidationError: ``check`` found problems in the components.
        """
        source_of = getattr(cfg, "source_of", None)
        plain = _plain(cfg)
        try:
            marked = {key: mark(value, key) for key, value in plain.items()}
            plain = _as_read(plain, marked)
            _check_names(marked)
            order, targets = build_order(marked)
            if check:
                _validate(marked, targets, registry, source_of)
            app = cls()
            app._compile(plain, marked, order, registry)
        except RegwireError as exc:
            if source_of is not None and exc.source is None and exc.config_path:
                exc.source = source_of(exc.config_path)
            raise
        return app

    def __init__(self) -> None:
        super().__init__()
        self._set_up: list[di.Resource[Any]] = []
        self._set_up_lock = threading.Lock()
        self.graph_edges: list[tuple[str, str, str]] = []

    def _compile(
        self,
        plain: Mapping[str, Any],
        marked: Mapping[str, Any],
        order: Sequence[str],
        registry: Registry,
    ) -> None:
        self.config = di.Configuration(default=plain)
        tree = _AppTree(registry._resolve, self, marked)
        for key in order:
            setattr(self, key, tree.component(key, marked[key]))

    # -- resources ----------------------------------------------------------------------

    def _record(self, resource: di.Resource[Any]) -> None:
        with self._set_up_lock:
            self._set_up.append(resource)

    def init_resources(self, resource_type: Any = di.BaseResource) -> None:
        """Set up every resource now, in the order the config declares them."""
        for provider in self.traverse(types=[resource_type]):
            provider()

    def shutdown_resources(self, resource_type: Any = di.BaseResource) -> None:
        """Tear down the resources set up so far, the last set up first.

        Every tear-down runs, also when one raises; the first error is raised after them,
        with the others as notes.
        """
        with self._set_up_lock:
            done, self._set_up = self._set_up, []
        failures: list[BaseException] = []
        for resource in reversed(done):
            try:
                resource.shutdown()
            except Exception as exc:
                failures.append(exc)
        if failures:
            first = failures[0]
            for other in failures[1:]:
                first.add_note(f"tearing down another resource also failed: {other!r}")
            raise first

    def __enter__(self) -> ApplicationContainer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown_resources()


class _Recorded(OnceResource):
    """A resource that tells its container when it has been set up."""

    def __init__(self, app: ApplicationContainer, provides: Any, **kwargs: Any) -> None:
        super().__init__(provides, **kwargs)
        self._app = app

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        was = self.initialized
        result = super().__call__(*args, **kwargs)
        if not was and self.initialized:
            self._app._record(self)
        return result


class _AppTree(_ProviderTree):
    """Compiles components: references become the providers they name, values read the
    container's ``config`` when built, and top-level nodes are singletons by default."""

    __slots__ = ("_app", "_marked", "_values")

    def __init__(self, resolve: Any, app: ApplicationContainer, marked: Mapping[str, Any]) -> None:
        super().__init__(resolve)
        self._app = app
        self._marked = marked
        self._values: dict[tuple[str, ...], di.Provider[Any]] = {}

    def component(self, key: str, value: Any) -> di.Provider[Any]:
        if is_node(value):
            if _LIFETIME not in value:
                lifetime = self._registered_lifetime(value, key, None) or "singleton"
                value = {**value, _LIFETIME: lifetime}
            return self.node(_leaves(value, key), key, None)  # type: ignore[no-any-return]
        if holds_nodes(value):
            return OnceSingleton(self.value(_leaves(value, key), key, None))
        return self._value_at((key,))

    def node(
        self,
        cfg: Mapping[str, Any],
        path: str,
        scope: str | None,
        default_args: Mapping[str, Any] | None = None,
    ) -> Any:
        if _LIFETIME not in cfg:  # a name registered as a singleton or resource: per container
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
        provider = self._resolve(type_, cfg.get("_scope_", scope), path)
        if isinstance(provider, OnceResource):
            return "resource"
        if isinstance(provider, OnceSingleton):
            return "singleton"
        return None

    def make_node(
        self, info: Any, target: Any, kwargs: dict[str, Any], partial: bool, lifetime: Any
    ) -> Any:
        if isinstance(target, OnceResource):  # the app holds its own: call what it wraps
            target = getattr(target.provides, "__wrapped__", target.provides)
        elif isinstance(target, OnceSingleton):
            target = target.provides
        made = super().make_node(info, target, kwargs, partial, lifetime)
        if isinstance(made, OnceResource):
            made = _Recorded(self._app, made.provides, **made.kwargs)
        return made

    def value(self, value: Any, path: str, scope: str | None) -> Any:
        if isinstance(value, Ref):
            return self._reference(value)
        if isinstance(value, Template):
            parts = [
                self._reference(part) if isinstance(part, Ref) else part for part in value.parts
            ]
            return di.Callable(_join, *parts)
        if isinstance(value, _Leaf):
            return self._value_at(value.path)
        return super().value(value, path, scope)

    def _reference(self, ref: Ref) -> di.Provider[Any]:
        from ._references import follow

        kind, target = follow(self._marked, ref)
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
            provider = self._values[path] = di.Callable(_dig, self._app.config, path)
        return provider


_SCALARS = frozenset({str, int, float, bool, type(None), bytes, complex})


class _Leaf:
    """A plain value in a component, read from the container's ``config`` when built."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path


def _leaves(value: Any, path: str) -> Any:
    """``value`` with its plain values replaced by :class:`_Leaf` (not inside a node with
    ``_recursive_: false``, and not a node's reserved keys)."""
    if value.__class__ in _SCALARS:
        return _Leaf(tuple(path.split(".")))
    if isinstance(value, Mapping):
        if is_node(value) and value.get("_recursive_") is False:
            return value
        return {
            key: item
            if is_node(value) and key in RESERVED_KEYS
            else _leaves(item, join_path(path, key))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        items = [_leaves(item, join_path(path, index)) for index, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    return value


def _dig(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = config
    for key in path:
        value = value[int(key)] if isinstance(value, list | tuple) else value[key]
    return value


def _join(*parts: Any) -> str:
    return "".join(str(part) for part in parts)


def _plain(cfg: Any) -> dict[str, Any]:
    from providers import copy_plain

    to_dict = getattr(cfg, "to_dict", None)  # a Config
    if callable(to_dict):
        cfg = to_dict()
    if not isinstance(cfg, Mapping):
        raise TypeError(f"an application config is a mapping of components, got {cfg!r}")
    return {key: copy_plain(value) for key, value in cfg.items() if key not in DIRECTIVES}


def _as_read(plain: Any, marked: Any) -> Any:
    """``plain`` with each escaped ``\\${`` read as ``${``: what ``app.config`` holds."""
    if isinstance(marked, str) and isinstance(plain, str):
        return marked
    if isinstance(plain, Mapping) and isinstance(marked, Mapping):
        return {key: _as_read(value, marked.get(key)) for key, value in plain.items()}
    if isinstance(plain, list | tuple) and isinstance(marked, list | tuple):
        items = [_as_read(value, other) for value, other in zip(plain, marked, strict=True)]
        return items if isinstance(plain, list) else tuple(items)
    return plain


def _check_names(marked: Mapping[str, Any]) -> None:
    for key in marked:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise ConfigError(
                f"{PATH} is not a component name: names are identifiers that do not start with '_'",
                config_path=str(key),
            )
        if hasattr(ApplicationContainer, key) or key in {"config", "graph_edges"}:
            raise ConfigError(
                f"{PATH} is a name the container itself uses; name the component otherwise",
                config_path=key,
            )


def _validate(
    marked: Mapping[str, Any],
    targets: Mapping[str, list[Target]],
    registry: Registry,
    source_of: Any,
) -> None:
    """Check every component node with the static validator, references standing for what
    they give."""
    from ._typematch import NodeResult

    def stand_in(value: Any) -> Any:
        if isinstance(value, Ref):
            return NodeResult(repr(value), None, None)
        if isinstance(value, Template):
            return "".join(part if isinstance(part, str) else "x" for part in value.parts)
        if isinstance(value, Mapping):
            return {key: stand_in(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(stand_in(item) for item in value)
        return value

    problems = []
    for key, value in marked.items():
        if holds_nodes(value):
            problems += registry.validate(stand_in(value), path=key, source_of=source_of)
    if problems:
        raise ValidationError(problems)
