"""Samplers, collate functions and build_dataloader."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, Dataset

from container import BuildError, ConfigError, RegistryError
from runner import (
    DefaultSampler,
    InfiniteSampler,
    build_dataloader,
    pseudo_collate,
    skip_batches,
)


class Squares(Dataset[tuple[torch.Tensor, int]]):
    def __init__(self, size: int = 10) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return torch.tensor([float(index)]), index * index


class Noisy(Dataset[float]):
    """Each item draws from torch's RNG: what the worker seed decides."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> float:
        return float(torch.rand(()).item())


def test_same_seed_and_epoch_give_the_same_order_and_epochs_differ() -> None:
    a = DefaultSampler(range(20), seed=3)
    b = DefaultSampler(range(20), seed=3)
    assert list(a) == list(b)
    first = list(a)
    assert sorted(first) == list(range(20))
    assert first != list(range(20))
    a.set_epoch(1)
    assert list(a) != first
    assert sorted(a) == list(range(20))
    b.set_epoch(1)
    assert list(a) == list(b)
    expected = torch.randperm(20, generator=torch.Generator().manual_seed(4)).tolist()
    assert list(a) == expected


def test_no_shuffle_is_dataset_order() -> None:
    assert list(DefaultSampler(range(5), shuffle=False, seed=0)) == [0, 1, 2, 3, 4]


def test_ranks_split_the_epoch_with_round_up() -> None:
    samplers = [DefaultSampler(range(10), seed=1, rank=r, world_size=3) for r in range(3)]
    parts = [list(s) for s in samplers]
    assert [len(p) for p in parts] == [4, 4, 4]
    assert [len(s) for s in samplers] == [4, 4, 4]
    full = torch.randperm(10, generator=torch.Generator().manual_seed(1)).tolist()
    padded = full + full[:2]
    assert parts == [padded[0::3], padded[1::3], padded[2::3]]
    assert set().union(*map(set, parts)) == set(range(10))


def test_ranks_split_exactly_without_round_up() -> None:
    samplers = [
        DefaultSampler(range(10), seed=1, round_up=False, rank=r, world_size=3) for r in range(3)
    ]
    parts = [list(s) for s in samplers]
    assert [len(p) for p in parts] == [4, 3, 3]
    assert [len(s) for s in samplers] == [4, 3, 3]
    assert sorted(i for p in parts for i in p) == list(range(10))


def test_bad_rank() -> None:
    with pytest.raises(ValueError, match="0 <= rank < world_size"):
        DefaultSampler(range(3), rank=2, world_size=2)


def test_skip_resumes_mid_epoch_with_the_remaining_indices() -> None:
    sampler = DefaultSampler(range(12), seed=5)
    sampler.set_epoch(2)
    full = list(sampler)
    resumed = DefaultSampler(range(12), seed=0)
    resumed.load_state_dict({"seed": 5, "epoch": 2, "skip": 0})
    resumed.skip(5)
    assert resumed.state_dict() == {"seed": 5, "epoch": 2, "skip": 5}
    assert list(resumed) == full[5:]
    assert list(resumed) == full  # only the first pass is shortened


def test_skip_batches_on_a_dataloader() -> None:
    loader = build_dataloader(
        {"batch_size": 3, "dataset": Squares(10), "sampler": {"type": "DefaultSampler"}},
        seed=7,
    )
    epoch = [batch[1].tolist() for batch in loader]
    skip_batches(loader, 2)
    rest = [batch[1].tolist() for batch in loader]
    assert rest == epoch[2:]
    no_skip = DataLoader(Squares(3), batch_size=1)
    with pytest.raises(TypeError, match="cannot resume mid-epoch"):
        skip_batches(no_skip, 1)


def test_infinite_sampler_streams_permutations_per_rank() -> None:
    stream = iter(InfiniteSampler(range(4), seed=2, rank=1, world_size=2))
    got = [next(stream) for _ in range(6)]
    perms = [
        torch.randperm(4, generator=torch.Generator().manual_seed(2 + k)).tolist() for k in range(3)
    ]
    assert got == [i for p in perms for i in p][1::2]
    sampler = InfiniteSampler(range(4), seed=2, rank=1, world_size=2)
    sampler.skip(2)
    resumed = iter(sampler)
    assert [next(resumed) for _ in range(4)] == got[2:]


def test_pseudo_collate_keeps_lists() -> None:
    batch = [(torch.zeros(2), {"id": 1}), (torch.ones(3), {"id": 2})]
    images, meta = pseudo_collate(batch)
    assert [t.shape[0] for t in images] == [2, 3]
    assert meta == {"id": [1, 2]}
    with pytest.raises(ValueError, match="same number of fields"):
        pseudo_collate([(1, 2), (1,)])


def test_build_dataloader_from_config() -> None:
    loader = build_dataloader(
        {
            "batch_size": 4,
            "dataset": {"type": Squares, "size": 10},
            "sampler": {"type": "DefaultSampler", "shuffle": False},
            "drop_last": True,
        },
        seed=0,
    )
    batches = list(loader)
    assert len(loader) == 2
    assert batches[0][1].tolist() == [0, 1, 4, 9]
    assert batches[0][0].shape == (4, 1)
    assert isinstance(loader.sampler, DefaultSampler)
    assert loader.sampler.seed == 0


def test_sampler_seed_in_config_wins_over_the_run_seed() -> None:
    loader = build_dataloader(
        {"batch_size": 2, "dataset": Squares(), "sampler": {"type": "DefaultSampler", "seed": 9}},
        seed=1,
    )
    assert isinstance(loader.sampler, DefaultSampler)
    assert loader.sampler.seed == 9


def test_pseudo_collate_by_name_and_with_arguments() -> None:
    loader = build_dataloader(
        {"batch_size": 2, "dataset": Squares(4), "collate_fn": "pseudo_collate"}, seed=0
    )
    xs, ys = next(iter(loader))
    assert isinstance(xs, list)
    assert isinstance(ys, list)
    assert len(ys) == 2


def test_worker_seeding_is_deterministic() -> None:
    def draw(seed: int) -> list[float]:
        loader = build_dataloader(
            {"batch_size": 4, "dataset": Noisy(), "num_workers": 2, "collate_fn": "pseudo_collate"},
            seed=seed,
        )
        return [value for batch in loader for value in batch]

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


@pytest.mark.parametrize(
    ("cfg", "error", "match"),
    [
        ({"dataset": Squares()}, ConfigError, r"'train_dataloader' needs 'batch_size'"),
        ({"batch_size": 2}, ConfigError, r"needs 'dataset'"),
        (
            {"batch_size": 2, "dataset": Squares(), "num_worker": 2},
            ConfigError,
            r"'train_dataloader\.num_worker' is not a dataloader option; did you mean "
            r"'num_workers'",
        ),
        (
            {"batch_size": 2, "dataset": Squares(), "shuffle": True},
            ConfigError,
            r"put shuffle in the sampler",
        ),
        (
            {"batch_size": 2, "dataset": {"type": "NoSuchDataset"}},
            RegistryError,
            r"'train_dataloader\.dataset\.type': 'NoSuchDataset'",
        ),
        (
            {"batch_size": 2, "dataset": Squares(), "sampler": {"type": "DefaultSamplr"}},
            RegistryError,
            r"'train_dataloader\.sampler\.type'.*did you mean 'DefaultSampler'",
        ),
        (
            {"batch_size": 2, "dataset": Squares(), "collate_fn": "psuedo_collate"},
            RegistryError,
            r"'train_dataloader\.collate_fn'.*did you mean 'pseudo_collate'",
        ),
        (
            {"batch_size": 2, "dataset": Squares(), "persistent_workers": True},
            BuildError,
            r"could not build 'train_dataloader'.*persistent_workers",
        ),
        (
            {"batch_size": 2, "dataset": 5},
            ConfigError,
            r"'train_dataloader\.dataset' must be a dataset",
        ),
    ],
)
def test_config_errors_name_their_path(
    cfg: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        build_dataloader(cfg, seed=0)


def test_section_name_in_errors() -> None:
    with pytest.raises(ConfigError, match=r"'val_dataloader' needs 'batch_size'"):
        build_dataloader({"dataset": Squares()}, section="val_dataloader")


@given(
    size=st.integers(min_value=1, max_value=60),
    world_size=st.integers(min_value=1, max_value=7),
    seed=st.integers(min_value=0, max_value=1000),
    epoch=st.integers(min_value=0, max_value=5),
    round_up=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_ranks_cover_the_dataset(
    size: int, world_size: int, seed: int, epoch: int, round_up: bool
) -> None:
    parts = []
    for rank in range(world_size):
        sampler = DefaultSampler(
            range(size), seed=seed, round_up=round_up, rank=rank, world_size=world_size
        )
        sampler.set_epoch(epoch)
        indices = list(sampler)
        assert len(indices) == len(sampler)
        parts.append(indices)
    flat = [index for part in parts for index in part]
    assert set(flat) == set(range(size))
    if round_up:
        assert len({len(part) for part in parts}) == 1
        assert len(flat) - size < world_size
    else:
        assert sorted(flat) == list(range(size))


def test_one_dist_info_serves_every_module() -> None:
    import runner.data._dataloader
    import runner.data._samplers
    import runner.dist._process_group
    import runner.dist._random
    import runner.engine._counters
    import runner.evaluation._metric

    one = runner.dist._process_group.dist_info
    for module in (
        runner.data._dataloader,
        runner.data._samplers,
        runner.evaluation._metric,
        runner.dist._random,
        runner.engine._counters,
    ):
        assert module.dist_info is one
    assert one() == (0, 1)
    assert runner.dist._process_group.is_main_process()


def test_skip_batches_refuses_a_batch_sampler_it_cannot_count() -> None:
    from torch.utils.data import BatchSampler

    sampler = DefaultSampler(range(6), seed=0)
    loader = DataLoader(range(6), batch_sampler=BatchSampler(sampler, 2, drop_last=False))
    with pytest.raises(TypeError, match="cannot resume mid-epoch"):
        skip_batches(loader, 1)


def test_collate_fn_names_come_from_the_registry_with_its_errors() -> None:
    from runner import FUNCTIONS
    from runner.data import resolve_collate_fn

    assert resolve_collate_fn("pseudo_collate", "c") is pseudo_collate
    assert resolve_collate_fn({"type": "pseudo_collate"}, "c") is pseudo_collate
    with pytest.raises(RegistryError, match=r"^'c\.type': 'psuedo_collate' is not registered"):
        resolve_collate_fn({"type": "psuedo_collate", "depth": 1}, "c")

    def scaled(batch: list[int], factor: int = 1) -> list[int]:
        return [item * factor for item in batch]

    with FUNCTIONS.override("pseudo_collate", scaled):
        bound = resolve_collate_fn({"type": "pseudo_collate", "factor": 3}, "c")
        assert bound([1, 2]) == [3, 6]
