"""The registries of the training domain, all children of one root.

Because they share a root, a scoped name reaches across them (``hook.CheckpointHook`` from
any registry), and a user package extends one by making a child registry of it::

    MODELS = Registry("model", parent=runner.MODELS)  # scope inferred: your package name
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from dependency_injector import providers as di

from container import Registry, RegistryError, build_from_cfg, did_you_mean

COMPONENTS = (
    "runner.model",
    "runner.optim",
    "runner.data",
    "runner.evaluation",
    "runner.visualization",
    "runner.engine",
    "runner.hooks",
)
"""The packages whose classes register into these registries. ``from runner import HOOKS``
imports them all first, so a registry taken from ``runner`` always holds the built-in
components (and a user's ``force=True`` replaces one, as in MMEngine)."""


class DatasetRegistry(Registry):
    """The registry of datasets, whose configs also name the transforms of their pipelines.

    MMEngine builds ``pipeline=[dict(type="LoadImage"), ...]`` inside the dataset, with
    ``TRANSFORMS``; regwire builds a config's nested nodes first, each with the registry that
    builds the whole node. So a name this registry lacks is looked up in ``TRANSFORMS`` (in
    the same scope) before it is an error, and ``regwire check`` checks a pipeline's
    transforms against their signatures. Looking up (``get``, ``in``) is not changed. A
    package's own child registry of datasets is made with this class
    (``DatasetRegistry("dataset", parent=runner.DATASETS)``) to get the same.
    """

    def resolve_type(self, type_name: str, scope: str | None, node_path: str) -> di.Provider[Any]:
        try:
            return super().resolve_type(type_name, scope, node_path)
        except RegistryError as missing:
            try:
                return TRANSFORMS.resolve_type(type_name, scope, node_path)
            except RegistryError:
                pass
            names = [*self, *TRANSFORMS]
            if scope is not None:  # the scope in force: its transforms are the likely ones
                with TRANSFORMS.switch_scope_and_registry(scope) as scoped:
                    names += list(scoped)
            hint = did_you_mean(type_name.rsplit(".", 1)[-1], names)
            raise RegistryError(
                f"{type_name!r} is neither a dataset (registry 'dataset') nor a transform "
                f"(registry 'transform'){hint}",
                config_path=missing.config_path,
            ) from missing


class ModelRegistry(Registry):
    """The registry of models, whose configs also hold ``init_cfg``: weight initializers.

    MMEngine keeps a module's ``init_cfg`` as the dict it is (``BaseModule.init_weights``
    applies it, and models read ``self.init_cfg["type"]``), while regwire builds every nested
    node. So a node under an ``init_cfg`` key names an initializer of ``WEIGHT_INITIALIZERS``,
    and building it tries the initializer's arguments and gives the dict back; ``regwire
    check`` checks them against the initializer's signature (with ``override``, or ``name``
    inside an override). A package's own child registry of models is made with this class
    (``ModelRegistry("model", parent=runner.MODELS)``) to get the same.
    """

    def resolve_type(self, type_name: str, scope: str | None, node_path: str) -> di.Provider[Any]:
        segments = node_path.split(".")
        if "init_cfg" not in segments:
            return super().resolve_type(type_name, scope, node_path)
        provider = WEIGHT_INITIALIZERS.resolve_type(type_name, scope, node_path)
        initializer = getattr(provider, "provides", provider)  # the class it registered
        extra = "name" if "override" in segments[segments.index("init_cfg") :] else "override"
        return di.Callable(_init_cfg_node(type_name, initializer, extra))


def _init_cfg_node(type_name: str, initializer: Any, extra: str) -> Any:
    """A callable that checks an ``init_cfg`` entry by making its initializer and returns the
    entry as a dict; its signature is the initializer's, with ``extra`` added."""

    def entry(**options: Any) -> dict[str, Any]:
        initializer(**{key: value for key, value in options.items() if key != extra})
        return {"type": type_name, **options}

    try:
        signature = inspect.signature(initializer, eval_str=True)
    except (NameError, TypeError, ValueError):  # an annotation that does not evaluate
        signature = inspect.signature(initializer)
    parameters = list(signature.parameters.values())
    if extra not in signature.parameters:
        required = extra == "name"
        default = inspect.Parameter.empty if required else None
        added = inspect.Parameter(extra, inspect.Parameter.KEYWORD_ONLY, default=default)
        keywords = [p for p in parameters if p.kind is p.VAR_KEYWORD]
        parameters = [p for p in parameters if p.kind is not p.VAR_KEYWORD] + [added, *keywords]
    described = {key: getattr(initializer, key, type_name) for key in ("__name__", "__qualname__")}
    described["__module__"] = getattr(initializer, "__module__", __name__)  # errors name it
    described["__signature__"] = signature.replace(parameters=parameters)
    for attribute, value in described.items():
        setattr(entry, attribute, value)
    return entry


def build_model_from_cfg(
    cfg: Any, registry: Registry, default_args: Mapping[str, Any] | None = None
) -> Any:
    """MMEngine's ``build_model_from_cfg``, the build function of :data:`MODELS`: a list of
    configs builds an ``nn.Sequential`` of them (mmdet's list-valued ``neck``); a config builds
    as :func:`container.build_from_cfg` builds it; anything else (a built module) is returned
    as it is, as ``registry.build`` returns it."""
    if isinstance(cfg, list):
        from torch import nn  # here: importing the registries stays light (regwire --help)

        return nn.Sequential(*(build_model_from_cfg(item, registry, default_args) for item in cfg))
    if isinstance(cfg, Mapping):
        return build_from_cfg(cfg, registry, default_args)
    return cfg


ROOT = Registry("regwire", scope="regwire")

MODELS = ModelRegistry("model", build_model_from_cfg, parent=ROOT, scope="model")
WEIGHT_INITIALIZERS = Registry("weight_initializer", parent=ROOT, scope="weight_initializer")
MODEL_WRAPPERS = Registry("model_wrapper", parent=ROOT, scope="model_wrapper")
DATASETS = DatasetRegistry("dataset", parent=ROOT, scope="dataset")
DATA_SAMPLERS = Registry("data_sampler", parent=ROOT, scope="data_sampler")
TRANSFORMS = Registry("transform", parent=ROOT, scope="transform")
FUNCTIONS = Registry("function", parent=ROOT, scope="function")
HOOKS = Registry("hook", parent=ROOT, scope="hook")
LOOPS = Registry("loop", parent=ROOT, scope="loop")
OPTIMIZERS = Registry("optimizer", parent=ROOT, scope="optimizer")
OPTIM_WRAPPERS = Registry("optim_wrapper", parent=ROOT, scope="optim_wrapper")
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    "optim_wrapper_constructor", parent=ROOT, scope="optim_wrapper_constructor"
)
PARAM_SCHEDULERS = Registry("param_scheduler", parent=ROOT, scope="param_scheduler")
METRICS = Registry("metric", parent=ROOT, scope="metric")
EVALUATOR = Registry("evaluator", parent=ROOT, scope="evaluator")
VISUALIZERS = Registry("visualizer", parent=ROOT, scope="visualizer")
VISBACKENDS = Registry("vis_backend", parent=ROOT, scope="vis_backend")
LOG_PROCESSORS = Registry("log_processor", parent=ROOT, scope="log_processor")
RUNNERS = Registry("runner", parent=ROOT, scope="runner")

REGISTRIES: dict[str, Registry] = {
    registry.name: registry
    for registry in (
        MODELS,
        WEIGHT_INITIALIZERS,
        MODEL_WRAPPERS,
        DATASETS,
        DATA_SAMPLERS,
        TRANSFORMS,
        FUNCTIONS,
        HOOKS,
        LOOPS,
        OPTIMIZERS,
        OPTIM_WRAPPERS,
        OPTIM_WRAPPER_CONSTRUCTORS,
        PARAM_SCHEDULERS,
        METRICS,
        EVALUATOR,
        VISUALIZERS,
        VISBACKENDS,
        LOG_PROCESSORS,
        RUNNERS,
    )
}
"""Every registry of the runner by name, for ``regwire list``."""
