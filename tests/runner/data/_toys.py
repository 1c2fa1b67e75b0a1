"""Annotation files, dataset subclasses and transforms for the dataset tests.

The subclasses are made by functions of their base class, so the side-by-side tests make the
same subclass of MMEngine's ``BaseDataset``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner import DATASETS, TRANSFORMS, BaseDataset

CLASSES = ["zero", "one", "two"]


def items(count: int = 10) -> list[dict[str, Any]]:
    """Raw items: an image path, a label, the categories in it, a value."""
    return [
        {
            "img_path": f"img_{index}.png",
            "label": index % 3,
            "cats": [index % 3] if index % 4 else [0, 2],
            "value": float(index),
        }
        for index in range(count)
    ]


def write_annotations(path: Path, data_list: Any = None, metainfo: Any = None, **more: Any) -> Path:
    """Write an annotation file (JSON) and return its path."""
    content = {
        "metainfo": {"classes": CLASSES, "source": "file"} if metainfo is None else metainfo,
        "data_list": items() if data_list is None else data_list,
        **more,
    }
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def points_class(base: type[Any]) -> type[Any]:
    """A subclass of ``base`` (ours or MMEngine's) with metainfo, a filter and categories."""

    class Points(base):  # type: ignore[misc,valid-type]
        METAINFO = {"classes": CLASSES, "kind": "points"}

        def filter_data(self) -> list[dict[str, Any]]:
            minimum = (self.filter_cfg or {}).get("min_value")
            if minimum is None:
                return list(self.data_list)
            return [item for item in self.data_list if item["value"] >= minimum]

        def get_cat_ids(self, idx: int) -> list[int]:
            return list(self.get_data_info(idx)["cats"])

    return Points


Points = points_class(BaseDataset)


class Scale:
    """Multiply ``value`` by ``factor``."""

    def __init__(self, factor: float = 2.0) -> None:
        self.factor = factor

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "value": data["value"] * self.factor}


class DropOdd:
    """Drop the items whose ``sample_idx`` is odd (what a broken image does)."""

    def __call__(self, data: dict[str, Any]) -> dict[str, Any] | None:
        return None if data["sample_idx"] % 2 else data


class Tag:
    """Append ``name`` to ``data["tags"]``: shows the order transforms ran in."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "tags": [*data.get("tags", []), self.name]}


REGISTERED = {
    TRANSFORMS: {"DataTestScale": Scale, "DataTestDropOdd": DropOdd, "DataTestTag": Tag},
    DATASETS: {"DataTestPoints": Points},
}


class ToTensor:
    """``{"inputs": float tensor of pixels, "labels": int64 label}`` from an item."""

    def __init__(self, side: int = 4) -> None:
        self.side = side

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        import torch

        pixels = torch.tensor(data["pixels"], dtype=torch.float32)
        return {
            "inputs": pixels.reshape(1, self.side, self.side),
            "labels": torch.tensor(data["label"], dtype=torch.int64),
        }


REGISTERED[TRANSFORMS]["DataTestToTensor"] = ToTensor
