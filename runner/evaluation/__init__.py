"""Evaluation, usable without a Runner: metrics and the evaluator, with MMEngine's names.

A :class:`BaseMetric` processes every batch of an epoch and then computes its numbers; an
:class:`Evaluator` runs several and merges them; :func:`build_evaluator` builds a
``val_evaluator`` / ``test_evaluator`` section.
"""

from ._accuracy import Accuracy
from ._evaluator import Evaluator, build_evaluator
from ._metric import BaseMetric, MetricMismatchError, collect_results

__all__ = [
    "Accuracy",
    "BaseMetric",
    "Evaluator",
    "MetricMismatchError",
    "build_evaluator",
    "collect_results",
]
