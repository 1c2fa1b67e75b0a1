"""Optimizer-wrapper constructors, and building the ``optim_wrapper`` section with them.

As in MMEngine, ``optim_wrapper.constructor`` names a class of ``OPTIM_WRAPPER_CONSTRUCTORS``
(``DefaultOptimWrapperConstructor`` when absent); it is made with ``optim_wrapper_cfg`` (the
section without ``constructor`` and ``paramwise_cfg``) and ``paramwise_cfg``, and called with
the model. :class:`MultiOptimWrapperConstructor` (mmagic's name) builds an
:class:`OptimWrapperDict`, one wrapper per submodule of the model; a section without
``optimizer`` whose values each have one uses it without naming it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from .._sections import build_at, mapping_section
from ._amp import AmpOptimWrapper, amp_dtype_problem, amp_loss_scale_problem
from ._optim_wrapper import OptimWrapper, check_clip_grad
from ._paramwise import ParamGroups, paramwise_problems
from ._wrapper_dict import OptimWrapperDict

_LOGGER = logging.getLogger(__name__)

SECTION_KEYS = ("optimizer", "constructor", "paramwise_cfg")
"""The keys of a wrapper config that are not the wrapper's arguments."""
DEFAULT_CONSTRUCTOR = "DefaultOptimWrapperConstructor"
MULTI_CONSTRUCTOR = "MultiOptimWrapperConstructor"


def is_multi_cfg(cfg: Any) -> bool:
    """Whether an ``optim_wrapper`` section gives several named wrappers without naming a
    constructor: no ``optimizer``, ``type`` nor ``constructor``, and every value a mapping
    with an ``optimizer`` (or a ready wrapper)."""
    if not isinstance(cfg, Mapping) or not cfg:
        return False
    if any(key in cfg for key in ("optimizer", "type", "constructor")):
        return False
    return all(
        (isinstance(value, Mapping) and "optimizer" in value) or isinstance(value, OptimWrapper)
        for value in cfg.values()
    )


def wrapper_names(cfg: Any) -> list[str] | None:
    """The optimizer names of a multi-optimizer ``optim_wrapper`` section (None for one)."""
    if not isinstance(cfg, Mapping):
        return None
    if is_multi_cfg(cfg) or cfg.get("constructor") == MULTI_CONSTRUCTOR:
        return [str(key) for key in cfg if key not in ("constructor", "paramwise_cfg")]
    return None


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DefaultOptimWrapperConstructor:
    """Builds the optimizer over a model's parameters (grouped by ``paramwise_cfg``) and the
    wrapper around it.

    Args:
        optim_wrapper_cfg: The wrapper config with its ``optimizer``.
        paramwise_cfg: Per-parameter settings (see :mod:`runner.optim._paramwise`); None or
            empty: one group of all parameters.
        section: The config path of ``optim_wrapper_cfg``, for error messages.

    Raises:
        ConfigError: No ``optimizer``, or a malformed ``paramwise_cfg``, ``clip_grad`` or
            ``dtype`` (the path names the key).
    """

    def __init__(
        self,
        optim_wrapper_cfg: Mapping[str, Any],
        paramwise_cfg: Mapping[str, Any] | None = None,
        section: str = "optim_wrapper",
    ) -> None:
        cfg = dict(mapping_section(optim_wrapper_cfg, section, "a mapping with an 'optimizer'"))
        self.section = section
        self.optimizer_cfg = cfg.pop("optimizer", None)
        if self.optimizer_cfg is None:
            raise ConfigError(
                f"{PATH} needs an 'optimizer' (such as {{type: SGD, lr: 0.01}})",
                config_path=section,
            )
        self.optim_wrapper_cfg = cfg
        errors, _ = paramwise_problems(
            paramwise_cfg,
            self.optimizer_cfg,
            f"{section}.paramwise_cfg",
            strict=type(self) is DefaultOptimWrapperConstructor,
        )
        if errors:
            raise errors[0]
        self.paramwise_cfg: dict[str, Any] = dict(paramwise_cfg or {})
        optimizer_cfg = self.optimizer_cfg
        self.base_lr = optimizer_cfg.get("lr") if isinstance(optimizer_cfg, Mapping) else None
        self.base_wd = (
            optimizer_cfg.get("weight_decay") if isinstance(optimizer_cfg, Mapping) else None
        )
        self._groups = ParamGroups(self.paramwise_cfg, self.base_lr, self.base_wd)

    def add_params(
        self,
        params: list[dict[str, Any]],
        module: nn.Module,
        prefix: str = "",
        is_dcn_module: float | None = None,
    ) -> None:
        """Append the parameter groups of ``module`` and its children to ``params``, by
        ``paramwise_cfg`` (MMEngine's signature; a subclass may override it, and the
        recursion calls ``self.add_params`` for each child, as MMEngine's does).

        Args:
            params: The groups so far, appended to in place.
            module: The module whose parameters are added.
            prefix: The module's path in the model (``backbone.0``).
            is_dcn_module: MMEngine's deformable-convolution marker, passed down unread.
        """
        self._groups.add_own_params(params, module, prefix)
        for child_name, child in module.named_children():
            child_prefix = f"{prefix}.{child_name}" if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=is_dcn_module)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer over ``model`` (or its ``.module``) and the wrapper."""
        model = getattr(model, "module", model)
        optimizer = self._build_optimizer(model)
        return build_wrapper(self.optim_wrapper_cfg, optimizer, self.section)

    def _build_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        cfg, path = self.optimizer_cfg, f"{self.section}.optimizer"
        if isinstance(cfg, torch.optim.Optimizer):
            return cfg
        if not isinstance(cfg, Mapping):
            raise ConfigError(
                f"{PATH} must be a mapping such as {{type: SGD, lr: 0.01}}, got {cfg!r}",
                config_path=path,
            )
        if "type" not in cfg:
            raise ConfigError(
                f"{PATH} needs a 'type' (an optimizer such as SGD or AdamW)", config_path=path
            )
        params: Any = model.parameters()
        if self.paramwise_cfg:
            self._groups.matched.clear()
            groups: list[dict[str, Any]] = []
            self.add_params(groups, model)
            for key in self._groups.unmatched():
                _LOGGER.warning(
                    "%s.paramwise_cfg.custom_keys.%s matches no parameter of %s: it changes "
                    "nothing",
                    self.section,
                    key,
                    type(model).__name__,
                )
            params = groups
        optimizer = build_at(OPTIMIZERS, cfg, path, **{_first_argument(cfg["type"]): params})
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ConfigError(
                f"{PATH} must build a torch optimizer, got {type(optimizer).__name__}",
                config_path=f"{path}.type",
            )
        return optimizer


def _first_argument(type_: Any) -> str:
    """The name of an optimizer's first argument (``params`` for torch's), as MMEngine."""
    found = OPTIMIZERS.get(type_) if isinstance(type_, str) else type_
    if not callable(found):
        return "params"
    try:
        return next(iter(inspect.signature(found).parameters))
    except (TypeError, ValueError, StopIteration):
        return "params"


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Builds an :class:`OptimWrapperDict`: each key of ``optim_wrapper_cfg`` names a
    submodule of the model (``generator``), whose parameters its wrapper config optimizes
    (with its own ``paramwise_cfg`` and ``constructor``, if any).

    Raises:
        ConfigError: A value is not a wrapper config, a key is not a submodule of the
            model, or ``paramwise_cfg`` is given for all (give it per optimizer).
    """

    def __init__(
        self,
        optim_wrapper_cfg: Mapping[str, Any],
        paramwise_cfg: Mapping[str, Any] | None = None,
        section: str = "optim_wrapper",
    ) -> None:
        if paramwise_cfg:
            raise ConfigError(
                f"{PATH} applies to one optimizer: give it inside each optimizer's config",
                config_path=f"{section}.paramwise_cfg",
            )
        self.section = section
        self.optim_wrapper_cfg = dict(mapping_section(optim_wrapper_cfg, section))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build each named wrapper over the submodule of that name."""
        model = getattr(model, "module", model)
        children = dict(model.named_children())
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            where = f"{self.section}.{name}"
            if isinstance(cfg, OptimWrapper):
                wrappers[str(name)] = cfg
                continue
            if name not in children:
                raise ConfigError(
                    f"{PATH} names no submodule of {type(model).__name__}"
                    f"{did_you_mean(str(name), children)} (it has {', '.join(children)})",
                    config_path=where,
                )
            wrapper = build_optim_wrapper(children[name], cfg, where)
            if wrapper is None:
                raise ConfigError(f"{PATH} must be a wrapper config, got null", config_path=where)
            wrappers[str(name)] = wrapper
        return OptimWrapperDict(**wrappers)


def build_optim_wrapper(
    model: nn.Module, cfg: Mapping[str, Any] | OptimWrapper | None, section: str = "optim_wrapper"
) -> OptimWrapper | None:
    """Build the ``optim_wrapper`` section over ``model``'s parameters, as MMEngine does.

    Args:
        model: The model whose parameters are optimized (a DDP model's ``.module`` is used).
        cfg: The section: ``{type: OptimWrapper (default), optimizer: {type: SGD, ...},
            clip_grad: ..., accumulative_counts: ..., paramwise_cfg: ..., constructor: ...}``,
            or several such by name (an :class:`OptimWrapperDict`). A ready wrapper is
            returned as it is; None (a run that does not train) gives None.
        section: The path of ``cfg`` in the whole config, for error messages.

    Raises:
        ConfigError: The section is malformed (the path names the key).
        RegwireError: A ``type`` is unknown or a component rejected its arguments.
    """
    if cfg is None or isinstance(cfg, OptimWrapper):
        return cfg
    wrapper_cfg = dict(mapping_section(cfg, section, "a mapping with an 'optimizer'"))
    default = MULTI_CONSTRUCTOR if is_multi_cfg(wrapper_cfg) else DEFAULT_CONSTRUCTOR
    name = wrapper_cfg.pop("constructor", default)
    paramwise_cfg = wrapper_cfg.pop("paramwise_cfg", None)
    found = OPTIM_WRAPPER_CONSTRUCTORS.get(name) if isinstance(name, str) else name
    if not callable(found):
        names = list(OPTIM_WRAPPER_CONSTRUCTORS.module_dict)
        raise ConfigError(
            f"{PATH} is {name!r}, which is not in the optim_wrapper_constructor registry"
            f"{did_you_mean(str(name), names)}",
            config_path=f"{section}.constructor",
        )
    extra = {"section": section} if _takes_section(found) else {}
    constructor = found(optim_wrapper_cfg=wrapper_cfg, paramwise_cfg=paramwise_cfg, **extra)
    wrapper = constructor(model)
    if not isinstance(wrapper, OptimWrapper):
        raise ConfigError(
            f"{PATH} {name!r} must build an OptimWrapper, got {type(wrapper).__name__}",
            config_path=f"{section}.constructor",
        )
    return wrapper


def _takes_section(constructor: Any) -> bool:
    """Whether a constructor class is ours, or a subclass keeping our ``section`` argument
    (a subclass written for MMEngine overrides ``__init__`` without it)."""
    if not (
        isinstance(constructor, type)
        and issubclass(constructor, DefaultOptimWrapperConstructor | MultiOptimWrapperConstructor)
    ):
        return False
    try:
        return "section" in inspect.signature(constructor).parameters
    except (TypeError, ValueError):  # no signature to read
        return False


def misspelt_section_keys(cfg: Mapping[str, Any], kind: Any, path: str) -> list[ConfigError]:
    """Keys of a wrapper config that the wrapper class ``kind`` does not take and that are
    near-misses of :data:`SECTION_KEYS` (``constructer``): errors suggesting the key."""
    try:
        parameters = inspect.signature(kind).parameters
    except (TypeError, ValueError):  # not a class, or no signature to read
        return []
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return []
    problems = []
    for key in cfg:
        hint = did_you_mean(str(key), SECTION_KEYS)
        if key not in parameters and key not in SECTION_KEYS and key != "type" and hint:
            problems.append(
                ConfigError(
                    f"{PATH} is neither an argument of {getattr(kind, '__name__', kind)} nor a "
                    f"key of the section{hint}",
                    config_path=f"{path}.{key}",
                )
            )
    return problems


def build_wrapper(
    cfg: Mapping[str, Any], optimizer: torch.optim.Optimizer, section: str
) -> OptimWrapper:
    """Build the wrapper of ``cfg`` (``type`` OptimWrapper by default) around ``optimizer``.

    Raises:
        ConfigError: ``clip_grad`` or an AMP ``dtype`` is malformed, or the type does not
            build an OptimWrapper.
    """
    wrapper_cfg = dict(cfg)
    wrapper_cfg.setdefault("type", "OptimWrapper")
    # clip_grad may hold ``type: value``, which is not a registered name: pass it as it is.
    passed: dict[str, Any] = {"optimizer": optimizer}
    if "clip_grad" in wrapper_cfg:
        clip_grad = passed["clip_grad"] = wrapper_cfg.pop("clip_grad")
        try:
            check_clip_grad(clip_grad)
        except ValueError as exc:
            raise ConfigError(str(exc), config_path=f"{section}.clip_grad") from exc
    type_ = wrapper_cfg["type"]
    kind = OPTIM_WRAPPERS.get(type_) if isinstance(type_, str) else type_
    misspelt = misspelt_section_keys(wrapper_cfg, kind, section)
    if misspelt:
        raise misspelt[0]
    if isinstance(kind, type) and issubclass(kind, AmpOptimWrapper):
        for problem in (
            amp_dtype_problem(wrapper_cfg.get("dtype"), section),
            amp_loss_scale_problem(wrapper_cfg.get("loss_scale", "dynamic"), section),
        ):
            if problem is not None:
                raise problem
    wrapper = build_at(OPTIM_WRAPPERS, wrapper_cfg, section, **passed)
    if not isinstance(wrapper, OptimWrapper):
        raise ConfigError(
            f"{PATH} must build an OptimWrapper, got {type(wrapper).__name__}",
            config_path=f"{section}.type",
        )
    return wrapper
