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

from . import _checkpoint as files
from . import _checkpoint_state as parts
from ._resume import Found, newest_good_checkpoint
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
) -> Path:
    """Write a checkpoint of ``run`` to ``path`` (see ``BaseRunner.save_checkpoint``)."""
    checkpoint = parts.gather_state(
        model=run.model,
        optim_wrapper=run.optim_wrapper if save_optimizer else None,
        param_schedulers=run.param_schedulers if save_param_scheduler else (),
        hooks=run.hook_names,
        sampler=getattr(run.train_dataloader, "sampler", None),
    )
    checkpoint["meta"] = files.run_meta(run.state.resume_point(by_epoch), run.seed, meta)
    run.call_hook("before_save_checkpoint", checkpoint=checkpoint)
    return files.save_checkpoint(checkpoint, path, overwrite=overwrite)


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
    checkpoint = files.load_checkpoint(filename, map_location, config_path="load_from")
    module = parts.unwrap(run.model)
    missing, unexpected = parts.check_model_fits(
        module, checkpoint["state_dict"], strict=strict, name=repr(str(filename)), at="load_from"
    )
    module.load_state_dict(checkpoint["state_dict"], strict=False)
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
    parts.restore_state(
        checkpoint,
        model=run.model,
        optim_wrapper=run.optim_wrapper,
        param_schedulers=run.param_schedulers,
        hooks=run.hook_names,
        sampler=getattr(run.train_dataloader, "sampler", None),
        name=repr(str(filename)),
    )
    meta = checkpoint.get("meta", {})
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
        checkpoint = files.load_checkpoint(filename, config_path="resume")
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
