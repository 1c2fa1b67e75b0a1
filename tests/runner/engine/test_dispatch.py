"""Dispatch tables; the dispatch function (``call_stage``) alone, without a Runner; and
``Runner.call_hook`` over a runner that writes nothing (``work_dir=None``) and holds nothing
else."""

from __future__ import annotations

import functools
import pickle
from typing import Any

import pytest
from torch import nn

from container import RegwireError
from runner import Hook, HookError, Priority, Runner
from runner.engine import (
    CheckpointError,
    DispatchTable,
    HookSignatureError,
    call_stage,
    check_hook,
)


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


class EveryShape(Hook):
    """Records each call of one stage of every argument list, as it arrived."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def before_run(self, runner: Any) -> None:
        self.calls.append(("before_run",))

    def after_load_checkpoint(self, runner: Any, checkpoint: dict[str, Any]) -> None:
        self.calls.append(("after_load_checkpoint", checkpoint))

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.calls.append(("before_val_iter", batch_idx, data_batch))

    def after_test_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.calls.append(("after_test_iter", batch_idx, data_batch, outputs))

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        self.calls.append(("after_val_epoch", metrics))


def test_each_argument_list_reaches_its_hooks() -> None:
    hook = EveryShape()
    runner = runner_with([hook])
    runner.call_hook("before_run")
    runner.call_hook("after_load_checkpoint", checkpoint={"meta": 1})
    runner.call_hook("before_val_iter", batch_idx=2)
    runner.call_hook("after_test_iter", outputs="o", batch_idx=4, data_batch="d")
    runner.call_hook("after_val_epoch", metrics={"acc": 1.0})
    runner.call_hook("after_val_epoch")
    assert hook.calls == [
        ("before_run",),
        ("after_load_checkpoint", {"meta": 1}),
        ("before_val_iter", 2, None),
        ("after_test_iter", 4, "d", "o"),
        ("after_val_epoch", {"acc": 1.0}),
        ("after_val_epoch", None),
    ]


@pytest.mark.parametrize(
    ("stage", "kwargs", "message"),
    [
        (
            "before_train",
            {"batch_idx": 1},
            r"call_hook\('before_train'\): it passes no 'batch_idx' "
            r"\(the stage passes nothing after the runner\)",
        ),
        (
            "before_train_iter",
            {"data_batch": 1},
            r"'batch_idx' is required \(the stage passes "
            r"batch_idx, data_batch after the runner\)",
        ),
        ("before_train_iter", {"batch_idx": 0, "outputs": 1}, "it passes no 'outputs'"),
        ("after_train_iter", {"batch_idx": 0, "metrics": {}}, "it passes no 'metrics'"),
        ("before_save_checkpoint", {}, "'checkpoint' is required"),
        ("after_val_epoch", {"checkpoint": {}}, "it passes no 'checkpoint'"),
        ("after_run", {"metrics": {}, "data_batch": 1}, "it passes no 'data_batch', 'metrics'"),
    ],
)
def test_arguments_of_another_stage_are_rejected(
    stage: str, kwargs: dict[str, Any], message: str
) -> None:
    hook = EveryShape()
    with pytest.raises(TypeError, match=message):
        runner_with([hook]).call_hook(stage, **kwargs)
    with pytest.raises(TypeError, match=message):  # also when no hook implements the stage
        runner_with([]).call_hook(stage, **kwargs)
    assert hook.calls == []


def test_an_argument_no_stage_passes_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'mode'"):
        runner_with([]).call_hook("after_train_iter", batch_idx=0, mode="train")  # type: ignore[call-arg]


def test_methods_that_do_not_take_the_arguments_by_position_get_them_by_name() -> None:
    got: list[tuple[str, Any]] = []

    class KeywordOnly(Hook):
        def after_train_iter(  # type: ignore[override]
            self, runner: Any, *, outputs: Any = None, batch_idx: int, data_batch: Any = None
        ) -> None:
            got.append(("keyword-only", (batch_idx, data_batch, outputs)))

    class Reordered(Hook):
        def after_train_iter(  # type: ignore[override]
            self, runner: Any, batch_idx: int, outputs: Any = None, data_batch: Any = None
        ) -> None:
            got.append(("reordered", (batch_idx, data_batch, outputs)))

    class Catchall(Hook):
        def after_train_iter(self, runner: Any, **kwargs: Any) -> None:  # type: ignore[override]
            got.append(("catch-all", kwargs))

    class Fails(Hook):
        def after_train_iter(self, runner: Any, **kwargs: Any) -> None:  # type: ignore[override]
            raise LookupError("nothing here")

    def logged(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(self: Any, runner: Any, **kwargs: Any) -> Any:
            got.append(("decorated", kwargs))
            return method(self, runner, **kwargs)

        return wrapper

    class Decorated(Hook):
        @logged
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            got.append(("inside", (batch_idx, data_batch, outputs)))

    runner_with([Decorated()]).call_hook("after_train_iter", batch_idx=2, outputs="o")
    assert got == [
        ("decorated", {"batch_idx": 2, "data_batch": None, "outputs": "o"}),
        ("inside", (2, None, "o")),
    ]
    got.clear()
    runner = runner_with([KeywordOnly(), Reordered(), Catchall()])
    runner.call_hook("after_train_iter", batch_idx=1, data_batch="d", outputs="o")
    assert got == [
        ("keyword-only", (1, "d", "o")),
        ("reordered", (1, "d", "o")),
        ("catch-all", {"batch_idx": 1, "data_batch": "d", "outputs": "o"}),
    ]
    with pytest.raises(HookError, match="hook Fails failed in after_train_iter: LookupError"):
        runner_with([Catchall(), Fails()]).call_hook("after_train_iter", batch_idx=1)


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


def test_hooks_keep_their_registration_names_when_one_is_added() -> None:
    low, high, late = Recorder([], "low", "LOW"), Recorder([], "high", "HIGH"), Recorder([], "x")
    runner = runner_with([low, high])
    runner.register_hook(late)
    assert runner.hook_names == {"Recorder#2": high, "Recorder#3": late, "Recorder": low}
    runner._set_hooks()
    assert runner.hook_names == {"Recorder#2": high, "Recorder#3": late, "Recorder": low}


# -- call_stage: the dispatch function alone, without a Runner ---------------------------------

NO_RUNNER: Any = object()
"""What the hooks below are given as their runner: they read nothing of it."""


def test_call_stage_calls_each_stage_shape_in_order_without_a_runner() -> None:
    got: list[tuple[str, tuple[Any, ...]]] = []

    class Every(Hook):
        def __init__(self, tag: str, priority: Any) -> None:
            self.tag, self.priority = tag, priority

        def before_run(self, runner: Any) -> None:
            got.append((self.tag, (runner,)))

        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            got.append((self.tag, (runner, batch_idx, data_batch)))

        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            got.append((self.tag, (runner, batch_idx, data_batch, outputs)))

        def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
            got.append((self.tag, (runner, metrics)))

        def before_save_checkpoint(self, runner: Any, checkpoint: Any) -> None:
            got.append((self.tag, (runner, checkpoint)))

    stages = DispatchTable.from_hooks([Every("low", "LOW"), Every("high", "HIGH")]).callers
    view = NO_RUNNER
    call_stage(stages["before_run"], view)
    call_stage(stages["before_train_iter"], view, 3, "batch")
    call_stage(stages["after_train_iter"], view, 3, "batch", {"loss": 1})
    call_stage(stages["after_val_epoch"], view, metrics={"acc": 1.0})
    call_stage(stages["before_save_checkpoint"], view, checkpoint={"meta": {}})
    assert got == [
        ("high", (view,)),
        ("low", (view,)),
        ("high", (view, 3, "batch")),
        ("low", (view, 3, "batch")),
        ("high", (view, 3, "batch", {"loss": 1})),
        ("low", (view, 3, "batch", {"loss": 1})),
        ("high", (view, {"acc": 1.0})),
        ("low", (view, {"acc": 1.0})),
        ("high", (view, {"meta": {}})),
        ("low", (view, {"meta": {}})),
    ]


@pytest.mark.parametrize(
    ("stage", "kwargs", "message"),
    [
        ("before_run", {"batch_idx": 0}, r"call_hook\('before_run'\): it passes no 'batch_idx'"),
        ("after_train_iter", {}, r"'batch_idx' is required"),
        ("before_train_iter", {"batch_idx": 0, "outputs": 1}, r"it passes no 'outputs'"),
        ("after_val_epoch", {"checkpoint": {}}, r"it passes no 'checkpoint'"),
        ("after_load_checkpoint", {}, r"'checkpoint' is required"),
    ],
)
def test_call_stage_rejects_arguments_of_another_stage(
    stage: str, kwargs: dict[str, Any], message: str
) -> None:
    callers = DispatchTable.from_hooks([]).callers
    with pytest.raises(TypeError, match=message):
        call_stage(callers[stage], NO_RUNNER, **kwargs)


def test_a_regwire_error_from_a_hook_goes_on_with_a_note_naming_hook_and_stage() -> None:
    class Loads(Hook):
        def before_run(self, runner: Any) -> None:
            raise CheckpointError("checkpoint 'x.pth' does not exist", config_path="load_from")

    stage = DispatchTable.from_hooks([Hook(), Loads()]).callers["before_run"]
    with pytest.raises(CheckpointError) as info:
        call_stage(stage, NO_RUNNER)
    assert info.value.__notes__ == ["(raised by hook Loads in before_run)"]
    assert str(info.value) == "'load_from': checkpoint 'x.pth' does not exist"


def test_hook_errors_belong_to_the_error_family_and_pickle() -> None:
    class Boom(Hook):
        def after_run(self, runner: Any) -> None:
            raise ZeroDivisionError("nope")

    stage = DispatchTable.from_hooks([Boom()]).callers["after_run"]
    with pytest.raises(RegwireError) as info:
        call_stage(stage, NO_RUNNER)
    error = info.value
    assert isinstance(error, HookError)
    assert isinstance(error, RuntimeError)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.hook, copy.stage) == (str(error), "Boom", "after_run")
