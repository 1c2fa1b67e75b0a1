"""One run per work directory, and a new run never overwrites an earlier run's checkpoints.

A run takes ``work_dir/.regwire.lock`` (``filelock``: ``fcntl.flock`` on POSIX, what torch and
Hugging Face use for their caches) before it writes anything there, and records who holds it
in ``.regwire.lock.owner``; a second run on the same directory stops at once with an error
naming the holder's pid. Holding the lock, a run deletes the temporary files that killed
saves left behind. Under torch.distributed the main process takes the lock and tells the
others whether it got it, so every rank stops together.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import filelock
import torch.distributed as dist

from container import RegwireError

from ..dist import dist_info
from ._checkpoint import (
    LAST_CHECKPOINT,
    TEMP_SUFFIX,
    CheckpointError,
    fsync_dir,
    read_pointer,
    temp_file,
)

T = TypeVar("T")

LOCK_FILE = ".regwire.lock"
"""The lock a run holds on its work directory."""

OWNER_FILE = ".regwire.lock.owner"
"""Who holds the lock: pid, host and start time, as JSON (removed when the run ends)."""

OLD_SUFFIX = ".old" + TEMP_SUFFIX
"""The suffix of a checkpoint directory moved aside while a new one replaces it."""

_LEFTOVER = re.compile(rf"\.(?P<name>.+?)\.[^./]+(?P<old>\.old)?{re.escape(TEMP_SUFFIX)}")
"""The name of a temporary file or directory of regwire's saves: ``.NAME.TOKEN.regwire-tmp``
(a random token), or ``.NAME.TOKEN.old.regwire-tmp`` for a checkpoint moved aside."""


class WorkDirBusyError(CheckpointError):
    """Another run holds the work directory."""


def decided_on_main(decide: Callable[[], T]) -> T | None:
    """Run ``decide`` on the main process only; the other ranks get None, or the same
    ``RegwireError`` when it raised one, so that every rank stops together (a rank left
    waiting in a collective would wait for ever)."""
    rank, world_size = dist_info()
    result: T | None = None
    problem: RegwireError | None = None
    if rank == 0:
        try:
            result = decide()
        except RegwireError as exc:
            problem = exc
    if world_size > 1:
        shared: list[RegwireError | None] = [problem]
        dist.broadcast_object_list(shared, src=0)
        problem = shared[0]
    if problem is not None:
        raise problem
    return result


@contextmanager
def hold_work_dir(work_dir: Path) -> Iterator[list[Path]]:
    """Hold ``work_dir``'s lock while the block runs; yield the leftovers it removed.

    Raises:
        WorkDirBusyError: Another run holds it (naming its pid and host).
        CheckpointError: The directory cannot be created or written.
    """
    taken = decided_on_main(lambda: _take(work_dir))
    lock, removed = taken if taken is not None else (None, [])
    try:
        yield removed
    finally:
        if lock is not None:
            (work_dir / OWNER_FILE).unlink(missing_ok=True)
            lock.release()


def _take(work_dir: Path) -> tuple[filelock.BaseFileLock, list[Path]]:
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(work_dir / LOCK_FILE, timeout=0)
        lock.acquire()
    except filelock.Timeout:
        raise WorkDirBusyError(
            f"{str(work_dir)!r} is in use by another run ({_owner(work_dir)}); wait for it to "
            "end, or give this run another work_dir",
            config_path="work_dir",
        ) from None
    except OSError as exc:
        raise CheckpointError(
            f"cannot use {str(work_dir)!r} as the work_dir: {exc}", config_path="work_dir"
        ) from exc
    try:
        _write_owner(work_dir)
        removed = clean_checkpoint_dir(work_dir)
    except OSError as exc:
        lock.release()
        raise CheckpointError(
            f"cannot write in the work_dir {str(work_dir)!r}: {exc}", config_path="work_dir"
        ) from exc
    except BaseException:
        lock.release()
        raise
    return lock, removed


def clean_checkpoint_dir(directory: Path) -> list[Path]:
    """Undo what killed saves left in ``directory``; return the leftovers deleted.

    A checkpoint directory that a save moved aside to replace it (``.NAME.XXXXXXXX.old
    .regwire-tmp``) goes back to ``NAME`` when no ``NAME`` is there (the save was killed
    between its two renames); every other temporary file or directory of regwire's saves
    (``.NAME.XXXXXXXX.regwire-tmp``) is deleted. Nothing else is touched.

    Call it only where no save is in flight: while holding the directory's lock
    (:func:`hold_work_dir` does, on the work dir), or through :func:`clean_out_dir`.
    """
    if not directory.is_dir():
        return []
    removed = []
    entries = sorted(directory.iterdir(), key=lambda path: path.name)
    for entry in entries:
        match = _LEFTOVER.fullmatch(entry.name)
        if match and match["old"] and not (directory / match["name"]).exists():
            os.replace(entry, directory / match["name"])
            fsync_dir(directory)
    for entry in entries:
        if not _LEFTOVER.fullmatch(entry.name) or not os.path.lexists(entry):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():  # a sharded save's
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed


def clean_out_dir(out_dir: Path, work_dir: Path | None) -> list[Path]:
    """:func:`clean_checkpoint_dir` for a checkpoint directory other than the work dir (a
    ``CheckpointHook``'s ``out_dir``); call it on the main process before the run's first
    save. It holds ``out_dir``'s lock while it cleans; a directory that is another run's
    work dir (its lock is held) is left alone, and so is the work dir, cleaned when the run
    took it. Return the leftovers deleted.

    Raises:
        CheckpointError: ``out_dir`` cannot be written (naming ``out_dir``).
    """
    if not out_dir.is_dir() or (work_dir is not None and out_dir.resolve() == work_dir.resolve()):
        return []
    lock = filelock.FileLock(out_dir / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return []  # another run's work dir: its saves may be in flight
    except OSError as exc:
        raise CheckpointError(
            f"cannot write in {str(out_dir)!r}: {exc}",
            config_path="default_hooks.checkpoint.out_dir",
        ) from exc
    try:
        return clean_checkpoint_dir(out_dir)
    finally:
        lock.release()


def _write_owner(work_dir: Path) -> None:
    record = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    handle, temp = temp_file(work_dir, OWNER_FILE)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(record, file)
    os.replace(temp, work_dir / OWNER_FILE)


def _owner(work_dir: Path) -> str:
    try:
        record = json.loads((work_dir / OWNER_FILE).read_text(encoding="utf-8"))
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(record["since"])))
        return f"pid {int(record['pid'])} on {record['host']}, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its pid is not recorded"


def refuse_to_overwrite(work_dir: Path, written: set[Path]) -> None:
    """Stop a run that did not resume before it overwrites or orphans an earlier run's
    checkpoints in ``work_dir`` (``*.pth`` files and ``last_checkpoint``; those in ``written``
    are this run's own, and so is a pointer that names one of them).

    Raises:
        CheckpointError: There are such checkpoints (naming a few).
    """
    found = sorted(work_dir.glob("*.pth")) if work_dir.is_dir() else []
    pointer = work_dir / LAST_CHECKPOINT
    if pointer.exists() and _target(work_dir) not in written:
        found.append(pointer)
    earlier = [path for path in found if path.resolve() not in written]
    if earlier:
        names = ", ".join(path.name for path in earlier[:3])
        raise CheckpointError(
            f"{str(work_dir)!r} holds checkpoints of an earlier run ({names}); resume it "
            "(--resume, or resume: true), or train in another work_dir",
            config_path="work_dir",
        )


def _target(work_dir: Path) -> Path | None:
    try:
        named = read_pointer(work_dir)
    except CheckpointError:
        return None
    return named.resolve() if named is not None else None
