"""The momentum schedulers (MMEngine's ``*Momentum``): the generic schedules of SGD's
``momentum``, or of the first of ``betas`` for Adam-like optimizers.

For an optimizer with ``betas``, the groups get a ``momentum`` key (the first beta), which is
scheduled and copied back into ``betas`` after each step, as MMEngine does.
"""

from __future__ import annotations

from typing import Any

from .._registries import PARAM_SCHEDULERS
from ._cosine import CosineAnnealingParamScheduler, CosineRestartParamScheduler
from ._param_scheduler import ParamScheduler, unwrap_optimizer, without_param_name
from ._plateau import ReduceOnPlateauParamScheduler
from ._schedules import (
    ConstantParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)


class MomentumSchedulerMixin(ParamScheduler):
    """Fixes ``param_name`` to ``momentum`` (Adam's first beta where the optimizer has
    ``betas``); put it first among the bases of a schedule class.

    Raises:
        ValueError: The optimizer has neither ``momentum`` nor ``betas``.
    """

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        inner = unwrap_optimizer(optimizer)
        self.use_betas = False
        if "momentum" not in inner.defaults:
            if "betas" not in inner.defaults:
                raise ValueError(
                    f"{type(inner).__name__}'s parameter groups have neither momentum nor "
                    "betas to schedule (use an optimizer such as SGD or Adam)"
                )
            self.use_betas = True
            for group in inner.param_groups:
                group["momentum"] = group["betas"][0]
        super().__init__(optimizer, "momentum", *args, **kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        without_param_name(cls, MomentumSchedulerMixin)

    def _after_update(self) -> None:
        if self.use_betas:
            for group in self.optimizer.param_groups:
                group["betas"] = (group["momentum"], group["betas"][1])


@PARAM_SCHEDULERS.register_module()
class ConstantMomentum(MomentumSchedulerMixin, ConstantParamScheduler):
    """:class:`ConstantParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class LinearMomentum(MomentumSchedulerMixin, LinearParamScheduler):
    """:class:`LinearParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class StepMomentum(MomentumSchedulerMixin, StepParamScheduler):
    """:class:`StepParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class MultiStepMomentum(MomentumSchedulerMixin, MultiStepParamScheduler):
    """:class:`MultiStepParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class ExponentialMomentum(MomentumSchedulerMixin, ExponentialParamScheduler):
    """:class:`ExponentialParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingMomentum(MomentumSchedulerMixin, CosineAnnealingParamScheduler):
    """:class:`CosineAnnealingParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class PolyMomentum(MomentumSchedulerMixin, PolyParamScheduler):
    """:class:`PolyParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class CosineRestartMomentum(MomentumSchedulerMixin, CosineRestartParamScheduler):
    """:class:`CosineRestartParamScheduler` of the momentum."""


@PARAM_SCHEDULERS.register_module()
class ReduceOnPlateauMomentum(MomentumSchedulerMixin, ReduceOnPlateauParamScheduler):
    """:class:`ReduceOnPlateauParamScheduler` of the momentum."""
