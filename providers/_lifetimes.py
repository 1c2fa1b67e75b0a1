"""Lifetimes: how long what a provider builds lives, and who closes it.

* ``factory`` (the default): a new object on every call.
* ``singleton``: one object per container instance, made on the first call.
* ``resource``: one object per container instance, set up on the first call and torn down by
  the container's ``shutdown_resources()`` (or on leaving its ``with`` block).

A resource is what its target makes of it: a generator function (the code before ``yield``
sets up, the code after it tears down, as dependency-injector's ``Resource`` does), a
context manager (``__enter__`` gives the object, ``__exit__`` tears down), or an object with a
``close()`` method (files, sockets, database connections), which is closed. ``close()`` wins
over ``__exit__`` where an object has both, because some (``sqlite3.Connection``) only
commit on ``__exit__``.

Singletons and resources take their arguments once. A later call with other arguments would
get the object made with the first ones, so it is refused rather than ignored.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from dependency_injector import providers

from ._errors import PATH, BuildError, describe_target, did_you_mean, join_path


class Lifetime(StrEnum):
    """The lifetimes a registered name or a config node (``_lifetime_``) can have."""

    FACTORY = "factory"
    SINGLETON = "singleton"
    RESOURCE = "resource"


LIFETIMES = tuple(str(lifetime) for lifetime in Lifetime)


def lifetime_of(value: object, path: str) -> Lifetime:
    """Read a node's ``_lifetime_`` value.

    Raises:
        BuildError: It is not one of :data:`LIFETIMES` (the nearest is suggested).
    """
    if isinstance(value, str) and value in LIFETIMES:
        return Lifetime(value)
    hint = did_you_mean(value, LIFETIMES) if isinstance(value, str) else ""
    raise BuildError(
        f"{PATH} must be one of {', '.join(LIFETIMES)}, got {value!r}{hint}",
        config_path=join_path(path, "_lifetime_"),
    )


def check_lifetime(value: object) -> Lifetime:
    """Read ``register_module(lifetime=...)``.

    Raises:
        ValueError: It is not one of :data:`LIFETIMES`.
    """
    if isinstance(value, str) and value in LIFETIMES:
        return Lifetime(value)
    hint = did_you_mean(value, LIFETIMES) if isinstance(value, str) else ""
    raise ValueError(f"lifetime must be one of {', '.join(LIFETIMES)}, got {value!r}{hint}")


class Overridden:
    """What an overridden resource gives: the overriding object, which its maker closes."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def managed(target: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call ``target`` and return a context manager that sets up and tears down its object.

    Raises:
        TypeError: What ``target`` made cannot be torn down (no ``close()``, not a context
            manager); a resource that nobody can close is a leak.
    """
    made = target(*args, **kwargs)
    if made.__class__ is Overridden:  # a test's replacement: nothing to tear down here
        return contextlib.nullcontext(made.value)
    if inspect.isgenerator(made):  # a generator function, also behind a partial or a node
        return contextlib.contextmanager(lambda: made)()
    if callable(getattr(made, "close", None)):
        return contextlib.closing(made)
    if hasattr(made, "__enter__") and hasattr(made, "__exit__"):
        return made
    raise NotAResourceError(type(made).__name__, describe_target(target))


class NotAResourceError(TypeError):
    """What a resource's target made cannot be torn down."""

    def __init__(self, made: str, target: str) -> None:
        self.made = made
        super().__init__(f"{target} made {made!r}, which {_NOT_A_RESOURCE}")


_NOT_A_RESOURCE = (
    "cannot be a resource: a resource is a generator function (set-up, yield, tear-down), "
    "a context manager, or an object with a close() method"
)


class Managed:
    """``managed(target, ...)`` as a callable that names ``target`` (for messages).

    With ``info`` (a node's config path and type), what cannot be a resource is a
    :class:`BuildError` naming the node.
    """

    __slots__ = ("__wrapped__", "info")

    def __init__(self, target: Callable[..., Any], info: tuple[str, str] | None = None) -> None:
        self.__wrapped__ = target
        self.info = info

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return managed(self.__wrapped__, *args, **kwargs)
        except NotAResourceError as exc:
            if self.info is None:
                raise
            path, name = self.info
            raise BuildError(
                f"{PATH} (type {name!r}) made {exc.made!r}, which {_NOT_A_RESOURCE}",
                config_path=path,
            ) from exc

    def __repr__(self) -> str:
        return f"managed({describe_target(self.__wrapped__)})"


class _TakesArgumentsOnce:
    """Refuses a call whose arguments differ from those the object was made with.

    A call without arguments, once the object is made, asks for it as it is (as
    ``app.db()`` does). While overridden, the overriding provider decides and nothing is checked.
    """

    _first: Mapping[str, Any] | None = None

    def _init_once(self) -> None:
        self._once_lock = threading.RLock()

    def _call_once(self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
        if getattr(self, "last_overriding", None) is not None:
            return call(*args, **kwargs)
        asked = {"args": args, "kwargs": kwargs}
        with self._once_lock:
            first = self._first
            if first is not None and (args or kwargs) and not _same(first, asked):
                raise TypeError(
                    f"{describe_target(self)} is a {self._kind}: it was made once with "
                    f"{_describe_call(first)} and is now asked for with "
                    f"{_describe_call(asked)}; a {self._kind} takes its arguments once "
                    "(give them in one place and refer to it, or make it a factory)"
                )
            result = call(*args, **kwargs)
            if first is None:
                self._first = asked
            return result

    _kind = "factory"


class OnceSingleton(_TakesArgumentsOnce, providers.ThreadSafeSingleton[Any]):
    """A thread-safe singleton that refuses other arguments after its first call."""

    _kind = "singleton"

    def __init__(self, provides: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(provides, *args, **kwargs)
        self._init_once()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call_once(super().__call__, args, kwargs)

    def reset(self) -> Any:
        self._first = None
        return super().reset()


class OnceResource(_TakesArgumentsOnce, providers.Resource[Any]):
    """A resource (see :func:`managed`) that refuses other arguments once it is set up.

    Set-up runs under a lock, so threads asking at once get one object.
    """

    _kind = "resource"

    def __init__(self, provides: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(provides, *args, **kwargs)
        self._init_once()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call_once(super().__call__, args, kwargs)

    def shutdown(self) -> Any:
        with self._once_lock:
            self._first = None
            return super().shutdown()


def _same(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    try:
        return bool(first == second)
    except Exception:  # objects whose == fails (tensors) are not the same arguments
        return False


def _describe_call(call: Mapping[str, Any]) -> str:
    parts = [repr(arg) for arg in call["args"]]
    parts += [f"{key}={value!r}" for key, value in call["kwargs"].items()]
    return f"({', '.join(parts)})" if parts else "no arguments"
