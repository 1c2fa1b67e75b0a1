"""BaseRunner: drives ready-built components through training, validation and testing.

It receives built objects and never builds any: building them from a config is the app's job
(:class:`runner.TrainingContainer`, and :class:`runner.Runner`, which adds ``from_cfg`` to this
class), as detectron2's ``SimpleTrainer`` leaves building to ``DefaultTrainer``.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, NoReturn

import torch
from torch import nn

from container import ConfigError
from providers import PATH

from ..dist import Randomness, is_main_process
from ..optim import OptimWrapper
from ..visualization import LocalVisBackend, Visualizer
from . import _checkpointing as checkpointing
from ._counters import RunCounters
from ._dispatch import UNSET, DispatchTable, Stage, call_stage, unknown_stage
from ._log_processor import LogProcessor
from ._logging import log_level as parse_log_level
from ._logging import make_logger
from ._loops import (
    EvalContext,
    EvalLoop,
    Metrics,
    TestLoop,
    TrainContext,
    TrainLoop,
    TrainState,
    ValLoop,
)
from ._message_hub import MessageHub
from ._preemption import Interrupted, StopRequest, stop_on_signals
from ._run_log import log_start, open_record
from ._sharded import ShardedSaver, read_any
from ._workdir import decided_on_main, hold_work_dir, refuse_to_overwrite

_run_ids = itertools.count()

SIGNAL_CHECKPOINT = "signal_checkpoint"
"""The ``meta`` key of the checkpoint saved when a signal stops training: its file name
(``iter_6.pth``), so that the ``CheckpointHook`` of the resumed run counts it among its
kept checkpoints."""


class BaseRunner(RunCounters):
    """Trains, validates and tests a model with injected components and hooks.

    Args:
        model: The model; its ``train_step``/``val_step``/``test_step`` are called.
        work_dir: Where checkpoints go, and logs and the config under
            ``work_dir/<timestamp>/``. None writes nothing.
        train_dataloader: The training data.
        val_dataloader: The validation data.
        test_dataloader: The test data.
        train_loop: An ``EpochBasedTrainLoop`` or ``IterBasedTrainLoop``.
        val_loop: Defaults to a ``ValLoop`` when there are validation data and an evaluator.
        test_loop: Defaults to a ``TestLoop`` when there are test data and an evaluator.
        optim_wrapper: Updates the parameters in ``train_step``.
        param_schedulers: Stepped by the ``ParamSchedulerHook``.
        val_evaluator: Computes the validation metrics.
        test_evaluator: Computes the test metrics.
        hooks: Hooks, ordered stably by their ``priority``.
        randomness: How the run was seeded (:func:`runner.set_random_seed`), to record it.
        load_from: A checkpoint to load before running.
        resume: Resume training from ``load_from``, or from the newest checkpoint in
            ``work_dir`` when ``load_from`` is None.
        cfg: The config the run was built from, dumped into the log directory.
        log_level: The level of the run's logger (MMEngine's ``log_level``): ``"INFO"``
            logs progress lines, ``"WARNING"`` only problems. It prints to the console
            (rank 0; other ranks only warnings) and to ``work_dir/<timestamp>/<timestamp>.log``.
        visualizer: Where logged scalars go; by default a ``LocalVisBackend``
            (``work_dir/<timestamp>/vis_data/scalars.json``), as in MMEngine.
        log_processor: Makes log lines and scalars (``LogProcessor()`` by default).

    Raises:
        ConfigError: Validation or test data come without their evaluator, or the reverse.
        HookSignatureError: A hook's stage method does not fit its stage.
        ValueError: ``log_level`` is not a level.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        work_dir: str | os.PathLike[str] | None = None,
        train_dataloader: Any = None,
        val_dataloader: Any = None,
        test_dataloader: Any = None,
        train_loop: TrainLoop | None = None,
        val_loop: EvalLoop | None = None,
        test_loop: EvalLoop | None = None,
        optim_wrapper: OptimWrapper | None = None,
        param_schedulers: Sequence[Any] = (),
        val_evaluator: Any = None,
        test_evaluator: Any = None,
        hooks: Sequence[object] = (),
        randomness: Randomness | None = None,
        load_from: str | os.PathLike[str] | None = None,
        resume: bool = False,
        cfg: Mapping[str, Any] | None = None,
        log_level: int | str = "INFO",
        visualizer: Visualizer | None = None,
        log_processor: LogProcessor | None = None,
    ) -> None:
        level = parse_log_level(log_level)  # before anything is made
        self.log_processor = log_processor if log_processor is not None else LogProcessor()
        self.visualizer = visualizer or Visualizer(vis_backends=[LocalVisBackend()])
        self.model = model
        self.train_dataloader = train_dataloader
        self.val_dataloader = val_dataloader
        self.test_dataloader = test_dataloader
        self.train_loop = train_loop
        self.val_loop = _eval_loop(val_loop, val_dataloader, val_evaluator, "val", ValLoop)
        self.test_loop = _eval_loop(test_loop, test_dataloader, test_evaluator, "test", TestLoop)
        self.optim_wrapper = optim_wrapper
        self.param_schedulers = list(param_schedulers)
        self.val_evaluator = val_evaluator
        self.test_evaluator = test_evaluator
        self.randomness = randomness
        self.load_from = load_from
        self.resume_requested = resume
        self.cfg = cfg
        self._given_hooks = list(hooks)  # in registration order, which names them
        self._set_hooks()  # first: a hook that does not fit fails before files are made
        self.state = TrainState()
        self.message_hub = MessageHub(window=max(100, self.log_processor.max_window))
        self.timestamp = time.strftime("%Y%m%d_%H%M%S", time.localtime())
        self.work_dir = Path(work_dir).resolve() if work_dir is not None else None
        self.log_dir: Path | None = None  # made when the first run starts, holding work_dir
        self.logger = make_logger(f"run{next(_run_ids)}", level)
        self._log_handler: logging.Handler | None = None
        self._written: set[Path] = set()  # checkpoints this runner wrote: it may replace them
        self._resumed_dir: Path | None = None  # where the checkpoint resumed from lies
        self._saver = ShardedSaver()  # a sharded model's saves (and the one in flight)

    def _open_log(self) -> None:
        """Open ``work_dir/<timestamp>/`` (once, main process) and log the seed and hooks."""
        if self.work_dir is not None and is_main_process() and self.log_dir is None:
            self.log_dir, self._log_handler = open_record(self, self.work_dir)
        log_start(self, self._table.format())

    # -- what hooks read --------------------------------------------------------------------

    @property
    def hooks(self) -> list[object]:
        """The hooks in the order they run (by priority, stably)."""
        return list(self._table.hooks)

    @property
    def hook_names(self) -> dict[str, object]:
        """The hooks by the names their checkpoint state is saved under."""
        return dict(zip(self._table.names, self._table.hooks, strict=True))

    # -- hooks ------------------------------------------------------------------------------

    # call_stage's arguments by keyword, as MMEngine's call_hook takes them (a **kwargs
    # signature would cost a dict each call); they are passed on by position.
    def call_hook(
        self,
        fn_name: str,
        /,
        *,
        batch_idx: Any = UNSET,
        data_batch: Any = None,
        outputs: Any = None,
        metrics: Any = None,
        checkpoint: Any = UNSET,
    ) -> None:
        """Call ``fn_name`` on every hook that implements it, in priority order.

        Takes the stage's arguments by name, as MMEngine's ``call_hook(fn_name, **kwargs)``
        does: ``batch_idx`` and ``data_batch`` (and ``outputs`` after an iteration),
        ``metrics`` or ``checkpoint``.

        Raises:
            ValueError: ``fn_name`` is not a stage.
            TypeError: The arguments are not those the stage passes.
            HookError: A hook raised (naming the hook and the stage).
        """
        try:
            stage = self._stages[fn_name]
        except KeyError:
            raise unknown_stage(fn_name) from None
        call_stage(stage, self, batch_idx, data_batch, outputs, metrics, checkpoint)

    def register_hook(self, hook: object, priority: int | str | None = None) -> None:
        """Add a hook (rebuilding the dispatch tables); ``priority`` replaces its own."""
        if priority is not None:
            setattr(hook, "priority", priority)  # noqa: B010  (any object can be a hook)
        self._given_hooks.append(hook)
        self._set_hooks()

    def _set_hooks(self) -> None:
        """Make the dispatch tables (hooks are named in the order they were registered)."""
        self._table = DispatchTable.from_hooks(self._given_hooks)
        self._stages: Mapping[str, Stage] = self._table.callers

    # -- running ----------------------------------------------------------------------------

    def train(self) -> nn.Module:
        """Train (after loading or resuming a checkpoint if asked); return the model.

        Raises:
            ConfigError: There is no train loop, training data or optimizer wrapper.
        """
        loop, dataloader, optim_wrapper = self.train_loop, self.train_dataloader, self.optim_wrapper
        if loop is None:
            raise ConfigError(f"cannot train without {PATH}", config_path="train_cfg")
        for key, value in (("train_dataloader", dataloader), ("optim_wrapper", optim_wrapper)):
            if value is None:
                raise ConfigError(f"cannot train without {PATH}", config_path=key)
        with self._run(hold=True):
            self._load_or_resume()
            validate = self._validate if self.val_loop is not None else None
            stop = StopRequest(loop=loop, distributed=self.distributed, halt=self._halt)
            context = TrainContext(
                self.model, dataloader, optim_wrapper, self.state, self.call_hook, validate, stop
            )
            with stop_on_signals(stop):
                try:
                    return loop.run(context)
                finally:
                    self._saver.wait()  # an asynchronous save is in place before the run ends

    def val(self) -> Metrics:
        """Validate once (after loading ``load_from``); return the metrics."""
        if self.val_loop is None:
            raise ConfigError(f"cannot validate without {PATH}", config_path="val_dataloader")
        with self._run():
            self._load_or_resume()
            return self._validate()

    def test(self) -> Metrics:
        """Test once (after loading ``load_from``); return the metrics."""
        loop = self.test_loop
        if loop is None:
            raise ConfigError(f"cannot test without {PATH}", config_path="test_dataloader")
        with self._run():
            self._load_or_resume()
            return loop.run(
                EvalContext(self.model, self.test_dataloader, self.test_evaluator, self.call_hook)
            )

    def _validate(self) -> Metrics:
        loop = self.val_loop
        if loop is None:
            raise ConfigError(f"cannot validate without {PATH}", config_path="val_dataloader")
        return loop.run(
            EvalContext(self.model, self.val_dataloader, self.val_evaluator, self.call_hook)
        )

    @contextmanager
    def _run(self, hold: bool = False) -> Iterator[None]:
        """Open the log and wrap the block in ``before_run``/``after_run``; with ``hold``
        (training: it writes checkpoints), hold the work dir first."""
        with ExitStack() as held:
            if hold and self.work_dir is not None:
                removed = held.enter_context(hold_work_dir(self.work_dir))
                for leftover in removed:
                    self.logger.info("removed %s, left by a save that was killed", leftover)
                self._refuse_to_overwrite(self.work_dir)  # before the log dir is made
            self._open_log()
            self.call_hook("before_run")
            try:
                yield
            finally:
                try:
                    self.call_hook("after_run")
                finally:
                    self.visualizer.close()  # its files reopen at the next record too
                    if self._log_handler is not None:
                        self._log_handler.close()  # reopened by the next record

    # -- checkpoints ------------------------------------------------------------------------

    def _load_or_resume(self) -> None:
        """Resume or load what was asked, once."""
        if self.resume_requested:
            resumed = checkpointing.resume_run(self, self.load_from)
            if resumed is not None:
                self._resumed_dir = resumed.parent
            self.resume_requested = False
        elif self.load_from is not None:
            self.load_checkpoint(self.load_from)
        self.load_from = None  # done: a second run does not load it again

    def _refuse_to_overwrite(self, work_dir: Path) -> None:
        """Stop a run before it overwrites checkpoints of another run in ``work_dir``: any
        run but one that resumes from that work dir (its own run, continued)."""
        source = self.load_from if self.resume_requested else None
        if self.resume_requested and source is None:
            return  # resumes from work_dir: from the newest checkpoint there, or from scratch
        resumed = Path(source).resolve() if source is not None else None
        if resumed is not None and resumed.parent == work_dir:
            return
        own = {*self._written, *([resumed] if resumed is not None else [])}
        decided_on_main(lambda: refuse_to_overwrite(work_dir, own))

    def _halt(self, signum: int) -> NoReturn:
        """Where training stops for a signal: save the position exactly, then raise."""
        path = None
        if self.work_dir is not None:  # every rank: a sharded model is saved by all
            name = f"iter_{self.state.iter}.pth"
            path = self.save_checkpoint(
                self.work_dir, name, meta={SIGNAL_CHECKPOINT: name}, by_epoch=None, latest=True
            )
        error = Interrupted(signum, path)
        self.logger.warning("%s", error)
        raise error

    def save_checkpoint(
        self,
        out_dir: str | os.PathLike[str],
        filename: str,
        *,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Mapping[str, Any] | None = None,
        by_epoch: bool | None = True,
        latest: bool = False,
        async_save: bool = False,
    ) -> Path:
        """Write a checkpoint of the run to ``out_dir/filename`` (atomically, checksummed).

        Every rank calls it (as MMEngine's does): rank 0 writes the file, or, for a model
        sharded with FSDP2, every rank writes its shards into the directory of that name
        (:mod:`runner.engine._sharded`). A file this runner did not write is never
        replaced, unless it lies where the checkpoint the run resumed from lies.

        Args:
            out_dir: The directory.
            filename: The file name (``epoch_3.pth``).
            save_optimizer: Include the optimizer state.
            save_param_scheduler: Include the parameter schedulers' states.
            meta: More values for ``checkpoint["meta"]`` (plain Python only).
            by_epoch: Called at the end of an epoch (True) or of an iteration (False), or
                between iterations (None); it decides the counters recorded, so that resuming
                continues right after that point.
            latest: Also record it as the newest in ``work_dir/last_checkpoint`` (in
                ``out_dir`` when the run has no ``work_dir``), which ``resume`` reads.
            async_save: A sharded checkpoint is written on a thread while training goes on
                (put in place when done; the next save or the end of training waits for it).

        Returns:
            The path written.

        Raises:
            CheckpointError: The file exists and may not be replaced, or cannot be written.
        """
        path = (Path(out_dir) / filename).resolve()
        overwrite = path in self._written or path.parent == self._resumed_dir
        written = checkpointing.save(
            self,
            path,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            overwrite=overwrite,
            latest_in=(self.work_dir or path.parent) if latest else None,
            saver=self._saver,
            async_save=async_save,
        )
        self._written.add(written.resolve())
        return written

    def load_checkpoint(
        self,
        filename: str | os.PathLike[str],
        map_location: str | torch.device = "cpu",
        strict: bool = False,
    ) -> dict[str, Any]:
        """Load the model weights of a checkpoint; return the checkpoint.

        Raises:
            CheckpointError: The file is missing, corrupt or unreadable with weights_only, or
                its weights do not fit the model (naming the keys).
        """
        return checkpointing.load_weights(self, filename, map_location, strict)

    def resume(self, filename: str | os.PathLike[str]) -> dict[str, Any]:
        """Restore weights, optimizer, schedulers, counters and hook states; return them.

        Raises:
            CheckpointError: The file is missing, corrupt or unreadable, or the model or the
                optimizer does not fit it (naming the keys).
        """
        checkpoint = read_any(Path(filename), config_path="resume")
        return checkpointing.restore(self, filename, checkpoint)


def _eval_loop(
    loop: EvalLoop | None, dataloader: Any, evaluator: Any, mode: str, default: type[EvalLoop]
) -> EvalLoop | None:
    given = {f"{mode}_dataloader": dataloader, f"{mode}_evaluator": evaluator}
    missing = [key for key, value in given.items() if value is None]
    if len(missing) == 1:
        present = next(key for key in given if key not in missing)
        raise ConfigError(
            f"{present!r} is given but {PATH} is not; give both or neither",
            config_path=missing[0],
        )
    if missing:
        if loop is not None:
            raise ConfigError(
                f"{PATH} is given without '{mode}_dataloader' and '{mode}_evaluator'",
                config_path=f"{mode}_cfg",
            )
        return None
    return loop if loop is not None else default()
