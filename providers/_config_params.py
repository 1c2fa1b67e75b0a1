"""Which arguments of a callable take a config, which it builds itself: kept as written.

regwire builds nested nodes first, so a callable receives built objects. OpenMMLab's classes
also take configs they read or build themselves (``norm_cfg=dict(type='BN',
requires_grad=False)``, ``loss_cls=dict(type='FocalLoss', use_sigmoid=True)``,
``test_cfg=dict(nms=dict(type='nms'))``, a dataset's ``pipeline``); building those first
breaks them. So a node's argument is passed as the config it is (copied per build, its nested
nodes unbuilt) when the callable says it takes a mapping there:

* its annotation accepts a mapping: ``dict``, ``Mapping``, ``ConfigDict``, OpenMMLab's
  ``ConfigType``/``OptConfigType``/``MultiConfig``, a union or ``Optional`` of one, or a
  list/sequence of one (a pipeline);
* it has no annotation (or ``Any``) and its name ends in ``cfg`` (OpenMMLab's convention:
  ``norm_cfg``, ``train_cfg``, ``init_cfg``).

Every other argument is built. ``_recursive_: false`` keeps all of a node's arguments.
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import threading
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Union

_CACHE: dict[Any, frozenset[str]] = {}
_LOCK = threading.Lock()
_MAPPING_NAMES = re.compile(
    r"\b(dict|Dict|Mapping|MutableMapping|ConfigDict|ConfigType|OptConfigType|MultiConfig"
    r"|OptMultiConfig)\b"
)
_SEQUENCES = (list, tuple, collections.abc.Sequence, collections.abc.Iterable)
_NOTHING: frozenset[str] = frozenset()


ANY_CFG = "*cfg"
"""In :func:`config_params`: the callable takes ``**kwargs``, so any key named ``*_cfg`` that
is not a declared parameter also takes a config (a subclass forwarding to its base)."""


def config_params(target: Any) -> frozenset[str]:
    """The names of the arguments of ``target`` (a callable, or a provider of one) that take
    a config as it is written (see the module docstring), with :data:`ANY_CFG` when it takes
    ``**kwargs``; cached per callable."""
    try:
        found = _CACHE.get(target)  # the common case: a registered provider seen before
    except TypeError:  # an unhashable callable: worked out each time
        return _work_out(_unwrap(target))
    if found is None:
        found = _work_out(_unwrap(target))
        with _LOCK:
            _CACHE[target] = found
    return found


def keeps_config(kept: frozenset[str], key: str) -> bool:
    """Whether the argument ``key`` takes its config as written, given :func:`config_params`."""
    return key in kept or (ANY_CFG in kept and key.endswith("cfg"))


def _unwrap(target: Any) -> Any:
    target = getattr(target, "provides", target)
    return getattr(target, "__wrapped__", target)  # a resource's set-up, a decorated one


def _work_out(target: Any) -> frozenset[str]:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return _NOTHING
    kept: set[str] = set()
    functions = _initialisers(target) if isinstance(target, type) else [target]
    forwards = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    for function in functions:  # a class forwarding **kwargs: its bases' parameters too
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        for name, parameter in parameters.items():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            verdict = _accepts_mapping(_hint(function, name, parameter.annotation))
            if verdict or (verdict is None and name.endswith("cfg")):
                kept.add(name)
    if forwards:
        kept.add(ANY_CFG)
    return frozenset(kept)


def _initialisers(cls: type) -> list[Any]:
    """``cls.__init__``, and while it takes ``**kwargs``, the ``__init__`` of each base."""
    found = []
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or init is object.__init__:
            continue
        found.append(init)
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            break
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return found


def _hint(function: Any, name: str, annotation: Any) -> Any:
    """One parameter's annotation, evaluated on its own (one that does not evaluate, such as
    a ``TYPE_CHECKING`` import, leaves its text for the others to be read properly)."""
    if not isinstance(annotation, str):
        return annotation
    namespace = getattr(function, "__globals__", {})
    try:
        return eval(annotation, dict(namespace))
    except Exception:
        return annotation


def _accepts_mapping(hint: Any) -> bool | None:
    """Whether an annotation takes a mapping (or a sequence of them); None when it says
    nothing (missing, ``Any``)."""
    if hint is inspect.Parameter.empty or hint is Any or hint is None:
        return None
    if isinstance(hint, str):
        return bool(_MAPPING_NAMES.search(hint)) or None
    if isinstance(hint, type):
        return issubclass(hint, Mapping)
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return any(_accepts_mapping(arg) for arg in typing.get_args(hint))
    if origin is typing.Annotated:
        return _accepts_mapping(typing.get_args(hint)[0])
    if isinstance(origin, type) and issubclass(origin, Mapping):
        args = typing.get_args(hint)  # dict[str, Norm] holds built objects; dict[str, Any] a config
        return len(args) < 2 or _accepts_mapping(args[1]) is not False
    if origin in _SEQUENCES or (isinstance(origin, type) and issubclass(origin, _SEQUENCES)):
        return any(_accepts_mapping(arg) for arg in typing.get_args(hint) if arg is not ...)
    return False


def keeps(target: Callable[..., Any], key: str) -> bool:
    """Whether ``target``'s argument ``key`` takes its config as written."""
    return keeps_config(config_params(target), key)
