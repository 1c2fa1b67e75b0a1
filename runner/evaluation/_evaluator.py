"""The evaluator: several metrics over one epoch, their numbers merged into one dict.

Each key is prefixed with its metric's ``prefix``; :func:`build_evaluator` builds a
``val_evaluator`` / ``test_evaluator`` config section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from container import ConfigError
from providers import PATH

from .._registries import EVALUATOR, METRICS
from .._sections import build_at
from ._metric import BaseMetric


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
            f"{PATH} must be a metric ({{type: Accuracy}}), a list of metrics or "
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
            f"{PATH} must be a metric config or a list of them, got {metrics!r}",
            config_path=metrics_path,
        )
    rest = {key: value for key, value in cfg.items() if key != "metrics"}
    evaluator = build_at(EVALUATOR, rest, section, metrics=built)
    if not isinstance(evaluator, Evaluator):
        raise ConfigError(
            f"{PATH} must build an Evaluator, got {type(evaluator).__name__}",
            config_path=f"{section}.type",
        )
    return evaluator


def _build_metric(cfg: Any, path: str) -> BaseMetric:
    if isinstance(cfg, BaseMetric):
        return cfg
    if not isinstance(cfg, Mapping) or "type" not in cfg:
        raise ConfigError(
            f"{PATH} must be a metric config such as {{type: Accuracy}}, got {cfg!r}",
            config_path=path,
        )
    metric = build_at(METRICS, cfg, path)
    if not isinstance(metric, BaseMetric):
        raise ConfigError(
            f"{PATH} must build a BaseMetric, got {type(metric).__name__}",
            config_path=f"{path}.type",
        )
    return metric
