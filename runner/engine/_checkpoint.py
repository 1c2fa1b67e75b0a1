"""Checkpoint files: written atomically with a checksum, read with ``weights_only=True``.

A checkpoint is a plain dict of tensors and plain Python values::

    {"meta": {"epoch", "iter", "inner_iter", "seed", "time", "torch_version", ...},
     "state_dict": model, "optimizer": optim wrapper, "param_schedulers": [one per scheduler],
     "hooks": {hook name: state}, "data_sampler": sampler state}

On disk it is what ``torch.save`` writes, followed by a 48-byte trailer: a 16-byte marker and
the SHA-256 of everything before it. ``torch.load`` reads such a file as it is (the trailer
follows the zip archive), so other tools still open it; :func:`load_checkpoint` first checks
the digest, so flipped or missing bytes are an error naming the file, never weights loaded
in silence. A file without the trailer (written by ``torch.save`` elsewhere, by MMEngine, or by
an older regwire) loads unverified; MMEngine's message hub objects in it are read into
stand-ins and dropped (:func:`runner.model.load_weights_only`), never unpickled as they are.

A file is written under a unique temporary name in its directory (``.NAME.XXXX.regwire-tmp``),
flushed to disk and renamed into place, so a crash or a kill never leaves a partial file under
the real name; :func:`remove_leftovers` deletes the temporary files of killed saves.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import torch

from container import RegwireError

from ..model import CHECKSUM_MARKER, TRAILER_SIZE, load_weights_only

LAST_CHECKPOINT = "last_checkpoint"
"""The file in ``work_dir`` that names the newest checkpoint (as in MMEngine)."""

TEMP_SUFFIX = ".regwire-tmp"
"""The suffix of the temporary files (and sharded checkpoints' directories) a save writes
before renaming them into place."""

DCP_METADATA = ".metadata"
"""The file ``torch.distributed.checkpoint`` writes last into a sharded checkpoint."""

_MARKER = CHECKSUM_MARKER  # 16 bytes, then the 32-byte digest
_TRAILER = TRAILER_SIZE
_CHUNK = 1 << 20


class CheckpointError(RegwireError):
    """A checkpoint is missing, corrupt, unreadable, or does not fit what it is loaded into."""


def save_checkpoint(
    checkpoint: Mapping[str, Any], path: str | os.PathLike[str], *, overwrite: bool = True
) -> Path:
    """Write ``checkpoint`` to ``path`` with its checksum, so that a crash never leaves a
    partial file there.

    The data go to a temporary file in the same directory; the SHA-256 of what was written is
    computed (on another thread, while the data are flushed to disk) and appended; then the
    file is renamed to ``path`` and the directory is flushed too.

    Args:
        checkpoint: What to save (tensors and plain Python values).
        path: Where.
        overwrite: Replace an existing ``path`` (atomically); otherwise an existing file is
            an error and is left as it is.

    Returns:
        ``path`` as a :class:`Path`.

    Raises:
        CheckpointError: ``path`` exists and ``overwrite`` is false, or the directory cannot
            be written.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = temp_file(target.parent, target.name)
    except OSError as exc:
        raise CheckpointError(
            f"cannot write a checkpoint in {str(target.parent)!r}: {exc}"
        ) from exc
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(checkpoint, file)
            _append_digest(file, temp_name)
        _publish(Path(temp_name), target, overwrite)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise CheckpointError(f"cannot write checkpoint {str(target)!r}: {exc}") from exc
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return target


def temp_file(directory: Path, name: str) -> tuple[int, str]:
    """Create ``directory/.NAME.XXXXXXXX.regwire-tmp``, a new file of a unique name; return
    its descriptor and path. Unlike ``mkstemp``'s (0600), its mode follows the umask, as the
    file it becomes should (``torch.save`` or MMEngine give 0644)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = directory / f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            return os.open(temp, flags, 0o666), str(temp)
        except FileExistsError:
            continue


def _append_digest(file: IO[bytes], name: str) -> None:
    """Flush ``file`` (at ``name``) to disk while another thread hashes it, then append the
    trailer. Measured on a 10M-parameter model: 1.17x a plain ``torch.save`` and fsync,
    where hashing after the fsync took 1.45x (benchmarks/bench_checkpoint.py)."""
    file.flush()
    size = file.tell()
    digest = hashlib.sha256()
    failed: list[OSError] = []
    reader = threading.Thread(target=_hash_into, args=(name, size, digest, failed))
    reader.start()  # hashing and fsync both release the GIL: they overlap
    try:
        os.fsync(file.fileno())
    finally:
        reader.join()
    if failed:  # a digest of part of the file would mark a good checkpoint corrupt
        raise failed[0]
    file.write(_MARKER + digest.digest())
    file.flush()
    os.fsync(file.fileno())


def _hash_into(name: str, size: int, digest: Any, failed: list[OSError] | None = None) -> None:
    """Hash the first ``size`` bytes of ``name`` into ``digest``. On a thread, an error goes
    into ``failed`` (a thread's exception would be printed and lost)."""
    try:
        with open(name, "rb") as source:
            left = size
            while left:
                chunk = source.read(min(_CHUNK, left))
                if not chunk:
                    raise OSError(f"{name} ended {left} bytes early while it was hashed")
                digest.update(chunk)
                left -= len(chunk)
    except OSError as exc:
        if failed is None:
            raise
        failed.append(exc)


def _publish(temp: Path, target: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if ``target`` exists: never replaces it
    except FileExistsError:
        raise CheckpointError(
            f"{str(target)!r} exists and was not written by this run; it is left as it is"
        ) from None
    except OSError:  # no hard links here (some FUSE and SMB mounts): check, then rename
        if target.exists():
            raise CheckpointError(
                f"{str(target)!r} exists and was not written by this run; it is left as it is"
            ) from None
        os.replace(temp, target)
        return
    temp.unlink()


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries to disk (a rename is durable only after this)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def verify_checkpoint(path: str | os.PathLike[str]) -> bool:
    """Check a checkpoint's checksum.

    Returns:
        True when the file carries a checksum and it matches; False when it carries none
        (written by ``torch.save`` elsewhere: nothing to check).

    Raises:
        CheckpointError: The checksum does not match (bytes changed or cut off).
    """
    source = Path(path)
    size = source.stat().st_size
    with source.open("rb") as file:
        if size < _TRAILER:
            return False
        file.seek(size - _TRAILER)
        trailer = file.read(_TRAILER)
    if not trailer.startswith(_MARKER):
        return False
    digest = hashlib.sha256()
    _hash_into(str(source), size - _TRAILER, digest)
    if digest.digest() != trailer[len(_MARKER) :]:
        raise CheckpointError(
            f"checkpoint {str(source)!r} is corrupt: its content does not match the checksum "
            "written with it (bytes were changed or lost after it was saved)"
        )
    return True


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu", *, config_path: str = ""
) -> dict[str, Any]:
    """Verify a checkpoint's checksum and read it with ``torch.load(weights_only=True)``.

    The checksum is computed on another thread while ``torch.load`` reads the file (both
    release the GIL); nothing loaded is returned unless it matches.

    Args:
        path: The checkpoint file.
        map_location: Where to put the tensors.
        config_path: The config key that named the file (``load_from``), for messages.

    Raises:
        CheckpointError: The file does not exist, is corrupt, is not a checkpoint, or holds
            objects that ``weights_only`` loading refuses.
    """
    where = config_path or None
    source = Path(path)
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        raise CheckpointError(f"checkpoint {str(source)!r} {what}", config_path=where)
    verifying = _Verification(source)
    verifying.start()
    try:
        loaded = _read(source, map_location, where)
    finally:
        verifying.join()
        verifying.raise_mismatch(where)  # first: a mismatch says more than torch's error
    if not isinstance(loaded, dict):
        raise CheckpointError(
            f"{str(source)!r} holds a {type(loaded).__name__}, not a checkpoint dict",
            config_path=where,
        )
    if "state_dict" not in loaded:  # a bare model state dict
        loaded = {"state_dict": loaded, "meta": {}}
    return loaded


def _read(source: Path, map_location: str | torch.device, where: str | None) -> Any:
    try:
        return load_weights_only(source, map_location)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"cannot load checkpoint {str(source)!r} with weights_only=True, which regwire "
            f"always uses: {_first_line(exc)}",
            config_path=where,
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, IndexError, KeyError) as exc:
        raise CheckpointError(
            f"{str(source)!r} is not a readable checkpoint: {type(exc).__name__}: "
            f"{_first_line(exc)}",
            config_path=where,
        ) from exc


class _Verification(threading.Thread):
    """:func:`verify_checkpoint` on a thread of its own; keeps a mismatch to raise later."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="regwire-verify", daemon=True)
        self.path = path
        self.error: CheckpointError | None = None

    def run(self) -> None:
        try:
            verify_checkpoint(self.path)
        except CheckpointError as exc:
            self.error = exc
        except OSError as exc:
            self.error = CheckpointError(f"cannot read {str(self.path)!r}: {exc}")

    def raise_mismatch(self, where: str | None) -> None:
        if self.error is not None:
            self.error.config_path = where
            raise self.error


def _first_line(exc: BaseException) -> str:
    """The line of torch's message that says why, with the next when it only names the kind
    (``WeightsUnpickler error:`` and the reason below it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "Unpickler error" in line:
            if line.endswith(":") and index + 1 < len(lines):
                return f"{line} {lines[index + 1]}"
            return line
    return lines[0] if lines else type(exc).__name__


def run_meta(
    counters: Mapping[str, int], seed: int | None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A checkpoint's ``meta``: where the run resumes, its seed, when, which torch; and
    ``extra`` (plain Python values only)."""
    return {
        **counters,
        "seed": seed,
        "time": time.strftime("%Y%m%d_%H%M%S", time.localtime()),
        "torch_version": str(torch.__version__),
        **(extra or {}),
    }


def read_pointer(work_dir: str | os.PathLike[str]) -> Path | None:
    """The checkpoint ``work_dir/last_checkpoint`` names, resolved; None without a pointer.

    A relative name is relative to ``work_dir``; an absolute one that no longer exists (a work
    dir copied or moved) is looked for under ``work_dir`` by its file name.

    Raises:
        CheckpointError: The pointer is empty, not text, or not a file; or what it names is
            missing or is not a file. The message names the pointer and the reason.
    """
    pointer = Path(work_dir) / LAST_CHECKPOINT
    if not pointer.exists():
        return None
    try:
        text = pointer.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{str(pointer)!r} cannot be read as a file name: {exc}") from exc
    if not text or "\n" in text or "\0" in text:
        raise CheckpointError(f"{str(pointer)!r} does not hold one file name (got {text!r})")
    named = Path(text)
    if not named.is_absolute():
        named = Path(work_dir) / named
    elif not named.exists() and (Path(work_dir) / named.name).exists():
        named = Path(work_dir) / named.name  # the work dir was moved or copied
    if not (named.is_file() or is_sharded_checkpoint(named)):
        what = "is not a checkpoint" if named.exists() else "does not exist"
        raise CheckpointError(f"{str(pointer)!r} names {str(named)!r}, which {what}")
    return named


def is_sharded_checkpoint(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a sharded checkpoint: a directory holding DCP's metadata."""
    return (Path(path) / DCP_METADATA).is_file()


def find_latest_checkpoint(work_dir: str | os.PathLike[str]) -> Path | None:
    """Return the checkpoint ``work_dir/last_checkpoint`` names, or None when there is none
    or it names nothing usable (see :func:`read_pointer` for the reasons)."""
    try:
        return read_pointer(work_dir)
    except CheckpointError:
        return None


def write_latest(work_dir: str | os.PathLike[str], checkpoint: Path) -> None:
    """Record ``checkpoint`` as the newest in ``work_dir`` (atomically, under a unique
    temporary name). A checkpoint inside ``work_dir`` is named relative to it, so the work
    dir can be moved or copied and still resume."""
    directory = Path(work_dir)
    try:
        name = str(Path(checkpoint).resolve().relative_to(directory.resolve()))
    except ValueError:
        name = str(Path(checkpoint).resolve())
    handle, temp_name = temp_file(directory, LAST_CHECKPOINT)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(name)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, directory / LAST_CHECKPOINT)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_dir(directory)


def remove_leftovers(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files (and directories) killed saves left in ``directory``;
    return them.

    Call it only while holding the directory's run lock: another run's save in progress
    writes such files too.
    """
    removed = []
    for leftover in Path(directory).glob(f".*{TEMP_SUFFIX}"):
        try:
            if leftover.is_dir() and not leftover.is_symlink():  # a sharded save's
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
        except OSError:
            continue
        removed.append(leftover)
    return removed
