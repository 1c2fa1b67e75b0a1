"""Signals while training: the handlers, and where the loops stop (in process)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from runner import (
    EpochBasedTrainLoop,
    Hook,
    Interrupted,
    IterBasedTrainLoop,
    ValLoop,
    load_checkpoint,
)
from runner.engine._preemption import StopRequest, stop_on_signals

from ..conftest import MeanError, make_loader
from .test_checkpoint import build


def test_handlers_are_set_for_the_block_and_restored_after() -> None:
    before = signal.getsignal(signal.SIGTERM)
    request = StopRequest()
    with stop_on_signals(request):
        assert signal.getsignal(signal.SIGTERM) == request.receive
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_second_ctrl_c_stops_at_once() -> None:
    request = StopRequest()
    with stop_on_signals(request):
        request.receive(signal.SIGINT)
        assert request.signum == signal.SIGINT
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class SignalAt(Hook):
    def __init__(self, at: int, signum: int = signal.SIGUSR1) -> None:
        self.at, self.signum = at, signum

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize(
    ("loop", "at", "where"),
    [
        (EpochBasedTrainLoop(3), 8, (1, 8, 2)),  # 6 batches an epoch: mid-epoch 2
        (EpochBasedTrainLoop(3), 6, (0, 6, 6)),  # the epoch's last batch: it has not ended
        (IterBasedTrainLoop(20), 9, (1, 9, 3)),
    ],
)
def test_the_loops_stop_after_the_iteration_and_save_exactly_there(
    tmp_path: Path, loop: Any, at: int, where: tuple[int, int, int]
) -> None:
    runner = build(tmp_path, loop)
    runner.register_hook(SignalAt(at))
    with pytest.raises(Interrupted) as info:
        runner.train()
    assert info.value.signum == signal.SIGUSR1
    assert info.value.checkpoint == tmp_path / f"iter_{at}.pth"
    meta = load_checkpoint(tmp_path / f"iter_{at}.pth")["meta"]
    assert (meta["epoch"], meta["iter"], meta["inner_iter"]) == where
    assert runner.iter == at
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL  # restored


def test_without_a_work_dir_nothing_is_saved_and_it_says_so(tmp_path: Path) -> None:
    runner = build(tmp_path, EpochBasedTrainLoop(2))
    runner.work_dir = None
    runner.register_hook(SignalAt(3))
    with pytest.raises(Interrupted, match=r"stopped by SIGUSR1 .*nothing saved \(no work_dir\)"):
        runner.train()


def test_a_signal_as_an_epoch_ends_saves_before_any_validation(tmp_path: Path) -> None:
    class EndOfEpochSignal(Hook):
        def __init__(self) -> None:
            self.validations = 0

        def after_train_epoch(self, runner: Any) -> None:
            os.kill(os.getpid(), signal.SIGUSR1)

        def before_val(self, runner: Any) -> None:
            self.validations += 1

    runner = build(tmp_path, EpochBasedTrainLoop(3))
    runner.val_loop = ValLoop()
    runner.val_dataloader, runner.val_evaluator = make_loader(8, 4), MeanError()
    hook = EndOfEpochSignal()
    runner.register_hook(hook)
    with pytest.raises(Interrupted):
        runner.train()
    assert hook.validations == 0
    meta = load_checkpoint(tmp_path / "iter_6.pth")["meta"]
    assert (meta["epoch"], meta["iter"], meta["inner_iter"]) == (1, 6, 0)
