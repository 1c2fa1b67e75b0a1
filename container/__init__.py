"""regwire's middle layer: registries (dependency-injection containers) and configs.

A :class:`Registry` is a dependency-injector container of named providers;
:class:`ApplicationContainer` makes a container of named, shared components from a config.

``validate(cfg, registry)`` (or ``registry.validate(cfg)``) finds every problem a config would
meet when built, without calling anything; ``check`` raises them as one ``ValidationError``.

Depends on ``providers`` only; never imports torch or ``runner``. ``Config`` and
``ConfigDict`` are imported on first use, so code that only uses registries does not pay for
the YAML and file machinery (``import container`` stays within 1.2x of importing
dependency-injector itself).
"""

from typing import TYPE_CHECKING, Any

from providers import node_at

from ._application import ApplicationContainer
from ._container_face import Overriding
from ._errors import BuildError, ConfigError, RegistryError, RegwireError, did_you_mean, nearest
from ._registry import Registry
from ._validate import ValidationError, check, locate, validate

if TYPE_CHECKING:
    from .config import Config, ConfigDict

_LAZY = frozenset({"Config", "ConfigDict"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'container' has no attribute {name!r}")


__all__ = [
    "ApplicationContainer",
    "BuildError",
    "Config",
    "ConfigDict",
    "ConfigError",
    "Overriding",
    "Registry",
    "RegistryError",
    "RegwireError",
    "ValidationError",
    "check",
    "did_you_mean",
    "locate",
    "nearest",
    "node_at",
    "validate",
]
