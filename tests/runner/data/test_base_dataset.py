"""BaseDataset against MMEngine's documented behaviour: metainfo, annotation files, prefixes,
filtering, indices, serialization, lazy loading, subsets, refetching."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from runner import BaseDataset, DatasetArgumentError
from runner.data import DataFileNotFoundError, force_full_init

from ._toys import CLASSES, DropOdd, Points, Scale, items, write_annotations


@pytest.fixture
def ann(tmp_path: Path) -> Path:
    return write_annotations(tmp_path / "ann.json")


def test_items_are_the_annotation_files_with_sample_idx(ann: Path) -> None:
    dataset = BaseDataset(str(ann))
    assert len(dataset) == 10
    assert dataset[3] == {**items()[3], "sample_idx": 3}
    assert dataset.get_data_info(-1)["sample_idx"] == 9
    with pytest.raises(IndexError, match="index 10 is out of range for 10 items"):
        dataset.get_data_info(10)


def test_metainfo_class_then_argument_then_file_fills_the_rest(ann: Path) -> None:
    dataset = Points(str(ann), metainfo={"kind": "given", "extra": 1})
    assert dataset.metainfo == {"classes": CLASSES, "kind": "given", "extra": 1, "source": "file"}
    assert Points.METAINFO == {"classes": CLASSES, "kind": "points"}  # the class is untouched
    dataset.metainfo["classes"].append("three")  # a copy each time
    assert dataset.metainfo["classes"] == CLASSES


def test_metainfo_before_loading_has_no_file_values(ann: Path) -> None:
    dataset = Points(str(ann), lazy_init=True)
    assert "source" not in dataset.metainfo
    dataset.full_init()
    assert dataset.metainfo["source"] == "file"


def test_metainfo_file_value_is_read_as_lines(ann: Path, tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("cat\ndog\r\nbird\n", encoding="utf-8")
    metainfo = {"classes": str(tmp_path / "classes.txt"), "task": "pets"}
    dataset = BaseDataset(str(ann), metainfo=metainfo)
    assert dataset.metainfo["classes"] == ["cat", "dog", "bird"]
    assert dataset.metainfo["task"] == "pets"  # names no file, looks like no path: kept


@pytest.mark.parametrize("value", ["missing/classes.txt", "classes.txt"])
def test_metainfo_path_to_no_file_is_an_error(ann: Path, value: str) -> None:
    with pytest.raises(DataFileNotFoundError, match=r"'metainfo.classes': names the file") as info:
        BaseDataset(str(ann), metainfo={"classes": value})
    assert info.value.error.config_path == "metainfo.classes"
    with pytest.raises(DatasetArgumentError, match="'metainfo': must be a mapping"):
        BaseDataset(str(ann), metainfo=["a"])  # type: ignore[arg-type]


def test_data_root_joins_relative_paths_only(tmp_path: Path) -> None:
    write_annotations(tmp_path / "ann.json")
    root = str(tmp_path)
    dataset = BaseDataset(
        "ann.json", data_root=root, data_prefix={"img_path": "images"}, lazy_init=True
    )
    assert dataset.ann_file == os.path.join(root, "ann.json")
    assert dataset.data_prefix == {"img_path": os.path.join(root, "images")}
    assert dataset.get_data_info(0)["img_path"] == os.path.join(root, "images", "img_0.png")
    absolute = BaseDataset(
        str(tmp_path / "ann.json"), data_root="/elsewhere", data_prefix={"img_path": "/abs"}
    )
    assert absolute.ann_file == str(tmp_path / "ann.json")
    assert absolute.data_prefix == {"img_path": "/abs"}
    empty = BaseDataset("ann.json", data_root=root)  # the default prefix: {img_path: ""}
    assert empty.data_prefix == {"img_path": os.path.join(root, "")}
    assert empty[1]["img_path"] == os.path.join(root, "img_1.png")
    no_root = BaseDataset(str(tmp_path / "ann.json"), data_prefix={"img_path": "x"})
    assert no_root[0]["img_path"] == os.path.join("x", "img_0.png")


def test_prefix_errors_name_the_prefix(ann: Path) -> None:
    with pytest.raises(DatasetArgumentError, match=r"'data_prefix.img_path': must be a path"):
        BaseDataset(str(ann), data_prefix={"img_path": 3})  # type: ignore[dict-item]
    with pytest.raises(DatasetArgumentError, match=r"'data_prefix.seg_path': names the key"):
        BaseDataset(str(ann), data_prefix={"seg_path": "segs"})


def test_annotation_file_problems_name_ann_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetArgumentError, match="'ann_file': is needed"):
        BaseDataset()
    with pytest.raises(DataFileNotFoundError, match=r"'ann_file': the file .*nope.json"):
        BaseDataset(str(tmp_path / "nope.json"))
    assert issubclass(DataFileNotFoundError, FileNotFoundError)
    cases: list[tuple[Any, str]] = [
        ([1, 2], "holds a list; an annotation file holds a mapping"),
        ({"data_list": []}, "has no 'metainfo' key"),
        ({"metainfo": {}, "data_list": {"a": 1}}, "'data_list' in .* must be a list"),
        ({"metainfo": [], "data_list": []}, "'metainfo' in .* must be a mapping"),
        ({"metainfo": {}, "data_list": [3]}, "each item of 'data_list' must be a mapping"),
    ]
    for content, message in cases:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        with pytest.raises(DatasetArgumentError, match=f"'ann_file': .*{message}"):
            BaseDataset(str(path))
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(DatasetArgumentError, match="cannot parse"):
        BaseDataset(str(tmp_path / "broken.json"))
    (tmp_path / "ann.pkl").write_bytes(pickle.dumps({}))
    with pytest.raises(DatasetArgumentError, match=r"must be a .json, .yaml, .yml file"):
        BaseDataset(str(tmp_path / "ann.pkl"))


def test_yaml_annotation_file(tmp_path: Path) -> None:
    path = tmp_path / "ann.yaml"
    path.write_text(yaml.safe_dump({"metainfo": {"a": 1}, "data_list": items(3)}))
    dataset = BaseDataset(str(path))
    assert len(dataset) == 3
    assert dataset.metainfo == {"a": 1}


@pytest.mark.parametrize("serialize", [True, False])
@pytest.mark.parametrize(
    ("indices", "expected"),
    [(3, [0, 1, 2]), (-2, [8, 9]), ([4, 0, -1], [4, 0, 9]), (0, []), (10, list(range(10)))],
)
def test_indices_keep_those_items(ann: Path, serialize: bool, indices: Any, expected: Any) -> None:
    dataset = BaseDataset(str(ann), indices=indices, serialize_data=serialize)
    assert [dataset.get_data_info(i)["value"] for i in range(len(dataset))] == expected


def test_bad_indices_name_indices(ann: Path) -> None:
    with pytest.raises(DatasetArgumentError, match="'indices': indices=11 asks for more"):
        BaseDataset(str(ann), indices=11)
    with pytest.raises(DatasetArgumentError, match="'indices': index 10 is out of range"):
        BaseDataset(str(ann), indices=[10])
    with pytest.raises(DatasetArgumentError, match="'indices': indices must be an int"):
        BaseDataset(str(ann), indices=True)
    with pytest.raises(DatasetArgumentError, match="'max_refetch': must be an int of 0 or more"):
        BaseDataset(str(ann), max_refetch=-1)


def test_serialized_items_live_in_two_arrays_and_are_copies(ann: Path) -> None:
    dataset = BaseDataset(str(ann))
    assert dataset.data_list == []
    assert dataset.data_bytes.dtype == np.uint8
    assert dataset.data_address.dtype == np.int64
    assert len(dataset.data_address) == 10
    info = dataset.get_data_info(2)
    info["label"] = 99
    assert dataset.get_data_info(2)["label"] == 2
    plain = BaseDataset(str(ann), serialize_data=False)
    assert len(plain.data_list) == 10
    assert plain.data_bytes.size == 0
    plain.get_data_info(2)["cats"].append(7)
    assert plain.get_data_info(2)["cats"] == [2]
    assert [plain[i] for i in range(10)] == [dataset[i] for i in range(10)]


def test_lazy_init_reads_the_file_at_the_first_use(tmp_path: Path) -> None:
    path = tmp_path / "later.json"
    dataset = Points(str(path), lazy_init=True)  # no file yet: nothing is read
    assert dataset.metainfo["kind"] == "points"
    write_annotations(path)
    assert len(dataset) == 10
    assert dataset._fully_initialized
    again = Points(str(path), lazy_init=True)
    assert again[0]["value"] == 0.0


def test_force_full_init_loads_a_lazy_dataset_first(ann: Path) -> None:
    class Counting(BaseDataset):
        @force_full_init
        def count(self) -> int:
            return len(self.data_address)

    dataset = Counting(str(ann), lazy_init=True)
    assert dataset.count() == 10

    class NoInit:
        @force_full_init
        def method(self) -> None: ...

    with pytest.raises(AttributeError, match="has no full_init"):
        NoInit().method()


def test_filter_cfg_reaches_filter_data(ann: Path) -> None:
    dataset = Points(str(ann), filter_cfg={"min_value": 6.0}, indices=[-1, 0])
    assert [dataset[i]["value"] for i in range(len(dataset))] == [9.0, 6.0]


def test_filter_cfg_without_filter_data_warns(ann: Path) -> None:
    with pytest.warns(UserWarning, match="does not override filter_data, so nothing is filtered"):
        dataset = BaseDataset(str(ann), filter_cfg={"min_value": 6.0})
    assert len(dataset) == 10


@pytest.mark.parametrize("serialize", [True, False])
def test_get_subset_and_in_place(ann: Path, serialize: bool) -> None:
    dataset = Points(str(ann), serialize_data=serialize, pipeline=[Scale(3.0)])
    subset = dataset.get_subset([5, 1])
    assert [subset[i]["value"] for i in range(2)] == [15.0, 3.0]
    assert type(subset) is Points
    assert subset.pipeline is not dataset.pipeline  # deep-copied, as MMEngine does
    assert len(dataset) == 10
    assert [item["value"] for item in map(subset.get_data_info, range(2))] == [5.0, 1.0]
    assert len(dataset.get_subset(-3)) == 3
    assert dataset.get_subset(-3).get_data_info(0)["value"] == 7.0
    assert len(dataset.get_subset(0)) == 0
    dataset.get_subset_(4)
    assert [dataset.get_data_info(i)["value"] for i in range(len(dataset))] == [0, 1, 2, 3]
    dataset.get_subset_([-1])
    assert dataset.get_data_info(0)["value"] == 3.0
    with pytest.raises(IndexError, match="out of range"):
        dataset.get_subset([1])


def test_pipeline_runs_in_order_and_dropped_items_are_refetched(ann: Path) -> None:
    dataset = BaseDataset(str(ann), pipeline=[DropOdd(), Scale(10.0)])
    assert dataset[2]["value"] == 20.0
    np.random.seed(0)
    refetched = dataset[1]
    assert refetched["sample_idx"] % 2 == 0
    assert refetched["value"] == 10.0 * refetched["sample_idx"]


def test_refetch_gives_up_naming_the_index(ann: Path) -> None:
    calls: list[int] = []

    def drop_all(data: dict[str, Any]) -> None:
        calls.append(data["sample_idx"])

    dataset = BaseDataset(str(ann), pipeline=[drop_all], max_refetch=3)
    with pytest.raises(RuntimeError, match=r"returned None for item 4 and for 3 random others"):
        dataset[4]
    assert len(calls) == 4
    assert calls[0] == 4


def test_test_mode_never_refetches(ann: Path) -> None:
    dataset = BaseDataset(str(ann), pipeline=[DropOdd()], test_mode=True)
    assert dataset[0]["sample_idx"] == 0
    with pytest.raises(RuntimeError, match="returned None for item 3 in test mode"):
        dataset[3]


def test_get_cat_ids_is_for_subclasses(ann: Path) -> None:
    with pytest.raises(NotImplementedError, match="must implement get_cat_ids"):
        BaseDataset(str(ann)).get_cat_ids(0)
    assert Points(str(ann)).get_cat_ids(4) == [0, 2]


def test_parse_data_info_may_return_several_items(ann: Path) -> None:
    class Frames(BaseDataset):
        def parse_data_info(self, raw: dict[str, Any]) -> list[Any]:
            return [{**raw, "frame": frame} for frame in range(2)]

    assert len(Frames(str(ann))) == 20

    class Wrong(BaseDataset):
        def parse_data_info(self, raw: dict[str, Any]) -> list[Any]:
            return [1]

    with pytest.raises(TypeError, match="must return a dict or a list of dicts"):
        Wrong(str(ann))


def test_custom_load_data_list_needs_no_file() -> None:
    class Generated(BaseDataset):
        def load_data_list(self) -> list[dict[str, Any]]:
            return [{"img_path": str(i)} for i in range(4)]

    dataset = Generated(data_root="root")
    assert dataset[1]["img_path"] == "1"  # parse_data_info is load_data_list's to call
    assert dataset.data_prefix == {"img_path": os.path.join("root", "")}
    assert len(Generated(indices=2)) == 2


@pytest.mark.parametrize("serialize", [True, False])
def test_a_dataset_pickles_for_spawned_workers(ann: Path, serialize: bool) -> None:
    dataset = BaseDataset(str(ann), serialize_data=serialize, pipeline=[Scale(2.0)], indices=[3, 1])
    copied = pickle.loads(pickle.dumps(dataset))
    assert [copied[i] for i in range(2)] == [dataset[i] for i in range(2)]
    assert copied.metainfo == dataset.metainfo
