"""The check of one config node against its registry, and the small checks every section's
check uses (a mapping, a check that raises its one problem)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from container import ConfigError, Registry, RegwireError
from providers import PATH

from ._schema import Problems

_PLAIN = (str, bytes, int, float, bool, list, tuple)


GIVEN: Any = ()
"""What stands for an argument a builder passes itself (a sampler's ``dataset``, an
optimizer's ``params``): a value no annotation check refuses."""


def node_problems(
    registry: Registry, value: Any, path: str, given: Mapping[str, Any] | None = None
) -> Problems:
    """The problems of a config node built by ``registry``. ``given`` are the arguments its
    builder passes as defaults, checked as the build passes them (a callable that does not
    take one is a problem). A ready object (Python configs) has none; a plain value is one."""
    if isinstance(value, Mapping):
        if "type" not in value:
            return [
                ConfigError(f"{PATH} needs a 'type' ({registry.name} registry)", config_path=path)
            ]
        return list(registry.validate(value, path=path, default_args=dict(given or {})))
    if isinstance(value, _PLAIN):
        return [
            ConfigError(
                f"{PATH} must be a config node ({{type: ...}}) for registry {registry.name!r}, "
                f"got {value!r}",
                config_path=path,
            )
        ]
    return []


def _mapping(value: Any, path: str, expected: str) -> Problems:
    if isinstance(value, Mapping):
        return []
    return [
        ConfigError(
            f"{PATH} must be {expected}, got {value!r} (a {type(value).__name__})",
            config_path=path,
        )
    ]


def _collect(check: Callable[[], object]) -> Problems:
    """Run a check that raises its one problem (a builder's own validation)."""
    try:
        check()
    except RegwireError as exc:
        return [exc]
    return []
