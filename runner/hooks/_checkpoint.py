"""CheckpointHook: saves the run every few epochs or iterations."""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any

from .._registries import HOOKS
from .._sections import check_positive
from ..dist import is_main_process
from ..engine import CheckpointError, DataBatch, Hook, Priority, RunnerView


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Save checkpoints to ``out_dir`` (``runner.work_dir`` by default).

    Does nothing when the runner has no ``work_dir`` and no ``out_dir`` is given. The list
    of kept checkpoints is this hook's ``state_dict``, so ``max_keep_ckpts`` holds across a
    resume.

    Args:
        interval: Save every this many epochs (``by_epoch``) or iterations.
        by_epoch: Count ``interval`` in epochs; otherwise in iterations.
        max_keep_ckpts: Delete older checkpoints beyond this many; -1 keeps all.
        save_last: Also save at the end of training when the interval does not fall there.
        save_optimizer: Include the optimizer state.
        save_param_scheduler: Include the parameter schedulers' states.
        out_dir: Where to save, instead of the work directory: an absolute path, or a path
            relative to the work directory that stays inside it.
        filename_tmpl: The file name, formatted with the epoch or iteration count
            (``epoch_{}.pth`` / ``iter_{}.pth`` by default): one ``{}`` field, and a plain
            file name (no directory part).

    Raises:
        ValueError: ``interval`` is not a positive int, ``filename_tmpl`` is not a file name
            with one ``{}`` field, or ``out_dir`` is relative and leaves the work directory.
    """

    priority = Priority.VERY_LOW

    def __init__(
        self,
        interval: int = 1,
        by_epoch: bool = True,
        max_keep_ckpts: int = -1,
        save_last: bool = True,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        out_dir: str | None = None,
        filename_tmpl: str | None = None,
    ) -> None:
        check_positive("interval", interval)
        self.interval = interval
        self.by_epoch = by_epoch
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self.out_dir = _check_out_dir(out_dir)
        self.filename_tmpl = _check_template(
            filename_tmpl or ("epoch_{}.pth" if by_epoch else "iter_{}.pth")
        )
        self._kept: list[str] = []

    def state_dict(self) -> dict[str, Any]:
        """The file names of the kept checkpoints, oldest first (names: the save directory
        may be moved or copied, and a copy must not delete the original's files)."""
        return {"kept": list(self._kept)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._kept = [Path(str(path)).name for path in state.get("kept", [])]

    def before_train(self, runner: RunnerView) -> None:
        """A new run (at iteration 0) refuses an ``out_dir`` of its own that already holds
        checkpoints of its name pattern: it would overwrite them (the work dir itself is
        checked by the runner)."""
        out_dir = self._out_dir(runner.work_dir)
        if self.out_dir is None or out_dir is None or runner.iter > 0 or not out_dir.is_dir():
            return
        pattern = "".join(
            literal + ("*" if field is not None else "")
            for literal, field, _, _ in string.Formatter().parse(self.filename_tmpl)
        )
        earlier = sorted(path.name for path in out_dir.glob(pattern))
        if earlier and is_main_process():
            raise CheckpointError(
                f"out_dir {str(out_dir)!r} holds checkpoints of an earlier run "
                f"({', '.join(earlier[:3])}); resume it (--resume), or save elsewhere",
                config_path="default_hooks.checkpoint.out_dir",
            )

    def after_train_epoch(self, runner: RunnerView) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval) or (
            self.save_last and self.is_last_train_epoch(runner)
        ):
            self._save(runner, runner.epoch + 1)

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        if self.by_epoch:
            return
        if self.every_n_train_iters(runner, self.interval) or (
            self.save_last and self.is_last_train_iter(runner)
        ):
            self._save(runner, runner.iter + 1)

    def _save(self, runner: RunnerView, count: int) -> None:
        out_dir = self._out_dir(runner.work_dir)
        if out_dir is None or not is_main_process():
            return
        filename = self.filename_tmpl.format(count)
        if filename in self._kept:
            self._kept.remove(filename)
        self._kept.append(filename)  # before saving, so the checkpoint's hook state lists it
        path = runner.save_checkpoint(
            out_dir,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            by_epoch=self.by_epoch,
            latest=True,
        )
        runner.logger.info("saved checkpoint %s", path)
        if self.max_keep_ckpts > 0:
            while len(self._kept) > self.max_keep_ckpts:  # only ever in the save directory
                (path.parent / Path(self._kept.pop(0)).name).unlink(missing_ok=True)

    def _out_dir(self, work_dir: Path | None) -> Path | None:
        if self.out_dir is None:
            return work_dir
        out_dir = Path(self.out_dir)
        if out_dir.is_absolute():
            return out_dir
        return (work_dir if work_dir is not None else Path.cwd()) / out_dir


def _check_template(template: str) -> str:
    """``template`` when it formats a count into a plain file name.

    Raises:
        ValueError: It has another number of fields than one ``{}``, or a directory part.
    """
    fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    try:
        if len(fields) != 1:
            raise ValueError(f"it has {len(fields)} fields")
        name = template.format(1)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(
            f"filename_tmpl must hold one '{{}}' for the count, as 'epoch_{{}}.pth'; "
            f"{template!r} does not ({exc})"
        ) from None
    if Path(name).name != name or name in (".", ".."):
        raise ValueError(
            f"filename_tmpl must be a file name without a directory, got {template!r} "
            "(use out_dir for another directory)"
        )
    return template


def _check_out_dir(out_dir: str | os.PathLike[str] | None) -> str | None:
    """``out_dir`` when it is absolute or a relative path that stays below where it starts.

    Raises:
        ValueError: A relative path that climbs out (``../elsewhere``).
    """
    if out_dir is None:
        return None
    path = Path(out_dir)
    if not path.is_absolute() and ".." in path.parts:
        raise ValueError(
            f"out_dir {str(out_dir)!r} leaves the work directory; give an absolute path to "
            "save elsewhere on purpose"
        )
    return str(out_dir)
