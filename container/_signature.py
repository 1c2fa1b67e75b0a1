"""What a config node may pass to a callable: keywords, required ones, annotations, validators.

A callable is analysed once (:func:`analyse`) and the result is cached for as long as the
callable lives, so a config of a thousand nodes of a few types pays for a few analyses.
Annotations are resolved one parameter at a time, in the namespace of the module that wrote
them, so one that cannot be resolved (a name imported under ``TYPE_CHECKING``) is skipped
alone; the others are still checked.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
import typing
import weakref
from collections.abc import Callable
from typing import Any

from ._typematch import Checker, compile_hint

_UNRESOLVED = object()


class Signature:
    """The parts of a callable's signature that a config node is checked against.

    Attributes:
        known: Whether the signature could be read at all; when not, nothing is checked.
        accepted: The parameters a keyword can name, in order.
        keywords: The same, as a set.
        var_keyword: Whether the callable takes ``**kwargs``.
        required: Keyword-capable parameters without a default.
        positional: Positional-only parameters without a default (a config cannot give them).
        hints: The resolved annotation of each parameter that has one.
        checkers: The compiled checker of each annotation that constrains the value.
        none_default: Parameters whose default is None (None is fine for them).
        validators: attrs fields with a validator to run on the value, by argument name.
        result: The class of what calling the callable gives, where known.
    """

    __slots__ = (
        "accepted",
        "checkers",
        "hints",
        "keywords",
        "known",
        "none_default",
        "positional",
        "required",
        "result",
        "validators",
        "var_keyword",
    )

    def __init__(self, *, known: bool, result: type | None) -> None:
        self.known = known
        self.result = result
        self.accepted: tuple[str, ...] = ()
        self.keywords: frozenset[str] = frozenset()
        self.var_keyword = False
        self.required: tuple[str, ...] = ()
        self.positional: tuple[str, ...] = ()
        self.hints: dict[str, Any] = {}
        self.checkers: dict[str, Checker] = {}
        self.none_default: frozenset[str] = frozenset()
        self.validators: dict[str, Any] = {}


_CACHE: weakref.WeakKeyDictionary[Any, Signature] = weakref.WeakKeyDictionary()


def analyse(target: Callable[..., Any]) -> Signature:
    """Return the :class:`Signature` of ``target``, analysed once per callable."""
    try:
        cached = _CACHE.get(target)
    except TypeError:  # unhashable, or no weak reference to it: analysed every time
        return _analyse(target)
    if cached is None:
        cached = _CACHE[target] = _analyse(target)
    return cached


def _analyse(target: Callable[..., Any]) -> Signature:
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return Signature(known=False, result=_result_class(target, None, None))
    globalns, localns = _namespace(target)
    found = Signature(known=True, result=_result_class(target, globalns, localns))
    accepted, required, positional, none_default = [], [], [], set()
    for parameter in parameters:
        name, kind = parameter.name, parameter.kind
        if kind is parameter.VAR_KEYWORD:
            found.var_keyword = True
            continue
        if kind is parameter.VAR_POSITIONAL:
            continue
        if kind is parameter.POSITIONAL_ONLY:
            if parameter.default is parameter.empty:
                positional.append(name)
            continue
        accepted.append(name)
        if parameter.default is parameter.empty:
            required.append(name)
        elif parameter.default is None:
            none_default.add(name)
        if parameter.annotation is not parameter.empty:
            hint = _resolve(parameter.annotation, globalns, localns)
            checker = None if hint is _UNRESOLVED else compile_hint(hint)
            if checker is not None:
                found.hints[name], found.checkers[name] = hint, checker
    found.accepted, found.required = tuple(accepted), tuple(required)
    found.keywords = frozenset(accepted)
    found.positional, found.none_default = tuple(positional), frozenset(none_default)
    found.validators = _attrs_validators(target)
    return found


def _namespace(target: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The globals and locals that ``target``'s string annotations are to be read in."""
    while isinstance(target, functools.partial):
        target = target.func
    localns: dict[str, Any] = {}
    if isinstance(target, type):
        localns[target.__name__] = target
        source: Any = next(
            (vars(cls)["__init__"] for cls in target.__mro__[:-1] if "__init__" in vars(cls)),
            target,
        )
    elif inspect.isroutine(target):
        source = target
    else:  # an object with __call__
        source = type(target).__call__
    globalns = getattr(inspect.unwrap(source), "__globals__", None)
    if not isinstance(globalns, dict):
        module = sys.modules.get(getattr(target, "__module__", None) or "")
        globalns = vars(module) if module is not None else {}
    return globalns, localns


def _resolve(annotation: Any, globalns: dict[str, Any], localns: dict[str, Any]) -> Any:
    """One annotation, resolved as ``typing.get_type_hints`` would, or ``_UNRESOLVED``."""
    holder = types.SimpleNamespace(__annotations__={"value": annotation})
    try:
        return typing.get_type_hints(holder, globalns, localns)["value"]
    except Exception:  # a missing name, a syntax error in a string, a bad subscript, ...
        return _UNRESOLVED


def _result_class(
    target: Any, globalns: dict[str, Any] | None, localns: dict[str, Any] | None
) -> type | None:
    """The class of what ``target`` returns: the class itself, or a function's annotation."""
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, type):
        return target
    if globalns is None or not inspect.isroutine(target):
        return None
    annotation = getattr(target, "__annotations__", {}).get("return", inspect.Parameter.empty)
    if annotation is inspect.Parameter.empty:
        return None
    result = _resolve(annotation, globalns, localns or {})
    return result if isinstance(result, type) and typing.get_origin(result) is None else None


def _attrs_validators(target: Any) -> dict[str, Any]:
    """The attrs fields of a class that have a validator and no converter, by argument name.

    A converter runs before the validator, so a field that has one is not validated here.
    """
    fields = getattr(target, "__attrs_attrs__", None) if isinstance(target, type) else None
    if not fields:
        return {}
    return {
        getattr(field, "alias", None) or field.name.lstrip("_"): field
        for field in fields
        if field.init and field.validator is not None and field.converter is None
    }


class _NeedsInstance(Exception):
    """A validator touched the instance: it cannot be run on the value alone."""


class _NoInstance:
    """The instance given to a validator run before there is one; any use of it stops it."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        raise _NeedsInstance(name)


_NO_INSTANCE = _NoInstance()


def validator_message(field: Any, value: Any) -> str | None:
    """Run an attrs field's validator on ``value`` alone; return what it says, or None.

    Validators that need the instance (they read another field) are not run to the end,
    and only the errors validators are meant to raise (``TypeError``, ``ValueError``) count.
    """
    try:
        field.validator(_NO_INSTANCE, field, value)
    except _NeedsInstance:
        return None
    except (TypeError, ValueError) as exc:
        if type(exc).__module__.startswith("attr"):  # attrs saying the guard is no instance
            return None
        first = exc.args[0] if exc.args else None
        return first if isinstance(first, str) else str(exc)
    except Exception:  # a validator that fails for another reason: not a verdict on the value
        return None
    return None
