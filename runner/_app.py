"""TrainingContainer: the dependency-injection container that wires a training run.

Config values enter through ``config`` (a ``providers.Configuration``), each component is a
provider, and the ``runner`` provider receives them all. Anything can be overridden before
the runner is asked for::

    app = TrainingContainer.from_cfg(Config.fromfile("cnn.yaml"))
    app.config.optim_wrapper.optimizer.lr.override(0.01)   # a value
    app.model.override(providers.Object(my_model))           # a component
    app.runner().train()

Components refer to each other by name through the container itself (``__self__``), so a
subclass that redefines ``model`` changes what the optimizer wrapper and the runner receive::

    class MyApp(TrainingContainer):
        model = providers.Singleton(MyNet, width=TrainingContainer.config.model.width)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from container import Config, ConfigError, RegwireError, did_you_mean
from container.config import import_custom_modules
from providers import copy_plain

from ._data import build_dataloader, length_of
from ._dispatch import HookSignatureError, check_hook
from ._dist import init_dist, wrap_model
from ._evaluation import build_evaluator
from ._hook import get_priority
from ._logging import log_level
from ._loops import build_eval_loop, build_train_loop
from ._optim import build_optim_wrapper
from ._paths import build_at, mapping_section, raise_at
from ._random import Randomness, set_random_seed
from ._registries import HOOKS, MODELS
from ._runner import Runner
from ._scheduler import build_param_schedulers

DEFAULT_HOOKS: Mapping[str, Mapping[str, Any]] = {
    "timer": {"type": "IterTimerHook"},
    "sampler_seed": {"type": "DistSamplerSeedHook"},
    "logger": {"type": "LoggerHook", "interval": 10},
    "param_scheduler": {"type": "ParamSchedulerHook"},
    "checkpoint": {"type": "CheckpointHook", "interval": 1},
}
"""The hooks every run gets unless ``default_hooks`` replaces (a dict) or removes (null) them."""

RANDOMNESS_KEYS = tuple(inspect.signature(set_random_seed).parameters)
"""The keys of ``randomness``: the arguments of :func:`set_random_seed`."""


def set_up(
    custom_imports: Mapping[str, Any] | None,
    randomness: Mapping[str, Any] | None,
    distributed: bool = False,
) -> Randomness:
    """Import ``custom_imports`` and seed everything; everything else is built after this.

    ``distributed`` is only there to join the process group first (ranks seed differently
    with ``diff_rank_seed``).

    Raises:
        ConfigError: A module cannot be imported (unless ``allow_failed_imports``), or
            ``randomness`` has an unknown key.
    """
    if custom_imports is not None:
        custom_imports = mapping_section(
            custom_imports, "custom_imports", "a mapping such as {imports: [my.module]}"
        )
        import_custom_modules({"custom_imports": custom_imports})  # what Config.fromfile does
    options = dict(
        mapping_section(randomness, "randomness", "a mapping such as {seed: 0}")
        if randomness is not None
        else {}
    )
    unknown = set(options).difference(RANDOMNESS_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            f"'randomness.{key}' is not an option{did_you_mean(key, RANDOMNESS_KEYS)} "
            f"({', '.join(RANDOMNESS_KEYS)})",
            config_path=f"randomness.{key}",
        )
    return set_random_seed(**options)


def log_level_setting(value: Any) -> int:
    """The ``log_level`` value as a ``logging`` level (null is ``INFO``).

    Raises:
        ConfigError: Not a level name or a non-negative int (suggesting the nearest name).
    """
    try:
        return log_level(value if value is not None else "INFO")
    except ValueError as exc:
        raise ConfigError(f"'log_level': {exc}", config_path="log_level") from None


def resume_flag(value: Any) -> bool:
    """The ``resume`` value as a bool (null is false).

    Raises:
        ConfigError: ``resume`` is not a bool (the string ``"false"`` is not false).
    """
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(
            f"'resume' must be true or false, got {value!r} (a {type(value).__name__})",
            config_path="resume",
        )
    return value


def build_model(cfg: Mapping[str, Any] | None, randomness: Randomness) -> Any:
    """Build ``model`` (after seeding: ``randomness`` is only there to order the two)."""
    if cfg is None:
        raise ConfigError("the config has no 'model'", config_path="model")
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
            f"'default_hooks' must be a mapping of names to hooks, got {default_hooks!r}",
            config_path="default_hooks",
        )
    if custom_hooks is not None and not isinstance(custom_hooks, list | tuple):
        raise ConfigError(
            f"'custom_hooks' must be a list of hooks, got {custom_hooks!r}",
            config_path="custom_hooks",
        )
    entries: dict[str, Any] = dict(DEFAULT_HOOKS)
    for name, entry in (default_hooks or {}).items():
        if entry is None:
            entries.pop(name, None)
        elif isinstance(entry, Mapping) and "type" not in entry and name in DEFAULT_HOOKS:
            entries[name] = {**DEFAULT_HOOKS[name], **entry}
        else:
            entries[name] = entry
    located = [(f"default_hooks.{name}", entry) for name, entry in entries.items()]
    located += [(f"custom_hooks.{i}", entry) for i, entry in enumerate(custom_hooks or ())]
    return [_build_hook(entry, path) for path, entry in located]


def _build_hook(entry: Any, path: str) -> Any:
    if not isinstance(entry, Mapping):
        if isinstance(entry, str | int | float | list | tuple):
            raise ConfigError(
                f"{path!r} must be a hook config ({{type: ...}}) or null, got {entry!r}",
                config_path=path,
            )
        hook = entry  # a ready hook object (Python configs)
    else:
        options = dict(entry)
        priority = options.pop("priority", None)
        hook = build_at(HOOKS, options, path)
        if priority is not None:
            try:
                hook.priority = get_priority(priority)
            except ValueError as exc:
                raise ConfigError(
                    f"'{path}.priority': {exc}", config_path=f"{path}.priority"
                ) from None
    try:
        check_hook(type(hook).__name__, hook)  # now, so that the error names the config path
    except HookSignatureError as exc:
        raise_at(exc, path)
    return hook


def _dataloader(config: Any, container: Any, section: str) -> Any:
    """The provider of the ``section`` dataloader, seeded with the run's seed (after the
    ``randomness`` provider ran)."""
    seed = container.provided.randomness.call().provided.seed
    return providers.Singleton(build_dataloader, getattr(config, section), seed, section)


if TYPE_CHECKING:  # the stubs do not declare the metaclass
    _ContainerMeta = type
else:
    _ContainerMeta = type(containers.DeclarativeContainer)


def wrap_seeded_model(randomness: Randomness, model: Any, distributed: bool) -> Any:
    """:func:`wrap_model`, with ``randomness`` (the seeding) set up before ``model`` is built.

    The runner asks for the wrapped model first, so a subclass that redefines ``model``
    without depending on ``randomness`` still gets weights from the run's seed.
    """
    return wrap_model(model, distributed)


class _SharedSelf(_ContainerMeta):
    """Gives a subclass its base's ``Self`` provider, so that references through
    ``__self__`` resolve on the subclass's instance and see its redefined providers."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attributes: dict[str, Any]) -> Any:
        if "__self__" not in attributes:
            for base in bases:
                inherited = getattr(base, "__self__", None)
                if isinstance(inherited, providers.Self):
                    attributes["__self__"] = inherited
                    break
        return super().__new__(mcs, name, bases, attributes)


class TrainingContainer(containers.DeclarativeContainer, metaclass=_SharedSelf):
    """Wires model, data, optimizer wrapper, schedulers, evaluators, loops and hooks from
    ``config`` and provides the :class:`~runner.Runner`.

    Every component is a ``Singleton`` within one container instance (the optimizer wrapper
    and the runner get the same model); make a new instance for a new run. Build one with
    :meth:`from_cfg`.
    """

    __self__ = providers.Self()
    config = providers.Configuration()

    distributed = providers.Singleton(init_dist, config.launcher, config.env_cfg)
    randomness = providers.Singleton(
        set_up, config.custom_imports, config.randomness, __self__.provided.distributed.call()
    )
    model = providers.Singleton(build_model, config.model, __self__.provided.randomness.call())
    train_dataloader = _dataloader(config, __self__, "train_dataloader")
    val_dataloader = _dataloader(config, __self__, "val_dataloader")
    test_dataloader = _dataloader(config, __self__, "test_dataloader")
    optim_wrapper = providers.Singleton(
        build_optim_wrapper, __self__.provided.model.call(), config.optim_wrapper
    )
    param_schedulers = providers.Singleton(
        build_param_schedulers,
        __self__.provided.optim_wrapper.call(),
        config.param_scheduler,
        epoch_length=providers.Callable(
            epoch_length,
            __self__.provided.train_dataloader,  # the provider: called lazily
        ),
    )
    val_evaluator = providers.Singleton(build_evaluator, config.val_evaluator, "val_evaluator")
    test_evaluator = providers.Singleton(build_evaluator, config.test_evaluator, "test_evaluator")
    train_loop = providers.Singleton(build_train_loop, config.train_cfg)
    val_loop = providers.Singleton(build_eval_loop, config.val_cfg, "val_cfg")
    test_loop = providers.Singleton(build_eval_loop, config.test_cfg, "test_cfg")
    hooks = providers.Singleton(build_hooks, config.default_hooks, config.custom_hooks)

    wrapped_model = providers.Singleton(
        wrap_seeded_model,
        __self__.provided.randomness.call(),  # first: seeded before any model is built
        __self__.provided.model.call(),
        __self__.provided.distributed.call(),
    )

    runner = providers.Singleton(
        Runner,
        __self__.provided.wrapped_model.call(),
        work_dir=config.work_dir,
        train_dataloader=__self__.provided.train_dataloader.call(),
        val_dataloader=__self__.provided.val_dataloader.call(),
        test_dataloader=__self__.provided.test_dataloader.call(),
        train_loop=__self__.provided.train_loop.call(),
        val_loop=__self__.provided.val_loop.call(),
        test_loop=__self__.provided.test_loop.call(),
        optim_wrapper=__self__.provided.optim_wrapper.call(),
        param_schedulers=__self__.provided.param_schedulers.call(),
        val_evaluator=__self__.provided.val_evaluator.call(),
        test_evaluator=__self__.provided.test_evaluator.call(),
        hooks=__self__.provided.hooks.call(),
        randomness=__self__.provided.randomness.call(),
        load_from=config.load_from,
        resume=providers.Callable(resume_flag, config.resume),
        cfg=config,
        log_level=providers.Callable(log_level_setting, config.log_level),
    )

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any] | Config) -> Any:
        """Return a container whose ``config`` holds ``cfg`` (a Config or a plain mapping)."""
        values = cfg.to_dict() if isinstance(cfg, Config) else copy_plain(cfg)
        app = cls()
        app.config.from_dict(values)
        return app


def locate(exc: RegwireError, cfg: Any) -> RegwireError:
    """Fill in ``exc.source`` (``file:line``) from ``cfg.source_of`` when it is unknown."""
    source_of = getattr(cfg, "source_of", None)
    if exc.source is not None or exc.config_path is None or not callable(source_of):
        return exc
    path = exc.config_path
    while path:
        try:
            found = source_of(path)
        except (RegwireError, KeyError, ValueError, TypeError):
            found = None
        if found is not None:
            exc.source = str(found)
            break
        path = path.rpartition(".")[0]
    return exc
