"""A user-declared application container: the digits run, wired partly in Python.

Run it from the repository root: ``python -m examples.app_container`` (3 epochs).

``TrainingContainer`` builds every component from the config; a subclass redefines the
providers it wants to wire differently, and everything that depends on them follows, because
the container's components refer to each other by name. Here the subclass

* builds the model in Python, reading only its width from the config,
* adds a component of its own (``best``, a hook that keeps the best validation accuracy), and
* appends that hook to the hooks the config describes.

Tests override any provider of an instance before asking for the runner; see
``tests/examples/test_app_container.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dependency_injector import providers

from container import Config
from runner import Hook, Priority, TrainingContainer

from .digits.components import DigitsCNN

CONFIG = Path(__file__).parent / "digits" / "cnn.yaml"


class BestAccuracy(Hook):
    """Remembers the best validation accuracy and the epoch it was reached at.

    Its state goes into checkpoints under ``hooks.BestAccuracy``.
    """

    priority = Priority.LOW

    def __init__(self, key: str = "accuracy/top1") -> None:
        self.key = key
        self.best = 0.0
        self.epoch = 0

    def after_val_epoch(self, runner: Any, metrics: Mapping[str, float] | None = None) -> None:
        value = (metrics or {}).get(self.key)
        if value is not None and value > self.best:
            self.best, self.epoch = float(value), runner.epoch
            runner.logger.info("best %s so far: %.2f (epoch %d)", self.key, self.best, self.epoch)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "epoch": self.epoch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best, self.epoch = float(state["best"]), int(state["epoch"])


def _with(hooks: list[Any], extra: Any) -> list[Any]:
    return [*hooks, extra]


class DigitsApp(TrainingContainer):
    """The digits training run, with a Python-wired model and a best-accuracy tracker."""

    config = TrainingContainer.config

    model = providers.Singleton(
        DigitsCNN, channels=config.model.channels, hidden=config.model.hidden
    )
    best = providers.Singleton(BestAccuracy)
    hooks = providers.Singleton(_with, TrainingContainer.hooks, best)  # the base's, plus best


def main() -> None:
    """Train the digits CNN for 3 epochs without writing files; print the best accuracy."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cfg = Config.fromfile(CONFIG, cfg_options=["train_cfg.max_epochs=3", "work_dir=null"])
    app = DigitsApp.from_cfg(cfg)
    app.runner().train()
    print(f"best accuracy {app.best().best:.2f} at epoch {app.best().epoch}")


if __name__ == "__main__":
    main()
