"""The default and optional hooks, registered in ``HOOKS`` (``default_hooks`` and
``custom_hooks`` in a config), and the averaged models of ``EMAHook`` (in ``MODELS``)."""

from ._averaged import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from ._checkpoint import CheckpointHook
from ._early_stopping import EarlyStoppingHook
from ._ema import EMAHook
from ._empty_cache import EmptyCacheHook
from ._invalid_loss import CheckInvalidLossHook, InvalidLossError
from ._logger import LoggerHook
from ._param_scheduler import ParamSchedulerHook
from ._profiler import ProfilerHook
from ._progress import ProgressBarHook
from ._runtime_info import RuntimeInfoHook
from ._sampler_seed import DistSamplerSeedHook
from ._timer import IterTimerHook

__all__ = [
    "BaseAveragedModel",
    "CheckInvalidLossHook",
    "CheckpointHook",
    "DistSamplerSeedHook",
    "EMAHook",
    "EarlyStoppingHook",
    "EmptyCacheHook",
    "ExponentialMovingAverage",
    "InvalidLossError",
    "IterTimerHook",
    "LoggerHook",
    "MomentumAnnealingEMA",
    "ParamSchedulerHook",
    "ProfilerHook",
    "ProgressBarHook",
    "RuntimeInfoHook",
    "StochasticWeightAverage",
]
