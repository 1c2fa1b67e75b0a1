"""BaseDataset: MMEngine's dataset of data dicts read from an annotation file.

The items are the dicts of the annotation file's ``data_list``, each parsed
(:meth:`BaseDataset.parse_data_info`), filtered (:meth:`BaseDataset.filter_data`), cut to
``indices``, and held serialized (:mod:`runner.data._serialize`); ``dataset[i]`` runs item
``i`` through the pipeline. Names, arguments and behaviour are MMEngine's (see
:mod:`runner.data._annotations` for the few differences: errors name the argument at fault,
a metainfo path that names no file is an error).
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar, cast

import numpy as np
from torch.utils.data import Dataset

from container import RegwireError
from providers import with_section

from .._registries import DATASETS
from ._annotations import (
    DatasetArgumentError,
    join_prefixes,
    join_root,
    load_metainfo,
    read_annotations,
)
from ._serialize import Indices, item_at, list_subset, serialize, serialized_subset
from ._transforms import Compose

_DATA_FIELDS = ("data_list", "data_bytes", "data_address")
"""The attributes that hold the items, which :meth:`BaseDataset.get_subset` does not copy."""

F = TypeVar("F", bound=Callable[..., Any])


def force_full_init(method: F) -> F:
    """Make a dataset's method load the dataset first (:meth:`BaseDataset.full_init`) if it
    has not been, as MMEngine's decorator of the same name does.

    Raises:
        AttributeError: The method's object has no ``full_init``.
    """

    @functools.wraps(method)
    def loaded_first(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(self, "_fully_initialized", False):
            if not hasattr(self, "full_init"):
                raise AttributeError(
                    f"{type(self).__name__} has no full_init, which @force_full_init calls"
                )
            self.full_init()
            self._fully_initialized = True
        return method(self, *args, **kwargs)

    return cast(F, loaded_first)


@DATASETS.register_module()
class BaseDataset(Dataset[Any]):
    """A dataset of data dicts from an annotation file, each run through a pipeline.

    The annotation file (JSON, or YAML) holds ``{"metainfo": {...}, "data_list": [{...}]}``.
    Subclasses set ``METAINFO`` and override :meth:`parse_data_info`, :meth:`filter_data`,
    :meth:`get_cat_ids` or :meth:`load_data_list` (for another file format).

    Args:
        ann_file: The annotation file; a relative path is under ``data_root``.
        metainfo: Updates the class's ``METAINFO``; a string value that names a file becomes
            the file's lines. The annotation file's metainfo fills the keys left out.
        data_root: The directory that relative ``ann_file`` and ``data_prefix`` paths are in.
        data_prefix: Per key of the items, a directory joined in front of the item's value
            (``{img_path: images/}``); defaults to ``{img_path: ""}``.
        filter_cfg: What :meth:`filter_data` of a subclass reads (BaseDataset filters
            nothing, and warns when given one).
        indices: Keep only these items (after filtering): ``n`` the first ``n``, ``-n`` the
            last ``n``, a list the items at those positions.
        serialize_data: Hold the items pickled in one numpy array, which dataloader workers
            share with the main process instead of copying it as they read it.
        pipeline: Transforms, or their configs (built with ``TRANSFORMS``), applied in order
            to each item (see :class:`~runner.data.Compose`).
        test_mode: An item the pipeline drops (returns None for) is an error, where in
            training another random item is taken instead.
        lazy_init: Read the annotation file at the first use (:meth:`full_init`), not now:
            for when only the metainfo is needed.
        max_refetch: How many other random items to try, in training, after the pipeline
            drops one, before giving up.

    Raises:
        DatasetArgumentError: An argument is wrong (``error.config_path`` names it): an
            ``ann_file`` that is not there or not an annotation file, a metainfo file that is
            not there, a prefix that is not a string, ``indices`` out of range.
    """

    METAINFO: ClassVar[dict[str, Any]] = {}
    _fully_initialized: bool = False

    def __init__(
        self,
        ann_file: str | None = "",
        metainfo: Mapping[str, Any] | None = None,
        data_root: str | None = "",
        data_prefix: Mapping[str, str] | None = None,
        filter_cfg: Mapping[str, Any] | None = None,
        indices: Indices | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[Mapping[str, Any] | Callable[..., Any]] | None = None,
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
    ) -> None:
        if isinstance(max_refetch, bool) or not isinstance(max_refetch, int) or max_refetch < 0:
            raise DatasetArgumentError.at(
                "max_refetch", f"must be an int of 0 or more, got {max_refetch!r}"
            )
        self.ann_file = join_root(data_root, ann_file or "")
        self._metainfo = self._load_metainfo(metainfo)
        self.data_root = data_root
        self.data_prefix = join_prefixes(
            data_root, {"img_path": ""} if data_prefix is None else data_prefix
        )
        self.filter_cfg = copy.deepcopy(filter_cfg)
        self._indices = indices
        self.serialize_data = serialize_data
        self.test_mode = test_mode
        self.max_refetch = max_refetch
        self.data_list: list[dict[str, Any]] = []
        self.data_bytes = np.zeros(0, dtype=np.uint8)
        self.data_address = np.zeros(0, dtype=np.int64)
        self.pipeline = _compose(pipeline)
        if not lazy_init:
            self.full_init()

    @classmethod
    def _load_metainfo(cls, metainfo: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``METAINFO`` updated with ``metainfo`` (MMEngine's name for this step)."""
        return load_metainfo(cls.METAINFO, metainfo)

    @property
    def metainfo(self) -> dict[str, Any]:
        """The meta information: ``METAINFO``, the argument, the annotation file's (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Read, parse, filter, cut and serialize the items, once.

        Called by the constructor unless ``lazy_init``; otherwise by the first method that
        needs the items (``len``, ``dataset[i]``, :meth:`get_data_info`, the subsets).
        """
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        if self.filter_cfg and type(self).filter_data is BaseDataset.filter_data:
            warnings.warn(
                f"{type(self).__name__} was given filter_cfg={self.filter_cfg!r} but does not "
                "override filter_data, so nothing is filtered (as in MMEngine)",
                UserWarning,
                stacklevel=2,
            )
        self.data_list = self.filter_data()
        if self._indices is not None:
            try:
                self.data_list = list_subset(self.data_list, self._indices)
            except (IndexError, TypeError) as exc:
                raise DatasetArgumentError.at("indices", str(exc)) from exc
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._fully_initialized = True

    def load_data_list(self) -> list[dict[str, Any]]:
        """Read the annotation file's items, each through :meth:`parse_data_info`.

        The file's ``metainfo`` fills the keys of :attr:`metainfo` that ``METAINFO`` and the
        ``metainfo`` argument left out. Override this method to read another format.
        """
        file_metainfo, raw_items = read_annotations(self.ann_file)
        for key, value in file_metainfo.items():
            self._metainfo.setdefault(key, value)
        items: list[dict[str, Any]] = []
        for raw in raw_items:
            parsed = self.parse_data_info(raw)
            if isinstance(parsed, dict):
                items.append(parsed)
            elif isinstance(parsed, list) and all(isinstance(item, dict) for item in parsed):
                items.extend(parsed)  # one raw item, several samples (a video's frames)
            else:
                raise TypeError(
                    f"{type(self).__name__}.parse_data_info must return a dict or a list of "
                    f"dicts, got {parsed!r}"
                )
        return items

    def parse_data_info(self, raw_data_info: dict[str, Any]) -> dict[str, Any] | list[Any]:
        """Turn one raw item into a data dict: each ``data_prefix`` joined to its key's value.

        Raises:
            DatasetArgumentError: An item lacks a key that ``data_prefix`` names.
        """
        if not isinstance(raw_data_info, dict):
            raise DatasetArgumentError.at(
                "ann_file", f"each item of 'data_list' must be a mapping, got {raw_data_info!r}"
            )
        for key, prefix in self.data_prefix.items():
            if key not in raw_data_info:
                raise DatasetArgumentError.at(
                    f"data_prefix.{key}",
                    f"names the key {key!r}, which an item of {self.ann_file!r} lacks (its "
                    f"keys: {sorted(map(str, raw_data_info))})",
                )
            raw_data_info[key] = _join(prefix, raw_data_info[key])
        return raw_data_info

    def filter_data(self) -> list[dict[str, Any]]:
        """The items to keep, by ``filter_cfg``; BaseDataset keeps every item."""
        return self.data_list

    def get_cat_ids(self, idx: int) -> list[int]:
        """The category ids of item ``idx``: what ``ClassBalancedDataset`` counts.

        Raises:
            NotImplementedError: Subclasses implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_cat_ids to be wrapped by "
            "ClassBalancedDataset"
        )

    def get_data_info(self, idx: int) -> dict[str, Any]:
        """A copy of item ``idx``'s data dict, with ``sample_idx`` (``idx``, made positive)."""
        self._ensure_loaded()
        length = len(self)
        if not -length <= idx < length:
            raise IndexError(f"index {idx} is out of range for {length} items")
        position = idx % length
        if self.serialize_data:
            info: dict[str, Any] = item_at(self.data_bytes, self.data_address, position)
        else:
            info = copy.deepcopy(self.data_list[position])
        info["sample_idx"] = position
        return info

    def prepare_data(self, idx: int) -> Any:
        """Item ``idx`` through the pipeline (None when a transform drops it)."""
        return self.pipeline(self.get_data_info(idx))

    def __getitem__(self, idx: int) -> Any:
        """Item ``idx`` through the pipeline.

        In training, when the pipeline drops the item, a random other one is taken, up to
        ``max_refetch`` times; in ``test_mode`` a dropped item is an error.

        Raises:
            RuntimeError: The item was dropped in test mode, or no item came through after
                ``max_refetch`` more tries.
        """
        self._ensure_loaded()
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise RuntimeError(
                    f"{type(self).__name__}: the pipeline returned None for item {idx} in "
                    "test mode, where every item must come through (nothing is refetched)"
                )
            return data
        asked = idx
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise RuntimeError(
            f"{type(self).__name__}: the pipeline returned None for item {asked} and for "
            f"{self.max_refetch} random others (max_refetch={self.max_refetch}); check the "
            "data files and the transforms that drop items"
        )

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self.data_address) if self.serialize_data else len(self.data_list)

    def get_subset_(self, indices: Indices) -> None:
        """Keep only the items ``indices`` picks, in place (see the ``indices`` argument)."""
        self._ensure_loaded()
        if self.serialize_data:
            self.data_bytes, self.data_address = self._get_serialized_subset(indices)
        else:
            self.data_list = self._get_unserialized_subset(indices)

    def get_subset(self, indices: Indices) -> BaseDataset:
        """A new dataset of the items ``indices`` picks; this one is not changed."""
        self._ensure_loaded()
        subset = self._copy_without_annotation()
        if self.serialize_data:
            subset.data_bytes, subset.data_address = self._get_serialized_subset(indices)
        else:
            subset.data_list = copy.deepcopy(self._get_unserialized_subset(indices))
        return subset

    def _get_serialized_subset(self, indices: Indices) -> tuple[np.ndarray, np.ndarray]:
        return serialized_subset(self.data_bytes, self.data_address, indices)

    def _get_unserialized_subset(self, indices: Indices) -> list[dict[str, Any]]:
        return list_subset(self.data_list, indices)

    def _serialize_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Pickle :attr:`data_list` into two arrays and empty it."""
        data, ends = serialize(self.data_list)
        self.data_list.clear()
        return data, ends

    def _rand_another(self) -> int:
        """A random index, from numpy's global generator (which the run's seed seeds)."""
        return int(np.random.randint(0, len(self)))

    def _copy_without_annotation(self) -> BaseDataset:
        """A deep copy of everything but the items."""
        other = type(self).__new__(type(self))
        memo: dict[int, Any] = {id(self): other}
        for key, value in self.__dict__.items():
            if key not in _DATA_FIELDS:
                other.__dict__[key] = copy.deepcopy(value, memo)
        other.data_list = []
        other.data_bytes = np.zeros(0, dtype=np.uint8)
        other.data_address = np.zeros(0, dtype=np.int64)
        return other

    def _ensure_loaded(self) -> None:
        if not self._fully_initialized:
            self.full_init()


def _join(prefix: str, value: Any) -> Any:
    """``value`` under ``prefix`` (``os.path.join``, as MMEngine's local ``join_path``)."""
    return os.path.join(prefix, value)


def _compose(pipeline: Sequence[Any] | None) -> Compose:
    try:
        return Compose(pipeline)
    except RegwireError as exc:  # a transform's config: name it in the dataset's arguments
        raise DatasetArgumentError(with_section(exc, "pipeline")) from exc
