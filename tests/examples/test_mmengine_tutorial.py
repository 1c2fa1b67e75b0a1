"""MMEngine's 15-minute tutorial, moved over by changing imports (examples/mmengine_tutorial.py);
and, where mmengine is installed beside regwire, the same run under both."""

# ruff: noqa: C408  (MMEngine's tutorial writes its configs with dict(...), as its users do)
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from examples import mmengine_tutorial
from runner import Runner

HAVE_MMENGINE = importlib.util.find_spec("mmengine") is not None


def test_the_tutorial_trains(tmp_path: Path) -> None:
    runner = mmengine_tutorial.make_runner(tmp_path, max_epochs=3)
    assert isinstance(runner, Runner)
    runner.train()
    assert runner.iter == 3 * 512 // 32
    assert runner.val()["accuracy"] > 75  # four classes: chance is 25 (unseeded, as the tutorial)


def test_configs_and_objects_mix_and_mistakes_are_named(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader

    from container import RegwireError

    data = mmengine_tutorial.ColourPatterns(64, seed=3)
    runner = Runner(
        model=mmengine_tutorial.MMConvNet(),
        work_dir=str(tmp_path / "objects"),
        train_dataloader=DataLoader(data, batch_size=16),  # a built object, as the tutorial has
        optim_wrapper=dict(optimizer=dict(type=torch.optim.SGD, lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
    )
    runner.train()
    assert runner.iter == 4
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'train_cgf'.*'train_cfg'"):
        Runner(model=mmengine_tutorial.MMConvNet(), train_cgf=dict(max_epochs=1))
    with pytest.raises(RegwireError, match=r"'optim_wrapper.optimizer.type'.*'SDG'.*'SGD'"):
        Runner(
            model=mmengine_tutorial.MMConvNet(),
            train_dataloader=DataLoader(data, batch_size=16),
            optim_wrapper=dict(optimizer=dict(type="SDG", lr=0.01)),
            train_cfg=dict(max_epochs=1),
        )
    with pytest.raises(TypeError, match="not both"):
        Runner(mmengine_tutorial.MMConvNet(), train_cfg=dict(max_epochs=1), hooks=[object()])


SCHEDULERS = [
    dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type="MultiStepLR", milestones=[2], gamma=0.1, by_epoch=True),
]


def _tutorial(api: Any, work_dir: Path) -> tuple[Any, list[float]]:
    """The tutorial's script written against ``api`` (regwire's names or mmengine's), with a
    warm-up and a step decay, and a hook that records the learning rate of every iteration."""
    seen: list[float] = []

    class Model(api.BaseModel):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self.net = mmengine_tutorial.MMConvNet().net

        forward = mmengine_tutorial.MMConvNet.forward

    class Accuracy(api.BaseMetric):  # type: ignore[name-defined,misc]
        process = mmengine_tutorial.Accuracy.process
        compute_metrics = mmengine_tutorial.Accuracy.compute_metrics

    class RecordLR(api.Hook):  # type: ignore[name-defined,misc]
        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            seen.append(runner.optim_wrapper.optimizer.param_groups[0]["lr"])

    loader = dict(
        batch_size=32,
        dataset=mmengine_tutorial.ColourPatterns(256, seed=1),
        sampler=dict(type="DefaultSampler", shuffle=True),
        collate_fn=dict(type="default_collate"),
    )
    runner = api.Runner(
        model=Model(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        optim_wrapper=dict(optimizer=dict(type=torch.optim.SGD, lr=0.01, momentum=0.9)),
        param_scheduler=SCHEDULERS,
        train_cfg=dict(by_epoch=True, max_epochs=4, val_interval=1),
        val_dataloader={**loader, "sampler": dict(type="DefaultSampler", shuffle=False)},
        val_cfg=dict(),
        val_evaluator=dict(type=Accuracy),
        custom_hooks=[RecordLR()],
    )
    runner.train()
    return runner, seen


@pytest.mark.skipif(not HAVE_MMENGINE, reason="needs mmengine beside regwire")
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")  # mmengine's
def test_the_same_run_under_mmengine_and_regwire(tmp_path: Path) -> None:
    import mmengine.evaluator
    import mmengine.hooks
    import mmengine.model
    import mmengine.runner

    import runner as regwire

    theirs_api = SimpleNamespace(
        BaseModel=mmengine.model.BaseModel,
        BaseMetric=mmengine.evaluator.BaseMetric,
        Hook=mmengine.hooks.Hook,
        Runner=mmengine.runner.Runner,
    )
    theirs, their_lrs = _tutorial(theirs_api, tmp_path / "mmengine")
    ours, our_lrs = _tutorial(regwire, tmp_path / "regwire")
    assert ours.iter == theirs.iter == 4 * 256 // 32
    assert len(our_lrs) == len(their_lrs) == ours.iter
    assert our_lrs == pytest.approx(their_lrs, rel=1e-9)
    assert len(set(our_lrs)) > 10  # a real trajectory: warm-up, then the steps
