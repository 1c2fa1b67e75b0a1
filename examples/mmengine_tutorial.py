"""MMEngine's "15 minutes to get started", moved over by changing its imports.

Run it from the repository root: ``python -m examples.mmengine_tutorial`` (5 epochs, a few
seconds on a CPU). The tutorial trains a ResNet-50 on CIFAR-10; to run anywhere without a
download, this one trains a small network on synthetic 3x16x16 images of four classes (each
class a colour pattern plus noise). Everything else is the tutorial's code: a ``BaseModel``
whose ``forward`` takes ``mode``, a ``BaseMetric``, and ``Runner(...)`` with MMEngine's keyword
arguments, configs and built objects mixed. The only lines that differ from the tutorial's are
these imports::

    from mmengine.evaluator import BaseMetric   ->  from runner import BaseMetric
    from mmengine.model import BaseModel        ->  from runner import BaseModel
    from mmengine.runner import Runner          ->  from runner import Runner

``tests/examples/test_mmengine_tutorial.py`` runs it, and, where mmengine is installed beside
regwire, runs the same code under both and compares their learning rates and iterations.
"""

# ruff: noqa: C408  (MMEngine's tutorial writes its configs with dict(...), as its users do)
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import SGD
from torch.utils.data import Dataset

from runner import BaseMetric, BaseModel, Runner


class MMConvNet(BaseModel):
    """The tutorial's model, smaller: ``forward(imgs, labels, mode)``."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 4),
        )

    def forward(self, imgs: torch.Tensor, labels: torch.Tensor, mode: str) -> Any:
        x = self.net(imgs)
        if mode == "loss":
            return {"loss": F.cross_entropy(x, labels)}
        if mode == "predict":
            return x, labels
        return x


class Accuracy(BaseMetric):
    """The tutorial's metric: the share of images whose highest score is their label."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        score, gt = data_samples
        self.results.append(
            {"batch_size": len(gt), "correct": (score.argmax(dim=1) == gt).sum().cpu()}
        )

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        total_correct = sum(item["correct"] for item in results)
        total_size = sum(item["batch_size"] for item in results)
        return {"accuracy": float(100 * total_correct / total_size)}


class ColourPatterns(Dataset[tuple[torch.Tensor, int]]):
    """``size`` images of four classes, made from a fixed seed (the CIFAR-10 stand-in)."""

    def __init__(self, size: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        patterns = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
        self.labels = torch.randint(0, 4, (size,), generator=generator)
        noise = torch.randn(size, 3, 16, 16, generator=generator)
        self.images = patterns[self.labels] + 1.5 * noise

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])


def make_runner(work_dir: str | Path, max_epochs: int = 5) -> Runner:
    """The tutorial's ``Runner(...)`` call, with the synthetic data."""
    train_set = ColourPatterns(512, seed=1)
    valid_set = ColourPatterns(256, seed=2)
    return Runner(
        model=MMConvNet(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            batch_size=32,
            dataset=train_set,
            sampler=dict(type="DefaultSampler", shuffle=True),
            collate_fn=dict(type="default_collate"),
        ),
        optim_wrapper=dict(optimizer=dict(type=SGD, lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_dataloader=dict(
            batch_size=32,
            dataset=valid_set,
            sampler=dict(type="DefaultSampler", shuffle=False),
            collate_fn=dict(type="default_collate"),
        ),
        val_cfg=dict(),
        val_evaluator=dict(type=Accuracy),
    )


def main() -> None:
    """Train as the tutorial does, into ``work_dirs/mmengine_tutorial`` (or argv[1])."""
    work_dir = sys.argv[1] if len(sys.argv) > 1 else "work_dirs/mmengine_tutorial"
    make_runner(work_dir).train()


if __name__ == "__main__":
    main()
