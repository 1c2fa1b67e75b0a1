"""MMEngine's ``RunnerTestCase``, for tests moved over from MMEngine."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import unittest
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ._overrides import Overrides, close_log_files, isolated_global_state, restore_environment

if TYPE_CHECKING:
    from dependency_injector import providers as di

    from container import Config, ConfigDict, Registry

    from ..app import Runner

T = TypeVar("T")


def _loader(dataset: type[Any], sampler: str, shuffle: bool) -> dict[str, Any]:
    return {
        "dataset": {"type": dataset},
        "sampler": {"type": sampler, "shuffle": shuffle},
        "batch_size": 3,
        "num_workers": 0,
    }


def epoch_based_cfg(work_dir: str) -> ConfigDict:
    """MMEngine's ``RunnerTestCase.epoch_based_cfg``: 2 epochs of :class:`ToyModel` on
    ``ToyDataset``, validated with ``ToyMetric`` after each, writing to ``work_dir``."""
    from container import ConfigDict

    from ._toys import ToyDataset, ToyMetric, ToyModel

    return ConfigDict(
        work_dir=work_dir,
        model={"type": ToyModel},
        train_dataloader=_loader(ToyDataset, "DefaultSampler", shuffle=True),
        val_dataloader=_loader(ToyDataset, "DefaultSampler", shuffle=False),
        val_evaluator=[{"type": ToyMetric}],
        test_dataloader=_loader(ToyDataset, "DefaultSampler", shuffle=False),
        test_evaluator=[{"type": ToyMetric}],
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        train_cfg={"by_epoch": True, "max_epochs": 2, "val_interval": 1},
        val_cfg={},
        test_cfg={},
        default_hooks={"logger": {"type": "LoggerHook", "interval": 1}},
        custom_hooks=[],
        randomness={"seed": 0},
    )


def iter_based_cfg(work_dir: str) -> ConfigDict:
    """MMEngine's ``RunnerTestCase.iter_based_cfg``: :func:`epoch_based_cfg` trained for 12
    iterations from an ``InfiniteSampler``, with a checkpoint at the end."""
    from ._toys import ToyDataset

    cfg = epoch_based_cfg(work_dir)
    cfg.train_dataloader = _loader(ToyDataset, "InfiniteSampler", shuffle=True)
    cfg.train_cfg = {"by_epoch": False, "max_iters": 12}
    cfg.default_hooks = {
        "logger": {"type": "LoggerHook", "interval": 1},
        "checkpoint": {"type": "CheckpointHook", "interval": 12, "by_epoch": False},
    }
    return cfg


class RunnerTestCase(unittest.TestCase):
    """MMEngine's ``RunnerTestCase``: a work dir and two small training configs per test.

    ``setUp`` makes ``self.temp_dir`` (a ``TemporaryDirectory``, removed after the test) and
    ``self.epoch_based_cfg`` / ``self.iter_based_cfg``, :class:`~container.ConfigDict`
    objects (dicts with attribute access: ``self.epoch_based_cfg.train_cfg.max_epochs = 1``)
    that train :class:`~runner.testing.ToyModel` on ``ToyDataset`` with ``ToyMetric``,
    writing to the work dir, in well under a second on the CPU. After each test, what it
    overrode through :meth:`override` or :meth:`override_provider` is restored, as are
    torch's deterministic flags, the random states and the environment
    (:func:`~runner.testing.isolated_global_state`).

    Where it differs from MMEngine's: the toys are given to the configs as classes and
    registered nowhere (MMEngine registers them in its global registries for the test); a
    second training run in the same work dir is refused while the first one's checkpoints
    are there (regwire never overwrites a run): call :meth:`clear_work_dir` between them, or
    resume.
    """

    dist_cfg: ClassVar[dict[str, Any]] = {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": 29600,
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_RANK": "0",
    }
    """The environment of a one-process group, for :meth:`setup_dist_env`."""

    temp_dir: tempfile.TemporaryDirectory[str]
    epoch_based_cfg: ConfigDict
    iter_based_cfg: ConfigDict

    def setUp(self) -> None:
        super().setUp()
        self.temp_dir = tempfile.TemporaryDirectory(prefix="regwire-test-")
        self.addCleanup(self._remove_temp_dir)
        state = contextlib.ExitStack()
        state.enter_context(isolated_global_state())
        self.addCleanup(state.close)
        self._overrides = Overrides()
        self.addCleanup(self._overrides.close)
        self.epoch_based_cfg = epoch_based_cfg(self.temp_dir.name)
        self.iter_based_cfg = iter_based_cfg(self.temp_dir.name)

    def _remove_temp_dir(self) -> None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
        close_log_files(Path(self.temp_dir.name))
        self.temp_dir.cleanup()

    def build_runner(self, cfg: Mapping[str, Any] | Config) -> Runner:
        """``Runner.from_cfg(cfg)``.

        MMEngine also writes :attr:`experiment_name` into ``cfg``; regwire has no such key
        (each run's log dir is unique already), so ``cfg`` is left as it is.
        """
        from ..app import Runner

        return Runner.from_cfg(cfg)

    @property
    def experiment_name(self) -> str:
        """A name unique to this test and moment: ``<test method>_<nanoseconds>``."""
        return f"{self._testMethodName}_{time.time_ns()}"

    def override(self, registry: Registry, name: str, replacement: T) -> T:
        """Every build of ``name`` gets ``replacement`` until the test ends
        (:meth:`~runner.testing.Overrides.name`)."""
        return self._overrides.name(registry, name, replacement)

    def override_provider(self, provider: di.Provider[Any], replacement: T) -> T:
        """``provider`` gives ``replacement`` until the test ends
        (:meth:`~runner.testing.Overrides.provider`)."""
        return self._overrides.provider(provider, replacement)

    def clear_work_dir(self) -> None:
        """Empty the work dir (closing the runs' log files first), for another fresh run."""
        directory = Path(self.temp_dir.name)
        close_log_files(directory)
        for path in directory.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()

    def setup_dist_env(self) -> None:
        """Set the environment of a one-process ``torch.distributed`` group, with a new
        ``MASTER_PORT`` each call (as MMEngine does); it is restored after the test."""
        type(self).dist_cfg["MASTER_PORT"] += 1
        for name, value in self.dist_cfg.items():
            self.addCleanup(restore_environment, name, os.environ.get(name))
            os.environ[name] = str(value)
