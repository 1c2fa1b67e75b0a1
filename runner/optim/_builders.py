"""Building the ``param_scheduler`` section of a config.

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

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import PARAM_SCHEDULERS
from .._sections import build_at
from ._param_scheduler import INF, ParamScheduler, unknown_param_name, unwrap_optimizer


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


NO_PLATEAU_CONVERSION = (
    "a plateau scheduler steps on the metrics of validation epochs: it cannot be converted "
    "to iterations (leave out convert_to_iter_based)"
)


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

    def default_end(self, by_epoch: bool, path: str) -> tuple[int, str] | None:
        """The ``end`` MMEngine's runner gives an entry without one, and where it comes from
        (``train_cfg.max_epochs``); None without a loop."""
        loop = self.train_loop
        if loop is None:
            return None
        if not getattr(loop, "by_epoch", True):
            if by_epoch:
                return 1, "an iteration-based train_cfg, which counts as one epoch"
            return int(loop.max_iters), "train_cfg.max_iters"
        if by_epoch:
            return int(loop.max_epochs), "train_cfg.max_epochs"
        length = self.iterations_per_epoch()
        if not length:
            raise ConfigError(
                f"{PATH} has no 'end', and the default (the training length in iterations) "
                "needs the number of iterations per epoch, which is unknown here",
                config_path=path,
            )
        return int(loop.max_epochs) * length, "train_cfg.max_epochs x iterations per epoch"


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
    end_from = None
    if "end" not in item:
        default = ctx.default_end(bool(item.get("by_epoch", True)), path)
        if default is not None:
            item["end"], end_from = default
            end_from = f"{end_from} ({item['end']})"
    window_problem = check_window_cfg(item, path, end_from)
    if window_problem is not None:
        raise window_problem
    item = _convert_to_iter_based(item, ctx.iterations_per_epoch, path)
    param_name = item.get("param_name")
    if isinstance(param_name, str):
        problem = unknown_param_name(optimizer, param_name)
        if problem is not None:
            raise ConfigError(problem, config_path=f"{path}.param_name")
    scheduler = build_at(PARAM_SCHEDULERS, item, path, optimizer=optimizer)
    if isinstance(scheduler, ParamScheduler):
        scheduler.config_path = path
    return scheduler


def check_window_cfg(
    cfg: Mapping[str, Any], path: str, end_from: str | None = None
) -> ConfigError | None:
    """The problem of a scheduler config's ``begin``/``end`` (ints given in the config):
    a negative ``begin``, or an ``end`` not after ``begin`` (an empty or inverted window).
    ``end_from`` says where a default ``end`` came from (``train_cfg.max_epochs (2)``)."""
    begin, end = cfg.get("begin", 0), cfg.get("end", INF)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (begin, end)):
        return None  # the signature check reports the types
    if begin < 0:
        return ConfigError(f"{PATH} must be 0 or more, got {begin}", config_path=f"{path}.begin")
    if end > begin:
        return None
    if end_from is not None:
        return ConfigError(
            f"{PATH} is not given, so it is the training length, {end_from}, which is not "
            f"after begin ({begin}): the window [begin, end) would be empty; give an 'end' "
            "or a smaller 'begin'",
            config_path=f"{path}.end",
        )
    return ConfigError(
        f"{PATH} must be after begin ({begin}), got {end}: the window [begin, end) would be empty",
        config_path=f"{path}.end",
    )


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
    found = PARAM_SCHEDULERS.get(cfg["type"]) if isinstance(cfg["type"], str) else cfg["type"]
    if getattr(found, "need_val_args", False):
        raise ConfigError(NO_PLATEAU_CONVERSION, config_path=flag_path)
    epoch_length = iterations_per_epoch()
    if not epoch_length:
        raise ConfigError(
            f"{PATH} needs the number of iterations per epoch, which is unknown here "
            "(no training dataloader)",
            config_path=flag_path,
        )
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


def load_scheduler_states(
    schedulers: Sequence[Any], states: Any, name: str = "the checkpoint"
) -> None:
    """Give each scheduler its state from a checkpoint, after checking that all fit.

    Args:
        schedulers: The run's schedulers, in the order they were built.
        states: The checkpoint's ``param_schedulers`` (a list of state dicts).
        name: The checkpoint, for messages.

    Raises:
        ConfigError: The checkpoint holds another number of schedulers (path ``resume``), or
            one of its states does not fit the scheduler built in its place (the path names
            the entry, ``param_scheduler.N``): the section changed since it was saved.
    """
    saved = list(states) if isinstance(states, list | tuple) else None
    fix = (
        "resume with the param_scheduler section the checkpoint was saved with, or start a "
        "new run from its weights (load_from, resume: false)"
    )
    if saved is None or len(saved) != len(schedulers):
        count = "no list" if saved is None else f"the states of {len(saved)} schedulers"
        raise ConfigError(
            f"{PATH}: {name} holds {count}, and this run builds {len(schedulers)}: "
            f"param_scheduler changed since it was saved; {fix}",
            config_path="resume",
        )
    for index, (scheduler, state) in enumerate(zip(schedulers, saved, strict=True)):
        own = scheduler.state_dict()
        if not isinstance(state, Mapping) or set(state) != set(own):
            path = getattr(scheduler, "config_path", None) or f"param_scheduler.{index}"
            raise ConfigError(
                f"{PATH} ({type(scheduler).__name__}) cannot take state {index} of {name} "
                f"(resume), which another scheduler saved: param_scheduler changed since; {fix}",
                config_path=path,
            )
    for scheduler, state in zip(schedulers, saved, strict=True):
        scheduler.load_state_dict(state)


def build_scheduler_from_cfg(
    cfg: Mapping[str, Any], registry: Any, default_args: Mapping[str, Any] | None = None
) -> Any:
    """MMEngine's ``build_scheduler_from_cfg``: build one scheduler, converting an
    epoch-based one to iterations when it asks for it (``convert_to_iter_based``), with
    ``default_args['epoch_length']`` iterations per epoch.

    Raises:
        ConfigError: ``convert_to_iter_based`` without an ``epoch_length``, or on an
            iteration-based scheduler.
    """
    from container import build_from_cfg

    options = dict(default_args or {})
    epoch_length = options.pop("epoch_length", None)
    converted = _convert_to_iter_based(cfg, lambda: epoch_length, "param_scheduler")
    return build_from_cfg(converted, registry, options)
