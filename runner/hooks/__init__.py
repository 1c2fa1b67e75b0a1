"""The default hooks, registered in ``HOOKS`` (``default_hooks`` in a config)."""

from ._checkpoint import CheckpointHook
from ._invalid_loss import CheckInvalidLossHook, InvalidLossError
from ._logger import LoggerHook
from ._param_scheduler import ParamSchedulerHook
from ._runtime_info import RuntimeInfoHook
from ._sampler_seed import DistSamplerSeedHook
from ._timer import IterTimerHook

__all__ = [
    "CheckInvalidLossHook",
    "CheckpointHook",
    "DistSamplerSeedHook",
    "InvalidLossError",
    "IterTimerHook",
    "LoggerHook",
    "ParamSchedulerHook",
    "RuntimeInfoHook",
]
