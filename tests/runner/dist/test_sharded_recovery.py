"""Sharded checkpoints survive a kill at the worst moments, and leftovers are cleaned safely.

A save that replaces a checkpoint directory (the re-save of ``iter_N.pth`` when SIGTERM
arrives at a save iteration) renames the old one aside, then the new one in; a process killed
between the two renames leaves neither under the name ``last_checkpoint`` gives. The next run
must put the old one back, not delete both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp

from runner.engine._checkpoint import read_pointer
from runner.engine._workdir import clean_checkpoint_dir, clean_out_dir, hold_work_dir

ROOT = Path(__file__).parents[3]

KILLED_BETWEEN_RENAMES = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import torch
    from torch import nn
    from runner.engine import _sharded

    work = Path(sys.argv[1])
    model = nn.Linear(2, 2)
    torch.nn.init.constant_(model.weight, 1.0)
    saver = _sharded.ShardedSaver()
    rest = {"meta": {"iter": 4}}
    saver.save(model, None, rest, work / "iter_4.pth", overwrite=True, pointer=work)
    torch.nn.init.constant_(model.weight, 2.0)
    _sharded._between_renames = lambda: os.kill(os.getpid(), signal.SIGKILL)
    saver.save(model, None, rest, work / "iter_4.pth", overwrite=True, pointer=work)
    """
)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
def test_killed_between_the_renames_of_a_re_save_the_next_run_puts_the_old_one_back(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "killed.py").write_text(KILLED_BETWEEN_RENAMES)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(tmp_path / "killed.py"), str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -9, result.stderr[-3000:]
    assert not (work / "iter_4.pth").exists()  # the window: both copies under temporary names
    assert len(list(work.glob(".iter_4.pth.*.old.regwire-tmp"))) == 1

    with hold_work_dir(work) as removed:
        assert len(removed) == 1  # the new copy, never renamed into place
        assert not removed[0].name.endswith(".old.regwire-tmp")
        assert read_pointer(work) == work / "iter_4.pth"
        state = {"model": {"weight": torch.zeros(2, 2), "bias": torch.zeros(2)}}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "torch.distributed is disabled", UserWarning)
            dcp.load(state, checkpoint_id=work / "iter_4.pth", no_dist=True)
        assert torch.equal(state["model"]["weight"], torch.ones(2, 2))  # the old one, whole
    assert not list(work.glob(".*regwire-tmp"))


def test_cleaning_touches_only_regwire_leftovers_and_keeps_a_replaced_checkpoint(
    tmp_path: Path,
) -> None:
    (tmp_path / "iter_2.pth").mkdir()
    aside = tmp_path / ".iter_2.pth.0123abcd.old.regwire-tmp"  # replaced, then deleted: stale
    aside.mkdir()
    (tmp_path / ".iter_3.pth.89abcdef.regwire-tmp").write_bytes(b"partial")
    mine = [".notes.regwire-tmp", "iter_3.pth.0123abcd.regwire-tmp", "keep.regwire-tmp"]
    for name in mine:
        (tmp_path / name).write_bytes(b"someone else's")
    removed = clean_checkpoint_dir(tmp_path)
    assert sorted(path.name for path in removed) == [aside.name, ".iter_3.pth.89abcdef.regwire-tmp"]
    assert (tmp_path / "iter_2.pth").is_dir()
    assert all((tmp_path / name).exists() for name in mine)


def test_an_out_dir_is_cleaned_unless_another_run_holds_it(tmp_path: Path) -> None:
    out, work, busy = tmp_path / "out", tmp_path / "work", tmp_path / "busy"
    for directory in (out, work, busy):
        directory.mkdir()
        (directory / ".iter_1.pth.0123abcd.regwire-tmp").mkdir()
    assert [path.name for path in clean_out_dir(out, work)] == [".iter_1.pth.0123abcd.regwire-tmp"]
    assert clean_out_dir(work, work) == []  # the work dir: cleaned when the run took it
    with hold_work_dir(busy):  # another run's work dir: its save may be in flight
        (busy / ".iter_2.pth.0123abcd.regwire-tmp").mkdir()
        assert clean_out_dir(busy, work) == []
        assert (busy / ".iter_2.pth.0123abcd.regwire-tmp").is_dir()


def test_a_single_process_load_of_a_sharded_checkpoint_warns_nothing(tmp_path: Path) -> None:
    from torch import nn

    from runner.engine._sharded import ShardedSaver, load_sharded

    saved, loaded = nn.Linear(2, 2), nn.Linear(2, 2)
    ShardedSaver().save(saved, None, {}, tmp_path / "iter_1.pth", overwrite=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DCP's "torch.distributed is disabled" among them
        load_sharded(tmp_path / "iter_1.pth", loaded, None, strict=True, check=print, at="x")
    assert torch.equal(saved.weight, loaded.weight)
