"""Distributed set-up: ``launcher: pytorch`` joins the process group torchrun describes.

regwire does not launch processes; ``torchrun --nproc-per-node N -m runner train CFG
--cfg-options launcher=pytorch`` does, and sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``, which ``init_process_group`` reads. :func:`dist_info` tells
any component its rank and the world size.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch
import torch.distributed as dist

from container import ConfigError, did_you_mean
from providers import PATH

from .._sections import mapping_section

LAUNCHERS = ("none", "pytorch")


def init_dist(launcher: str | None, env_cfg: Mapping[str, Any] | None = None) -> bool:
    """Join the process group for ``launcher``; return whether the run is distributed.

    Args:
        launcher: ``"none"`` (or None) for one process, ``"pytorch"`` for torchrun.
        env_cfg: MMEngine's ``env_cfg``; ``env_cfg.dist_cfg.backend`` picks the backend
            (``nccl`` with CUDA, ``gloo`` otherwise, by default).

    Raises:
        ConfigError: An unknown launcher, or ``pytorch`` without torchrun's environment.
    """
    env = mapping_section(env_cfg, "env_cfg") if env_cfg is not None else {}
    if launcher is None or launcher == "none":
        return False
    if launcher not in LAUNCHERS:
        raise ConfigError(
            f"{PATH} must be one of {', '.join(LAUNCHERS)}, got {launcher!r} "
            "(start the processes with torchrun and use 'pytorch')",
            config_path="launcher",
        )
    if not dist.is_available():
        raise ConfigError("torch.distributed is not available", config_path="launcher")
    if dist.is_initialized():
        return True
    missing = [
        key for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT") if key not in os.environ
    ]
    if missing:
        raise ConfigError(
            f"{PATH} is 'pytorch', which needs torchrun's environment; {', '.join(missing)} not set "
            "(start with: torchrun --nproc-per-node N -m runner train CONFIG)",
            config_path="launcher",
        )
    dist_cfg = dict(mapping_section(env.get("dist_cfg") or {}, "env_cfg.dist_cfg"))
    backend = dist_cfg.pop("backend", None) or ("nccl" if torch.cuda.is_available() else "gloo")
    problem = backend_problem(backend)
    if problem is not None:
        raise problem
    if "nccl" in str(backend) and not torch.cuda.is_available():
        raise ConfigError(
            f"{PATH} is {backend!r}, which needs CUDA, and this machine has no CUDA device: "
            "use gloo (or leave the backend out: gloo without CUDA, nccl with it)",
            config_path="env_cfg.dist_cfg.backend",
        )
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend, **dist_cfg)
    return True


def backend_problem(backend: object, path: str = "env_cfg.dist_cfg.backend") -> ConfigError | None:
    """Why ``backend`` is not a torch.distributed backend (``gloo``, ``nccl``..., or
    ``cpu:gloo,cuda:nccl``), naming ``path`` and the nearest; None when it is one."""
    known = [name for name in dist.Backend.backend_list if name not in ("undefined", "fake")]
    if not isinstance(backend, str):
        return ConfigError(f"{PATH} must be a backend name ({', '.join(known)})", config_path=path)
    names = [part.split(":", 1)[-1] for part in backend.lower().split(",")]
    for name in names:
        if name not in dist.Backend.backend_list:
            return ConfigError(
                f"{PATH} names {name!r}, which is no torch.distributed backend"
                f"{did_you_mean(name, known)} (known: {', '.join(known)})",
                config_path=path,
            )
    return None


def dist_info() -> tuple[int, int]:
    """This process's rank and the world size (``0, 1`` without torch.distributed)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """Whether this is rank 0 (or the only process)."""
    return dist_info()[0] == 0


def shutdown_dist(wait: bool = True) -> None:
    """Leave the process group, if this process joined one.

    Args:
        wait: Wait for every rank first (a barrier). Not after an error: a rank that failed
            alone must leave at once, or the others, waiting in a collective it never joins,
            and it, waiting in the barrier, would wait for ever (torchrun then stops them).
    """
    if dist.is_available() and dist.is_initialized():
        if wait:
            dist.barrier()
        dist.destroy_process_group()
