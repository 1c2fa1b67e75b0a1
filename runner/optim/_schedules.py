"""The step-wise and polynomial schedules of any parameter (MMEngine's ``*ParamScheduler``).

Each computes the next value of a group from its current one (the chainable form, see
:mod:`._param_scheduler`); set alone, the values follow the closed form in each docstring,
where ``t`` is ``last_step`` (0 at ``begin``) and ``v0`` the group's initial value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .._registries import PARAM_SCHEDULERS
from ._param_scheduler import INF, ParamScheduler, finite_span, is_number


@PARAM_SCHEDULERS.register_module()
class StepParamScheduler(ParamScheduler):
    """Multiply the value by ``gamma`` every ``step_size`` steps: ``v0 * gamma ** (t //
    step_size)``."""

    epoch_keys = ("step_size",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        step_size: int,
        gamma: float = 0.1,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self._refuse_arguments(step_size=step_size)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``step_size`` at least 1."""
        size = args.get("step_size")
        if is_number(size) and size < 1:
            return [("step_size", f"must be at least 1, got {size}")]
        return []

    def _get_value(self) -> list[Any]:
        if self.last_step == 0 or self.last_step % self.step_size:
            return self._current()
        return [value * self.gamma for value in self._current()]


@PARAM_SCHEDULERS.register_module()
class MultiStepParamScheduler(ParamScheduler):
    """Multiply the value by ``gamma`` at each milestone (counted from ``begin``; a milestone
    listed twice multiplies twice): ``v0 * gamma ** (milestones passed)``."""

    epoch_keys = ("milestones",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_step: int = -1,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        # a plain dict (step -> count), which a checkpoint loads with weights_only
        self.milestones = dict(Counter(milestones))
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        times = self.milestones.get(self.last_step)
        if not times:
            return self._current()
        return [value * self.gamma**times for value in self._current()]


@PARAM_SCHEDULERS.register_module()
class ConstantParamScheduler(ParamScheduler):
    """Multiply the value by ``factor`` from ``begin`` until step ``end - 1``, where it is
    restored: ``v0 * factor`` while ``t < end - begin - 1``, then ``v0``."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        factor: float = 1.0 / 3,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self._refuse_arguments(factor=factor)
        self.factor = factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``factor`` in (0, 1] (at ``end`` the value is divided by it)."""
        factor = args.get("factor")
        if is_number(factor) and not 0.0 < factor <= 1.0:
            return [("factor", f"must be in (0, 1], got {factor}")]
        return []

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return [value * self.factor for value in self._current()]
        if self.last_step == self.total_iters:
            return [value * (1.0 / self.factor) for value in self._current()]
        return self._current()


@PARAM_SCHEDULERS.register_module()
class ExponentialParamScheduler(ParamScheduler):
    """Multiply the value by ``gamma`` every step: ``v0 * gamma ** t``."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        gamma: float,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return self._current()
        return [value * self.gamma for value in self._current()]


@PARAM_SCHEDULERS.register_module()
class LinearParamScheduler(ParamScheduler):
    """Scale the value by a factor going linearly from ``start_factor`` (at ``begin``) to
    ``end_factor`` (at ``end - 1``): ``v0 * (s + (e - s) * t / (end - begin - 1))``.

    ``end`` must be given (a runner gives the training length by default).
    """

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        # a start of 0 would stay 0 in the chainable form (and divide by 0 in MMEngine's)
        self._refuse_arguments(start_factor=start_factor, end_factor=end_factor)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = finite_span(f"{type(self).__name__} needs", begin, end) - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``start_factor`` in (0, 1], ``end_factor`` in [0, 1]."""
        problems = []
        start, end = args.get("start_factor"), args.get("end_factor")
        if is_number(start) and not 0.0 < start <= 1.0:
            problems.append(("start_factor", f"must be in (0, 1], got {start}"))
        if is_number(end) and not 0.0 <= end <= 1.0:
            problems.append(("end_factor", f"must be in [0, 1], got {end}"))
        return problems

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return [value * self.start_factor for value in self._current()]
        change = self.end_factor - self.start_factor
        before = self.total_iters * self.start_factor + (self.last_step - 1) * change
        return [value * (1.0 + change / before) for value in self._current()]


@PARAM_SCHEDULERS.register_module()
class PolyParamScheduler(ParamScheduler):
    """Decay the value polynomially to ``eta_min`` at step ``end - 1``:
    ``eta_min + (v0 - eta_min) * (1 - t / (end - begin - 1)) ** power``.

    ``end`` must be given (a runner gives the training length by default).
    """

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        eta_min: float = 0.0,
        power: float = 1.0,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self.eta_min = eta_min
        self.power = power
        self.total_iters = finite_span(f"{type(self).__name__} needs", begin, end) - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return self._current()
        left = (1.0 - 1.0 / (self.total_iters - self.last_step + 1)) ** self.power
        return [(value - self.eta_min) * left + self.eta_min for value in self._current()]
