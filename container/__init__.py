"""regwire's middle layer: registries (dependency-injection containers) and configs.

Depends on ``providers`` only; never imports torch or ``runner``.
"""

from providers import node_at

from ._errors import BuildError, ConfigError, RegistryError, RegwireError, did_you_mean, nearest
from ._registry import Registry
from .config import Config, ConfigDict

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
