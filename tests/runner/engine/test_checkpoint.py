"""Checkpoint files, and saving, loading and resuming through the Runner."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from runner import (
    CheckpointError,
    CheckpointHook,
    DefaultSampler,
    DistSamplerSeedHook,
    EpochBasedTrainLoop,
    Hook,
    IterBasedTrainLoop,
    OptimWrapper,
    ParamSchedulerHook,
    Runner,
    find_latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from runner.engine import LOCK_FILE

from ..conftest import ToyModel, make_data


def test_save_is_atomic_and_loads_weights_only(tmp_path: Path) -> None:
    target = save_checkpoint(
        {"meta": {"epoch": 1}, "state_dict": {"w": torch.ones(2)}}, tmp_path / "a.pth"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["a.pth"]  # no temporary file left
    assert torch.equal(load_checkpoint(target)["state_dict"]["w"], torch.ones(2))


def test_failed_save_leaves_the_old_file(tmp_path: Path) -> None:
    target = save_checkpoint({"state_dict": {"w": torch.ones(1)}}, tmp_path / "a.pth")

    class Unpicklable:
        def __reduce__(self) -> Any:
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError, match=r"cannot pickle"):
        save_checkpoint({"state_dict": {"w": Unpicklable()}}, target)
    assert torch.equal(load_checkpoint(target)["state_dict"]["w"], torch.ones(1))
    assert [p.name for p in tmp_path.iterdir()] == ["a.pth"]


class Custom:
    pass


def test_load_refuses_arbitrary_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "x": Custom()}, path)
    with pytest.raises(CheckpointError, match=r"weights_only=True") as info:
        load_checkpoint(path, config_path="load_from")
    assert info.value.config_path == "load_from"


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"does not exist"):
        load_checkpoint(tmp_path / "nope.pth")


def test_bare_state_dict_is_accepted(tmp_path: Path) -> None:
    torch.save({"w": torch.zeros(1)}, tmp_path / "m.pth")
    assert "w" in load_checkpoint(tmp_path / "m.pth")["state_dict"]


class Counting(Hook):
    def __init__(self) -> None:
        self.count = 0

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.count += 1

    def state_dict(self) -> dict[str, int]:
        return {"count": self.count}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.count = state["count"]


def build(
    work_dir: Path,
    loop: Any,
    *,
    resume: bool = False,
    load_from: Any = None,
    by_epoch: bool | None = None,
) -> Runner:
    torch.manual_seed(0)
    model = ToyModel()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    scheduler = torch.optim.lr_scheduler.StepLR(optim.optimizer, step_size=1, gamma=0.5)
    data = make_data(24)
    loader = DataLoader(data, batch_size=4, sampler=DefaultSampler(data, shuffle=True, seed=7))
    if by_epoch is None:
        by_epoch = isinstance(loop, EpochBasedTrainLoop)
    return Runner(
        model,
        work_dir=work_dir,
        train_dataloader=loader,
        train_loop=loop,
        optim_wrapper=optim,
        param_schedulers=[scheduler],
        hooks=[
            DistSamplerSeedHook(),
            ParamSchedulerHook(),
            CheckpointHook(interval=1 if by_epoch else 4, by_epoch=by_epoch),
            Counting(),
        ],
        resume=resume,
        load_from=load_from,
    )


def test_resume_by_epoch_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    full = build(tmp_path / "full", EpochBasedTrainLoop(3))
    full.train()
    first = build(tmp_path / "cut", EpochBasedTrainLoop(1))
    first.train()
    resumed = build(tmp_path / "cut", EpochBasedTrainLoop(3), resume=True)  # finds last_checkpoint
    resumed.train()
    assert (resumed.epoch, resumed.iter) == (3, 18)
    assert resumed.hook_names["Counting"].count == 18  # type: ignore[attr-defined]
    for a, b in zip(full.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.param_schedulers[0].get_last_lr() == full.param_schedulers[0].get_last_lr()


def test_resume_mid_epoch_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    full = build(tmp_path / "full", IterBasedTrainLoop(14))
    full.train()
    cut = build(tmp_path / "cut", IterBasedTrainLoop(8))  # saves at iterations 4 and 8
    cut.train()
    path = tmp_path / "cut" / "iter_8.pth"
    checkpoint = load_checkpoint(path)
    assert checkpoint["meta"]["iter"] == 8
    assert checkpoint["meta"]["inner_iter"] == 2
    assert set(checkpoint) >= {"meta", "state_dict", "optimizer", "param_schedulers", "hooks"}
    resumed = build(tmp_path / "other", IterBasedTrainLoop(14), resume=True, load_from=path)
    resumed.train()
    for a, b in zip(full.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_load_from_loads_weights_only(tmp_path: Path) -> None:
    trained = build(tmp_path / "a", EpochBasedTrainLoop(1))
    trained.train()
    path = tmp_path / "a" / "epoch_1.pth"
    seen: list[dict[str, Any]] = []

    class After(Hook):
        def after_load_checkpoint(self, runner: Any, checkpoint: dict[str, Any]) -> None:
            seen.append(checkpoint)

    fresh = Runner(ToyModel(), hooks=[After()])
    fresh.load_checkpoint(path)
    assert torch.equal(fresh.model.linear.weight, trained.model.linear.weight)
    assert seen
    assert seen[0]["meta"]["epoch"] == 1
    assert fresh.epoch == 0  # loading is not resuming


def test_max_keep_ckpts_survives_resume(tmp_path: Path) -> None:
    def run(epochs: int, resume: bool) -> None:
        runner = build(tmp_path, EpochBasedTrainLoop(epochs), resume=resume)
        runner.hook_names["CheckpointHook"].max_keep_ckpts = 2  # type: ignore[attr-defined]
        runner.train()

    run(2, False)
    run(4, True)
    assert sorted(p.name for p in tmp_path.glob("*.pth")) == ["epoch_3.pth", "epoch_4.pth"]
    assert find_latest_checkpoint(tmp_path) == (tmp_path / "epoch_4.pth").resolve()
    hidden = [name for name in os.listdir(tmp_path) if name.startswith(".")]
    assert hidden == [LOCK_FILE]  # no temporary file left; the lock stays (it is free)


def test_epoch_loop_resumes_mid_epoch(tmp_path: Path) -> None:
    full = build(tmp_path / "full", EpochBasedTrainLoop(3))
    full.train()
    cut = build(tmp_path / "cut", EpochBasedTrainLoop(2), by_epoch=False)  # saves every 4 iters
    cut.train()
    path = tmp_path / "cut" / "iter_8.pth"  # epoch 2 (index 1), after its 2nd of 6 batches
    meta = load_checkpoint(path)["meta"]
    assert (meta["epoch"], meta["iter"], meta["inner_iter"]) == (1, 8, 2)
    resumed = build(tmp_path / "x", EpochBasedTrainLoop(3), resume=True, load_from=path)
    resumed.train()
    assert (resumed.epoch, resumed.iter) == (3, 18)
    for a, b in zip(full.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
