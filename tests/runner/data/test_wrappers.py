"""ConcatDataset, RepeatDataset and ClassBalancedDataset against MMEngine's documented
behaviour."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runner import (
    BaseDataset,
    ClassBalancedDataset,
    ConcatDataset,
    DatasetArgumentError,
    RepeatDataset,
)

from ._toys import Points, Scale, items, write_annotations


@pytest.fixture
def ann(tmp_path: Path) -> Path:
    return write_annotations(tmp_path / "ann.json")


def values(dataset: Any) -> list[float]:
    return [dataset[i]["value"] for i in range(len(dataset))]


def test_concat_puts_datasets_one_after_the_other(ann: Path) -> None:
    first = Points(str(ann), indices=3)
    second = Points(str(ann), indices=[9, 8], pipeline=[Scale(10.0)])
    concat = ConcatDataset([first, second])
    assert len(concat) == 5
    assert values(concat) == [0.0, 1.0, 2.0, 90.0, 80.0]
    assert concat[-1]["value"] == 80.0
    assert concat.get_data_info(3)["value"] == 9.0
    assert concat.metainfo == first.metainfo
    with pytest.raises(IndexError, match="index 5 is out of range"):
        concat[5]
    with pytest.raises(NotImplementedError, match="take the subset of the wrapped dataset"):
        concat.get_subset(1)
    with pytest.raises(NotImplementedError):
        concat.get_subset_(1)


def test_concat_builds_configs(ann: Path, registered: None) -> None:
    node = {"type": "DataTestPoints", "ann_file": str(ann), "indices": 2}
    concat = ConcatDataset([node, node])
    assert values(concat) == [0.0, 1.0, 0.0, 1.0]
    with pytest.raises(TypeError, match=r"datasets.1 must be a dataset config or a BaseDataset"):
        ConcatDataset([node, [1, 2]])
    with pytest.raises(DatasetArgumentError, match="'datasets': needs at least one"):
        ConcatDataset([])


def test_concat_metainfo_must_agree_but_for_ignored_keys(ann: Path) -> None:
    a = BaseDataset(str(ann), metainfo={"classes": ["x"], "tag": 1})
    b = BaseDataset(str(ann), metainfo={"classes": ["y"], "tag": 1})
    with pytest.raises(DatasetArgumentError, match=r"'datasets.1': its metainfo 'classes' is"):
        ConcatDataset([a, b])
    assert ConcatDataset([a, b], ignore_keys="classes").metainfo["classes"] == ["x"]
    assert len(ConcatDataset([a, b], ignore_keys=["classes"])) == 20
    c = BaseDataset(str(ann), metainfo={"classes": ["x"], "source": "file"}, lazy_init=True)
    with pytest.raises(DatasetArgumentError, match=r"'datasets.1': its metainfo has no 'tag'"):
        ConcatDataset([a, c])
    with pytest.raises(DatasetArgumentError, match=r"'datasets.0': its metainfo has no 'tag'"):
        ConcatDataset([c, a])
    d = BaseDataset(str(ann), metainfo={"classes": ("x",), "tag": 1})
    with pytest.raises(DatasetArgumentError, match=r"'datasets.1': .* not of the type"):
        ConcatDataset([a, d])
    arrays = [BaseDataset(str(ann), metainfo={"palette": np.arange(3)}) for _ in range(2)]
    assert len(ConcatDataset(arrays)) == 20
    with pytest.raises(TypeError, match="ignore_keys must be a str or a list"):
        ConcatDataset([a], ignore_keys=3)  # type: ignore[arg-type]


def test_lazy_wrappers_load_at_the_first_use(tmp_path: Path) -> None:
    path = tmp_path / "later.json"
    lazy = [Points(str(path), lazy_init=True)]
    concat = ConcatDataset(lazy, lazy_init=True)
    repeat = RepeatDataset(Points(str(path), lazy_init=True), times=2, lazy_init=True)
    balanced = ClassBalancedDataset(Points(str(path), lazy_init=True), 0.5, lazy_init=True)
    write_annotations(path)  # nothing was read before
    assert (len(concat), len(repeat)) == (10, 20)
    assert balanced[0]["value"] == 0.0


def test_repeat_cycles_through_the_dataset(ann: Path, registered: None) -> None:
    repeat = RepeatDataset(Points(str(ann), indices=3), times=3)
    assert len(repeat) == 9
    assert values(repeat) == [0.0, 1.0, 2.0] * 3
    assert repeat.get_data_info(4)["sample_idx"] == 1
    assert repeat.metainfo["kind"] == "points"
    built = RepeatDataset({"type": "DataTestPoints", "ann_file": str(ann)}, times=2)
    assert len(built) == 20
    for times in (0, 1.5, True):
        with pytest.raises(DatasetArgumentError, match="'times': must be a positive int"):
            RepeatDataset(built, times=times)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        built.get_subset(1)


def expected_repeats(cats: list[list[int]], threshold: float) -> list[int]:
    """The repeat factor sampling of LVIS, written out from its definition."""
    count = len(cats)
    images_with = {c: sum(c in set(item) for item in cats) for item in cats for c in item}
    factor = {c: max(1.0, math.sqrt(threshold / (n / count))) for c, n in images_with.items()}
    return [math.ceil(max((factor[c] for c in item), default=1.0)) for item in cats]


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.6, 2.0])
def test_class_balanced_repeats_rare_categories(tmp_path: Path, threshold: float) -> None:
    raw = items(12)
    raw[5]["cats"] = []  # an item without categories is kept once
    raw[7]["cats"] = [5]  # a rare category
    path = write_annotations(tmp_path / "ann.json", data_list=raw)
    dataset = Points(str(path))
    balanced = ClassBalancedDataset(dataset, oversample_thr=threshold)
    repeats = expected_repeats([item["cats"] for item in raw], threshold)
    assert len(balanced) == sum(repeats)
    expected = [index for index, times in enumerate(repeats) for _ in range(times)]
    assert [balanced.get_data_info(i)["sample_idx"] for i in range(len(balanced))] == expected
    assert balanced.get_cat_ids(len(balanced) - 1) == raw[-1]["cats"]
    if threshold >= 0.6:
        assert repeats[7] > 1
        assert repeats[5] == 1


def test_class_balanced_needs_get_cat_ids(ann: Path) -> None:
    with pytest.raises(NotImplementedError, match="must implement get_cat_ids"):
        ClassBalancedDataset(BaseDataset(str(ann)), oversample_thr=0.1)


def test_wrappers_nest(ann: Path) -> None:
    inner = ConcatDataset([Points(str(ann), indices=2), Points(str(ann), indices=[5])])
    repeat = RepeatDataset(inner, times=2)
    assert values(repeat) == [0.0, 1.0, 5.0] * 2
    assert [repeat.get_cat_ids(i) for i in (2, 5)] == [[2], [2]]
    balanced = ClassBalancedDataset(RepeatDataset(Points(str(ann), indices=4), 2), 0.1)
    assert len(balanced) == 8
