"""``auto_scale_lr``: the linear scaling rule (Goyal et al., 2017), as MMEngine's runner applies
it.

With ``auto_scale_lr: {enable: true, base_batch_size: 256}``, the learning rate of every
parameter group of every optimizer is multiplied by ``world_size * batch_size /
base_batch_size`` (the total batch size of one iteration over the one the config's rates were
tuned for), after the optimizer is built and before the schedulers record their initial
values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from container import ConfigError, did_you_mean
from providers import PATH

from ._optim_wrapper import OptimWrapper

_LOGGER = logging.getLogger(__name__)

AUTO_SCALE_LR_KEYS = ("enable", "base_batch_size")


def auto_scale_lr_problems(value: Any, path: str = "auto_scale_lr") -> list[ConfigError]:
    """The problems of an ``auto_scale_lr`` section: its keys, ``enable`` a bool, and
    ``base_batch_size`` a positive int (required when enabled)."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [
            ConfigError(
                f"{PATH} must be a mapping such as {{enable: true, base_batch_size: 256}}, "
                f"got {value!r}",
                config_path=path,
            )
        ]
    problems = [
        ConfigError(
            f"{PATH} is not an auto_scale_lr key{did_you_mean(str(key), AUTO_SCALE_LR_KEYS)} "
            f"(they are {', '.join(AUTO_SCALE_LR_KEYS)})",
            config_path=f"{path}.{key}",
        )
        for key in value
        if key not in AUTO_SCALE_LR_KEYS
    ]
    enable = value.get("enable", False)
    if not isinstance(enable, bool):
        problems.append(
            ConfigError(
                f"{PATH} must be true or false, got {enable!r}", config_path=f"{path}.enable"
            )
        )
    base = value.get("base_batch_size")
    where = f"{path}.base_batch_size"
    if base is None:
        if enable is True:
            problems.append(ConfigError(f"{PATH} is needed when enable is true", config_path=where))
    elif isinstance(base, bool) or not isinstance(base, int) or base < 1:
        problems.append(
            ConfigError(f"{PATH} must be a positive int, got {base!r}", config_path=where)
        )
    return problems


def scale_lr(
    optim_wrapper: OptimWrapper | None,
    auto_scale_lr: Mapping[str, Any] | None,
    batch_size: Any,
    world_size: int,
) -> float | None:
    """Scale the learning rates of ``optim_wrapper``'s groups when ``auto_scale_lr`` enables it.

    Args:
        optim_wrapper: The wrapper (an :class:`OptimWrapperDict`: each of its optimizers);
            None: nothing to scale.
        auto_scale_lr: The section (None or ``enable: false``: nothing is scaled).
        batch_size: The training dataloader's ``batch_size`` (per process).
        world_size: The number of training processes.

    Returns:
        The factor applied, or None when nothing was scaled.

    Raises:
        ConfigError: The section is malformed, or the batch size is unknown.
    """
    problems = auto_scale_lr_problems(auto_scale_lr)
    if problems:
        raise problems[0]
    if optim_wrapper is None or not auto_scale_lr or not auto_scale_lr.get("enable", False):
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(
            f"{PATH} needs train_dataloader.batch_size (a positive int), got {batch_size!r}",
            config_path="auto_scale_lr.enable",
        )
    base = auto_scale_lr["base_batch_size"]
    ratio = float(world_size * batch_size) / float(base)
    items = getattr(optim_wrapper, "items", None)
    wrappers = [w for _, w in items()] if callable(items) else [optim_wrapper]
    for wrapper in wrappers:
        for group in wrapper.optimizer.param_groups:
            group["lr"] = group["lr"] * ratio
    _LOGGER.info(
        "auto_scale_lr: learning rates set for a batch size of %d, the total batch size is "
        "%d (%d x %d): scaled by %g",
        base,
        world_size * batch_size,
        world_size,
        batch_size,
        ratio,
    )
    return ratio
