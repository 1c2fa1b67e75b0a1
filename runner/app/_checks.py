"""The runner's sections and their checks: what ``regwire check`` reads in a config.

Each check looks at one section's value without building anything and returns every problem
it finds, with its config path: the section's shape and keys, its values' types and ranges,
and its config nodes against the signatures of the callables their registries hold (each in
the registry that builds it, with the arguments the runner passes itself, such as a sampler's
``dataset`` or an optimizer's ``params``, counted as given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from container import Config, ConfigError, RegistryError, did_you_mean
from providers import PATH, with_section

from .._registries import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    FUNCTIONS,
    HOOKS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
)
from ..data import OWN_KEYS, option_problems, pipeline_problems
from ._checks_watch import (
    built_hook_problems,
    check_log_processor,
    check_visualizer,
    default_hook_name_problems,
)
from ._node_checks import _PLAIN, GIVEN, _collect, _mapping, node_problems
from ._schema import Problems, register_section


def _positive(options: Mapping[str, Any], path: str, keys: Sequence[str]) -> Problems:
    problems: Problems = []
    for key in keys:
        value = options.get(key)
        if key in options and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append(
                ConfigError(
                    f"{PATH} must be a positive int, got {value!r}", config_path=f"{path}.{key}"
                )
            )
    return problems


def check_train_cfg(value: Any, path: str) -> Problems:
    from ._sections import train_loop_node

    try:
        node = train_loop_node(value, path)
    except ConfigError as exc:
        return [exc]
    problems = _positive(node, path, ("max_epochs", "max_iters", "val_interval"))
    return problems + node_problems(LOOPS, node, path)


def check_eval_cfg(value: Any, path: str) -> Problems:
    from ._sections import eval_loop_node

    try:
        return node_problems(LOOPS, eval_loop_node(value, path), path)
    except ConfigError as exc:
        return [exc]


def check_dataloader(value: Any, path: str) -> Problems:
    if not isinstance(value, Mapping):
        return [] if not isinstance(value, _PLAIN) else _mapping(value, path, "a mapping")
    problems: Problems = []
    for key in ("batch_size", "dataset"):
        if key not in value:
            problems.append(ConfigError(f"{PATH} needs {key!r}", config_path=path))
    problems += _positive(value, path, ("batch_size",))
    unknown = option_problems(value, path)
    problems += unknown
    if not unknown:  # the values of torch's options, against DataLoader's own annotations
        options = {k: item for k, item in value.items() if k not in (*OWN_KEYS, "batch_size")}
        loader = {"type": _dataloader(), **options}
        problems += node_problems(FUNCTIONS, loader, path, {"dataset": GIVEN})
    if "dataset" in value:
        problems += node_problems(DATASETS, value["dataset"], f"{path}.dataset")
        problems += pipeline_problems(value["dataset"], f"{path}.dataset")
    if value.get("sampler") is not None:
        given = {"dataset": GIVEN, "seed": 0}
        problems += node_problems(DATA_SAMPLERS, value["sampler"], f"{path}.sampler", given)
    collate = value.get("collate_fn")
    if isinstance(collate, str) and FUNCTIONS.get(collate) is None:
        problems += node_problems(
            FUNCTIONS, {"type": collate, "_partial_": True}, f"{path}.collate_fn"
        )
    elif isinstance(collate, Mapping):
        problems += node_problems(FUNCTIONS, {**collate, "_partial_": True}, f"{path}.collate_fn")
    return problems


def _dataloader() -> Any:
    from torch.utils.data import DataLoader  # what the check of a dataloader needs of torch

    return DataLoader


def check_optim_wrapper(value: Any, path: str) -> Problems:
    from ..optim import optim_wrapper_problems

    return optim_wrapper_problems(value, path)


def check_param_scheduler(value: Any, path: str) -> Problems:
    from ..optim import param_scheduler_problems

    return param_scheduler_problems(value, path)


def check_auto_scale_lr(value: Any, path: str) -> Problems:
    from ..optim import auto_scale_lr_problems

    return list(auto_scale_lr_problems(value, path))


def check_evaluator(value: Any, path: str) -> Problems:
    if isinstance(value, list | tuple):
        return [
            p for i, item in enumerate(value) for p in node_problems(METRICS, item, f"{path}.{i}")
        ]
    type_ = value.get("type") if isinstance(value, Mapping) else None
    if isinstance(type_, str) and EVALUATOR.get(type_) is not None:
        metrics = value.get("metrics", [])
        rest = {key: item for key, item in value.items() if key != "metrics"}
        listed = metrics if isinstance(metrics, list | tuple) else [metrics]
        problems = node_problems(EVALUATOR, rest, path, {"metrics": GIVEN})
        for index, metric in enumerate(listed):
            problems += node_problems(METRICS, metric, f"{path}.metrics.{index}")
        return problems
    return node_problems(METRICS, value, path)


def _hook_problems(entry: Any, path: str) -> Problems:
    if entry is None:
        return []
    if not isinstance(entry, Mapping):
        return node_problems(HOOKS, entry, path)
    options = dict(entry)
    problems: Problems = []
    if "priority" in options:
        from ..engine import get_priority

        priority = options.pop("priority")
        try:
            get_priority(priority)
        except (TypeError, ValueError) as exc:
            problems.append(ConfigError(str(exc), config_path=f"{path}.priority"))
    problems += node_problems(HOOKS, options, path)
    if options.get("type") == "EMAHook":  # its **kwargs are the averaged model's arguments
        own = ("type", "ema_type", "strict_load", "begin_iter", "begin_epoch")
        averaged = {key: item for key, item in options.items() if key not in own}
        averaged["type"] = options.get("ema_type", "ExponentialMovingAverage")
        problems += node_problems(MODELS, averaged, path, {"model": GIVEN})
    if not problems:  # the values the hook itself refuses
        problems += built_hook_problems(options, path)
    return problems


def check_default_hooks(value: Any, path: str) -> Problems:
    from ._sections import DEFAULT_HOOKS

    problems = _mapping(value, path, "a mapping of names to hooks")
    if problems:
        return problems
    problems += default_hook_name_problems(value, path)
    for name, entry in value.items():
        if isinstance(entry, Mapping) and "type" not in entry and name not in DEFAULT_HOOKS:
            continue  # a mistake said above
        if isinstance(entry, Mapping) and "type" not in entry and name in DEFAULT_HOOKS:
            entry = {**DEFAULT_HOOKS[name], **entry}
        problems += _hook_problems(entry, f"{path}.{name}")
    return problems


def check_custom_hooks(value: Any, path: str) -> Problems:
    if not isinstance(value, list | tuple):
        return [ConfigError(f"{PATH} must be a list of hooks, got {value!r}", config_path=path)]
    return [p for i, entry in enumerate(value) for p in _hook_problems(entry, f"{path}.{i}")]


def check_model(value: Any, path: str) -> Problems:
    from ..model import model_config_problems

    return [*node_problems(MODELS, value, path), *model_config_problems(value, path)]


def check_data_preprocessor(value: Any, path: str) -> Problems:
    from ..model import model_config_problems

    if isinstance(value, Mapping) and "type" not in value:
        return []  # the model completes it (MMPretrain's models set a default type)
    return [*node_problems(MODELS, value, path), *model_config_problems(value, path)]


def wrapper_fit(cfg: Mapping[str, Any]) -> Problems:
    """``model_wrapper_cfg.shard_modules`` / ``activation_checkpointing`` name classes of
    the model's submodules. The model is not built here, so which submodules it has is not
    known; once its type is imported, a name that is no ``nn.Module`` class at all is an error
    (the rest is checked when the wrapper is built)."""
    wrapper, model = cfg.get("model_wrapper_cfg"), cfg.get("model")
    if not isinstance(wrapper, Mapping) or not isinstance(model, Mapping):
        return []
    type_ = model.get("type")
    if isinstance(type_, str):
        try:
            type_ = getattr(MODELS.resolve_type(type_, None, ""), "provides", None)
        except RegistryError:
            return []  # the model section's check reports it
    if not isinstance(type_, type):
        return []
    from ..model import module_class_problems

    return [
        problem
        for key in ("shard_modules", "activation_checkpointing")
        for problem in module_class_problems(wrapper.get(key), f"model_wrapper_cfg.{key}")
    ]


def data_preprocessor_fit(cfg: Mapping[str, Any]) -> Problems:
    """The top-level ``data_preprocessor`` goes into ``model`` (when it has none): the
    model's callable must take it."""
    model, given = cfg.get("model"), cfg.get("data_preprocessor")
    if given is None or not isinstance(model, Mapping) or "data_preprocessor" in model:
        return []
    merged = {**model, "data_preprocessor": GIVEN}
    for problem in node_problems(MODELS, merged, "model"):
        if problem.config_path == "model.data_preprocessor":
            return [
                ConfigError(
                    f"{PATH} goes into model's config (as in MMEngine), but "
                    f"{_type_name(model)} takes no data_preprocessor argument",
                    config_path="data_preprocessor",
                )
            ]
    return []


def check_resume(value: Any, path: str) -> Problems:
    from ._sections import resume_flag

    return _collect(lambda: resume_flag(value))


def check_model_wrapper(value: Any, path: str) -> Problems:
    """``model_wrapper_cfg``: a MODEL_WRAPPERS node (the model is passed by the runner),
    and a ``mixed_precision`` of known fields and dtypes."""
    from ..model import precision_policy

    problems = node_problems(MODEL_WRAPPERS, value, path, {"module": GIVEN})
    precision = value.get("mixed_precision") if isinstance(value, Mapping) else None
    if isinstance(precision, Mapping):
        for problem in _collect(lambda: precision_policy(precision)):
            problems.append(with_section(problem, path))
    return problems


def check_log_level(value: Any, path: str) -> Problems:
    from ._sections import log_level_setting

    return _collect(lambda: log_level_setting(value))


def check_launcher(value: Any, path: str) -> Problems:
    from ..dist import LAUNCHERS

    if value in LAUNCHERS:
        return []
    choices = ", ".join(LAUNCHERS)
    return [ConfigError(f"{PATH} must be one of {choices}, got {value!r}", config_path=path)]


def check_randomness(value: Any, path: str) -> Problems:
    from ..dist import MAX_SEED
    from ._sections import RANDOMNESS_KEYS

    problems = _mapping(value, path, "a mapping such as {seed: 0}")
    if problems:
        return problems
    for key in value:
        if key not in RANDOMNESS_KEYS:
            options = ", ".join(RANDOMNESS_KEYS)
            problems.append(
                ConfigError(f"{PATH} is not an option ({options})", config_path=f"{path}.{key}")
            )
    seed = value.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED
    ):
        problems.append(
            ConfigError(
                f"{PATH} must be an int from 0 to 2**63 - 1 (torch's range) or null",
                config_path=f"{path}.seed",
            )
        )
    return problems


ENV_KEYS = {
    "dist_cfg": "",
    "cudnn_benchmark": "not acted on yet: torch's cuDNN benchmarking keeps its default",
    "mp_cfg": "not acted on yet: worker processes start the platform's default way",
}
"""The keys of ``env_cfg`` (MMEngine's), and what is not acted on yet (an error until it is:
a run that asks for cuDNN benchmarking must not run without it in silence)."""


def check_env_cfg(value: Any, path: str) -> Problems:
    problems = _mapping(value, path, "a mapping such as {dist_cfg: {backend: gloo}}")
    for key in value if not problems else ():
        where = f"{path}.{key}"
        if key not in ENV_KEYS:
            hint = did_you_mean(str(key), ENV_KEYS)
            problems.append(ConfigError(f"{PATH} is not an env_cfg key{hint}", config_path=where))
        elif ENV_KEYS[key]:
            problems.append(ConfigError(ENV_KEYS[key], config_path=where))
        elif value[key] is not None:
            problems += _mapping(value[key], where, "a mapping such as {backend: gloo}")
            backend = value[key].get("backend") if isinstance(value[key], Mapping) else None
            if backend is not None:
                from ..dist import backend_problem

                problem = backend_problem(backend, f"{where}.backend")
                problems += [problem] if problem is not None else []
    return problems


def _path_like(value: Any, path: str) -> Problems:
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        return []
    return [ConfigError(f"{PATH} must be a path, got {value!r}", config_path=path)]


def _default_scope(value: Any, path: str) -> Problems:
    from ._sections import check_default_scope

    if value is None:
        return []
    try:
        check_default_scope(value)
    except ConfigError as exc:
        return [exc]
    return []


def register_runner_sections() -> None:
    """Declare the runner's sections (once: ``regwire check`` and the runner use them)."""
    sections: list[tuple[str, str, Any]] = [
        ("model", "the model (MODELS)", check_model),
        ("data_preprocessor", "the model's data preprocessor", check_data_preprocessor),
        ("model_wrapper_cfg", "DDP or FSDP2 around the model", check_model_wrapper),
        ("work_dir", "where checkpoints and logs go", _path_like),
        ("train_dataloader", "the training data", check_dataloader),
        ("val_dataloader", "the validation data", check_dataloader),
        ("test_dataloader", "the test data", check_dataloader),
        ("train_cfg", "the training loop", check_train_cfg),
        ("val_cfg", "the validation loop", check_eval_cfg),
        ("test_cfg", "the test loop", check_eval_cfg),
        ("optim_wrapper", "the optimizer and its wrapper", check_optim_wrapper),
        ("param_scheduler", "the parameter schedulers", check_param_scheduler),
        ("auto_scale_lr", "scaling learning rates by batch size", check_auto_scale_lr),
        ("val_evaluator", "the validation metrics", check_evaluator),
        ("test_evaluator", "the test metrics", check_evaluator),
        ("default_hooks", "the default hooks, by name", check_default_hooks),
        ("custom_hooks", "more hooks", check_custom_hooks),
        ("custom_imports", "modules to import first", None),
        ("load_from", "a checkpoint to load", _path_like),
        ("resume", "resume training", check_resume),
        ("launcher", "how processes were started", check_launcher),
        ("randomness", "seeding", check_randomness),
        ("default_scope", "the scope whose registries resolve names first", _default_scope),
        ("env_cfg", "the process group's settings", check_env_cfg),
        ("log_level", "the run's log level", check_log_level),
        ("visualizer", "where scalars go (Visualizer, vis_backends)", check_visualizer),
        ("log_processor", "how log lines and scalars are made", check_log_processor),
    ]
    for name, summary, check in sections:
        register_section(name, summary, check)


register_runner_sections()


def check_config(cfg: Mapping[str, Any] | Config) -> tuple[Problems, Problems]:
    """Check a whole run config without building it; return its errors and warnings.

    ``custom_imports`` are imported first (their classes register what the config names),
    as a run would. Each problem's ``source`` is filled from ``cfg.source_of`` where the
    config has one (a :class:`~container.Config`).
    """
    from container.config import import_custom_modules

    from ._schema import check_sections
    from ._sections import locate

    values: Mapping[str, Any] = cfg.to_dict() if isinstance(cfg, Config) else cfg
    imports = values.get("custom_imports")
    if imports is not None:
        problems = _mapping(imports, "custom_imports", "a mapping such as {imports: [my.module]}")
        if problems:
            return problems, []
        imported = _collect(lambda: import_custom_modules({"custom_imports": imports}))
        if imported:
            return imported, []
    from container import DefaultScope

    scope = values.get("default_scope")
    with DefaultScope.overwrite_default_scope(scope if not _default_scope(scope, "") else None):
        errors, warnings = check_sections(values)
        errors += wrapper_fit(values)
    errors += data_preprocessor_fit(values)
    if isinstance(values.get("optim_wrapper"), Mapping):
        from ..optim import optim_config_problems

        more_errors, more_warnings = optim_config_problems(values)
        errors, warnings = errors + more_errors, warnings + more_warnings
    for problem in (*errors, *warnings):
        locate(problem, cfg)
    return errors, warnings


def summary(cfg: Mapping[str, Any] | Config) -> str:
    """One line on what a checked config would build (``regwire check``'s ``ok:`` line)."""
    cfg = cfg.to_dict() if isinstance(cfg, Config) else cfg
    parts = [f"model {_type_name(cfg.get('model'))}"]
    train = cfg.get("train_cfg")
    if isinstance(train, Mapping):
        if "max_epochs" in train:
            parts.append(f"train {train['max_epochs']} epochs")
        elif "max_iters" in train:
            parts.append(f"train {train['max_iters']} iterations")
    loaded = [mode for mode in ("train", "val", "test") if cfg.get(f"{mode}_dataloader")]
    parts.append(f"data for {', '.join(loaded) or 'nothing'}")
    optim = cfg.get("optim_wrapper")
    if isinstance(optim, Mapping):
        parts.append(_optimizers(optim))
    schedulers = cfg.get("param_scheduler")
    count = _scheduler_count(schedulers)
    parts.append(f"{count} scheduler{'s' * (count != 1)}")
    return "; ".join(parts)


def _optimizers(optim: Mapping[str, Any]) -> str:
    """``optimizer SGD``, or ``optimizers generator Adam, discriminator SGD`` for several."""
    from ..optim import wrapper_names

    names = wrapper_names(optim)
    if names is None:
        return f"optimizer {_type_name(optim.get('optimizer'))}"
    types = []
    for name in names:
        item = optim.get(name)
        found = item.get("optimizer") if isinstance(item, Mapping) else item
        types.append(f"{name} {_type_name(found)}")
    return f"optimizers {', '.join(types)}"


def _scheduler_count(schedulers: Any) -> int:
    from ..optim import per_optimizer

    if per_optimizer(schedulers):
        return sum(_scheduler_count(item) for item in schedulers.values())
    return len(schedulers) if isinstance(schedulers, list | tuple) else int(bool(schedulers))


def _type_name(node: Any) -> str:
    type_ = node.get("type") if isinstance(node, Mapping) else node
    return type_ if isinstance(type_, str) else getattr(type_, "__name__", type(type_).__name__)
