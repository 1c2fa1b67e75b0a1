"""CheckpointHook: saves the run every few epochs or iterations."""

from __future__ import annotations

import copy
import hashlib
import io
import os
import shutil
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import HOOKS
from .._sections import ArgumentError, check_positive
from ..dist import is_main_process
from ..engine import (
    SIGNAL_CHECKPOINT,
    CheckpointError,
    DataBatch,
    Hook,
    Priority,
    RunnerView,
    clean_out_dir,
    load_checkpoint,
    save_checkpoint,
)
from ..model import is_sharded
from ._best import GREATER_KEYS, LESS_KEYS, WORST, as_list, check_rule, infer_rule, is_better


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
        save_best: After each validation, keep the checkpoint of the best value of this
            metric (a name, a list of names, or ``auto``: the first metric) as
            ``best_<metric>_<epoch|iter>_N.pth`` (``/`` in the name becomes ``_``), without
            the optimizer. A new best is written (atomically) before the previous one of
            that metric is deleted, so there is one, never none.
        rule: ``greater`` or ``less`` (one for all metrics, or a list, one each); None infers
            it from the name (``greater_keys``, ``less_keys``).
        greater_keys: Names (or parts of names) that are better greater (MMEngine's list by
            default: ``acc``, ``top``, ``mAP``...).
        less_keys: Names (or parts) that are better less (``loss``).
        published_keys: After training, write a copy of the last and the best checkpoints
            holding only these keys (``meta``, ``state_dict``) as ``<name>-<sha256[:8]>.pth``.
        save_begin: The first epoch or iteration count from which to save.
        async_save: Write a sharded checkpoint (``model_wrapper_cfg: {type:
            FullyShardedModel}``) on a thread while training goes on; other checkpoints are
            written at once.

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
        async_save: bool = False,
        save_best: str | list[str] | None = None,
        rule: Literal["greater", "less"] | list[Literal["greater", "less"]] | None = None,
        greater_keys: str | Sequence[str] | None = None,
        less_keys: str | Sequence[str] | None = None,
        published_keys: str | list[str] | None = None,
        save_begin: int = 0,
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
        self.async_save = async_save
        self.save_begin = save_begin
        self.save_best = as_list(save_best, "save_best")
        if "auto" in self.save_best and len(self.save_best) > 1:
            raise ArgumentError(
                "save_best",
                f"lists 'auto' with other metrics ({self.save_best!r}); 'auto' (the first "
                "metric the validation returns) stands alone, as in MMEngine: name the metrics",
            )
        rules = [check_rule(r) for r in (rule if isinstance(rule, list) else [rule])]
        if len(rules) == 1:
            rules *= max(len(self.save_best), 1)
        if self.save_best and len(rules) != len(self.save_best):
            raise ArgumentError(
                "rule", f"lists {len(rules)} rules for {len(self.save_best)} metrics"
            )
        self.greater_keys = as_list(greater_keys, "greater_keys") or list(GREATER_KEYS)
        self.less_keys = as_list(less_keys, "less_keys") or list(LESS_KEYS)
        self.rules: dict[str, str] = {}
        for key, given in zip(self.save_best, rules, strict=False):
            if key != "auto":
                self.rules[key] = given or infer_rule(
                    key, self.greater_keys, self.less_keys, argument="save_best"
                )
        self._auto_rule = rules[0] if "auto" in self.save_best else None
        self.published_keys = as_list(published_keys, "published_keys") or None
        self._kept: list[str] = []
        self._best: dict[str, dict[str, Any]] = {}  # metric -> {"score", "file"}
        self._training = False  # between before_train and after_train: best files are saved
        self._resuming = False  # set by load_state_dict, which only a resume calls
        self._last_save: tuple[str, Any] | None = None  # the newest save and what it held

    def state_dict(self) -> dict[str, Any]:
        """The file names of the kept checkpoints, oldest first (names: the save directory
        may be moved or copied, and a copy must not delete the original's files), and the
        best score and file of each ``save_best`` metric."""
        return {"kept": list(self._kept), "best": {k: dict(v) for k, v in self._best.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._kept = [Path(str(path)).name for path in state.get("kept", [])]
        self._best = {
            str(key): {"score": float(v["score"]), "file": Path(str(v["file"])).name}
            for key, v in state.get("best", {}).items()
        }
        self._resuming = True

    def after_load_checkpoint(self, runner: RunnerView, checkpoint: dict[str, Any]) -> None:
        """On resume from the checkpoint a signal stopped the run at (``iter_N.pth``, which
        no hook listed), count it among the kept ones, newest: ``max_keep_ckpts`` deletes
        it once enough newer checkpoints exist, never before one does."""
        resuming, self._resuming = self._resuming, False
        name = checkpoint.get("meta", {}).get(SIGNAL_CHECKPOINT)
        out_dir = self._out_dir(runner.work_dir)
        if not resuming or not isinstance(name, str) or out_dir is None:
            return
        if runner.work_dir is None or out_dir.resolve() != runner.work_dir.resolve():
            return  # the signal's checkpoint lies in the work dir, not in this save directory
        if name in self._kept:
            self._kept.remove(name)
        self._kept.append(name)

    def before_train(self, runner: RunnerView) -> None:
        """A new run (at iteration 0) refuses an ``out_dir`` of its own that already holds
        checkpoints of its name pattern: it would overwrite them (the work dir itself is
        checked by the runner)."""
        if self.async_save and not is_sharded(runner.model):
            raise ConfigError(
                "CheckpointHook(async_save=True) writes sharded checkpoints in the background, "
                "and this model is not sharded (model_wrapper_cfg: {type: FullyShardedModel}); "
                "its one-file checkpoints are written at once: remove async_save",
                config_path="default_hooks.checkpoint.async_save",
            )
        self._training = True
        out_dir = self._out_dir(runner.work_dir)
        if self.out_dir is not None and out_dir is not None and is_main_process():
            clean_out_dir(out_dir, runner.work_dir)  # what killed saves left there
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
        if self.every_n_epochs(runner, self.interval, self.save_begin) or (
            self.save_last and self.is_last_train_epoch(runner)
        ):
            self._save(runner, runner.epoch + 1)

    def after_train_iter(
        self, runner: RunnerView, batch_idx: int, data_batch: DataBatch = None, outputs: Any = None
    ) -> None:
        if self.by_epoch:
            return
        if self.every_n_train_iters(runner, self.interval, self.save_begin) or (
            self.save_last and self.is_last_train_iter(runner)
        ):
            self._save(runner, runner.iter + 1)

    def _save(self, runner: RunnerView, count: int) -> None:
        out_dir = self._out_dir(runner.work_dir)
        if out_dir is None:  # every rank saves: a sharded model's shards are on all of them
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
            async_save=self.async_save,
        )
        self._last_save = (filename, _resumed_state(runner))
        if not is_main_process():
            return
        runner.logger.info("saved checkpoint %s", path)
        if self.max_keep_ckpts > 0:
            # An asynchronous save is still being written: keep one more until it is, so that
            # max_keep_ckpts finished checkpoints are always there.
            limit = self.max_keep_ckpts + (1 if self.async_save else 0)
            while len(self._kept) > limit:  # only ever in the save directory
                _remove(path.parent / Path(self._kept.pop(0)).name)

    def after_val_epoch(
        self, runner: RunnerView, metrics: Mapping[str, float] | None = None
    ) -> None:
        """During training: save the best checkpoint of each ``save_best`` metric that
        improved (a validation alone, ``runner.val()``, writes no checkpoint).

        Raises:
            ConfigError: The validation did not return a ``save_best`` metric (naming those
                it returned, the nearest suggested).
        """
        out_dir = self._out_dir(runner.work_dir)
        main = is_main_process()
        if not self.save_best or not self._training or out_dir is None:
            return
        if not main and not is_sharded(runner.model):  # a sharded save needs every rank
            return
        if not metrics:
            runner.logger.warning("the validation returned no metrics: no best checkpoint")
            return
        if "auto" in self.save_best and not self.rules:
            key = next(iter(metrics))
            self.save_best = [key]
            self.rules[key] = self._auto_rule or infer_rule(
                key, self.greater_keys, self.less_keys, argument="save_best"
            )
        for key in self.rules:
            if key not in metrics:
                raise ConfigError(
                    f"{PATH} names {key!r}, which the validation did not return"
                    f"{did_you_mean(key, list(metrics))} (it returned "
                    f"{', '.join(map(repr, metrics))})",
                    config_path="default_hooks.checkpoint.save_best",
                )
        count = runner.epoch if self.by_epoch else runner.iter
        for key, rule in self.rules.items():
            score = metrics.get(key)
            best = self._best.get(key, {"score": WORST[rule], "file": None})
            if score is None or not is_better(rule, float(score), best["score"]):
                continue
            name = f"best_{key.replace('/', '_')}_{self.filename_tmpl.format(count)}"
            path = runner.save_checkpoint(
                out_dir, name, save_optimizer=False, save_param_scheduler=False, by_epoch=None
            )
            if main and best["file"] not in (None, name):  # the new one is on disk first
                _remove(out_dir / best["file"])
            self._best[key] = {"score": float(score), "file": name}
            single = len(self.rules) == 1
            runner.message_hub.update_info("best_score" if single else f"best_score_{key}", score)
            runner.message_hub.update_info("best_ckpt" if single else f"best_ckpt_{key}", str(path))
            if main:
                runner.logger.info(
                    "best %s %.4f at %s %d: saved %s", key, score, self._unit, count, path
                )

    def after_val(self, runner: RunnerView) -> None:
        """After every hook's ``after_val_epoch``: when the validation followed this hook's
        newest save and changed what a resume restores (early stopping's counters, a new
        best, a plateau scheduler), save that checkpoint again, so that a run resumed from
        it goes on as the run that was not stopped. It was written before the validation
        too, so a validation that fails loses nothing."""
        last, self._last_save = self._last_save, None
        out_dir = self._out_dir(runner.work_dir)
        if last is None or not self._training or out_dir is None:
            return
        if not is_main_process() and not is_sharded(runner.model):  # sharded: every rank saves
            return
        name, saved = last
        count = runner.epoch if self.by_epoch else runner.iter
        if name != self.filename_tmpl.format(count) or not self._kept or self._kept[-1] != name:
            return
        if _same(saved, _resumed_state(runner)):
            return
        runner.save_checkpoint(
            out_dir,
            name,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            by_epoch=None,
            latest=True,
        )

    @property
    def _unit(self) -> str:
        return "epoch" if self.by_epoch else "iter"

    def after_train(self, runner: RunnerView) -> None:
        """With ``published_keys``: publish the last and the best checkpoints."""
        self._training = False
        out_dir = self._out_dir(runner.work_dir)
        if self.published_keys is None or out_dir is None or not is_main_process():
            return
        names = ([self._kept[-1]] if self.save_last and self._kept else []) + [
            best["file"] for best in self._best.values()
        ]
        for name in names:
            if (out_dir / name).is_file():
                path = publish(out_dir / name, self.published_keys)
                runner.logger.info("published %s as %s", name, path)

    def _out_dir(self, work_dir: Path | None) -> Path | None:
        if self.out_dir is None:
            return work_dir
        out_dir = Path(self.out_dir)
        if out_dir.is_absolute():
            return out_dir
        return (work_dir if work_dir is not None else Path.cwd()) / out_dir


def _resumed_state(runner: RunnerView) -> Any:
    """A copy of what a checkpoint holds that a validation may change: the hooks' and the
    parameter schedulers' states."""
    hooks = []
    for hook in runner.hooks:
        state, load = getattr(hook, "state_dict", None), getattr(hook, "load_state_dict", None)
        if callable(state) and callable(load):
            hooks.append(state())
    return copy.deepcopy([hooks, [s.state_dict() for s in runner.param_schedulers]])


def _same(a: Any, b: Any) -> bool:
    """Whether two states are equal (tensors by value)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except (TypeError, ValueError, RuntimeError):  # values that compare in no plain way
        return False


def _remove(checkpoint: Path) -> None:
    """Delete a checkpoint: a file, or a sharded checkpoint's directory."""
    if checkpoint.is_dir() and not checkpoint.is_symlink():
        shutil.rmtree(checkpoint, ignore_errors=True)
    else:
        checkpoint.unlink(missing_ok=True)


def publish(path: Path, keys: Sequence[str]) -> Path:
    """Write a copy of the checkpoint at ``path`` with only ``keys``, named
    ``<stem>-<first 8 hex digits of its SHA-256>.pth`` (MMEngine's ``published_keys``)."""
    checkpoint = load_checkpoint(path, config_path="default_hooks.checkpoint.published_keys")
    kept = {key: value for key, value in checkpoint.items() if key in keys}
    buffer = io.BytesIO()
    torch.save(kept, buffer)
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()[:8]
    return save_checkpoint(kept, path.with_name(f"{path.stem}-{digest}.pth"))


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
