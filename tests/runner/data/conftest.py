"""Fixtures of the data tests."""

from __future__ import annotations

import pytest

from ._toys import REGISTERED


@pytest.fixture(scope="session")
def registered() -> None:
    """The test transforms and dataset, registered in the global registries under names that
    start with ``DataTest`` (``force=True``: registering again is harmless). They stay
    registered: the registries have no public way to remove a name."""
    for registry, entries in REGISTERED.items():
        for name, target in entries.items():
            registry.register_module(name=name, force=True, module=target)
