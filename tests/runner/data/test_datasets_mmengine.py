"""Side by side with MMEngine: the same annotation file, prefixes, filter, indices, subsets
and wrappers give the same items, lengths and metainfo. Skipped where mmengine is not
installed (the benchmark environment, ``.venv-bench``, has it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import runner
from runner import BaseDataset

from ._toys import Scale, items, points_class, write_annotations

mm = pytest.importorskip("mmengine.dataset")

MMPoints = points_class(mm.BaseDataset)
Points = points_class(BaseDataset)


@pytest.fixture
def root(tmp_path: Path) -> str:
    raw = items(12)
    raw[7]["cats"] = [5]
    raw[3]["cats"] = []
    write_annotations(tmp_path / "ann.json", data_list=raw)
    (tmp_path / "classes.txt").write_text("a\nb\n", encoding="utf-8")
    return str(tmp_path)


def everything(dataset: Any) -> tuple[Any, ...]:
    """What a dataset shows: length, metainfo, data infos and items."""
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return len(dataset), dataset.metainfo, infos, [dataset[i] for i in range(len(dataset))]


KEPT: list[Any] = []
"""Every MMEngine dataset made here, kept alive: its ``get_subset`` deep-copies with one memo
shared by all calls (a mutable default argument), so an object at the address of a collected
one would be taken for it."""


def both(root: str, **kwargs: Any) -> tuple[Any, Any]:
    ours = Points(**kwargs, pipeline=[Scale(2.0)])
    theirs = MMPoints(**kwargs, pipeline=[Scale(2.0)])
    KEPT.append(theirs)
    return ours, theirs


ARGUMENTS: list[Callable[[str], dict[str, Any]]] = [
    lambda root: {"ann_file": os.path.join(root, "ann.json")},
    lambda root: {"ann_file": "ann.json", "data_root": root},
    lambda root: {"ann_file": "ann.json", "data_root": root, "data_prefix": {"img_path": "img"}},
    lambda root: {
        "ann_file": "ann.json",
        "data_root": root,
        "data_prefix": {"img_path": "/absolute/images/"},
    },
    lambda root: {"ann_file": "ann.json", "data_root": root, "filter_cfg": {"min_value": 4.0}},
    lambda root: {"ann_file": "ann.json", "data_root": root, "indices": 5},
    lambda root: {"ann_file": "ann.json", "data_root": root, "indices": -4},
    lambda root: {"ann_file": "ann.json", "data_root": root, "indices": [7, 0, -1, 3]},
    lambda root: {
        "ann_file": "ann.json",
        "data_root": root,
        "filter_cfg": {"min_value": 2.0},
        "indices": [0, 2],
    },
    lambda root: {
        "ann_file": "ann.json",
        "data_root": root,
        "metainfo": {"classes": os.path.join(root, "classes.txt"), "kind": "given", "x": 1},
    },
]


@pytest.mark.parametrize("serialize", [True, False])
@pytest.mark.parametrize("case", range(len(ARGUMENTS)))
def test_same_items(root: str, case: int, serialize: bool) -> None:
    ours, theirs = both(root, **ARGUMENTS[case](root), serialize_data=serialize)
    assert everything(ours) == everything(theirs)
    assert ours.ann_file == theirs.ann_file
    assert ours.data_prefix == theirs.data_prefix
    # -1 only: MMEngine's serialized get_data_info(-len(dataset)) reads past its offsets
    assert ours.get_data_info(-1) == theirs.get_data_info(-1)


@pytest.mark.parametrize("serialize", [True, False])
@pytest.mark.parametrize("indices", [3, -5, 0, [4, 1, -1], [], [2, 2]])
def test_same_subsets(root: str, serialize: bool, indices: Any) -> None:
    ours, theirs = both(root, ann_file="ann.json", data_root=root, serialize_data=serialize)
    subset = theirs.get_subset(indices)
    KEPT.append(subset)
    assert everything(ours.get_subset(indices)) == everything(subset)
    assert everything(ours) == everything(theirs)  # get_subset leaves the dataset alone
    ours.get_subset_(indices)
    theirs.get_subset_(indices)
    assert everything(ours) == everything(theirs)


def test_same_lazy_metainfo_then_loaded(root: str) -> None:
    ours, theirs = both(root, ann_file="ann.json", data_root=root, lazy_init=True)
    assert ours.metainfo == theirs.metainfo
    ours.full_init()
    theirs.full_init()
    assert ours.metainfo == theirs.metainfo


def test_same_refetched_items(root: str) -> None:
    def drop_odd(data: dict[str, Any]) -> dict[str, Any] | None:
        return None if data["sample_idx"] % 2 else data

    kwargs = {"ann_file": "ann.json", "data_root": root, "pipeline": [drop_odd]}
    ours, theirs = Points(**kwargs), MMPoints(**kwargs)
    np.random.seed(3)
    picked = [ours[i] for i in range(len(ours))]
    np.random.seed(3)
    assert picked == [theirs[i] for i in range(len(theirs))]


def pair(root: str, **kwargs: Any) -> tuple[Any, Any]:
    return both(root, ann_file="ann.json", data_root=root, **kwargs)


def test_same_concat(root: str) -> None:
    (a, ma), (b, mb) = pair(root, indices=4), pair(root, indices=[9, 1], metainfo={"kind": "x"})
    ours = runner.ConcatDataset([a, b], ignore_keys="kind")
    theirs = mm.ConcatDataset([ma, mb], ignore_keys="kind")
    assert everything(ours) == everything(theirs)
    assert ours[-3] == theirs[-3]
    with pytest.raises(ValueError, match=r"datasets.1"):
        runner.ConcatDataset([a, b])
    with pytest.raises(ValueError, match="does not match"):
        mm.ConcatDataset([ma, mb])


@pytest.mark.parametrize("times", [1, 3])
def test_same_repeat(root: str, times: int) -> None:
    ours, theirs = pair(root, indices=[2, 5, 11])
    assert everything(runner.RepeatDataset(ours, times)) == everything(
        mm.RepeatDataset(theirs, times)
    )


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_same_class_balanced(root: str, threshold: float) -> None:
    ours, theirs = pair(root)
    balanced = runner.ClassBalancedDataset(ours, threshold)
    reference = mm.ClassBalancedDataset(theirs, threshold)
    assert balanced.repeat_indices == reference.repeat_indices
    assert everything(balanced) == everything(reference)
    assert [balanced.get_cat_ids(i) for i in range(len(balanced))] == [
        reference.get_cat_ids(i) for i in range(len(reference))
    ]


def test_same_nested_wrappers(root: str) -> None:
    (a, ma), (b, mb) = pair(root, indices=3), pair(root, indices=-2)
    ours = runner.RepeatDataset(runner.ConcatDataset([a, b]), 2)
    # MMEngine takes a wrapper inside a wrapper only as a config
    theirs = mm.RepeatDataset({"type": "ConcatDataset", "datasets": [ma, mb]}, 2)
    assert everything(ours) == everything(theirs)
