"""Checking a hook when it is registered, not when it fires (pluggy's ``_verify_hook``).

A stage method must accept ``(runner, *the stage's arguments)``, by name; a method whose name
looks like a misspelt stage (``after_train_iteration``) would never be called and is
rejected. The messages name the hook, the stage, the parameter that does not fit and where
the method is defined.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from container import RegwireError, did_you_mean

from ._hook import HELPERS, STAGES, Hook


class HookSignatureError(RegwireError, TypeError):
    """A hook's stage method does not accept the arguments the stage passes."""


def overrides(hook: object, stage: str) -> bool:
    """Tell whether ``hook``'s class implements ``stage`` itself, or the helper it forwards to.

    Objects that are not :class:`Hook` instances implement whatever stage methods they have.
    """
    own = getattr(type(hook), stage, None)
    if own is None:
        return False
    if not isinstance(hook, Hook):
        return True
    if own is not getattr(Hook, stage):
        return True
    helper = HELPERS.get(stage)
    return helper is not None and getattr(type(hook), helper) is not getattr(Hook, helper)


def check_signature(name: str, method: Callable[..., Any], stage: str) -> None:
    """Check that ``method(runner, **stage_kwargs)`` binds.

    Raises:
        HookSignatureError: Naming the hook, the stage and the parameter that does not fit.
    """
    passed = STAGES[stage]
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):  # builtins without a signature: trust them
        return
    try:
        signature.bind(None, **dict.fromkeys(passed))
        return
    except TypeError as exc:
        problem = _explain(signature, passed) or str(exc)
    where = _origin(method)
    raise HookSignatureError(
        f"hook {name}: {stage}{signature} does not fit the stage, which passes "
        f"(runner{''.join(', ' + arg for arg in passed)}): {problem}"
        + (f" (defined at {where})" if where else "")
    )


def check_stage_names(name: str, hook: object) -> None:
    """Reject a method that looks like a misspelt stage (``after_train_iteration``).

    Only names starting with ``before_`` or ``after_`` that are close to a stage are
    rejected; other helper methods are left alone.

    Raises:
        HookSignatureError: Naming the hook, the method and the stage it resembles.
    """
    for attribute in dir(type(hook)):
        if attribute in STAGES or not attribute.startswith(("before_", "after_")):
            continue
        hint = did_you_mean(attribute, STAGES)
        if hint and callable(getattr(type(hook), attribute, None)):
            raise HookSignatureError(
                f"hook {name}: {attribute} is not a stage, so it would never be called{hint}"
            )


def check_hook(name: str, hook: object) -> None:
    """Check a hook when it is registered: no misspelt stage, and every stage method fits.

    Args:
        name: How errors name the hook (``LoggerHook``, ``CheckpointHook#2``).
        hook: The hook.

    Raises:
        HookSignatureError: See :func:`check_stage_names` and :func:`check_signature`.
    """
    check_stage_names(name, hook)
    for stage in STAGES:
        if overrides(hook, stage):
            check_signature(name, getattr(hook, stage), stage)


def positional(method: Callable[..., Any], passed: tuple[str, ...]) -> Callable[..., Any]:
    """``method`` itself when ``method(runner, *args)`` binds as ``method(runner, **kwargs)``
    for a stage passing ``passed``; otherwise an adapter that passes the arguments by name."""
    try:  # the method's own signature: a decorator's wrapper may take **kwargs only
        parameters = list(inspect.signature(method, follow_wrapped=False).parameters.values())
    except (TypeError, ValueError):  # no signature to read: keep calling by name
        parameters = []
    by_position = [
        parameter.name
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    if tuple(by_position[1 : 1 + len(passed)]) == passed:
        return method

    def by_name(runner: Any, *args: Any) -> Any:
        return method(runner, **dict(zip(passed, args, strict=True)))

    return by_name


def _explain(signature: inspect.Signature, passed: Sequence[str]) -> str:
    params = list(signature.parameters.values())
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional and not any(p.kind is p.VAR_POSITIONAL for p in params):
        return "it takes no positional parameter for 'runner'"
    for param in params[1:] if positional and params[0] is positional[0] else params:
        required = param.default is param.empty and param.kind not in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        )
        if required and param.name not in passed:
            hint = did_you_mean(param.name, passed)
            return f"parameter {param.name!r} is never passed{hint}"
        if param.kind is param.POSITIONAL_ONLY and param.name in passed:
            return f"parameter {param.name!r} is positional-only, but it is passed by keyword"
    if not takes_kwargs:
        names = {p.name for p in params}
        for arg in passed:
            if arg not in names:
                return f"it has no parameter {arg!r} (nor **kwargs)"
    return ""


def _origin(method: Callable[..., Any]) -> str:
    function = getattr(method, "__func__", method)
    code = getattr(function, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else ""
