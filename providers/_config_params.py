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


def config_params(target: Any) -> frozenset[str]:
    """The names of the arguments of ``target`` (a callable, or a provider of one) that take
    a config as it is written (see the module docstring); cached per callable."""
    target = getattr(target, "provides", target)
    target = getattr(target, "__wrapped__", target)  # a resource's set-up, a decorated one
    try:
        found = _CACHE.get(target)
    except TypeError:  # an unhashable callable: worked out each time
        return _work_out(target)
    if found is None:
        found = _work_out(target)
        with _LOCK:
            _CACHE[target] = found
    return found


def _work_out(target: Any) -> frozenset[str]:
    function = getattr(target, "__init__") if isinstance(target, type) else target  # noqa: B009
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return _NOTHING
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # an annotation that does not evaluate: read the text instead
        hints = {}
    kept = set()
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        verdict = _accepts_mapping(hints.get(name, parameter.annotation))
        if verdict or (verdict is None and name.endswith("cfg")):
            kept.add(name)
    return frozenset(kept)


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
    return key in config_params(target)
