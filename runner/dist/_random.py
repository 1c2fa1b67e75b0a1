"""Seeding Python, NumPy and torch, and recording the seed."""

from __future__ import annotations

import os
import random

import attrs
import numpy as np
import torch

from container import ConfigError
from providers import PATH

from ._process_group import dist_info


@attrs.frozen
class Randomness:
    """How a run was seeded.

    Attributes:
        seed: The seed given to Python, NumPy and torch (on this rank).
        deterministic: Whether torch was told to use deterministic algorithms only.
        diff_rank_seed: Whether each distributed rank got ``seed + rank``.
    """

    seed: int
    deterministic: bool = False
    diff_rank_seed: bool = False


MAX_SEED = 2**63
"""Seeds are below this (``torch.manual_seed`` takes a signed 64-bit int; with
``diff_rank_seed`` the rank is added)."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"


def set_random_seed(
    seed: int | None = None, deterministic: bool = False, diff_rank_seed: bool = False
) -> Randomness:
    """Seed Python's ``random``, NumPy and torch (CPU and CUDA).

    Args:
        seed: The seed; a random one is drawn (and returned, to be recorded) when None.
        deterministic: Make torch use deterministic algorithms only
            (``torch.use_deterministic_algorithms(True)``, cuDNN benchmarking off), so that
            two runs of one config give the same weights bit for bit on the CPU.
        diff_rank_seed: Add the distributed rank to the seed, so ranks draw different data
            augmentations.

    Returns:
        What was done, with the seed actually used.

    Raises:
        ConfigError: ``seed`` is not an int from 0 to 2**63 - 1 (``randomness.seed``).
    """
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    elif isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED:
        raise ConfigError(
            f"{PATH} must be an int from 0 to 2**63 - 1 (torch's range) or null, got "
            f"{_shown(seed)}",
            config_path="randomness.seed",
        )
    if diff_rank_seed:
        seed = (seed + dist_info()[0]) % MAX_SEED
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return Randomness(seed, deterministic, diff_rank_seed)
