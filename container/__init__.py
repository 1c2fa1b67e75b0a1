"""regwire's middle layer: registries (dependency-injection containers) and configs.

A :class:`Registry` is a dependency-injector container of named providers;
:class:`ApplicationContainer` makes a container of named, shared components from a config.

``validate(cfg, registry)`` (or ``registry.validate(cfg)``) finds every problem a config would
meet when built, without calling anything; ``check`` raises them as one ``ValidationError``.

Depends on ``providers`` only; never imports torch or ``runner``. ``Config``,
``ConfigDict``, ``ApplicationContainer`` and the validator are imported on first use, so
code that only uses registries does not pay for the YAML, file and signature machinery.
"""

from typing import TYPE_CHECKING, Any

from providers import node_at

from ._building import build_from_cfg
from ._container_face import Overriding
from ._default_scope import DefaultScope, init_default_scope
from ._errors import BuildError, ConfigError, RegistryError, RegwireError, did_you_mean, nearest
from ._registry import Registry

if TYPE_CHECKING:
    from ._application import ApplicationContainer
    from ._validate import ValidationError, check, locate, validate
    from .config import Config, ConfigDict, DictAction

_LAZY = {
    "Config": ".config",
    "ConfigDict": ".config",
    "DictAction": ".config",
    "ApplicationContainer": "._application",
    "ValidationError": "._validate",
    "check": "._validate",
    "locate": "._validate",
    "validate": "._validate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(module, __name__), name)
    raise AttributeError(f"module 'container' has no attribute {name!r}")


__all__ = [
    "ApplicationContainer",
    "BuildError",
    "Config",
    "ConfigDict",
    "ConfigError",
    "DefaultScope",
    "DictAction",
    "Overriding",
    "Registry",
    "RegistryError",
    "RegwireError",
    "ValidationError",
    "build_from_cfg",
    "check",
    "did_you_mean",
    "init_default_scope",
    "locate",
    "nearest",
    "node_at",
    "validate",
]
