"""The digits example's dataset and model, registered in regwire's registries.

``cnn.yaml`` imports this module (``custom_imports``) so that ``DigitsDataset`` and
``DigitsCNN`` are known by name. The data is scikit-learn's ``load_digits`` (1,797 images of
8x8 pixels, bundled with scikit-learn: nothing is downloaded).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from runner import DATASETS, MODELS, BaseModel

Split = Literal["train", "val"]


@DATASETS.register_module()
class DigitsDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """scikit-learn's digits, split into train and val the same way for a given seed.

    Args:
        split: ``"train"`` or ``"val"``.
        val_fraction: The share of the images held out for validation.
        seed: Seeds the shuffle that splits the images.

    Items are ``(image, label)``: a float tensor of shape ``(1, 8, 8)`` in ``[0, 1]`` and an
    int64 scalar.
    """

    def __init__(self, split: Split = "train", val_fraction: float = 0.2, seed: int = 0) -> None:
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        from sklearn.datasets import load_digits  # the ``examples`` extra

        digits = load_digits()
        images = np.asarray(digits.images, dtype=np.float32) / 16.0  # pixel values 0..16
        labels = np.asarray(digits.target, dtype=np.int64)
        order = np.random.default_rng(seed).permutation(len(labels))
        num_val = round(len(labels) * val_fraction)
        chosen = order[:num_val] if split == "val" else order[num_val:]
        self.split = split
        self.images = torch.from_numpy(images[chosen]).unsqueeze(1)
        self.labels = torch.from_numpy(labels[chosen])
        self.metainfo = {"classes": [str(digit) for digit in range(10)]}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]


@MODELS.register_module()
class DigitsCNN(BaseModel):
    """Two convolutions and two linear layers for 8x8 grey images, 10 classes.

    Args:
        channels: The channels of the first convolution (the second has twice as many).
        hidden: The width of the hidden linear layer.
        num_classes: The number of classes.
    """

    def __init__(self, channels: int = 16, hidden: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels * 2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * 2 * 4 * 4, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        labels: torch.Tensor | None = None,
        mode: str = "tensor",
    ) -> Any:
        """Return logits (``tensor``), ``{"loss"}`` (``loss``) or scores and labels (``predict``).

        ``predict`` returns ``{"pred_score": Tensor[N, 10], "gt_label": Tensor[N]}``, what
        ``Accuracy`` reads.
        """
        logits = self.head(self.features(inputs))
        if mode == "tensor":
            return logits
        if labels is None:
            raise ValueError(f"mode={mode!r} needs the labels")
        if mode == "loss":
            return {"loss": F.cross_entropy(logits, labels)}
        if mode == "predict":
            return {"pred_score": logits.softmax(dim=1), "gt_label": labels}
        raise ValueError(f"mode must be 'tensor', 'loss' or 'predict', got {mode!r}")
