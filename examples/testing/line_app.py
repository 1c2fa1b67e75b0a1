"""A small training app: fit a line, ``y = 2 x + 1``, from a config file (``line.yaml``).

Its tests, in ``test_line_app.py``, show the pytest plugin at work: they override components
of the app for one test and build it with its work dir in ``tmp_path``. Train it with
``regwire train examples/testing/line.yaml`` from the repository root.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

from runner import DATASETS, METRICS, MODELS, BaseMetric, BaseModel


@DATASETS.register_module()
class LineDataset(Dataset[dict[str, torch.Tensor]]):
    """``size`` points of ``y = slope * x + intercept``, ``x`` evenly spaced in [-1, 1].

    Items are ``{"inputs": Tensor[1], "data_samples": Tensor[]}`` (the target).
    """

    def __init__(self, size: int = 32, slope: float = 2.0, intercept: float = 1.0) -> None:
        self.x = torch.linspace(-1.0, 1.0, size).unsqueeze(1)
        self.y = slope * self.x.squeeze(1) + intercept

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[index], "data_samples": self.y[index]}


@MODELS.register_module()
class LineModel(BaseModel):
    """A linear layer from ``in_features`` inputs to one output, trained on squared error."""

    def __init__(self, in_features: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        data_samples: torch.Tensor | None = None,
        mode: str = "tensor",
    ) -> Any:
        """The predictions (``tensor``, ``predict``) or ``{"loss": ...}`` (``loss``)."""
        outputs = self.linear(inputs).squeeze(-1)
        if mode == "loss":
            return {"loss": F.mse_loss(outputs, data_samples)}
        return outputs


@METRICS.register_module()
class LineError(BaseMetric):
    """The mean absolute error of the predictions: ``{"mae": float}``."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend((data_samples - data_batch["data_samples"]).abs().tolist())

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"mae": sum(results) / len(results)}
