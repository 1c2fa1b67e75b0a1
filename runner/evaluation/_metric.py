"""BaseMetric: a metric computed over a whole validation or test epoch, as in MMEngine.

A metric sees every batch (:meth:`BaseMetric.process`, which keeps what it needs in
``self.results``) and then computes its numbers from all of them
(:meth:`BaseMetric.compute_metrics`). With torch.distributed, :meth:`BaseMetric.evaluate`
gathers the results of every process first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import torch.distributed as dist

from ..dist import dist_info


class MetricMismatchError(ValueError):
    """A metric cannot read what the model returns, or is set up for something else (a
    ``topk`` beyond the number of classes): the evaluator in the config does not fit the
    model. The evaluation loop reports it as a config error naming ``val_evaluator`` or
    ``test_evaluator``; any other exception in a metric is a bug and keeps its traceback."""


def collect_results(results: list[Any], size: int) -> list[Any]:
    """Gather every process's results, in dataset order, and cut them to ``size``.

    Process ``r`` holds the samples ``r, r + world_size, ...`` (see ``DefaultSampler``), so
    the gathered lists are interleaved back; padding added by ``round_up`` falls past
    ``size`` and is cut. Without torch.distributed, ``results[:size]``.
    """
    world_size = dist_info()[1]
    if world_size == 1:
        return results[:size]
    parts: list[list[Any]] = [[] for _ in range(world_size)]
    dist.all_gather_object(parts, results)
    ordered: list[Any] = []
    for index in range(max(len(part) for part in parts)):
        ordered.extend(part[index] for part in parts if index < len(part))
    return ordered[:size]


class BaseMetric(ABC):
    """A metric computed over a whole validation or test epoch.

    Subclasses implement :meth:`process` (append per-batch results to ``self.results``) and
    :meth:`compute_metrics` (turn all results into numbers), and may set ``default_prefix``.

    Args:
        collect_device: Where results are gathered across processes (``"cpu"``; kept for
            MMEngine compatibility: results are gathered as Python objects).
        prefix: Put in front of every key the metric returns (``prefix/key``); defaults to
            the class's ``default_prefix``.
    """

    default_prefix: str | None = None

    def __init__(self, collect_device: str = "cpu", prefix: str | None = None) -> None:
        self.collect_device = collect_device
        self.prefix = prefix if prefix is not None else self.default_prefix
        self.results: list[Any] = []
        self.dataset_meta: Mapping[str, Any] | None = None

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Any) -> None:
        """Keep what the metric needs from one batch in ``self.results``.

        Args:
            data_batch: The batch from the dataloader.
            data_samples: What the model returned for it in predict mode.
        """

    @abstractmethod
    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        """Compute the metric from the results of the whole epoch (all processes)."""

    def evaluate(self, size: int) -> dict[str, Any]:
        """Gather the results of all processes, compute the metric, and reset.

        Args:
            size: The number of samples in the dataset; results past it (padding that made
                the processes' shares equal) are dropped.

        Returns:
            The metric's values with keys ``prefix/key`` (just ``key`` without a prefix).
        """
        if not self.results:
            raise ValueError(
                f"{type(self).__name__} has no results: process() was never called, or the "
                "dataloader was empty"
            )
        results = collect_results(self.results, size)
        metrics = self.compute_metrics(results)
        self.results.clear()
        if not self.prefix:
            return metrics
        return {f"{self.prefix}/{key}": value for key, value in metrics.items()}
