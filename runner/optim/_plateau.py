"""ReduceOnPlateauParamScheduler: lower a parameter when a validation metric stops improving.

MMEngine's scheduler of that name. ``ParamSchedulerHook`` calls :meth:`step` without
arguments after each training epoch (it only counts epochs) and with the metrics after each
validation; each validation inside ``[begin, end)`` compares ``metrics[monitor]`` with the
best so far, and after more than ``patience`` validations without improvement multiplies
the value by ``factor`` (not below ``min_value``), then waits ``cooldown`` validations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import PARAM_SCHEDULERS
from ._param_scheduler import INF, ParamScheduler, is_number

RULES = ("less", "greater")
THRESHOLD_RULES = ("rel", "abs")
PLATEAU_CHOICES = {"rule": RULES, "threshold_rule": THRESHOLD_RULES}
"""The arguments of a plateau scheduler that take one of a few names."""

_LOGGER = logging.getLogger(__name__)


@PARAM_SCHEDULERS.register_module()
class ReduceOnPlateauParamScheduler(ParamScheduler):
    """Multiply the value by ``factor`` when ``monitor`` has not improved for ``patience``
    validations.

    Args:
        monitor: The metric to watch (a key of the validation metrics).
        rule: ``"less"`` (lower is better, as for a loss) or ``"greater"``.
        factor: The multiplier, below 1.
        patience: How many validations without improvement are tolerated.
        threshold: How much better a metric must be to count as an improvement.
        threshold_rule: ``"rel"`` (``best * (1 -/+ threshold)``) or ``"abs"``
            (``best -/+ threshold``).
        cooldown: Validations to wait after a reduction before counting again.
        min_value: The lowest value, one for all groups or one per group.
        eps: A reduction smaller than this is skipped.

    Raises:
        ValueError: ``by_epoch`` is false (MMEngine steps it after validation epochs only),
            or an argument is out of range.
    """

    need_val_args = True

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        monitor: str = "loss",
        rule: str = "less",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_rule: str = "rel",
        cooldown: int = 0,
        min_value: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self._refuse_arguments(
            by_epoch=by_epoch,
            factor=factor,
            rule=rule,
            threshold=threshold,
            threshold_rule=threshold_rule,
        )
        self._attach(optimizer, param_name, begin, end, last_step, by_epoch)
        self.last_step = last_step
        self._global_step = 0  # no first step at construction: it waits for metrics
        self.verbose = verbose
        groups = len(self.optimizer.param_groups)
        if isinstance(min_value, list | tuple):
            if len(min_value) != groups:
                raise ValueError(f"expected {groups} values of min_value, got {len(min_value)}")
            self.min_values = list(min_value)
        else:
            self.min_values = [min_value] * groups
        self.monitor = monitor
        self.rule = rule
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_rule = threshold_rule
        self.cooldown = cooldown
        self.eps = eps
        self.cooldown_counter = 0
        self.num_bad_epochs = 0
        self.rule_worse = INF if rule == "less" else -INF
        self.best: float = self.rule_worse
        self._last_value = self._current()

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``by_epoch`` true (it steps after validation epochs), ``factor`` below 1,
        ``threshold`` at least 0, ``rule`` and ``threshold_rule`` among their names."""
        problems = []
        if args.get("by_epoch", True) is False:
            problems.append(
                (
                    "by_epoch",
                    "must be true: a plateau scheduler steps on the metrics of validation epochs",
                )
            )
        factor, threshold = args.get("factor"), args.get("threshold")
        if is_number(factor) and factor >= 1.0:
            problems.append(("factor", f"must be below 1, got {factor}"))
        if is_number(threshold) and threshold < 0:
            problems.append(("threshold", f"must be 0 or more, got {threshold}"))
        for key, choices in PLATEAU_CHOICES.items():
            given = args.get(key)
            if isinstance(given, str) and given not in choices:
                problems.append(
                    (
                        key,
                        f"must be one of {', '.join(choices)}{did_you_mean(given, choices)}, "
                        f"got {given!r}",
                    )
                )
        return problems

    def step(self, metrics: Mapping[str, Any] | None = None) -> None:
        """Count an epoch (no ``metrics``) or judge a validation's ``metrics``.

        Raises:
            TypeError: ``metrics`` is not a mapping.
            ConfigError: ``metrics`` has no ``monitor`` (the path names ``monitor``, and the
                nearest metric is suggested).
        """
        if metrics is None:
            self._global_step += 1
            return
        if not isinstance(metrics, Mapping):
            raise TypeError(f"metrics must be a mapping, got {type(metrics).__name__}")
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            self._judge(self._metric(metrics))
        self._last_value = self._current()
        self._after_update()

    def _metric(self, metrics: Mapping[str, Any]) -> float:
        if self.monitor not in metrics:
            names = [str(name) for name in metrics]
            path = f"{self.config_path}.monitor" if self.config_path else "monitor"
            raise ConfigError(
                f"{PATH} is {self.monitor!r}, which is not among the validation metrics "
                f"({', '.join(names) or 'none'}){did_you_mean(self.monitor, names)}",
                config_path=path,
            )
        return float(metrics[self.monitor])

    def _judge(self, metric: float) -> None:
        if self._is_better(metric, self.best):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            for index, (group, value) in enumerate(
                zip(self.optimizer.param_groups, self._get_value(), strict=True)
            ):
                if group[self.param_name] - value > self.eps:
                    group[self.param_name] = value
                    if self.verbose:
                        _LOGGER.info(
                            "%s of group %d reduced to %.4e", self.param_name, index, value
                        )
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def _get_value(self) -> list[Any]:
        return [
            max(float(group[self.param_name]) * self.factor, low)
            for group, low in zip(self.optimizer.param_groups, self.min_values, strict=True)
        ]

    def _is_better(self, metric: float, best: float) -> bool:
        if self.rule == "less":
            if self.threshold_rule == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_rule == "rel":
            return metric > best * (1.0 + self.threshold)
        return metric > best + self.threshold
