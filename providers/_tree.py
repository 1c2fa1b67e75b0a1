"""Finding a node in a compiled provider tree by its config path."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers


def node_at(tree: providers.Provider[Any], path: str) -> providers.Provider[Any]:
    """Return the provider at a dotted config path in a compiled tree.

    The returned provider can be overridden (``node_at(tree, "backbone.norm").override(...)``)
    so that every later call of ``tree`` uses the replacement there.

    Raises:
        KeyError: No provider stands at that path.
    """
    node: providers.Provider[Any] = tree
    for part in filter(None, path.split(".")):
        children = _children(node)
        child = children.get(part)
        if child is None:
            raise KeyError(f"no node at {path!r}: {part!r} is not among {sorted(children)}")
        if not isinstance(child, providers.Provider):
            raise KeyError(f"no provider at {path!r}: {part!r} is a plain value, {child!r}")
        node = child
    return node


def _children(node: providers.Provider[Any]) -> dict[str, Any]:
    """The arguments of a node by name (list items by their index as a string)."""
    if (
        isinstance(node, providers.Callable)
        and isinstance(node.provides, type)
        and len(node.args) == 1
        and isinstance(node.args[0], providers.Dict | providers.List)
    ):
        node = node.args[0]  # tuple(...) or a dict subclass wrapped around a List or Dict
    if isinstance(node, providers.List):
        return {str(index): item for index, item in enumerate(node.args)}
    if isinstance(node, providers.Dict | providers.Callable):
        return {str(key): item for key, item in node.kwargs.items()}
    return {}
