"""Hook, Priority and get_priority."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest

from runner import Hook, Priority, get_priority
from runner.engine import STAGES, hook_names


def test_priority_levels_match_mmengine() -> None:
    assert [(p.name, p.value) for p in Priority] == [
        ("HIGHEST", 0),
        ("VERY_HIGH", 10),
        ("HIGH", 30),
        ("ABOVE_NORMAL", 40),
        ("NORMAL", 50),
        ("BELOW_NORMAL", 60),
        ("LOW", 70),
        ("VERY_LOW", 90),
        ("LOWEST", 100),
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [(Priority.HIGH, 30), ("high", 30), ("Very_Low", 90), ("LOWEST", 100), (0, 0), (100, 100)],
)
def test_get_priority_accepts(given: int | str | Priority, expected: int) -> None:
    assert get_priority(given) == expected


def test_get_priority_suggests_the_nearest_name() -> None:
    with pytest.raises(ValueError, match=r"unknown priority 'hihg'; did you mean 'HIGH'\?"):
        get_priority("hihg")
    with pytest.raises(ValueError, match=r"valid names, in any case: HIGHEST, VERY_HIGH"):
        get_priority("urgent")


@pytest.mark.parametrize("bad", [-1, 101])
def test_get_priority_rejects_a_value_out_of_range(bad: object) -> None:
    with pytest.raises(ValueError, match=r"priority"):
        get_priority(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [3.5, None, True])
def test_get_priority_rejects_another_type_with_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match=r"priority"):
        get_priority(bad)  # type: ignore[arg-type]


def test_hook_has_mmengines_22_stages_with_their_signatures() -> None:
    assert len(STAGES) == 22
    for stage, passed in STAGES.items():
        params = list(inspect.signature(getattr(Hook, stage)).parameters)
        assert params == ["self", "runner", *passed], stage


def test_helpers_follow_mmengines_counting() -> None:
    hook = Hook()
    runner = SimpleNamespace(epoch=1, iter=9, max_epochs=2, max_iters=10)
    assert hook.every_n_epochs(runner, 2)
    assert not hook.every_n_epochs(runner, 3)
    assert hook.every_n_epochs(runner, 1, start=2)
    assert not hook.every_n_epochs(runner, 0)
    assert hook.every_n_train_iters(runner, 5)
    assert not hook.every_n_train_iters(runner, 3)
    assert hook.every_n_inner_iters(3, 2)
    assert hook.end_of_epoch([1, 2, 3], 2)
    assert not hook.end_of_epoch([1, 2, 3], 1)
    assert hook.is_last_train_epoch(runner)
    assert hook.is_last_train_iter(runner)


def test_stage_methods_forward_to_the_mode_helpers() -> None:
    seen = []

    class Modes(Hook):
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):  # type: ignore[no-untyped-def]
            seen.append((mode, batch_idx))

    Modes().after_val_iter(None, 3)
    Modes().after_train_iter(None, 4)
    assert seen == [("val", 3), ("train", 4)]


def test_hook_names_number_repeated_classes() -> None:
    class A(Hook):
        pass

    assert hook_names([A(), Hook(), A()]) == ["A", "Hook", "A#2"]


def test_logger_and_runtime_info_read_the_same_scalars() -> None:
    import torch

    from runner import MessageHub, RuntimeInfoHook
    from runner.engine import scalars

    outputs = {"loss": torch.tensor(0.5), "acc": 3, "flag": True, "vec": torch.ones(2)}
    assert scalars(outputs) == {"loss": 0.5, "acc": 3.0}
    assert scalars(torch.tensor(1.0)) == {}
    runner = SimpleNamespace(message_hub=MessageHub())
    RuntimeInfoHook().after_train_iter(runner, 0, None, outputs)
    assert sorted(runner.message_hub.keys()) == ["train/acc", "train/loss"]  # no bool


def test_dumped_python_config_keeps_tuples_as_lists(tmp_path: Path) -> None:
    from runner.engine import dump_config

    path = dump_config({"val_evaluator": {"type": "Accuracy", "topk": (1, 5)}}, tmp_path)
    assert "  topk:\n  - 1\n  - 5\n" in path.read_text()
