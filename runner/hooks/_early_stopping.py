"""EarlyStoppingHook: stops training when a validation metric stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from .._registries import HOOKS
from .._sections import check_positive
from ..engine import Hook, Priority, RunnerView
from ._best import WORST, check_rule, infer_rule, is_better


@HOOKS.register_module()
class EarlyStoppingHook(Hook):
    """Stop training after ``patience`` validations without improvement of ``monitor``
    (MMEngine's hook). Its counters are its ``state_dict``, so a resumed run keeps counting
    where it stopped (MMEngine's starts over).

    Args:
        monitor: The metric (``accuracy/top1``, ``loss``).
        rule: ``greater`` or ``less``; None infers it from the name as ``save_best`` does.
        min_delta: An improvement must exceed this.
        strict: A validation without ``monitor`` is an error (otherwise a warning).
        check_finite: Stop when the metric becomes NaN or infinite.
        patience: How many validations without improvement are tolerated.
        stopping_threshold: Stop as soon as the metric is better than this.

    Raises:
        ValueError: ``rule`` is neither, or cannot be inferred; ``patience`` is not positive.
    """

    priority = Priority.LOWEST

    def __init__(
        self,
        monitor: str,
        rule: Literal["greater", "less"] | None = None,
        min_delta: float = 0.1,
        strict: bool = False,
        check_finite: bool = True,
        patience: int = 5,
        stopping_threshold: float | None = None,
    ) -> None:
        check_positive("patience", patience)
        self.monitor = monitor
        self.rule = check_rule(rule) or infer_rule(monitor, argument="monitor")
        self.min_delta = abs(min_delta)
        self.strict = strict
        self.check_finite = check_finite
        self.patience = patience
        self.stopping_threshold = stopping_threshold
        self.best_score = WORST[self.rule]
        self.wait_count = 0

    def state_dict(self) -> dict[str, Any]:
        return {"best_score": self.best_score, "wait_count": self.wait_count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score = float(state.get("best_score", WORST[self.rule]))
        self.wait_count = int(state.get("wait_count", 0))

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        metrics = metrics or {}
        if self.monitor not in metrics:
            message = (
                f"EarlyStoppingHook monitors {self.monitor!r}, which the validation did not "
                f"return (it returned {', '.join(map(repr, metrics)) or 'nothing'})"
            )
            if self.strict:
                raise KeyError(message)
            runner.logger.warning("%s; not stopping", message)
            return
        reason = self._reason_to_stop(float(metrics[self.monitor]))
        loop = runner.train_loop
        if reason is not None and loop is not None:
            loop.stop_training = True
            runner.logger.info("early stopping: %s", reason)

    def _improved(self, score: float) -> bool:
        """By ``min_delta`` or more (MMEngine's comparison, equality included)."""
        if self.rule == "greater":
            return not self.best_score + self.min_delta > score
        return not self.best_score - self.min_delta < score

    def _reason_to_stop(self, score: float) -> str | None:
        if self.check_finite and not math.isfinite(score):
            return f"{self.monitor} is {score} (best was {self.best_score:.4f})"
        threshold = self.stopping_threshold
        if threshold is not None and is_better(self.rule, score, threshold):
            self.best_score = score
            return f"{self.monitor} = {score:.4f} reached the threshold {threshold}"
        if self._improved(score):
            self.best_score, self.wait_count = score, 0
            return None
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return (
                f"{self.monitor} did not improve by more than {self.min_delta} in "
                f"{self.wait_count} validations (best {self.best_score:.4f})"
            )
        return None
