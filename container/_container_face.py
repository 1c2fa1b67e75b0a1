"""The dependency-injector side of a registry: a registry is a ``DynamicContainer``.

Its registered names are its providers (``MODELS.ResNet``, ``MODELS.providers["any-name"]``),
its child registries are sub-containers (``ROOT.model``), and it nests
(``providers.Container(MODELS)``), overrides (``MODELS.override(FakeModels)``), wires
(``Provide["models.ResNet"]``) and closes resources (``shutdown_resources()``) as any
dependency-injector container does.

Two things differ from a plain ``DynamicContainer``, on purpose:

* A registry is shared, not copied. A declarative container that nests one
  (``models = providers.Container(MODELS)``) gives every instance the same registry, because a
  registry is the process's table of names; an override through one instance is seen by all,
  until it is undone. Overrides are process-wide, as dependency-injector's are.
* An override names only names the registry has. ``override(container)`` refuses a container
  that provides a name the registry does not know (dependency-injector skips it in silence),
  and undoing it restores exactly the providers it replaced, also when overrides were undone
  out of order.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Self

from dependency_injector import containers, errors
from dependency_injector import providers as di

from ._errors import RegistryError, did_you_mean
from ._scope import ancestors, find_scope

_NOT_GIVEN: Any = object()


class Overriding:
    """An override in force; undone by :meth:`undo` or on leaving its ``with`` block.

    Returned by :meth:`RegistryContainer.override`. Undoing twice does nothing.
    """

    __slots__ = ("_undo",)

    def __init__(self, undo: Callable[[], None]) -> None:
        self._undo: Callable[[], None] | None = undo

    def undo(self) -> None:
        undo, self._undo = self._undo, None
        if undo is not None:
            undo()

    def __enter__(self) -> Overriding:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.undo()


Replaced = list[tuple[di.Provider[Any], di.Provider[Any]]]
"""What an override did: (the registry's provider, the provider that now overrides it)."""


class _Entry:
    """One override made through a registry: the container it came from (None for a name),
    the providers it replaced, and the overrides it made of child registries."""

    __slots__ = ("children", "record", "replaced")

    def __init__(self, record: Any, replaced: Replaced, children: list[Overriding]) -> None:
        self.record = record
        self.replaced = replaced
        self.children = children


class RegistryContainer(containers.DynamicContainer):
    """The container half of :class:`container.Registry` (see the module docstring)."""

    # Set by the registry's __init__; declared here for the methods below.
    _providers: dict[str, di.Provider[Any]]
    _children: dict[str, Any]
    _lock: threading.RLock
    _overridings: list[_Entry]
    _made: list[_Entry]
    _retired: collections.deque[di.Provider[Any]]
    _modules: dict[str, Any]
    _name: str
    _scope: str
    _allow_import: bool

    def _init_container(self) -> None:
        """What ``DynamicContainer.__init__`` sets, but for ``parent`` and ``providers``:
        a registry's ``parent`` is its parent registry, and ``providers`` is read-only."""
        setattr_ = object.__setattr__
        setattr_(self, "provider_type", di.Provider)
        setattr_(self, "declarative_parent", None)
        setattr_(self, "wiring_config", containers.WiringConfiguration())
        setattr_(self, "wired_to_modules", [])
        setattr_(self, "wired_to_packages", [])
        setattr_(self, "__self__", di.Self(self))
        setattr_(self, "_container_parent", None)
        setattr_(self, "_overridings", [])  # container overrides, for reset_last_overriding
        setattr_(self, "_made", [])  # every override made through this registry
        setattr_(self, "_retired", collections.deque(maxlen=1024))

    # -- providers as attributes --------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        """A registered name's provider, or a child registry by its scope."""
        if name.startswith("__") or "_providers" not in self.__dict__:
            raise AttributeError(name)
        provider = self._providers.get(name)
        if provider is not None:
            return provider
        child = self._children.get(name)
        if child is not None:
            return child
        hint = did_you_mean(name, [*self._providers, *self._children])
        raise AttributeError(
            f"{self._describe()} has no registered name or child scope {name!r}{hint}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        """``registry.Name = providers.Factory(Cls)`` registers ``Cls`` as ``Name``."""
        if (
            isinstance(value, di.Provider)
            and not isinstance(value, di.Self)
            and not name.startswith("_")
        ):
            self._register_declared(name, value, force=True)  # an assignment replaces
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        with self._lock:
            if name in self._providers:
                self._unregister(name)
                return
        object.__delattr__(self, name)

    def set_provider(self, name: str, provider: di.Provider[Any]) -> None:
        self._register_declared(name, provider, force=True)

    def set_providers(self, **providers: di.Provider[Any]) -> None:
        for name, provider in providers.items():
            self.set_provider(name, provider)

    def __bool__(self) -> bool:  # a container is true, also while it holds no names
        return True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Leaving ``with registry:`` closes the resources it set up (``shutdown_resources``)."""
        self.shutdown_resources()

    # -- nesting ------------------------------------------------------------------------

    def __call__(self) -> Self:
        """Return the registry itself, so that ``providers.Container(MODELS)`` nests it."""
        return self

    def __deepcopy__(self, memo: dict[str, Any] | None = None) -> Self:
        return self  # shared, never copied (see the module docstring)

    def __copy__(self) -> Self:
        return self

    def assign_parent(self, parent: Any) -> None:
        """Remember the ``providers.Container`` this registry is nested in (for names)."""
        object.__setattr__(self, "_container_parent", parent)

    @property
    def parent_name(self) -> str | None:
        parent = self.__dict__.get("_container_parent")
        return parent.parent_name if parent is not None else None

    def _nested(self) -> dict[str, di.Container[Any]]:
        """A ``providers.Container`` for each child registry, made once, by scope."""
        nested: dict[str, di.Container[Any]] = self.__dict__.setdefault("_nested_providers", {})
        for scope, child in list(self._children.items()):
            if scope not in nested:
                provider = di.Container(child)
                provider.assign_parent(self)
                nested[scope] = provider
        return dict(nested)

    def traverse(self, types: Any = None) -> Iterator[di.Provider[Any]]:  # type: ignore[override]
        """This registry's providers and those of its child registries, and what they hold."""
        yield from di.traverse(*self._providers.values(), types=types)
        for child in list(self._children.values()):
            yield from child.traverse(types=types)

    # -- overriding ---------------------------------------------------------------------

    @property
    def overridden(self) -> tuple[Any, ...]:  # type: ignore[override]
        """The containers overriding this registry, oldest first."""
        return tuple(entry.record for entry in self._overridings)

    def override(  # type: ignore[override]
        self, overriding: Any, replacement: Any = _NOT_GIVEN
    ) -> Overriding:
        """Override registered names; the override holds until undone.

        ``override(container)`` replaces the provider of each name the container (a
        dependency-injector container, its class, or another registry) provides, as
        dependency-injector's ``Container.override`` does; a ``providers.Container`` in it
        named as a child registry's scope overrides that child. ``override(name,
        replacement)`` replaces one name with a class, function, provider or ready object.
        Either way every later build uses the replacement, nested builds and compiled trees
        included. A name found in a parent registry is overridden there, for every registry
        that reaches it.

        Returns:
            An :class:`Overriding`: use it as a ``with`` block, or call its ``undo()``;
            :meth:`reset_last_overriding` undoes the last container override.

        Raises:
            RegistryError: A name is not registered here (nothing is overridden then).
            dependency_injector.errors.Error: A registry overriding itself.
        """
        if replacement is not _NOT_GIVEN or isinstance(overriding, str):
            return self._override_names({overriding: replacement}, record=None)
        if overriding is self:
            raise errors.Error(f"Container {self} could not be overridden with itself")
        offered = getattr(overriding, "providers", None)
        if not isinstance(offered, Mapping):
            raise TypeError(
                "override() takes a container (its providers replace the registered names "
                f"they share) or a name and a replacement, got {overriding!r}"
            )
        return self._override_names(dict(offered), record=overriding)

    def _override_names(self, replacements: Mapping[str, Any], record: Any) -> Overriding:
        from providers import replacement_provider

        with self._lock:
            found = {name: self._lookup(name) for name in replacements}
            children = {  # a nested container named as a child's scope overrides the child
                name: self._children[name]
                for name, hit in found.items()
                if hit is None
                and name in self._children
                and hasattr(replacements[name], "providers")
            }
            missing = sorted(
                name for name, hit in found.items() if hit is None and name not in children
            )
            if missing:
                raise self._unknown_names(missing)
            done: list[Overriding] = []
            try:
                for name, child in children.items():
                    nested = replacements[name]
                    done.append(child.override(getattr(nested, "container", nested)))
            except BaseException:
                for handle in reversed(done):
                    handle.undo()
                raise
            replaced: Replaced = []
            for name, replacement in replacements.items():
                if name not in children:
                    provider = found[name][0]  # type: ignore[index]
                    new = replacement_provider(replacement)
                    provider.override(new)
                    replaced.append((provider, new))
            entry = _Entry(record, replaced, done)
            self._made.append(entry)
            if record is not None:
                self._overridings.append(entry)
        return Overriding(lambda: self._undo(entry))

    def _unknown_names(self, names: list[str]) -> RegistryError:
        if len(names) == 1:
            return self._unknown(names[0], "")
        visible = {name for registry in ancestors(self._as_node()) for name in registry._providers}

        def one(name: str) -> str:
            hint = did_you_mean(name, visible).removeprefix("; ")
            return f"{name!r} ({hint})" if hint else repr(name)

        return RegistryError(
            f"{', '.join(map(one, names))} are not registered in {self._describe()}; "
            "nothing was overridden"
        )

    def _undo(self, entry: _Entry) -> None:
        with self._lock:
            self._overridings[:] = [kept for kept in self._overridings if kept is not entry]
            self._made[:] = [kept for kept in self._made if kept is not entry]
            for provider, new in reversed(entry.replaced):
                _remove_overriding(provider, new)
                # A thread may still be inside ``new``: dependency-injector calls it without
                # holding a reference of its own, so it is kept alive a while longer.
                self._retired.append(new)
            for handle in reversed(entry.children):
                handle.undo()

    def _retarget(self, old: di.Provider[Any], new: di.Provider[Any]) -> None:
        """A name's provider was replaced: overrides made of ``old``, through any registry of
        the tree, are now undone on ``new``."""
        root: Any = self
        while root.parent is not None:
            root = root.parent
        stack: list[Any] = [root]
        while stack:
            registry = stack.pop()
            for entry in registry._made:
                entry.replaced = [(new if p is old else p, n) for p, n in entry.replaced]
            stack.extend(registry._children.values())

    def reset_last_overriding(self) -> None:
        """Undo the last container override (names overridden one by one are left)."""
        with self._lock:
            if not self._overridings:
                raise errors.Error(f"Container {self._describe()} is not overridden")
            entry = self._overridings[-1]
        self._undo(entry)

    def reset_override(self) -> None:
        """Undo every override made through this registry (also of names it reaches in its
        parents and children) and every override of its own providers, whoever made it."""
        with self._lock:
            for entry in reversed(list(self._made)):
                self._undo(entry)
            for provider in self._providers.values():
                self._retired.extend(provider.overridden)
                provider.reset_override()

    # Supplied by Registry.
    def _lookup(self, key: str) -> tuple[di.Provider[Any], Callable[..., Any]] | None:
        raise NotImplementedError

    def _unknown(self, key: str, config_path: str, scope: str | None = None) -> RegistryError:
        visible = {name for registry in ancestors(self._as_node()) for name in registry._modules}
        scoped: Any = find_scope(self, scope) if scope is not None else None
        if scoped is not None:  # the scope in force: its names are the likely ones
            visible |= {name for registry in ancestors(scoped) for name in registry._modules}
        hint = did_you_mean(key.rsplit(".", 1)[-1], visible)
        if not hint and "." in key and not self._allow_import:
            hint = (
                "; dotted import paths are not resolved unless the registry is created "
                "with allow_import=True"
            )
        return RegistryError(
            f"{key!r} is not registered in {self._describe()}{hint}",
            config_path=config_path or None,
        )

    def _as_node(self) -> Any:
        """This registry, as the scope walks take it (its parent, scope and children)."""
        return self

    def _describe(self) -> str:
        return f"registry {self._name!r} (scope {self._scope!r})"

    def _register_declared(self, name: str, provider: di.Provider[Any], force: bool) -> None:
        raise NotImplementedError

    def _unregister(self, name: str) -> None:
        raise NotImplementedError


def _remove_overriding(provider: di.Provider[Any], overriding: di.Provider[Any]) -> None:
    """Take ``overriding`` off ``provider``, leaving the providers' other overrides as they were."""
    stack = list(provider.overridden)
    if not stack:
        return
    if stack[-1] is overriding:
        provider.reset_last_overriding()
        return
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] is overriding:
            del stack[index]
            provider.reset_override()
            for remaining in stack:
                provider.override(remaining)
            return
