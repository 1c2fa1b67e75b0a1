"""Data, usable without a Runner: datasets and transforms, samplers, collate functions and
the dataloader builder.

:class:`BaseDataset` and the wrappers (:class:`ConcatDataset`, :class:`RepeatDataset`,
:class:`ClassBalancedDataset`) are MMEngine's, registered in ``DATASETS``; :class:`Compose`
runs a pipeline of transforms and is registered in ``TRANSFORMS``. Samplers are seeded and
resumable (:meth:`DefaultSampler.skip` starts the next pass mid-epoch);
:func:`build_dataloader` builds a ``*_dataloader`` config section.
"""

from ._annotations import DataFileNotFoundError, DatasetArgumentError
from ._base_dataset import BaseDataset, force_full_init
from ._collate import DEFAULT_COLLATE, pseudo_collate, resolve_collate_fn
from ._dataloader import DEFAULT_SAMPLER, OWN_KEYS, build_dataloader, length_of, option_problems
from ._samplers import (
    CannotSkip,
    DefaultSampler,
    InfiniteSampler,
    set_epoch,
    skip_batches,
    sync_random_seed,
)
from ._transforms import Compose, pipeline_problems
from ._wrappers import ClassBalancedDataset, ConcatDataset, RepeatDataset

__all__ = [
    "DEFAULT_COLLATE",
    "DEFAULT_SAMPLER",
    "OWN_KEYS",
    "BaseDataset",
    "CannotSkip",
    "ClassBalancedDataset",
    "Compose",
    "ConcatDataset",
    "DataFileNotFoundError",
    "DatasetArgumentError",
    "DefaultSampler",
    "InfiniteSampler",
    "RepeatDataset",
    "build_dataloader",
    "force_full_init",
    "length_of",
    "option_problems",
    "pipeline_problems",
    "pseudo_collate",
    "resolve_collate_fn",
    "set_epoch",
    "skip_batches",
    "sync_random_seed",
]
