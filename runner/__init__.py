"""regwire's training layer: hooks, loops, the Runner and the training container.

Train from a config file (``regwire train CONFIG``, see :mod:`runner.cli`) or from Python::

    from container import Config
    from runner import Runner

    runner = Runner.from_cfg(Config.fromfile("examples/digits/cnn.yaml"))
    runner.train()

The pieces, each usable alone:

* :class:`Hook` (MMEngine's 22 stages), :class:`Priority`, :func:`get_priority`;
  :class:`DispatchTable` sorts hooks once and keeps, per stage, only those that implement it.
* Loops (``LOOPS``): :class:`EpochBasedTrainLoop`, :class:`IterBasedTrainLoop`,
  :class:`ValLoop`, :class:`TestLoop`. They are built from ``train_cfg``/``val_cfg``/
  ``test_cfg`` alone and receive what they drive (:class:`TrainContext`,
  :class:`EvalContext`) when they run; their counters live in a :class:`TrainState`.
* :class:`Runner` receives built objects; ``work_dir=None`` writes nothing.
* :class:`TrainingContainer` (dependency-injector) builds them from a config; override a
  value (``app.config.optim_wrapper.optimizer.lr.override(0.01)``) or a component
  (``app.model.override(providers.Object(model))``), or subclass it.
* Checkpoints: :func:`save_checkpoint` (atomic), :func:`load_checkpoint` (``weights_only``);
  :func:`set_random_seed` for repeatable runs.
* Default hooks (``HOOKS``): :class:`IterTimerHook`, :class:`DistSamplerSeedHook`,
  :class:`LoggerHook`, :class:`ParamSchedulerHook`, :class:`CheckpointHook`
  (:data:`DEFAULT_HOOKS`, :func:`build_hooks`); :class:`RuntimeInfoHook` on request.
"""

from ._app import DEFAULT_HOOKS, TrainingContainer, build_hooks
from ._checkpoint import CheckpointError, find_latest_checkpoint, load_checkpoint, save_checkpoint
from ._data import (
    DefaultSampler,
    InfiniteSampler,
    build_dataloader,
    pseudo_collate,
    skip_batches,
)
from ._dispatch import DispatchTable, HookError, HookSignatureError
from ._evaluation import Accuracy, BaseMetric, Evaluator, build_evaluator
from ._hook import STAGES, Hook, Priority, get_priority
from ._logging import MessageHub
from ._loops import (
    EpochBasedTrainLoop,
    EvalContext,
    IterBasedTrainLoop,
    TestLoop,
    TrainContext,
    TrainState,
    ValLoop,
)
from ._model import BaseModel
from ._optim import OptimWrapper, build_optim_wrapper
from ._random import Randomness, set_random_seed
from ._registries import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    HOOKS,
    LOOPS,
    METRICS,
    MODELS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    REGISTRIES,
    ROOT,
    TRANSFORMS,
)
from ._runner import Runner
from ._scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    ParamScheduler,
    PolyLR,
    StepLR,
    build_param_schedulers,
)
from ._wrappers import DistributedModel
from .hooks import (
    CheckpointHook,
    DistSamplerSeedHook,
    IterTimerHook,
    LoggerHook,
    ParamSchedulerHook,
    RuntimeInfoHook,
)

__all__ = [
    "DATASETS",
    "DATA_SAMPLERS",
    "DEFAULT_HOOKS",
    "EVALUATOR",
    "FUNCTIONS",
    "HOOKS",
    "LOOPS",
    "METRICS",
    "MODELS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "PARAM_SCHEDULERS",
    "REGISTRIES",
    "ROOT",
    "STAGES",
    "TRANSFORMS",
    "Accuracy",
    "BaseMetric",
    "BaseModel",
    "CheckpointError",
    "CheckpointHook",
    "ConstantLR",
    "CosineAnnealingLR",
    "DefaultSampler",
    "DispatchTable",
    "DistSamplerSeedHook",
    "DistributedModel",
    "EpochBasedTrainLoop",
    "EvalContext",
    "Evaluator",
    "ExponentialLR",
    "Hook",
    "HookError",
    "HookSignatureError",
    "InfiniteSampler",
    "IterBasedTrainLoop",
    "IterTimerHook",
    "LinearLR",
    "LoggerHook",
    "MessageHub",
    "MultiStepLR",
    "OneCycleLR",
    "OptimWrapper",
    "ParamScheduler",
    "ParamSchedulerHook",
    "PolyLR",
    "Priority",
    "Randomness",
    "Runner",
    "RuntimeInfoHook",
    "StepLR",
    "TestLoop",
    "TrainContext",
    "TrainState",
    "TrainingContainer",
    "ValLoop",
    "build_dataloader",
    "build_evaluator",
    "build_hooks",
    "build_optim_wrapper",
    "build_param_schedulers",
    "find_latest_checkpoint",
    "get_priority",
    "load_checkpoint",
    "pseudo_collate",
    "save_checkpoint",
    "set_random_seed",
    "skip_batches",
]
