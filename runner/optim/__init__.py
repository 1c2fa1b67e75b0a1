"""Optimization, usable without a Runner: optimizer wrappers, their constructors, and
parameter schedulers.

:class:`OptimWrapper` does backward, gradient accumulation, clipping and the optimizer step
for a model's ``train_step``; :class:`AmpOptimWrapper` adds mixed precision, and
:class:`OptimWrapperDict` holds several wrappers by name. ``optim_wrapper.constructor`` names
the class of ``OPTIM_WRAPPER_CONSTRUCTORS`` that builds them
(:class:`DefaultOptimWrapperConstructor`, with ``paramwise_cfg``); every ``torch.optim``
optimizer is registered in ``OPTIMIZERS``.
Parameter schedulers have MMEngine's names and semantics, step for step: the generic
``*ParamScheduler`` family schedules any parameter-group key (``param_name``), the ``*LR``
classes the learning rate, the ``*Momentum`` classes SGD's momentum or Adam's first beta;
each runs from step ``begin`` to ``end``. :func:`build_optim_wrapper` and
:func:`build_param_schedulers` build the config sections.
"""

from ._amp import AMP_DTYPES, AmpOptimWrapper, amp_dtype_problem, amp_loss_scale_problem
from ._builders import (
    build_param_schedulers,
    build_scheduler_from_cfg,
    check_window_cfg,
    load_scheduler_states,
    per_optimizer,
)
from ._checks import optim_config_problems, optim_wrapper_problems, param_scheduler_problems
from ._constructors import (
    DefaultOptimWrapperConstructor,
    MultiOptimWrapperConstructor,
    build_optim_wrapper,
    wrapper_names,
)
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
from ._paramwise import PARAMWISE_KEYS, ParamGroups, paramwise_problems
from ._plateau import PLATEAU_CHOICES, ReduceOnPlateauParamScheduler
from ._scale_lr import auto_scale_lr_problems, scale_lr
from ._schedules import (
    ConstantParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)
from ._wrapper_dict import OptimWrapperDict

__all__ = [
    "AMP_DTYPES",
    "INF",
    "NO_CONTEXT",
    "PARAMWISE_KEYS",
    "PLATEAU_CHOICES",
    "TORCH_OPTIMIZERS",
    "AmpOptimWrapper",
    "ConstantLR",
    "ConstantMomentum",
    "ConstantParamScheduler",
    "CosineAnnealingLR",
    "CosineAnnealingMomentum",
    "CosineAnnealingParamScheduler",
    "CosineRestartLR",
    "CosineRestartMomentum",
    "CosineRestartParamScheduler",
    "DefaultOptimWrapperConstructor",
    "ExponentialLR",
    "ExponentialMomentum",
    "ExponentialParamScheduler",
    "LRSchedulerMixin",
    "LinearLR",
    "LinearMomentum",
    "LinearParamScheduler",
    "MomentumSchedulerMixin",
    "MultiOptimWrapperConstructor",
    "MultiStepLR",
    "MultiStepMomentum",
    "MultiStepParamScheduler",
    "OneCycleLR",
    "OneCycleParamScheduler",
    "OptimWrapper",
    "OptimWrapperDict",
    "ParamGroups",
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
    "amp_dtype_problem",
    "amp_loss_scale_problem",
    "auto_scale_lr_problems",
    "build_optim_wrapper",
    "build_param_schedulers",
    "build_scheduler_from_cfg",
    "check_clip_grad",
    "check_window_cfg",
    "load_scheduler_states",
    "optim_config_problems",
    "optim_wrapper_problems",
    "param_scheduler_problems",
    "paramwise_problems",
    "per_optimizer",
    "scale_lr",
    "set_grads_to_none",
    "unwrap_optimizer",
    "wrapper_names",
]
