"""The base of every parameter scheduler, with MMEngine's ``_ParamScheduler`` semantics.

A scheduler changes one key (``param_name``: ``lr``, ``momentum``, ``weight_decay``...) of
every parameter group of an optimizer, from step ``begin`` to step ``end`` (exclusive),
counted in epochs when ``by_epoch``, else in iterations. As in MMEngine:

* building a scheduler is its first step (step 0): a schedule that starts at ``begin == 0``
  sets its first value at once (``ConstantLR`` multiplies the rate by ``factor``);
* each :meth:`ParamScheduler.step` advances a global count; inside ``[begin, end)`` it
  advances ``last_step`` (0 at ``begin``) and sets the groups' values from
  :meth:`ParamScheduler._get_value`, the *chainable* form: each value is computed from the
  group's current value, so several schedulers of one key compose (a warm-up by iteration
  and a decay by epoch multiply);
* the first value of each group is kept in the group as ``initial_<param_name>`` (the
  ``base_values``), so that a checkpoint of the optimizer carries it;
* the state is every attribute but the optimizer: a resumed scheduler continues exactly.
"""

from __future__ import annotations

import inspect
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, TypeGuard

from torch.optim import Optimizer

from container import did_you_mean

INF = int(1e9)
"""``end`` of a scheduler that never stops (MMEngine's value)."""

_LOGGER = logging.getLogger(__name__)

_NOT_STATE = ("optimizer", "config_path")
"""Attributes that are not part of a scheduler's state dict."""


def unwrap_optimizer(optimizer: Any) -> Optimizer:
    """The torch optimizer of an optimizer or an ``OptimWrapper``."""
    inner = getattr(optimizer, "optimizer", optimizer)
    if not isinstance(inner, Optimizer):
        raise TypeError(f"expected a torch optimizer or an OptimWrapper, got {optimizer!r}")
    return inner


def check_window(begin: Any, end: Any) -> None:
    """Check that ``[begin, end)`` holds at least one step.

    Raises:
        ValueError: ``begin`` is negative or ``end`` is not after it.
    """
    if begin < 0 or end <= begin:
        raise ValueError(
            f"need 0 <= begin < end (an empty or inverted window), got begin={begin}, end={end}"
        )


def group_keys(optimizer: Optimizer) -> list[str]:
    """The keys of the optimizer's first parameter group, ``params`` left out."""
    return sorted(key for key in optimizer.param_groups[0] if key != "params")


def unknown_param_name(optimizer: Optimizer, param_name: str) -> str | None:
    """Why ``param_name`` cannot be scheduled on ``optimizer`` (None when it can)."""
    if all(param_name in group for group in optimizer.param_groups):
        return None
    keys = group_keys(optimizer)
    return (
        f"{type(optimizer).__name__}'s parameter groups have no {param_name!r}"
        f"{did_you_mean(param_name, keys)} (they have {', '.join(keys)})"
    )


def is_number(value: Any) -> TypeGuard[int | float]:
    """Whether ``value`` is an int or a float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite_span(needs: str, begin: int, end: int) -> int:
    """``end - begin``, checking that ``end`` was given.

    Raises:
        ValueError: ``end`` is :data:`INF`; the message starts with ``needs``
            (``"LinearLR needs"``) followed by ``a finite 'end'``.
    """
    if end >= INF:
        raise ValueError(f"{needs} a finite 'end'")
    return end - begin


class ParamScheduler(ABC):
    """Schedules ``param_name`` of every parameter group from step ``begin`` to ``end``.

    Subclasses implement :meth:`_get_value` (the chainable form). Usable without a runner:
    call :meth:`step` after the optimizer's step, once per epoch (``by_epoch``) or
    iteration.

    Args:
        optimizer: The torch optimizer (or an ``OptimWrapper``).
        param_name: The parameter-group key to schedule (``lr``, ``momentum``,
            ``weight_decay``...).
        begin: The step at which the scheduler starts.
        end: The step at which it stops (exclusive).
        last_step: The last step done, to resume without a state dict (MMEngine's
            argument); -1, the default, starts afresh and records the initial values.
        by_epoch: Whether steps are epochs or iterations.
        verbose: Log each value set.

    Raises:
        ValueError: The window is empty or inverted, or a group has no ``param_name``.
        KeyError: ``last_step`` is given but the groups have no initial value.
    """

    need_val_args: ClassVar[bool] = False
    """Whether :meth:`step` takes the validation metrics (``ReduceOnPlateau*``)."""

    epoch_keys: ClassVar[tuple[str, ...]] = ()
    """Arguments counted in steps besides ``begin``/``end``, scaled by ``convert_to_iter_based``."""

    config_path: str | None = None
    """Where the scheduler sits in the config (set by the builder), for error messages."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self._attach(optimizer, param_name, begin, end, last_step, by_epoch)
        self.base_values = [group[f"initial_{param_name}"] for group in self.optimizer.param_groups]
        self.last_step = last_step
        self._global_step = -1
        self.verbose = verbose
        self.step()

    def _attach(
        self,
        optimizer: Any,
        param_name: str,
        begin: int,
        end: int,
        last_step: int,
        by_epoch: bool,
    ) -> None:
        """Check the arguments, keep them, and record the initial values in the groups."""
        self.optimizer = unwrap_optimizer(optimizer)
        check_window(begin, end)
        problem = unknown_param_name(self.optimizer, param_name)
        if problem is not None:
            raise ValueError(problem)
        if isinstance(last_step, bool) or not isinstance(last_step, int) or last_step < -1:
            raise ValueError(f"last_step must be an int >= -1, got {last_step!r}")
        self.param_name = param_name
        self.begin = begin
        self.end = end
        self.by_epoch = by_epoch
        initial = f"initial_{param_name}"
        for index, group in enumerate(self.optimizer.param_groups):
            if last_step == -1:
                group.setdefault(initial, group[param_name])
            elif initial not in group:
                raise KeyError(
                    f"param group {index} has no {initial!r}: resuming with last_step needs "
                    "the optimizer's state"
                )

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The arguments among ``args`` (a scheduler config) that this scheduler always
        refuses, each as ``(name, reason)`` with a reason such as ``"must be in (0, 1], got
        0"``: what ``regwire check`` reports and the constructor raises. Values of the wrong
        type are left to the signature check.
        """
        del args
        return []

    def _refuse_arguments(self, **args: Any) -> None:
        """Raise the first of :meth:`argument_problems` as a ValueError."""
        problems = type(self).argument_problems(args)
        if problems:
            name, reason = problems[0]
            raise ValueError(f"{name} {reason}")

    @abstractmethod
    def _get_value(self) -> list[Any]:
        """The value of each group at ``last_step``, from the groups' current values."""

    def step(self) -> None:
        """Advance one epoch or iteration; call it after the optimizer's step."""
        self._global_step += 1
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            self._set_values(self._get_value())
        self._last_value = self._current()
        self._after_update()

    def _set_values(self, values: list[Any]) -> None:
        for index, (group, value) in enumerate(
            zip(self.optimizer.param_groups, values, strict=True)
        ):
            group[self.param_name] = value
            if self.verbose:
                _LOGGER.info("%s of group %d set to %.4e", self.param_name, index, value)

    def _current(self) -> list[Any]:
        """The scheduled value of each group now."""
        return [group[self.param_name] for group in self.optimizer.param_groups]

    def _after_update(self) -> None:
        """What follows each step (a momentum scheduler copies momentum into Adam's betas)."""
        return None

    def get_last_value(self) -> list[Any]:
        """The value of each group after the last step."""
        return list(self._last_value)

    get_last_lr = get_last_value

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute but the optimizer (plain data, which
        ``torch.load(weights_only=True)`` reads back)."""
        return {key: value for key, value in vars(self).items() if key not in _NOT_STATE}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; the optimizer's values are left as they are.

        Raises:
            ValueError: ``state`` holds keys this scheduler does not have (the state of
                another kind of scheduler, or of an older regwire).
        """
        unknown = sorted(set(state) - set(self.state_dict()))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} cannot load a state with keys {unknown}: "
                "it was saved by another scheduler"
            )
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(param_name={self.param_name!r}, begin={self.begin}, "
            f"end={self.end}, by_epoch={self.by_epoch})"
        )


def without_param_name(cls: type[object], mixin: type[object]) -> None:
    """Give ``cls`` (``mixin`` + a generic scheduler) the generic scheduler's signature
    without ``param_name``, which ``mixin`` fixes: what ``regwire check`` and the registry
    check a config against."""
    generic = next(
        klass for klass in cls.__mro__[cls.__mro__.index(mixin) + 1 :] if "__init__" in vars(klass)
    )
    signature = inspect.signature(vars(generic)["__init__"], eval_str=True)
    parameters = [
        parameter
        for name, parameter in signature.parameters.items()
        if name not in ("self", "param_name")
    ]
    plain = signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty)
    setattr(cls, "__signature__", plain)  # noqa: B010
