"""Dispatch tables, tested without a runner (like pluggy's test_multicall)."""

from __future__ import annotations

from typing import Any

import pytest

from runner import Hook, HookError, Priority
from runner._dispatch import DispatchTable, HookSignatureError, call_stage

RUNNER = object()


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
    table.call("before_train", RUNNER, {})
    assert log == ["custom-highest", "default-normal", "custom-normal", "default-low"]
    assert table.names == ("Recorder#4", "Recorder", "Recorder#3", "Recorder#2")


def test_call_passes_runner_and_kwargs() -> None:
    got: list[tuple[object, int, Any]] = []

    class Taker(Hook):
        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            got.append((runner, batch_idx, data_batch))

    table = DispatchTable.from_hooks([Taker()])
    table.call("before_train_iter", RUNNER, {"batch_idx": 3, "data_batch": "b"})
    assert got == [(RUNNER, 3, "b")]


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
    table = DispatchTable.from_hooks([duck])
    table.call("after_run", RUNNER, {})
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

    table = DispatchTable.from_hooks([Boom()])
    with pytest.raises(
        HookError, match=r"hook Boom failed in before_run: ZeroDivisionError: nope"
    ) as info:
        table.call("before_run", RUNNER, {})
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert (info.value.hook, info.value.stage) == ("Boom", "before_run")


def test_unknown_stage_suggests() -> None:
    table = DispatchTable.from_hooks([])
    with pytest.raises(ValueError, match=r"did you mean 'after_train_iter'"):
        table.call("after_train_itr", RUNNER, {})


def test_invalid_priority_names_the_hook() -> None:
    with pytest.raises(ValueError, match=r"hook Recorder: unknown priority 'hgh'"):
        DispatchTable.from_hooks([Recorder([], "x", "hgh")])


def test_call_stage_is_a_plain_loop() -> None:
    calls: list[int] = []
    methods = [lambda runner, i=i: calls.append(i) for i in range(3)]
    call_stage("before_run", methods, ["a", "b", "c"], RUNNER, {})
    assert calls == [0, 1, 2]

    def boom(runner: object) -> None:
        raise OSError("disk")

    with pytest.raises(HookError, match=r"hook d failed in after_run: OSError: disk"):
        call_stage("after_run", [*methods, boom], ["a", "b", "c", "d"], RUNNER, {})


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
