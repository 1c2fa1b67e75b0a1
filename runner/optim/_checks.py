"""Checks of ``param_scheduler`` configs without building anything (``regwire check``): the
window of each entry, the choices of a plateau scheduler, and ``param_name`` against the
configured optimizer's parameter-group keys."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import OPTIMIZERS, PARAM_SCHEDULERS
from ._builders import check_window_cfg, per_optimizer
from ._plateau import PLATEAU_CHOICES


def scheduler_entry_problems(item: Mapping[str, Any], path: str) -> list[ConfigError]:
    """The window ``[begin, end)`` of one scheduler config and, for a plateau scheduler, its
    ``rule`` and ``threshold_rule`` (names the signatures do not restrict)."""
    problems = []
    window = check_window_cfg(item, path)
    if window is not None:
        problems.append(window)
    type_ = item.get("type")
    found = PARAM_SCHEDULERS.get(type_) if isinstance(type_, str) else type_
    if not getattr(found, "need_val_args", False):
        return problems
    for key, choices in PLATEAU_CHOICES.items():
        given = item.get(key)
        if isinstance(given, str) and given not in choices:
            problems.append(
                ConfigError(
                    f"{PATH} must be one of {', '.join(choices)}{did_you_mean(given, choices)}",
                    config_path=f"{path}.{key}",
                )
            )
    return problems


def param_name_problems(cfg: Mapping[str, Any]) -> list[ConfigError]:
    """Each scheduler's ``param_name`` against the arguments of the configured optimizer (the
    keys of its parameter groups), where both are known without building anything."""
    wrapper = cfg.get("optim_wrapper")
    optimizer = wrapper.get("optimizer") if isinstance(wrapper, Mapping) else None
    type_ = optimizer.get("type") if isinstance(optimizer, Mapping) else None
    found = OPTIMIZERS.get(type_) if isinstance(type_, str) else None
    if found is None:
        return []
    try:
        keys = [name for name in inspect.signature(found).parameters if name != "params"]
    except (TypeError, ValueError):  # no signature to read
        return []
    problems = []
    for item, where in scheduler_entries(cfg.get("param_scheduler"), "param_scheduler"):
        name = item.get("param_name")
        if isinstance(name, str) and name not in keys:
            problems.append(
                ConfigError(
                    f"{PATH} is {name!r}, which {type_}'s parameter groups do not have"
                    f"{did_you_mean(name, keys)} (they have {', '.join(keys)})",
                    config_path=f"{where}.param_name",
                )
            )
    return problems


def scheduler_entries(value: Any, path: str) -> list[tuple[Mapping[str, Any], str]]:
    """The scheduler configs of a ``param_scheduler`` value, with their paths."""
    if per_optimizer(value):
        return [
            entry
            for name, item in value.items()
            for entry in scheduler_entries(item, f"{path}.{name}")
        ]
    if isinstance(value, Mapping):
        return [(value, path)]
    if isinstance(value, list | tuple):
        return [(v, f"{path}.{i}") for i, v in enumerate(value) if isinstance(v, Mapping)]
    return []
