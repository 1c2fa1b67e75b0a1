"""Seeding: recorded, generated when absent, and bit-identical runs on the CPU."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from container import ConfigError
from runner import Runner, set_random_seed

from ..app.test_app import toy_cfg


def test_same_seed_same_draws() -> None:
    first = set_random_seed(5)
    draws = (random.random(), np.random.rand(), torch.rand(1).item())
    set_random_seed(5)
    assert draws == (random.random(), np.random.rand(), torch.rand(1).item())
    assert first.seed == 5
    assert not first.deterministic


def test_seed_is_generated_and_recorded() -> None:
    assert isinstance(set_random_seed(None).seed, int)


def test_bad_seed() -> None:
    with pytest.raises(ConfigError, match=r"'randomness.seed' must be an int"):
        set_random_seed("7")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_determinism")
def test_two_deterministic_runs_give_identical_weights() -> None:
    def train() -> list[torch.Tensor]:
        cfg = toy_cfg(randomness={"seed": 123, "deterministic": True}, train_cfg={"max_epochs": 3})
        model = Runner.from_cfg(cfg).train()
        return [p.detach().clone() for p in model.parameters()]

    first, second = train(), train()
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert torch.are_deterministic_algorithms_enabled()


def test_different_seeds_differ() -> None:
    def weights(seed: int) -> torch.Tensor:
        return Runner.from_cfg(toy_cfg(randomness={"seed": seed})).model.linear.weight.detach()

    assert not torch.equal(weights(1), weights(2))
