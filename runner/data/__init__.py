"""Data, usable without a Runner: samplers, collate functions and the dataloader builder.

Samplers are seeded and resumable (:meth:`DefaultSampler.skip` starts the next pass
mid-epoch); :func:`build_dataloader` builds a ``*_dataloader`` config section.
"""

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

__all__ = [
    "DEFAULT_COLLATE",
    "DEFAULT_SAMPLER",
    "OWN_KEYS",
    "CannotSkip",
    "DefaultSampler",
    "InfiniteSampler",
    "build_dataloader",
    "length_of",
    "option_problems",
    "pseudo_collate",
    "resolve_collate_fn",
    "set_epoch",
    "skip_batches",
    "sync_random_seed",
]
