"""Providers for registered callables and for the replacements that override them."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from dependency_injector import providers

from ._errors import describe_target
from ._lifetimes import Lifetime, Managed, OnceResource, OnceSingleton


class _NothingInjected:
    """Makes a provider of a registered callable refuse arguments, attributes or a new target
    of its own: config nodes call the callable directly while the provider is not
    overridden, so those would be ignored there. Overriding is the way to change it.

    It is made with its callable alone, so making it (or a copy) passes nothing to refuse.
    """

    def _refuse(self, what: str) -> None:
        target = describe_target(self)
        raise TypeError(
            f"the provider of a registered callable ({target}) takes no {what} of its own "
            "(config nodes call the callable directly); override it instead: "
            f"provider.override(providers.Factory({target.rsplit('.', 1)[-1]}, ...))"
        )

    def set_provides(self, provides: Any) -> Any:
        current = getattr(self, "provides", None)
        if current is not None and provides is not current:  # a copy sets its callable once
            self._refuse("new callable")
        return super().set_provides(provides)  # type: ignore[misc]

    def add_args(self, *args: Any) -> Any:
        if args:
            self._refuse("arguments")
        return super().add_args(*args)  # type: ignore[misc]

    def set_args(self, *args: Any) -> Any:
        if args:
            self._refuse("arguments")
        return super().set_args(*args)  # type: ignore[misc]

    def add_kwargs(self, **kwargs: Any) -> Any:
        if kwargs:
            self._refuse("arguments")
        return super().add_kwargs(**kwargs)  # type: ignore[misc]

    def set_kwargs(self, **kwargs: Any) -> Any:
        if kwargs:
            self._refuse("arguments")
        return super().set_kwargs(**kwargs)  # type: ignore[misc]


class _Shared:
    """A registered name's provider is the registry's, never copied: a container that
    dependency-injector copies (``App()`` of a declarative ``App``) keeps referring to it, so
    the registry's overrides and resources stay the ones it uses."""

    def __deepcopy__(self, memo: Any) -> Any:
        return self


class RegisteredFactory(_Shared, _NothingInjected, providers.Factory[Any]):
    """The provider of a registered class (a ``Factory`` that takes no injections)."""

    def add_attributes(self, **kwargs: Any) -> Any:
        if kwargs:
            self._refuse("attributes")
        return super().add_attributes(**kwargs)

    def set_attributes(self, **kwargs: Any) -> Any:
        if kwargs:
            self._refuse("attributes")
        return super().set_attributes(**kwargs)


class RegisteredCallable(_Shared, _NothingInjected, providers.Callable[Any]):
    """The provider of a registered function (a ``Callable`` that takes no injections)."""


class RegisteredSingleton(_Shared, OnceSingleton):
    """The provider of a name registered as a singleton."""


class RegisteredResource(_Shared, OnceResource):
    """The provider of a name registered as a resource."""


def provider_for(target: Any, lifetime: Lifetime = Lifetime.FACTORY) -> providers.Provider[Any]:
    """Return the provider that stands for a registered callable.

    A ``singleton`` is an :class:`OnceSingleton` and a ``resource`` an :class:`OnceResource`
    (see :mod:`providers._lifetimes`); the rest of this text is about factories, the default.

    Classes get a :class:`RegisteredFactory`, every other callable (functions,
    ``functools.partial`` objects) a :class:`RegisteredCallable`: dependency-injector's
    ``Factory`` and ``Callable``. Calling the provider with arguments calls the target with
    them, or whatever overrides the provider.

    Config nodes call the target directly while the provider is not overridden, so the
    provider refuses arguments or a new target of its own (a ``TypeError``): change what a name
    builds by overriding its provider.
    """
    if lifetime is Lifetime.SINGLETON:
        return RegisteredSingleton(target)
    if lifetime is Lifetime.RESOURCE:
        return RegisteredResource(Managed(target))
    if isinstance(target, type):
        return RegisteredFactory(target)
    return RegisteredCallable(target)


def replacement_provider(replacement: Any) -> providers.Provider[Any]:
    """Return a provider that overrides a registered one with ``replacement``.

    A provider is used as it is. Classes, functions and ``functools.partial`` objects are
    called with the node's arguments; anything else (a ready object, even a callable one such
    as an ``nn.Module``) is returned as it is, whatever the arguments.
    """
    if isinstance(replacement, providers.Provider):
        return replacement
    if isinstance(replacement, type):
        return providers.Factory(replacement)
    if isinstance(replacement, functools.partial) or inspect.isroutine(replacement):
        return providers.Callable(replacement)
    return providers.Object(replacement)
