"""The hooks that keep a run safe: the NaN check, and where CheckpointHook may write."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from container import BuildError
from runner import (
    HOOKS,
    CheckInvalidLossHook,
    CheckpointHook,
    EpochBasedTrainLoop,
    InvalidLossError,
    OptimWrapper,
    Runner,
    build_hooks,
)

from ..conftest import ToyModel, make_loader


class GoesBad(ToyModel):
    """Its loss becomes NaN from the ``bad_from``-th training step on."""

    def __init__(self, bad_from: int) -> None:
        super().__init__()
        self.bad_from, self.steps = bad_from, 0

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        self.steps += 1
        logs = super().train_step(data, optim_wrapper)
        if self.steps >= self.bad_from:
            logs["loss"] = torch.tensor(math.nan)
        return logs


def _run(tmp_path: Path, model: ToyModel, hooks: list[Any]) -> Runner:
    return Runner(
        model,
        work_dir=tmp_path,
        train_dataloader=make_loader(16, 4),  # 4 iterations an epoch
        train_loop=EpochBasedTrainLoop(3),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
        hooks=hooks,
    )


def test_a_nan_loss_stops_the_run_naming_the_iteration_before_any_checkpoint(
    tmp_path: Path,
) -> None:
    runner = _run(
        tmp_path, GoesBad(bad_from=6), [CheckInvalidLossHook(interval=50), CheckpointHook()]
    )
    with pytest.raises(
        InvalidLossError, match=r"the loss is nan at iteration 8 \(epoch 2, batch 3\)"
    ):
        runner.train()
    assert [path.name for path in tmp_path.glob("*.pth")] == ["epoch_1.pth"]  # not epoch_2


def test_the_check_reads_the_loss_every_interval(tmp_path: Path) -> None:
    runner = _run(tmp_path, GoesBad(bad_from=2), [CheckInvalidLossHook(interval=2)])
    with pytest.raises(InvalidLossError, match=r"at iteration 2 \(epoch 1, batch 1\)"):
        runner.train()


def test_the_check_is_a_default_hook_with_an_opt_out() -> None:
    assert any(isinstance(hook, CheckInvalidLossHook) for hook in build_hooks())
    hooks = build_hooks({"check_invalid_loss": None})
    assert not any(isinstance(hook, CheckInvalidLossHook) for hook in hooks)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"filename_tmpl": "ep_{1}.pth"}, r"filename_tmpl must hold one '\{\}' for the count"),
        ({"filename_tmpl": "ep.pth"}, r"filename_tmpl must hold one '\{\}'"),
        ({"filename_tmpl": "../../x_{}.pth"}, r"a file name without a directory"),
        ({"out_dir": "../elsewhere"}, r"out_dir '\.\./elsewhere' leaves the work directory"),
    ],
)
def test_checkpoint_paths_stay_where_they_belong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CheckpointHook(**options)
    with pytest.raises(BuildError, match=message) as info:  # from a config: the path is named
        HOOKS.build_at("default_hooks.checkpoint", {"type": "CheckpointHook", **options})
    assert info.value.config_path == "default_hooks.checkpoint"


def test_a_relative_out_dir_is_inside_the_work_dir(tmp_path: Path) -> None:
    _run(
        tmp_path, ToyModel(), [CheckpointHook(out_dir="ckpts", filename_tmpl="e{:02d}.pth")]
    ).train()
    assert sorted(path.name for path in (tmp_path / "ckpts").glob("*.pth")) == [
        "e01.pth",
        "e02.pth",
        "e03.pth",
    ]


def test_async_save_of_a_model_that_is_not_sharded_is_refused(tmp_path: Path) -> None:
    from container import ConfigError

    runner = _run(tmp_path, ToyModel(), [CheckpointHook(async_save=True)])
    with pytest.raises(ConfigError, match=r"async_save.*this model is not sharded"):
        runner.train()
    assert not list(tmp_path.glob("*.pth"))
