"""TensorBoard and MLflow backends: optional packages, named by their extras when missing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._registries import VISBACKENDS
from ._backends import BaseVisBackend, Scalars, require
from ._config_file import dump_config


@VISBACKENDS.register_module()
class TensorboardVisBackend(BaseVisBackend):
    """Write scalars as TensorBoard events (``torch.utils.tensorboard``) to ``save_dir``
    (the run's ``vis_data``): ``tensorboard --logdir work_dirs``.

    Raises:
        ConfigError: ``tensorboard`` is not installed (``pip install 'regwire[tensorboard]'``).
    """

    requires = ("tensorboard", "tensorboard")
    """The package this backend imports and the extra that installs it (regwire check)."""

    def __init__(self, save_dir: str | os.PathLike[str] | None = None) -> None:
        super().__init__(save_dir)
        require("tensorboard", "tensorboard", "TensorboardVisBackend")
        self._writer: Any = None

    def _experiment(self) -> Any:
        if self._writer is None and self._save_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self._save_dir))
        return self._writer

    def add_config(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        writer = self._experiment()
        if writer is not None:
            target = dump_config(config, Path(writer.log_dir) / "config.yaml")
            writer.add_text("config", f"```yaml\n{target.read_text(encoding='utf-8')}\n```")

    def add_scalars(
        self, scalar_dict: Scalars, step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        writer = self._experiment()
        if writer is None:
            return
        for name, value in scalar_dict.items():
            writer.add_scalar(name, value, step)
        writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@VISBACKENDS.register_module()
class MLflowVisBackend(BaseVisBackend):
    """Log scalars and the config to an MLflow run (MMEngine's arguments).

    Args:
        save_dir: The run's ``vis_data`` when omitted.
        exp_name: The experiment (``regwire`` by default).
        run_name: The run's name (the run's timestamp by default).
        tags: Tags of the run.
        params: Parameters of the run, besides the config.
        tracking_uri: Where MLflow stores runs; by default a local store in ``save_dir``
            (``mlflow.db``, SQLite, and ``mlartifacts/``: MLflow 3 retired its file store),
            so nothing leaves the machine unless asked (``mlflow ui --backend-store-uri
            sqlite:///.../mlflow.db``).
        artifact_suffix: Files of the log directory uploaded as artifacts at the end.

    Raises:
        ConfigError: ``mlflow`` is not installed (``pip install 'regwire[mlflow]'``).
    """

    requires = ("mlflow", "mlflow")

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        exp_name: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        tracking_uri: str | None = None,
        artifact_suffix: tuple[str, ...] | list[str] = (".json", ".log", ".yaml"),
    ) -> None:
        super().__init__(save_dir)
        self._mlflow = require("mlflow", "mlflow", "MLflowVisBackend")
        self.exp_name = exp_name or "regwire"
        self.run_name = run_name
        self.tags = dict(tags or {})
        self.params = dict(params or {})
        self.tracking_uri = tracking_uri
        self.artifact_suffix = tuple(artifact_suffix)
        self._run: Any = None
        self._ended: str | None = None  # the id of the last run that ended

    @property
    def last_run_id(self) -> str | None:
        """The id of the MLflow run going on, or of the last one that ended."""
        return self.run_id or self._ended

    def _experiment(self) -> Any:
        if self._run is None and self._save_dir is not None:
            mlflow = self._mlflow
            store = self._save_dir.resolve()
            store.mkdir(parents=True, exist_ok=True)
            mlflow.set_tracking_uri(self.tracking_uri or f"sqlite:///{store / 'mlflow.db'}")
            if mlflow.get_experiment_by_name(self.exp_name) is None:
                mlflow.create_experiment(
                    self.exp_name, artifact_location=(store / "mlartifacts").as_uri()
                )
            mlflow.set_experiment(self.exp_name)
            run_name = self.run_name or self._save_dir.parent.name
            self._run = mlflow.start_run(run_name=run_name, tags=self.tags or None)
            if self.params:
                mlflow.log_params(self.params)
        return self._run

    @property
    def run_id(self) -> str | None:
        """The MLflow run's id, once it started."""
        return None if self._run is None else str(self._run.info.run_id)

    def add_config(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        if self._experiment() is not None:
            from providers import copy_plain

            self._mlflow.log_dict(copy_plain(config), "config.yaml")

    def add_scalars(
        self, scalar_dict: Scalars, step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        if self._experiment() is not None:
            self._mlflow.log_metrics({_metric_name(k): v for k, v in scalar_dict.items()}, step)

    def close(self) -> None:
        if self._run is None:
            return
        log_dir = self._save_dir.parent if self._save_dir is not None else None
        if log_dir is not None:
            for path in sorted(log_dir.glob("*")):
                if path.is_file() and path.suffix in self.artifact_suffix:
                    self._mlflow.log_artifact(str(path))
        self._mlflow.end_run()
        self._ended = self.run_id
        self._run = None


def _metric_name(name: str) -> str:
    """MLflow takes ``/`` in names; other characters it refuses become ``_``."""
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in name)
