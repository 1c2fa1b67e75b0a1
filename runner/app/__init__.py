"""The training app: what builds a run from a config, and the command line.

* :class:`TrainingContainer` (dependency-injector) wires model, data, optimizer wrapper,
  schedulers, evaluators, loops and hooks from a config, and provides the :class:`Runner`.
* :class:`Runner` is the engine's :class:`~runner.engine.BaseRunner` with MMEngine's
  ``from_cfg``.
* The section builders (:func:`build_hooks`, :func:`build_train_loop`, ...) turn one config
  section into what the engine takes; the ``regwire`` command line is :mod:`runner.app.cli`.
"""

from ._container import Runner, TrainingContainer
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
    "Runner",
    "TrainingContainer",
    "build_eval_loop",
    "build_hooks",
    "build_model",
    "build_train_loop",
    "locate",
    "set_up",
]
