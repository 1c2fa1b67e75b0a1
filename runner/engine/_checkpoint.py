"""Checkpoint files: written atomically, read with ``torch.load(weights_only=True)``.

A checkpoint is a plain dict of tensors and plain Python values::

    {"meta": {"epoch", "iter", "inner_iter", "seed", "time", "torch_version", ...},
     "state_dict": model, "optimizer": optim wrapper, "param_schedulers": [one per scheduler],
     "hooks": {hook name: state}, "data_sampler": sampler state}

Each component gives its state through ``state_dict()`` and takes it back through
``load_state_dict()``; this module only moves the dict to and from disk.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from container import RegwireError

LAST_CHECKPOINT = "last_checkpoint"
"""The file in ``work_dir`` that names the newest checkpoint (as in MMEngine)."""


class CheckpointError(RegwireError):
    """A checkpoint is missing, unreadable, or holds something ``weights_only`` refuses."""


def save_checkpoint(checkpoint: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``checkpoint`` to ``path`` so that a crash never leaves a partial file there.

    The data go to a temporary file in the same directory, are flushed to disk, and the file
    is renamed over ``path`` (``os.replace``, atomic on POSIX and Windows).

    Returns:
        ``path`` as a :class:`Path`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(checkpoint, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(directory: Path) -> None:
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


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu", *, config_path: str = ""
) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(..., weights_only=True)``.

    Args:
        path: The checkpoint file.
        map_location: Where to put the tensors.
        config_path: The config key that named the file (``load_from``), for messages.

    Raises:
        CheckpointError: The file does not exist, is not a checkpoint, or holds objects that
            ``weights_only`` loading refuses.
    """
    where = config_path or None
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"checkpoint {str(source)!r} does not exist", config_path=where)
    try:
        loaded = torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = [line for line in lines if "Unpickler error" in line] or lines[:1]
        first = detail[0] if detail else type(exc).__name__
        raise CheckpointError(
            f"cannot load checkpoint {str(source)!r} with weights_only=True, which regwire "
            f"always uses: {first}",
            config_path=where,
        ) from exc
    except (RuntimeError, EOFError, OSError) as exc:
        raise CheckpointError(
            f"{str(source)!r} is not a readable checkpoint: {type(exc).__name__}: {exc}",
            config_path=where,
        ) from exc
    if not isinstance(loaded, dict):
        raise CheckpointError(
            f"{str(source)!r} holds a {type(loaded).__name__}, not a checkpoint dict",
            config_path=where,
        )
    if "state_dict" not in loaded:  # a bare model state dict
        loaded = {"state_dict": loaded, "meta": {}}
    return loaded


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


def find_latest_checkpoint(work_dir: str | os.PathLike[str]) -> Path | None:
    """Return the checkpoint named by ``work_dir/last_checkpoint``, if it still exists."""
    pointer = Path(work_dir) / LAST_CHECKPOINT
    if not pointer.is_file():
        return None
    named = Path(pointer.read_text(encoding="utf-8").strip())
    if not named.is_absolute():
        named = Path(work_dir) / named
    return named if named.is_file() else None


def write_latest(work_dir: str | os.PathLike[str], checkpoint: Path) -> None:
    """Record ``checkpoint`` as the newest in ``work_dir`` (atomically too)."""
    pointer = Path(work_dir) / LAST_CHECKPOINT
    temp = pointer.with_name(f".{LAST_CHECKPOINT}.tmp")
    temp.write_text(str(checkpoint), encoding="utf-8")
    os.replace(temp, pointer)


@runtime_checkable
class Stateful(Protocol):
    """Anything whose state a checkpoint holds: optimizer wrappers, schedulers, hooks..."""

    def state_dict(self) -> Any: ...

    def load_state_dict(self, state: Any, /) -> Any: ...


def unwrap(model: nn.Module) -> nn.Module:
    """The module a DDP-style wrapper holds (``.module``), or ``model`` itself."""
    module = getattr(model, "module", None)
    return module if isinstance(module, nn.Module) else model


def gather_state(
    *,
    model: nn.Module,
    optim_wrapper: Stateful | None,
    param_schedulers: Sequence[Stateful],
    hooks: Mapping[str, object],
    sampler: object,
) -> dict[str, Any]:
    """Collect the parts of a checkpoint from each component's ``state_dict()``.

    Pass None / empty for parts not to save. Only hooks with ``state_dict`` and
    ``load_state_dict`` are saved, under their names; the sampler likewise.
    """
    checkpoint: dict[str, Any] = {"state_dict": unwrap(model).state_dict()}
    if optim_wrapper is not None:
        checkpoint["optimizer"] = optim_wrapper.state_dict()
    if param_schedulers:
        checkpoint["param_schedulers"] = [s.state_dict() for s in param_schedulers]
    hook_states = {
        name: hook.state_dict() for name, hook in hooks.items() if isinstance(hook, Stateful)
    }
    if hook_states:
        checkpoint["hooks"] = hook_states
    if isinstance(sampler, Stateful):
        checkpoint["data_sampler"] = sampler.state_dict()
    return checkpoint


def restore_state(
    checkpoint: Mapping[str, Any],
    *,
    model: nn.Module,
    optim_wrapper: Stateful | None,
    param_schedulers: Sequence[Stateful],
    hooks: Mapping[str, object],
    sampler: object,
) -> None:
    """Give each component its part of ``checkpoint`` through ``load_state_dict()``.

    Parts the checkpoint lacks are left alone; hooks are matched by name.
    """
    unwrap(model).load_state_dict(checkpoint["state_dict"])
    if optim_wrapper is not None and "optimizer" in checkpoint:
        optim_wrapper.load_state_dict(checkpoint["optimizer"])
    saved = checkpoint.get("param_schedulers", ())
    for scheduler, state in zip(param_schedulers, saved, strict=False):
        scheduler.load_state_dict(state)
    for name, state in checkpoint.get("hooks", {}).items():
        hook = hooks.get(name)
        if isinstance(hook, Stateful):
            hook.load_state_dict(state)
    if "data_sampler" in checkpoint and isinstance(sampler, Stateful):
        sampler.load_state_dict(checkpoint["data_sampler"])
