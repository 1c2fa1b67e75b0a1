"""Per-stage dispatch tables, settled once when hooks are registered.

Like pluggy's ``_multicall``, calling a stage (:meth:`Runner.call_hook`, the one dispatch loop)
is one loop over a precomputed tuple: the hooks
are sorted by priority and filtered to those whose class overrides the stage when the table
is built, and each method's signature is checked then, not when it fires.

The loop passes a stage's arguments by position (a call with ``**kwargs`` costs a dict copy
per hook): a method whose parameters after ``runner`` are not the stage's arguments in the
stage's order (``**kwargs``, keyword-only or reordered parameters) is called through an
adapter that passes them by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from container import RegwireError, did_you_mean

from ._hook import HELPERS, STAGES, Hook, Priority, get_priority, hook_names


class HookError(RuntimeError):
    """A hook raised while the runner called one of its stages; the original is ``__cause__``.

    Attributes:
        hook: The hook's name (its class name, ``#2`` for a second one of a class).
        stage: The stage that was running (``after_train_iter``).
    """

    def __init__(self, message: str, *, hook: str, stage: str) -> None:
        super().__init__(message)
        self.hook = hook
        self.stage = stage


class HookSignatureError(RegwireError, TypeError):
    """A hook's stage method does not accept the arguments the stage passes."""


@attrs.frozen
class HookImpl:
    """One hook's method for one stage."""

    name: str
    hook: object
    method: Callable[..., Any]


def hook_error(
    stage: str,
    methods: Sequence[Callable[..., Any]],
    names: Sequence[str],
    failed: object,
    exc: Exception,
) -> HookError:
    """The error for ``failed``, one of ``methods`` (by identity), raising ``exc`` in ``stage``."""
    index = next((i for i, method in enumerate(methods) if method is failed), 0)
    name = names[index]
    return HookError(
        f"hook {name} failed in {stage}: {type(exc).__name__}: {exc}", hook=name, stage=stage
    )


def sort_hooks(hooks: Iterable[object]) -> list[object]:
    """Sort hooks by priority, stably: equal priorities keep their order.

    Raises:
        ValueError: A hook's ``priority`` is not a valid priority (the message names it).
    """

    def key(hook: object) -> int:
        try:
            return get_priority(getattr(hook, "priority", 50))
        except ValueError as exc:
            raise ValueError(f"hook {type(hook).__name__}: {exc}") from None

    return sorted(hooks, key=key)


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
        + (f" [{where}]" if where else "")
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


Caller = tuple[tuple[Callable[..., Any], ...], tuple[str, ...], tuple[str, ...]]
"""What :meth:`Runner.call_hook` needs of one stage: the methods to call (in order, taking the
stage's arguments by position), the hooks' names, and the stage's argument names."""


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


UNSET: Any = object()
"""The default of ``call_hook``'s required arguments (``batch_idx``, ``checkpoint``): tells
"not given" from None, the default of the others."""

_REQUIRED = frozenset({"batch_idx", "checkpoint"})


def stage_arguments_error(stage: str, **arguments: Any) -> TypeError:
    """The error for ``call_hook(stage, **arguments)`` when they are not the stage's arguments.

    ``arguments`` are all of ``call_hook``'s, at their defaults where they were not given.
    """
    given = [
        name
        for name, value in arguments.items()
        if value is not (UNSET if name in _REQUIRED else None)
    ]
    passed = STAGES[stage]
    extra = [name for name in given if name not in passed]
    if extra:
        problem = f"it passes no {', '.join(map(repr, extra))}"
    else:
        missing = [name for name in passed if name in _REQUIRED and name not in given]
        problem = f"{', '.join(map(repr, missing))} is required"
    return TypeError(
        f"call_hook({stage!r}): {problem} (the stage passes "
        f"{', '.join(passed) if passed else 'nothing'} after the runner)"
    )


@attrs.frozen
class DispatchTable:
    """The hooks of each stage, in the order they run.

    Build it with :meth:`from_hooks`. ``stages`` describes the table; ``callers`` holds, per
    stage, the bound methods and the hook names that :meth:`Runner.call_hook` loops over
    (the one dispatch loop; :func:`hook_error` names the hook that raised).
    """

    hooks: tuple[object, ...]
    names: tuple[str, ...]
    stages: Mapping[str, tuple[HookImpl, ...]]
    callers: Mapping[str, Caller]

    @classmethod
    def from_hooks(cls, hooks: Iterable[object]) -> DispatchTable:
        """Sort ``hooks`` by priority (stably), check their signatures and tabulate them.

        Hooks are named by class in the order given (see :func:`hook_names`), so a
        hook keeps its name when priorities change.

        Raises:
            ValueError: A hook has an invalid priority.
            HookSignatureError: A stage method does not accept the stage's arguments.
        """
        given = list(hooks)
        named = dict(zip(map(id, given), hook_names(given), strict=True))
        ordered = sort_hooks(given)
        names = [named[id(hook)] for hook in ordered]
        for name, hook in zip(names, ordered, strict=True):
            check_hook(name, hook)
        stages = {
            stage: tuple(
                HookImpl(name, hook, getattr(hook, stage))
                for name, hook in zip(names, ordered, strict=True)
                if overrides(hook, stage)
            )
            for stage in STAGES
        }
        callers = {
            stage: (
                tuple(positional(i.method, STAGES[stage]) for i in impls),
                tuple(i.name for i in impls),
                STAGES[stage],
            )
            for stage, impls in stages.items()
        }
        return cls(tuple(ordered), tuple(names), stages, callers)

    def format(self) -> str:
        """Return the table as text: each stage with its hooks and their priorities."""
        lines = []
        for stage, impls in self.stages.items():
            if impls:
                lines.append(f"{stage}:")
                lines.extend(f"  ({_priority_name(impl.hook):<12}) {impl.name}" for impl in impls)
        return "\n".join(lines) if lines else "(no hooks)"


def unknown_stage(stage: str) -> ValueError:
    """The error for a stage name that is not one of the 22."""
    return ValueError(f"unknown hook stage {stage!r}{did_you_mean(stage, STAGES)}")


def _priority_name(hook: object) -> str:
    value = get_priority(getattr(hook, "priority", 50))
    try:
        return Priority(value).name
    except ValueError:
        return str(value)
