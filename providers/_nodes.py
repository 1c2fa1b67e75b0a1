"""Providers for registered callables and for the replacements that override them."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from dependency_injector import providers


def provider_for(target: Any) -> providers.Provider[Any]:
    """Return the provider that stands for a registered callable.

    Classes become :class:`~dependency_injector.providers.Factory` providers, every other
    callable (functions, ``functools.partial`` objects) a
    :class:`~dependency_injector.providers.Callable`. Calling the provider with arguments calls
    the target with them, or whatever overrides the provider.

    Config nodes call the target directly while the provider is not overridden, so change what
    a name builds by overriding its provider, not by adding arguments to it.
    """
    if isinstance(target, type):
        return providers.Factory(target)
    return providers.Callable(target)


def replacement_provider(replacement: Any) -> providers.Provider[Any]:
    """Return a provider that overrides a registered one with ``replacement``.

    A provider is used as it is. Classes, functions and ``functools.partial`` objects are
    called with the node's arguments; anything else (a ready object, even a callable one such
    as an ``nn.Module``) is returned as it is, whatever the arguments.
    """
    if isinstance(replacement, providers.Provider):
        return replacement
    if isinstance(replacement, type | functools.partial) or inspect.isroutine(replacement):
        return provider_for(replacement)
    return providers.Object(replacement)
