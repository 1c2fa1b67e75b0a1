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

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from container import Config, RegwireError, ValidationError
from providers import copy_plain

from .._registries import RUNNERS
from ..data import build_dataloader
from ..dist import init_dist
from ..engine import BaseRunner
from ..evaluation import build_evaluator
from ..optim import build_param_schedulers
from . import _checks  # noqa: F401  (registers the runner's sections: the names typos are of)
from ._schema import check_keys
from ._sections import (
    build_eval_loop,
    build_hooks,
    build_log_processor,
    build_model,
    build_optim_after_wrapping,
    build_train_loop,
    build_visualizer,
    epoch_length,
    locate,
    log_level_setting,
    resume_flag,
    set_up,
    wrap_seeded_model,
)


@RUNNERS.register_module()
class Runner(BaseRunner):
    """Trains, validates and tests a model: :class:`~runner.engine.BaseRunner`, built from a
    config by :meth:`from_cfg` (MMEngine's entry point).

    Two ways to call it:

    * MMEngine's keyword arguments (``model``, ``work_dir``, ``train_dataloader``,
      ``train_cfg``, ``optim_wrapper``, ``param_scheduler``, ``val_evaluator``,
      ``default_hooks``, ``custom_hooks``, ``launcher``, ``env_cfg``, ``default_scope``, ...),
      each a built object or a config dict: they are built through
      :class:`TrainingContainer`, as :meth:`from_cfg` builds a config (see
      :data:`MMENGINE_KEYS`).
    * Built objects only, as :class:`~runner.engine.BaseRunner` takes them (``train_loop``,
      ``hooks``, ``param_schedulers``...).
    """

    def __init__(self, model: Any = None, *args: Any, **kwargs: Any) -> None:
        if args or not _mmengine_call(model, kwargs):
            super().__init__(model, *args, **kwargs)
            return
        unknown = sorted(set(kwargs) - MMENGINE_KEYS)
        if unknown:
            from container import did_you_mean

            raise TypeError(
                f"Runner() got an unexpected keyword argument {unknown[0]!r}"
                f"{did_you_mean(unknown[0], MMENGINE_KEYS | ENGINE_ONLY)}; with MMEngine's "
                f"arguments it takes {', '.join(sorted(MMENGINE_KEYS))}"
            )
        record = kwargs.pop("cfg", None)
        values = {key: value for key, value in kwargs.items() if value is not None}
        values["model"] = model
        _build(values, record if record is not None else values, _in_place(self, record))

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any] | Config) -> Runner:
        """Build a runner from a whole config through :class:`TrainingContainer`.

        Errors name the config path and, for a :class:`~container.config.Config`, the file
        and line of the value. A top-level key that is a typo of a section's name is an error
        (``regwire check`` checks everything); one regwire does not act on is logged as a
        warning.

        Raises:
            RegwireError: The config is wrong (a ``ValidationError`` for the keys).
        """
        values = cfg.to_dict() if isinstance(cfg, Config) else cfg
        runner: Runner = _build(values, cfg, cls)
        return runner


def _build(values: Mapping[str, Any], cfg: Any, provides: Any) -> Any:
    """Build a run's objects from ``values`` through :class:`TrainingContainer`, the runner
    by ``provides``; errors are located in ``cfg`` (file and line for a Config)."""
    typos, warnings = check_keys(values)
    if typos:
        raise ValidationError([locate(typo, cfg) for typo in typos])
    try:
        app = TrainingContainer.from_cfg(cfg if isinstance(cfg, Config) else values)
        app.runner.set_provides(provides)  # this container's copy: a subclass builds itself
        runner = app.runner()
    except RegwireError as exc:
        locate(exc, cfg)
        raise
    for warning in warnings:
        runner.logger.warning("%s", locate(warning, cfg))
    return runner


def build_runner_from_cfg(cfg: Mapping[str, Any] | Config, registry: Any) -> Any:
    """MMEngine's ``build_runner_from_cfg``, the build function of :data:`runner.RUNNERS`:
    ``runner_type`` (default ``Runner``) names the runner class in ``registry``, and a class
    with ``from_cfg`` is built with it from the rest of the config.

    Raises:
        RegistryError: ``runner_type`` is not registered (with the nearest names).
    """
    values = dict(cfg.to_dict() if isinstance(cfg, Config) else cfg)
    runner_type = values.pop("runner_type", "Runner")
    found = registry.get(runner_type) if isinstance(runner_type, str) else runner_type
    if found is None:
        raise registry._unknown(runner_type, "runner_type")
    if isinstance(cfg, Config):  # keeps its files and lines for the errors
        cfg = copy.copy(cfg)
        if "runner_type" in cfg:
            del cfg["runner_type"]
    else:
        cfg = values
    from_cfg = getattr(found, "from_cfg", None)
    return from_cfg(cfg) if callable(from_cfg) else found(**values)


MMENGINE_KEYS = frozenset(
    {
        "work_dir",
        "train_dataloader",
        "val_dataloader",
        "test_dataloader",
        "train_cfg",
        "val_cfg",
        "test_cfg",
        "auto_scale_lr",
        "optim_wrapper",
        "param_scheduler",
        "val_evaluator",
        "test_evaluator",
        "default_hooks",
        "custom_hooks",
        "data_preprocessor",
        "load_from",
        "resume",
        "launcher",
        "env_cfg",
        "log_processor",
        "log_level",
        "visualizer",
        "default_scope",
        "randomness",
        "experiment_name",
        "model_wrapper_cfg",
        "custom_imports",
        "cfg",
    }
)
"""The keyword arguments of MMEngine's ``Runner`` (besides ``model``)."""

RUNNERS.build_func = build_runner_from_cfg

ENGINE_ONLY = frozenset({"train_loop", "val_loop", "test_loop", "param_schedulers", "hooks"})
"""Arguments only the engine's form takes: built loops, schedulers and hooks."""

_CONFIG_ONLY = MMENGINE_KEYS - {
    "work_dir",
    "train_dataloader",
    "val_dataloader",
    "test_dataloader",
    "optim_wrapper",
    "val_evaluator",
    "test_evaluator",
    "load_from",
    "resume",
    "log_level",
    "visualizer",
    "log_processor",
    "randomness",
    "cfg",
}


def _mmengine_call(model: Any, kwargs: Mapping[str, Any]) -> bool:
    """Whether ``Runner(...)`` was called with MMEngine's arguments: a key only they have, or
    a config dict where the engine takes a built object.

    Raises:
        TypeError: The two forms are mixed (``train_cfg`` with ``train_loop``).
    """
    mmengine = any(key in _CONFIG_ONLY and kwargs[key] is not None for key in kwargs) or any(
        isinstance(value, Mapping)
        for key, value in (("model", model), *kwargs.items())
        if key != "cfg"  # the config to record, in either form
    )
    engine = sorted(key for key in ENGINE_ONLY if kwargs.get(key) not in (None, ()))
    if mmengine and engine:
        raise TypeError(
            f"Runner() takes either MMEngine's arguments (configs such as train_cfg) or built "
            f"objects ({', '.join(engine)}), not both"
        )
    return mmengine


def _in_place(runner: Runner, record: Any) -> Any:
    """What the training container's ``runner`` provider calls to initialise ``runner``
    itself (with MMEngine's ``cfg``, the config to record, where one was given)."""

    def initialise(*args: Any, **kwargs: Any) -> Runner:
        if record is not None:
            kwargs["cfg"] = record
        BaseRunner.__init__(runner, *args, **kwargs)
        return runner

    return initialise


def _dataloader(config: Any, container: Any, section: str) -> Any:
    """The provider of the ``section`` dataloader, seeded with the run's seed (after the
    ``randomness`` provider ran)."""
    seed = container.provided.randomness.call().provided.seed
    return providers.Singleton(build_dataloader, getattr(config, section), seed, section)


if TYPE_CHECKING:  # the stubs do not declare the metaclass
    _ContainerMeta = type
else:
    _ContainerMeta = type(containers.DeclarativeContainer)


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
        set_up,
        config.custom_imports,
        config.randomness,
        __self__.provided.distributed.call(),
        config.default_scope,
    )
    model = providers.Singleton(
        build_model,
        config.model,
        __self__.provided.randomness.call(),
        config.data_preprocessor,  # merged into the model's config, as MMEngine does
    )
    train_dataloader = _dataloader(config, __self__, "train_dataloader")
    val_dataloader = _dataloader(config, __self__, "val_dataloader")
    test_dataloader = _dataloader(config, __self__, "test_dataloader")
    optim_wrapper = providers.Singleton(  # after wrapping: FSDP2 replaces the parameters
        build_optim_after_wrapping,
        __self__.provided.wrapped_model.call(),
        config.optim_wrapper,
        config.auto_scale_lr,  # scaled before the schedulers record the initial rates
        config.train_dataloader,
    )
    param_schedulers = providers.Singleton(
        build_param_schedulers,
        __self__.provided.optim_wrapper.call(),
        config.param_scheduler,
        epoch_length=providers.Callable(
            epoch_length,
            __self__.provided.train_dataloader,  # the provider: called lazily
        ),
        train_loop=__self__.provided.train_loop.call(),  # the default `end`: its length
    )
    val_evaluator = providers.Singleton(build_evaluator, config.val_evaluator, "val_evaluator")
    test_evaluator = providers.Singleton(build_evaluator, config.test_evaluator, "test_evaluator")
    train_loop = providers.Singleton(build_train_loop, config.train_cfg)
    val_loop = providers.Singleton(build_eval_loop, config.val_cfg, "val_cfg")
    test_loop = providers.Singleton(build_eval_loop, config.test_cfg, "test_cfg")
    hooks = providers.Singleton(build_hooks, config.default_hooks, config.custom_hooks)
    visualizer = providers.Singleton(build_visualizer, config.visualizer)
    log_processor = providers.Singleton(
        build_log_processor, config.log_processor, __self__.provided.train_loop.call()
    )

    wrapped_model = providers.Singleton(
        wrap_seeded_model,
        __self__.provided.randomness.call(),  # first: seeded before any model is built
        __self__.provided.model.call(),
        __self__.provided.distributed.call(),
        config.model_wrapper_cfg,
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
        visualizer=__self__.provided.visualizer.call(),
        log_processor=__self__.provided.log_processor.call(),
    )

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any] | Config) -> Any:
        """Return a container whose ``config`` holds ``cfg`` (a Config or a plain mapping)."""
        values = cfg.to_dict() if isinstance(cfg, Config) else copy_plain(cfg)
        app = cls()
        app.config.from_dict(values)
        return app
