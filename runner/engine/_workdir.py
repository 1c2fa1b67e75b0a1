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
    CheckpointError,
    read_pointer,
    remove_leftovers,
    temp_file,
)

T = TypeVar("T")

LOCK_FILE = ".regwire.lock"
"""The lock a run holds on its work directory."""

OWNER_FILE = ".regwire.lock.owner"
"""Who holds the lock: pid, host and start time, as JSON (removed when the run ends)."""


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
        removed = remove_leftovers(work_dir)
    except OSError as exc:
        lock.release()
        raise CheckpointError(
            f"cannot write in the work_dir {str(work_dir)!r}: {exc}", config_path="work_dir"
        ) from exc
    except BaseException:
        lock.release()
        raise
    return lock, removed


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
