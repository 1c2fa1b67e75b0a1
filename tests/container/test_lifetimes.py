"""Lifetimes per registered name and per node, and declared registries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers

from container import BuildError, Registry, validate

EVENTS: list[str] = []


class Connection:
    def __init__(self, url: str = "mem://") -> None:
        self.url = url
        self.closed = False
        EVENTS.append(f"open {url}")

    def close(self) -> None:
        self.closed = True
        EVENTS.append(f"close {self.url}")


def session(url: str = "s://") -> Iterator[str]:
    EVENTS.append(f"set up {url}")
    yield f"session {url}"
    EVENTS.append(f"tear down {url}")


class Plain:
    def __init__(self, value: int = 0) -> None:
        self.value = value


class Client:
    def __init__(self, connection: Any) -> None:
        self.connection = connection


@pytest.fixture(autouse=True)
def _clear() -> None:
    EVENTS.clear()


@pytest.fixture
def services() -> Registry:
    registry = Registry("service", scope="lifetimes")
    registry.register_module(module=Connection, lifetime="resource")
    registry.register_module(module=session, lifetime="resource")
    registry.register_module(name="Settings", module=Plain, lifetime="singleton")
    registry.register_module(module=Plain)
    registry.register_module(module=Client)
    return registry


def test_factory_is_the_default(services: Registry) -> None:
    assert services.build({"type": "Plain"}) is not services.build({"type": "Plain"})


def test_a_singleton_name_builds_once_per_registry(services: Registry) -> None:
    first = services.build({"type": "Settings", "value": 1})
    assert services.build({"type": "Settings", "value": 1}) is first
    assert services.Settings() is not None  # the provider: no arguments asked
    with pytest.raises(BuildError, match=r"is a singleton: it was made once with \(value=1\)"):
        services.build({"type": "Settings", "value": 2})
    services.reset_singletons()
    assert services.build({"type": "Settings", "value": 2}).value == 2


def test_a_resource_name_is_set_up_once_and_torn_down(services: Registry) -> None:
    cfg = {"type": "Client", "connection": {"type": "Connection", "url": "db://a"}}
    one, two = services.build(cfg), services.build(cfg)
    assert one is not two
    assert one.connection is two.connection
    assert EVENTS == ["open db://a"]
    services.shutdown_resources()
    assert one.connection.closed
    assert EVENTS == ["open db://a", "close db://a"]
    assert services.build({"type": "session"}) == "session s://"
    services.shutdown_resources()
    assert EVENTS[-2:] == ["set up s://", "tear down s://"]


def test_leaving_a_with_block_closes_the_registry_resources(services: Registry) -> None:
    with services as registry:
        connection = registry.build({"type": "Connection", "url": "db://w"})
        assert not connection.closed
    assert connection.closed


def test_a_resource_that_cannot_be_closed_is_refused() -> None:
    registry = Registry("r", scope="lifetimes-refuse")
    registry.register_module(module=Plain, lifetime="resource")
    with pytest.raises(BuildError, match="cannot be a resource: a resource is a generator"):
        registry.build({"type": "Plain"})


def test_an_unknown_lifetime_is_refused_with_a_suggestion() -> None:
    registry = Registry("r", scope="lifetimes-bad")
    with pytest.raises(ValueError, match="did you mean 'singleton'"):
        registry.register_module(module=Plain, lifetime="singelton")
    registry.register_module(module=Plain)
    bad_lifetime = r"'x._lifetime_' must be one of .*did you mean 'resource'"
    with pytest.raises(BuildError, match=bad_lifetime):
        registry.provider_at("x", {"type": "Plain", "_lifetime_": "resorce"})
    problems = validate({"type": "Plain", "_lifetime_": "resorce"}, registry)
    assert [problem.config_path for problem in problems] == ["_lifetime_"]


def test_node_lifetimes_in_a_compiled_tree(services: Registry) -> None:
    tree = services.provider(
        {
            "type": "Client",
            "connection": {"type": "Plain", "value": 3, "_lifetime_": "singleton"},
        }
    )
    assert tree() is not tree()
    assert tree().connection is tree().connection  # the node is one object per tree
    fresh = services.provider({"type": "Client", "connection": {"type": "Plain"}})
    assert fresh().connection is not fresh().connection


def test_a_resource_node_needs_a_container(services: Registry) -> None:
    needs = r"'connection' is a resource \(_lifetime_: resource\), .* build\(\) has none"
    with pytest.raises(BuildError, match=needs):
        services.build(
            {"type": "Client", "connection": {"type": "Plain", "_lifetime_": "resource"}}
        )
    with pytest.raises(BuildError, match="cannot be both a partial and a resource"):
        services.provider({"type": "Plain", "_partial_": True, "_lifetime_": "resource"})


# -- declared registries --------------------------------------------------------------


class Services(Registry, name="service", scope="declared"):
    Connection = providers.Resource(Connection)
    session = providers.Resource(session)
    Settings = providers.Singleton(Plain)
    Plain = providers.Factory(Plain)


class MoreServices(Services, scope="declared-more"):
    Client = providers.Factory(Client)
    Plain = providers.Singleton(Plain)  # a subclass may change an entry's kind


def test_a_declared_registry_registers_its_entries() -> None:
    registry = Services()
    assert registry.name == "service"
    assert registry.scope == "declared"
    assert sorted(registry) == ["Connection", "Plain", "Settings", "session"]
    assert registry.get("session") is session  # the function, not dependency-injector's wrapper
    assert registry.build({"type": "Settings"}) is registry.build({"type": "Settings"})
    assert registry.build({"type": "Plain"}) is not registry.build({"type": "Plain"})
    connection = registry.build({"type": "Connection"})
    registry.shutdown_resources()
    assert connection.closed


def test_a_subclass_extends_a_declared_registry() -> None:
    registry = MoreServices(scope="declared-more-2")  # options can change per instance
    assert registry.scope == "declared-more-2"
    assert registry.name == "service"
    assert sorted(registry) == ["Client", "Connection", "Plain", "Settings", "session"]
    assert registry.build({"type": "Plain"}) is registry.build({"type": "Plain"})
    assert isinstance(registry.Client, providers.Provider)
    base = Services(scope="declared-2")
    assert "Client" not in base


def test_declarations_are_checked() -> None:
    with pytest.raises(TypeError, match="unknown registry option"):

        class Bad(Registry, nmae="x"):  # type: ignore[call-arg]
            pass

    with pytest.raises(TypeError, match="takes its arguments from each config node"):

        class WithArgs(Registry, name="x"):
            Plain = providers.Factory(Plain, value=3)

    with pytest.raises(TypeError, match="a registry needs a name"):
        Registry()
