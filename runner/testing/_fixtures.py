"""The pytest fixtures: each undoes what it did when the test ends, passed or failed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._app import AppFactory
from ._overrides import Overrides, isolated_global_state

if TYPE_CHECKING:
    from dependency_injector import providers as di

    from container import Registry

    from ..app import Runner


@pytest.fixture
def regwire_overrides() -> Iterator[Overrides]:
    """An :class:`Overrides` whose overrides are undone when the test ends, the last first."""
    with Overrides() as overrides:
        yield overrides


@pytest.fixture
def regwire_override(regwire_overrides: Overrides) -> Callable[[Registry, str, Any], Any]:
    """``regwire_override(registry, name, replacement)``: every build of ``name`` gets
    ``replacement`` for the rest of the test (:meth:`Overrides.name`)."""
    return regwire_overrides.name


@pytest.fixture
def regwire_override_provider(
    regwire_overrides: Overrides,
) -> Callable[[di.Provider[Any], Any], Any]:
    """``regwire_override_provider(provider, replacement)``: ``provider`` gives
    ``replacement`` for the rest of the test (:meth:`Overrides.provider`)."""
    return regwire_overrides.provider


@pytest.fixture
def regwire_app(tmp_path: Path) -> Iterator[AppFactory]:
    """``regwire_app(cfg_or_path, overrides=..., cfg_options=...)``: a training container with
    its work dir in ``tmp_path`` (:class:`AppFactory`). What seeding changes globally is
    restored after the test (:func:`isolated_global_state`)."""
    factory = AppFactory(tmp_path)
    with isolated_global_state():
        yield factory
    factory.close()


@pytest.fixture
def regwire_runner(regwire_app: AppFactory) -> Callable[..., Runner]:
    """``regwire_runner(cfg_or_path, overrides=..., cfg_options=...)``: the runner of a
    ``regwire_app`` container (:meth:`AppFactory.runner`)."""
    return regwire_app.runner
