"""The process a run is in: joining torchrun's process group, its rank, and its seed.

Usable without a Runner. ``launcher: pytorch`` calls :func:`init_dist`; components ask
:func:`dist_info` for their rank and the world size (``0, 1`` outside torch.distributed).
"""

from ._process_group import (
    LAUNCHERS,
    backend_problem,
    dist_info,
    init_dist,
    is_main_process,
    shutdown_dist,
)
from ._random import MAX_SEED, Randomness, set_random_seed

__all__ = [
    "backend_problem",
    "LAUNCHERS",
    "MAX_SEED",
    "Randomness",
    "dist_info",
    "init_dist",
    "is_main_process",
    "set_random_seed",
    "shutdown_dist",
]
