"""Tiny models, data and evaluators for the runner's tests (no example code needed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from runner import STAGES, Hook, OptimWrapper


class ToyModel(nn.Module):
    """Linear regression with MMEngine's step methods."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)  # type: ignore[no-any-return]

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        x, y = data
        loss = F.mse_loss(self(x), y)
        optim_wrapper.update_params(loss)
        return {"loss": loss.detach()}

    def val_step(self, data: Any) -> list[float]:
        x, y = data
        return [float(v) for v in (self(x) - y).abs().flatten()]

    test_step = val_step


class MeanError:
    """An evaluator: the mean absolute error of what val_step returned."""

    def __init__(self) -> None:
        self.errors: list[float] = []

    def process(self, data_samples: list[float], data_batch: Any = None) -> None:
        self.errors.extend(data_samples)

    def evaluate(self, size: int) -> dict[str, float]:
        result = {"mae": sum(self.errors) / max(len(self.errors), 1), "size": float(size)}
        self.errors = []
        return result


class Recorder(Hook):
    """Records every stage with the counters the runner shows at that moment."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def record(self, stage: str, runner: Any) -> None:
        self.calls.append((stage, runner.epoch, runner.iter))

    def stages(self) -> list[str]:
        return [stage for stage, _, _ in self.calls]


def _recording(stage: str) -> Callable[..., None]:
    def method(self: Recorder, runner: Any, **kwargs: Any) -> None:
        self.record(stage, runner)

    method.__name__ = stage
    return method


for _stage in STAGES:
    setattr(Recorder, _stage, _recording(_stage))


def make_data(n: int = 16, seed: int = 0) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=generator)
    y = x @ torch.tensor([[2.0], [-1.0]]) + 0.5
    return TensorDataset(x, y)


def make_loader(n: int = 16, batch_size: int = 4, **kwargs: Any) -> DataLoader[Any]:
    return DataLoader(make_data(n), batch_size=batch_size, **kwargs)


@pytest.fixture
def model() -> ToyModel:
    torch.manual_seed(0)
    return ToyModel()


@pytest.fixture
def optim(model: ToyModel) -> OptimWrapper:
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))


@pytest.fixture
def no_determinism() -> Iterator[None]:
    """Restore torch's global deterministic flag after a test that sets it."""
    before = torch.are_deterministic_algorithms_enabled()
    yield
    torch.use_deterministic_algorithms(before)
