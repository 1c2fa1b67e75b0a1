"""Building the ``optim_wrapper`` and ``param_scheduler`` sections of a config.

:func:`build_optim_wrapper` builds the optimizer over a model's parameters and wraps it;
:func:`build_param_schedulers` builds the schedulers over the wrapper's optimizer (or over each
optimizer of a mapping of wrappers), filling ``end`` with the training length and scaling
epoch-based ones to iterations where a config asks for it (``convert_to_iter_based``), as
MMEngine's runner does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeGuard

import attrs
import torch
from torch import nn

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS
from .._sections import build_at, mapping_section
from ._optim_wrapper import OptimWrapper, check_clip_grad
from ._param_scheduler import INF, ParamScheduler, unknown_param_name, unwrap_optimizer


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
    train_loop: Any = None,
) -> list[Any]:
    """Build the ``param_scheduler`` section over an optimizer wrapper's optimizer.

    Args:
        optim_wrapper: An ``OptimWrapper`` (its ``optimizer`` is scheduled), an optimizer, or
            a mapping of names to wrappers (several optimizers, each with its own schedulers);
            None (a run without one, which only tests) gives no schedulers.
        cfg: None (no schedulers), one scheduler config or a list of them; ready schedulers
            are kept. Each config is built from ``PARAM_SCHEDULERS`` with ``optimizer=``.
            With a mapping of wrappers, a mapping of the same names to lists (MMEngine's form
            for an ``OptimWrapperDict``), or one list built for every optimizer.
        section: Where ``cfg`` sits in the whole config, for error messages.
        epoch_length: Iterations per epoch, for entries with ``convert_to_iter_based: true``
            (MMEngine's option): their steps (``begin``, ``end``, ``milestones``, ...) are
            given in epochs and scaled to iterations, and they step every iteration; and for
            the default ``end`` of an iteration-based scheduler in an epoch-based loop. A
            callable is called only when needed, and at most once (so a run that only tests
            never builds its training data to learn the length).
        train_loop: The training loop (``by_epoch`` and ``max_epochs`` or ``max_iters``): an
            entry without ``end`` ends with training, as in MMEngine: ``max_epochs`` for an
            epoch-based scheduler, else ``max_iters`` (for an epoch-based loop, ``max_epochs``
            times ``epoch_length``); an iteration-based loop counts as one epoch. None (no
            training) leaves ``end`` unset.

    Returns:
        The schedulers, in config order (for several optimizers, those of each optimizer in
        turn: one flat list, whose order a checkpoint keeps).

    Raises:
        ConfigError: An entry is neither a config with ``type`` nor a scheduler; its window
            is empty or inverted; its ``param_name`` is not a key of the parameter groups;
            a mapping of lists does not match the optimizers' names.
        RegwireError: A ``type`` is unknown or rejected its arguments (the path names the
            entry: ``param_scheduler.1.type``).
    """
    if cfg is None or optim_wrapper is None:
        return []
    context = _Context(epoch_length, train_loop)
    named = _named_wrappers(optim_wrapper)
    if named is None:
        if per_optimizer(cfg):
            raise ConfigError(
                f"{PATH} maps optimizer names to schedulers, but the optim_wrapper has one "
                "optimizer: give a scheduler config or a list of them",
                config_path=section,
            )
        return _build_list(unwrap_optimizer(optim_wrapper), cfg, section, context)
    if not per_optimizer(cfg):
        return [
            scheduler
            for wrapper in named.values()
            for scheduler in _build_list(unwrap_optimizer(wrapper), cfg, section, context)
        ]
    for name in cfg:
        if name not in named:
            raise ConfigError(
                f"{PATH} is not one of the optimizers ({', '.join(named)})"
                f"{did_you_mean(str(name), named)}",
                config_path=f"{section}.{name}",
            )
    schedulers = []
    for name, wrapper in named.items():
        if name not in cfg:
            raise ConfigError(
                f"{PATH} has no schedulers for optimizer {name!r} (give [] for none)",
                config_path=section,
            )
        optimizer = unwrap_optimizer(wrapper)
        schedulers += _build_list(optimizer, cfg[name], f"{section}.{name}", context)
    return schedulers


def per_optimizer(cfg: Any) -> TypeGuard[Mapping[str, Any]]:
    """Whether a ``param_scheduler`` value maps optimizer names to scheduler lists (a
    mapping without ``type`` whose values are scheduler configs or lists of them)."""
    if not isinstance(cfg, Mapping) or "type" in cfg or not cfg:
        return False
    for value in cfg.values():
        items = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(item, Mapping) or _is_scheduler(item) for item in items):
            return False
    return True


def _named_wrappers(optim_wrapper: Any) -> dict[str, Any] | None:
    """The wrappers by name of several optimizers (a mapping, or an object with
    ``items()`` such as MMEngine's ``OptimWrapperDict``); None for one optimizer."""
    if isinstance(optim_wrapper, torch.optim.Optimizer):
        return None
    items = getattr(optim_wrapper, "items", None)
    if not callable(items):
        return None
    return {str(name): wrapper for name, wrapper in items()}


def _is_scheduler(item: Any) -> bool:
    return callable(getattr(item, "step", None)) and not isinstance(item, Mapping)


@attrs.define
class _Context:
    """What every entry's build may need of the run: the epoch length (asked for once) and
    the training loop."""

    _epoch_length: int | Callable[[], int | None] | None
    train_loop: Any
    _known: list[int | None] = attrs.field(factory=list)

    def iterations_per_epoch(self) -> int | None:
        if not self._known:
            length = self._epoch_length
            self._known.append(length() if callable(length) else length)
        return self._known[0]

    def default_end(self, by_epoch: bool, path: str) -> int | None:
        """The ``end`` MMEngine's runner gives an entry without one (None without a loop)."""
        loop = self.train_loop
        if loop is None:
            return None
        if not getattr(loop, "by_epoch", True):
            return 1 if by_epoch else int(loop.max_iters)
        if by_epoch:
            return int(loop.max_epochs)
        length = self.iterations_per_epoch()
        if not length:
            raise ConfigError(
                f"{PATH} has no 'end', and the default (the training length in iterations) "
                "needs the number of iterations per epoch, which is unknown here",
                config_path=path,
            )
        return int(loop.max_epochs) * length


def _build_list(
    optimizer: torch.optim.Optimizer, cfg: Any, section: str, ctx: _Context
) -> list[Any]:
    """Build one optimizer's schedulers from a config or a list of them."""
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
    schedulers = []
    for item, path in entries:
        if isinstance(item, Mapping):
            schedulers.append(_build_entry(optimizer, item, path, ctx))
        elif _is_scheduler(item):
            schedulers.append(item)
        else:
            raise ConfigError(
                f"{PATH} must be a scheduler config such as {{type: MultiStepLR, ...}}, "
                f"got {item!r}",
                config_path=path,
            )
    return schedulers


def _build_entry(
    optimizer: torch.optim.Optimizer, cfg: Mapping[str, Any], path: str, ctx: _Context
) -> Any:
    """Build one scheduler config: default ``end``, conversion, checks, then the build."""
    if "type" not in cfg:
        raise ConfigError(
            f"{PATH} needs a 'type' (a scheduler such as MultiStepLR)", config_path=path
        )
    item = dict(cfg)
    if "end" not in item:
        end = ctx.default_end(bool(item.get("by_epoch", True)), path)
        if end is not None:
            item["end"] = end
    item = _convert_to_iter_based(item, ctx.iterations_per_epoch, path)
    window_problem = check_window_cfg(item, path)
    if window_problem is not None:
        raise window_problem
    param_name = item.get("param_name")
    if isinstance(param_name, str):
        problem = unknown_param_name(optimizer, param_name)
        if problem is not None:
            raise ConfigError(problem, config_path=f"{path}.param_name")
    scheduler = build_at(PARAM_SCHEDULERS, item, path, optimizer=optimizer)
    if isinstance(scheduler, ParamScheduler):
        scheduler.config_path = path
    return scheduler


def check_window_cfg(cfg: Mapping[str, Any], path: str) -> ConfigError | None:
    """The problem of a scheduler config's ``begin``/``end`` (ints given in the config):
    a negative ``begin``, or an ``end`` not after ``begin`` (an empty or inverted window)."""
    begin, end = cfg.get("begin", 0), cfg.get("end", INF)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (begin, end)):
        return None  # the signature check reports the types
    if begin < 0:
        return ConfigError(f"{PATH} must be 0 or more, got {begin}", config_path=f"{path}.begin")
    if end <= begin:
        return ConfigError(
            f"{PATH} must be after begin ({begin}), got {end}: the window [begin, end) "
            "would be empty",
            config_path=f"{path}.end",
        )
    return None


def _convert_to_iter_based(
    cfg: Mapping[str, Any], iterations_per_epoch: Callable[[], int | None], path: str
) -> dict[str, Any]:
    """Scale an epoch-based scheduler config to iterations when it asks for it (MMEngine's
    ``build_iter_from_epoch``: ``begin`` and ``end`` rounded down to whole iterations)."""
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
    converted = {k: v for k, v in cfg.items() if k != "convert_to_iter_based"}
    for key in ("begin", "end"):
        value = converted.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value < INF:
            converted[key] = int(value * epoch_length)
    for key in getattr(found, "epoch_keys", ()):
        value = converted.get(key)
        if isinstance(value, list | tuple):
            converted[key] = [item * epoch_length for item in value]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            converted[key] = value * epoch_length
    converted["by_epoch"] = False
    return converted
