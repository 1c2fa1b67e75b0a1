"""The default scope: which registries resolve ``type`` names first, in every build.

MMEngine's ``DefaultScope``: a run with ``default_scope: mmdet`` (or after
``init_default_scope("mmdet")``) builds ``{type: RetinaNet}`` from the registry of scope
``mmdet`` in the registry's tree first, then from the registry asked, as if the config had said
``mmdet.RetinaNet``. ``_scope_`` in a node does the same for that node and what it holds;
``Registry.switch_scope_and_registry(scope)`` for a ``with`` block.

The default scope is process-wide, as MMEngine's is (a run sets it once). Unlike MMEngine,
regwire imports nothing when it is set: the registries of a scope are there when the package
that makes them was imported (``custom_imports``); ``regwire check`` reports a default scope that
names no registry, and a build under it falls back to the registry asked.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from providers import CURRENT_SCOPE

_lock = threading.RLock()
_names = itertools.count()
CURRENT = CURRENT_SCOPE
"""``CURRENT[0]``: the scope name in force (held by the bottom layer, which a node's
``_scope_`` sets while the node's callable runs)."""


class DefaultScope:
    """A named default scope; the last one made (or made current again) is in force.

    Args:
        name: The instance's name (MMEngine's ``ManagerMixin`` names every instance).
        scope_name: The scope whose registries resolve names first.
    """

    _instances: ClassVar[dict[str, DefaultScope]] = {}
    _stack: ClassVar[list[DefaultScope]] = []

    def __init__(self, name: str, scope_name: str) -> None:
        if not isinstance(scope_name, str) or not scope_name:
            raise TypeError(f"scope_name must be a non-empty str, got {scope_name!r}")
        self._instance_name = name
        self._scope_name = scope_name

    @property
    def scope_name(self) -> str:
        return self._scope_name

    @property
    def instance_name(self) -> str:
        return self._instance_name

    @classmethod
    def get_instance(cls, name: str, *, scope_name: str | None = None) -> DefaultScope:
        """The instance called ``name``, made (with ``scope_name``) and put in force if new.

        Raises:
            TypeError: ``name`` is new and no ``scope_name`` is given.
        """
        with _lock:
            instance = cls._instances.get(name)
            if instance is None:
                if scope_name is None:
                    raise TypeError(f"no default scope {name!r} yet: give its scope_name")
                instance = cls._instances[name] = cls(name, scope_name)
                cls._push(instance)
            return instance

    @classmethod
    def get_current_instance(cls) -> DefaultScope | None:
        """The default scope in force, or None."""
        with _lock:
            return cls._stack[-1] if cls._stack else None

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        return name in cls._instances

    @classmethod
    @contextmanager
    def overwrite_default_scope(cls, scope_name: str | None) -> Iterator[None]:
        """Put ``scope_name`` in force for a ``with`` block (nothing changes for None)."""
        if scope_name is None:
            yield
            return
        instance = cls(f"overwrite-{next(_names)}", scope_name)
        with _lock:
            cls._push(instance)
        try:
            yield
        finally:
            with _lock:
                if instance in cls._stack:
                    cls._stack.remove(instance)
                CURRENT[0] = cls._stack[-1].scope_name if cls._stack else None

    @classmethod
    def _push(cls, instance: DefaultScope) -> None:
        cls._stack.append(instance)
        CURRENT[0] = instance.scope_name

    @classmethod
    def _reset(cls) -> None:
        """Forget every default scope (for tests)."""
        with _lock:
            cls._instances.clear()
            cls._stack.clear()
            CURRENT[0] = None

    def __repr__(self) -> str:
        return f"DefaultScope({self._instance_name!r}, scope_name={self._scope_name!r})"


def init_default_scope(scope: str) -> None:
    """Put ``scope`` in force for the rest of the process, as MMEngine's function does."""
    with _lock:
        current = DefaultScope.get_current_instance()
        if current is not None and current.scope_name == scope:
            return
        name = (
            scope if not DefaultScope.check_instance_created(scope) else f"{scope}-{next(_names)}"
        )
        DefaultScope.get_instance(name, scope_name=scope)
