"""Dataset wrappers, as MMEngine has them: concatenate, repeat, balance the classes.

Each takes datasets or their configs (built with ``DATASETS``), shares their metainfo, and,
like :class:`~runner.data.BaseDataset`, loads them when first needed if ``lazy_init``. Take
subsets of the wrapped datasets, not of a wrapper: what a subset of a repeated or balanced
dataset means is ambiguous, so ``get_subset`` raises, as in MMEngine.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from torch.utils.data import ConcatDataset as TorchConcatDataset
from torch.utils.data import Dataset

from .._registries import DATASETS
from ._annotations import DatasetArgumentError

_NEEDED = ("metainfo", "full_init", "get_data_info", "__getitem__", "__len__")
"""What a wrapper uses of the datasets it wraps (a BaseDataset or another wrapper has all)."""


def _dataset(item: Any, key: str) -> Any:
    """A dataset given to a wrapper at ``key``: built from its config, or checked."""
    if isinstance(item, Mapping):
        return DATASETS.build_at(key, item)
    missing = [name for name in _NEEDED if not hasattr(item, name)]
    if missing:
        raise TypeError(
            f"{key} must be a dataset config or a BaseDataset (or a wrapper of one), got "
            f"{item!r}, which has no {', '.join(missing)}"
        )
    return item


class _Wrapper(Dataset[Any]):
    """What the wrappers share: metainfo, lazy loading, and no subsets."""

    _metainfo: dict[str, Any]
    _fully_initialized: bool = False

    @property
    def metainfo(self) -> dict[str, Any]:
        """The wrapped datasets' metainfo (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        raise NotImplementedError

    def _ensure_loaded(self) -> None:
        if not self._fully_initialized:
            self.full_init()

    def get_subset_(self, indices: int | Sequence[int]) -> None:
        raise NotImplementedError(self._no_subsets())

    def get_subset(self, indices: int | Sequence[int]) -> Any:
        raise NotImplementedError(self._no_subsets())

    def _no_subsets(self) -> str:
        name = type(self).__name__
        return (
            f"{name} has no get_subset or get_subset_: which items a subset of a {name} "
            f"holds would be ambiguous; take the subset of the wrapped dataset, then wrap it"
        )


@DATASETS.register_module()
class ConcatDataset(TorchConcatDataset[Any], _Wrapper):
    """Datasets one after the other, whose metainfo must agree.

    Args:
        datasets: Datasets or their configs.
        lazy_init: Load the datasets at the first use, not now.
        ignore_keys: Metainfo keys (a name or a list of names) the datasets may disagree on;
            the first dataset's values are kept.

    Raises:
        DatasetArgumentError: No datasets, or one whose metainfo lacks a key another has,
            or has a value of another type or another value (``error.config_path`` names it,
            ``datasets.2``).
        TypeError: ``ignore_keys`` is neither a str, a list nor None.
    """

    def __init__(
        self,
        datasets: Sequence[Any],
        lazy_init: bool = False,
        ignore_keys: str | list[str] | None = None,
    ) -> None:
        self.datasets: list[Any] = [
            _dataset(item, f"datasets.{index}") for index, item in enumerate(datasets)
        ]
        if not self.datasets:
            raise DatasetArgumentError.at("datasets", "needs at least one dataset")
        if ignore_keys is None:
            self.ignore_keys: list[str] = []
        elif isinstance(ignore_keys, str):
            self.ignore_keys = [ignore_keys]
        elif isinstance(ignore_keys, list):
            self.ignore_keys = ignore_keys
        else:
            raise TypeError(f"ignore_keys must be a str or a list of str, got {ignore_keys!r}")
        self._metainfo = self.datasets[0].metainfo
        self._check_metainfo()
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def _check_metainfo(self) -> None:
        keys = set().union(*(dataset.metainfo.keys() for dataset in self.datasets))
        first = self._metainfo
        for index, dataset in enumerate(self.datasets):
            theirs = dataset.metainfo
            for key in sorted(keys - set(self.ignore_keys), key=str):
                where = f"datasets.{index}"
                if key not in theirs:
                    reason = f"its metainfo has no {key!r}, which another dataset's has"
                elif type(theirs[key]) is not type(first[key]):  # datasets.0 has every key
                    reason = f"its metainfo {key!r} is not of the type datasets.0 has"
                elif not _same(theirs[key], first[key]):
                    reason = f"its metainfo {key!r} is {theirs[key]!r}, not {first[key]!r}"
                else:
                    continue
                hint = f"make the datasets' metainfo agree, or list {key!r} in ignore_keys"
                raise DatasetArgumentError.at(where, f"{reason}; {hint}")

    def full_init(self) -> None:
        """Load every dataset and count their items."""
        if self._fully_initialized:
            return
        for dataset in self.datasets:
            dataset.full_init()
        TorchConcatDataset.__init__(self, self.datasets)
        self._fully_initialized = True

    def _get_ori_dataset_idx(self, idx: int) -> tuple[int, int]:
        """Which dataset item ``idx`` is in, and its index there."""
        self._ensure_loaded()
        length = len(self)
        if not -length <= idx < length:
            raise IndexError(f"index {idx} is out of range for {length} items")
        idx %= length
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        return which, idx - (self.cumulative_sizes[which - 1] if which else 0)

    def get_data_info(self, idx: int) -> dict[str, Any]:
        which, inner = self._get_ori_dataset_idx(idx)
        info: dict[str, Any] = self.datasets[which].get_data_info(inner)
        return info

    def get_cat_ids(self, idx: int) -> list[int]:
        """The category ids of item ``idx`` (a regwire addition: MMEngine's has none)."""
        which, inner = self._get_ori_dataset_idx(idx)
        cats: list[int] = self.datasets[which].get_cat_ids(inner)
        return cats

    def __len__(self) -> int:
        self._ensure_loaded()
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        which, inner = self._get_ori_dataset_idx(idx)
        return self.datasets[which][inner]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


@DATASETS.register_module()
class RepeatDataset(_Wrapper):
    """A dataset ``times`` times over: item ``i`` is item ``i % len(dataset)``.

    Args:
        dataset: A dataset or its config.
        times: How many times (a positive int).
        lazy_init: Load the dataset at the first use, not now.
    """

    def __init__(self, dataset: Any, times: int, lazy_init: bool = False) -> None:
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise DatasetArgumentError.at("times", f"must be a positive int, got {times!r}")
        self.dataset = _dataset(dataset, "dataset")
        self.times = times
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Load the dataset and count its items."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self._ori_len = len(self.dataset)
        self._fully_initialized = True

    def _get_ori_dataset_idx(self, idx: int) -> int:
        self._ensure_loaded()
        return idx % self._ori_len

    def get_data_info(self, idx: int) -> dict[str, Any]:
        info: dict[str, Any] = self.dataset.get_data_info(self._get_ori_dataset_idx(idx))
        return info

    def get_cat_ids(self, idx: int) -> list[int]:
        """The category ids of item ``idx`` (a regwire addition: MMEngine's has none)."""
        cats: list[int] = self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))
        return cats

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[self._get_ori_dataset_idx(idx)]

    def __len__(self) -> int:
        self._ensure_loaded()
        return self.times * self._ori_len


@DATASETS.register_module()
class ClassBalancedDataset(_Wrapper):
    """A dataset whose items with rare categories are repeated (LVIS's repeat factor sampling).

    A category in a fraction ``f`` of the items gets the factor ``max(1, sqrt(t / f))`` for
    ``t = oversample_thr``; an item is repeated ``ceil(r)`` times, ``r`` the largest factor of
    its categories (1 for an item without any). The wrapped dataset implements
    ``get_cat_ids(idx)``.

    Args:
        dataset: A dataset or its config.
        oversample_thr: The frequency under which a category is oversampled.
        lazy_init: Load the dataset and count the categories at the first use, not now.
    """

    def __init__(self, dataset: Any, oversample_thr: float, lazy_init: bool = False) -> None:
        self.dataset = _dataset(dataset, "dataset")
        self.oversample_thr = oversample_thr
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Load the dataset and repeat each item by its factor."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        factors = self._get_repeat_factors(self.dataset, self.oversample_thr)
        self.repeat_indices = [
            index for index, factor in enumerate(factors) for _ in range(math.ceil(factor))
        ]
        self._fully_initialized = True

    def _get_repeat_factors(self, dataset: Any, repeat_thr: float) -> list[float]:
        """Each item's repeat factor (see the class's docstring)."""
        count = len(dataset)
        categories = [set(dataset.get_cat_ids(index)) for index in range(count)]
        frequency: defaultdict[Any, float] = defaultdict(float)
        for cats in categories:
            for cat in cats:
                frequency[cat] += 1
        repeat = {
            cat: max(1.0, math.sqrt(repeat_thr / (seen / count))) for cat, seen in frequency.items()
        }
        return [max(repeat[cat] for cat in cats) if cats else 1.0 for cats in categories]

    def _get_ori_dataset_idx(self, idx: int) -> int:
        self._ensure_loaded()
        return self.repeat_indices[idx]

    def get_cat_ids(self, idx: int) -> list[int]:
        cats: list[int] = self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))
        return cats

    def get_data_info(self, idx: int) -> dict[str, Any]:
        info: dict[str, Any] = self.dataset.get_data_info(self._get_ori_dataset_idx(idx))
        return info

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[self._get_ori_dataset_idx(idx)]

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self.repeat_indices)
