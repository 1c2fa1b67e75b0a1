"""regwire's training layer: components, the engine that drives them, and the app that wires
them from a config.

Train from a config file (``regwire train CONFIG``, see :mod:`runner.app.cli`) or from Python::

    from container import Config
    from runner import Runner

    runner = Runner.from_cfg(Config.fromfile("examples/digits/cnn.yaml"))
    runner.train()

The layout, in ranks; a module imports only from its own rank or a lower one
(``tests/test_layout.py`` checks it):

* rank 0 -- ``_registries`` (``MODELS``, ``HOOKS``, ... children of ``ROOT``), ``_errors``
  (the exceptions the command line tells apart) and
  ``_sections`` (building a config section with its full path in errors).
* rank 1, components, each usable without a Runner -- :mod:`runner.model` (``BaseModel``,
  ``DistributedModel``), :mod:`runner.optim` (``OptimWrapper``, parameter schedulers, their
  builders), :mod:`runner.data` (``BaseDataset`` and its wrappers, ``Compose``, samplers,
  collate functions, ``build_dataloader``),
  :mod:`runner.evaluation` (``BaseMetric``, ``Evaluator``, ``Accuracy``), :mod:`runner.dist`
  (the process group, seeding).
* rank 2 -- :mod:`runner.engine`: ``Hook`` and ``Priority``, the dispatch table and
  ``call_stage`` (the one function that calls a stage), the loops and their ``TrainState``,
  checkpoint files, ``RunnerView`` (what hooks may use), and ``BaseRunner``, which drives
  built objects.
* rank 3 -- :mod:`runner.hooks`: the default hooks and the optional ones, one module each.
* rank 4 -- :mod:`runner.app`: ``TrainingContainer`` (dependency-injector), the section
  builders, ``Runner`` (``BaseRunner`` with ``from_cfg``) and the command line.

Every public name of the subpackages is importable from ``runner`` itself, imported when it
is first used (``import runner`` alone imports neither torch nor ``container``).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers; at run time each name is imported at its first use
    from ._registries import (
        DATA_SAMPLERS,
        DATASETS,
        EVALUATOR,
        FUNCTIONS,
        HOOKS,
        LOG_PROCESSORS,
        LOOPS,
        METRICS,
        MODEL_WRAPPERS,
        MODELS,
        OPTIM_WRAPPER_CONSTRUCTORS,
        OPTIM_WRAPPERS,
        OPTIMIZERS,
        PARAM_SCHEDULERS,
        REGISTRIES,
        ROOT,
        RUNNERS,
        TRANSFORMS,
        VISBACKENDS,
        VISUALIZERS,
        WEIGHT_INITIALIZERS,
        DatasetRegistry,
        ModelRegistry,
        build_model_from_cfg,
    )
    from .app import DEFAULT_HOOKS, Runner, TrainingContainer, build_hooks, build_runner_from_cfg
    from .data import (
        BaseDataset,
        ClassBalancedDataset,
        Compose,
        ConcatDataset,
        DatasetArgumentError,
        DefaultSampler,
        InfiniteSampler,
        RepeatDataset,
        build_dataloader,
        force_full_init,
        pseudo_collate,
        skip_batches,
    )
    from .dist import Randomness, set_random_seed
    from .engine import (
        STAGES,
        BaseRunner,
        CheckpointError,
        DispatchTable,
        EpochBasedTrainLoop,
        EvalContext,
        Hook,
        HookError,
        HookSignatureError,
        Interrupted,
        IterBasedTrainLoop,
        LogProcessor,
        MessageHub,
        Priority,
        RunnerView,
        ScalarHistory,
        TestLoop,
        TrainContext,
        TrainState,
        ValLoop,
        call_stage,
        current_logger,
        find_latest_checkpoint,
        get_priority,
        load_checkpoint,
        print_log,
        save_checkpoint,
    )
    from .evaluation import Accuracy, BaseMetric, Evaluator, build_evaluator
    from .hooks import (
        BaseAveragedModel,
        CheckInvalidLossHook,
        CheckpointHook,
        DistSamplerSeedHook,
        EarlyStoppingHook,
        EMAHook,
        EmptyCacheHook,
        ExponentialMovingAverage,
        InvalidLossError,
        IterTimerHook,
        LoggerHook,
        MomentumAnnealingEMA,
        ParamSchedulerHook,
        ProfilerHook,
        ProgressBarHook,
        RuntimeInfoHook,
        StochasticWeightAverage,
    )
    from .model import (
        BaseDataPreprocessor,
        BaseModel,
        BaseModule,
        DistributedModel,
        FullyShardedModel,
        ImgDataPreprocessor,
        initialize,
    )
    from .optim import (
        AmpOptimWrapper,
        ConstantLR,
        ConstantMomentum,
        ConstantParamScheduler,
        CosineAnnealingLR,
        CosineAnnealingMomentum,
        CosineAnnealingParamScheduler,
        CosineRestartLR,
        CosineRestartMomentum,
        CosineRestartParamScheduler,
        DefaultOptimWrapperConstructor,
        ExponentialLR,
        ExponentialMomentum,
        ExponentialParamScheduler,
        LinearLR,
        LinearMomentum,
        LinearParamScheduler,
        MultiOptimWrapperConstructor,
        MultiStepLR,
        MultiStepMomentum,
        MultiStepParamScheduler,
        OneCycleLR,
        OneCycleParamScheduler,
        OptimWrapper,
        OptimWrapperDict,
        ParamScheduler,
        PolyLR,
        PolyMomentum,
        PolyParamScheduler,
        ReduceOnPlateauLR,
        ReduceOnPlateauMomentum,
        ReduceOnPlateauParamScheduler,
        StepLR,
        StepMomentum,
        StepParamScheduler,
        build_optim_wrapper,
        build_param_schedulers,
        build_scheduler_from_cfg,
    )
    from .visualization import (
        BaseVisBackend,
        LocalVisBackend,
        MLflowVisBackend,
        TensorboardVisBackend,
        Visualizer,
        plot_runs,
    )

__all__ = [
    "DATASETS",
    "DATA_SAMPLERS",
    "DEFAULT_HOOKS",
    "EVALUATOR",
    "FUNCTIONS",
    "HOOKS",
    "LOG_PROCESSORS",
    "LOOPS",
    "METRICS",
    "MODELS",
    "MODEL_WRAPPERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "REGISTRIES",
    "ROOT",
    "RUNNERS",
    "STAGES",
    "TRANSFORMS",
    "VISBACKENDS",
    "VISUALIZERS",
    "WEIGHT_INITIALIZERS",
    "Accuracy",
    "AmpOptimWrapper",
    "BaseAveragedModel",
    "BaseDataPreprocessor",
    "BaseDataset",
    "BaseMetric",
    "BaseModel",
    "BaseModule",
    "BaseRunner",
    "BaseVisBackend",
    "CheckInvalidLossHook",
    "CheckpointError",
    "CheckpointHook",
    "ClassBalancedDataset",
    "Compose",
    "ConcatDataset",
    "ConstantLR",
    "ConstantMomentum",
    "ConstantParamScheduler",
    "CosineAnnealingLR",
    "CosineAnnealingMomentum",
    "CosineAnnealingParamScheduler",
    "CosineRestartLR",
    "CosineRestartMomentum",
    "CosineRestartParamScheduler",
    "DatasetArgumentError",
    "DatasetRegistry",
    "DefaultOptimWrapperConstructor",
    "DefaultSampler",
    "DispatchTable",
    "DistSamplerSeedHook",
    "DistributedModel",
    "EMAHook",
    "EarlyStoppingHook",
    "EmptyCacheHook",
    "EpochBasedTrainLoop",
    "EvalContext",
    "Evaluator",
    "ExponentialLR",
    "ExponentialMomentum",
    "ExponentialMovingAverage",
    "ExponentialParamScheduler",
    "FullyShardedModel",
    "Hook",
    "HookError",
    "HookSignatureError",
    "ImgDataPreprocessor",
    "InfiniteSampler",
    "Interrupted",
    "InvalidLossError",
    "IterBasedTrainLoop",
    "IterTimerHook",
    "LinearLR",
    "LinearMomentum",
    "LinearParamScheduler",
    "LocalVisBackend",
    "LogProcessor",
    "LoggerHook",
    "MLflowVisBackend",
    "MessageHub",
    "ModelRegistry",
    "MomentumAnnealingEMA",
    "MultiOptimWrapperConstructor",
    "MultiStepLR",
    "MultiStepMomentum",
    "MultiStepParamScheduler",
    "OneCycleLR",
    "OneCycleParamScheduler",
    "OptimWrapper",
    "OptimWrapperDict",
    "ParamScheduler",
    "ParamSchedulerHook",
    "PolyLR",
    "PolyMomentum",
    "PolyParamScheduler",
    "Priority",
    "ProfilerHook",
    "ProgressBarHook",
    "Randomness",
    "ReduceOnPlateauLR",
    "ReduceOnPlateauMomentum",
    "ReduceOnPlateauParamScheduler",
    "RepeatDataset",
    "Runner",
    "RunnerView",
    "RuntimeInfoHook",
    "ScalarHistory",
    "StepLR",
    "StepMomentum",
    "StepParamScheduler",
    "StochasticWeightAverage",
    "TensorboardVisBackend",
    "TestLoop",
    "TrainContext",
    "TrainState",
    "TrainingContainer",
    "ValLoop",
    "Visualizer",
    "build_dataloader",
    "build_evaluator",
    "build_hooks",
    "build_model_from_cfg",
    "build_optim_wrapper",
    "build_param_schedulers",
    "build_runner_from_cfg",
    "build_scheduler_from_cfg",
    "call_stage",
    "current_logger",
    "find_latest_checkpoint",
    "force_full_init",
    "get_priority",
    "initialize",
    "load_checkpoint",
    "plot_runs",
    "print_log",
    "pseudo_collate",
    "save_checkpoint",
    "set_random_seed",
    "skip_batches",
]

_PARTS = (
    "_registries",
    "app",
    "data",
    "dist",
    "engine",
    "evaluation",
    "hooks",
    "model",
    "optim",
    "visualization",
)


def __getattr__(name: str) -> Any:
    """A public name, imported at its first use (PEP 562): ``import runner`` and the command
    line's ``--help`` import neither torch nor the components. The first use imports them
    all, so a registry taken from here holds every built-in component."""
    if name in __all__:
        modules = [importlib.import_module(f"{__name__}.{part}") for part in _PARTS]
        for module in modules:
            if name in getattr(module, "__all__", vars(module)):
                value = getattr(module, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
