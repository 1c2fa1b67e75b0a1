"""Registries as dependency-injection containers, outside of training.

Run it: ``python examples/registry_container.py``. It registers a few components, wires them
into a dependency-injector application container from a config dict, and shows the two ways a
test replaces a component: overriding a registered name, and overriding one node.
"""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from container import Registry, node_at

SERVICES = Registry("service", scope="example")


@SERVICES.register_module()
class Database:
    def __init__(self, url: str) -> None:
        self.url = url

    def fetch(self, key: str) -> str:
        return f"{key} from {self.url}"


@SERVICES.register_module()
class Cache:
    def __init__(self, backend: Database, size: int = 128) -> None:
        self.backend = backend
        self.size = size

    def get(self, key: str) -> str:
        return self.backend.fetch(key)


@SERVICES.register_module()
class Api:
    def __init__(self, cache: Cache, name: str) -> None:
        self.cache = cache
        self.name = name

    def handle(self, key: str) -> str:
        return f"{self.name}: {self.cache.get(key)}"


CONFIG: dict[str, Any] = {
    "type": "Api",
    "name": "shop",
    "cache": {"type": "Cache", "size": 16, "backend": {"type": "Database", "url": "pg://prod"}},
}


class Application(containers.DeclarativeContainer):
    """An application container whose `api` provider is compiled from the config."""

    api = providers.Singleton(SERVICES.provider(CONFIG))


class FakeDatabase:
    def fetch(self, key: str) -> str:
        return f"{key} from memory"


def main() -> list[str]:
    lines = []
    app = Application()
    lines.append(app.api().handle("user:1"))

    # 1. Override a registered name: every build of Database uses the fake.
    app.api.reset()
    with SERVICES.override("Database", FakeDatabase()):
        lines.append(app.api().handle("user:1"))

    # 2. Override one node of a provider tree, by its config path.
    tree = SERVICES.provider(CONFIG)
    with node_at(tree, "cache.backend").override(providers.Object(FakeDatabase())):
        lines.append(tree().handle("user:2"))
    lines.append(tree().handle("user:2"))
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
