"""Registry: a dependency-injection container of named providers.

Each registered callable is stored beside a dependency-injector provider that calls it. Looking
up returns the callable; building compiles a config into a tree of those providers and calls
it, so overriding a registered provider changes every later build, nested builds included.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar, overload

from dependency_injector import providers as di

from providers import (
    ConfigCompiler,
    Lifetime,
    check_lifetime,
    describe_target,
    join_path,
    provider_for,
)

from ._building import BuildFunc, RegistryBuilding
from ._container_face import RegistryContainer
from ._declared import declare, declared_entry, with_options
from ._errors import RegistryError
from ._scope import ancestors, find_scope, infer_scope

F = TypeVar("F", bound=Callable[..., Any])
_NOT_GIVEN: Any = object()


class Registry(RegistryBuilding, RegistryContainer):
    """A named container of callables, each stored as a dependency-injector provider.

    A registry is a dependency-injector ``DynamicContainer`` (see
    :mod:`container._container_face`): ``MODELS.ResNet`` is the provider of ``ResNet``,
    ``providers.Container(MODELS)`` nests it, ``MODELS.override(FakeModels)`` overrides it.

    Declared registries: a subclass lists entries as dependency-injector providers, and each
    instance registers them (``Factory``/``Callable`` a factory, ``Singleton`` a singleton,
    ``Resource`` a resource); options go in the class statement and can be changed per
    instance. A subclass of a declared registry extends it::

        class Services(Registry, name="service", scope="shop"):
            Database = providers.Resource(Database)
            Cache = providers.Factory(Cache)

        SERVICES = Services()

    Args:
        name: What the registry holds (``"model"``), used in messages.
        build_func: MMEngine's hook for how ``build`` builds: ``build_func(cfg, *args,
            registry=self, **kwargs)``; inherited from ``parent`` when omitted; None builds
            with regwire's compiler (see :mod:`container._building`).
        parent: The registry that lookups fall back to; this one becomes its child.
        scope: The name of this registry in its tree; inferred when omitted (see
            :mod:`container._scope` for the rule).
        locations: Modules to import, once, the first time a lookup misses, so that their
            ``register_module`` decorators run.
        allow_import: Resolve ``type: "package.module.Name"`` by importing it when no
            registry has that name. Off by default, because it lets a config import and call
            anything (``os.system``); turn it on only for configs you trust.

    Example:
        >>> MODELS = Registry("model", scope="demo")
        >>> @MODELS.register_module()
        ... class Linear:
        ...     def __init__(self, width: int) -> None:
        ...         self.width = width
        >>> MODELS.build({"type": "Linear", "width": 3}).width
        3
    """

    _declared: Mapping[str, tuple[Callable[..., Any], Lifetime]] = MappingProxyType({})
    _options: Mapping[str, Any] = MappingProxyType({})

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__()
        cls._options, cls._declared = declare(cls, cls._options, cls._declared, options)

    def __init__(
        self,
        name: str | None = None,
        build_func: BuildFunc | None = None,
        parent: Registry | None = _NOT_GIVEN,
        scope: str | None = _NOT_GIVEN,
        locations: Sequence[str] = _NOT_GIVEN,
        *,
        allow_import: bool = _NOT_GIVEN,
    ) -> None:
        self._init_container()
        given = {"parent": parent, "scope": scope, "locations": locations}
        name, parent, scope, locations, allow_import = with_options(
            self._options, name, {**given, "allow_import": allow_import}, _NOT_GIVEN
        )
        if build_func is None and parent is not None:
            build_func = parent._build_func  # MMEngine: a child builds as its parent does
        self._build_func = build_func
        self._name = name
        self._scope = scope if scope is not None else infer_scope(name, stacklevel=1)
        self._parent = parent
        self._children = {}
        self._modules: dict[str, Callable[..., Any]] = {}
        self._providers: dict[str, di.Provider[Any]] = {}
        self._pending_locations = list(locations)
        self._locations = tuple(locations)
        self._allow_import = allow_import
        self._lock = threading.RLock()
        self._compiler = ConfigCompiler(self.resolve_type)
        if parent is not None:
            parent._adopt(self)
        for key, (target, lifetime) in self._declared.items():
            self._register(target, [key], force=False, lifetime=lifetime)

    # -- the tree -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def parent(self) -> Registry | None:
        return self._parent

    @property
    def children(self) -> dict[str, Registry]:
        """The child registries by scope (a copy)."""
        return dict(self._children)

    @property
    def root(self) -> Registry:
        *_, root = ancestors(self)
        return root

    @property
    def locations(self) -> tuple[str, ...]:
        return self._locations

    def _adopt(self, child: Registry) -> None:
        with self._lock:
            if child.scope in self._children:
                raise RegistryError(
                    f"registry {self._name!r} already has a child of scope {child.scope!r}; "
                    "give the new registry another scope"
                )
            self._children[child.scope] = child

    # -- registering --------------------------------------------------------------------

    @overload
    def register_module(
        self, name: str | Sequence[str] | None = None, force: bool = False, *, module: F
    ) -> F: ...
    @overload
    def register_module(
        self, name: str | Sequence[str] | None = None, force: bool = False, module: None = None
    ) -> Callable[[F], F]: ...
    def register_module(
        self,
        name: str | Sequence[str] | None = None,
        force: bool = False,
        module: F | None = None,
        *,
        lifetime: str = "factory",
    ) -> F | Callable[[F], F]:
        """Register a callable, as a decorator or directly.

        Args:
            name: The name, or a list of names (aliases); defaults to ``module.__name__``.
            force: Replace a callable already registered under the name.
            module: The callable; when given, it is registered and returned.
            lifetime: ``"factory"`` (a new object each build), ``"singleton"`` (one object
                for this registry; later builds must ask with the same arguments) or
                ``"resource"`` (one object, torn down by ``shutdown_resources()``); see
                :mod:`providers._lifetimes`.

        Returns:
            ``module`` when it is given, otherwise a decorator that registers its argument.

        Raises:
            TypeError: ``name`` is not a str or a list of str, ``force`` is not a bool,
                ``module`` is not callable, or a ``functools.partial`` comes without a name.
            RegistryError: The name is taken and ``force`` is false.
        """
        if not isinstance(force, bool):
            raise TypeError(f"force must be a bool, got {force!r}")
        names = _check_names(name)
        kind = check_lifetime(lifetime)
        if module is not None:
            self._register(module, names, force, kind)
            return module

        def decorator(target: F) -> F:
            self._register(target, names, force, kind)
            return target

        return decorator

    def _register_declared(self, name: str, provider: di.Provider[Any], force: bool) -> None:
        """``registry.Name = providers.Factory(Cls)``: register ``Cls`` as ``Name``."""
        target, lifetime = declared_entry(name, provider)
        self._register(target, _check_names(name), force, lifetime)

    def _unregister(self, name: str) -> None:
        del self._modules[name], self._providers[name]

    def _register(
        self,
        module: Any,
        names: list[str] | None,
        force: bool,
        lifetime: Lifetime = Lifetime.FACTORY,
    ) -> None:
        if not callable(module):
            raise TypeError(f"only callables can be registered, got {module!r}")
        if names is None:
            if isinstance(module, functools.partial):
                raise TypeError(
                    f"a functools.partial has no __name__; register {module!r} with a name"
                )
            names = [module.__name__]
        with self._lock:
            if not force:
                for key in names:
                    if key in self._modules:
                        existing = self._modules[key]
                        raise RegistryError(
                            f"{key!r} is already registered in {self._describe()} by "
                            f"{describe_target(existing)} (defined at {_origin(existing)}); "
                            "pass force=True to replace it",
                            config_path=None,
                        )
            for key in names:
                provider = provider_for(module, lifetime)
                old = self._providers.get(key)
                if old is not None and old.overridden:  # a replaced name keeps its overrides
                    for overriding in old.overridden:
                        provider.override(overriding)
                    self._retarget(old, provider)
                self._modules[key] = module
                self._providers[key] = provider

    # -- looking up ---------------------------------------------------------------------

    def get(self, key: str) -> Callable[..., Any] | None:
        """Return the callable registered as ``key``, or None.

        ``Name`` is searched in this registry, then its parents. ``scope.Name`` (at any depth:
        ``hound.little_hound.Dachshund``) is searched in the registry of that scope: this one,
        a child, or one reached through the root.
        """
        module = self._modules.get(key)  # the common case, without the search
        if module is not None:
            return module
        found = self._lookup(key)
        return None if found is None else found[1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not None

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    @property
    def module_dict(self) -> Mapping[str, Callable[..., Any]]:
        """This registry's own callables by name (read-only)."""
        return MappingProxyType(self._modules)

    @property
    def providers(self) -> dict[str, di.Provider[Any]]:  # type: ignore[override]
        """This registry's own providers by name, and a ``providers.Container`` for each child
        registry by its scope, as dependency-injector lists a container's providers (a copy:
        registering changes the registry).

        Override one (``registry.providers["Norm"].override(...)``) to change every later
        build that uses that name; :meth:`override` does it until undone.
        """
        return {**self._nested(), **self._providers}

    def _lookup(self, key: str) -> tuple[di.Provider[Any], Callable[..., Any]] | None:
        if "." in key:
            scope, rest = key.split(".", 1)
            registry = find_scope(self, scope)
            if registry is not None:
                found = registry._lookup(rest)
                if found is not None:
                    return found
        current: Registry | None = self
        while current is not None:
            module = current._modules.get(key)
            if module is not None:
                return current._providers[key], module
            current = current._parent
        if any(registry._pending_locations for registry in ancestors(self)):
            for registry in ancestors(self):
                registry._import_locations()
            return self._lookup(key)
        if self._allow_import and "." in key:
            return _import_target(key)
        return None

    def _import_locations(self) -> None:
        with self._lock:  # held while importing, so a racing lookup waits for the names
            pending, self._pending_locations = self._pending_locations, []
            for location in pending:
                importlib.import_module(location)

    def resolve_type(self, type_name: str, scope: str | None, node_path: str) -> di.Provider[Any]:
        """The provider a config node's ``type`` names: the compiler's and the validator's
        lookup, and the place a registry subclass extends it (``runner.DatasetRegistry`` also
        looks in the transforms).

        Args:
            type_name: The name as written (``ResNet``, ``mmdet.ResNet``).
            scope: The scope in force (``_scope_``, the default scope), searched first.
            node_path: The node's config path, for the error.

        Raises:
            RegistryError: Nothing is registered under that name (naming
                ``<node_path>.type``, with the nearest names).
        """
        if scope is None:
            provider = self._providers.get(type_name)  # the common case, without the search
            if provider is not None:
                return provider
        found = None
        if scope is not None and scope != self._scope and "." not in type_name:
            found = self._lookup(f"{scope}.{type_name}")
        if found is None:
            found = self._lookup(type_name)
        if found is None:
            raise self._unknown(type_name, join_path(node_path, "type"), scope)
        return found[0]

    def __repr__(self) -> str:
        rows = [(name, describe_target(module)) for name, module in self._modules.items()]
        width = max([len("name"), *(len(name) for name, _ in rows)])
        lines = [f"Registry {self._name!r} (scope {self._scope!r}, {len(rows)} entries)"]
        lines.append(f"  {'name':<{width}}  object")
        lines.extend(f"  {name:<{width}}  {target}" for name, target in rows)
        return "\n".join(lines)


def _check_names(name: object) -> list[str] | None:
    if name is None:
        return None
    if isinstance(name, str):
        names: Iterable[object] = [name]
    elif isinstance(name, list | tuple):
        names = name
    else:
        raise TypeError(f"name must be None, a str or a list of str, got {name!r}")
    checked = []
    for item in names:
        if not isinstance(item, str):
            raise TypeError(f"name must be None, a str or a list of str, got {name!r}")
        if not item or "." in item:
            raise ValueError(
                f"invalid name {item!r}: names are non-empty and have no '.', which "
                "separates scopes"
            )
        checked.append(item)
    return checked


def _origin(obj: Any) -> str:
    """Where a callable was defined, as ``file:line``, or its module."""
    target = obj.func if isinstance(obj, functools.partial) else obj
    try:
        lines = inspect.getsourcelines(target)
        return f"{inspect.getsourcefile(target)}:{lines[1]}"
    except (OSError, TypeError):
        return str(getattr(target, "__module__", "an unknown module"))


def _import_target(key: str) -> tuple[di.Provider[Any], Callable[..., Any]] | None:
    """Import ``package.module.Name`` (only for registries created with allow_import)."""
    module_name, _, attribute = key.rpartition(".")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return None
    return (provider_for(target), target) if callable(target) else None
