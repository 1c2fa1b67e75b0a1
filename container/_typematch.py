"""Whether a config value fits a parameter's annotation, decided without building anything.

An annotation is compiled once into a :data:`Checker`: a function of a value and its config
path that returns the places where the value does not fit (an empty tuple when it does). The
value is what the build would pass, with every config node replaced by a :class:`NodeResult`
that says what the node builds, so ``norm: Norm`` given ``{type: Conv}`` is caught.

The rule is to flag only what is clearly wrong, and to pass whatever cannot be decided:

* builtins are strict: an int is a fine float, a bool is not an int;
* a value for a class that is not a builtin is flagged only when it is a scalar (``str``,
  ``bytes``, numbers, bools, ``None``) that is not an instance, or a node that builds
  another class; any other object might be turned into one by the callable;
* YAML has no tuples or sets, so a list is accepted where a tuple or a set is annotated;
* annotations this module does not know (protocols, type variables, ``InitVar``, strings
  that could not be resolved) accept everything.
"""

from __future__ import annotations

import collections.abc as abc
import enum
import functools
import inspect
import numbers
import os
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union

from providers import describe_target, did_you_mean, join_path


class NodeResult:
    """Stands, in a value being checked, for a config node: what building it gives.

    Args:
        name: The node's ``type`` as written (or the callable's name).
        target: The callable the node calls, or None when its ``type`` did not resolve.
        result: The class of the object the node builds (the target for a class, the
            return annotation of a function, ``functools.partial`` for ``_partial_``
            nodes), or None when that is unknown.
    """

    __slots__ = ("name", "partial", "result", "target")

    def __init__(
        self, name: str, target: object, result: type | None, *, partial: bool = False
    ) -> None:
        self.name = name
        self.target = target
        self.result = result
        self.partial = partial


Mismatch = tuple[str, Any, Any]
"""Where a value does not fit: (config path, the annotation expected there, the value)."""

Checker = Callable[[Any, str], tuple[Mismatch, ...]]
"""Returns the mismatches of a value at a config path; ``()`` when it fits."""

_FINE: tuple[Mismatch, ...] = ()
_SCALARS = (str, bytes, int, float, bool, types.NoneType)
_SEQUENCES = (list, tuple)
_SET_LIKE = (list, tuple, set, frozenset)
_PLAIN = (*_SCALARS, list, tuple, dict, set)  # what a config file can hold


def compile_hint(hint: Any) -> Checker | None:
    """Return the checker for a resolved annotation, or None when anything fits it."""
    if hint is Any or hint is object:
        return None
    if hint is None or hint is types.NoneType:
        return _none
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        return _union(hint, args)
    if origin is Literal:
        return _literal(hint, args)
    if isinstance(hint, typing.NewType):
        return compile_hint(hint.__supertype__)
    kind = origin if origin is not None else hint
    try:
        container = _CONTAINERS.get(kind)
    except TypeError:  # an unhashable annotation: nothing this module knows
        return None
    if container is not None:
        return container(hint, kind, args if origin is not None else None)
    if kind is type:
        return _subclass(hint, args[0] if args else Any)
    if kind is abc.Callable:
        return _callable(hint)
    if isinstance(kind, type):
        return _class(hint, kind)
    return None  # TypeVar, ParamSpec, InitVar, a ForwardRef left over, ...


def _none(value: Any, path: str) -> tuple[Mismatch, ...]:
    return _FINE if value is None else ((path, None, value),)


def _union(hint: Any, args: tuple[Any, ...]) -> Checker | None:
    allows_none = types.NoneType in args
    checkers = [compile_hint(arg) for arg in args if arg is not types.NoneType]
    if any(checker is None for checker in checkers):
        return None
    present = [checker for checker in checkers if checker is not None]

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if value is None and allows_none:
            return _FINE
        if len(present) == 1:  # Optional[X]: say where inside the value, but name the union
            found = present[0](value, path)
            return ((path, hint, value),) if any(p == path for p, _, _ in found) else found
        if any(not checker(value, path) for checker in present):
            return _FINE
        return ((path, hint, value),)

    return check


def _literal(hint: Any, args: tuple[Any, ...]) -> Checker:
    def fits(value: Any) -> bool:
        for arg in args:
            if isinstance(arg, enum.Enum) and _enum_member(value, type(arg)) is arg:
                return True
            if _same_scalar(value, arg):
                return True
        return False

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if isinstance(value, NodeResult) or fits(value):
            return _FINE
        return ((path, hint, value),)

    return check


def _same_scalar(value: Any, expected: Any) -> bool:
    """``value == expected``, without taking a bool for an int or a str for bytes."""
    if isinstance(value, bool) is not isinstance(expected, bool):
        return False
    try:
        return bool(value == expected) and (
            type(value) is type(expected) or isinstance(value, numbers.Number)
        )
    except Exception:  # a value with a strange __eq__ is not one of the literals
        return False


def _enum_member(value: Any, cls: type[enum.Enum]) -> enum.Enum | None:
    """The member of ``cls`` that ``value`` names: the member, its name, or its value."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str) and value in cls.__members__:
        return cls.__members__[value]
    for member in cls:
        if _same_scalar(value, member.value):
            return member
    return None


def _sequence(hint: Any, kind: Any, args: tuple[Any, ...] | None) -> Checker:
    accepted: tuple[type, ...]
    if kind in (list, tuple):
        accepted = _SEQUENCES
    elif kind in (set, frozenset, abc.Set, abc.MutableSet):
        accepted = _SET_LIKE
    else:
        accepted = (kind,)
    if kind is tuple and args is not None and not (len(args) == 2 and args[1] is Ellipsis):
        return _fixed_tuple(hint, args)
    item = compile_hint(args[0]) if args else None
    keyed = kind not in (set, frozenset, abc.Set, abc.MutableSet)

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if not isinstance(value, accepted):
            return _shape_mismatch(value, hint, kind, path)
        if item is None:
            return _FINE
        if isinstance(value, str):  # a str is a sequence of str: one item says enough
            return item(value[:1], path) if value else _FINE
        if isinstance(value, Mapping):
            value = list(value)
        elif not isinstance(value, _SET_LIKE):  # never iterate (and so consume) an iterator
            return _FINE
        found: list[Mismatch] = []
        for index, element in enumerate(value):
            found.extend(item(element, join_path(path, index) if keyed else path))
        return tuple(found)

    return check


def _fixed_tuple(hint: Any, args: tuple[Any, ...]) -> Checker:
    items = [compile_hint(arg) for arg in args]

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if not isinstance(value, _SEQUENCES):
            return _shape_mismatch(value, hint, tuple, path)
        if len(value) != len(items):
            return ((path, hint, value),)
        found: list[Mismatch] = []
        for index, (element, item) in enumerate(zip(value, items, strict=True)):
            if item is not None:
                found.extend(item(element, join_path(path, index)))
        return tuple(found)

    return check


def _mapping(hint: Any, kind: Any, args: tuple[Any, ...] | None) -> Checker:
    key = compile_hint(args[0]) if args else None
    item = compile_hint(args[1]) if args and len(args) > 1 else None

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if not isinstance(value, Mapping):
            return _shape_mismatch(value, hint, kind, path)
        found: list[Mismatch] = []
        for name, element in value.items():
            where = join_path(path, name)
            if key is not None:
                found.extend(key(name, where))
            if item is not None:
                found.extend(item(element, where))
        return tuple(found)

    return check


def _shape_mismatch(value: Any, hint: Any, kind: Any, path: str) -> tuple[Mismatch, ...]:
    """A container was expected and ``value`` is not one: flag it when that is clear."""
    if isinstance(value, NodeResult):
        return _FINE if _builds(value, kind) else ((path, hint, value),)
    if isinstance(value, _PLAIN):
        return ((path, hint, value),)
    return _FINE  # some other object: the callable may know what to do with it


def _subclass(hint: Any, base: Any) -> Checker:
    bases = typing.get_args(base) if typing.get_origin(base) in (Union, types.UnionType) else ()
    classes = tuple(arg for arg in bases or (base,) if isinstance(arg, type))

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if isinstance(value, type):
            if not classes or issubclass(value, classes):
                return _FINE
            return ((path, hint, value),)
        if isinstance(value, _SCALARS):
            return ((path, hint, value),)
        return _FINE

    return check


def _callable(hint: Any) -> Checker:
    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if isinstance(value, NodeResult):
            result = value.result
            if result is None or any("__call__" in vars(cls) for cls in result.__mro__[:-1]):
                return _FINE
            return ((path, hint, value),)
        return _FINE if callable(value) else ((path, hint, value),)

    return check


def _class(hint: Any, cls: type) -> Checker | None:
    if getattr(cls, "_is_protocol", False):
        return None
    if issubclass(cls, enum.Enum):
        enum_cls: type[enum.Enum] = cls

        def check_enum(value: Any, path: str) -> tuple[Mismatch, ...]:
            if isinstance(value, NodeResult):
                return _FINE if _builds(value, enum_cls) else ((path, hint, value),)
            return _FINE if _enum_member(value, enum_cls) is not None else ((path, hint, value),)

        return check_enum
    strict = cls in _SCALARS or cls is complex
    fits = _BUILTIN_FITS.get(cls, functools.partial(_is_instance, cls=cls))
    converted = not strict and _made_from_scalars(cls)

    def check(value: Any, path: str) -> tuple[Mismatch, ...]:
        if isinstance(value, NodeResult):
            return _FINE if _builds(value, cls) else ((path, hint, value),)
        if fits(value) or converted or not (strict or isinstance(value, _SCALARS)):
            return _FINE
        return ((path, hint, value),)

    return check


def _made_from_scalars(cls: type) -> bool:
    """Whether callables commonly take a plain value for ``cls`` and convert it: a path for
    ``Path``/``os.PathLike``, and classes whose signature says nothing (compiled code such as
    ``torch.device('cpu')``, or ``(*args, **kwargs)`` such as ``torch.dtype``), where a check
    would only guess."""
    if issubclass(cls, os.PathLike):
        return True
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return True
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return all(parameter.kind in variadic for parameter in parameters)  # (*args, **kwargs)


def _is_instance(value: Any, cls: type) -> bool:
    return isinstance(value, cls)


def _builds(node: NodeResult, expected: type) -> bool:
    """Whether what ``node`` builds can be an instance of ``expected`` (True when unknown)."""
    result = node.result
    if result is None:
        return True
    if issubclass(result, bool) and expected in (int, float, complex):
        return False
    if expected in (float, complex) and issubclass(result, int | float):
        return True
    try:
        return issubclass(result, expected)
    except TypeError:
        return True


def _is_int(value: Any) -> bool:
    return value.__class__ is int or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool)
    )


def _is_float(value: Any) -> bool:
    return value.__class__ in (float, int) or (
        isinstance(value, numbers.Real) and not isinstance(value, bool)
    )


def _is_complex(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


_BUILTIN_FITS: dict[type, Callable[[Any], bool]] = {
    bool: lambda value: isinstance(value, bool),
    int: _is_int,
    float: _is_float,
    complex: _is_complex,
}

_CONTAINERS: dict[Any, Callable[[Any, Any, tuple[Any, ...] | None], Checker]] = {
    **dict.fromkeys((list, tuple, set, frozenset), _sequence),
    **dict.fromkeys(
        (
            abc.Sequence,
            abc.MutableSequence,
            abc.Set,
            abc.MutableSet,
            abc.Iterable,
            abc.Collection,
        ),
        _sequence,
    ),
    **dict.fromkeys((dict, abc.Mapping, abc.MutableMapping), _mapping),
}


# -- messages -------------------------------------------------------------------------------


def describe_hint(hint: Any) -> str:
    """An annotation as a message says what was expected: ``a float``, ``an int or None``."""
    if hint is None or hint is types.NoneType:
        return "None"
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return " or ".join(describe_hint(arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(_literal_repr(arg) for arg in typing.get_args(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        names = ", ".join(repr(name) for name in hint.__members__)
        return f"{_article(hint.__name__)}: one of {names} or of their values"
    return _article(type_repr(hint))


def describe_value(value: Any) -> str:
    """What was found, as a message says it: ``'0.1' that is a str``, ``a 'Conv' node ...``."""
    if isinstance(value, NodeResult):
        kind = "a '_partial_' node" if value.partial else "a node"
        builds = _article(type_repr(value.result)) if value.result else "something unknown"
        target = describe_target(value.target)
        return f"{kind} of type {value.name!r} ({target}), which builds {builds}"
    if value is None:
        return "None"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} that is {_article(type(value).__name__)}"


def mismatch_message(hint: Any, value: Any) -> str:
    """The sentence for a mismatch; the caller's error renders ``PATH`` in front of it."""
    return f"must be {describe_hint(hint)} (got {describe_value(value)}){_suggestion(hint, value)}"


def _suggestion(hint: Any, value: Any) -> str:
    if not isinstance(value, str):
        return ""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return did_you_mean(value, hint.__members__)
    if typing.get_origin(hint) is Literal:
        return did_you_mean(value, [a for a in typing.get_args(hint) if isinstance(a, str)])
    return ""


def type_repr(hint: Any) -> str:
    """A short name for an annotation: ``list[int]``, ``Norm``, ``tuple[int, ...]``."""
    if hint is None or hint is types.NoneType:
        return "None"
    if hint is Ellipsis:
        return "..."
    if isinstance(hint, list):  # the parameters of a Callable
        return f"[{', '.join(type_repr(arg) for arg in hint)}]"
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_repr(arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return f"Literal[{', '.join(_literal_repr(arg) for arg in typing.get_args(hint))}]"
    if origin is not None:
        args = typing.get_args(hint)
        inside = ", ".join(type_repr(arg) for arg in args) if args else "()"
        return f"{type_repr(origin)}[{inside}]"
    if isinstance(hint, type):
        return hint.__qualname__
    return str(hint).replace("typing.", "")


def _literal_repr(value: Any) -> str:
    return repr(value.name) if isinstance(value, enum.Enum) else repr(value)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"
