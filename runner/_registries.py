"""The registries of the training domain, all children of one root.

Because they share a root, a scoped name reaches across them (``hook.CheckpointHook`` from
any registry), and a user package extends one by making a child registry of it::

    MODELS = Registry("model", parent=runner.MODELS)  # scope inferred: your package name
"""

from __future__ import annotations

from container import Registry

COMPONENTS = (
    "runner.model",
    "runner.optim",
    "runner.data",
    "runner.evaluation",
    "runner.engine",
    "runner.hooks",
)
"""The packages whose classes register into these registries. ``from runner import HOOKS``
imports them all first, so a registry taken from ``runner`` always holds the built-in
components (and a user's ``force=True`` replaces one, as in MMEngine)."""

ROOT = Registry("regwire", scope="regwire")

MODELS = Registry("model", parent=ROOT, scope="model")
DATASETS = Registry("dataset", parent=ROOT, scope="dataset")
DATA_SAMPLERS = Registry("data_sampler", parent=ROOT, scope="data_sampler")
TRANSFORMS = Registry("transform", parent=ROOT, scope="transform")
FUNCTIONS = Registry("function", parent=ROOT, scope="function")
HOOKS = Registry("hook", parent=ROOT, scope="hook")
LOOPS = Registry("loop", parent=ROOT, scope="loop")
OPTIMIZERS = Registry("optimizer", parent=ROOT, scope="optimizer")
OPTIM_WRAPPERS = Registry("optim_wrapper", parent=ROOT, scope="optim_wrapper")
PARAM_SCHEDULERS = Registry("param_scheduler", parent=ROOT, scope="param_scheduler")
METRICS = Registry("metric", parent=ROOT, scope="metric")
EVALUATOR = Registry("evaluator", parent=ROOT, scope="evaluator")

REGISTRIES: dict[str, Registry] = {
    registry.name: registry
    for registry in (
        MODELS,
        DATASETS,
        DATA_SAMPLERS,
        TRANSFORMS,
        FUNCTIONS,
        HOOKS,
        LOOPS,
        OPTIMIZERS,
        OPTIM_WRAPPERS,
        PARAM_SCHEDULERS,
        METRICS,
        EVALUATOR,
    )
}
"""Every registry of the runner by name, for ``regwire list``."""
