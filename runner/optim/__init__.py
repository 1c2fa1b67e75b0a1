"""Optimization, usable without a Runner: the optimizer wrapper and parameter schedulers.

:class:`OptimWrapper` does backward, gradient accumulation, clipping and the optimizer step
for a model's ``train_step``; every ``torch.optim`` optimizer is registered in ``OPTIMIZERS``.
Schedulers (MMEngine's names) run from step ``begin`` to ``end``. :func:`build_optim_wrapper`
and :func:`build_param_schedulers` build the config sections.
"""

from ._builders import build_optim_wrapper, build_param_schedulers
from ._optim_wrapper import (
    NO_CONTEXT,
    TORCH_OPTIMIZERS,
    OptimWrapper,
    check_clip_grad,
    set_grads_to_none,
)
from ._scheduler import (
    INF,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    ParamScheduler,
    PolyLR,
    StepLR,
    unwrap_optimizer,
)

__all__ = [
    "INF",
    "NO_CONTEXT",
    "TORCH_OPTIMIZERS",
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "OptimWrapper",
    "ParamScheduler",
    "PolyLR",
    "StepLR",
    "build_optim_wrapper",
    "build_param_schedulers",
    "check_clip_grad",
    "set_grads_to_none",
    "unwrap_optimizer",
]
