"""The digits example: dataset split, model shapes, and a short training run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from runner import (
    DATASETS,
    MODELS,
    build_dataloader,
    build_evaluator,
    build_optim_wrapper,
    build_param_schedulers,
)

pytest.importorskip("sklearn")

from examples.digits.components import DigitsCNN, DigitsDataset

CONFIG = Path(__file__).parents[2] / "examples" / "digits" / "cnn.yaml"


def test_split_sizes_are_disjoint_and_deterministic() -> None:
    train, val = DigitsDataset("train"), DigitsDataset("val")
    assert (len(train), len(val)) == (1438, 359)
    image, label = train[0]
    assert image.shape == (1, 8, 8)
    assert image.dtype == torch.float32
    assert label.dtype == torch.int64
    assert float(train.images.min()) == 0.0
    assert float(train.images.max()) == 1.0
    assert torch.equal(DigitsDataset("val").images, val.images)
    assert not torch.equal(DigitsDataset("val", seed=1).labels, val.labels)
    # no image is in both splits (rows of pixels compared as a set)
    rows = {tuple(x.flatten().tolist()) for x in train.images}
    overlap = sum(tuple(x.flatten().tolist()) in rows for x in val.images)
    assert overlap < 5  # load_digits has a few duplicate images, nothing more
    assert len(DigitsDataset("val", val_fraction=0.5)) == 898


def test_dataset_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="split must be"):
        DigitsDataset("test")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="val_fraction"):
        DigitsDataset(val_fraction=1.0)


def test_model_forward_modes() -> None:
    model = DigitsCNN()
    images, labels = torch.zeros(5, 1, 8, 8), torch.arange(5)
    assert model(images).shape == (5, 10)
    loss = model(images, labels, mode="loss")
    assert set(loss) == {"loss"}
    assert loss["loss"].ndim == 0
    out = model(images, labels, mode="predict")
    assert out["pred_score"].shape == (5, 10)
    assert torch.allclose(out["pred_score"].sum(dim=1), torch.ones(5))
    assert torch.equal(out["gt_label"], labels)
    with pytest.raises(ValueError, match="needs the labels"):
        model(images, mode="loss")


def test_components_are_registered() -> None:
    assert DATASETS.get("DigitsDataset") is DigitsDataset
    assert MODELS.get("DigitsCNN") is DigitsCNN


def test_config_sections_train_to_high_accuracy() -> None:
    """The config's own sections, driven by a hand-written epoch loop."""
    cfg = yaml.safe_load(CONFIG.read_text())
    assert cfg["custom_imports"]["imports"] == ["examples.digits.components"]
    torch.manual_seed(cfg["randomness"]["seed"])
    train = build_dataloader(cfg["train_dataloader"], seed=0)
    val = build_dataloader(cfg["val_dataloader"], seed=0, section="val_dataloader")
    model = MODELS.build(cfg["model"])
    wrapper = build_optim_wrapper(model, cfg["optim_wrapper"])
    schedulers = build_param_schedulers(wrapper, cfg["param_scheduler"])
    evaluator = build_evaluator(cfg["val_evaluator"])
    assert evaluator is not None
    epochs = 6
    for epoch in range(epochs):
        train.sampler.set_epoch(epoch)  # type: ignore[attr-defined]
        model.train()
        for batch in train:
            logs = model.train_step(batch, wrapper)
        for scheduler in schedulers:
            scheduler.step()
    model.eval()
    for batch in val:
        evaluator.process(model.val_step(batch), batch)
    metrics = evaluator.evaluate(len(val.dataset))  # type: ignore[arg-type]
    assert metrics["accuracy/top1"] >= 95.0
    assert logs["loss"].item() < 0.3
    assert wrapper.get_lr()["lr"] == [pytest.approx(0.003 * 0.3)]  # milestone 6 passed


def test_runner_trains_the_config_to_95_percent() -> None:
    """The whole config through ``Runner.from_cfg``, writing nothing (``work_dir: null``)."""
    from runner import Runner

    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["work_dir"] = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val()
    assert metrics["accuracy/top1"] >= 95.0


def test_mmengine_style_python_config_inherits_the_yaml_one() -> None:
    """The Python variant loads with MMEngine's rules over the YAML base, and trains."""
    from container import Config
    from runner import Runner

    cfg = Config.fromfile(CONFIG.with_name("cnn_mmengine_style.py"))
    base = Config.fromfile(CONFIG)
    assert cfg.model.to_dict() == {**base.model.to_dict(), "channels": 8}
    assert cfg.optim_wrapper.optimizer.to_dict() == {"type": "SGD", "lr": 0.1, "momentum": 0.9}
    assert cfg.train_cfg.max_epochs == base.train_cfg.max_epochs // 2
    assert cfg.source_of("model.type") is not None
    assert str(cfg.source_of("model.channels")).endswith("cnn_mmengine_style.py:6")
    cfg.work_dir = None
    cfg.train_cfg.max_epochs = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.val()["accuracy/top1"] > 50.0
