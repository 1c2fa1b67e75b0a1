"""``paramwise_cfg``: parameter groups with their own learning rate and weight decay.

MMEngine's ``DefaultOptimWrapperConstructor.add_params``, rule for rule: each parameter is a
group of its own; the first ``custom_keys`` entry (longest key first) whose key is a
substring of ``<module path>.<parameter name>`` sets ``lr = base_lr * lr_mult`` and
``weight_decay = base_wd * decay_mult`` and copies its keys into the group; otherwise
``bias_lr_mult`` applies to biases outside normalization layers, and the first of
``norm_decay_mult`` (normalization layers), ``bias_decay_mult``, ``dwconv_decay_mult``
(depth-wise convolutions) and ``flat_decay_mult`` (other one-dimensional parameters) that is
given sets the decay. Frozen parameters are left out; with ``bypass_duplicate`` so is a
parameter seen before (shared weights).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

import attrs
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import OPTIMIZERS

_LOGGER = logging.getLogger(__name__)

MULTIPLIERS = (
    "bias_lr_mult",
    "bias_decay_mult",
    "norm_decay_mult",
    "dwconv_decay_mult",
    "flat_decay_mult",
    "dcn_offset_lr_mult",
)
PARAMWISE_KEYS = ("custom_keys", *MULTIPLIERS, "bypass_duplicate")
"""The keys of ``paramwise_cfg`` (MMEngine's)."""

_ENTRY_MULTIPLIERS = ("lr_mult", "decay_mult")
_DECAY_KEYS = ("bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult", "flat_decay_mult")
_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


def paramwise_problems(
    paramwise_cfg: Any, optimizer_cfg: Any, path: str, strict: bool = True
) -> tuple[list[ConfigError], list[ConfigError]]:
    """The errors and warnings of a ``paramwise_cfg`` (``path`` is its config path): unknown
    keys, values of the wrong type, decay multipliers without the optimizer's
    ``weight_decay``, and ``dcn_offset_lr_mult`` (a warning: there are no deformable
    convolutions here, so it changes nothing).

    Args:
        paramwise_cfg: The ``paramwise_cfg`` value.
        optimizer_cfg: The optimizer's config (its ``type`` and ``weight_decay`` are read).
        path: The config path of ``paramwise_cfg``.
        strict: Refuse keys that are not MMEngine's, in ``paramwise_cfg`` and in the entries
            of ``custom_keys``: true for ``DefaultOptimWrapperConstructor`` itself, false for
            a subclass, which decides its own keys (mmpretrain's ``layer_decay_rate``).
    """
    if paramwise_cfg is None:
        return [], []
    if not isinstance(paramwise_cfg, Mapping):
        return [
            ConfigError(
                f"{PATH} must be a mapping or null, got {paramwise_cfg!r}", config_path=path
            )
        ], []
    errors, warnings = [], []
    has_wd = isinstance(optimizer_cfg, Mapping) and optimizer_cfg.get("weight_decay") is not None
    for key, value in paramwise_cfg.items():
        where = f"{path}.{key}"
        if key not in PARAMWISE_KEYS:
            if not strict:
                continue
            errors.append(
                ConfigError(
                    f"{PATH} is not a paramwise_cfg key{did_you_mean(str(key), PARAMWISE_KEYS)} "
                    f"(they are {', '.join(PARAMWISE_KEYS)})",
                    config_path=where,
                )
            )
        elif key == "custom_keys":
            keys = _group_keys(optimizer_cfg) if strict else None
            errors += _custom_keys_problems(value, where, has_wd, keys)
        elif key == "bypass_duplicate":
            if not isinstance(value, bool):
                errors.append(
                    ConfigError(f"{PATH} must be true or false, got {value!r}", config_path=where)
                )
        elif not _is_number(value):
            errors.append(ConfigError(f"{PATH} must be a number, got {value!r}", config_path=where))
        elif key in _DECAY_KEYS and not has_wd:
            errors.append(_no_weight_decay(where))
        elif key == "dcn_offset_lr_mult":
            warnings.append(
                ConfigError(
                    f"{PATH} applies to MMCV's deformable convolutions, which regwire does not "
                    "have: it changes nothing",
                    config_path=where,
                )
            )
    return errors, warnings


def _group_keys(optimizer_cfg: Any) -> tuple[str, ...]:
    """The keys a ``custom_keys`` entry may hold: the multipliers and, when the optimizer's
    class is known, its parameter-group keys (MMEngine copies the entry into the group)."""
    type_ = optimizer_cfg.get("type") if isinstance(optimizer_cfg, Mapping) else None
    found: Any = OPTIMIZERS.get(type_) if isinstance(type_, str) else type_
    try:
        parameters = list(inspect.signature(found).parameters.values())[1:]
    except (TypeError, ValueError):  # not a callable, or no signature to read
        return _ENTRY_MULTIPLIERS
    if any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters):
        return _ENTRY_MULTIPLIERS  # any key may be the optimizer's
    return (*_ENTRY_MULTIPLIERS, *(p.name for p in parameters))


def _entry_key_problems(
    entry: Mapping[str, Any], path: str, keys: tuple[str, ...]
) -> list[ConfigError]:
    """Keys of a ``custom_keys`` entry that neither multiply nor set a group key: with only
    the multipliers known (an optimizer whose arguments cannot be read), only near-misses of
    them are refused."""
    problems = []
    for key in entry:
        if key in keys:
            continue
        hint = did_you_mean(str(key), keys)
        if keys == _ENTRY_MULTIPLIERS and not hint:
            continue
        problems.append(
            ConfigError(
                f"{PATH} is neither a multiplier (lr_mult, decay_mult) nor a key of the "
                f"optimizer's parameter groups, so nothing would read it{hint}",
                config_path=f"{path}.{key}",
            )
        )
    return problems


def _custom_keys_problems(
    value: Any, path: str, has_wd: bool, keys: tuple[str, ...] | None
) -> list[ConfigError]:
    if not isinstance(value, Mapping):
        return [
            ConfigError(
                f"{PATH} must map parameter-name parts to settings, such as "
                f"{{backbone: {{lr_mult: 0.1}}}}, got {value!r}",
                config_path=path,
            )
        ]
    problems = []
    for key, entry in value.items():
        where = f"{path}.{key}"
        if not isinstance(entry, Mapping):
            problems.append(
                ConfigError(
                    f"{PATH} must be a mapping such as {{lr_mult: 0.1, decay_mult: 0}}, "
                    f"got {entry!r}",
                    config_path=where,
                )
            )
            continue
        if keys is not None:
            problems += _entry_key_problems(entry, where, keys)
        for mult in _ENTRY_MULTIPLIERS:
            if mult in entry and not _is_number(entry[mult]):
                problems.append(
                    ConfigError(
                        f"{PATH} must be a number, got {entry[mult]!r}",
                        config_path=f"{where}.{mult}",
                    )
                )
        if "decay_mult" in entry and not has_wd:
            problems.append(_no_weight_decay(f"{where}.decay_mult"))
    return problems


def _no_weight_decay(path: str) -> ConfigError:
    return ConfigError(
        f"{PATH} multiplies the optimizer's weight_decay, which the optimizer config does not "
        "give: set optimizer.weight_decay (MMEngine's 'base_wd should not be None')",
        config_path=path,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@attrs.define
class ParamGroups:
    """Makes the parameter groups of one module's own parameters by ``paramwise_cfg``;
    :attr:`matched` records which ``custom_keys`` matched a parameter. The recursion over
    children is the constructor's (``DefaultOptimWrapperConstructor.add_params``), so that a
    subclass overriding ``add_params`` sees every module, as in MMEngine.

    Args:
        paramwise_cfg: The checked ``paramwise_cfg``.
        base_lr: The optimizer's ``lr`` (None when it has no default).
        base_wd: The optimizer's ``weight_decay`` (None when not given).
    """

    paramwise_cfg: Mapping[str, Any]
    base_lr: float | None
    base_wd: float | None
    matched: set[str] = attrs.field(factory=set)

    def add_own_params(self, params: list[dict[str, Any]], module: nn.Module, prefix: str) -> None:
        """Append to ``params`` a group for each of ``module``'s own parameters (not its
        children's), in order; with ``bypass_duplicate``, one already in ``params`` is
        skipped."""
        is_norm = isinstance(module, _NORMS)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups
        bypass = self.paramwise_cfg.get("bypass_duplicate", False)
        for name, param in module.named_parameters(recurse=False):
            if bypass and any(param is p for group in params for p in group["params"]):
                _LOGGER.warning(
                    "%s.%s is shared with an earlier module: skipped (bypass_duplicate)",
                    prefix,
                    name,
                )
                continue
            if not param.requires_grad:
                _LOGGER.debug("%s.%s is skipped: it does not require grad", prefix, name)
                continue
            group: dict[str, Any] = {"params": [param]}
            if not self._custom(group, f"{prefix}.{name}"):
                self._defaults(group, name, param.ndim, is_norm, is_dwconv)
            params.append(group)

    def _custom(self, group: dict[str, Any], full_name: str) -> bool:
        custom_keys: Mapping[str, Mapping[str, Any]] = self.paramwise_cfg.get("custom_keys", {})
        for key in sorted(sorted(custom_keys), key=len, reverse=True):
            if key not in full_name:
                continue
            self.matched.add(key)
            entry = custom_keys[key]
            if self.base_lr is not None:
                group["lr"] = self.base_lr * entry.get("lr_mult", 1.0)
            if self.base_wd is not None:
                group["weight_decay"] = self.base_wd * entry.get("decay_mult", 1.0)
            group.update(entry)  # as MMEngine: the entry's own keys go into the group
            return True
        return False

    def _defaults(
        self, group: dict[str, Any], name: str, ndim: int, is_norm: bool, is_dwconv: bool
    ) -> None:
        cfg = self.paramwise_cfg
        bias_lr = name == "bias" and not is_norm and cfg.get("bias_lr_mult") is not None
        if bias_lr and self.base_lr is not None:
            group["lr"] = self.base_lr * cfg["bias_lr_mult"]
        if self.base_wd is None:
            return
        if is_norm and cfg.get("norm_decay_mult") is not None:
            group["weight_decay"] = self.base_wd * cfg["norm_decay_mult"]
        elif name == "bias" and cfg.get("bias_decay_mult") is not None:
            group["weight_decay"] = self.base_wd * cfg["bias_decay_mult"]
        elif is_dwconv and cfg.get("dwconv_decay_mult") is not None:
            group["weight_decay"] = self.base_wd * cfg["dwconv_decay_mult"]
        elif ndim == 1 and cfg.get("flat_decay_mult") is not None:
            group["weight_decay"] = self.base_wd * cfg["flat_decay_mult"]

    def unmatched(self) -> list[str]:
        """The ``custom_keys`` that matched no parameter."""
        return [key for key in self.paramwise_cfg.get("custom_keys", {}) if key not in self.matched]
