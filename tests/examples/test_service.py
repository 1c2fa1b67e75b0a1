"""The service example: a YAML-declared application, run from the command line, and its
connection swapped for a fake in tests (a plain override, and the pytest plugin's fixture)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from container import ApplicationContainer, Config
from examples.service.components import SERVICES
from runner.app.cli import main

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "examples" / "service" / "service.yaml"
REGISTRY = "examples.service.components:SERVICES"


class SpyDatabase:
    """A fake connection: a private in-memory database that records every statement."""

    def __init__(self) -> None:
        self.real = sqlite3.connect(":memory:")
        self.real.execute("CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER)")
        self.real.execute("CREATE TABLE orders (customer TEXT, item TEXT, count INTEGER, ok INT)")
        self.statements: list[str] = []

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        self.statements.append(sql.split()[0])
        return self.real.execute(sql, parameters)

    def commit(self) -> None:
        self.statements.append("COMMIT")


def _app() -> ApplicationContainer:
    return ApplicationContainer.from_cfg(Config.fromfile(CONFIG), SERVICES)


def test_runs_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(CONFIG), "--registry", REGISTRY],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "orders at the corner shop",
        "  ada: 3 x apples accepted",
        "  bob: 2 x pears accepted",
    ]


def test_a_refused_order_is_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["run", str(CONFIG), "--registry", REGISTRY, "--cfg-options", "main.requests.1.count=5"]
    )
    assert status == 1
    assert "bob: 5 x pears refused" in capsys.readouterr().out


def test_the_two_components_share_one_connection_which_is_closed_at_the_end() -> None:
    with _app() as app:
        db = app.db()
        assert app.inventory().db is db
        assert app.orders().db is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_the_connection_swapped_for_a_fake_by_a_plain_override() -> None:
    app = _app()
    spy = SpyDatabase()
    app.db.override(spy)
    with app:
        assert app.main()() == 0
    assert app.inventory().db is spy
    assert spy.statements.count("INSERT") == 4  # two stock rows, two orders
    assert spy.real.execute("SELECT customer FROM orders").fetchall() == [("ada",), ("bob",)]


def test_the_connection_swapped_for_a_fake_by_the_pytest_plugin(
    regwire_override_provider: Callable[[Any, Any], Any],
) -> None:
    app = _app()
    spy = regwire_override_provider(app.db, SpyDatabase())
    with app:
        assert app.main()() == 0
    assert "UPDATE" in spy.statements


def test_a_wrong_registry_or_component_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", str(CONFIG), "--registry", "examples.service.components:SERVICE"]) == 2
    assert "has no registry 'SERVICE' (its registries: SERVICES)" in capsys.readouterr().err
    assert main(["run", str(CONFIG), "--registry", REGISTRY, "--call", "mian"]) == 2
    assert "no component 'mian'; did you mean 'main'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "settings.shop",
            "the component gives {'path': ':memory:', 'shop': 'corner shop'} (a dict)",
        ),
        ("inventory", "which cannot be called"),
    ],
)
def test_run_calls_only_what_can_be_called(
    option: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    component = option.split(".")[0]
    assert main(["run", str(CONFIG), "--registry", REGISTRY, "--call", component]) == 2
    assert message in capsys.readouterr().err


def test_an_exit_status_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from examples.service import components

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(components.Shop, "__call__", lambda self: 300)
        assert main(["run", str(CONFIG), "--registry", REGISTRY]) == 2
    assert "it returned 300, which is no exit status (0 to 255)" in capsys.readouterr().err
