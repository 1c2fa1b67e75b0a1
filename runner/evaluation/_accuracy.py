"""Accuracy: top-k classification accuracy, in percent (as mmpretrain reports it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from .._registries import METRICS
from ._metric import BaseMetric, MetricMismatchError


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
                raise MetricMismatchError(
                    f"pred_score must be [N, C] with N labels; got {tuple(scores.shape)} "
                    f"for {labels.shape[0]} labels"
                )
            if max(self.topk) > scores.shape[1]:
                raise MetricMismatchError(
                    f"Accuracy's topk {max(self.topk)} is more than the {scores.shape[1]} "
                    "classes the model scores: every sample would count as right"
                )
            k = max(self.topk)
            top = scores.topk(k, dim=1).indices
            hits = top == labels.unsqueeze(1)
            # the rank of the true label among the top k, or k when it is not among them
            ranks = torch.where(hits.any(dim=1), hits.float().argmax(dim=1), k).tolist()
        elif predicted is not None:
            if max(self.topk) > 1:
                raise MetricMismatchError(
                    "pred_label gives top-1 only; return pred_score for top-k"
                )
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
            raise MetricMismatchError(
                f"Accuracy needs 'gt_label' in the model's predictions, got keys {sorted(samples)}"
            )
        labels = _as_labels(samples["gt_label"])
        if "pred_score" in samples:
            return torch.as_tensor(samples["pred_score"]).detach().float().cpu(), labels, None
        if "pred_label" in samples:
            return None, labels, _as_labels(samples["pred_label"])
        raise MetricMismatchError(
            "Accuracy needs 'pred_score' or 'pred_label' in the model's predictions, got keys "
            f"{sorted(samples)}"
        )
    if isinstance(data_samples, Sequence) and data_samples:
        if not all(isinstance(sample, Mapping) for sample in data_samples):
            raise MetricMismatchError(
                "Accuracy needs a dict of tensors or a list of per-sample dicts"
            )
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
    raise MetricMismatchError(
        "Accuracy needs the model's predictions as {'pred_score': [N, C], 'gt_label': [N]} or "
        f"a list of per-sample dicts, got {type(data_samples).__name__}"
    )
