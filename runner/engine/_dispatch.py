"""Dispatch: the per-stage tables, settled once, and the one function that calls a stage.

Like pluggy's ``_multicall``, calling a stage is one pure function over a precomputed list:
:func:`call_stage` takes a :class:`Stage` (the methods of the hooks that implement it, sorted
by priority when the table was built), the runner and the stage's arguments, and calls them in
order. The runner's ``call_hook`` only looks the stage up. Hooks are sorted, filtered to those
whose class overrides the stage, and their signatures checked when the table is built
(:class:`DispatchTable`), never when a stage fires.

The methods take a stage's arguments by position (a call with ``**kwargs`` costs a dict copy
per hook): a method whose parameters after ``runner`` are not the stage's arguments in the
stage's order is called through an adapter that passes them by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from container import RegwireError, did_you_mean

from .._errors import HookError
from ._hook import STAGES, Priority, get_priority, hook_names
from ._signatures import check_hook, overrides, positional
from ._view import RunnerView

UNSET: Any = object()
"""The default of the required stage arguments (``batch_idx``, ``checkpoint``): tells "not
given" from None, the default of the others."""

_REQUIRED = frozenset({"batch_idx", "checkpoint"})

# What a stage passes after the runner; :class:`Stage` keeps one of these.
NOTHING, ITER, ITER_OUTPUT, METRICS, CHECKPOINT = range(5)
_SHAPES = {
    (): NOTHING,
    ("batch_idx", "data_batch"): ITER,
    ("batch_idx", "data_batch", "outputs"): ITER_OUTPUT,
    ("metrics",): METRICS,
    ("checkpoint",): CHECKPOINT,
}


@attrs.frozen
class HookImpl:
    """One hook's method for one stage."""

    name: str
    hook: object
    method: Callable[..., Any]


@attrs.frozen
class Stage:
    """One stage of a dispatch table: what :func:`call_stage` needs.

    Attributes:
        name: The stage (``after_train_iter``).
        shape: What the stage passes after the runner (``ITER_OUTPUT``: ``batch_idx``,
            ``data_batch``, ``outputs``).
        methods: The methods to call, in order, each taking the stage's arguments by position.
        names: The hooks' names, in the same order, for errors.
    """

    name: str
    shape: int
    methods: tuple[Callable[..., Any], ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, stage: str, impls: Iterable[HookImpl]) -> Stage:
        """The stage ``stage`` calling ``impls`` in the order given."""
        passed = STAGES[stage]
        listed = tuple(impls)
        return cls(
            stage,
            _SHAPES[passed],
            tuple(positional(impl.method, passed) for impl in listed),
            tuple(impl.name for impl in listed),
        )


def call_stage(
    stage: Stage,
    runner: RunnerView,
    batch_idx: Any = UNSET,
    data_batch: Any = None,
    outputs: Any = None,
    metrics: Any = None,
    checkpoint: Any = UNSET,
) -> None:
    """Call every method of ``stage`` in order, with ``runner`` and the stage's arguments.

    Args:
        stage: The stage and its methods (from a :class:`DispatchTable`).
        runner: Passed first to every method; any object with what the hooks read.
        batch_idx: For the iteration stages (required there).
        data_batch: For the iteration stages.
        outputs: For the ``after_*_iter`` stages.
        metrics: For ``after_val_epoch`` and ``after_test_epoch``.
        checkpoint: For ``before_save_checkpoint`` and ``after_load_checkpoint`` (required).

    Raises:
        TypeError: An argument the stage does not pass was given, or a required one was not.
        HookError: A method raised; names the hook and the stage, the original is the cause.
        RegwireError: A method raised one; it goes on with a note naming hook and stage.
    """
    # Twice an iteration: the arguments are checked with the fewest tests for each shape,
    # and each number of arguments has its own loop, because a call with ``*args`` costs
    # 0.1 us a hook more (benchmarks/bench_runner.py, call_hook). No counter in the loops: the
    # loop variable still holds the method that raised, and ``try`` costs nothing until then.
    shape = stage.shape
    if shape == ITER_OUTPUT:
        fits = batch_idx is not UNSET and metrics is None and checkpoint is UNSET
    elif shape == ITER:
        fits = batch_idx is not UNSET and outputs is None and metrics is None
        fits = fits and checkpoint is UNSET
    else:
        fits = batch_idx is UNSET and data_batch is None and outputs is None
        fits = fits and (metrics is None or shape == METRICS)
        fits = fits and (checkpoint is UNSET) is (shape != CHECKPOINT)
    if not fits:
        raise stage_arguments_error(
            stage.name,
            batch_idx=batch_idx,
            data_batch=data_batch,
            outputs=outputs,
            metrics=metrics,
            checkpoint=checkpoint,
        )
    method = None
    try:
        if shape == ITER_OUTPUT:
            for method in stage.methods:
                method(runner, batch_idx, data_batch, outputs)
        elif shape == ITER:
            for method in stage.methods:
                method(runner, batch_idx, data_batch)
        elif shape == NOTHING:
            for method in stage.methods:
                method(runner)
        else:
            argument = metrics if shape == METRICS else checkpoint
            for method in stage.methods:
                method(runner, argument)
    except RegwireError as exc:
        exc.add_note(f"(raised by hook {_name_of(stage, method)} in {stage.name})")
        raise
    except Exception as exc:
        name = _name_of(stage, method)
        raise HookError(
            f"hook {name} failed in {stage.name}: {type(exc).__name__}: {exc}",
            hook=name,
            stage=stage.name,
        ) from exc


def _name_of(stage: Stage, failed: object) -> str:
    """The name of the hook whose method ``failed`` is (by identity)."""
    index = next((i for i, method in enumerate(stage.methods) if method is failed), 0)
    return stage.names[index]


def stage_arguments_error(stage: str, **arguments: Any) -> TypeError:
    """The error for calling ``stage`` with ``arguments`` that are not the stage's.

    ``arguments`` are all of :func:`call_stage`'s, at their defaults where they were not given.
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


def unknown_stage(stage: str) -> ValueError:
    """The error for a stage name that is not one of the 22."""
    return ValueError(f"unknown hook stage {stage!r}{did_you_mean(stage, STAGES)}")


def sort_hooks(hooks: Iterable[object]) -> list[object]:
    """Sort hooks by priority, stably: equal priorities keep their order.

    Raises:
        ValueError: A hook's ``priority`` is not a valid priority (the message names it).
    """

    def key(hook: object) -> int:
        try:
            return get_priority(getattr(hook, "priority", 50))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"hook {type(hook).__name__}: {exc}") from None

    return sorted(hooks, key=key)


@attrs.frozen
class DispatchTable:
    """The hooks of each stage, in the order they run.

    Build it with :meth:`from_hooks`. ``stages`` describes the table (each stage's hook
    methods, in order); ``callers`` holds, per stage, the :class:`Stage` that
    :func:`call_stage` calls.
    """

    hooks: tuple[object, ...]
    names: tuple[str, ...]
    stages: Mapping[str, tuple[HookImpl, ...]]
    callers: Mapping[str, Stage]

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
        callers = {stage: Stage.of(stage, found) for stage, found in stages.items()}
        return cls(tuple(ordered), tuple(names), stages, callers)

    def format(self) -> str:
        """Return the table as text: each stage with its hooks and their priorities."""
        lines = []
        for stage, impls in self.stages.items():
            if impls:
                lines.append(f"{stage}:")
                lines.extend(f"  ({_priority_name(impl.hook):<12}) {impl.name}" for impl in impls)
        return "\n".join(lines) if lines else "(no hooks)"


def _priority_name(hook: object) -> str:
    value = get_priority(getattr(hook, "priority", 50))
    try:
        return Priority(value).name
    except ValueError:
        return str(value)
