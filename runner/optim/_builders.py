"""Building the ``optim_wrapper`` and ``param_scheduler`` sections of a config.

:func:`build_optim_wrapper` builds the optimizer over a model's parameters and wraps it;
:func:`build_param_schedulers` builds the schedulers over the wrapper's optimizer, scaling
epoch-based ones to iterations where a config asks for it (``convert_to_iter_based``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from container import ConfigError
from providers import PATH

from .._registries import OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS
from .._sections import build_at, mapping_section
from ._optim_wrapper import OptimWrapper, check_clip_grad
from ._scheduler import INF, unwrap_optimizer


def build_optim_wrapper(
    model: nn.Module, cfg: Mapping[str, Any] | OptimWrapper | None, section: str = "optim_wrapper"
) -> OptimWrapper | None:
    """Build the optimizer over ``model``'s parameters, and the wrapper around it.

    Args:
        model: The model whose parameters are optimized (the ``.module`` of a DDP model is
            the same set of parameters).
        cfg: The ``optim_wrapper`` section: ``{type: OptimWrapper (default), optimizer:
            {type: SGD, lr: 0.1, ...}, clip_grad: ..., accumulative_counts: ...}``. A ready
            :class:`OptimWrapper` is returned as it is; None (a run that does not train)
            gives None.
        section: The path of ``cfg`` in the whole config, for error messages.

    Returns:
        The optimizer wrapper, or None for None.

    Raises:
        ConfigError: ``cfg`` is not a mapping or has no ``optimizer``.
        RegwireError: A ``type`` is unknown or a component rejected its arguments; the
            error's ``config_path`` is the full path (``optim_wrapper.optimizer.type``).
    """
    if cfg is None or isinstance(cfg, OptimWrapper):
        return cfg
    wrapper_cfg = dict(mapping_section(cfg, section, "a mapping with an 'optimizer'"))
    wrapper_cfg.setdefault("type", "OptimWrapper")
    optimizer_cfg = wrapper_cfg.pop("optimizer", None)
    optimizer_path = f"{section}.optimizer"
    if isinstance(optimizer_cfg, torch.optim.Optimizer):
        optimizer = optimizer_cfg
    elif isinstance(optimizer_cfg, Mapping):
        if "type" not in optimizer_cfg:
            raise ConfigError(
                f"{PATH} needs a 'type' (an optimizer such as SGD or AdamW)",
                config_path=optimizer_path,
            )
        optimizer = build_at(OPTIMIZERS, optimizer_cfg, optimizer_path, params=model.parameters())
    else:
        raise ConfigError(
            f"{PATH} must be a mapping such as {{type: SGD, lr: 0.01}}, got {optimizer_cfg!r}",
            config_path=optimizer_path,
        )
    # clip_grad may hold ``type: value``, which is not a registered name: pass it as it is.
    passed: dict[str, Any] = {"optimizer": optimizer}
    if "clip_grad" in wrapper_cfg:
        clip_grad = passed["clip_grad"] = wrapper_cfg.pop("clip_grad")
        clip_path = f"{section}.clip_grad"
        try:
            check_clip_grad(clip_grad)
        except ValueError as exc:
            raise ConfigError(str(exc), config_path=clip_path) from exc
    wrapper = build_at(OPTIM_WRAPPERS, wrapper_cfg, section, **passed)
    if not isinstance(wrapper, OptimWrapper):
        raise ConfigError(
            f"{PATH} must build an OptimWrapper, got {type(wrapper).__name__}",
            config_path=f"{section}.type",
        )
    return wrapper


def build_param_schedulers(
    optim_wrapper: Any,
    cfg: Mapping[str, Any] | Sequence[Any] | None,
    section: str = "param_scheduler",
    epoch_length: int | Callable[[], int | None] | None = None,
) -> list[Any]:
    """Build the ``param_scheduler`` section over an optimizer wrapper's optimizer.

    Args:
        optim_wrapper: An ``OptimWrapper`` (its ``optimizer`` is scheduled) or an optimizer;
            None (a run without one, which only tests) gives no schedulers.
        cfg: None (no schedulers), one scheduler config or a list of them; ready schedulers
            are kept. Each config is built from ``PARAM_SCHEDULERS`` with ``optimizer=``.
        section: Where ``cfg`` sits in the whole config, for error messages.
        epoch_length: Iterations per epoch, for entries with ``convert_to_iter_based: true``
            (MMEngine's option): their steps (``begin``, ``end``, ``milestones``, ...) are
            given in epochs and scaled to iterations, and they step every iteration. A
            callable is called only when an entry converts, and at most once (so a run that
            only tests never builds its training data to learn the length).

    Returns:
        The schedulers, in config order.

    Raises:
        ConfigError: An entry is neither a config with ``type`` nor a scheduler.
        RegwireError: A ``type`` is unknown or rejected its arguments (the path names the
            entry: ``param_scheduler.1.type``).
    """
    if cfg is None or optim_wrapper is None:
        return []
    optimizer = unwrap_optimizer(optim_wrapper)
    entries: list[tuple[Any, str]]
    if isinstance(cfg, Mapping):
        entries = [(cfg, section)]
    elif isinstance(cfg, Sequence) and not isinstance(cfg, str):
        entries = [(item, f"{section}.{index}") for index, item in enumerate(cfg)]
    else:
        raise ConfigError(
            f"{PATH} must be a scheduler config or a list of them, got {cfg!r}",
            config_path=section,
        )
    length: list[int | None] = []  # epoch_length, once it is known

    def iterations_per_epoch() -> int | None:
        if not length:
            length.append(epoch_length() if callable(epoch_length) else epoch_length)
        return length[0]

    schedulers = []
    for item, path in entries:
        if isinstance(item, Mapping):
            if "type" not in item:
                raise ConfigError(
                    f"{PATH} needs a 'type' (a scheduler such as MultiStepLR)", config_path=path
                )
            item = _convert_to_iter_based(item, iterations_per_epoch, path)
            schedulers.append(build_at(PARAM_SCHEDULERS, item, path, optimizer=optimizer))
        elif callable(getattr(item, "step", None)):
            schedulers.append(item)
        else:
            raise ConfigError(
                f"{PATH} must be a scheduler config such as {{type: MultiStepLR, ...}}, "
                f"got {item!r}",
                config_path=path,
            )
    return schedulers


def _convert_to_iter_based(
    cfg: Mapping[str, Any], iterations_per_epoch: Callable[[], int | None], path: str
) -> Mapping[str, Any]:
    """Scale an epoch-based scheduler config to iterations when it asks for it."""
    if not cfg.get("convert_to_iter_based", False):
        return {key: value for key, value in cfg.items() if key != "convert_to_iter_based"}
    flag_path = f"{path}.convert_to_iter_based"
    if not cfg.get("by_epoch", True):
        raise ConfigError(
            "only an epoch-based scheduler (by_epoch: true) can be converted",
            config_path=flag_path,
        )
    epoch_length = iterations_per_epoch()
    if not epoch_length:
        raise ConfigError(
            f"{PATH} needs the number of iterations per epoch, which is unknown here "
            "(no training dataloader)",
            config_path=flag_path,
        )
    found = PARAM_SCHEDULERS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
    keys = ("begin", "end", *getattr(found, "epoch_keys", ()))
    converted = {k: v for k, v in cfg.items() if k != "convert_to_iter_based"}
    for key in keys:
        value = converted.get(key)
        if isinstance(value, list | tuple):
            converted[key] = [item * epoch_length for item in value]
        elif isinstance(value, int) and not (key == "end" and value >= INF):
            converted[key] = value * epoch_length
    converted["by_epoch"] = False
    return converted
