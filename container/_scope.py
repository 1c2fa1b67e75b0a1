"""Scopes: which scope a new registry gets, and how scoped names find their registry.

A registry's scope names it inside its tree, so that ``mypkg.ResNet`` reaches the registry of
scope ``mypkg`` from any registry of the same tree. When ``Registry(...)`` is not given a scope,
it takes one by this rule:

* created inside a package (a module whose ``__package__`` is set, such as ``mypkg.models``):
  the top-level package name, ``mypkg``;
* created anywhere else (a script run as ``__main__``, a top-level module, a notebook): the
  registry's own name. A script never ends up in a scope named after the script's file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Protocol, Self, TypeVar


class ScopedNode(Protocol):
    """The part of a registry that scope lookups walk."""

    @property
    def scope(self) -> str: ...
    @property
    def parent(self) -> Self | None: ...
    @property
    def children(self) -> dict[str, Self]: ...


T = TypeVar("T", bound=ScopedNode)


def infer_scope(name: str, stacklevel: int) -> str:
    """Return the scope for a registry created ``stacklevel`` frames above this call."""
    frame = sys._getframe(stacklevel + 1)
    package = frame.f_globals.get("__package__") or ""
    module = frame.f_globals.get("__name__", "")
    if package and module != "__main__":
        return package.split(".", 1)[0]
    return name


def ancestors(node: T) -> Iterator[T]:
    """Yield ``node``, its parent, its parent's parent, up to the root."""
    current: T | None = node
    while current is not None:
        yield current
        current = current.parent


def find_scope(start: T, scope: str) -> T | None:
    """Find the registry of ``scope`` nearest to ``start``.

    Looks at ``start`` itself, then its subtree, then the subtree of each ancestor in turn
    (nearest first, breadth-first), so siblings are reached through the root and the closest
    match wins when two branches use the same scope.
    """
    seen: set[int] = set()
    for ancestor in ancestors(start):
        queue = [ancestor]
        while queue:
            node = queue.pop(0)
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.scope == scope:
                return node
            queue.extend(node.children.values())
    return None
