"""BaseMetric, Evaluator, build_evaluator and Accuracy."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from container import BuildError, ConfigError, RegistryError
from runner import METRICS, Accuracy, BaseMetric, Evaluator, build_evaluator


class Count(BaseMetric):
    """Counts samples; its results are the sample ids it saw."""

    default_prefix = "count"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"n": len(results), "ids": list(results)}


SCORES = torch.tensor(
    [
        [0.1, 0.7, 0.2],  # top1 1, top2 {1, 2}
        [0.6, 0.3, 0.1],  # top1 0, top2 {0, 1}
        [0.2, 0.3, 0.5],  # top1 2, top2 {2, 1}
        [0.5, 0.1, 0.4],  # top1 0, top2 {0, 2}
    ]
)
LABELS = torch.tensor([1, 1, 0, 0])


def test_accuracy_top1_and_top2_in_percent() -> None:
    metric = Accuracy(topk=(1, 2))
    metric.process(None, {"pred_score": SCORES[:2], "gt_label": LABELS[:2]})
    metric.process(None, {"pred_score": SCORES[2:], "gt_label": LABELS[2:]})
    assert metric.evaluate(size=4) == {"accuracy/top1": 50.0, "accuracy/top2": 75.0}
    assert metric.results == []  # reset after evaluate


def test_accuracy_from_per_sample_dicts_and_pred_labels() -> None:
    metric = Accuracy(prefix="acc")
    samples = [
        {"pred_score": score, "gt_label": int(label)}
        for score, label in zip(SCORES, LABELS, strict=True)
    ]
    metric.process(None, samples)
    assert metric.evaluate(4) == {"acc/top1": 50.0}
    metric.process(None, {"pred_label": torch.tensor([1, 0, 0, 1]), "gt_label": LABELS})
    assert metric.evaluate(4) == {"acc/top1": 50.0}
    metric.process(None, [{"pred_label": 1, "gt_label": 1}, {"pred_label": 2, "gt_label": 1}])
    assert metric.evaluate(2) == {"acc/top1": 50.0}


def test_accuracy_evaluate_cuts_padding_to_size() -> None:
    metric = Accuracy()
    metric.process(None, {"pred_score": SCORES, "gt_label": LABELS})
    assert metric.evaluate(size=2) == {"accuracy/top1": 50.0}  # samples 0 and 1: hit, miss


def test_accuracy_rejects_bad_predictions() -> None:
    metric = Accuracy()
    with pytest.raises(ValueError, match="needs 'gt_label'"):
        metric.process(None, {"pred_score": SCORES})
    with pytest.raises(ValueError, match="'pred_score' or 'pred_label'"):
        metric.process(None, {"gt_label": LABELS})
    with pytest.raises(ValueError, match=r"must be \[N, C\]"):
        metric.process(None, {"pred_score": SCORES[0], "gt_label": LABELS})
    with pytest.raises(ValueError, match="top-1 only"):
        Accuracy(topk=(1, 5)).process(None, {"pred_label": LABELS, "gt_label": LABELS})
    with pytest.raises(ValueError, match="got Tensor"):
        metric.process(None, SCORES)
    with pytest.raises(ValueError, match="topk must be positive ints"):
        Accuracy(topk=(0,))


def test_evaluate_without_results_is_an_error() -> None:
    with pytest.raises(ValueError, match="Accuracy has no results"):
        Accuracy().evaluate(1)


def test_evaluator_merges_metrics_and_rejects_duplicate_keys() -> None:
    evaluator = Evaluator([Accuracy(), Count()])
    evaluator.process({"pred_score": SCORES, "gt_label": LABELS})
    # Count sees the same dict; make its results the ids instead
    evaluator.metrics[1].results = [0, 1, 2, 3]
    assert evaluator.evaluate(4) == {"accuracy/top1": 50.0, "count/n": 4, "count/ids": [0, 1, 2, 3]}

    clash = Evaluator([Accuracy(), Accuracy()])
    clash.process({"pred_score": SCORES, "gt_label": LABELS})
    with pytest.raises(ValueError, match="two metrics return 'accuracy/top1'"):
        clash.evaluate(4)


def test_evaluator_hands_meta_to_metrics() -> None:
    evaluator = Evaluator(Count())
    evaluator.dataset_meta = {"classes": ["a"]}
    assert evaluator.metrics[0].dataset_meta == {"classes": ["a"]}


def test_build_evaluator_shapes() -> None:
    assert build_evaluator(None) is None
    assert build_evaluator({}) is None
    one = build_evaluator({"type": "Accuracy", "topk": [1, 2]})
    assert isinstance(one, Evaluator)
    assert isinstance(one.metrics[0], Accuracy)
    assert one.metrics[0].topk == (1, 2)
    several = build_evaluator([{"type": "Accuracy"}, {"type": Count}])
    assert isinstance(several, Evaluator)
    assert [type(m) for m in several.metrics] == [Accuracy, Count]
    wrapped = build_evaluator({"type": "Evaluator", "metrics": [{"type": "Accuracy"}]})
    assert isinstance(wrapped, Evaluator)
    assert isinstance(wrapped.metrics[0], Accuracy)
    single = build_evaluator({"type": "Evaluator", "metrics": {"type": "Accuracy"}})
    assert isinstance(single, Evaluator)
    assert len(single.metrics) == 1
    assert METRICS.get("Accuracy") is Accuracy


@pytest.mark.parametrize(
    ("cfg", "error", "match"),
    [
        ({"type": "Acuracy"}, RegistryError, r"'val_evaluator\.type'.*did you mean 'Accuracy'"),
        (
            [{"type": "Accuracy"}, {"type": "Acc"}],
            RegistryError,
            r"'val_evaluator\.1\.type'",
        ),
        (
            {"type": "Evaluator", "metrics": [{"type": "Nope"}]},
            RegistryError,
            r"'val_evaluator\.metrics\.0\.type'",
        ),
        ({"type": "Evaluator"}, ConfigError, r"'val_evaluator\.metrics' must be"),
        ({"topk": 1}, ConfigError, r"'val_evaluator' must be a metric"),
        ([{"topk": 1}], ConfigError, r"'val_evaluator\.0' must be a metric config"),
    ],
)
def test_build_evaluator_errors_name_the_path(cfg: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        build_evaluator(cfg)


def test_bad_metric_argument_names_the_path() -> None:
    with pytest.raises(BuildError, match=r"'test_evaluator'.*topk must be positive") as info:
        build_evaluator({"type": "Accuracy", "topk": -1}, section="test_evaluator")
    assert getattr(info.value, "config_path", None) == "test_evaluator"
