"""Declared entries: a dependency-injector provider read as a registered name's callable and
lifetime (``Database = providers.Resource(Database)`` in a declared registry)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from dependency_injector import providers as di

from providers import Lifetime

# Checked in order: a Singleton subclass is not a Factory, but a Resource is neither.
_KINDS: tuple[tuple[type[Any], Lifetime], ...] = (
    (di.BaseSingleton, Lifetime.SINGLETON),
    (di.Resource, Lifetime.RESOURCE),
    (di.Factory, Lifetime.FACTORY),
    (di.Callable, Lifetime.FACTORY),
)


def declared_entry(name: str, provider: di.Provider[Any]) -> tuple[Callable[..., Any], Lifetime]:
    """The callable and lifetime that ``provider`` declares for the entry ``name``.

    Raises:
        TypeError: ``provider`` is not a Factory, Callable, Singleton or Resource of a
            callable, or it carries arguments: a registered name takes its arguments from each
            config node (a default belongs in the callable's signature, or a
            ``functools.partial``).
    """
    lifetime = next((life for kind, life in _KINDS if isinstance(provider, kind)), None)
    if lifetime is None:
        raise TypeError(
            f"{name} = {type(provider).__name__}(...): a registry entry is a Factory, Callable, "
            "Singleton or Resource of a callable"
        )
    target = getattr(provider, "provides", None)
    if not callable(target):
        raise TypeError(f"{name}: {target!r} is not callable")
    if any(getattr(provider, field, None) for field in ("args", "kwargs", "attributes")):
        raise TypeError(
            f"{name} = {type(provider).__name__}({getattr(target, '__name__', target)}, ...): "
            "a registry entry takes its arguments from each config node, not from the "
            "declaration; put defaults in the callable's signature or register a "
            "functools.partial"
        )
    if isinstance(provider, di.Resource):
        target = getattr(target, "__wrapped__", target)  # DI wraps generator functions
    return target, lifetime


OPTIONS = ("name", "parent", "scope", "locations", "allow_import")
"""The options of a registry, which a declared registry may give in its class statement."""

Declared = Mapping[str, tuple[Callable[..., Any], Lifetime]]


def declare(
    cls: type, inherited: Mapping[str, Any], declared: Declared, options: Mapping[str, Any]
) -> tuple[Mapping[str, Any], Declared]:
    """Read a declared registry's class statement: its options and entries, added to those it
    inherits. The entries are taken off the class, so that an instance's attribute is the
    provider it registered.

    Raises:
        TypeError: An unknown option, or an entry :func:`declared_entry` refuses.
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError(
            f"{cls.__name__}: unknown registry option(s) {unknown}; the options are "
            f"{sorted(OPTIONS)}"
        )
    entries = dict(declared)
    for attribute, value in list(vars(cls).items()):
        if isinstance(value, di.Provider):
            entries[attribute] = declared_entry(f"{cls.__name__}.{attribute}", value)
            delattr(cls, attribute)
    return MappingProxyType({**inherited, **options}), MappingProxyType(entries)


def with_options(
    declared: Mapping[str, Any], name: str | None, given: Mapping[str, Any], not_given: object
) -> tuple[Any, ...]:
    """A registry's (name, parent, scope, locations, allow_import): what its constructor was
    given, else what its class declares, else the defaults.

    Raises:
        TypeError: No name anywhere.
    """
    defaults = {"parent": None, "scope": None, "locations": (), "allow_import": False}
    name = declared.get("name") if name is None else name
    if not isinstance(name, str):
        raise TypeError(f"a registry needs a name (a str), got {name!r}")
    values = [
        declared.get(key, defaults[key]) if given[key] is not_given else given[key]
        for key in OPTIONS[1:]
    ]
    return (name, *values)
