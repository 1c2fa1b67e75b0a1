"""regwire's training layer: hooks, loops, the Runner and the training container."""

from ._data import (
    DefaultSampler,
    InfiniteSampler,
    build_dataloader,
    pseudo_collate,
    skip_batches,
)
from ._dispatch import HookError, HookSignatureError
from ._evaluation import Accuracy, BaseMetric, Evaluator, build_evaluator
from ._hook import Hook, Priority, get_priority
from ._model import BaseModel
from ._optim import OptimWrapper, build_optim_wrapper
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

__all__ = [
    "DATASETS",
    "DATA_SAMPLERS",
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
    "TRANSFORMS",
    "Accuracy",
    "BaseMetric",
    "BaseModel",
    "DefaultSampler",
    "Evaluator",
    "Hook",
    "HookError",
    "HookSignatureError",
    "InfiniteSampler",
    "OptimWrapper",
    "Priority",
    "build_dataloader",
    "build_evaluator",
    "build_optim_wrapper",
    "get_priority",
    "pseudo_collate",
    "skip_batches",
]
