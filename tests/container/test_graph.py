"""The picture of a config: nodes, edges, and their DOT and Mermaid text."""

from __future__ import annotations

from dependency_injector import containers, providers

from container import Registry
from container._graph import Edge, config_graph, container_graph

CFG = {
    "settings": {"url": "x://"},
    "unused": {"level": 3},
    "db": {"type": "Connection", "url": "${settings.url}", "_lifetime_": "resource"},
    "service": {
        "type": "Service",
        "db": "${db}",
        "cache": {"type": "Cache", "size": 3},
        "handlers": [{"type": "Handler"}, "${db}"],
    },
}


def test_config_graph_has_components_nested_nodes_and_references() -> None:
    graph = config_graph(CFG)
    assert list(graph.nodes) == ["settings", "db", "service", "service.cache", "service.handlers.0"]
    assert graph.nodes["settings"].kind == "value"  # drawn because something refers to it
    assert "unused" not in graph.nodes
    assert graph.nodes["db"].lifetime == "resource"
    assert graph.nodes["service"].lifetime == "singleton"
    assert graph.nodes["service.cache"].type == "Cache"
    assert graph.nodes["service.cache"].lifetime == "factory"
    assert graph.edges == [
        Edge("db", "settings", "refers", "settings.url"),
        Edge("service", "db", "refers"),
        Edge("service", "service.cache", "nests"),
        Edge("service", "service.handlers.0", "nests"),
    ]


def test_registered_lifetimes_are_shown() -> None:
    registry = Registry("graph", scope="graph-tests")

    @registry.register_module(lifetime="resource")
    class Connection:
        def close(self) -> None: ...

    graph = config_graph({"db": {"type": "Connection"}}, registry=registry)
    assert graph.nodes["db"].lifetime == "resource"


def test_dot_and_mermaid_text() -> None:
    graph = config_graph(CFG)
    dot = graph.to_dot()
    assert dot.startswith("digraph regwire {")
    assert '"service" -> "db" [arrowhead=normal, style=dashed];' in dot
    assert '"db" [label="db\\nConnection\\n(resource)"' in dot
    mermaid = graph.to_mermaid()
    assert mermaid.splitlines()[0] == "flowchart LR"
    assert '  n1(["db<br/>Connection<br/>(resource)"])' in mermaid
    assert '  n1 -.->|"settings.url"| n0' in mermaid
    assert "  n2 --> n3" in mermaid


def test_container_graph_draws_what_providers_receive_and_read() -> None:
    class App(containers.DeclarativeContainer):
        __self__ = providers.Self()
        config = providers.Configuration()
        db = providers.Singleton(dict, url=config.db.url)
        repo = providers.Factory(list, db)
        api = providers.Singleton(dict, repo=__self__.provided.repo.call(), cache=config.cache)

    graph = container_graph(App, {"db": {"url": "u"}, "cache": {"type": "Cache"}})
    kinds = {(edge.source, edge.target, edge.kind) for edge in graph.edges}
    assert ("repo", "db", "receives") in kinds
    assert ("api", "repo", "receives") in kinds  # through __self__.provided
    assert ("api", "cache", "nests") in kinds  # the section it reads, drawn under it
    assert graph.nodes["db"].lifetime == "singleton"
    assert graph.nodes["repo"].lifetime == "factory"
    assert graph.nodes["cache"].type == "Cache"
