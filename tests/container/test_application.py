"""Application containers from a config: shared components, references, lifetimes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import containers, providers

from container import ApplicationContainer, Config, ConfigError, Registry, ValidationError

EVENTS: list[str] = []


class Connection:
    def __init__(self, url: str) -> None:
        self.url = url
        EVENTS.append(f"open {url}")

    def close(self) -> None:
        EVENTS.append(f"close {self.url}")


class Broken:
    def __init__(self, connection: Connection) -> None:
        raise RuntimeError("cannot start")


def channel(name: str, connection: Connection) -> Iterator[str]:
    EVENTS.append(f"set up {name}")
    yield f"{name} on {connection.url}"
    EVENTS.append(f"tear down {name}")


class Service:
    def __init__(self, connection: Connection, title: str = "") -> None:
        self.connection = connection
        self.title = title


class Settings:
    def __init__(self, retries: int = 1) -> None:
        self.retries = retries


@pytest.fixture(autouse=True)
def _clear() -> None:
    EVENTS.clear()


@pytest.fixture
def registry() -> Registry:
    registry = Registry("app", scope="application-tests")
    registry.register_module(module=Connection, lifetime="resource")
    registry.register_module(module=Broken)
    registry.register_module(module=channel)
    registry.register_module(module=Service)
    registry.register_module(module=Settings, lifetime="singleton")
    return registry


CFG: dict[str, Any] = {
    "settings": {"host": "db.local", "port": 5432},
    "db": {"type": "Connection", "url": "pg://${settings.host}:${settings.port}/shop"},
    "orders": {"type": "Service", "connection": "${db}", "title": "orders"},
    "report": {"type": "Service", "connection": "${db}", "title": "at ${db.url}"},
}


def test_every_reference_gets_the_one_component(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(CFG, registry)
    assert isinstance(app, containers.Container)
    orders, report = app.orders(), app.report()
    assert orders.connection is report.connection is app.db()
    assert app.orders() is orders  # top-level nodes are singletons by default
    assert report.title == "at pg://db.local:5432/shop"
    assert app.settings() == {"host": "db.local", "port": 5432}
    other = ApplicationContainer.from_cfg(CFG, registry)
    assert other.db() is not app.db()  # one object per container instance
    app.shutdown_resources()
    other.shutdown_resources()


def test_config_overrides_reach_the_component_and_its_referrers(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(CFG, registry)
    with app.config.settings.host.override("test.local"):
        assert app.db().url == "pg://test.local:5432/shop"
        assert app.report().title == "at pg://test.local:5432/shop"
    app.config.orders.title.override("changed")
    assert app.orders().title == "changed"
    app.shutdown_resources()


def test_a_component_override_reaches_every_referrer(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(CFG, registry)

    class FakeConnection:
        url = "fake://"

    app.db.override(FakeConnection())
    assert app.orders().connection.url == "fake://"
    assert app.report().connection is app.orders().connection
    assert EVENTS == []  # the real connection was never opened


def test_resources_are_torn_down_in_reverse_order(registry: Registry) -> None:
    cfg = {
        **CFG,
        "audit": {
            "type": "channel",
            "name": "audit",
            "connection": "${db}",
            "_lifetime_": "resource",
        },
    }
    with ApplicationContainer.from_cfg(cfg, registry) as app:
        assert app.audit() == "audit on pg://db.local:5432/shop"
        assert EVENTS == ["open pg://db.local:5432/shop", "set up audit"]
    assert EVENTS[2:] == ["tear down audit", "close pg://db.local:5432/shop"]


def test_set_up_failing_halfway_tears_down_what_was_set_up(registry: Registry) -> None:
    cfg = {**CFG, "broken": {"type": "Broken", "connection": "${db}"}}
    app = ApplicationContainer.from_cfg(cfg, registry)
    with pytest.raises(Exception, match="cannot start"):
        app.broken()
    assert EVENTS == ["open pg://db.local:5432/shop"]
    app.shutdown_resources()
    assert EVENTS == ["open pg://db.local:5432/shop", "close pg://db.local:5432/shop"]
    app.shutdown_resources()  # twice: nothing left to close
    assert len(EVENTS) == 2


def test_init_resources_sets_up_in_declaration_order(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(CFG, registry)
    app.init_resources()
    assert EVENTS == ["open pg://db.local:5432/shop"]
    app.shutdown_resources()


def test_lifetimes_of_top_level_components(registry: Registry) -> None:
    cfg = {
        "db": {"type": "Connection", "url": "x://"},
        "fresh": {"type": "Service", "connection": "${db}", "_lifetime_": "factory"},
        "settings": {"type": "Settings", "retries": 3},
        "other_settings": {"type": "Settings", "retries": 4},
    }
    app = ApplicationContainer.from_cfg(cfg, registry)
    assert app.fresh() is not app.fresh()
    assert app.fresh().connection is app.fresh().connection
    # A name registered as a singleton is one object per node of this container, not one
    # for the whole registry, so two components may build it with other arguments.
    assert app.settings().retries == 3
    assert app.other_settings().retries == 4
    app.shutdown_resources()


def test_literal_dollar_and_lists(registry: Registry) -> None:
    cfg = {
        "db": {"type": "Connection", "url": r"cost \${not a reference}"},
        "names": ["${db.url}", "plain"],
        "pair": ["${db}", "${db}"],
    }
    app = ApplicationContainer.from_cfg(cfg, registry)
    assert app.db().url == "cost ${not a reference}"
    assert app.names() == ["cost ${not a reference}", "plain"]
    first, second = app.pair()
    assert first is second is app.db()
    app.shutdown_resources()


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (
            {"db": {"type": "Connection", "url": "${setings.host}"}, "settings": {"host": "h"}},
            r"'db.url' refers to 'setings.host', but there is no top-level key 'setings'; "
            r"did you mean 'settings'\?",
        ),
        (
            {"db": {"type": "Connection", "url": "${settings.hots}"}, "settings": {"host": "h"}},
            r"'db.url' refers to 'settings.hots', but 'settings' has no 'hots'; did you mean",
        ),
        (
            {
                "a": {"type": "Service", "connection": "${b}"},
                "b": {"type": "Service", "connection": "${a}"},
            },
            r"reference cycle: a -> b -> a",
        ),
        ({"a": "${b}", "b": "${a}"}, r"reference cycle: \$\{b\} -> \$\{a\} -> \$\{b\}"),
        (
            {
                "s": {"type": "Service", "connection": {"type": "Connection", "url": "u"}},
                "t": {"type": "Service", "connection": "${s.connection}"},
            },
            r"inside the node at 's.connection', which its parent builds afresh",
        ),
        ({"db": {"type": "Connection", "url": "${}"}}, r"empty or malformed reference"),
        ({"wire": 1}, r"'wire' is a name the container itself uses"),
        ({"_private": 1}, r"'_private' is not a component name"),
    ],
)
def test_reference_errors(registry: Registry, cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ApplicationContainer.from_cfg(cfg, registry)


def test_components_are_checked_before_anything_is_built(registry: Registry) -> None:
    cfg = {
        "db": {"type": "Connection", "url": 5},
        "svc": {"type": "Servise", "connection": "${db}"},
        "ok": {"type": "Service", "connection": "${db}", "titel": "x"},
    }
    with pytest.raises(ValidationError) as caught:
        ApplicationContainer.from_cfg(cfg, registry)
    paths = sorted(problem.config_path or "" for problem in caught.value.problems)
    assert paths == ["db.url", "ok.titel", "svc.type"]
    assert EVENTS == []
    unchecked = ApplicationContainer.from_cfg({"db": cfg["db"]}, registry, check=False)
    assert unchecked.db().url == 5  # not checked: built as written
    unchecked.shutdown_resources()


def test_errors_name_the_file_and_line(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("db:\n  type: Connection\n  url: ${dbb.url}\n")
    with pytest.raises(ConfigError) as caught:
        ApplicationContainer.from_cfg(Config.fromfile(path), registry)
    assert f"{path}:3" in str(caught.value)


def test_wiring_through_an_application_container(registry: Registry) -> None:
    from dependency_injector.wiring import Provide, inject

    app = ApplicationContainer.from_cfg(CFG, registry)

    @inject
    def title(service: Service = Provide["report"]) -> str:
        return service.title

    import sys

    module = sys.modules[__name__]
    module.title_for_wiring = title  # type: ignore[attr-defined]
    app.wire(modules=[module])
    try:
        assert module.title_for_wiring() == "at pg://db.local:5432/shop"  # type: ignore[attr-defined]
    finally:
        app.unwire()
        app.shutdown_resources()


def test_eight_threads_ask_for_a_component_at_once(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(CFG, registry)
    barrier = threading.Barrier(8)
    seen: list[Any] = []

    def ask() -> None:
        barrier.wait()
        seen.append(app.orders().connection)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert all(connection is seen[0] for connection in seen)
    assert EVENTS == ["open pg://db.local:5432/shop"]
    app.shutdown_resources()


def test_nested_in_a_declarative_container(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(CFG, registry)

    class Outer(containers.DeclarativeContainer):
        inner = providers.DependenciesContainer()
        summary = providers.Callable(lambda service: service.title, inner.report)

    outer = Outer(inner=app)
    assert outer.summary() == "at pg://db.local:5432/shop"
    app.shutdown_resources()


def test_a_registry_override_reaches_singleton_and_resource_components(
    registry: Registry,
) -> None:
    class FakeConnection:
        url = "fake://"

    with (
        registry.override("Connection", FakeConnection()),
        registry.override("Settings", providers.Object("fake settings")),
    ):
        app = ApplicationContainer.from_cfg({**CFG, "settings_obj": {"type": "Settings"}}, registry)
        with app:
            assert app.orders().connection is app.db()
            assert app.db().url == "fake://"
            assert app.settings_obj() == "fake settings"
    assert EVENTS == []  # the real connection was never opened, nor closed


def test_values_built_from_references_follow_config_overrides(registry: Registry) -> None:
    app = ApplicationContainer.from_cfg(
        {"settings": {"host": "h1"}, "url": "pg://${settings.host}", "alias": "${settings.host}"},
        registry,
    )
    assert (app.url(), app.alias()) == ("pg://h1", "h1")
    app.config.settings.host.override("h2")
    assert (app.url(), app.alias()) == ("pg://h2", "h2")


def test_names_the_container_uses_are_refused(registry: Registry) -> None:
    for name in ("providers", "parent", "overridden", "wiring_config", "provider_type"):
        with pytest.raises(ConfigError, match=f"'{name}' is a name the container itself uses"):
            ApplicationContainer.from_cfg({name: 1}, registry)


def test_an_app_with_a_resource_can_be_nested_and_copied(registry: Registry) -> None:
    import copy

    app = ApplicationContainer.from_cfg(CFG, registry)

    class Outer(containers.DeclarativeContainer):
        inner = providers.Container(app)

    outer = Outer()
    outer.inner.db()
    outer.shutdown_resources()
    assert EVENTS == ["open pg://db.local:5432/shop", "close pg://db.local:5432/shop"]
    copied = copy.deepcopy(app)
    copied.db()
    copied.shutdown_resources()
    assert EVENTS[-1] == "close pg://db.local:5432/shop"


def test_a_resource_that_cannot_be_closed_names_the_node(registry: Registry) -> None:
    from container import BuildError

    registry.register_module(name="number", module=lambda: 42)
    app = ApplicationContainer.from_cfg(
        {"n": {"type": "number", "_lifetime_": "resource"}}, registry
    )
    with pytest.raises(BuildError, match=r"'n' \(type 'number'\) made 'int', which cannot be a"):
        app.n()


def test_an_unquoted_reference_in_a_flow_mapping_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("a: {type: Service, connection: ${db}}\n")
    with pytest.raises(ConfigError, match=r'quote a reference: "\$\{name\}"'):
        Config.fromfile(path)


class Reader:
    """Takes configs it reads itself (an OpenMMLab-style ``norm_cfg``)."""

    def __init__(self, norm_cfg=None, loss: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
        self.norm_cfg = norm_cfg
        self.loss = loss


def test_configs_a_component_reads_itself_get_values_and_references(registry: Registry) -> None:
    registry.register_module(module=Reader, force=True)
    cfg = {
        "settings": {"eps": 0.5},
        "reader": {
            "type": "Reader",
            "norm_cfg": {"type": "BN", "requires_grad": False},
            "loss": {"type": "Focal", "weight": "${settings.eps}"},
        },
    }
    app = ApplicationContainer.from_cfg(cfg, registry, check=False)
    reader = app.reader()
    assert reader.norm_cfg == {"type": "BN", "requires_grad": False}  # no markers inside
    assert reader.loss == {"type": "Focal", "weight": 0.5}
    app.config.settings.eps.override(0.25)
    assert ApplicationContainer.from_cfg(cfg, registry).reader().loss["weight"] == 0.5
