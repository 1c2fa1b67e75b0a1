"""The toy model, dataset and metric of :class:`~runner.testing.RunnerTestCase`: MMEngine's,
small enough to train on the CPU in milliseconds. Registered nowhere: configs name them by
class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

from ..evaluation import BaseMetric
from ..model import BaseModel, ForwardMode


class ToyModel(BaseModel):
    """Two linear layers from 2 inputs to 1 output; batches are ``{inputs, data_samples}``
    (the targets), as ``ToyDataset`` gives them.

    ``forward(mode="loss")`` returns the mean squared error; the other modes the outputs.
    """

    def __init__(self, data_preprocessor: Any = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear1 = nn.Linear(2, 2)
        self.linear2 = nn.Linear(2, 1)

    def forward(self, *args: Any, mode: ForwardMode = "tensor", **batch: Any) -> Any:
        inputs = batch["inputs"] if "inputs" in batch else args[0]
        outputs = self.linear2(self.linear1(inputs)).squeeze(-1)
        if mode == "loss":
            return {"loss": F.mse_loss(outputs, batch["data_samples"])}
        return outputs


class ToyDataset(Dataset[dict[str, torch.Tensor]]):
    """12 samples ``{inputs: Tensor[2], data_samples: Tensor[]}`` (a linear function of the
    inputs), the same in every process."""

    METAINFO: ClassVar[dict[str, Any]] = {}
    data = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    label = data @ torch.tensor([1.0, -1.0]) + 0.5

    @property
    def metainfo(self) -> dict[str, Any]:
        return self.METAINFO

    def __len__(self) -> int:
        return self.data.size(0)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.data[index], "data_samples": self.label[index]}


class ToyMetric(BaseMetric):
    """``acc`` 1 (as MMEngine's), or ``dummy_metrics`` when given, and ``mae``, the mean
    absolute error of the predictions.

    Args:
        collect_device: As :class:`~runner.BaseMetric`'s.
        dummy_metrics: The values to report instead of ``{"acc": 1}`` (to test what reads
            them, such as a hook that keeps the best checkpoint).
    """

    def __init__(
        self, collect_device: str = "cpu", dummy_metrics: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(collect_device=collect_device)
        self.dummy_metrics = dummy_metrics

    def process(self, data_batch: Any, data_samples: Any) -> None:
        errors = (data_samples - data_batch["data_samples"]).abs()
        self.results.extend(errors.tolist())

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        values = dict(self.dummy_metrics) if self.dummy_metrics is not None else {"acc": 1}
        return {**values, "mae": sum(results) / len(results)}
