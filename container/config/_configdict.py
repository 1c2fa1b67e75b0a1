"""``ConfigDict``: a dict whose keys are also attributes, nested all the way down."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from providers import copy_plain

from .._errors import did_you_mean


def wrap(value: Any) -> Any:
    """Return ``value`` with every plain dict in it, in lists and tuples too, a ConfigDict."""
    kind = type(value)
    if kind is dict or kind is OrderedDict:
        return ConfigDict(value)
    if kind is list:
        return [wrap(item) for item in value]
    if kind is tuple:
        return tuple(wrap(item) for item in value)
    return value


def to_config(value: Any) -> Any:
    """Return a copy of ``value`` in which every mapping is a new ConfigDict (no sharing)."""
    if isinstance(value, dict):
        result = ConfigDict()
        for key, item in value.items():
            dict.__setitem__(result, key, to_config(item))
        return result
    if isinstance(value, list):
        return [to_config(item) for item in value]
    if isinstance(value, tuple):
        return tuple(to_config(item) for item in value)
    return value


class ConfigDict(dict[str, Any]):
    """A ``dict`` whose keys can be read and written as attributes: ``cfg.model.depth``.

    Plain dicts stored in it, directly or inside lists and tuples, become ConfigDicts, so
    attribute access works at every depth. It is a real ``dict``: it compares, pickles and
    deep-copies as one, and ``ConfigDict(mapping)`` or ``ConfigDict(key=value)`` build one.

    Example:
        >>> cfg = ConfigDict(model=dict(type="ResNet", depth=50))
        >>> cfg.model.depth
        50
        >>> cfg.model.dept
        Traceback (most recent call last):
        ...
        AttributeError: 'ConfigDict' has no key 'dept'; did you mean 'depth'?
    """

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in dict.items(self):
            wrapped = wrap(value)
            if wrapped is not value:
                dict.__setitem__(self, key, wrapped)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            hint = did_you_mean(name, [key for key in self if isinstance(key, str)])
            raise AttributeError(f"'ConfigDict' has no key {name!r}{hint}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, wrap(value))

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *(key for key in self if isinstance(key, str))]

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Like ``dict.setdefault``; a plain dict default is stored as a ConfigDict."""
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Like ``dict.update`` (not a deep merge); plain dicts are stored as ConfigDicts."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def copy(self) -> ConfigDict:
        """Return a shallow copy that is a ConfigDict."""
        return ConfigDict(self)

    def __copy__(self) -> ConfigDict:
        return ConfigDict(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ConfigDict, (dict(self),))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.__reduce__()

    def to_dict(self) -> dict[str, Any]:
        """Return a plain ``dict`` copy, with plain dicts and lists (tuples stay tuples) inside."""
        return {key: copy_plain(value) for key, value in self.items()}

    def __repr__(self) -> str:
        return f"ConfigDict({self.to_dict()!r})"
