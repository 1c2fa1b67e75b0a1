"""CheckpointHook: saves the run every few epochs or iterations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._registries import HOOKS
from .._sections import check_positive
from ..dist import is_main_process
from ..engine import DataBatch, Hook, Priority, RunnerView, write_latest


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
        out_dir: Where to save, instead of the work directory.
        filename_tmpl: The file name, formatted with the epoch or iteration count
            (``epoch_{}.pth`` / ``iter_{}.pth`` by default).
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
        self.out_dir = out_dir
        self.filename_tmpl = filename_tmpl or ("epoch_{}.pth" if by_epoch else "iter_{}.pth")
        self._kept: list[str] = []

    def state_dict(self) -> dict[str, Any]:
        return {"kept": list(self._kept)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._kept = [str(path) for path in state.get("kept", [])]

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
        out_dir = Path(self.out_dir) if self.out_dir is not None else runner.work_dir
        if out_dir is None or not is_main_process():
            return
        filename = self.filename_tmpl.format(count)
        planned = str(Path(out_dir).resolve() / filename)
        if planned in self._kept:
            self._kept.remove(planned)
        self._kept.append(planned)  # before saving, so the checkpoint's hook state lists it
        path = runner.save_checkpoint(
            out_dir,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            by_epoch=self.by_epoch,
        )
        write_latest(out_dir, path)
        runner.logger.info("saved checkpoint %s", path)
        if self.max_keep_ckpts > 0:
            while len(self._kept) > self.max_keep_ckpts:
                Path(self._kept.pop(0)).unlink(missing_ok=True)
