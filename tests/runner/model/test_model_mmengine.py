"""Side by side with MMEngine: the same ``init_cfg`` on the same seed gives the same
parameters, and the same preprocessor options give the same batch. Skipped where mmengine is
not installed (the benchmark environment, ``.venv-bench``, has it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner import model as ours

mm_model = pytest.importorskip("mmengine.model")

CASES: list[Any] = [
    {"type": "Constant", "val": 0.5, "bias": 0.1, "layer": ["Linear", "_BatchNorm"]},
    {"type": "Xavier", "gain": 2, "distribution": "uniform", "layer": "Conv2d"},
    {"type": "Normal", "mean": 0.1, "std": 0.02, "bias_prob": 0.01, "layer": "Linear"},
    {"type": "TruncNormal", "std": 0.5, "a": -0.3, "b": 0.6, "layer": ["Conv2d", "Linear"]},
    {"type": "Uniform", "a": -2, "b": 3, "layer": "Linear"},
    {
        "type": "Kaiming",
        "a": 0.1,
        "mode": "fan_in",
        "nonlinearity": "leaky_relu",
        "layer": "Conv2d",
    },
    {"type": "Caffe2Xavier", "layer": "Conv2d"},
    {
        "type": "Kaiming",
        "layer": "Conv2d",
        "override": {"name": "head", "type": "Normal", "std": 3},
    },
    {"type": "Normal", "std": 0.3, "override": [{"name": "head"}, {"name": "conv"}]},
    [
        {"type": "Xavier", "layer": "Linear"},
        {
            "type": "Uniform",
            "layer": "Conv2d",
            "override": {"name": "norm", "type": "Constant", "val": 2},
        },
    ],
]


def net(base: type[nn.Module]) -> Any:
    """Conv, norm, two linear layers, a nested module with an init_cfg of its own (for a
    BaseModule ``base``)."""

    def init_cfg(cfg: Any) -> dict[str, Any]:
        return {} if base is nn.Module else {"init_cfg": cfg}

    class Inner(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(**init_cfg({"type": "Normal", "std": 0.7, "layer": "Linear"}))
            self.fc = nn.Linear(3, 3)

    class Net(base):  # type: ignore[misc, valid-type]
        def __init__(self, cfg: Any = None) -> None:
            super().__init__(**init_cfg(cfg))
            self.conv = nn.Conv2d(3, 4, 3)
            self.norm = nn.BatchNorm2d(4)
            self.inner = Inner()
            self.head = nn.Linear(4, 2)

    return Net


def same_parameters(a: nn.Module, b: nn.Module) -> None:
    left, right = a.state_dict(), b.state_dict()
    assert list(left) == list(right)
    for key in left:
        assert torch.equal(left[key], right[key]), key


@pytest.mark.parametrize("cfg", CASES, ids=lambda cfg: str(cfg)[:60])
def test_initialize_gives_mmengines_parameters(cfg: Any) -> None:
    torch.manual_seed(0)
    theirs = net(nn.Module)()
    mm_model.initialize(theirs, cfg)
    torch.manual_seed(0)
    mine = net(nn.Module)()
    ours.initialize(mine, cfg)
    same_parameters(theirs, mine)


@pytest.mark.parametrize("cfg", CASES, ids=lambda cfg: str(cfg)[:60])
def test_init_weights_gives_mmengines_parameters(cfg: Any) -> None:
    torch.manual_seed(1)
    theirs = net(mm_model.BaseModule)(cfg)
    theirs.init_weights()
    torch.manual_seed(1)
    mine = net(ours.BaseModule)(cfg)
    mine.init_weights()
    same_parameters(theirs, mine)


def test_pretrained_with_a_prefix_loads_as_mmengines(tmp_path: Path) -> None:
    torch.manual_seed(2)
    source = nn.ModuleDict({"backbone": net(nn.Module)(), "neck": nn.Linear(1, 1)})
    path = tmp_path / "ckpt.pth"
    torch.save({"meta": {}, "state_dict": source.state_dict()}, path)
    cfg = {"type": "Pretrained", "checkpoint": str(path), "prefix": "backbone."}
    theirs, mine = net(mm_model.BaseModule)(cfg), net(ours.BaseModule)(cfg)
    theirs.init_weights()
    mine.init_weights()
    same_parameters(theirs, mine)
    same_parameters(source["backbone"], mine)


PREPROCESSORS: list[dict[str, Any]] = [
    {},
    {"mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375], "bgr_to_rgb": True},
    {"mean": [0, 0, 0], "std": [255, 255, 255], "rgb_to_bgr": True, "pad_size_divisor": 8},
    {"mean": [127.5], "std": [127.5], "pad_size_divisor": 5, "pad_value": -3},
]


@pytest.mark.parametrize("options", PREPROCESSORS, ids=str)
@pytest.mark.parametrize("listed", [False, True], ids=["nchw", "list"])
def test_img_data_preprocessor_gives_mmengines_batch(options: dict[str, Any], listed: bool) -> None:
    generator = torch.Generator().manual_seed(3)
    channels = 1 if len(options.get("mean", [0, 0, 0])) == 1 else 3
    if listed:
        sizes = [(7, 9), (10, 4), (5, 5)]
        images: Any = [
            torch.randint(0, 256, (channels, h, w), generator=generator, dtype=torch.uint8)
            for h, w in sizes
        ]
    else:
        images = torch.randint(0, 256, (2, channels, 6, 11), generator=generator, dtype=torch.uint8)
    theirs = mm_model.ImgDataPreprocessor(**options)({"inputs": images, "data_samples": [1]})
    mine = ours.ImgDataPreprocessor(**options)({"inputs": images, "data_samples": [1]})
    assert theirs["inputs"].shape == mine["inputs"].shape
    assert torch.equal(theirs["inputs"], mine["inputs"])
    assert theirs["data_samples"] == mine["data_samples"]


def test_base_data_preprocessor_gives_mmengines_batch() -> None:
    batch = {"inputs": [torch.ones(2)], "data_samples": ("a", torch.zeros(1)), "n": None}
    theirs = mm_model.BaseDataPreprocessor()(batch)
    mine = ours.BaseDataPreprocessor()(batch)
    assert theirs.keys() == mine.keys()
    assert theirs["n"] is mine["n"] is None
    assert torch.equal(theirs["inputs"][0], mine["inputs"][0])
    assert theirs["data_samples"][0] == mine["data_samples"][0]
