"""The training app: what builds a run from a config, and the command line.

* :class:`TrainingContainer` (dependency-injector) wires model, data, optimizer wrapper,
  schedulers, evaluators, loops and hooks from a config, and provides the :class:`Runner`.
* :class:`Runner` is the engine's :class:`~runner.engine.BaseRunner` with MMEngine's
  ``from_cfg``.
* The section builders (:func:`build_hooks`, :func:`build_train_loop`, ...) turn one config
  section into what the engine takes; the ``regwire`` command line is :mod:`runner.app.cli`.
* :func:`check_config` checks a whole config without building it (``regwire check``): the
  top-level keys (:data:`SECTIONS`; :func:`register_section` adds an application's own) and
  every config node against the registry that builds it.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers; at run time each name is imported at its first use
    from ._checks import check_config
    from ._container import Runner, TrainingContainer, build_runner_from_cfg
    from ._schema import SECTIONS, Section, register_section
    from ._sections import (
        DEFAULT_HOOKS,
        build_eval_loop,
        build_hooks,
        build_model,
        build_train_loop,
        locate,
        set_up,
    )

__all__ = [
    "DEFAULT_HOOKS",
    "SECTIONS",
    "Runner",
    "Section",
    "TrainingContainer",
    "build_eval_loop",
    "build_hooks",
    "build_model",
    "build_runner_from_cfg",
    "build_train_loop",
    "check_config",
    "locate",
    "register_section",
    "set_up",
]


def __getattr__(name: str) -> Any:
    """A public name, imported at its first use (PEP 562): the command line (``cli``) lives in
    this package, and its ``--help`` must not import torch. The first use imports the
    packages that register the built-in components (``COMPONENTS``), as ``from runner import
    ...`` does, so that a ``Runner`` taken from here builds the default hooks."""
    if name in __all__:
        from .._registries import COMPONENTS

        for package in COMPONENTS:
            importlib.import_module(package)
        for part in ("_container", "_sections", "_checks", "_schema"):
            module = importlib.import_module(f"{__name__}.{part}")
            if hasattr(module, name):
                value = getattr(module, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
