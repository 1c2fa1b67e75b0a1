"""The cosine-shaped schedules of any parameter: annealing, one cycle, annealing with restarts
(MMEngine's ``CosineAnnealingParamScheduler``, ``OneCycleParamScheduler`` and
``CosineRestartParamScheduler``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from container import did_you_mean

from .._registries import PARAM_SCHEDULERS
from ._param_scheduler import INF, ParamScheduler, finite_span, is_number

ANNEAL_STRATEGIES = ("cos", "linear")


def _eta_min(eta_min: float | None, eta_min_ratio: float | None, base: float) -> float:
    return base * eta_min_ratio if eta_min_ratio is not None else float(eta_min or 0.0)


def _cosine_ratio(step: int, period: float) -> float:
    """The factor that takes a half cosine from step ``step - 1`` to ``step``."""
    return (1 + math.cos(math.pi * step / period)) / (1 + math.cos(math.pi * (step - 1) / period))


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingParamScheduler(ParamScheduler):
    """Anneal the value to ``eta_min`` along a half cosine of ``T_max`` steps:
    ``eta_min + (v0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``.

    Args:
        T_max: The length of the half cosine; ``end - begin`` by default.
        eta_min: The lowest value (0 when neither it nor ``eta_min_ratio`` is given).
        eta_min_ratio: The lowest value as a share of each group's initial value.

    Raises:
        ValueError: Both ``eta_min`` and ``eta_min_ratio`` are given.
    """

    epoch_keys = ("T_max",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        T_max: int | None = None,
        eta_min: float | None = None,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
        eta_min_ratio: float | None = None,
    ) -> None:
        self._refuse_arguments(eta_min=eta_min, eta_min_ratio=eta_min_ratio)
        needs = f"{type(self).__name__} needs T_max or"
        self.T_max = T_max or finite_span(needs, begin, end)
        self.eta_min = 0.0 if eta_min is None and eta_min_ratio is None else eta_min
        self.eta_min_ratio = eta_min_ratio
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Not both ``eta_min`` and ``eta_min_ratio``."""
        if args.get("eta_min") is not None and args.get("eta_min_ratio") is not None:
            return [("eta_min_ratio", "must not be given with eta_min: give one of them")]
        return []

    def _get_value(self) -> list[Any]:
        values = self._current()
        if self.last_step == 0:
            return values
        lows = [_eta_min(self.eta_min, self.eta_min_ratio, base) for base in self.base_values]
        if (self.last_step - 1 - self.T_max) % (2 * self.T_max) == 0:
            rise = (1 - math.cos(math.pi / self.T_max)) / 2
            return [
                value + (base - low) * rise
                for value, base, low in zip(values, self.base_values, lows, strict=True)
            ]
        ratio = _cosine_ratio(self.last_step, self.T_max)
        return [ratio * (value - low) + low for value, low in zip(values, lows, strict=True)]


@PARAM_SCHEDULERS.register_module()
class CosineRestartParamScheduler(ParamScheduler):
    """Cosine annealing with restarts: period ``i`` anneals from ``v0 * restart_weights[i]``
    to ``eta_min`` over ``periods[i]`` steps; after the last period the value stays.

    Args:
        periods: The length of each cycle.
        restart_weights: The share of the initial value each cycle starts from.
        eta_min: The lowest value; give it or ``eta_min_ratio``.
        eta_min_ratio: The lowest value as a share of each group's initial value.

    Raises:
        ValueError: Neither or both of ``eta_min`` and ``eta_min_ratio``, or
            ``restart_weights`` not as long as ``periods``.
    """

    epoch_keys = ("periods",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        periods: Sequence[int],
        restart_weights: Sequence[float] = (1,),
        eta_min: float | None = None,
        eta_min_ratio: float | None = None,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self._refuse_arguments(
            periods=periods,
            restart_weights=restart_weights,
            eta_min=eta_min,
            eta_min_ratio=eta_min_ratio,
        )
        self.periods = list(periods)
        self.restart_weights = list(restart_weights)
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        self.cumulative_periods = [sum(self.periods[: i + 1]) for i in range(len(self.periods))]
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """One of ``eta_min`` and ``eta_min_ratio``; as many ``restart_weights`` as
        ``periods`` (``[1]`` by default)."""
        problems = []
        if (args.get("eta_min") is None) == (args.get("eta_min_ratio") is None):
            given = "both" if args.get("eta_min") is not None else "neither"
            problems.append(
                ("eta_min", f"or eta_min_ratio must be given, one of them ({given} is)")
            )
        periods, weights = args.get("periods"), args.get("restart_weights", [1])
        if (
            isinstance(periods, list | tuple)
            and isinstance(weights, list | tuple)
            and len(periods) != len(weights)
        ):
            problems.append(
                (
                    "restart_weights",
                    f"must hold one weight per period ({len(periods)}), got {len(weights)}",
                )
            )
        return problems

    def _get_value(self) -> list[Any]:
        values = self._current()
        cycle = next(
            (i for i, edge in enumerate(self.cumulative_periods) if self.last_step < edge), None
        )
        if cycle is None:
            return values
        start = self.cumulative_periods[cycle - 1] if cycle else 0
        step, period = self.last_step - start, self.periods[cycle]
        result = []
        for value, base in zip(values, self.base_values, strict=True):
            low = _eta_min(self.eta_min, self.eta_min_ratio, base)
            if step == 0:
                result.append(base * self.restart_weights[cycle])
            else:
                result.append(_cosine_ratio(step, period) * (value - low) + low)
        return result


@PARAM_SCHEDULERS.register_module()
class OneCycleParamScheduler(ParamScheduler):
    """The one-cycle policy of the learning rate: up from ``eta_max / div_factor`` to
    ``eta_max`` over ``pct_start`` of the cycle, then down to the initial rate divided by
    ``final_div_factor`` (with ``three_phase``, back to the initial rate first). Not
    chainable: it sets each value from the phase's ends.

    Args:
        eta_max: The peak value, one for all groups or one per group.
        total_steps: The length of the cycle; ``end - begin`` by default.
        pct_start: The share of the cycle spent going up.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        div_factor: The initial value is ``eta_max / div_factor``.
        final_div_factor: The last value is the initial one divided by this.
        three_phase: Use the three-phase variant.

    Raises:
        ValueError: ``param_name`` is not ``lr`` (as in MMEngine), or an argument is out of
            range.
    """

    epoch_keys = ("total_steps",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        eta_max: float | Sequence[float] = 0,
        total_steps: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if param_name != "lr":
            raise ValueError(f"OneCycle schedules only 'lr', got param_name={param_name!r}")
        self._refuse_arguments(
            total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal_strategy
        )
        self.eta_max = eta_max
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal_strategy = anneal_strategy
        self.total_steps = total_steps or finite_span(
            f"{type(self).__name__} needs total_steps or", begin, end
        )
        self.phases = _one_cycle_phases(self.total_steps, pct_start, three_phase)
        self._set_cycle_values(optimizer, last_step)
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``total_steps`` a positive int, ``pct_start`` in [0, 1], ``anneal_strategy``
        ``cos`` or ``linear``."""
        problems = []
        total, pct = args.get("total_steps"), args.get("pct_start")
        if is_number(total) and (not isinstance(total, int) or total <= 0):
            problems.append(("total_steps", f"must be a positive int, got {total!r}"))
        if is_number(pct) and not 0.0 <= pct <= 1.0:
            problems.append(("pct_start", f"must be in [0, 1], got {pct}"))
        strategy = args.get("anneal_strategy", "cos")
        if isinstance(strategy, str) and strategy not in ANNEAL_STRATEGIES:
            problems.append(
                (
                    "anneal_strategy",
                    f"must be cos or linear{did_you_mean(strategy, ANNEAL_STRATEGIES)}, "
                    f"got {strategy!r}",
                )
            )
        return problems

    def _set_cycle_values(self, optimizer: Any, last_step: int) -> None:
        groups = optimizer.param_groups
        eta_max = self.eta_max
        peaks = list(eta_max) if isinstance(eta_max, Sequence) else [eta_max] * len(groups)
        if len(peaks) != len(groups):
            raise ValueError(f"expected {len(groups)} values of eta_max, got {len(peaks)}")
        if last_step != -1:
            return
        for group, peak in zip(groups, peaks, strict=True):
            group["initial_lr"] = peak / self.div_factor
            group["max_lr"] = peak
            group["min_lr"] = group["initial_lr"] / self.final_div_factor

    def _get_value(self) -> list[Any]:
        step = self.last_step
        if step > self.total_steps:
            raise ValueError(f"stepped {step + 1} times, past total_steps={self.total_steps}")
        values = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for index, (end_step, low_key, high_key) in enumerate(self.phases):
                if step <= end_step or index == len(self.phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    values.append(self._anneal(group[low_key], group[high_key], pct))
                    break
                start_step = end_step
        return values

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start


def _one_cycle_phases(
    total_steps: int, pct_start: float, three_phase: bool
) -> list[tuple[float, str, str]]:
    """The phases of a one-cycle schedule: (last step, group key at its start, at its end)."""
    rise = float(pct_start * total_steps) - 1
    if three_phase:
        return [
            (rise, "initial_lr", "max_lr"),
            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr"),
            (total_steps - 1, "initial_lr", "min_lr"),
        ]
    return [(rise, "initial_lr", "max_lr"), (total_steps - 1, "max_lr", "min_lr")]
