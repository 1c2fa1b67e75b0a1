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

import functools
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dependency_injector import containers
from dependency_injector import providers as di

from providers import (
    PATH,
    Keys,
    RegwireError,
)

from ._app_tree import SCALARS, AppTree
from ._errors import ConfigError
from ._references import (
    Ref,
    Target,
    Template,
    build_order,
    holds_nodes,
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
        tree = AppTree(registry.resolve_type, self, marked, resolved)
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
    if kind in SCALARS:
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
        if kind in SCALARS:
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
