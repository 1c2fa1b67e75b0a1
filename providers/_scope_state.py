"""The default scope in force: which registries' names a build resolves first.

It lives in the bottom layer because a node's ``_scope_`` is put in force while the node's
callable runs (so that a class building its own configs, as OpenMMLab's do, finds names in that
scope); :mod:`container._default_scope` manages it (MMEngine's ``DefaultScope``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT: list[str | None] = [None]
"""``CURRENT[0]``: the scope name in force, read by every build (a list, so that readers see
changes without a function call)."""


class InScope:
    """Calls ``target`` with ``scope`` in force as the default scope, then restores it."""

    __slots__ = ("__wrapped__", "_target", "scope")

    def __init__(self, scope: str, target: Callable[..., Any]) -> None:
        self.scope = scope
        self.__wrapped__ = getattr(target, "provides", None) or target
        self._target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        before = CURRENT[0]
        CURRENT[0] = self.scope
        try:
            return self._target(*args, **kwargs)
        finally:
            CURRENT[0] = before
