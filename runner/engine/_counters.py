"""The runner's read-only counters and process facts, as hooks read them (``runner.epoch``...).

A base of :class:`~runner.engine.BaseRunner`, kept apart so the runner class stays about
running; it reads the runner's ``state`` (a :class:`TrainState`) and ``randomness``.
"""

from __future__ import annotations

from ..dist import Randomness, dist_info
from ._loops import TrainState


class RunCounters:
    """``epoch``, ``iter``, ``inner_iter``, ``max_epochs``, ``max_iters`` (from ``state``),
    ``rank``, ``world_size``, ``distributed`` and ``seed``."""

    state: TrainState
    randomness: Randomness | None

    @property
    def epoch(self) -> int:
        return self.state.epoch

    @property
    def iter(self) -> int:
        return self.state.iter

    @property
    def inner_iter(self) -> int:
        return self.state.inner_iter

    @property
    def max_epochs(self) -> int:
        return self.state.max_epochs

    @property
    def max_iters(self) -> int:
        return self.state.max_iters

    @property
    def rank(self) -> int:
        """This process's rank (0 without torch.distributed)."""
        return dist_info()[0]

    @property
    def world_size(self) -> int:
        """The number of processes (1 without torch.distributed)."""
        return dist_info()[1]

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def seed(self) -> int | None:
        return None if self.randomness is None else self.randomness.seed
