"""default_scope in a run's config: names resolve in that scope's registries first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from container import ConfigError, DefaultScope
from container._default_scope import DefaultScope as _Scopes
from runner import MODELS, ModelRegistry, Runner

from ..conftest import ToyModel
from .test_app import toy_cfg

SCOPED = ModelRegistry("model", parent=MODELS, scope="test-default-scope")


@MODELS.register_module(name="ScopeToy", force=True)
class PlainToy(ToyModel):
    """The name as the run's own registry has it."""


@SCOPED.register_module(name="ScopeToy", force=True)
class ScopedToy(ToyModel):
    """The same name, in a scope of its own."""


@pytest.fixture(autouse=True)
def _no_default_scope() -> Iterator[None]:
    _Scopes._reset()
    yield
    _Scopes._reset()


def test_the_default_scope_picks_the_scoped_registration() -> None:
    model = {"type": "ScopeToy"}
    assert type(Runner.from_cfg(toy_cfg(model=model)).model) is PlainToy
    scoped = Runner.from_cfg(toy_cfg(model=model, default_scope="test-default-scope"))
    assert type(scoped.model) is ScopedToy
    assert DefaultScope.get_current_instance().scope_name == "test-default-scope"  # type: ignore[union-attr]


def test_an_unknown_default_scope_is_an_error_with_the_nearest_scope() -> None:
    with pytest.raises(ConfigError, match=r"'default_scope' is 'test-defualt-scope'.*did you mean"):
        Runner.from_cfg(toy_cfg(default_scope="test-defualt-scope"))
