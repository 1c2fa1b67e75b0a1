"""Checks of the ``optim_wrapper``, ``param_scheduler`` and ``auto_scale_lr`` sections without
building anything (``regwire check``).

:func:`optim_wrapper_problems` and :func:`param_scheduler_problems` read one section each:
shapes, keys, every node against its callable's signature, and the argument values a component
always refuses (``ConstantLR`` with ``factor: 0``). :func:`optim_config_problems` reads them
together with ``train_cfg``, as the build will: the default ``end`` of each scheduler (the
training length), the optimizer names of a per-optimizer ``param_scheduler``, and each
``param_name`` (or momentum) against the keys the optimizer's groups will have by then.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any

from container import ConfigError, Registry, RegwireError, did_you_mean
from providers import PATH

from .._registries import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS
from ._amp import AmpOptimWrapper, amp_dtype_problem, amp_loss_scale_problem
from ._builders import NO_PLATEAU_CONVERSION, check_window_cfg, per_optimizer
from ._constructors import (
    SECTION_KEYS,
    DefaultOptimWrapperConstructor,
    misspelt_section_keys,
    wrapper_names,
)
from ._momentum import MomentumSchedulerMixin
from ._optim_wrapper import OptimWrapper, check_clip_grad
from ._paramwise import paramwise_problems

Problems = list[RegwireError]
GIVEN: Any = ()
"""Stands for an argument the builder passes itself (an optimizer's ``params``)."""


def _node(registry: Registry, value: Any, path: str, given: Mapping[str, Any]) -> Problems:
    """A config node built by ``registry`` against its callable's signature."""
    if isinstance(value, Mapping):
        if "type" not in value:
            return [
                ConfigError(f"{PATH} needs a 'type' ({registry.name} registry)", config_path=path)
            ]
        return list(registry.validate(value, path=path, default_args=dict(given)))
    if isinstance(value, str | bytes | int | float | list | tuple):
        return [
            ConfigError(
                f"{PATH} must be a config node ({{type: ...}}) for registry {registry.name!r}, "
                f"got {value!r}",
                config_path=path,
            )
        ]
    return []  # a ready object (Python configs)


def _shape(value: Any, path: str, expected: str) -> Problems:
    if isinstance(value, Mapping):
        return []
    return [ConfigError(f"{PATH} must be {expected}, got {value!r}", config_path=path)]


# -- optim_wrapper -------------------------------------------------------------------------


def optim_wrapper_problems(value: Any, path: str = "optim_wrapper") -> Problems:
    """The problems of an ``optim_wrapper`` section: one wrapper, or several by name."""
    problems = _shape(value, path, "a mapping with an 'optimizer'")
    if problems:
        return problems
    if wrapper_names(value) is None:
        return _wrapper_problems(value, path)
    for key, item in value.items():
        where = f"{path}.{key}"
        if key == "constructor":
            problems += _constructor_problems(item, where)
        elif key == "paramwise_cfg":
            problems.append(
                ConfigError(
                    f"{PATH} applies to one optimizer: give it inside each optimizer's config",
                    config_path=where,
                )
            )
        elif not isinstance(item, OptimWrapper):
            problems += _wrapper_problems(item, where)
    return problems


def _constructor_problems(name: Any, path: str) -> Problems:
    if not isinstance(name, str) or OPTIM_WRAPPER_CONSTRUCTORS.get(name) is not None:
        return []
    names = list(OPTIM_WRAPPER_CONSTRUCTORS.module_dict)
    return [
        ConfigError(
            f"{PATH} is {name!r}, which is not in the optim_wrapper_constructor registry"
            f"{did_you_mean(name, names)} (it has {', '.join(names)})",
            config_path=path,
        )
    ]


def _wrapper_problems(value: Any, path: str) -> Problems:
    problems = _shape(value, path, "a mapping with an 'optimizer'")
    if problems:
        return problems
    constructor = value.get("constructor", "DefaultOptimWrapperConstructor")
    problems += _constructor_problems(constructor, f"{path}.constructor")
    found = OPTIM_WRAPPER_CONSTRUCTORS.get(constructor) if isinstance(constructor, str) else None
    if not (isinstance(found, type) and issubclass(found, DefaultOptimWrapperConstructor)):
        return problems  # another constructor reads the section its own way
    optimizer = value.get("optimizer")
    if optimizer is None:
        return [*problems, ConfigError(f"{PATH} needs an 'optimizer'", config_path=path)]
    problems += _node(OPTIMIZERS, optimizer, f"{path}.optimizer", {"params": GIVEN})
    problems += paramwise_problems(
        value.get("paramwise_cfg"),
        optimizer,
        f"{path}.paramwise_cfg",
        strict=found is DefaultOptimWrapperConstructor,
    )[0]
    wrapper = {key: item for key, item in value.items() if key not in SECTION_KEYS}
    wrapper.setdefault("type", "OptimWrapper")
    if "clip_grad" in wrapper:
        try:
            check_clip_grad(wrapper.pop("clip_grad"))
        except ValueError as exc:
            problems.append(ConfigError(str(exc), config_path=f"{path}.clip_grad"))
    kind = OPTIM_WRAPPERS.get(wrapper["type"]) if isinstance(wrapper["type"], str) else None
    misspelt = misspelt_section_keys(wrapper, kind, path)
    problems += misspelt
    for problem in misspelt:  # reported once, with the suggestion
        wrapper.pop(str(problem.config_path).rpartition(".")[2], None)
    if isinstance(kind, type) and issubclass(kind, AmpOptimWrapper):
        for amp_problem in (  # float16 without CUDA here: a warning (optim_config_problems)
            amp_dtype_problem(wrapper.get("dtype"), path, cuda=True),
            amp_loss_scale_problem(wrapper.get("loss_scale", "dynamic"), path),
        ):
            problems += [] if amp_problem is None else [amp_problem]
    return problems + _node(OPTIM_WRAPPERS, wrapper, path, {"optimizer": GIVEN})


# -- param_scheduler -----------------------------------------------------------------------


def param_scheduler_problems(value: Any, path: str = "param_scheduler") -> Problems:
    """A scheduler config, a list of them, or a mapping of optimizer names to lists; each
    entry's conversion, window, argument values and signature."""
    if per_optimizer(value):
        return [p for name, item in value.items() for p in _list_problems(item, f"{path}.{name}")]
    return _list_problems(value, path)


def _list_problems(value: Any, path: str) -> Problems:
    if isinstance(value, Mapping):
        entries = [(value, path)]
    elif isinstance(value, list | tuple):
        entries = [(item, f"{path}.{index}") for index, item in enumerate(value)]
    else:
        return _shape(value, path, "a scheduler config or a list of them")
    problems: Problems = []
    for item, where in entries:
        if isinstance(item, Mapping):
            problems += _entry_problems(item, where)
            item = {key: entry for key, entry in item.items() if key != "convert_to_iter_based"}
        problems += _node(PARAM_SCHEDULERS, item, where, {"optimizer": GIVEN})
    return problems


def _scheduler_class(item: Mapping[str, Any]) -> Any:
    type_ = item.get("type")
    return PARAM_SCHEDULERS.get(type_) if isinstance(type_, str) else type_


def _entry_problems(item: Mapping[str, Any], path: str) -> Problems:
    """One entry's ``convert_to_iter_based``, window and argument values."""
    problems: Problems = []
    found = _scheduler_class(item)
    if "convert_to_iter_based" in item:
        flag, where = item["convert_to_iter_based"], f"{path}.convert_to_iter_based"
        if not isinstance(flag, bool):
            problems.append(
                ConfigError(f"{PATH} must be true or false, got {flag!r}", config_path=where)
            )
        elif flag and getattr(found, "need_val_args", False):
            problems.append(ConfigError(NO_PLATEAU_CONVERSION, config_path=where))
        elif flag and not item.get("by_epoch", True):
            problems.append(
                ConfigError(
                    "only an epoch-based scheduler (by_epoch: true) can be converted",
                    config_path=where,
                )
            )
    window = check_window_cfg(item, path)
    problems += [] if window is None else [window]
    reasons = getattr(found, "argument_problems", None)
    if callable(reasons):
        problems += [
            ConfigError(f"{PATH} {reason}", config_path=f"{path}.{name}")
            for name, reason in reasons(item)
        ]
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


# -- the sections together -----------------------------------------------------------------


def optim_config_problems(cfg: Mapping[str, Any]) -> tuple[Problems, Problems]:
    """The errors and warnings of ``optim_wrapper`` and ``param_scheduler`` read together
    with ``train_cfg``: default ``end`` windows, per-optimizer names, ``param_name`` and
    momentum against each optimizer, and the paramwise warnings."""
    schedulers = cfg.get("param_scheduler")
    errors = _default_end_problems(cfg.get("train_cfg"), schedulers)
    errors += _plateau_problems(cfg, schedulers)
    warnings: Problems = []
    optimizers = dict(_optimizer_cfgs(cfg.get("optim_wrapper"), "optim_wrapper"))
    for name, (optimizer, path) in optimizers.items():
        wrapper = _wrapper_cfg(cfg, name)
        warnings += paramwise_problems(
            wrapper.get("paramwise_cfg"), optimizer, f"{path}.paramwise_cfg"
        )[1]
        warnings += _no_cuda_warning(wrapper, path)
    if schedulers is None or not optimizers:
        return errors, warnings
    if per_optimizer(schedulers):
        errors += _name_problems(list(optimizers), schedulers)
        for name, item in schedulers.items():
            if name in optimizers:
                errors += _param_name_problems(
                    optimizers[name][0], scheduler_entries(item, f"param_scheduler.{name}")
                )
    else:
        entries = scheduler_entries(schedulers, "param_scheduler")
        for optimizer, _ in optimizers.values():
            errors += _param_name_problems(optimizer, entries)
    return errors, warnings


def _no_cuda_warning(wrapper: Mapping[str, Any], path: str) -> Problems:
    """float16 on a host without CUDA: the run refuses it here, but the config may be meant
    for a GPU host (a CPU CI checks it too), so the check only warns."""
    type_ = wrapper.get("type")
    kind = OPTIM_WRAPPERS.get(type_) if isinstance(type_, str) else type_
    if not (isinstance(kind, type) and issubclass(kind, AmpOptimWrapper)):
        return []
    if amp_dtype_problem(wrapper.get("dtype"), path, cuda=True) is not None:
        return []  # an unknown dtype: an error already
    problem = amp_dtype_problem(wrapper.get("dtype"), path)
    return [] if problem is None else [problem]


def _plateau_problems(cfg: Mapping[str, Any], schedulers: Any) -> Problems:
    """A scheduler stepping on a validation metric (``ReduceOnPlateau*``) in a run that does
    not validate (no ``val_dataloader`` or ``val_cfg``) would never step."""
    if cfg.get("val_dataloader") is not None and cfg.get("val_cfg") is not None:
        return []
    return [
        ConfigError(
            f"{PATH} is {item.get('type')}, which steps on a validation metric, and this run "
            "has no validation (give val_dataloader, val_cfg and val_evaluator, or use "
            "another scheduler)",
            config_path=f"{where}.type",
        )
        for item, where in scheduler_entries(schedulers, "param_scheduler")
        if getattr(_scheduler_class(item), "need_val_args", False)
    ]


def _optimizer_cfgs(value: Any, path: str) -> Iterator[tuple[str, tuple[Any, str]]]:
    """The optimizer configs by optimizer name (``""`` for a single one), with the path of
    their wrapper."""
    if not isinstance(value, Mapping):
        return
    names = wrapper_names(value)
    if names is None:
        if isinstance(value.get("optimizer"), Mapping):
            yield "", (value["optimizer"], path)
        return
    for name in names:
        item = value.get(name)
        if isinstance(item, Mapping) and isinstance(item.get("optimizer"), Mapping):
            yield name, (item["optimizer"], f"{path}.{name}")


def _wrapper_cfg(cfg: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    wrapper = cfg["optim_wrapper"]
    found = wrapper if not name else wrapper.get(name)
    return found if isinstance(found, Mapping) else {}


def _name_problems(names: list[str], schedulers: Mapping[str, Any]) -> Problems:
    """A per-optimizer ``param_scheduler`` against the optimizers' names."""
    if names == [""]:
        return [
            ConfigError(
                f"{PATH} maps optimizer names to schedulers, but optim_wrapper has one "
                "optimizer: give a scheduler config or a list of them",
                config_path="param_scheduler",
            )
        ]
    problems: Problems = [
        ConfigError(
            f"{PATH} is not one of the optimizers ({', '.join(names)})"
            f"{did_you_mean(str(name), names)}",
            config_path=f"param_scheduler.{name}",
        )
        for name in schedulers
        if name not in names
    ]
    problems += [
        ConfigError(
            f"{PATH} has no schedulers for optimizer {name!r} (give [] for none)",
            config_path="param_scheduler",
        )
        for name in names
        if name not in schedulers
    ]
    return problems


def _param_name_problems(
    optimizer: Mapping[str, Any], entries: list[tuple[Mapping[str, Any], str]]
) -> Problems:
    """Each entry's ``param_name`` (or momentum) against the keys the optimizer's groups
    have when it is built: the optimizer's arguments, and ``momentum`` once a momentum
    scheduler added it for an optimizer with ``betas``."""
    type_ = optimizer.get("type")
    found = OPTIMIZERS.get(type_) if isinstance(type_, str) else None
    if found is None:
        return []
    try:
        keys = {name for name in inspect.signature(found).parameters if name != "params"}
    except (TypeError, ValueError):  # no optimizer, or no signature to read
        return []
    problems: Problems = []
    for item, where in entries:
        kind = _scheduler_class(item)
        if isinstance(kind, type) and issubclass(kind, MomentumSchedulerMixin):
            if "momentum" not in keys and "betas" not in keys:
                problems.append(
                    ConfigError(
                        f"{PATH} is {item['type']}, which schedules the momentum, and "
                        f"{type_}'s parameter groups have neither momentum nor betas (they "
                        f"have {', '.join(sorted(keys))}): use an optimizer with momentum, or "
                        "a *ParamScheduler with the param_name to schedule",
                        config_path=f"{where}.type",
                    )
                )
            keys.add("momentum")
            continue
        name = item.get("param_name")
        if not isinstance(name, str) or not _takes_param_name(kind) or name in keys:
            continue
        problems.append(
            ConfigError(
                f"{PATH} is {name!r}, which {type_}'s parameter groups do not have"
                f"{did_you_mean(name, sorted(keys))} (they have {', '.join(sorted(keys))})",
                config_path=f"{where}.param_name",
            )
        )
    return problems


def _takes_param_name(kind: Any) -> bool:
    try:
        return "param_name" in inspect.signature(kind).parameters
    except (TypeError, ValueError):
        return False


def _default_end_problems(train_cfg: Any, schedulers: Any) -> Problems:
    """The window of each entry without ``end``, with the end the runner will give it."""
    if not isinstance(train_cfg, Mapping):
        return []
    epochs, iters = train_cfg.get("max_epochs"), train_cfg.get("max_iters")
    problems: Problems = []
    for item, where in scheduler_entries(schedulers, "param_scheduler"):
        if "end" in item:
            continue
        by_epoch = item.get("by_epoch", True) is not False
        if not all(n is None or (isinstance(n, int) and n > 0) for n in (epochs, iters)):
            continue  # train_cfg's own check reports it
        if isinstance(epochs, int) and "max_iters" not in train_cfg:
            if not by_epoch:
                continue  # epochs x iterations per epoch: the data's length is unknown here
            end, source = epochs, f"train_cfg.max_epochs ({epochs})"
        elif isinstance(iters, int) and "max_epochs" not in train_cfg:
            end, source = (
                (1, "an iteration-based train_cfg, which counts as one epoch")
                if by_epoch
                else (iters, f"train_cfg.max_iters ({iters})")
            )
        else:
            continue
        problem = check_window_cfg({**item, "end": end}, where, source)
        if problem is not None and problem.config_path == f"{where}.end":
            problems.append(problem)  # (a negative begin is reported with the entry)
    return problems
