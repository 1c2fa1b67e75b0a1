"""One error family for everything a user can get wrong in a config or a registry.

``RegwireError`` and ``BuildError`` come from the bottom layer (``providers``), so every layer
raises the same types; this module adds the ones that belong to registries and configs.
"""

from __future__ import annotations

from providers import BuildError, RegwireError, did_you_mean, nearest


class RegistryError(RegwireError, KeyError):
    """A name is unknown to a registry, or registered twice."""


class ConfigError(RegwireError, ValueError):
    """A config file or override is malformed, names an unknown key, or cannot be loaded."""


__all__ = ["BuildError", "ConfigError", "RegistryError", "RegwireError", "did_you_mean", "nearest"]
