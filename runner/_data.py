"""Samplers, collate functions and dataloaders from config, as in MMEngine.

:class:`DefaultSampler` gives each process its slice of a permutation that depends only on
the seed and the epoch, so a run is repeatable and a resumed run sees the same order;
:meth:`DefaultSampler.skip` makes the next pass start mid-epoch. :func:`build_dataloader`
builds a ``train_dataloader`` / ``val_dataloader`` section.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from container import BuildError, ConfigError, RegistryError, did_you_mean
from providers import describe_path, join_path

from ._dist import dist_info
from ._paths import build_at, mapping_section
from ._registries import DATA_SAMPLERS, DATASETS, FUNCTIONS

DEFAULT_SAMPLER: Mapping[str, Any] = {"type": "DefaultSampler", "shuffle": True}
"""The sampler of a dataloader config that names none."""

DEFAULT_COLLATE = "default_collate"
"""The collate function of a dataloader config that names none.

MMEngine's default is ``pseudo_collate``, which leaves batching to a data preprocessor;
regwire's models receive stacked tensors unless a config asks for ``pseudo_collate``.
"""

FUNCTIONS.register_module("default_collate", module=default_collate)


@FUNCTIONS.register_module()
def pseudo_collate(data_batch: Sequence[Any]) -> Any:
    """Collate a batch into lists, without stacking tensors.

    A batch of tuples becomes a list of per-field lists, a batch of dicts a dict of per-key
    lists (recursively); anything else is returned as a list.

    Example:
        >>> pseudo_collate([(1, "a"), (2, "b")])
        [[1, 2], ['a', 'b']]
        >>> pseudo_collate([{"x": 1}, {"x": 2}])
        {'x': [1, 2]}
    """
    first = data_batch[0]
    if isinstance(first, Mapping):
        return {key: pseudo_collate([item[key] for item in data_batch]) for key in first}
    if isinstance(first, Sequence) and not isinstance(first, str | bytes):
        if any(len(item) != len(first) for item in data_batch):
            raise ValueError("each element in the batch must have the same number of fields")
        return [pseudo_collate(list(field)) for field in zip(*data_batch, strict=True)]
    return list(data_batch)


def length_of(obj: object) -> int | None:
    """``len(obj)``, or None when it has none (a dataloader over an iterable dataset, say)."""
    if not isinstance(obj, Sized):
        return None
    try:
        return len(obj)
    except TypeError:
        return None


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


def _dataloader_keys() -> set[str]:
    return set(inspect.signature(DataLoader.__init__).parameters) - {"self"}


def resolve_collate_fn(cfg: Any, path: str) -> Callable[[Any], Any]:
    """Turn a ``collate_fn`` config into a function.

    Args:
        cfg: A name in ``FUNCTIONS`` (``pseudo_collate``), a mapping with ``type`` and
            keyword arguments to bind (built with ``_partial_: true``), a callable, or None
            (``default_collate``).
        path: Where ``cfg`` is in the config, for errors.

    Raises:
        RegistryError: The name is not in ``FUNCTIONS`` (the registry's error, with a
            suggestion).
        RegwireError: The keyword arguments do not fit the function.
        ConfigError: ``cfg`` has another shape.
    """
    if cfg is None:
        cfg = DEFAULT_COLLATE
    if isinstance(cfg, Mapping) and set(cfg) == {"type"}:
        cfg, path = cfg["type"], f"{path}.type"
    if callable(cfg):
        function: Callable[[Any], Any] = cfg
        return function
    if isinstance(cfg, str):
        found = FUNCTIONS.get(cfg)  # the plain function: it runs every batch
        if found is not None:
            return found
        node: Mapping[str, Any] = {"type": cfg}
    elif isinstance(cfg, Mapping):
        node = cfg
    else:
        raise ConfigError(
            f"{path!r} must be a function name such as 'pseudo_collate' or "
            f"{{type: ..., ...}}, got {cfg!r}",
            config_path=path,
        )
    try:
        bound: Callable[[Any], Any] = FUNCTIONS.build_at(path, {**node, "_partial_": True})
    except RegistryError as exc:
        if node is cfg:
            raise
        # a bare name is the value at ``path`` itself, not at ``path.type``
        typed = repr(describe_path(join_path(path, "type")))
        raise RegistryError(
            exc.message.replace(typed, repr(path), 1), config_path=path, source=exc.source
        ) from None
    return bound


def build_dataloader(
    cfg: Mapping[str, Any] | DataLoader[Any] | None,
    seed: int | None = None,
    section: str = "train_dataloader",
) -> DataLoader[Any] | None:
    """Build a dataloader from a ``*_dataloader`` config section.

    Args:
        cfg: ``{batch_size, dataset, sampler={type: DefaultSampler, shuffle: true},
            collate_fn=default_collate, num_workers=0, ...}``; other keys go to
            ``torch.utils.data.DataLoader``. ``dataset`` is a config for ``DATASETS`` or a
            ready dataset. The sampler is built with ``dataset=`` and ``seed=`` as defaults
            (a seed in the sampler config wins). A ready DataLoader is returned as it is,
            and None (no such section) as None.
        seed: The run's seed; also seeds the dataloader's workers (``seed + rank``), so
            random augmentations are repeatable.
        section: Where ``cfg`` sits in the whole config, for error messages.

    Returns:
        The dataloader, or None for None.

    Raises:
        ConfigError: A key is missing, unknown or malformed (the message names its path).
        RegwireError: Building the dataset or the sampler failed.
    """
    if cfg is None or isinstance(cfg, DataLoader):
        return cfg
    options = dict(mapping_section(cfg, section, "a mapping with batch_size and dataset"))
    for key in ("batch_size", "dataset"):
        if key not in options:
            raise ConfigError(f"{section!r} needs {key!r}", config_path=f"{section}.{key}")
    if "shuffle" in options:
        raise ConfigError(
            f"'{section}.shuffle': put shuffle in the sampler: "
            f"sampler: {{type: DefaultSampler, shuffle: {options['shuffle']}}}",
            config_path=f"{section}.shuffle",
        )
    allowed = _dataloader_keys() - {"sampler", "shuffle", "generator"}
    unknown = sorted(set(options) - allowed - {"sampler", "dataset", "collate_fn"})
    if unknown:
        key = unknown[0]
        raise ConfigError(
            f"'{section}.{key}' is not a dataloader option{did_you_mean(key, allowed)}",
            config_path=f"{section}.{key}",
        )
    dataset = _build_dataset(options.pop("dataset"), f"{section}.dataset")
    sampler_cfg = options.pop("sampler", None) or DEFAULT_SAMPLER
    sampler = build_at(DATA_SAMPLERS, sampler_cfg, f"{section}.sampler", dataset=dataset, seed=seed)
    collate_fn = resolve_collate_fn(options.pop("collate_fn", None), f"{section}.collate_fn")
    generator = None
    if seed is not None:
        rank, _ = dist_info()
        generator = torch.Generator().manual_seed(seed + rank)
    try:
        return DataLoader(
            dataset, sampler=sampler, collate_fn=collate_fn, generator=generator, **options
        )
    except (TypeError, ValueError) as exc:
        raise BuildError(
            f"could not build {section!r} (torch DataLoader): {type(exc).__name__}: {exc}",
            config_path=section,
        ) from exc


def _build_dataset(cfg: Any, path: str) -> Dataset[Any]:
    if isinstance(cfg, Mapping):
        if "type" not in cfg:
            raise ConfigError(f"{path!r} needs a 'type' (a registered dataset)", config_path=path)
        built = build_at(DATASETS, cfg, path)
    else:
        built = cfg
    if not (hasattr(built, "__getitem__") and hasattr(built, "__len__")):
        raise ConfigError(
            f"{path!r} must be a dataset (with __getitem__ and __len__), got {built!r}",
            config_path=path,
        )
    dataset: Dataset[Any] = built
    return dataset
