"""The top level of a run's config: which keys there are, which go together, what each holds.

A config's top-level keys are the runner's sections (``model``, ``train_cfg``...), MMEngine
keys regwire does not act on yet, keys of MMCV 1.x that MMEngine replaced, and the author's own
variables (``data_root``, ``train_pipeline``: OpenMMLab configs are full of them, used by
reference). Nothing is ignored in silence: a section is checked, a key regwire does not act on
is a warning, and a key that is one or two letters off a section's name (``param_schedular``,
``custom_hook``, ``train_cgf``) is an error naming it. Other keys are variables.

An application adds sections of its own with :func:`register_section`, so that its config
is checked the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from container import ConfigError, RegwireError
from providers import PATH

Problems = list[RegwireError]
SectionCheck = Callable[[Any, str], Problems]
"""``check(value, path)``: the problems of one section's value, each with its config path."""


@attrs.frozen
class Section:
    """A top-level key of a config that something acts on.

    Attributes:
        name: The key.
        summary: What it holds, for messages and ``regwire check``.
        check: Its value's problems, without building anything; None checks nothing more.
    """

    name: str
    summary: str
    check: SectionCheck | None = None


SECTIONS: dict[str, Section] = {}
"""Every section by name: the runner's (see :mod:`runner.app._checks`) and registered ones."""

GROUPS: tuple[tuple[str, ...], ...] = (
    ("train_dataloader", "train_cfg", "optim_wrapper"),
    ("val_dataloader", "val_cfg", "val_evaluator"),
    ("test_dataloader", "test_cfg", "test_evaluator"),
)
"""Sections that only work together: a config gives all of a group, or none of it."""

NOT_YET: Mapping[str, str] = {
    "experiment_name": "runs are named by their work_dir and timestamp",
}
"""MMEngine keys regwire does not act on yet: a warning each, never silence."""

LEGACY: Mapping[str, str] = {
    "optimizer": "optim_wrapper: {optimizer: ...}",
    "optimizer_config": "optim_wrapper (clip_grad, accumulative_counts)",
    "lr_config": "param_scheduler",
    "momentum_config": "param_scheduler",
    "checkpoint_config": "default_hooks: {checkpoint: ...}",
    "log_config": "default_hooks: {logger: ...}",
    "evaluation": "val_cfg and val_evaluator",
    "runner": "train_cfg: {by_epoch: ..., max_epochs: ...}",
    "total_epochs": "train_cfg: {max_epochs: ...}",
    "workflow": "train_cfg and val_cfg",
    "dist_params": "env_cfg: {dist_cfg: ...}",
    "custom_hooks_config": "custom_hooks",
    "resume_from": "resume: true with load_from (or --resume CKPT)",
    "fp16": "optim_wrapper: {type: AmpOptimWrapper, dtype: float16}",
    "data": "train_dataloader, val_dataloader and test_dataloader",
    "gpu_ids": "torchrun --nproc-per-node N with launcher: pytorch",
    "cudnn_benchmark": "env_cfg: {cudnn_benchmark: ...}",
    "mp_start_method": "env_cfg: {mp_cfg: {mp_start_method: ...}}",
}
"""MMCV 1.x keys that MMEngine (and regwire) replaced: a warning naming the replacement."""

TYPO_CUTOFF = 0.8
"""How close (difflib's ratio) a key must be to a section's name to be taken for a typo of it.

``param_schedular``/``param_scheduler`` is 0.93 and ``train_cgf``/``train_cfg`` 0.89, while
the variables OpenMMLab configs use stay far below (``data_root``/``data_preprocessor`` 0.54,
``backend_args``/``vis_backends`` 0.67)."""


def register_section(name: str, summary: str, check: SectionCheck | None = None) -> None:
    """Declare a top-level key of your application's config, and how to check its value.

    Raises:
        ValueError: ``name`` is already a section.
    """
    if name in SECTIONS:
        raise ValueError(f"{name!r} is already a section: {SECTIONS[name].summary}")
    SECTIONS[name] = Section(name, summary, check)


def check_sections(cfg: Mapping[Any, Any]) -> tuple[Problems, Problems]:
    """Check every top-level key of ``cfg`` and every section's value; return its errors and
    its warnings."""
    errors, warnings = check_keys(cfg)
    for key, value in cfg.items():
        section = SECTIONS.get(key)
        if section is not None and section.check is not None and value is not None:
            errors += section.check(value, key)
    errors += check_groups(cfg)
    return errors, warnings


def check_keys(cfg: Mapping[Any, Any]) -> tuple[Problems, Problems]:
    """The top-level keys alone, without the sections' values (``Runner.from_cfg`` checks
    these much, what it builds checks the rest): typos of a section's name are errors, keys
    regwire does not act on are warnings."""
    errors: Problems = []
    warnings: Problems = []
    for key, value in cfg.items():
        if key in SECTIONS:
            continue
        if key in NOT_YET:
            warnings.append(ConfigError(f"not acted on: {NOT_YET[key]}", config_path=key))
        elif key in LEGACY:
            warnings.append(
                ConfigError(
                    f"an MMCV 1.x key, not read: MMEngine and regwire use {LEGACY[key]}",
                    config_path=key,
                )
            )
        elif not isinstance(key, str):
            errors.append(ConfigError(f"a top-level key must be a name, got {key!r}"))
        elif isinstance(value, _DATA):  # not a class or function a Python config imported
            errors += _typo(key)
    return errors, warnings


_DATA = (dict, list, tuple, str, int, float, bool, type(None))
"""What a section holds: a class, function or module a Python config imports is no typo."""


def _typo(key: str) -> Problems:
    close = difflib.get_close_matches(key, list(SECTIONS), n=1, cutoff=TYPO_CUTOFF)
    if not close:
        return []  # a variable of the config's own, as in MMEngine
    return [
        ConfigError(
            f"{PATH} is not a section, so nothing would read it; did you mean {close[0]!r}? "
            "(a variable of your own must not look like a section's name)",
            config_path=key,
        )
    ]


def check_groups(cfg: Mapping[str, Any]) -> Problems:
    """The sections missing from a group the config gives part of."""
    problems: Problems = []
    for group in GROUPS:
        given = [key for key in group if cfg.get(key) is not None]
        if given and len(given) < len(group):
            for missing in (key for key in group if key not in given):
                verb = "needs" if len(given) == 1 else "need"
                problems.append(
                    ConfigError(
                        f"{PATH} is missing: {_listed(given)} {verb} it "
                        f"({', '.join(group)} go together)",
                        config_path=missing,
                    )
                )
    if cfg.get("model") is None:
        problems.append(ConfigError(f"the config has no {PATH}", config_path="model"))
    return problems


def _listed(keys: Iterable[str]) -> str:
    quoted = [repr(key) for key in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
