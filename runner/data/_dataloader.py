"""Dataloaders from config: the ``train_dataloader`` / ``val_dataloader`` sections.

:func:`build_dataloader` builds the dataset, the sampler (seeded with the run's seed) and the
collate function a section names, and a ``torch.utils.data.DataLoader`` over them.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sized
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from container import BuildError, ConfigError, did_you_mean
from providers import PATH, with_section

from .._registries import DATA_SAMPLERS, DATASETS
from .._sections import build_at, mapping_section
from ..dist import dist_info
from ._annotations import DatasetArgumentError
from ._collate import resolve_collate_fn

DEFAULT_SAMPLER: Mapping[str, Any] = {"type": "DefaultSampler", "shuffle": True}
"""The sampler of a dataloader config that names none."""


def length_of(obj: object) -> int | None:
    """``len(obj)``, or None when it has none (a dataloader over an iterable dataset, say)."""
    if not isinstance(obj, Sized):
        return None
    try:
        return len(obj)
    except TypeError:
        return None


OWN_KEYS = ("dataset", "sampler", "collate_fn")
"""The keys of a dataloader section that name config nodes (built, then given to torch)."""

_NOT_TAKEN = {
    "generator": "is made from the run's seed (randomness.seed); it is not a config value",
    "batch_sampler": "is not taken: batches come from batch_size, drop_last and the sampler",
}


def option_problems(options: Mapping[str, Any], section: str) -> list[ConfigError]:
    """The keys of a dataloader section that are neither its own nor ``DataLoader``'s
    options (``regwire check`` and :func:`build_dataloader` share this)."""
    allowed = set(inspect.signature(DataLoader.__init__).parameters) - {"self"}
    problems = []
    for key in options:
        path = f"{section}.{key}"
        if key == "shuffle":
            problems.append(
                ConfigError(
                    "put shuffle in the sampler: "
                    f"sampler: {{type: DefaultSampler, shuffle: {options['shuffle']}}}",
                    config_path=path,
                )
            )
        elif key in _NOT_TAKEN:
            problems.append(ConfigError(f"{PATH} {_NOT_TAKEN[key]}", config_path=path))
        elif key not in allowed and key not in OWN_KEYS:
            hint = did_you_mean(key, allowed - set(_NOT_TAKEN) - {"shuffle"})
            problems.append(
                ConfigError(f"{PATH} is not a dataloader option{hint}", config_path=path)
            )
    return problems


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
            raise ConfigError(f"{PATH} needs {key!r}", config_path=section)
    problems = option_problems(options, section)
    if problems:
        raise problems[0]
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
            f"could not build {PATH} (torch DataLoader): {type(exc).__name__}: {exc}",
            config_path=section,
        ) from exc


def _build_dataset(cfg: Any, path: str) -> Dataset[Any]:
    if isinstance(cfg, Mapping):
        if "type" not in cfg:
            raise ConfigError(f"{PATH} needs a 'type' (a registered dataset)", config_path=path)
        try:
            built = build_at(DATASETS, cfg, path)
        except BuildError as exc:  # a dataset's own check: name the argument at fault
            cause = exc.__cause__
            if isinstance(cause, DatasetArgumentError) and exc.config_path is not None:
                raise with_section(copy.copy(cause.error), exc.config_path) from cause
            raise
    else:
        built = cfg
    if not (hasattr(built, "__getitem__") and hasattr(built, "__len__")):
        raise ConfigError(
            f"{PATH} must be a dataset (with __getitem__ and __len__), got {built!r}",
            config_path=path,
        )
    dataset: Dataset[Any] = built
    return dataset
