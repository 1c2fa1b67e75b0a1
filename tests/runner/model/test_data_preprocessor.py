"""Data preprocessors: device moves, normalization, channel swaps, padding, in BaseModel."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

import pytest
import torch
from torch import nn

from runner import MODELS, OptimWrapper
from runner.model import BaseDataPreprocessor, BaseModel, ImgDataPreprocessor, stack_batch


def image(channels: int, height: int, width: int, start: int = 0) -> torch.Tensor:
    count = channels * height * width
    return torch.arange(start, start + count, dtype=torch.uint8).view(channels, height, width)


def test_base_preprocessor_follows_every_move_of_its_holder() -> None:
    preprocessor = BaseDataPreprocessor()
    holder = nn.Sequential(nn.Linear(1, 1), preprocessor)
    assert preprocessor.device == torch.device("cpu")
    holder.to(torch.float64)  # a dtype only: the device stays
    assert preprocessor.device == torch.device("cpu")
    holder.to("meta")
    assert preprocessor.device == torch.device("meta")
    out = preprocessor({"inputs": torch.zeros(2), "meta": ["a"]})
    assert out["inputs"].device.type == "meta"
    assert out["meta"] == ["a"]
    holder.to_empty(device="cpu")
    assert preprocessor.device == torch.device("cpu")


def test_base_preprocessor_keeps_container_types() -> None:
    class Pair(NamedTuple):
        a: torch.Tensor
        b: str

    batch = OrderedDict(x=[torch.zeros(1), (torch.ones(1), "s")], p=Pair(torch.zeros(2), "t"))
    moved = BaseDataPreprocessor().to("meta")(batch)
    assert type(moved) is OrderedDict
    assert isinstance(moved["p"], Pair)
    assert moved["x"][0].device.type == "meta"
    assert moved["x"][1][1] == "s"
    assert moved["p"].a.device.type == "meta"


def test_normalizes_swaps_and_converts_an_nchw_batch() -> None:
    images = torch.stack([image(3, 2, 2), image(3, 2, 2, 12)])
    preprocessor = ImgDataPreprocessor(mean=[1.0, 2.0, 3.0], std=[2.0, 4.0, 8.0], bgr_to_rgb=True)
    out = preprocessor({"inputs": images, "data_samples": [0, 1]})
    expected = (images.flip(1).float() - torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1)) / (
        torch.tensor([2.0, 4.0, 8.0]).view(3, 1, 1)
    )
    assert out["inputs"].dtype == torch.float32
    assert torch.equal(out["inputs"], expected)
    assert out["data_samples"] == [0, 1]
    assert out["inputs"][0, 0, 0, 0].item() == (8 - 1) / 2  # the B channel's first value, now R


def test_pads_an_nchw_batch_to_the_divisor() -> None:
    preprocessor = ImgDataPreprocessor(pad_size_divisor=4, pad_value=-1)
    out = preprocessor({"inputs": torch.ones(2, 1, 5, 3)})
    assert out["inputs"].shape == (2, 1, 8, 4)
    assert out["inputs"][:, :, :5, :3].unique().tolist() == [1.0]
    assert out["inputs"][:, :, 5:, :].unique().tolist() == [-1.0]
    assert out["inputs"][:, :, :, 3:].unique().tolist() == [-1.0]
    assert out["data_samples"] is None  # set as MMEngine sets it


def test_stacks_a_list_of_images_of_different_sizes() -> None:
    small, large = image(1, 2, 3), image(1, 3, 5, 6)
    preprocessor = ImgDataPreprocessor(mean=[1.0], std=[0.5], pad_size_divisor=2, pad_value=9)
    out = preprocessor({"inputs": [small, large]})["inputs"]
    assert out.shape == (2, 1, 4, 6)
    assert torch.equal(out[0, :, :2, :3], (small.float() - 1) / 0.5)
    assert torch.equal(out[1, :, :3, :5], (large.float() - 1) / 0.5)
    assert out[0, :, 2:, :].unique().tolist() == [9.0]  # padded after normalizing
    assert out[1, :, :, 5:].unique().tolist() == [9.0]


def test_a_tuple_batch_has_its_images_first() -> None:
    labels = torch.tensor([3, 4])
    out = ImgDataPreprocessor(mean=[0.5], std=[0.5])((torch.ones(2, 1, 2, 2), labels))
    assert type(out) is tuple
    assert out[1] is labels
    assert out[0].unique().tolist() == [1.0]
    listed = ImgDataPreprocessor()([torch.zeros(1, 1, 2, 2, dtype=torch.uint8), labels])
    assert type(listed) is list
    assert listed[0].dtype == torch.float32


def test_stack_batch_pads_all_but_the_first_dimension() -> None:
    out = stack_batch([torch.ones(2, 1, 1), torch.ones(2, 3, 2)], pad_size_divisor=1)
    assert out.shape == (2, 2, 3, 2)
    with pytest.raises(ValueError, match="one rank"):
        stack_batch([torch.ones(1, 1), torch.ones(1, 1, 1)])
    with pytest.raises(ValueError, match="at least one"):
        stack_batch([])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"bgr_to_rgb": True, "rgb_to_bgr": True}, "cannot both"),
        ({"mean": [1.0]}, "both mean and std"),
        ({"mean": [1.0, 2.0], "std": [1.0, 2.0]}, "1 value"),
        ({"pad_size_divisor": 0}, "positive int"),
    ],
)
def test_wrong_options_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ImgDataPreprocessor(**options)


@pytest.mark.parametrize(
    ("options", "batch", "error", "match"),
    [
        ({"bgr_to_rgb": True}, {"inputs": torch.zeros(1, 1, 2, 2)}, ValueError, "3 channels"),
        (
            {"mean": [0, 0, 0], "std": [1, 1, 1]},
            {"inputs": [torch.zeros(1, 2, 2)]},
            ValueError,
            "3 values",
        ),
        ({}, {"inputs": torch.zeros(2, 2)}, ValueError, "NCHW"),
        ({}, {"images": torch.zeros(1, 1, 2, 2)}, TypeError, "with 'inputs'"),
        ({}, {"inputs": "x"}, TypeError, "got str"),
    ],
)
def test_batches_it_cannot_read_are_errors(
    options: dict[str, Any], batch: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ImgDataPreprocessor(**options)(batch)


class Recorder(BaseModel):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.linear = nn.Linear(4, 1)
        self.seen: list[torch.Tensor] = []

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        self.seen.append(inputs)
        out = self.linear(inputs.flatten(1))
        return {"loss": out.mean()} if mode == "loss" else out


def test_base_model_builds_its_preprocessor_from_a_config() -> None:
    model = Recorder(data_preprocessor={"type": "ImgDataPreprocessor", "mean": [1], "std": [2]})
    assert isinstance(model.data_preprocessor, ImgDataPreprocessor)
    batch = {"inputs": torch.full((2, 1, 2, 2), 5.0)}
    model.train_step(batch, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0)))
    model.val_step(batch)
    model.test_step(batch)
    assert [seen.unique().tolist() for seen in model.seen] == [[2.0]] * 3
    assert isinstance(Recorder().data_preprocessor, BaseDataPreprocessor)
    assert type(MODELS.build({"type": "BaseDataPreprocessor"})) is BaseDataPreprocessor


def test_the_default_preprocessors_shortcut_does_what_its_forward_does() -> None:
    model = Recorder()
    preprocessor = model.data_preprocessor
    assert type(preprocessor) is BaseDataPreprocessor
    model.to("meta")
    for batch in (
        (torch.zeros(2), "label"),
        [torch.zeros(2)],
        {"inputs": torch.zeros(1), "n": 3},
        (torch.zeros(1, device="meta"),),
    ):
        fast, called = model.prepare_batch(batch), preprocessor(batch)
        assert type(fast) is type(called)
        flat_fast = fast.values() if isinstance(fast, dict) else fast
        flat_called = called.values() if isinstance(called, dict) else called
        for a, b in zip(flat_fast, flat_called, strict=True):
            assert type(a) is type(b)
            if isinstance(a, torch.Tensor):
                assert a.device == b.device == torch.device("meta")
            else:
                assert a == b
    on_device = (torch.zeros(1, device="meta"),)
    assert model.prepare_batch(on_device) is on_device
