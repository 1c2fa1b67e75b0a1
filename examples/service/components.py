"""The components of a small order service, in a declared registry.

``service.yaml`` wires them: one SQLite connection (a resource, closed when the app ends) is
shared by the inventory and the order book, and ``main`` places a few orders and prints a
report. Run it from the repository root::

    regwire run examples/service/service.yaml --registry examples.service.components:SERVICES

``tests/examples/test_service.py`` swaps the connection for a fake.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from dependency_injector import providers

from container import Registry


class Database(Protocol):
    """What the components need of a connection (``sqlite3.Connection`` has it)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def commit(self) -> None: ...


def connect(path: str, schema: Sequence[str] = ()) -> sqlite3.Connection:
    """Open the database and create its tables; the container closes it (``close()``)."""
    connection = sqlite3.connect(path)
    for statement in schema:
        connection.execute(statement)
    return connection


class Inventory:
    """Stock levels, in the shared database."""

    def __init__(self, db: Database, stock: Mapping[str, int]) -> None:
        self.db = db
        for item, count in stock.items():
            db.execute("INSERT OR REPLACE INTO stock VALUES (?, ?)", (item, count))
        db.commit()

    def take(self, item: str, count: int) -> bool:
        row = self.db.execute("SELECT count FROM stock WHERE item = ?", (item,)).fetchone()
        if row is None or row[0] < count:
            return False
        self.db.execute("UPDATE stock SET count = count - ? WHERE item = ?", (count, item))
        return True


class OrderBook:
    """Orders, in the same database; an order takes its items from the inventory."""

    def __init__(self, db: Database, inventory: Inventory) -> None:
        self.db = db
        self.inventory = inventory

    def place(self, customer: str, item: str, count: int) -> bool:
        accepted = self.inventory.take(item, count)
        self.db.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?)", (customer, item, count, int(accepted))
        )
        self.db.commit()
        return accepted


class Shop:
    """The entry point: place the configured orders, print what happened, return 0 when
    every order was accepted, else 1 (``regwire run`` exits with it)."""

    def __init__(
        self, orders: OrderBook, requests: Sequence[Mapping[str, Any]], title: str
    ) -> None:
        self.orders = orders
        self.requests = requests
        self.title = title

    def __call__(self) -> int:
        print(self.title)
        results = []
        for request in self.requests:
            accepted = self.orders.place(request["customer"], request["item"], request["count"])
            results.append(accepted)
            verdict = "accepted" if accepted else "refused"
            print(f"  {request['customer']}: {request['count']} x {request['item']} {verdict}")
        return 0 if all(results) else 1


class Services(Registry, name="service", scope="shop"):
    """The service's registry, declared: each entry with its lifetime."""

    connect = providers.Resource(connect)
    Inventory = providers.Singleton(Inventory)
    OrderBook = providers.Factory(OrderBook)
    Shop = providers.Factory(Shop)


SERVICES = Services()
