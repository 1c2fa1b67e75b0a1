"""Components shared by the registry benchmarks, importable by dotted path (for Hydra).

``BUILD`` is how a component builds a child it was given: MMEngine-style components call
their registry's ``build`` on their arguments, so the MMEngine run sets it to that; every other
system builds children first, so it stays the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _identity(value: Any) -> Any:
    return value


BUILD: Callable[[Any], Any] = _identity


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


class Backbone:
    def __init__(self, depth: int, norm: Any) -> None:
        self.depth = depth
        self.norm = BUILD(norm)


class Head:
    def __init__(self, num_classes: int) -> None:
        self.num_classes = num_classes


class Model:
    def __init__(self, backbone: Any, head: Any) -> None:
        self.backbone = BUILD(backbone)
        self.head = BUILD(head)


class Node:
    def __init__(self, value: int = 0, children: Any = ()) -> None:
        self.value = value
        self.children = [BUILD(child) for child in children]
