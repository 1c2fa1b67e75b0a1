"""regwire's middle layer: registries (dependency-injection containers) and configs.

Depends on ``providers`` only; never imports torch or ``runner``. ``Config`` and
``ConfigDict`` are imported on first use, so code that only uses registries does not pay for
the YAML and file machinery (``import container`` stays within 1.2x of importing
dependency-injector itself).
"""

from typing import TYPE_CHECKING, Any

from providers import node_at

from ._errors import BuildError, ConfigError, RegistryError, RegwireError, did_you_mean, nearest
from ._registry import Registry

if TYPE_CHECKING:
    from .config import Config, ConfigDict

_LAZY = frozenset({"Config", "ConfigDict"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'container' has no attribute {name!r}")


__all__ = [
    "BuildError",
    "Config",
    "ConfigDict",
    "ConfigError",
    "Registry",
    "RegistryError",
    "RegwireError",
    "did_you_mean",
    "nearest",
    "node_at",
]
