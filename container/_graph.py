"""A picture of a config's components: nodes with their type and lifetime, and edges for
nesting and references, written as Graphviz DOT or Mermaid text.

:func:`config_graph` reads a config alone (nothing is built, no name is resolved): each
top-level key is a component, each node nested in it a node of its own, and each ``${...}``
reference an edge to what it names. :func:`container_graph` adds what a dependency-injector
container wires in code: its named providers, which of them each one receives, and which
config section each one reads (so the training container's ``runner`` is drawn receiving the
``model`` it builds from the ``model:`` section).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dependency_injector import providers as di

from providers import RESERVED_KEYS, OnceSingleton, join_path

from ._references import Ref, Template, is_node, mark

if TYPE_CHECKING:
    from .config import Config


@dataclasses.dataclass(frozen=True)
class GraphNode:
    """One box of the picture: ``kind`` is component, node, value or provider."""

    id: str
    label: str
    kind: str
    type: str = ""
    lifetime: str = ""


@dataclasses.dataclass(frozen=True)
class Edge:
    """``source`` holds (``nests``), refers to (``refers``) or receives (``receives``)
    ``target``."""

    source: str
    target: str
    kind: str
    label: str = ""


@dataclasses.dataclass
class Graph:
    """Nodes by id, in the order they were found, and the edges between them."""

    nodes: dict[str, GraphNode] = dataclasses.field(default_factory=dict)
    edges: list[Edge] = dataclasses.field(default_factory=list)

    def add(self, node: GraphNode) -> None:
        self.nodes.setdefault(node.id, node)

    def connect(self, edge: Edge) -> None:
        if edge not in self.edges:
            self.edges.append(edge)

    def to_dot(self) -> str:
        """Graphviz DOT text (``dot -Tsvg`` draws it)."""
        lines = ["digraph regwire {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
        shapes = {"component": "box", "node": "box", "value": "note", "provider": "box"}
        for node in self.nodes.values():
            style = ', style="rounded,bold"' if node.kind in ("component", "provider") else ""
            label = "\\n".join(_quote(line) for line in _label_lines(node))
            lines.append(
                f'  "{_quote(node.id)}" [label="{label}", shape={shapes[node.kind]}{style}];'
            )
        for edge in self.edges:
            attributes = {"nests": "", "refers": ", style=dashed", "receives": ", style=bold"}
            label = f', label="{_quote(edge.label)}"' if edge.label else ""
            lines.append(
                f'  "{_quote(edge.source)}" -> "{_quote(edge.target)}" '
                f"[arrowhead=normal{attributes[edge.kind]}{label}];"
            )
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        """Mermaid flowchart text (GitHub draws it in a ``mermaid`` code block)."""
        lines = ["flowchart LR"]
        names = {node_id: f"n{index}" for index, node_id in enumerate(self.nodes)}
        for node in self.nodes.values():
            text = "<br/>".join(_mermaid_text(line) for line in _label_lines(node))
            open_, close = ("([", "])") if node.kind in ("component", "provider") else ("[", "]")
            lines.append(f'  {names[node.id]}{open_}"{text}"{close}')
        arrows = {"nests": "-->", "refers": "-.->", "receives": "==>"}
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in names:  # named by a reference only
                    names[end] = f"n{len(names)}"
                    lines.append(f'  {names[end]}["{_mermaid_text(end)}"]')
            label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
            lines.append(f"  {names[edge.source]} {arrows[edge.kind]}{label} {names[edge.target]}")
        return "\n".join(lines) + "\n"


def config_graph(
    cfg: Mapping[str, Any] | Config, *, top_lifetime: str = "singleton", registry: Any = None
) -> Graph:
    """The components of a config, their nested nodes and their references.

    Top-level plain values appear only when something refers to them. With ``registry``, a
    node without ``_lifetime_`` shows the lifetime its name was registered with, as an
    :class:`~container.ApplicationContainer` gives it.
    """
    graph = Graph()
    lifetimes = _Lifetimes(registry)
    marked = {key: mark(value, key) for key, value in _items(cfg)}
    referred = {ref.target[0] for ref in _all_refs(marked)}
    for key, value in marked.items():
        if is_node(value):
            lifetime = lifetimes.of(value, top_lifetime)
            graph.add(GraphNode(key, key, "component", _type_name(value["type"]), lifetime))
        elif _has_nodes_or_refs(value):
            graph.add(GraphNode(key, key, "component", "", top_lifetime))
        elif key in referred:
            graph.add(GraphNode(key, key, "value"))
        else:
            continue
        _walk(graph, key, value, key, lifetimes)
    return graph


class _Lifetimes:
    """The lifetime a node is drawn with: its ``_lifetime_``, else its registered one."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def of(self, node: Mapping[str, Any], default: str) -> str:
        if "_lifetime_" in node:
            return str(node["_lifetime_"])
        type_ = node["type"]
        found = (
            self._registry._lookup(type_)
            if self._registry is not None and isinstance(type_, str)
            else None
        )
        if found is not None:
            registered = _lifetime_of(found[0])
            if registered != "factory":
                return registered
        return default


def _walk(graph: Graph, owner: str, value: Any, path: str, lifetimes: _Lifetimes) -> None:
    if isinstance(value, Ref):
        _refer(graph, owner, value)
    elif isinstance(value, Template):
        for part in value.parts:
            if isinstance(part, Ref):
                _refer(graph, owner, part)
    elif isinstance(value, Mapping):
        node = is_node(value)
        if node and path != owner:
            lifetime = str(value.get("_lifetime_", "factory"))
            graph.add(
                GraphNode(path, path.rsplit(".", 1)[-1], "node", str(value["type"]), lifetime)
            )
            graph.connect(Edge(owner, path, "nests"))
            owner = path
        for key, item in value.items():
            if not (node and key in RESERVED_KEYS):
                _walk(graph, owner, item, join_path(path, key), lifetimes)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(graph, owner, item, join_path(path, index), lifetimes)


def _refer(graph: Graph, owner: str, ref: Ref) -> None:
    shown = ".".join(ref.target)
    graph.connect(Edge(owner, ref.target[0], "refers", "" if len(ref.target) == 1 else shown))


def container_graph(container: Any, cfg: Mapping[str, Any] | Config | None = None) -> Graph:
    """A dependency-injector container's named providers and the edges between them.

    An edge ``a ==> b`` says that provider ``a`` receives what ``b`` provides; ``a --> s``
    that it reads the config section ``s``, drawn with the nodes of ``cfg`` nested in it.
    """
    named = {
        name: provider
        for name, provider in container.providers.items()
        if not isinstance(provider, di.Configuration | di.Self)
    }
    ids = {id(provider): name for name, provider in named.items()}
    sections = config_graph(cfg, top_lifetime="") if cfg is not None else Graph()
    graph = Graph()
    owners: dict[str, str] = {}  # a section is drawn under the first provider that reads it
    for name, provider in named.items():
        for kind, target in _dependencies(provider, ids, set(named)):
            if kind == "provider" and target != name:
                graph.connect(Edge(name, target, "receives"))
            elif kind == "section" and target in sections.nodes:
                owners.setdefault(target, name)
    for name, provider in named.items():
        own = sections.nodes.get(name)
        type_ = own.type if own is not None and owners.get(name) == name else ""
        graph.add(GraphNode(name, name, "provider", type_, _lifetime_of(provider)))
    for key, owner in owners.items():
        if key != owner:
            graph.connect(Edge(owner, key, "nests"))
    for node in sections.nodes.values():
        graph.add(node)  # a section named as its provider is that provider's box already
    for edge in sections.edges:
        graph.connect(edge)
    graph.edges.sort(key=lambda edge: edge.kind != "receives")
    return graph


def _dependencies(
    provider: di.Provider[Any], ids: Mapping[int, str], names: set[str]
) -> Iterator[tuple[str, str]]:
    """("provider", name) for each named provider ``provider`` receives, ("section", key)
    for each config section it reads; found through the providers it holds."""
    seen: set[int] = set()
    stack = list(provider.related)
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if id(current) in ids:  # another named provider: an edge, not a path to follow
            yield "provider", ids[id(current)]
            continue
        if isinstance(current, di.ConfigurationOption):
            yield "section", current.get_name().split(".")[1]
            continue
        if isinstance(current, di.AttributeGetter) and current.name in names:
            yield "provider", current.name  # __self__.provided.<name>
        if isinstance(current, di.Provider):
            stack.extend(current.related)


def _lifetime_of(provider: di.Provider[Any]) -> str:
    if isinstance(provider, di.BaseSingleton | OnceSingleton):
        return "singleton"
    if isinstance(provider, di.Resource):
        return "resource"
    return "factory"


def _items(cfg: Mapping[str, Any] | Config) -> Iterator[tuple[str, Any]]:
    to_dict = getattr(cfg, "to_dict", None)
    plain = to_dict() if callable(to_dict) else cfg
    for key, value in plain.items():
        if isinstance(key, str) and not key.startswith("_"):
            yield key, value


def _all_refs(value: Any) -> Iterator[Ref]:
    from ._references import references

    yield from references(value)


def _has_nodes_or_refs(value: Any) -> bool:
    from ._references import holds_nodes

    return holds_nodes(value)


def _type_name(type_: object) -> str:
    """A node's ``type`` as written, or a callable's qualified name (a Python config's)."""
    if isinstance(type_, str):
        return type_
    return str(getattr(type_, "__qualname__", type_))


def _label_lines(node: GraphNode) -> list[str]:
    lines = [node.label]
    if node.type:
        lines.append(node.type)
    if node.lifetime and node.lifetime != "factory":
        lines.append(f"({node.lifetime})")
    return lines


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")
