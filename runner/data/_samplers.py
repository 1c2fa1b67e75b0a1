"""Samplers that make a run repeatable and resumable, as in MMEngine.

:class:`DefaultSampler` gives each process its slice of a permutation that depends only on
the seed and the epoch, so a run is repeatable and a resumed run sees the same order;
:meth:`DefaultSampler.skip` makes the next pass start mid-epoch. :class:`InfiniteSampler`
streams indices for iteration-based training.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sized
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from .._registries import DATA_SAMPLERS
from ..dist import dist_info


def set_epoch(dataloader: object, epoch: int) -> None:
    """Call ``set_epoch(epoch)`` on the dataloader's sampler and batch sampler, where they
    have one (so a seeded sampler shuffles differently, and reproducibly, every epoch)."""
    for part in (getattr(dataloader, "sampler", None), getattr(dataloader, "batch_sampler", None)):
        method = getattr(part, "set_epoch", None)
        if method is not None:
            method(epoch)


def sync_random_seed() -> int:
    """A random seed, the same in every process (rank 0's is broadcast)."""
    seed = [int(torch.randint(2**31, (1,)).item())]
    if dist_info()[1] > 1:
        dist.broadcast_object_list(seed, src=0)
    return seed[0]


def _rank_and_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
    default_rank, default_world = dist_info()
    rank = default_rank if rank is None else rank
    world_size = default_world if world_size is None else world_size
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need 0 <= rank < world_size, got rank={rank}, world_size={world_size}")
    return rank, world_size


class _ProcessShare(Sampler[int]):
    """What both samplers share: the dataset, a seed every process agrees on, this
    process's rank among ``world_size``, and the samples the next pass leaves out."""

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool,
        seed: int | None,
        rank: int | None,
        world_size: int | None,
    ) -> None:
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.rank, self.world_size = _rank_and_world(rank, world_size)
        self._skip = 0

    def skip(self, num_samples: int) -> None:
        """Make the next pass leave out its first ``num_samples`` indices (a mid-epoch resume).

        Args:
            num_samples: How many of this process's samples were already consumed (batches
                done times the batch size).
        """
        if num_samples < 0:
            raise ValueError(f"num_samples must be >= 0, got {num_samples}")
        self._skip = num_samples


@DATA_SAMPLERS.register_module()
class DefaultSampler(_ProcessShare):
    """Each process's share of the dataset, in an order fixed by the seed and the epoch.

    Epoch ``e`` is ordered by ``torch.randperm`` with a generator seeded ``seed + e`` (or in
    dataset order without ``shuffle``). Process ``rank`` takes every ``world_size``-th index
    from position ``rank``.

    Args:
        dataset: The dataset (only its length is used).
        shuffle: Permute the indices each epoch.
        seed: The seed of the permutations; random (the same in every process) when None.
        round_up: Repeat indices so every process gets as many (``ceil(len / world_size)``);
            otherwise the processes split exactly the dataset.
        rank: This process's rank; from torch.distributed when None.
        world_size: The number of processes; from torch.distributed when None.
    """

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: int | None = None,
        round_up: bool = True,
        *,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        super().__init__(dataset, shuffle, seed, rank, world_size)
        self.round_up = round_up
        self.epoch = 0
        size = len(dataset)
        if round_up:
            self.num_samples = math.ceil(size / self.world_size)
            self.total_size = self.num_samples * self.world_size
        else:
            self.num_samples = math.ceil(max(size - self.rank, 0) / self.world_size)
            self.total_size = size

    def indices(self) -> list[int]:
        """All of this process's indices for the current epoch, ignoring :meth:`skip`."""
        size = len(self.dataset)
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order: list[int] = torch.randperm(size, generator=generator).tolist()
        else:
            order = list(range(size))
        if self.round_up and size:
            order = (order * math.ceil(self.total_size / size))[: self.total_size]
        return order[self.rank : self.total_size : self.world_size]

    def __iter__(self) -> Iterator[int]:
        indices = self.indices()[self._skip :]
        self._skip = 0  # only the pass after a resume starts late
        return iter(indices)

    def __len__(self) -> int:
        """The number of indices of this process per epoch (a skipped pass yields fewer)."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` from the next pass on."""
        self.epoch = epoch

    def state_dict(self) -> dict[str, int]:
        """The seed, the epoch and the samples to skip."""
        return {"seed": self.seed, "epoch": self.epoch, "skip": self._skip}

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        """Restore :meth:`state_dict`'s values."""
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        self._skip = int(state.get("skip", 0))


# Its arguments repeat DefaultSampler's (MMEngine's signatures, documented on each); what
# the two do with them is shared in _ProcessShare.
@DATA_SAMPLERS.register_module()
class InfiniteSampler(_ProcessShare):
    """An endless stream of indices for iteration-based training.

    Permutation after permutation (seeded ``seed``, ``seed + 1``, ...), each process taking
    every ``world_size``-th index; the stream never ends, so a dataloader over it never
    restarts.

    Args:
        dataset: The dataset (only its length is used).
        shuffle: Permute each pass over the data.
        seed: The seed; random (the same in every process) when None.
        rank: This process's rank; from torch.distributed when None.
        world_size: The number of processes; from torch.distributed when None.
    """

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: int | None = None,
        *,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        super().__init__(dataset, shuffle, seed, rank, world_size)

    def _stream(self) -> Iterator[int]:
        size = len(self.dataset)
        for turn in itertools.count():
            if self.shuffle:
                generator = torch.Generator().manual_seed(self.seed + turn)
                yield from torch.randperm(size, generator=generator).tolist()
            else:
                yield from range(size)

    def __iter__(self) -> Iterator[int]:
        start, self._skip = self.rank + self._skip * self.world_size, 0
        return itertools.islice(self._stream(), start, None, self.world_size)

    def __len__(self) -> int:
        """The length of the dataset (the stream itself has no end)."""
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Does nothing: the stream has no epochs."""


class CannotSkip(TypeError):
    """A dataloader's sampler cannot skip samples (the batches must be drawn and dropped)."""


def skip_batches(dataloader: Iterable[Any], num_batches: int) -> None:
    """Make the next pass over ``dataloader`` start after ``num_batches`` batches.

    Used when resuming in the middle of an epoch: the sampler skips the samples of the
    batches already trained on, so the rest of the epoch is what an uninterrupted run sees.

    Raises:
        CannotSkip: The dataloader's sampler has no ``skip`` method, or the dataloader has
            no ``batch_size`` (a batch sampler's batches cannot be counted in samples).
    """
    sampler = getattr(dataloader, "sampler", None)
    skip = getattr(sampler, "skip", None)
    batch_size = getattr(dataloader, "batch_size", None)
    if not callable(skip) or not batch_size:
        raise CannotSkip(f"the sampler {type(sampler).__name__} cannot resume mid-epoch")
    skip(num_batches * batch_size)
