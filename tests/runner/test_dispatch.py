"""Dispatch tables, and the dispatch loop (``Runner.call_hook``) over a runner that writes
nothing (``work_dir=None``) and holds nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

from runner import Hook, HookError, Priority, Runner
from runner._dispatch import DispatchTable, HookSignatureError, check_hook


def runner_with(hooks: list[Any]) -> Runner:
    """A runner that only dispatches: no data, no loops, no work directory."""
    return Runner(nn.Identity(), work_dir=None, hooks=hooks)


class Recorder(Hook):
    def __init__(self, log: list[str], tag: str, priority: Any = Priority.NORMAL) -> None:
        self.log = log
        self.tag = tag
        self.priority = priority

    def before_train(self, runner: Any) -> None:
        self.log.append(self.tag)


class OnlyIter(Hook):
    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        pass


def test_table_holds_only_overriding_hooks() -> None:
    log: list[str] = []
    table = DispatchTable.from_hooks([Recorder(log, "a"), OnlyIter(), Hook()])
    assert [impl.name for impl in table.stages["before_train"]] == ["Recorder"]
    assert [impl.name for impl in table.stages["after_train_iter"]] == ["OnlyIter"]
    assert table.stages["after_run"] == ()
    assert len(table.stages) == 22


def test_priority_order_is_stable() -> None:
    log: list[str] = []
    hooks = [
        Recorder(log, "default-normal"),
        Recorder(log, "default-low", "LOW"),
        Recorder(log, "custom-normal", 50),
        Recorder(log, "custom-highest", Priority.HIGHEST),
    ]
    table = DispatchTable.from_hooks(hooks)
    runner_with(hooks).call_hook("before_train")
    assert log == ["custom-highest", "default-normal", "custom-normal", "default-low"]
    assert table.names == ("Recorder#4", "Recorder", "Recorder#3", "Recorder#2")


def test_call_passes_runner_and_kwargs() -> None:
    got: list[tuple[object, int, Any]] = []

    class Taker(Hook):
        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            got.append((runner, batch_idx, data_batch))

    runner = runner_with([Taker()])
    runner.call_hook("before_train_iter", batch_idx=3, data_batch="b")
    assert got == [(runner, 3, "b")]


def test_mode_helper_overrides_count_for_their_stages() -> None:
    class Epochs(Hook):
        def _after_epoch(self, runner: Any, mode: str = "train") -> None:
            pass

    table = DispatchTable.from_hooks([Epochs()])
    assert [s for s, impls in table.stages.items() if impls] == [
        "after_train_epoch",
        "after_val_epoch",
        "after_test_epoch",
    ]


def test_duck_typed_hooks_are_accepted() -> None:
    class Duck:
        def __init__(self) -> None:
            self.calls = 0

        def after_run(self, runner: Any) -> None:
            self.calls += 1

    duck = Duck()
    runner_with([duck]).call_hook("after_run")
    assert duck.calls == 1


def test_bad_signature_is_rejected_at_registration() -> None:
    class Wrong(Hook):
        def after_train_iter(self, runner: Any, batch_index: int) -> None:  # type: ignore[override]
            pass

    with pytest.raises(
        HookSignatureError,
        match=r"hook Wrong: after_train_iter.*parameter 'batch_index' is never passed; "
        r"did you mean 'batch_idx'\?",
    ):
        DispatchTable.from_hooks([Wrong()])


def test_missing_parameter_is_rejected() -> None:
    class Narrow(Hook):
        def after_val_epoch(self, runner: Any) -> None:  # type: ignore[override]
            pass

    with pytest.raises(HookSignatureError, match=r"no parameter 'metrics'"):
        DispatchTable.from_hooks([Narrow()])


def test_kwargs_catch_all_is_fine() -> None:
    class Loose(Hook):
        def after_val_epoch(self, runner: Any, **kwargs: Any) -> None:
            pass

    DispatchTable.from_hooks([Loose()])


def test_exception_names_hook_and_stage_and_chains() -> None:
    class Boom(Hook):
        def before_run(self, runner: Any) -> None:
            raise ZeroDivisionError("nope")

    runner = runner_with([Boom()])
    with pytest.raises(
        HookError, match=r"hook Boom failed in before_run: ZeroDivisionError: nope"
    ) as info:
        runner.call_hook("before_run")
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert (info.value.hook, info.value.stage) == ("Boom", "before_run")


def test_unknown_stage_suggests() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'after_train_iter'"):
        runner_with([]).call_hook("after_train_itr")


def test_invalid_priority_names_the_hook() -> None:
    with pytest.raises(ValueError, match=r"hook Recorder: unknown priority 'hgh'"):
        DispatchTable.from_hooks([Recorder([], "x", "hgh")])


def test_call_hook_is_a_plain_loop_naming_the_hook_that_raised() -> None:
    calls: list[int] = []

    class Step(Hook):
        def __init__(self, i: int) -> None:
            self.i = i

        def before_run(self, runner: Any) -> None:
            calls.append(self.i)

    class Disk(Hook):
        def before_run(self, runner: Any) -> None:
            raise OSError("disk")

    runner_with([Step(i) for i in range(3)]).call_hook("before_run")
    assert calls == [0, 1, 2]
    with pytest.raises(HookError, match=r"hook Disk failed in before_run: OSError: disk"):
        runner_with([*(Step(i) for i in range(3)), Disk()]).call_hook("before_run")


def test_format_lists_stages_with_hooks() -> None:
    text = DispatchTable.from_hooks([Recorder([], "a", "HIGH"), OnlyIter()]).format()
    assert "before_train:\n  (HIGH        ) Recorder" in text
    assert "after_train_iter:" in text
    assert "after_run" not in text


def test_misspelt_stage_is_rejected() -> None:
    class Typo(Hook):
        def after_train_iteration(self, runner: Any) -> None:
            pass

        def after_everything_else(self) -> None:  # not close to a stage: a helper, allowed
            pass

    with pytest.raises(
        HookSignatureError,
        match=r"hook Typo: after_train_iteration is not a stage.*did you mean 'after_train_iter'",
    ):
        DispatchTable.from_hooks([Typo()])

    class Helper(Hook):
        def after_everything_else(self) -> None:
            pass

    DispatchTable.from_hooks([Helper()])


def test_check_hook_checks_one_hook_without_a_table() -> None:
    class Misspelt(Hook):
        def after_train_iteration(self, runner: Any) -> None:
            pass

    class Wrong(Hook):
        def before_val_iter(self, runner: Any) -> None:  # type: ignore[override]
            pass

    check_hook("OnlyIter", OnlyIter())
    with pytest.raises(HookSignatureError, match=r"hook M: after_train_iteration is not a stage"):
        check_hook("M", Misspelt())
    with pytest.raises(HookSignatureError, match=r"hook W: before_val_iter.*'batch_idx'"):
        check_hook("W", Wrong())
