"""The engine: hooks and their dispatch, the loops, checkpoint files, and the runner that
drives built objects.

* :class:`Hook` (MMEngine's 22 stages), :class:`Priority`, :func:`get_priority`; hooks see
  the runner as a :class:`RunnerView`.
* :class:`DispatchTable` sorts hooks once and keeps, per stage, only those that implement it;
  :func:`call_stage` is the one function that calls a stage.
* Loops (``LOOPS``): :class:`EpochBasedTrainLoop`, :class:`IterBasedTrainLoop`,
  :class:`ValLoop`, :class:`TestLoop`, given what they drive when they run
  (:class:`TrainContext`, :class:`EvalContext`); counters in a :class:`TrainState`.
* Checkpoint files: :func:`save_checkpoint` (atomic, with a checksum),
  :func:`load_checkpoint` (verified, ``weights_only``); resuming from the newest good one
  (:func:`newest_good_checkpoint`); sharded checkpoints of an FSDP2 model (a directory
  written by every rank with torch.distributed.checkpoint) and :func:`convert_checkpoint`;
  one run per work dir (``.regwire.lock``); stopping cleanly on a signal
  (:class:`Interrupted`).
* :class:`BaseRunner` receives built objects; it never builds one from a config (the app
  does: :class:`runner.Runner`).
"""

from ._checkpoint import (
    LAST_CHECKPOINT,
    CheckpointError,
    find_latest_checkpoint,
    load_checkpoint,
    read_pointer,
    remove_leftovers,
    save_checkpoint,
    verify_checkpoint,
    write_latest,
)
from ._convert import convert_checkpoint
from ._dispatch import UNSET, DispatchTable, HookError, HookImpl, Stage, call_stage
from ._hook import STAGES, DataBatch, Hook, Priority, get_priority, hook_names
from ._log_processor import LogProcessor
from ._logging import (
    LOGGER_NAME,
    console_handler,
    current_logger,
    dump_config,
    is_scalar,
    print_log,
    scalars,
)
from ._loops import (
    EpochBasedTrainLoop,
    EvalContext,
    EvalLoop,
    IterBasedTrainLoop,
    Metrics,
    TestLoop,
    TrainContext,
    TrainLoop,
    TrainState,
    ValLoop,
)
from ._message_hub import MessageHub, ScalarHistory
from ._preemption import STOP_SIGNALS, Interrupted
from ._resume import newest_good_checkpoint
from ._runner import SIGNAL_CHECKPOINT, BaseRunner
from ._sharded import RUNNER_STATE, ShardedSaver
from ._signatures import HookSignatureError, check_hook
from ._view import RunnerView
from ._workdir import LOCK_FILE, WorkDirBusyError, clean_out_dir

__all__ = [
    "LAST_CHECKPOINT",
    "LOCK_FILE",
    "LOGGER_NAME",
    "RUNNER_STATE",
    "SIGNAL_CHECKPOINT",
    "STAGES",
    "STOP_SIGNALS",
    "UNSET",
    "BaseRunner",
    "CheckpointError",
    "DataBatch",
    "DispatchTable",
    "EpochBasedTrainLoop",
    "EvalContext",
    "EvalLoop",
    "Hook",
    "HookError",
    "HookImpl",
    "HookSignatureError",
    "Interrupted",
    "IterBasedTrainLoop",
    "LogProcessor",
    "MessageHub",
    "Metrics",
    "Priority",
    "RunnerView",
    "ScalarHistory",
    "ShardedSaver",
    "Stage",
    "TestLoop",
    "TrainContext",
    "TrainLoop",
    "TrainState",
    "ValLoop",
    "WorkDirBusyError",
    "call_stage",
    "check_hook",
    "clean_out_dir",
    "console_handler",
    "convert_checkpoint",
    "current_logger",
    "dump_config",
    "find_latest_checkpoint",
    "get_priority",
    "hook_names",
    "is_scalar",
    "load_checkpoint",
    "newest_good_checkpoint",
    "print_log",
    "read_pointer",
    "remove_leftovers",
    "save_checkpoint",
    "scalars",
    "verify_checkpoint",
    "write_latest",
]
