"""What goes into a checkpoint and back: each component's ``state_dict``, checked to fit.

Each component gives its state through ``state_dict()`` and takes it back through
``load_state_dict()``; the runner only collects them (detectron2's ``HookBase.state_dict``).
Before anything is restored, the model's and the optimizer's parts are compared with what
they go into, so a checkpoint of another model is an error naming the keys that differ, not a
``RuntimeError`` halfway through (with some components already changed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from ..optim import load_scheduler_states
from ._checkpoint import CheckpointError

_SHOWN = 5
"""How many differing keys a message lists."""

_GENERIC = frozenset(
    {"foreach", "fused", "differentiable", "capturable", "maximize", "decoupled_weight_decay"}
)
"""Settings of how torch runs an optimizer, not of which one it is: a checkpoint of an older
torch may lack them."""


@runtime_checkable
class Stateful(Protocol):
    """Anything whose state a checkpoint holds: optimizer wrappers, schedulers, hooks..."""

    def state_dict(self) -> Any: ...

    def load_state_dict(self, state: Any, /) -> Any: ...


def unwrap(model: nn.Module) -> nn.Module:
    """The module a DDP-style wrapper holds (``.module``), or ``model`` itself."""
    module = getattr(model, "module", None)
    return module if isinstance(module, nn.Module) else model


def gather_state(
    *,
    model: nn.Module | None,
    optim_wrapper: Stateful | None,
    param_schedulers: Sequence[Stateful],
    hooks: Mapping[str, object],
    sampler: object,
) -> dict[str, Any]:
    """Collect the parts of a checkpoint from each component's ``state_dict()``.

    Pass None / empty for parts not to save (a sharded model's weights are saved apart).
    Only hooks with ``state_dict`` and ``load_state_dict`` are saved, under their names; the
    sampler likewise.
    """
    checkpoint: dict[str, Any] = {}
    if model is not None:
        checkpoint["state_dict"] = unwrap(model).state_dict()
    if optim_wrapper is not None:
        checkpoint["optimizer"] = optim_wrapper.state_dict()
    if param_schedulers:
        checkpoint["param_schedulers"] = [s.state_dict() for s in param_schedulers]
    hook_states = {
        name: hook.state_dict() for name, hook in hooks.items() if isinstance(hook, Stateful)
    }
    if hook_states:
        checkpoint["hooks"] = hook_states
    if isinstance(sampler, Stateful):
        checkpoint["data_sampler"] = sampler.state_dict()
    return checkpoint


def restore_state(
    checkpoint: Mapping[str, Any],
    *,
    model: nn.Module | None,
    optim_wrapper: Stateful | None,
    param_schedulers: Sequence[Stateful],
    hooks: Mapping[str, object],
    sampler: object,
    name: str = "the checkpoint",
) -> None:
    """Give each component its part of ``checkpoint`` through ``load_state_dict()``.

    The model's weights must match exactly, and the optimizer's state must fit its
    parameters; both are checked before anything changes. ``model`` None: its weights were
    loaded apart (a sharded checkpoint's). Parts the checkpoint lacks are
    left alone; hooks are matched by name.

    Raises:
        CheckpointError: The model or the optimizer does not fit (naming ``name`` and the
            keys); its ``config_path`` is ``resume``.
    """
    module = unwrap(model) if model is not None else None
    if module is not None:
        check_model_fits(module, checkpoint["state_dict"], strict=True, name=name, at="resume")
    optimizer = getattr(optim_wrapper, "optimizer", None)
    if isinstance(optimizer, torch.optim.Optimizer) and "optimizer" in checkpoint:
        check_optimizer_fits(optimizer, checkpoint["optimizer"], name=name)
    if module is not None:
        module.load_state_dict(checkpoint["state_dict"])
    if optim_wrapper is not None and "optimizer" in checkpoint:
        optim_wrapper.load_state_dict(checkpoint["optimizer"])
    if "param_schedulers" in checkpoint:  # checked before loading, a ConfigError naming them
        load_scheduler_states(param_schedulers, checkpoint["param_schedulers"], name)
    for name, state in checkpoint.get("hooks", {}).items():
        hook = hooks.get(name)
        if isinstance(hook, Stateful):
            hook.load_state_dict(state)
    if "data_sampler" in checkpoint and isinstance(sampler, Stateful):
        sampler.load_state_dict(checkpoint["data_sampler"])


def check_model_fits(
    module: nn.Module,
    state_dict: Mapping[str, Any],
    *,
    strict: bool,
    name: str = "the checkpoint",
    at: str | None = None,
) -> tuple[list[str], list[str]]:
    """Compare a checkpoint's weights with the model's.

    Args:
        module: The model (unwrapped).
        state_dict: The checkpoint's weights.
        strict: Also refuse keys missing on either side.
        name: How the message names the checkpoint (its file).
        at: The config key that named it (``load_from``, ``resume``).

    Returns:
        The model's keys the checkpoint lacks and the checkpoint's keys the model lacks.

    Raises:
        CheckpointError: A tensor's shape differs, or (``strict``) a key is missing on either
            side; the message lists the keys.
    """
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(
            f"the 'state_dict' of {name} is a {type(state_dict).__name__}, not weights",
            config_path=at,
        )
    own = module.state_dict()
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    problems = [
        f"{key!r} is {_shape(value)} in the checkpoint and {_shape(own[key])} in the model"
        for key, value in state_dict.items()
        if key in own and _shape(value) != _shape(own[key])
    ]
    if strict:
        problems += [f"{key!r} is missing from the checkpoint" for key in missing]
        problems += [f"{key!r} is in the checkpoint but not in the model" for key in unexpected]
    if problems:
        raise CheckpointError(
            f"the weights of {name} do not fit {type(module).__name__}: {_listed(problems)}",
            config_path=at,
        )
    return missing, unexpected


def check_optimizer_fits(
    optimizer: torch.optim.Optimizer, state: Any, *, name: str = "the checkpoint"
) -> None:
    """Compare a checkpoint's optimizer state with the optimizer's parameters.

    Raises:
        CheckpointError: Another number of parameter groups or of parameters in a group,
            settings of another optimizer class (SGD's ``momentum`` for an Adam), or a state
            tensor (a momentum buffer...) of another shape than its parameter.
    """
    groups = state.get("param_groups") if isinstance(state, Mapping) else None
    if not isinstance(groups, list):
        raise CheckpointError(
            f"the 'optimizer' of {name} is not an optimizer state dict", config_path="resume"
        )
    ours = optimizer.param_groups
    if len(groups) != len(ours):
        raise CheckpointError(
            f"the optimizer state of {name} has {len(groups)} parameter groups, "
            f"{type(optimizer).__name__} has {len(ours)}",
            config_path="resume",
        )
    problems = []
    per_param = state.get("state", {})
    for index, (saved, group) in enumerate(zip(groups, ours, strict=True)):
        lacking = sorted(set(optimizer.defaults) - _GENERIC - set(saved))
        if lacking:  # another class keeps other settings (and state: SGD no Adam 'step')
            problems.append(
                f"group {index} was saved by another optimizer (it has no "
                f"{', '.join(map(repr, lacking))}, which {type(optimizer).__name__} keeps)"
            )
            continue
        ids, params = list(saved.get("params", [])), group["params"]
        if len(ids) != len(params):
            problems.append(f"group {index} has {len(ids)} parameters, not {len(params)}")
            continue
        for saved_id, param in zip(ids, params, strict=True):
            for name, value in per_param.get(saved_id, {}).items():
                if isinstance(value, torch.Tensor) and value.dim() and value.shape != param.shape:
                    problems.append(
                        f"{name!r} of parameter {saved_id} is {_shape(value)}, "
                        f"the parameter {_shape(param)}"
                    )
    if problems:
        raise CheckpointError(
            f"the optimizer state of {name} does not fit {type(optimizer).__name__}: "
            f"{_listed(problems)}",
            config_path="resume",
        )


def _shape(value: Any) -> list[int] | str:
    return list(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__


def _listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:_SHOWN])
    more = len(problems) - _SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")
