"""EMAHook and the averaged models, EarlyStoppingHook, CheckpointHook's best checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from container import ConfigError
from runner import (
    CheckpointHook,
    EarlyStoppingHook,
    EMAHook,
    EpochBasedTrainLoop,
    ExponentialMovingAverage,
    Hook,
    Interrupted,
    MomentumAnnealingEMA,
    OptimWrapper,
    Runner,
    StochasticWeightAverage,
    build_hooks,
    load_checkpoint,
)

from ..conftest import MeanError, ToyModel, make_loader


def _runner(work_dir: Path | None, hooks: list[Any], epochs: int = 4, **kwargs: Any) -> Runner:
    torch.manual_seed(0)
    model = ToyModel()
    options: dict[str, Any] = {
        "work_dir": work_dir,
        "train_dataloader": make_loader(8, 4),
        "train_loop": EpochBasedTrainLoop(max_epochs=epochs),
        "optim_wrapper": OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
        "val_dataloader": make_loader(4, 4),
        "val_evaluator": MeanError(),
        "hooks": hooks,
        **kwargs,
    }
    return Runner(model, **options)


# -- the averaged models: MMEngine's formulas ----------------------------------------------


def _steps(averaged: Any, values: list[float]) -> float:
    model = nn.Linear(1, 1, bias=False)
    average = averaged(model)
    for value in values:
        with torch.no_grad():
            model.weight.fill_(value)
        average.update_parameters(model)
    return float(average.module.weight)


def test_ema_lerps_by_momentum_after_copying_the_first_weights() -> None:
    got = _steps(lambda m: ExponentialMovingAverage(m, momentum=0.5), [4.0, 0.0, 2.0])
    assert got == pytest.approx(((4.0 * 0.5) + 0.0) * 0.5 + 1.0)


def test_momentum_annealing_uses_the_larger_momentum() -> None:
    # step 1: max(0.01, 1 / (1 + 1)) = 0.5; step 2: max(0.01, 1 / 3)
    got = _steps(lambda m: MomentumAnnealingEMA(m, momentum=0.01, gamma=1), [0.0, 6.0, 0.0])
    assert got == pytest.approx(3.0 * (1 - 1 / 3))


def test_swa_is_the_mean_of_the_weights() -> None:
    assert _steps(StochasticWeightAverage, [1.0, 2.0, 6.0]) == pytest.approx(3.0)


def test_ema_momentum_out_of_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="momentum must be between 0 and 1"):
        ExponentialMovingAverage(nn.Linear(1, 1), momentum=1.5)


# -- EMAHook ---------------------------------------------------------------------------------


class _SeenWeights(Hook):
    """Records the model's weight when validation starts (after EMAHook swapped it)."""

    def __init__(self) -> None:
        self.seen: list[torch.Tensor] = []

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.seen.append(runner.model.linear.weight.detach().clone())


def test_validation_and_checkpoints_use_the_average(tmp_path: Path) -> None:
    ema, seen = EMAHook(momentum=0.5), _SeenWeights()
    runner = _runner(tmp_path, [ema, seen, CheckpointHook()], epochs=2)
    runner.train()
    assert ema.ema_model is not None
    average = ema.ema_model.module.linear.weight
    assert torch.equal(seen.seen[-1], average)
    assert not torch.equal(runner.model.linear.weight, average)  # swapped back after
    saved = load_checkpoint(tmp_path / "epoch_2.pth")
    assert torch.equal(saved["state_dict"]["linear.weight"], average)
    training = saved["ema_state_dict"]["module.linear.weight"]
    assert torch.equal(training, runner.model.linear.weight)


def test_resume_continues_the_average_bit_for_bit(tmp_path: Path) -> None:
    straight = EMAHook(ema_type="MomentumAnnealingEMA", momentum=0.1, gamma=3)
    _runner(tmp_path / "a", [straight, CheckpointHook()], epochs=4).train()
    first = EMAHook(ema_type="MomentumAnnealingEMA", momentum=0.1, gamma=3)
    _runner(tmp_path / "b", [first, CheckpointHook()], epochs=2).train()
    again = EMAHook(ema_type="MomentumAnnealingEMA", momentum=0.1, gamma=3)
    resumed = _runner(tmp_path / "b", [again, CheckpointHook()], epochs=4, resume=True)
    resumed.train()
    assert straight.ema_model is not None
    assert again.ema_model is not None
    for a, b in zip(
        straight.ema_model.state_dict().values(), again.ema_model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    end_a = load_checkpoint(tmp_path / "a" / "epoch_4.pth")
    end_b = load_checkpoint(tmp_path / "b" / "epoch_4.pth")
    for key, value in end_a["state_dict"].items():
        assert torch.equal(value, end_b["state_dict"][key])
    assert torch.equal(
        end_a["ema_state_dict"]["module.linear.weight"],
        end_b["ema_state_dict"]["module.linear.weight"],
    )


# -- EarlyStoppingHook -------------------------------------------------------------------------


class _Scripted:
    """An evaluator returning the given scores, one per validation."""

    def __init__(self, scores: list[float]) -> None:
        self.scores = list(scores)

    def process(self, data_samples: Any, data_batch: Any = None) -> None:
        pass

    def evaluate(self, size: int) -> dict[str, float]:
        return {"acc": self.scores.pop(0)}


def test_early_stopping_stops_after_patience_validations_without_improvement() -> None:
    hook = EarlyStoppingHook(monitor="acc", patience=2, min_delta=0.5)
    runner = _runner(None, [hook], epochs=10, val_evaluator=_Scripted([1, 2, 2.4, 2.3, 9, 9]))
    runner.train()
    assert hook.rule == "greater"
    assert runner.epoch == 4  # epochs 3 and 4 did not beat 2 by 0.5


def test_early_stopping_threshold_and_missing_metric() -> None:
    hook = EarlyStoppingHook(monitor="acc", stopping_threshold=1.5)
    runner = _runner(None, [hook], epochs=10, val_evaluator=_Scripted([1, 2, 3]))
    runner.train()
    assert runner.epoch == 2
    strict = EarlyStoppingHook(monitor="top1", strict=True)
    with pytest.raises(Exception, match="monitors 'top1', which the validation did not return"):
        _runner(None, [strict], epochs=3, val_evaluator=_Scripted([1, 2, 3])).train()


def test_early_stopping_rule_must_be_inferable() -> None:
    with pytest.raises(ValueError, match="cannot tell whether 'fid'"):
        EarlyStoppingHook(monitor="fid")


# -- best checkpoints -------------------------------------------------------------------------


def test_one_best_file_per_metric_replaced_when_it_improves(tmp_path: Path) -> None:
    scores = [1.0, 3.0, 2.0, 5.0]
    hook = CheckpointHook(save_best="acc")
    runner = _runner(tmp_path, [hook], epochs=4, val_evaluator=_Scripted(scores))
    runner.train()
    assert sorted(p.name for p in tmp_path.glob("best_*")) == ["best_acc_epoch_4.pth"]
    assert runner.message_hub.get_info("best_score") == 5.0
    best = load_checkpoint(tmp_path / "best_acc_epoch_4.pth")
    assert "optimizer" not in best
    # the newest interval checkpoint was saved again knowing the best: a resume keeps it
    assert load_checkpoint(tmp_path / "epoch_4.pth")["hooks"]["CheckpointHook"]["best"] == {
        "acc": {"score": 5.0, "file": "best_acc_epoch_4.pth"}
    }


def test_best_of_a_less_rule_and_auto(tmp_path: Path) -> None:
    hook = CheckpointHook(save_best=["auto"], rule="less")
    _runner(tmp_path, [hook], epochs=3, val_evaluator=_Scripted([3.0, 1.0, 2.0])).train()
    assert [p.name for p in tmp_path.glob("best_*")] == ["best_acc_epoch_2.pth"]


def test_save_best_rule_is_inferred_or_asked_for() -> None:
    assert CheckpointHook(save_best="val/loss").rules == {"val/loss": "less"}
    assert CheckpointHook(save_best="fid", less_keys=["fid"]).rules == {"fid": "less"}
    with pytest.raises(ValueError, match="cannot tell whether 'fid'"):
        CheckpointHook(save_best="fid")
    with pytest.raises(ValueError, match="rule must be 'greater', 'less'"):
        CheckpointHook(save_best="acc", rule="bigger")  # type: ignore[arg-type]


def test_published_keys_write_a_copy_named_by_its_hash(tmp_path: Path) -> None:
    hook = CheckpointHook(save_best="acc", published_keys=["meta", "state_dict"])
    _runner(tmp_path, [hook], epochs=2, val_evaluator=_Scripted([1.0, 2.0])).train()
    published = sorted(p.name for p in tmp_path.glob("*-*.pth"))
    assert len(published) == 2
    assert published[0].startswith("best_acc_epoch_2-")
    copy = load_checkpoint(tmp_path / published[1])
    assert set(copy) == {"meta", "state_dict"}


# -- what the review of #14 found --------------------------------------------------------------


def test_a_save_best_metric_validation_never_returns_is_an_error(tmp_path: Path) -> None:
    hook = CheckpointHook(save_best="accc", rule="greater")
    runner = _runner(tmp_path, [hook], epochs=3, val_evaluator=_Scripted([1.0, 2.0, 3.0]))
    with pytest.raises(
        ConfigError,
        match=r"names 'accc', which the validation did not return; did you mean 'acc'\? "
        r"\(it returned 'acc'\)",
    ):
        runner.train()
    assert runner.epoch == 1  # at the first validation
    assert not list(tmp_path.glob("best_*"))


def test_auto_stands_alone_and_no_metric_twice() -> None:
    with pytest.raises(ValueError, match=r"save_best lists 'auto' with other metrics"):
        CheckpointHook(save_best=["auto", "mae"])
    with pytest.raises(ValueError, match=r"save_best lists 'auto' twice"):
        CheckpointHook(save_best=["auto", "auto"])
    with pytest.raises(ConfigError, match=r"'default_hooks.checkpoint.save_best' lists 'auto'"):
        build_hooks({"checkpoint": {"save_best": ["auto", "auto"]}})


def test_a_validation_alone_writes_no_checkpoint(tmp_path: Path) -> None:
    trained = _runner(tmp_path / "a", [CheckpointHook()], epochs=1)
    trained.train()
    runner = _runner(
        tmp_path / "b",
        [CheckpointHook(save_best="acc")],
        val_evaluator=_Scripted([1.0]),
        load_from=tmp_path / "a" / "epoch_1.pth",
    )
    assert runner.val() == {"acc": 1.0}
    assert not list((tmp_path / "b").glob("*.pth"))


def test_a_resumed_run_stops_early_where_the_straight_run_stops(tmp_path: Path) -> None:
    scores = [1.0, 2.0, 2.2, 2.3, 9.0, 9.0, 9.0, 9.0]  # no improvement by 0.5 after epoch 2

    def early_stopping() -> EarlyStoppingHook:
        return EarlyStoppingHook(monitor="acc", patience=2, min_delta=0.5)

    straight = _runner(
        tmp_path / "a", [CheckpointHook(), early_stopping()], 8, val_evaluator=_Scripted(scores)
    )
    straight.train()
    assert straight.epoch == 4
    for split in (2, 3):
        work_dir = tmp_path / f"split{split}"
        first = _runner(
            work_dir, [CheckpointHook(), early_stopping()], split, val_evaluator=_Scripted(scores)
        )
        first.train()
        resumed = _runner(
            work_dir,
            [CheckpointHook(), early_stopping()],
            8,
            val_evaluator=_Scripted(scores[split:]),
            resume=True,
        )
        resumed.train()
        assert resumed.epoch == straight.epoch, f"split after epoch {split}"


def test_a_checkpoint_is_saved_again_only_when_a_validation_changed_what_resumes(
    tmp_path: Path,
) -> None:
    class CountSaves(Hook):
        def __init__(self) -> None:
            self.saved: list[tuple[int, str]] = []

        def before_save_checkpoint(self, runner: Any, checkpoint: dict[str, Any]) -> None:
            hooks = checkpoint.get("hooks", {})
            self.saved.append((runner.epoch, str(hooks.get("EarlyStoppingHook", "-"))))

    plain = CountSaves()
    _runner(tmp_path / "a", [CheckpointHook(), plain], 3).train()
    assert [epoch for epoch, _ in plain.saved] == [0, 1, 2]  # one save an epoch
    counted = CountSaves()
    hook = EarlyStoppingHook(monitor="acc", patience=5)
    _runner(
        tmp_path / "b",
        [CheckpointHook(), hook, counted],
        3,
        val_evaluator=_Scripted([1.0, 2.0, 2.0]),
    ).train()
    assert [epoch for epoch, _ in counted.saved] == [0, 1, 1, 2, 2, 3]  # each again, after


def test_max_keep_ckpts_counts_the_checkpoint_a_signal_saved(tmp_path: Path) -> None:
    import os
    import signal

    class SignalAt(Hook):
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            if runner.iter + 1 == 3:
                os.kill(os.getpid(), signal.SIGUSR1)

    def checkpoints() -> list[str]:
        return sorted(p.name for p in tmp_path.glob("*.pth"))

    hook = CheckpointHook(max_keep_ckpts=1)
    with pytest.raises(Interrupted):
        _runner(tmp_path, [hook, SignalAt()], 4, val_dataloader=None, val_evaluator=None).train()
    assert checkpoints() == ["epoch_1.pth", "iter_3.pth"]
    resumed = _runner(
        tmp_path, [CheckpointHook(max_keep_ckpts=1)], 4, val_dataloader=None, val_evaluator=None
    )
    resumed.resume_requested = True
    resumed.train()
    assert checkpoints() == ["epoch_4.pth"]  # iter_3.pth went once newer ones were saved


def test_a_bad_averaged_model_argument_is_found_when_the_hook_is_built() -> None:
    with pytest.raises(ValueError, match="momentum must be between 0 and 1"):
        EMAHook(momentum=2)
    with pytest.raises(ValueError, match="gamma must be a positive number"):
        EMAHook(ema_type="MomentumAnnealingEMA", gamma=0)
    with pytest.raises(ValueError, match=r"momentm is not an argument of \w+; did you mean"):
        EMAHook(momentm=0.1)
    with pytest.raises(
        ConfigError, match=r"'custom_hooks.1.momentum' must be between 0 and 1 \(exclusive\)"
    ):
        build_hooks({}, [{"type": "EMAHook"}, {"type": "EMAHook", "momentum": 2}])
    with pytest.raises(ConfigError, match=r"'custom_hooks.0.begin_epoch' and begin_iter are both"):
        build_hooks({}, [{"type": "EMAHook", "begin_iter": 3, "begin_epoch": 1}])
    with pytest.raises(ConfigError, match=r"'custom_hooks.0.monitor' is 'foo'.*give rule"):
        build_hooks({}, [{"type": "EarlyStoppingHook", "monitor": "foo"}])


def test_profiler_on_trace_ready_is_a_mapping_or_a_callable() -> None:
    import typing

    from runner import ProfilerHook

    hints = typing.get_type_hints(ProfilerHook.__init__)
    assert dict[str, Any] in typing.get_args(hints["on_trace_ready"])  # not a node to build
    assert ProfilerHook(on_trace_ready={"type": "log_trace"}).on_trace_ready["type"] == "log_trace"
    assert ProfilerHook(on_trace_ready=print)._handler is print
    with pytest.raises(ValueError, match="did you mean 'log_trace'"):
        ProfilerHook(on_trace_ready={"type": "log_trce"})
