"""regwire's pytest plugin (entry point ``pytest11: regwire``): fixtures that override a
registered name or a provider, or build a training app, for one test, and undo it after the
test even when it fails. Documented in ``runner.testing``.

pytest imports this module in every project where regwire is installed, before that project's
tests: so it has a name of its own and imports nothing of regwire until a fixture runs. A
project's own ``runner``, ``container`` or ``providers`` package then cannot stop pytest from
starting; ``-p no:regwire`` turns the plugin off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dependency_injector import providers as di

    from container import Registry
    from runner.app import Runner
    from runner.testing import AppFactory, Overrides


@pytest.fixture
def regwire_overrides() -> Iterator[Overrides]:
    """An ``Overrides`` whose overrides are undone when the test ends, the last first."""
    from runner.testing import Overrides

    with Overrides() as overrides:
        yield overrides


@pytest.fixture
def regwire_override(regwire_overrides: Overrides) -> Callable[[Registry, str, Any], Any]:
    """``regwire_override(registry, name, replacement)``: every build of ``name`` gets
    ``replacement`` for the rest of the test (``Overrides.name``)."""
    return regwire_overrides.name


@pytest.fixture
def regwire_override_provider(
    regwire_overrides: Overrides,
) -> Callable[[di.Provider[Any], Any], Any]:
    """``regwire_override_provider(provider, replacement)``: ``provider`` gives
    ``replacement`` for the rest of the test (``Overrides.provider``)."""
    return regwire_overrides.provider


@pytest.fixture
def regwire_app(tmp_path: Path) -> Iterator[AppFactory]:
    """``regwire_app(cfg_or_path, overrides=..., cfg_options=...)``: a training container with
    its work dir in ``tmp_path`` (``runner.testing.AppFactory``). What seeding changes
    globally is restored after the test (``runner.testing.isolated_global_state``)."""
    from runner.testing import AppFactory, isolated_global_state

    factory = AppFactory(tmp_path)
    with isolated_global_state():
        yield factory
    factory.close()


@pytest.fixture
def regwire_runner(regwire_app: AppFactory) -> Callable[..., Runner]:
    """``regwire_runner(cfg_or_path, overrides=..., cfg_options=...)``: the runner of a
    ``regwire_app`` container (``AppFactory.runner``)."""
    return regwire_app.runner
