"""Undoing what a test changed: overrides of names and providers, and global state."""

from __future__ import annotations

import contextlib
import logging
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from dependency_injector import providers as di

    from container import Registry

T = TypeVar("T")

SEEDING_ENVIRONMENT = ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG")
"""The environment variables that seeding a run sets (:func:`runner.set_random_seed`)."""


class Overrides:
    """Overrides of registered names and of providers, undone together, the last first.

    The pytest fixtures and :class:`~runner.testing.RunnerTestCase` hold one per test;
    elsewhere use it as a context manager::

        with Overrides() as override:
            override.name(MODELS, "ResNet", TinyNet)
            override.provider(app.model, my_model)
            ...
    """

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    def name(self, registry: Registry, name: str, replacement: T) -> T:
        """Make every build of ``name`` (in ``registry`` or the parents it looks in) use
        ``replacement`` until :meth:`close`; return ``replacement``.

        ``replacement`` is what :meth:`container.Registry.override` takes: a class or
        function (called with the node's arguments), a provider, or a ready object.

        Raises:
            RegistryError: ``name`` is not registered (with the nearest names).
        """
        self._stack.enter_context(registry.override(name, replacement))
        return replacement

    def container(self, registry: Registry, overriding: T) -> T:
        """Override ``registry`` with a container (its providers replace the registered names
        they share, :meth:`container.Registry.override`) until :meth:`close`; return it."""
        self._stack.enter_context(registry.override(overriding))
        return overriding

    def provider(self, provider: di.Provider[Any], replacement: T) -> T:
        """Override a dependency-injector ``provider`` with ``replacement`` (a provider, or a
        value returned as it is) until :meth:`close`; return ``replacement``.

        Undoing removes this override and any made over it later that nothing else removed
        (``reset_last_overriding`` until it is gone).
        """
        provider.override(replacement)
        self._stack.callback(_remove_overriding, provider, provider.last_overriding)
        return replacement

    def close(self) -> None:
        """Undo every override, the last first."""
        self._stack.close()

    def __enter__(self) -> Overrides:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _remove_overriding(provider: di.Provider[Any], overriding: di.Provider[Any] | None) -> None:
    while overriding is not None and any(item is overriding for item in provider.overridden):
        provider.reset_last_overriding()


@contextlib.contextmanager
def isolated_global_state() -> Iterator[None]:
    """Restore, on exit, what seeding and running a training run change globally: torch's
    deterministic flags, the random states of Python, NumPy and torch, and the environment
    variables of :data:`SEEDING_ENVIRONMENT`. Imports torch."""
    import numpy as np
    import torch

    cudnn = torch.backends.cudnn
    flags = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cudnn_flags = (cudnn.deterministic, cudnn.benchmark)
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    environment = {name: os.environ.get(name) for name in SEEDING_ENVIRONMENT}
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(flags[0], warn_only=flags[1])
        cudnn.deterministic, cudnn.benchmark = cudnn_flags
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
        if cuda_states is not None:  # seeding a run reseeds every CUDA device too
            torch.cuda.set_rng_state_all(cuda_states)
        for name, value in environment.items():
            restore_environment(name, value)


def restore_environment(name: str, value: str | None) -> None:
    """Set the environment variable ``name`` to ``value``; None removes it."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def close_log_files(directory: Path) -> None:
    """Close the files under ``directory`` that regwire's run loggers write (before the
    directory is removed)."""
    from ..engine import LOGGER_NAME

    prefix = f"{LOGGER_NAME}."
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        if not (name == LOGGER_NAME or name.startswith(prefix)):
            continue
        for handler in list(logger.handlers):
            if not isinstance(handler, logging.FileHandler):
                continue
            if Path(handler.baseFilename).is_relative_to(directory):
                logger.removeHandler(handler)
                handler.close()
