"""A run's checkpoints: saving its state, loading weights, resuming where it stopped.

These are the runner's ``save_checkpoint``, ``load_checkpoint`` and ``resume``, written as
functions of what they use of the runner (:class:`CheckpointedRun`), so the runner class stays
about running. Files are written and read by :mod:`._checkpoint` (atomic, checksummed), the
state is collected and given back by :mod:`._checkpoint_state` (checked to fit first).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import torch

from ..dist import dist_info
from ..model import is_sharded
from . import _checkpoint as files
from . import _checkpoint_state as parts
from ._convert import NAMES
from ._resume import Found, newest_good_checkpoint
from ._sharded import ShardedSaver, load_full, load_sharded, optimizers_of, param_names, read_any
from ._view import RunnerView


class CheckpointedRun(RunnerView, Protocol):
    """What checkpointing uses of a runner: the view hooks have, plus these."""

    @property
    def hook_names(self) -> dict[str, object]:
        """The hooks by the names their state is saved under."""

    def call_hook(self, fn_name: str, /, *, checkpoint: Any = ...) -> None:
        """Announce ``before_save_checkpoint`` / ``after_load_checkpoint`` to the hooks."""


def save(
    run: CheckpointedRun,
    path: Path,
    *,
    save_optimizer: bool = True,
    save_param_scheduler: bool = True,
    meta: Mapping[str, Any] | None = None,
    by_epoch: bool | None = True,
    overwrite: bool = True,
    latest_in: Path | None = None,
    saver: ShardedSaver | None = None,
    async_save: bool = False,
) -> Path:
    """Write a checkpoint of ``run`` to ``path`` (see ``BaseRunner.save_checkpoint``); every
    rank calls it. A sharded model is saved by every rank into the directory ``path``
    (:mod:`._sharded`, through ``saver``); any other by rank 0 alone into the file ``path``.
    ``latest_in``: the directory whose ``last_checkpoint`` is to name it."""
    sharded = is_sharded(run.model)
    if not sharded and dist_info()[0] != 0:
        return path
    checkpoint = parts.gather_state(
        model=None if sharded else run.model,
        optim_wrapper=run.optim_wrapper if save_optimizer and not sharded else None,
        param_schedulers=run.param_schedulers if save_param_scheduler else (),
        hooks=run.hook_names,
        sampler=getattr(run.train_dataloader, "sampler", None),
    )
    extra: dict[str, Any] = {**_layout(run), **(meta or {})}
    if save_optimizer and not sharded:  # convert-checkpoint makes a sharded one with them
        names = param_names(parts.unwrap(run.model), optimizers_of(run.optim_wrapper))
        if names is not None:
            extra[NAMES] = names
    checkpoint["meta"] = files.run_meta(run.state.resume_point(by_epoch), run.seed, extra)
    run.call_hook("before_save_checkpoint", checkpoint=checkpoint)
    if sharded:
        return (saver or ShardedSaver()).save(
            parts.unwrap(run.model),
            optimizers_of(run.optim_wrapper) if save_optimizer else None,
            checkpoint,
            path,
            overwrite=overwrite,
            async_save=async_save,
            pointer=latest_in,
        )
    written = files.save_checkpoint(checkpoint, path, overwrite=overwrite)
    if latest_in is not None:
        files.write_latest(latest_in, written)
    return written


def _layout(run: CheckpointedRun) -> dict[str, int]:
    """The world size and the samples of one step over all ranks: a run stopped mid-epoch
    resumes at another world size only with the same global batch."""
    world_size = dist_info()[1]
    batch_size = getattr(run.train_dataloader, "batch_size", None)
    layout = {"world_size": world_size}
    if isinstance(batch_size, int):
        layout["global_batch"] = world_size * batch_size
    return layout


def check_layout(run: CheckpointedRun, meta: Mapping[str, Any], name: str) -> None:
    """Refuse to resume mid-epoch where the samples already trained on cannot be mapped to
    this run's ranks: another global batch (world size times ``batch_size``).

    Raises:
        CheckpointError: Naming ``train_dataloader.batch_size`` and the value that fits.
    """
    saved, saved_world = meta.get("global_batch"), meta.get("world_size", 1)
    world_size = dist_info()[1]
    batch_size = getattr(run.train_dataloader, "batch_size", None)
    if not meta.get("inner_iter") or not isinstance(saved, int) or not isinstance(batch_size, int):
        return
    if saved == world_size * batch_size:
        return
    fits = (
        f"set it to {saved // world_size}"
        if saved % world_size == 0
        else f"no batch size does at world size {world_size}; resume at world size {saved_world}"
    )
    raise files.CheckpointError(
        f"{name} stopped mid-epoch after {meta['inner_iter']} steps of {saved} samples "
        f"({saved_world} ranks x {saved // max(saved_world, 1)}); {world_size} ranks x "
        f"{batch_size} take other samples, so its position cannot be mapped to this world "
        f"size: {fits}",
        config_path="train_dataloader.batch_size",
    )


def load_weights(
    run: CheckpointedRun,
    filename: str | os.PathLike[str],
    map_location: str | torch.device = "cpu",
    strict: bool = False,
) -> dict[str, Any]:
    """Load a checkpoint's model weights into ``run.model``; return the checkpoint.

    Raises:
        CheckpointError: The file is missing, corrupt or unreadable, or its weights do not
            fit the model (a shape differs; with ``strict``, a key is missing on either side).
    """
    checkpoint = read_any(Path(filename), config_path="load_from")
    module = parts.unwrap(run.model)
    name = repr(str(filename))
    fits: list[tuple[list[str], list[str]]] = []

    def check(state_dict: Mapping[str, Any]) -> None:
        fits.append(
            parts.check_model_fits(module, state_dict, strict=strict, name=name, at="load_from")
        )

    if "sharded_dir" in checkpoint:
        load_sharded(Path(filename), module, None, strict=strict, check=check, at="load_from")
    elif is_sharded(module):  # a one-file checkpoint into a sharded model: full tensors
        check(checkpoint["state_dict"])
        load_full(module, None, checkpoint["state_dict"], None)
    else:
        check(checkpoint["state_dict"])
        module.load_state_dict(checkpoint["state_dict"], strict=False)
    missing, unexpected = fits[0]
    if missing or unexpected:
        run.logger.warning(
            "loaded %s with missing keys %s and unexpected keys %s", filename, missing, unexpected
        )
    run.logger.info("loaded checkpoint %s", filename)
    run.call_hook("after_load_checkpoint", checkpoint=checkpoint)
    return checkpoint


def restore(
    run: CheckpointedRun, filename: str | os.PathLike[str], checkpoint: dict[str, Any]
) -> dict[str, Any]:
    """Give every part of ``run`` its state from ``checkpoint`` (read from ``filename``).

    Raises:
        CheckpointError: The model or the optimizer does not fit (naming the keys); nothing
            has been changed then.
    """
    meta = checkpoint.get("meta", {})
    check_layout(run, meta, repr(str(filename)))
    sharded_dir = checkpoint.get("sharded_dir")
    module = parts.unwrap(run.model)
    optimizers = optimizers_of(run.optim_wrapper)
    weights_apart = sharded_dir is not None or is_sharded(module)
    if sharded_dir is None and is_sharded(module):  # a DDP run continued under FSDP2
        _load_full_checkpoint(module, optimizers, checkpoint, repr(str(filename)))
        checkpoint = {key: value for key, value in checkpoint.items() if key != "optimizer"}
    elif sharded_dir is not None:
        load_sharded(
            Path(sharded_dir),
            module,
            optimizers,
            strict=True,
            check=lambda state: parts.check_model_fits(
                module, state, strict=True, name=repr(str(filename)), at="resume"
            ),
            at="resume",
        )
    parts.restore_state(
        checkpoint,
        model=None if weights_apart else run.model,
        optim_wrapper=run.optim_wrapper,
        param_schedulers=run.param_schedulers,
        hooks=run.hook_names,
        sampler=getattr(run.train_dataloader, "sampler", None),
        name=repr(str(filename)),
    )
    run.state.load_state_dict(meta)
    seed = meta.get("seed")
    if seed is not None and run.seed is not None and seed != run.seed:
        run.logger.warning(
            "the checkpoint was trained with seed %s, this run uses %s", seed, run.seed
        )
    run.logger.info(
        "resumed from %s at epoch %d, iter %d", filename, run.state.epoch, run.state.iter
    )
    run.call_hook("after_load_checkpoint", checkpoint=checkpoint)
    return checkpoint


def _load_full_checkpoint(
    module: torch.nn.Module, optimizers: Any, checkpoint: Mapping[str, Any], name: str
) -> None:
    """Check that a one-file checkpoint fits the sharded ``module`` and its optimizers,
    then load it (:func:`~._sharded.load_full`)."""
    parts.check_model_fits(module, checkpoint["state_dict"], strict=True, name=name, at="resume")
    saved = checkpoint.get("optimizer")
    if saved is not None and isinstance(optimizers, torch.optim.Optimizer):
        parts.check_optimizer_fits(optimizers, saved, name=name)
    elif saved is not None and isinstance(optimizers, Mapping):
        if not isinstance(saved, Mapping) or set(saved) != set(optimizers):
            raise files.CheckpointError(
                f"the optimizer state of {name} is not that of the optimizers "
                f"{', '.join(sorted(optimizers))}",
                config_path="resume",
            )
        for key, optimizer in optimizers.items():
            parts.check_optimizer_fits(optimizer, saved[key], name=f"{name} ({key})")
    load_full(module, optimizers, checkpoint["state_dict"], saved)


def resume_run(run: CheckpointedRun, filename: str | os.PathLike[str] | None) -> Path | None:
    """Resume ``run`` from ``filename``, or from the newest good checkpoint in its work_dir.

    Returns:
        The checkpoint resumed from (resolved); None when there was nothing to resume from
        (no file given, and no checkpoint at all in the work dir), which is said in the log.

    Raises:
        CheckpointError: The file given does not load or holds weights alone, or the work
            dir holds checkpoints and none of them loads (naming each with its reason), or
            the run does not fit one.
    """
    if filename is not None:
        checkpoint = read_any(Path(filename), config_path="resume")
        if "iter" not in checkpoint.get("meta", {}):
            raise files.CheckpointError(
                f"{str(filename)!r} holds weights alone, no training position to resume "
                "from: load it with load_from, or resume from a checkpoint of a run",
                config_path="resume",
            )
        found: Found | None = Found(Path(filename), checkpoint)
    elif run.work_dir is not None:
        found = newest_good_checkpoint(run.work_dir)
    else:
        found = None
    if found is None:
        run.logger.info("no checkpoint to resume from; training from scratch")
        return None
    for skipped, reason in found.skipped:
        run.logger.warning("skipped %s: %s", skipped, reason)
    restore(run, found.path, found.checkpoint)
    return found.path.resolve()
