"""The engine: hooks and their dispatch, the loops, checkpoint files, and the runner that
drives built objects.

* :class:`Hook` (MMEngine's 22 stages), :class:`Priority`, :func:`get_priority`; hooks see
  the runner as a :class:`RunnerView`.
* :class:`DispatchTable` sorts hooks once and keeps, per stage, only those that implement it;
  :func:`call_stage` is the one function that calls a stage.
* Loops (``LOOPS``): :class:`EpochBasedTrainLoop`, :class:`IterBasedTrainLoop`,
  :class:`ValLoop`, :class:`TestLoop`, given what they drive when they run
  (:class:`TrainContext`, :class:`EvalContext`); counters in a :class:`TrainState`.
* Checkpoint files: :func:`save_checkpoint` (atomic), :func:`load_checkpoint`
  (``weights_only``).
* :class:`BaseRunner` receives built objects; it never builds one from a config (the app
  does: :class:`runner.Runner`).
"""

from ._checkpoint import (
    LAST_CHECKPOINT,
    CheckpointError,
    find_latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
    write_latest,
)
from ._dispatch import UNSET, DispatchTable, HookError, HookImpl, Stage, call_stage
from ._hook import STAGES, DataBatch, Hook, Priority, get_priority, hook_names
from ._logging import LOGGER_NAME, MessageHub, dump_config, scalars
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
from ._runner import BaseRunner
from ._signatures import HookSignatureError, check_hook
from ._view import RunnerView

__all__ = [
    "LAST_CHECKPOINT",
    "LOGGER_NAME",
    "STAGES",
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
    "IterBasedTrainLoop",
    "MessageHub",
    "Metrics",
    "Priority",
    "RunnerView",
    "Stage",
    "TestLoop",
    "TrainContext",
    "TrainLoop",
    "TrainState",
    "ValLoop",
    "call_stage",
    "check_hook",
    "dump_config",
    "find_latest_checkpoint",
    "get_priority",
    "hook_names",
    "load_checkpoint",
    "save_checkpoint",
    "scalars",
    "write_latest",
]
