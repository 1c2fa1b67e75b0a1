"""Metrics and the evaluator, as in MMEngine.

A metric sees every batch of a validation or test epoch (:meth:`BaseMetric.process`, which
keeps what it needs in ``self.results``) and then computes its numbers from all of them
(:meth:`BaseMetric.compute_metrics`). With torch.distributed, :meth:`BaseMetric.evaluate`
gathers the results of every process first. An :class:`Evaluator` runs several metrics and
merges their numbers into one dict, each key prefixed with its metric's ``prefix``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.distributed as dist

from container import ConfigError

from ._dist import dist_info
from ._paths import build_at
from ._registries import EVALUATOR, METRICS


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


@EVALUATOR.register_module()
class Evaluator:
    """Runs several metrics over an epoch and merges their values into one dict.

    Args:
        metrics: A metric, a list of metrics, or their configs (built with ``METRICS``).

    Raises:
        TypeError: An entry is not a :class:`BaseMetric`.
    """

    def __init__(self, metrics: BaseMetric | Mapping[str, Any] | Sequence[Any]) -> None:
        if isinstance(metrics, BaseMetric | Mapping):
            metrics = [metrics]
        built = []
        for index, metric in enumerate(metrics):
            if isinstance(metric, Mapping):
                metric = build_at(METRICS, metric, f"metrics.{index}")
            if not isinstance(metric, BaseMetric):
                raise TypeError(f"metrics[{index}] must be a BaseMetric, got {metric!r}")
            built.append(metric)
        self.metrics: list[BaseMetric] = built
        self._dataset_meta: Mapping[str, Any] | None = None

    @property
    def dataset_meta(self) -> Mapping[str, Any] | None:
        """The dataset's meta information, handed to every metric."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: Mapping[str, Any] | None) -> None:
        self._dataset_meta = meta
        for metric in self.metrics:
            metric.dataset_meta = meta

    def process(self, data_samples: Any, data_batch: Any = None) -> None:
        """Hand one batch and the model's predictions for it to every metric.

        The argument order is MMEngine's (predictions first).
        """
        for metric in self.metrics:
            metric.process(data_batch, data_samples)

    def evaluate(self, size: int) -> dict[str, Any]:
        """Evaluate every metric and merge the values.

        Raises:
            ValueError: Two metrics return the same key (give one a ``prefix``).
        """
        merged: dict[str, Any] = {}
        for metric in self.metrics:
            for key, value in metric.evaluate(size).items():
                if key in merged:
                    raise ValueError(
                        f"two metrics return {key!r}; give {type(metric).__name__} another prefix"
                    )
                merged[key] = value
        return merged

    def __repr__(self) -> str:
        return f"Evaluator({[type(metric).__name__ for metric in self.metrics]})"


def build_evaluator(cfg: Any, section: str = "val_evaluator") -> Evaluator | None:
    """Build a ``val_evaluator`` / ``test_evaluator`` section.

    Args:
        cfg: None (no evaluation), a metric config (``{type: Accuracy}``), a list of metric
            configs, an evaluator config (``{type: Evaluator, metrics: [...]}``), or a ready
            :class:`Evaluator` or metric.
        section: Where ``cfg`` sits in the whole config, for error messages.

    Returns:
        The evaluator, or None when ``cfg`` is None or empty.

    Raises:
        RegwireError: A ``type`` is unknown or rejected its arguments (the path starts with
            ``section``).
    """
    if cfg is None or (isinstance(cfg, Mapping | list | tuple) and not cfg):
        return None
    if isinstance(cfg, Evaluator):
        return cfg
    if isinstance(cfg, BaseMetric):
        return Evaluator([cfg])
    if isinstance(cfg, list | tuple):
        return Evaluator([_build_metric(item, f"{section}.{i}") for i, item in enumerate(cfg)])
    if not isinstance(cfg, Mapping) or "type" not in cfg:
        raise ConfigError(
            f"{section!r} must be a metric ({{type: Accuracy}}), a list of metrics or "
            f"{{type: Evaluator, metrics: [...]}}, got {cfg!r}",
            config_path=section,
        )
    type_ = cfg["type"]
    is_evaluator = (isinstance(type_, str) and EVALUATOR.get(type_) is not None) or (
        isinstance(type_, type) and issubclass(type_, Evaluator)
    )
    if not is_evaluator:
        return Evaluator([_build_metric(cfg, section)])
    metrics = cfg.get("metrics")
    metrics_path = f"{section}.metrics"
    if isinstance(metrics, Mapping):
        built: Any = _build_metric(metrics, metrics_path)
    elif isinstance(metrics, list | tuple):
        built = [_build_metric(item, f"{metrics_path}.{i}") for i, item in enumerate(metrics)]
    else:
        raise ConfigError(
            f"{metrics_path!r} must be a metric config or a list of them, got {metrics!r}",
            config_path=metrics_path,
        )
    rest = {key: value for key, value in cfg.items() if key != "metrics"}
    evaluator = build_at(EVALUATOR, rest, section, metrics=built)
    if not isinstance(evaluator, Evaluator):
        raise ConfigError(
            f"'{section}.type' must build an Evaluator, got {type(evaluator).__name__}",
            config_path=f"{section}.type",
        )
    return evaluator


def _build_metric(cfg: Any, path: str) -> BaseMetric:
    if isinstance(cfg, BaseMetric):
        return cfg
    if not isinstance(cfg, Mapping) or "type" not in cfg:
        raise ConfigError(
            f"{path!r} must be a metric config such as {{type: Accuracy}}, got {cfg!r}",
            config_path=path,
        )
    metric = build_at(METRICS, cfg, path)
    if not isinstance(metric, BaseMetric):
        raise ConfigError(
            f"'{path}.type' must build a BaseMetric, got {type(metric).__name__}",
            config_path=f"{path}.type",
        )
    return metric


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Top-k classification accuracy, in percent (as mmpretrain reports it).

    ``data_samples``, what the model returns in predict mode, is either

    - a dict of batched tensors: ``{"pred_score": Tensor[N, C], "gt_label": Tensor[N]}``
      (scores or logits; ``"pred_label": Tensor[N]`` instead of scores allows top-1 only), or
    - a list of per-sample dicts with the same keys (``pred_score``: ``Tensor[C]``,
      ``gt_label``: an int or a one-element tensor).

    Args:
        topk: The k of each top-k accuracy; the keys are ``top1``, ``top5``, ...
        collect_device: See :class:`BaseMetric`.
        prefix: Defaults to ``"accuracy"``, so the keys are ``accuracy/top1``.

    Example:
        >>> metric = Accuracy(topk=(1, 2))
        >>> metric.process(None, {"pred_score": torch.tensor([[0.1, 0.9], [0.8, 0.2]]),
        ...                       "gt_label": torch.tensor([1, 1])})
        >>> metric.evaluate(size=2)
        {'accuracy/top1': 50.0, 'accuracy/top2': 100.0}
    """

    default_prefix = "accuracy"

    def __init__(
        self,
        topk: int | Sequence[int] = (1,),
        collect_device: str = "cpu",
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        ks = (topk,) if isinstance(topk, int) else tuple(topk)
        if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
            raise ValueError(f"topk must be positive ints, got {topk!r}")
        self.topk = ks

    def process(self, data_batch: Any, data_samples: Any) -> None:
        """Keep, per sample, the label and its rank among the predicted scores."""
        scores, labels, predicted = _read_samples(data_samples)
        if scores is not None:
            if scores.ndim != 2 or scores.shape[0] != labels.shape[0]:
                raise ValueError(
                    f"pred_score must be [N, C] with N labels; got {tuple(scores.shape)} "
                    f"for {labels.shape[0]} labels"
                )
            k = min(max(self.topk), scores.shape[1])
            top = scores.topk(k, dim=1).indices
            hits = top == labels.unsqueeze(1)
            # the rank of the true label among the top k, or k when it is not among them
            ranks = torch.where(hits.any(dim=1), hits.float().argmax(dim=1), k).tolist()
        elif predicted is not None:
            if max(self.topk) > 1:
                raise ValueError("pred_label gives top-1 only; return pred_score for top-k")
            ranks = torch.where(predicted == labels, 0, 1).tolist()
        self.results.extend(ranks)

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        """The share of samples whose label ranks within each k, in percent."""
        total = len(results)
        return {f"top{k}": 100.0 * sum(rank < k for rank in results) / total for k in self.topk}


def _as_labels(value: Any) -> torch.Tensor:
    return torch.as_tensor(value).reshape(-1).long().cpu()


def _read_samples(
    data_samples: Any,
) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor | None]:
    """Return the scores (or None), the labels and the predicted labels (or None)."""
    if isinstance(data_samples, Mapping):
        samples = data_samples
        if "gt_label" not in samples:
            raise ValueError(
                f"Accuracy needs 'gt_label' in the model's predictions, got keys {sorted(samples)}"
            )
        labels = _as_labels(samples["gt_label"])
        if "pred_score" in samples:
            return torch.as_tensor(samples["pred_score"]).detach().float().cpu(), labels, None
        if "pred_label" in samples:
            return None, labels, _as_labels(samples["pred_label"])
        raise ValueError(
            "Accuracy needs 'pred_score' or 'pred_label' in the model's predictions, got keys "
            f"{sorted(samples)}"
        )
    if isinstance(data_samples, Sequence) and data_samples:
        if not all(isinstance(sample, Mapping) for sample in data_samples):
            raise ValueError("Accuracy needs a dict of tensors or a list of per-sample dicts")
        keys = ("gt_label", "pred_score", "pred_label")
        batched = {
            key: [sample[key] for sample in data_samples]
            for key in keys
            if all(key in sample for sample in data_samples)
        }
        stacked: dict[str, Any] = {
            key: torch.stack([torch.as_tensor(v).reshape(-1) for v in values])
            for key, values in batched.items()
        }
        return _read_samples(stacked)
    raise ValueError(
        "Accuracy needs the model's predictions as {'pred_score': [N, C], 'gt_label': [N]} or "
        f"a list of per-sample dicts, got {type(data_samples).__name__}"
    )
