"""Building with a registry: ``build``, ``provider``, ``validate``, MMEngine's build functions
and the default scope.

A registry builds with regwire's compiler (nested nodes first, errors naming their config
path), unless it was made with a ``build_func`` (MMEngine's ``Registry(..., build_func=f)``,
``f(cfg, *args, registry=registry, **kwargs)``), which a child registry inherits. The
default scope (:mod:`container._default_scope`) is the scope names are resolved in first.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dependency_injector import providers as di

from providers import ConfigCompiler, RegwireError

from . import _default_scope
from ._default_scope import DefaultScope
from ._scope import find_scope

if TYPE_CHECKING:
    from ._validate import SourceOf

BuildFunc = Callable[..., Any]
"""``build_func(cfg, *args, registry=registry, **kwargs)``, as MMEngine calls it."""

_CURRENT = _default_scope.CURRENT


class RegistryBuilding:
    """The building half of :class:`container.Registry`."""

    _compiler: ConfigCompiler
    _build_func: BuildFunc | None
    _scope: str

    @property
    def build_func(self) -> BuildFunc | None:
        """MMEngine's ``build_func`` (None: regwire's compiler); settable, as MMEngine's
        attribute is, for a registry made before its build function."""
        return self._build_func

    @build_func.setter
    def build_func(self, build_func: BuildFunc | None) -> None:
        if build_func is not None and not callable(build_func):
            raise TypeError(f"build_func must be callable or None, got {build_func!r}")
        self._build_func = build_func

    def provider(self, cfg: Mapping[str, Any], **default_args: Any) -> di.Provider[Any]:
        """Compile a config into a provider tree without calling it.

        Each node is a provider that calls the registered callable of its ``type`` with the
        node's values (through its registered provider once that is overridden); nested nodes
        are nested providers. Every call of the tree builds a fresh object graph, and
        overrides of registered providers, or of any node (:func:`providers.node_at`), take
        effect at the next call. Names resolve in the default scope in force now first.

        Raises:
            RegistryError: A ``type`` is not registered (the message names its config path).
            BuildError: A node has no ``type`` or a malformed reserved key.
        """
        return self.provider_at("", cfg, **default_args)

    def build(self, cfg: Any, *args: Any, **default_args: Any) -> Any:
        """Build the object a config describes, nested components first.

        Every mapping with a ``type`` key, at any depth, is built with this registry (and its
        parents and scoped names; the default scope's registry first). ``default_args`` fill
        keys ``cfg`` lacks, and are passed as they are; MMEngine's spelling
        ``build(cfg, default_args={...})`` means the same. ``cfg`` (a dict, ``ConfigDict`` or
        ``Config``) is never changed. A value that is not a mapping is returned as it is.
        A registry made with a ``build_func`` calls it instead, with ``*args``.

        Raises:
            RegistryError: A ``type`` is not registered.
            BuildError: A node has no ``type``, or a callable rejected its arguments (the
                original exception is the ``__cause__``).
        """
        if self._build_func is not None:
            options = _for_build_func(self._build_func, default_args)
            return self._build_func(cfg, *args, **options, registry=self)
        if args:
            raise TypeError(
                f"build() takes the config and keyword default arguments, got {len(args)} more "
                "positional argument(s) (only a registry made with a build_func passes them on)"
            )
        if default_args:
            return self.build_at("", cfg, **default_args)
        if cfg.__class__ is not dict and not isinstance(cfg, Mapping):
            return cfg
        return self._compiler.build(cfg, scope=_CURRENT[0])  # the common case

    def build_at(self, path: str, cfg: Any, /, **default_args: Any) -> Any:
        """:meth:`build` a part of a larger config; errors name paths under ``path``.

        ``registry.build_at("optim_wrapper.optimizer", cfg)`` reports an unknown type as
        ``'optim_wrapper.optimizer.type'`` rather than ``'type'``.
        """
        if not isinstance(cfg, Mapping):
            return cfg
        return self._compiler.build(
            cfg, default_args=mmengine_defaults(default_args), path=path, scope=_CURRENT[0]
        )

    def provider_at(
        self, path: str, cfg: Mapping[str, Any], /, **default_args: Any
    ) -> di.Provider[Any]:
        """:meth:`provider` for a part of a larger config; errors name paths under ``path``."""
        return self._compiler.compile(
            cfg, default_args=mmengine_defaults(default_args), path=path, scope=_CURRENT[0]
        )

    def validate(
        self,
        cfg: Any,
        *,
        path: str = "",
        source_of: SourceOf | None = None,
        default_args: Mapping[str, Any] | None = None,
        given: Collection[str] = (),
    ) -> list[RegwireError]:
        """Find every problem that :meth:`build` would meet in ``cfg``, without calling anything.

        Each node's ``type`` must resolve here; its keys must be arguments of the callable;
        its required arguments must be there (not for ``_partial_`` nodes); its values must fit
        the annotations, nested nodes by what they build (see :mod:`container._validate`).

        Args:
            cfg: The config; a value that is not a mapping has nothing to check.
            path: Where ``cfg`` stands in a larger config (as for :meth:`build_at`).
            source_of: ``source_of(dotted_path)``, such as ``Config.source_of``: fills each
                problem's ``source`` from its path or the nearest ancestor that has one.
            default_args: What the build will be given for keys ``cfg`` lacks.
            given: Names of arguments the caller will pass itself (a dataloader's
                ``dataset``): counted as present.

        Returns:
            The problems, each with its ``config_path``; empty when there are none. Config
            mistakes are returned, never raised.
        """
        from ._validate import validate_with  # on first use: ``import container`` stays light

        return validate_with(
            self.resolve_type,
            cfg,
            path=path,
            source_of=source_of,
            default_args=default_args,
            given=given,
            scope=_CURRENT[0],
        )

    @contextmanager
    def switch_scope_and_registry(self, scope: str | None) -> Iterator[Any]:
        """Put ``scope`` in force as the default scope for a ``with`` block, and give the
        registry of the scope then in force (found in this registry's tree), or this one.

        MMEngine's method of the same name, except that it imports nothing (see
        :mod:`container._default_scope`).
        """
        with DefaultScope.overwrite_default_scope(scope):
            name = _CURRENT[0]
            found = find_scope(self, name) if name is not None else None  # type: ignore[type-var]
            yield found if found is not None else self

    # Supplied by Registry.
    def resolve_type(self, type_name: str, scope: str | None, node_path: str) -> di.Provider[Any]:
        raise NotImplementedError


def _for_build_func(build_func: BuildFunc, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keywords of ``build(cfg, **kwargs)`` as ``build_func`` takes them: passed on, as
    MMEngine passes them, unless they are not its parameters and it takes ``default_args``
    (MMEngine's build functions): then they are the default arguments
    (``MODELS.build(cfg, model=m)`` means ``default_args={'model': m}``)."""
    if not kwargs or (len(kwargs) == 1 and "default_args" in kwargs):
        return kwargs
    named = _packs_defaults(build_func)
    if named is None or set(kwargs) <= named:
        return kwargs
    return {"default_args": kwargs}


@functools.lru_cache(maxsize=64)
def _packs_defaults(build_func: BuildFunc) -> frozenset[str] | None:
    """The parameter names of a build function that takes ``default_args`` and no
    ``**kwargs`` (looked up once per function), or None."""
    try:
        parameters = inspect.signature(build_func).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(parameters) if "default_args" in parameters else None


def mmengine_defaults(default_args: dict[str, Any]) -> dict[str, Any]:
    """Accept MMEngine's ``build(cfg, default_args={...})`` beside ``build(cfg, **defaults)``."""
    if len(default_args) == 1 and isinstance(default_args.get("default_args"), Mapping):
        return dict(default_args["default_args"])
    return default_args


def build_from_cfg(
    cfg: Any, registry: RegistryBuilding, default_args: Mapping[str, Any] | None = None
) -> Any:
    """MMEngine's ``build_from_cfg``: build ``cfg`` with ``registry``, its nested nodes too.

    Unlike ``registry.build`` (which returns anything that is not a mapping as it is), it
    insists on a config, as MMEngine's does; and it never calls the registry's ``build_func``,
    so a ``build_func`` may call it.

    Raises:
        TypeError: ``cfg`` is not a mapping (a dict, ``ConfigDict`` or ``Config``), or
            ``default_args`` is neither a mapping nor None.
        BuildError: Neither ``cfg`` nor ``default_args`` gives a ``type``.
    """
    if not isinstance(cfg, Mapping):
        raise TypeError(f"cfg must be a dict, ConfigDict or Config, got {type(cfg).__name__}")
    if default_args is not None and not isinstance(default_args, Mapping):
        raise TypeError(
            f"default_args must be a mapping or None, got {type(default_args).__name__}"
        )
    return registry._compiler.build(cfg, default_args=default_args, scope=_CURRENT[0])
