"""Compose, pipelines in configs (built recursively, transforms found in TRANSFORMS from a
dataset node), errors with the argument's config path, ``regwire check`` of pipelines, and a
small run of a BaseDataset through the Runner."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from container import BuildError, Config, DefaultScope, Registry, RegistryError, RegwireError
from runner import (
    DATASETS,
    TRANSFORMS,
    BaseDataset,
    BaseModel,
    Compose,
    DatasetArgumentError,
    DatasetRegistry,
    Runner,
    build_dataloader,
)
from runner.app import check_config

from ._toys import Points, Scale, Tag, write_annotations


@pytest.fixture
def ann(tmp_path: Path) -> Path:
    return write_annotations(tmp_path / "ann.json")


def test_compose_runs_in_order_and_stops_at_none() -> None:
    assert Compose([Tag("a"), Tag("b")])({})["tags"] == ["a", "b"]
    seen: list[str] = []

    def never(data: Any) -> Any:
        seen.append("called")
        return data

    assert Compose([Tag("a"), lambda data: None, never])({}) is None
    assert seen == []
    assert Compose(None)({"x": 1}) == {"x": 1}
    assert len(Compose([Tag("a")])) == 1
    assert repr(Compose([Scale()])).startswith("Compose(\n    <")


def test_compose_builds_configs_with_transforms(registered: None) -> None:
    pipeline = Compose([{"type": "DataTestTag", "name": "a"}, Tag("b")])
    assert isinstance(pipeline.transforms[0], Tag)
    assert pipeline({})["tags"] == ["a", "b"]
    assert TRANSFORMS.get("Compose") is Compose
    nested = TRANSFORMS.build(
        {"type": "Compose", "transforms": [{"type": "DataTestTag", "name": "x"}]}
    )
    assert nested({})["tags"] == ["x"]


def test_compose_rejects_what_is_no_transform(registered: None) -> None:
    with pytest.raises(TypeError, match="transform 1 must be a callable or a config mapping"):
        Compose([Tag("a"), "DataTestTag"])  # type: ignore[list-item]
    with pytest.raises(RegistryError, match=r"'1.type': 'DataTestTg' is not registered") as info:
        Compose([Tag("a"), {"type": "DataTestTg"}])
    assert "did you mean 'DataTestTag'" in str(info.value)
    TRANSFORMS.register_module(name="DataTestNumber", force=True, module=lambda: 3)
    with pytest.raises(TypeError, match="built 3, which is not callable"):
        Compose([{"type": "DataTestNumber"}])


def test_dataset_pipeline_errors_name_the_pipeline_item(ann: Path, registered: None) -> None:
    with pytest.raises(DatasetArgumentError, match=r"'pipeline.0.type': 'DataTestScal' is not"):
        BaseDataset(str(ann), pipeline=[{"type": "DataTestScal"}])


def test_config_pipeline_builds_with_the_dataset(ann: Path, registered: None) -> None:
    cfg = {
        "type": "DataTestPoints",
        "ann_file": str(ann),
        "pipeline": [
            {"type": "DataTestScale", "factor": 3.0},
            {"type": "DataTestTag", "name": "t"},
        ],
    }
    dataset = DATASETS.build(cfg)
    assert isinstance(dataset, Points)
    assert [type(t) for t in dataset.pipeline] == [Scale, Tag]
    assert dataset[2]["value"] == 6.0
    assert dataset[2]["tags"] == ["t"]
    assert DATASETS.get("DataTestScale") is None  # looking up is not changed
    wrapped = DATASETS.build({"type": "RepeatDataset", "times": 2, "dataset": cfg})
    assert wrapped[12]["value"] == 6.0


def test_transforms_of_a_default_scope_are_found(ann: Path, registered: None) -> None:
    package = Registry("transform", parent=TRANSFORMS, scope="datatestpkg")
    package.register_module(name="PackageOnly", module=Tag)
    cfg = {
        "type": "BaseDataset",
        "ann_file": str(ann),
        "pipeline": [{"type": "PackageOnly", "name": "p"}],
    }
    # The pipeline is a config the dataset builds itself (its Compose, with TRANSFORMS)
    with pytest.raises(BuildError, match="'PackageOnly' is not registered in registry 'transform'"):
        DATASETS.build(cfg)
    with DefaultScope.overwrite_default_scope("datatestpkg"):
        assert DATASETS.build(cfg)[0]["tags"] == ["p"]
        assert BaseDataset(str(ann), pipeline=cfg["pipeline"])[0]["tags"] == ["p"]


def test_a_package_dataset_registry_finds_transforms(ann: Path, registered: None) -> None:
    package = DatasetRegistry("dataset", parent=DATASETS, scope="datatestdatasets")
    package.register_module(name="PackagePoints", module=Points)
    pipeline = [{"type": "DataTestTag", "name": "p"}]
    dataset = package.build({"type": "PackagePoints", "ann_file": str(ann), "pipeline": pipeline})
    assert dataset[0]["tags"] == ["p"]


def loader(dataset: dict[str, Any]) -> dict[str, Any]:
    return {"batch_size": 2, "dataset": dataset}


def test_build_dataloader_errors_name_the_argument(ann: Path, registered: None) -> None:
    good = {"type": "DataTestPoints", "ann_file": "ann.json", "data_root": str(ann.parent)}
    cases = [
        ({**good, "ann_file": "nope.json"}, "train_dataloader.dataset.ann_file", "is not there"),
        ({**good, "indices": 20}, "train_dataloader.dataset.indices", "asks for more"),
        (
            {**good, "metainfo": {"classes": "no/such.txt"}},
            "train_dataloader.dataset.metainfo.classes",
            "names the file",
        ),
        (
            {"type": "ConcatDataset", "datasets": [good, {**good, "ann_file": "x.json"}]},
            "train_dataloader.dataset.datasets.1.ann_file",
            "is not there",
        ),
        (
            {"type": "ConcatDataset", "datasets": [good, {**good, "metainfo": {"kind": "k"}}]},
            "train_dataloader.dataset.datasets.1",
            "its metainfo 'kind' is 'k'",
        ),
        (
            {**good, "pipeline": [{"type": "DataTestScal"}]},
            "train_dataloader.dataset.pipeline.0.type",
            "did you mean 'DataTestScale'",
        ),
        (
            {**good, "pipeline": [{"factor": 2}]},
            "train_dataloader.dataset.pipeline.0",
            "has no 'type'",
        ),
        (
            {"type": "RepeatDataset", "dataset": good, "times": 0},
            "train_dataloader.dataset.times",
            "positive int",
        ),
    ]
    for dataset, path, message in cases:
        with pytest.raises(RegwireError, match=message) as info:
            build_dataloader(loader(dataset))
        assert info.value.config_path == path, str(info.value)
    built = build_dataloader(loader(good))
    assert built is not None
    assert len(built.dataset) == 10  # type: ignore[arg-type]


def test_check_validates_pipeline_entries_against_transforms(ann: Path, registered: None) -> None:
    pipeline = [
        {"type": "DataTestScal"},
        {"type": "DataTestScale", "factr": 2.0},
        {"factor": 2.0},
        {"type": "DataTestTag"},
        {"type": "DataTestScale", "factor": 2.0},
    ]
    dataset = {"type": "BaseDataset", "ann_file": str(ann), "pipeline": pipeline}
    wrapped = {"type": "RepeatDataset", "times": 2, "dataset": dataset}
    errors, _ = check_config({"train_dataloader": loader(wrapped)})
    found = {str(e.config_path): str(e) for e in errors}
    base = "train_dataloader.dataset.dataset.pipeline"
    assert "did you mean 'DataTestScale'" in found[f"{base}.0.type"]
    assert "did you mean 'factor'" in found[f"{base}.1.factr"]
    assert "without 'type'" in found[f"{base}.2"]
    assert f"{base}.3" in " ".join(found)  # Tag needs its name
    assert not any(path.startswith(f"{base}.4") for path in found)


def test_python_config_train_pipeline_variable(tmp_path: Path, ann: Path, registered: None) -> None:
    text = f"""
        train_pipeline = [
            dict(type="DataTestScale", factor=5.0),
            dict(type="DataTestTag", name="py"),
        ]
        train_dataloader = dict(
            batch_size=2,
            dataset=dict(type="DataTestPoints", ann_file={str(ann)!r}, pipeline=train_pipeline),
        )
    """
    path = tmp_path / "cfg.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    cfg = Config.fromfile(path)
    assert cfg.train_pipeline[0]["type"] == "DataTestScale"
    loaded = build_dataloader(cfg.train_dataloader)
    assert loaded is not None
    item = loaded.dataset[1]
    assert item["value"] == 5.0
    assert item["tags"] == ["py"]
    errors, _ = check_config(cfg)
    assert not [e for e in errors if "pipeline" in str(e.config_path)]


class Glyphs(BaseDataset):
    """Three classes of noisy 4x4 images: a bright first row, first column, or diagonal."""

    METAINFO = {"classes": ["row", "column", "diagonal"]}


def write_glyphs(path: Path, count: int, seed: int) -> Path:
    generator = torch.Generator().manual_seed(seed)
    data_list = []
    for index in range(count):
        label = index % 3
        image = torch.rand(4, 4, generator=generator) * 0.3
        if label == 0:
            image[0, :] += 1.0
        elif label == 1:
            image[:, 0] += 1.0
        else:
            image += torch.eye(4)
        data_list.append(
            {"img_path": f"{index}.png", "pixels": image.flatten().tolist(), "label": label}
        )
    path.write_text(json.dumps({"metainfo": {}, "data_list": data_list}), encoding="utf-8")
    return path


class GlyphNet(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(16, 3)

    def forward(  # type: ignore[override]
        self, inputs: torch.Tensor, labels: torch.Tensor, mode: str = "tensor"
    ) -> Any:
        logits = self.linear(inputs.flatten(1))
        if mode == "loss":
            return {"loss": F.cross_entropy(logits, labels)}
        if mode == "predict":
            return {"pred_score": logits.softmax(1), "gt_label": labels}
        return logits


def test_a_base_dataset_trains_with_the_runner(tmp_path: Path, registered: None) -> None:
    def data(name: str, count: int, seed: int, shuffle: bool) -> dict[str, Any]:
        return {
            "batch_size": 8,
            "sampler": {"type": "DefaultSampler", "shuffle": shuffle},
            "dataset": {
                "type": Glyphs,
                "ann_file": str(write_glyphs(tmp_path / f"{name}.json", count, seed)),
                "pipeline": [{"type": "DataTestToTensor", "side": 4}],
            },
        }

    runner = Runner.from_cfg(
        {
            "model": {"type": GlyphNet},
            "work_dir": str(tmp_path / "work"),
            "train_dataloader": data("train", 60, 0, True),
            "val_dataloader": data("val", 30, 1, False),
            "val_evaluator": {"type": "Accuracy"},
            "train_cfg": {"by_epoch": True, "max_epochs": 8, "val_interval": 8},
            "val_cfg": {},
            "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.5}},
            "randomness": {"seed": 0},
            "default_hooks": {"checkpoint": None},
        }
    )
    before = runner.val()["accuracy/top1"]
    runner.train()
    after = runner.val()["accuracy/top1"]
    assert isinstance(runner.train_dataloader.dataset, Glyphs)
    assert after >= 90.0
    assert after > before


def test_a_typo_of_a_package_transform_is_found_under_its_default_scope(ann: Path) -> None:
    package = Registry("transform", parent=TRANSFORMS, scope="datatestpkg-typo")
    package.register_module(name="PackageAddOne", module=Tag)
    cfg = {"type": "BaseDataset", "ann_file": str(ann), "pipeline": [{"type": "PackageAddOen"}]}
    with DefaultScope.overwrite_default_scope("datatestpkg-typo"):
        (problem,) = DATASETS.validate(cfg)
    assert problem.config_path == "pipeline.0.type"
    assert "did you mean 'PackageAddOne'" in str(problem)
