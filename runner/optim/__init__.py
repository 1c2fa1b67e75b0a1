"""Optimization, usable without a Runner: the optimizer wrapper and parameter schedulers.

:class:`OptimWrapper` does backward, gradient accumulation, clipping and the optimizer step
for a model's ``train_step``; every ``torch.optim`` optimizer is registered in ``OPTIMIZERS``.
Parameter schedulers have MMEngine's names and semantics, step for step: the generic
``*ParamScheduler`` family schedules any parameter-group key (``param_name``), the ``*LR``
classes the learning rate, the ``*Momentum`` classes SGD's momentum or Adam's first beta;
each runs from step ``begin`` to ``end``. :func:`build_optim_wrapper` and
:func:`build_param_schedulers` build the config sections.
"""

from ._builders import (
    build_optim_wrapper,
    build_param_schedulers,
    check_window_cfg,
    per_optimizer,
)
from ._checks import param_name_problems, scheduler_entry_problems
from ._cosine import (
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    OneCycleParamScheduler,
)
from ._lr import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    LRSchedulerMixin,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    ReduceOnPlateauLR,
    StepLR,
)
from ._momentum import (
    ConstantMomentum,
    CosineAnnealingMomentum,
    CosineRestartMomentum,
    ExponentialMomentum,
    LinearMomentum,
    MomentumSchedulerMixin,
    MultiStepMomentum,
    PolyMomentum,
    ReduceOnPlateauMomentum,
    StepMomentum,
)
from ._optim_wrapper import (
    NO_CONTEXT,
    TORCH_OPTIMIZERS,
    OptimWrapper,
    check_clip_grad,
    set_grads_to_none,
)
from ._param_scheduler import INF, ParamScheduler, unwrap_optimizer
from ._plateau import PLATEAU_CHOICES, ReduceOnPlateauParamScheduler
from ._schedules import (
    ConstantParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)

__all__ = [
    "INF",
    "NO_CONTEXT",
    "PLATEAU_CHOICES",
    "TORCH_OPTIMIZERS",
    "ConstantLR",
    "ConstantMomentum",
    "ConstantParamScheduler",
    "CosineAnnealingLR",
    "CosineAnnealingMomentum",
    "CosineAnnealingParamScheduler",
    "CosineRestartLR",
    "CosineRestartMomentum",
    "CosineRestartParamScheduler",
    "ExponentialLR",
    "ExponentialMomentum",
    "ExponentialParamScheduler",
    "LRSchedulerMixin",
    "LinearLR",
    "LinearMomentum",
    "LinearParamScheduler",
    "MomentumSchedulerMixin",
    "MultiStepLR",
    "MultiStepMomentum",
    "MultiStepParamScheduler",
    "OneCycleLR",
    "OneCycleParamScheduler",
    "OptimWrapper",
    "ParamScheduler",
    "PolyLR",
    "PolyMomentum",
    "PolyParamScheduler",
    "ReduceOnPlateauLR",
    "ReduceOnPlateauMomentum",
    "ReduceOnPlateauParamScheduler",
    "StepLR",
    "StepMomentum",
    "StepParamScheduler",
    "build_optim_wrapper",
    "build_param_schedulers",
    "check_clip_grad",
    "check_window_cfg",
    "param_name_problems",
    "per_optimizer",
    "scheduler_entry_problems",
    "set_grads_to_none",
    "unwrap_optimizer",
]
