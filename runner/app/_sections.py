"""Config-section builders of the training app: each turns one section of a whole config into
what the engine takes (hooks, loops, the model, the seeding), naming errors by config path.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from container import (
    ConfigError,
    RegwireError,
    ValidationError,
    did_you_mean,
    init_default_scope,
    nearest,
)
from container import locate as locate_source
from container.config import import_custom_modules
from providers import PATH, with_section

from .._registries import HOOKS, LOG_PROCESSORS, LOOPS, MODELS, ROOT, VISBACKENDS, VISUALIZERS
from .._sections import at_argument, build_at, mapping_section
from ..data import length_of
from ..dist import Randomness, dist_info, set_random_seed
from ..engine import HookSignatureError, check_hook, get_priority
from ..engine._logging import log_level
from ..model import init_model_weights, wrap_model
from ..optim import build_optim_wrapper, scale_lr

DEFAULT_HOOKS: Mapping[str, Mapping[str, Any]] = {
    "runtime_info": {"type": "RuntimeInfoHook"},  # first, as in MMEngine
    "timer": {"type": "IterTimerHook"},
    "sampler_seed": {"type": "DistSamplerSeedHook"},
    "logger": {"type": "LoggerHook", "interval": 10},
    "progress_bar": {"type": "ProgressBarHook"},
    "param_scheduler": {"type": "ParamSchedulerHook"},
    "checkpoint": {"type": "CheckpointHook", "interval": 1},
    "check_invalid_loss": {"type": "CheckInvalidLossHook", "interval": 50},
}
"""The hooks every run gets unless ``default_hooks`` replaces (a dict) or removes (null) them."""

RANDOMNESS_KEYS = tuple(inspect.signature(set_random_seed).parameters)
"""The keys of ``randomness``: the arguments of :func:`set_random_seed`."""


def set_up(
    custom_imports: Mapping[str, Any] | None,
    randomness: Mapping[str, Any] | None,
    distributed: bool = False,
    default_scope: str | None = None,
) -> Randomness:
    """Import ``custom_imports``, put ``default_scope`` in force and seed everything;
    everything else is built after this.

    ``distributed`` is only there to join the process group first (ranks seed differently
    with ``diff_rank_seed``).

    Raises:
        ConfigError: A module cannot be imported (unless ``allow_failed_imports``),
            ``default_scope`` names no registry, or ``randomness`` has an unknown key.
    """
    if custom_imports is not None:
        custom_imports = mapping_section(
            custom_imports, "custom_imports", "a mapping such as {imports: [my.module]}"
        )
        import_custom_modules({"custom_imports": custom_imports})  # what Config.fromfile does
    if default_scope is not None:
        init_default_scope(check_default_scope(default_scope))
    options = dict(
        mapping_section(randomness, "randomness", "a mapping such as {seed: 0}")
        if randomness is not None
        else {}
    )
    unknown = set(options).difference(RANDOMNESS_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            f"{PATH} is not an option{did_you_mean(key, RANDOMNESS_KEYS)} "
            f"({', '.join(RANDOMNESS_KEYS)})",
            config_path=f"randomness.{key}",
        )
    return set_random_seed(**options)


def check_default_scope(value: Any) -> str:
    """``default_scope``: the scope of registries in runner's tree (after ``custom_imports``).

    Raises:
        ConfigError: Not a str, or no registry of runner's tree has that scope (the nearest
            scope is suggested; the package that makes its registries may be missing from
            ``custom_imports``).
    """
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"{PATH} must be a scope name, got {value!r}", config_path="default_scope"
        )
    scopes = {registry.scope for registry in _registry_tree()}
    if value not in scopes:
        raise ConfigError(
            f"{PATH} is {value!r}, but no registry has that scope{did_you_mean(value, scopes)}; "
            "import the package that makes its registries (custom_imports: {imports: [...]})",
            config_path="default_scope",
        )
    return value


def _registry_tree() -> list[Any]:
    found, stack = [], [ROOT]
    while stack:
        registry = stack.pop()
        found.append(registry)
        stack.extend(registry.children.values())
    return found


def log_level_setting(value: Any) -> int:
    """The ``log_level`` value as a ``logging`` level (null is ``INFO``).

    Raises:
        ConfigError: Not a level name or a non-negative int (suggesting the nearest name).
    """
    try:
        return log_level(value if value is not None else "INFO")
    except ValueError as exc:
        raise ConfigError(str(exc), config_path="log_level") from None


def resume_flag(value: Any) -> bool:
    """The ``resume`` value as a bool (null is false).

    Raises:
        ConfigError: ``resume`` is not a bool (the string ``"false"`` is not false).
    """
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(
            f"{PATH} must be true or false, got {value!r} (a {type(value).__name__})",
            config_path="resume",
        )
    return value


def build_model(
    cfg: Mapping[str, Any] | None, randomness: Randomness, data_preprocessor: Any = None
) -> Any:
    """Build ``model`` (after seeding: ``randomness`` is only there to order the two).

    A top-level ``data_preprocessor`` goes into a model config that has none, as MMEngine's
    runner does (``model.setdefault("data_preprocessor", ...)``); a node of it is checked at
    its own path first, so errors name ``data_preprocessor``, not ``model.data_preprocessor``.
    """
    if cfg is None:
        raise ConfigError(f"the config has no {PATH}", config_path="model")
    if data_preprocessor is not None and isinstance(cfg, Mapping):
        if isinstance(data_preprocessor, Mapping) and "type" in data_preprocessor:
            problems = MODELS.validate(data_preprocessor, path="data_preprocessor")
            if problems:
                raise ValidationError(problems)
        cfg = {**cfg}
        cfg.setdefault("data_preprocessor", data_preprocessor)
    return build_at(MODELS, cfg, "model")


def epoch_length(train_dataloader: Callable[[], Any]) -> Callable[[], int | None]:
    """A function that builds the training data (by calling its provider) and returns its
    length: :func:`build_param_schedulers` calls it only for ``convert_to_iter_based``."""
    return lambda: length_of(train_dataloader())


def build_hooks(
    default_hooks: Mapping[str, Any] | None = None, custom_hooks: Sequence[Any] | None = None
) -> list[Any]:
    """Build the run's hooks: the defaults as ``default_hooks`` changes them, then the custom.

    An entry of ``default_hooks`` replaces the default of its name, keeping its place
    (a mapping without ``type`` updates the default's arguments instead); ``null`` removes
    it; a new name adds a hook. ``custom_hooks`` follow in list order. Every entry may carry
    ``priority`` (a :class:`Priority` name or an int), which replaces the hook's own.

    Raises:
        ConfigError: A section has the wrong shape or a priority is invalid.
        RegwireError: A hook cannot be built, or its methods do not fit their stages (the
            config path names the entry).
    """
    if default_hooks is not None and not isinstance(default_hooks, Mapping):
        raise ConfigError(
            f"{PATH} must be a mapping of names to hooks, got {default_hooks!r}",
            config_path="default_hooks",
        )
    if custom_hooks is not None and not isinstance(custom_hooks, list | tuple):
        raise ConfigError(
            f"{PATH} must be a list of hooks, got {custom_hooks!r}",
            config_path="custom_hooks",
        )
    entries: dict[str, Any] = dict(DEFAULT_HOOKS)
    for name, entry in (default_hooks or {}).items():
        mistake = unknown_default_hook(name, entry, "default_hooks")
        if mistake is not None:
            raise mistake
        if entry is None:
            entries.pop(name, None)
        elif isinstance(entry, Mapping) and "type" not in entry and name in DEFAULT_HOOKS:
            entries[name] = {**DEFAULT_HOOKS[name], **entry}
        else:
            entries[name] = entry
    located = [(f"default_hooks.{name}", entry) for name, entry in entries.items()]
    located += [(f"custom_hooks.{i}", entry) for i, entry in enumerate(custom_hooks or ())]
    return [_build_hook(entry, path) for path, entry in located]


def unknown_default_hook(name: str, entry: Any, path: str) -> ConfigError | None:
    """The mistake of a ``default_hooks`` entry whose name is no default hook's, if it is
    one: a null (it removes nothing) or a mapping without ``type`` (it changes nothing),
    or a hook of the type of the default whose name is near (``loger: {type: LoggerHook}``
    would add a second one). A full node under a new name adds a hook.
    """
    if name in DEFAULT_HOOKS:
        return None
    where = f"{path}.{name}"
    hint = did_you_mean(name, DEFAULT_HOOKS)
    known = f"(the default hooks: {', '.join(DEFAULT_HOOKS)})"
    if entry is None:
        return ConfigError(
            f"{PATH} removes nothing: there is no default hook of that name{hint} {known}",
            config_path=where,
        )
    if not isinstance(entry, Mapping):
        return None
    if "type" not in entry:
        return ConfigError(
            f"{PATH} changes no default hook: there is none of that name{hint} {known}; "
            "a new hook needs its 'type'",
            config_path=where,
        )
    near = [
        default
        for default in nearest(name, DEFAULT_HOOKS)
        if DEFAULT_HOOKS[default]["type"] == entry["type"]
    ]
    if near:
        return ConfigError(
            f"{PATH} adds a second {entry['type']} beside the default {near[0]!r}; did you "
            f"mean {near[0]!r}? (another hook of that type needs a name unlike it)",
            config_path=where,
        )
    return None


def _build_hook(entry: Any, path: str) -> Any:
    if not isinstance(entry, Mapping):
        if isinstance(entry, str | int | float | list | tuple):
            raise ConfigError(
                f"{PATH} must be a hook config ({{type: ...}}) or null, got {entry!r}",
                config_path=path,
            )
        hook = entry  # a ready hook object (Python configs)
    else:
        options = dict(entry)
        priority = options.pop("priority", None)
        try:
            hook = build_at(HOOKS, options, path)
        except RegwireError as exc:  # a value the hook refuses is named by its path
            raise at_argument(exc, path) from exc.__cause__
        if priority is not None:
            try:
                hook.priority = get_priority(priority)
            except (TypeError, ValueError) as exc:
                raise ConfigError(str(exc), config_path=f"{path}.priority") from None
    try:
        check_hook(type(hook).__name__, hook)  # now, so that the error names the config path
    except HookSignatureError as exc:
        raise with_section(exc, path) from exc.__cause__
    return hook


def wrap_seeded_model(
    randomness: Randomness,
    model: Any,
    distributed: bool,
    wrapper_cfg: Mapping[str, Any] | None = None,
) -> Any:
    """:func:`wrap_model`, with ``randomness`` (the seeding) set up before ``model`` is built.

    The runner asks for the wrapped model first, so a subclass that redefines ``model``
    without depending on ``randomness`` still gets weights from the run's seed.
    ``wrapper_cfg`` is ``model_wrapper_cfg`` (None: DDP under torchrun, else the model).
    The model's ``init_weights`` (``init_cfg``) runs here, seeded, before it is wrapped or
    sharded: MMEngine's runner runs it when training starts, after wrapping.
    """
    init_model_weights(model)
    return wrap_model(model, distributed, wrapper_cfg)


def build_optim_after_wrapping(
    wrapped_model: Any,
    cfg: Any,
    auto_scale_lr: Mapping[str, Any] | None = None,
    train_dataloader: Any = None,
) -> Any:
    """:func:`build_optim_wrapper` over the parameters of the wrapped model's module, with
    its learning rates scaled by ``auto_scale_lr`` (the world size times the training
    dataloader's ``batch_size``, 1 when not given, as a DataLoader's default).

    The wrapper is built first: ``fully_shard`` replaces the model's parameters with their
    shards, and an optimizer built before would hold the replaced ones (DDP keeps them).
    """
    wrapper = build_optim_wrapper(getattr(wrapped_model, "module", wrapped_model), cfg)
    if auto_scale_lr is not None:
        loader = train_dataloader if isinstance(train_dataloader, Mapping) else {}
        scale_lr(wrapper, auto_scale_lr, loader.get("batch_size", 1), dist_info()[1])
    return wrapper


DEFAULT_VISUALIZER: Mapping[str, Any] = {
    "type": "Visualizer",
    "vis_backends": [{"type": "LocalVisBackend"}],
}
"""MMEngine's default: scalars to ``work_dir/<timestamp>/vis_data/scalars.json``."""


def build_visualizer(cfg: Mapping[str, Any] | None) -> Any:
    """Build ``visualizer``: its ``vis_backends`` in ``VISBACKENDS`` (each at its path,
    ``visualizer.vis_backends.0``), then the visualizer in ``VISUALIZERS``.

    Raises:
        ConfigError: A wrong shape, or a backend whose package is missing (naming the extra).
        RegwireError: A node cannot be built.
    """
    node = dict(mapping_section(cfg if cfg is not None else DEFAULT_VISUALIZER, "visualizer"))
    node.setdefault("type", "Visualizer")
    given = node.pop("vis_backends", None) or []
    if not isinstance(given, list | tuple):
        raise ConfigError(
            f"{PATH} must be a list of backends, got {given!r}",
            config_path="visualizer.vis_backends",
        )
    backends = []
    for index, backend in enumerate(given):
        path = f"visualizer.vis_backends.{index}"
        try:
            backends.append(build_at(VISBACKENDS, backend, path))
        except ConfigError as exc:
            if exc.config_path is None:
                raise with_section(exc, path) from exc.__cause__
            raise
    return build_at(VISUALIZERS, node, "visualizer", vis_backends=backends)


def build_log_processor(cfg: Mapping[str, Any] | None, train_loop: Any = None) -> Any:
    """Build ``log_processor`` (MMEngine's ``LogProcessor`` when ``type`` is omitted);
    ``by_epoch`` follows the training loop unless given."""
    node = dict(mapping_section(cfg if cfg is not None else {}, "log_processor"))
    node.setdefault("type", "LogProcessor")
    node.setdefault("by_epoch", bool(getattr(train_loop, "by_epoch", True)))
    try:
        return build_at(LOG_PROCESSORS, node, "log_processor")
    except RegwireError as exc:  # a value it refuses is named by its path
        raise at_argument(exc, "log_processor") from exc.__cause__
    except ValueError as exc:
        raise ConfigError(str(exc), config_path="log_processor") from exc


def build_train_loop(cfg: Mapping[str, Any] | None) -> Any:
    """Build the train loop from ``train_cfg``: ``type``, or ``by_epoch`` (default true).

    Returns:
        The loop, or None for None.

    Raises:
        ConfigError: Both ``type`` and ``by_epoch`` are given, or an argument is wrong.
    """
    if cfg is None:
        return None
    return _build("train_cfg", train_loop_node(cfg, "train_cfg"))


def train_loop_node(cfg: Any, path: str) -> dict[str, Any]:
    """The loop config node of a ``train_cfg``: its ``type``, or one from ``by_epoch``
    (default true). The builder and ``regwire check`` read it alike.

    Raises:
        ConfigError: Not a mapping, or both ``type`` and ``by_epoch`` are given.
    """
    node = dict(mapping_section(cfg, path, "a mapping such as {by_epoch: true, max_epochs: 10}"))
    if "type" in node:
        if "by_epoch" in node:
            raise ConfigError(
                f"{PATH} gives both 'type' and 'by_epoch'; keep one", config_path=path
            )
        return node
    by_epoch = node.pop("by_epoch", True)
    node["type"] = "EpochBasedTrainLoop" if by_epoch else "IterBasedTrainLoop"
    return node


def build_eval_loop(cfg: Mapping[str, Any] | None, section: str) -> Any:
    """Build ``val_cfg`` or ``test_cfg`` (an empty mapping gives the default loop)."""
    if cfg is None:
        return None
    return _build(section, eval_loop_node(cfg, section))


def eval_loop_node(cfg: Any, section: str) -> dict[str, Any]:
    """The loop config node of a ``val_cfg``/``test_cfg``: an empty mapping is the default
    loop. The builder and ``regwire check`` read it alike.

    Raises:
        ConfigError: Not a mapping.
    """
    node = dict(mapping_section(cfg, section, "a mapping (an empty one gives the default loop)"))
    node.setdefault("type", "ValLoop" if section == "val_cfg" else "TestLoop")
    return node


def _build(section: str, cfg: dict[str, Any]) -> Any:
    return build_at(LOOPS, cfg, section)


def locate(exc: RegwireError, cfg: Any) -> RegwireError:
    """Fill in ``exc.source`` (``file:line``) from ``cfg.source_of`` (a
    :class:`~container.Config` has one) when it is unknown."""
    source_of = getattr(cfg, "source_of", None)
    return locate_source(exc, source_of) if callable(source_of) else exc
