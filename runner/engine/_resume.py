"""Which checkpoint a run resumes from, and never starting over by accident.

``resume: true`` without a file continues from the newest checkpoint in the work directory
that loads and verifies: the one ``last_checkpoint`` names first, then every other ``*.pth``
there (and in the folder the pointer names, a CheckpointHook's ``out_dir``), newest first;
a sharded checkpoint is a directory of that name, whose run state is read here.
Each one skipped is reported with its reason. When checkpoints are there but none of them
loads, the run stops with an error naming them; only a work directory with no checkpoint at
all starts from scratch. Weights alone (no training position) are never taken for one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ._checkpoint import LAST_CHECKPOINT, CheckpointError, read_pointer
from ._sharded import read_any


@attrs.frozen
class Found:
    """A checkpoint to resume from, and those skipped on the way (with their reasons)."""

    path: Path
    checkpoint: dict[str, Any]
    skipped: tuple[tuple[Path, str], ...] = ()


def newest_good_checkpoint(work_dir: Path) -> Found | None:
    """The newest checkpoint in ``work_dir`` that loads and verifies.

    Returns:
        None when ``work_dir`` holds no checkpoint and no ``last_checkpoint``.

    Raises:
        CheckpointError: There are checkpoints, but none loads (the message lists each one
            with its reason).
    """
    skipped: list[tuple[Path, str]] = []
    candidates: list[Path] = []
    try:
        named = read_pointer(work_dir)
    except CheckpointError as exc:
        skipped.append((work_dir / LAST_CHECKPOINT, str(exc)))
    else:
        if named is not None:
            candidates.append(named)
    folders = {work_dir, *(path.parent for path in candidates)}  # and a CheckpointHook out_dir
    files = [path for folder in folders if folder.is_dir() for path in folder.glob("*.pth")]
    by_age = sorted(files, key=_age, reverse=True)
    seen = {path.resolve() for path in candidates}
    candidates += [path for path in by_age if path.resolve() not in seen]
    for path in candidates:
        try:
            checkpoint = read_any(path, config_path="resume")
        except CheckpointError as exc:
            skipped.append((path, str(exc)))
            continue
        if "iter" not in checkpoint.get("meta", {}):  # weights alone (pretrained, exported)
            skipped.append((path, "holds no training position (no meta.iter): not resumable"))
            continue
        return Found(path, checkpoint, tuple(skipped))
    if not skipped:
        return None
    reasons = "; ".join(f"{path.name}: {reason}" for path, reason in skipped)
    raise CheckpointError(
        f"cannot resume from {str(work_dir)!r}: it holds checkpoints, but none loads "
        f"({reasons}); give one with --resume CKPT (resume: true, load_from: CKPT), or train "
        "in another work_dir",
        config_path="resume",
    )


def _age(path: Path) -> int:
    """When ``path`` was last written (a dangling link: never, it sorts last)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1
