"""Testing a regwire app: a pytest plugin, and MMEngine's ``RunnerTestCase``.

pytest loads regwire's fixtures by itself wherever regwire is installed (the ``pytest11``
entry point ``regwire``, the top-level module ``regwire_pytest``, which imports this package
only when a fixture runs; ``-p no:regwire`` turns it off). They undo what they did when the
test ends, passed or failed:

* ``regwire_override(registry, name, replacement)``: every build of ``name`` gets
  ``replacement`` (a class or function, called with the node's arguments; a provider; or a
  ready object), as :meth:`container.Registry.override` does.
* ``regwire_override_provider(provider, replacement)``: any dependency-injector provider
  (``app.model``, ``MODELS.providers["ResNet"]``) gives ``replacement`` (a provider, or a
  value it returns as it is), as ``provider.override`` does.
* ``regwire_overrides``: both, as one :class:`Overrides` (undone the last first).
* ``regwire_app(cfg_or_path, overrides={...}, cfg_options=[...])``: a
  :class:`~runner.TrainingContainer` from a dict, a :class:`~container.Config` or a file, its
  ``work_dir`` in ``tmp_path``, components replaced (:class:`AppFactory`);
  ``regwire_runner(...)`` takes the same arguments and returns the container's
  :class:`~runner.Runner`. What seeding changes globally (torch's deterministic flags, the
  random states, ``PYTHONHASHSEED``) is restored after the test.

::

    def test_my_model_gets_trained(regwire_app):
        model = MyModel()
        app = regwire_app("configs/my.yaml", overrides={"model": model},
                          cfg_options=["train_cfg.max_epochs=1"])
        app.runner().train()  # checkpoints go to tmp_path/work_dir

:class:`RunnerTestCase` is MMEngine's, for tests moved over from it: a work dir per test,
``epoch_based_cfg`` and ``iter_based_cfg`` that train :class:`ToyModel` on the CPU in a
fraction of a second, and :meth:`RunnerTestCase.build_runner`.

Importing this package imports neither torch nor the runner's components
(``tests/runner/test_testing.py`` checks it): the fixtures and the test case import them when
they run, and ``ToyModel``, ``ToyDataset`` and ``ToyMetric`` at their first use.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._app import AppFactory, CfgOptions, CfgSource, load_config
from ._case import RunnerTestCase, epoch_based_cfg, iter_based_cfg
from ._overrides import SEEDING_ENVIRONMENT, Overrides, isolated_global_state

if TYPE_CHECKING:  # at run time imported at their first use: they import torch
    from ._toys import ToyDataset, ToyMetric, ToyModel

__all__ = [
    "SEEDING_ENVIRONMENT",
    "AppFactory",
    "CfgOptions",
    "CfgSource",
    "Overrides",
    "RunnerTestCase",
    "ToyDataset",
    "ToyMetric",
    "ToyModel",
    "epoch_based_cfg",
    "isolated_global_state",
    "iter_based_cfg",
    "load_config",
]

_TOYS = ("ToyDataset", "ToyMetric", "ToyModel")


def __getattr__(name: str) -> Any:
    """``ToyModel``, ``ToyDataset`` and ``ToyMetric``, imported at their first use (PEP 562)."""
    if name in _TOYS:
        value = getattr(importlib.import_module(f"{__name__}._toys"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
