"""Nothing lost: checksummed checkpoints, resume that never starts over by accident, one run
per work dir, no overwriting of an earlier run, checkpoints that do not fit say where."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from runner import (
    CheckpointError,
    EpochBasedTrainLoop,
    Interrupted,
    OptimWrapper,
    Runner,
    load_checkpoint,
    save_checkpoint,
)
from runner.engine import (
    LAST_CHECKPOINT,
    WorkDirBusyError,
    newest_good_checkpoint,
    read_pointer,
    verify_checkpoint,
    write_latest,
)
from runner.engine import _checkpoint as checkpoint_files

from ..conftest import MeanError, ToyModel, make_loader
from .test_checkpoint import build
from .test_stop_request import SignalAt

ROOT = Path(__file__).parents[3]


def _flip_a_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


# -- integrity -------------------------------------------------------------------------------


def test_a_checkpoint_carries_its_checksum_and_torch_load_still_reads_it(tmp_path: Path) -> None:
    path = save_checkpoint({"state_dict": {"w": torch.arange(4.0)}}, tmp_path / "a.pth")
    assert verify_checkpoint(path) is True
    assert torch.equal(torch.load(path, weights_only=True)["state_dict"]["w"], torch.arange(4.0))
    torch.save({"w": torch.ones(1)}, tmp_path / "plain.pth")
    assert verify_checkpoint(tmp_path / "plain.pth") is False  # none to check: loads as it is
    assert "w" in load_checkpoint(tmp_path / "plain.pth")["state_dict"]


def test_flipped_bytes_in_tensor_data_are_an_error_naming_the_file(tmp_path: Path) -> None:
    path = save_checkpoint({"state_dict": {"w": torch.zeros(1000)}}, tmp_path / "a.pth")
    _flip_a_byte(path, path.stat().st_size // 2)  # inside the tensor's bytes
    assert torch.load(path, weights_only=True)["state_dict"]["w"].abs().sum() > 0  # torch: silent
    with pytest.raises(CheckpointError, match=r"a\.pth' is corrupt: its content does not match"):
        load_checkpoint(path, config_path="load_from")


def test_a_truncated_checkpoint_is_an_error(tmp_path: Path) -> None:
    path = save_checkpoint({"state_dict": {"w": torch.zeros(1000)}}, tmp_path / "a.pth")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match=r"not a readable checkpoint|is corrupt"):
        load_checkpoint(path)


def test_a_directory_or_a_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dir.pth").mkdir()
    with pytest.raises(CheckpointError, match=r"dir\.pth' is not a file"):
        load_checkpoint(tmp_path / "dir.pth")
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(CheckpointError, match=r"passwd"):
        load_checkpoint(tmp_path / "passwd")


# -- resume ----------------------------------------------------------------------------------


def _two_epochs(work: Path) -> None:
    build(work, EpochBasedTrainLoop(2)).train()


def test_resume_skips_a_corrupt_newest_checkpoint_and_still_ends_the_same(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole = build(tmp_path / "whole", EpochBasedTrainLoop(3))
    whole.train()
    work = tmp_path / "cut"
    _two_epochs(work)
    newest = work / "epoch_2.pth"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # a save cut short
    resumed = build(work, EpochBasedTrainLoop(3), resume=True)
    resumed.train()
    assert "skipped" in caplog.text
    assert "epoch_2.pth" in caplog.text
    assert (resumed.epoch, resumed.iter) == (3, 18)
    assert _same_weights(whole.model, resumed.model)


@pytest.mark.parametrize(
    "pointer",
    [b"", b"\xff\xfe not utf-8", b"/gone/elsewhere/nothing.pth", b"subdir", None],
    ids=["empty", "not-utf8", "gone", "a-directory", "missing"],
)
def test_a_broken_pointer_falls_back_to_the_newest_good_checkpoint(
    tmp_path: Path, pointer: bytes | None
) -> None:
    _two_epochs(tmp_path)
    (tmp_path / "subdir").mkdir()
    if pointer is None:
        (tmp_path / LAST_CHECKPOINT).unlink()
    else:
        (tmp_path / LAST_CHECKPOINT).write_bytes(pointer)
    found = newest_good_checkpoint(tmp_path)
    assert found is not None
    assert found.path.name == "epoch_2.pth"
    assert [path.name for path, _ in found.skipped] == (
        [] if pointer is None else [LAST_CHECKPOINT]
    )


def test_checkpoints_present_but_none_loads_stops_and_overwrites_nothing(tmp_path: Path) -> None:
    _two_epochs(tmp_path)
    for path in tmp_path.glob("*.pth"):
        _flip_a_byte(path, 100)
    before = {path.name: path.read_bytes() for path in tmp_path.glob("*.pth")}
    with pytest.raises(CheckpointError, match=r"holds checkpoints, but none loads") as info:
        build(tmp_path, EpochBasedTrainLoop(3), resume=True).train()
    assert "epoch_1.pth" in str(info.value)
    assert "epoch_2.pth" in str(info.value)
    assert {path.name: path.read_bytes() for path in tmp_path.glob("*.pth")} == before


def test_an_empty_work_dir_resumes_from_scratch(tmp_path: Path) -> None:
    runner = build(tmp_path, EpochBasedTrainLoop(1), resume=True)
    runner.train()
    assert runner.epoch == 1


def test_a_moved_work_dir_still_resumes(tmp_path: Path) -> None:
    _two_epochs(tmp_path / "a")
    assert (tmp_path / "a" / LAST_CHECKPOINT).read_text() == "epoch_2.pth"  # relative
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    shutil.rmtree(tmp_path / "a")
    assert read_pointer(tmp_path / "b") == tmp_path / "b" / "epoch_2.pth"
    (tmp_path / "b" / LAST_CHECKPOINT).write_text(str(tmp_path / "a" / "epoch_2.pth"))
    assert read_pointer(tmp_path / "b") == tmp_path / "b" / "epoch_2.pth"  # MMEngine's absolute
    resumed = build(tmp_path / "b", EpochBasedTrainLoop(3), resume=True)
    resumed.train()
    assert resumed.epoch == 3


def test_the_pointer_is_written_under_a_unique_temporary_name(tmp_path: Path) -> None:
    (tmp_path / ".last_checkpoint.tmp").mkdir()  # the fixed name the writers shared before
    target = save_checkpoint({"state_dict": {}}, tmp_path / "x.pth")
    write_latest(tmp_path, target)
    assert read_pointer(tmp_path) == target


# -- a run that did not resume, and one run per work dir -------------------------------------


def test_a_new_run_never_overwrites_an_earlier_runs_checkpoints(tmp_path: Path) -> None:
    _two_epochs(tmp_path)
    before = (tmp_path / "epoch_1.pth").read_bytes()
    log_dirs = sorted(path for path in tmp_path.iterdir() if path.is_dir())
    with pytest.raises(CheckpointError, match=r"holds checkpoints of an earlier run") as info:
        build(tmp_path, EpochBasedTrainLoop(2)).train()
    assert info.value.config_path == "work_dir"
    assert (tmp_path / "epoch_1.pth").read_bytes() == before
    assert sorted(path for path in tmp_path.iterdir() if path.is_dir()) == log_dirs  # no new one


def test_a_save_never_replaces_a_file_this_run_did_not_write(tmp_path: Path) -> None:
    runner = build(tmp_path / "work", EpochBasedTrainLoop(1))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.pth").write_bytes(b"precious")
    with pytest.raises(CheckpointError, match=r"keep\.pth' exists and was not written by this run"):
        runner.save_checkpoint(tmp_path / "elsewhere", "keep.pth")
    assert (tmp_path / "elsewhere" / "keep.pth").read_bytes() == b"precious"
    runner.save_checkpoint(tmp_path / "elsewhere", "mine.pth")
    runner.save_checkpoint(tmp_path / "elsewhere", "mine.pth")  # its own: replaced


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from runner.engine._workdir import hold_work_dir

    with hold_work_dir(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(60)
    """
)


def test_a_second_run_on_a_busy_work_dir_stops_at_once_naming_the_holder(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            runner = build(tmp_path, EpochBasedTrainLoop(1))
            busy = rf"in use by another run \(pid {holder.pid} "
            with pytest.raises(WorkDirBusyError, match=busy):
                runner.train()
            assert not list(tmp_path.glob("*.pth"))
            assert not [path for path in tmp_path.iterdir() if path.is_dir()]  # no log dir
        finally:
            holder.kill()
    build(tmp_path, EpochBasedTrainLoop(1)).train()  # free again once the holder is gone


def test_leftovers_of_killed_saves_are_removed_when_a_run_starts(tmp_path: Path) -> None:
    (tmp_path / ".epoch_1.pth.abc123.regwire-tmp").write_bytes(b"half a checkpoint")
    (tmp_path / ".last_checkpoint.xyz.regwire-tmp").write_text("epo")
    (tmp_path / "notes.txt").write_text("mine")
    build(tmp_path, EpochBasedTrainLoop(1)).train()
    assert not list(tmp_path.glob("*.regwire-tmp"))
    assert (tmp_path / "notes.txt").read_text() == "mine"


# -- checkpoints that do not fit -------------------------------------------------------------


class Wider(ToyModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 1)


def test_resuming_another_model_names_the_keys_and_changes_nothing(tmp_path: Path) -> None:
    _two_epochs(tmp_path)
    model = Wider()
    before = [p.detach().clone() for p in model.parameters()]
    runner = Runner(
        model,
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
        work_dir=tmp_path,
    )
    with pytest.raises(
        CheckpointError, match=r"'linear\.weight' is \[1, 2\] in the checkpoint and \[1, 3\]"
    ) as info:
        runner.resume(tmp_path / "epoch_2.pth")
    assert info.value.config_path == "resume"
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    with pytest.raises(CheckpointError, match=r"epoch_2\.pth' do not fit Wider") as loaded:
        runner.load_checkpoint(tmp_path / "epoch_2.pth")
    assert loaded.value.config_path == "load_from"


def test_an_optimizer_state_that_does_not_fit_is_named(tmp_path: Path) -> None:
    _two_epochs(tmp_path)
    model = ToyModel()
    extra = nn.Parameter(torch.zeros(5))
    optimizer = torch.optim.SGD([*model.parameters(), extra], lr=0.1, momentum=0.9)
    runner = Runner(model, optim_wrapper=OptimWrapper(optimizer), work_dir=None)
    with pytest.raises(CheckpointError, match=r"optimizer state of .* group 0 has 2 parameters"):
        runner.resume(tmp_path / "epoch_2.pth")


def test_weights_alone_in_the_work_dir_are_not_taken_for_a_checkpoint(tmp_path: Path) -> None:
    _two_epochs(tmp_path)
    torch.save({"linear.weight": torch.zeros(1, 2)}, tmp_path / "pretrained.pth")  # newest
    found = newest_good_checkpoint(tmp_path)
    assert found is not None
    assert found.path.name == "epoch_2.pth"
    (tmp_path / LAST_CHECKPOINT).unlink()
    found = newest_good_checkpoint(tmp_path)
    assert found is not None
    assert found.path.name == "epoch_2.pth"
    assert [(path.name, "not resumable" in why) for path, why in found.skipped] == [
        ("pretrained.pth", True)
    ]


def test_an_optimizer_of_another_class_is_named_before_anything_changes(tmp_path: Path) -> None:
    _two_epochs(tmp_path)  # SGD with momentum
    model = ToyModel()
    before = [p.detach().clone() for p in model.parameters()]
    runner = Runner(model, optim_wrapper=OptimWrapper(torch.optim.Adam(model.parameters())))
    with pytest.raises(CheckpointError, match=r"saved by another optimizer \(it has no 'amsgrad'"):
        runner.resume(tmp_path / "epoch_2.pth")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


# -- found in review -------------------------------------------------------------------------


def test_a_resumed_copy_never_deletes_the_originals_checkpoints(tmp_path: Path) -> None:
    def run(work: Path, epochs: int, resume: bool) -> None:
        runner = build(work, EpochBasedTrainLoop(epochs), resume=resume)
        runner.hook_names["CheckpointHook"].max_keep_ckpts = 2  # type: ignore[attr-defined]
        runner.train()

    run(tmp_path / "orig", 2, False)
    shutil.copytree(tmp_path / "orig", tmp_path / "copy")
    run(tmp_path / "copy", 4, True)
    assert sorted(p.name for p in (tmp_path / "orig").glob("*.pth")) == [
        "epoch_1.pth",
        "epoch_2.pth",
    ]
    assert sorted(p.name for p in (tmp_path / "copy").glob("*.pth")) == [
        "epoch_3.pth",
        "epoch_4.pth",
    ]


def test_resuming_another_runs_file_does_not_license_overwriting_this_work_dir(
    tmp_path: Path,
) -> None:
    _two_epochs(tmp_path / "a")
    _two_epochs(tmp_path / "b")
    before = (tmp_path / "b" / "epoch_2.pth").read_bytes()
    runner = build(
        tmp_path / "b",
        EpochBasedTrainLoop(3),
        resume=True,
        load_from=tmp_path / "a" / "epoch_1.pth",
    )
    with pytest.raises(CheckpointError, match=r"holds checkpoints of an earlier run"):
        runner.train()
    assert (tmp_path / "b" / "epoch_2.pth").read_bytes() == before
    torch.save({"linear.weight": torch.zeros(1, 2)}, tmp_path / "weights.pth")
    weights_only = build(
        tmp_path / "c", EpochBasedTrainLoop(1), resume=True, load_from=tmp_path / "weights.pth"
    )
    with pytest.raises(CheckpointError, match=r"holds weights alone, .*: load it with load_from"):
        weights_only.train()


def test_a_dangling_link_among_the_checkpoints_is_skipped(tmp_path: Path) -> None:
    _two_epochs(tmp_path)
    (tmp_path / "latest.pth").symlink_to(tmp_path / "epoch_0.pth")  # MMCV's, left dangling
    (tmp_path / LAST_CHECKPOINT).unlink()
    found = newest_good_checkpoint(tmp_path)
    assert found is not None
    assert found.path.name == "epoch_2.pth"


def test_checkpoints_get_the_mode_the_umask_gives(tmp_path: Path) -> None:
    path = save_checkpoint({"state_dict": {}}, tmp_path / "a.pth")
    write_latest(tmp_path, path)
    umask = os.umask(0)
    os.umask(umask)
    for written in (path, tmp_path / LAST_CHECKPOINT):
        assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~umask


def test_a_failed_checksum_is_an_error_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str, size: int, digest: object, failed: list[OSError] | None = None) -> None:
        assert failed is not None
        failed.append(OSError(5, "Input/output error"))

    monkeypatch.setattr(checkpoint_files, "_hash_into", broken)
    with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*Input/output error"):
        save_checkpoint({"state_dict": {}}, tmp_path / "a.pth")
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_a_save_still_never_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(os, "link", no_links)
    save_checkpoint({"state_dict": {}}, tmp_path / "a.pth", overwrite=False)
    with pytest.raises(CheckpointError, match=r"exists and was not written by this run"):
        save_checkpoint({"state_dict": {}}, tmp_path / "a.pth", overwrite=False)


def test_an_interrupted_runner_trains_on_when_asked_again(tmp_path: Path) -> None:
    runner = build(tmp_path, EpochBasedTrainLoop(2))
    runner.register_hook(SignalAt(4))
    with pytest.raises(Interrupted):
        runner.train()
    runner.train()  # on from iteration 4, over its own checkpoints
    assert (runner.epoch, runner.iter) == (2, 12)


def test_the_unpickler_says_why(tmp_path: Path) -> None:
    (tmp_path / "zeros.pth").write_bytes(bytes(48))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "zeros.pth")
    assert not str(info.value).rstrip().endswith(":")


def test_a_checkpoint_hook_out_dir_resumes_and_is_not_overwritten(tmp_path: Path) -> None:
    def run(epochs: int, resume: bool) -> Runner:
        runner = build(tmp_path / "work", EpochBasedTrainLoop(epochs), resume=resume)
        runner.hook_names["CheckpointHook"].out_dir = "ckpts"  # type: ignore[attr-defined]
        runner.train()
        return runner

    run(2, False)
    assert (tmp_path / "work" / LAST_CHECKPOINT).read_text() == "ckpts/epoch_2.pth"
    assert run(3, True).epoch == 3
    (tmp_path / "work" / LAST_CHECKPOINT).unlink()
    with pytest.raises(CheckpointError, match=r"out_dir .*ckpts' holds checkpoints of an earlier"):
        run(1, False)


def test_evaluating_does_not_take_the_work_dir_training_holds(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            model = ToyModel()
            runner = Runner(
                model,
                work_dir=tmp_path,
                val_dataloader=make_loader(8, 4),
                val_evaluator=MeanError(),
            )
            assert "mae" in runner.val()
        finally:
            holder.kill()
