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

import copy
import functools
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dependency_injector import containers
from dependency_injector import errors as di_errors
from dependency_injector import providers as di

from providers import (
    PATH,
    RESERVED_KEYS,
    Keys,
    Managed,
    OnceResource,
    Overridden,
    ProviderTree,
    RegisteredResource,
    RegisteredSingleton,
    RegwireError,
    node_call,
)

from ._errors import ConfigError
from ._references import (
    Ref,
    Target,
    Template,
    at_path,
    build_order,
    has_node,
    holds_nodes,
    is_node,
    mark,
)

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
            found: dict[str, list[Ref]] = {key: [] for key in plain}
            marked = {key: mark(value, key, found[key]) for key, value in plain.items()}
            plain = _as_read(plain, marked)
            _check_names(marked)
            order, targets, resolved = build_order(marked, found)
            if check:
                _validate(marked, targets, registry, source_of)
            app = cls()
            app._compile(plain, marked, order, registry, resolved)
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
        resolved: Mapping[int, Target],
    ) -> None:
        self.config = di.Configuration(default=plain)
        tree = _AppTree(registry._resolve, self, marked, resolved)
        for key in order:
            setattr(self, key, tree.component(key, marked[key]))

    # -- resources ----------------------------------------------------------------------

    def _record(self, resource: di.Resource[Any]) -> None:
        with self._set_up_lock:
            if not any(done is resource for done in self._set_up):
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

    def __call__(self) -> ApplicationContainer:
        """The container itself, so that ``providers.Container(app)`` nests it (as for a
        registry)."""
        return self

    def __enter__(self) -> ApplicationContainer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown_resources()


class _Recorded(OnceResource):
    """A resource that tells its container when it has been set up."""

    def __init__(
        self, app: ApplicationContainer | None = None, provides: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(provides, **kwargs)
        self._app = app

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._once_lock:
            was = self.initialized
            result = super().__call__(*args, **kwargs)
            if not was and self.initialized and self._app is not None:
                self._app._record(self)
        return result

    def __deepcopy__(self, memo: Any) -> _Recorded:
        """A copy for a copied container (``App()`` of a class that holds one)."""
        copied = memo.get(id(self))
        if copied is None:
            if self.initialized:
                raise di_errors.Error(f"cannot copy {self!r}: it is set up (shut it down first)")
            app = memo.get(id(self._app), self._app)
            copied = memo[id(self)] = _Recorded(
                app, self.provides, **{k: copy.deepcopy(v, memo) for k, v in self.kwargs.items()}
            )
        return copied  # type: ignore[no-any-return]


class _AppTree(ProviderTree):
    """Compiles components: references become the providers they name, values read the
    container's ``config`` when built, and top-level nodes are singletons by default."""

    __slots__ = ("_app", "_lifetimes", "_marked", "_targets", "_values")

    def __init__(
        self,
        resolve: Any,
        app: ApplicationContainer,
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
        return _Recorded(self._app, Managed(call, info), **kwargs)

    def make_dict(self, items: dict[Any, Any], kind: type[Any]) -> di.Provider[Any]:
        return super().make_dict({key: self._provided(item) for key, item in items.items()}, kind)

    def make_list(self, items: list[Any], kind: Any) -> di.Provider[Any]:
        return super().make_list([self._provided(item) for item in items], kind)

    def _provided(self, item: Any) -> Any:
        return self._value_at(item.path) if item.__class__ is _Leaf else item

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
        from ._references import follow

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
            provider = self._values[path] = di.Callable(_dig, self._app.config, path)
        return provider


_SCALARS = frozenset({str, int, float, bool, type(None), bytes, complex})
_UNKNOWN: Any = object()


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
    if kind in _SCALARS:
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
        kwargs[key] = _dig(values, path)
    return call(**kwargs)


def _dig(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = config
    for key in path:
        value = value[int(key)] if isinstance(value, list | tuple) else value[key]
    return value


def _join(*parts: Any) -> str:
    return "".join(str(part) for part in parts)


def _plain(cfg: Any) -> dict[str, Any]:

    to_dict = getattr(cfg, "to_dict", None)  # a Config
    if callable(to_dict):
        cfg = to_dict()
    if not isinstance(cfg, Mapping):
        raise TypeError(f"an application config is a mapping of components, got {cfg!r}")
    return {key: value for key, value in cfg.items() if key not in DIRECTIVES}  # copied below


def _as_read(plain: Any, marked: Any) -> Any:
    """A copy of ``plain`` with each escaped ``\\${`` read as ``${``: what ``app.config``
    holds (a reference stays as written there)."""
    kind = plain.__class__
    if kind is str:
        return marked if marked.__class__ is str else plain
    if kind in _SCALARS:
        return plain
    if isinstance(plain, Mapping) and isinstance(marked, Mapping):
        return {key: _as_read(value, marked.get(key)) for key, value in plain.items()}
    if isinstance(plain, list | tuple) and isinstance(marked, list | tuple):
        items = [_as_read(value, other) for value, other in zip(plain, marked, strict=True)]
        return items if isinstance(plain, list) else tuple(items)
    return plain


def _check_names(marked: Mapping[str, Any]) -> None:
    taken = _taken_names()
    for key in marked:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise ConfigError(
                f"{PATH} is not a component name: names are identifiers that do not start with '_'",
                config_path=str(key),
            )
        if key in taken:
            raise ConfigError(
                f"{PATH} is a name the container itself uses; name the component otherwise",
                config_path=key,
            )


@functools.cache
def _taken_names() -> frozenset[str]:
    """The attributes of a container, its class's and those its ``__init__`` sets."""
    return frozenset(dir(ApplicationContainer)) | frozenset(vars(ApplicationContainer()))


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
        kind = value.__class__
        if kind in _SCALARS:
            return value
        if kind is Ref:
            return NodeResult(repr(value), None, None)
        if kind is Template:
            return "".join(part if isinstance(part, str) else "x" for part in value.parts)
        if kind is dict or isinstance(value, Mapping):
            return {key: stand_in(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(stand_in(item) for item in value)
        return value

    from ._validate import ValidationError

    problems = []
    for key, value in marked.items():
        if holds_nodes(value):
            problems += registry.validate(stand_in(value), path=key, source_of=source_of)
    if problems:
        raise ValidationError(problems)
