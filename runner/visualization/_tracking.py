"""TensorBoard and MLflow backends: optional packages, named by their extras when missing."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from container import did_you_mean

from .._registries import VISBACKENDS
from .._sections import ArgumentError
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
    """Log scalars, the config and the run's files to an MLflow run (MMEngine's arguments).

    The config goes in twice, as MMEngine sends it: flattened into the run's parameters
    (``model.channels``, ``optim_wrapper.optimizer.lr``; ``tracked_config_keys`` picks the
    top-level keys) and whole as the artifact ``config.yaml``. At the end the log
    directory's files (``artifact_suffix``: the log, ``vis_data/scalars.json``, the config)
    are uploaded as artifacts, in their folders.

    Where runs are stored differs from MMEngine on purpose: without ``tracking_uri`` each
    run directory gets its own store (``vis_data/mlflow.db``, SQLite, and
    ``vis_data/mlartifacts/``: MLflow 3 retired its file store), so nothing leaves the
    machine and two runs never write into one database unless asked; ``mlflow ui
    --backend-store-uri sqlite:///<log dir>/vis_data/mlflow.db`` shows it. Give
    ``tracking_uri`` (a server, or one shared ``sqlite:///...``) to gather runs in one place.

    Args:
        save_dir: The run's ``vis_data`` when omitted.
        exp_name: The experiment (``regwire`` by default).
        run_name: The run's name (the run's timestamp by default).
        tags: Tags of the run.
        params: Parameters of the run, besides the config.
        tracking_uri: Where MLflow stores runs (see above).
        artifact_suffix: Files of the log directory uploaded as artifacts at the end.
        tracked_config_keys: The top-level config keys logged as parameters (all when None).
        artifact_location: Where a new experiment keeps its artifacts (the store's
            ``mlartifacts/`` by default).

    Raises:
        ConfigError: ``mlflow`` is not installed (``pip install 'regwire[mlflow]'``).
        ArgumentError: ``tracked_config_keys`` is not a list of names, or names a key the
            config lacks (when the config is logged).
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
        tracked_config_keys: Sequence[str] | None = None,
        artifact_location: str | None = None,
    ) -> None:
        super().__init__(save_dir)
        self._mlflow = require("mlflow", "mlflow", "MLflowVisBackend")
        if tracked_config_keys is not None and (
            isinstance(tracked_config_keys, str)
            or not all(isinstance(key, str) for key in tracked_config_keys)
        ):
            raise ArgumentError(
                "tracked_config_keys",
                f"must be a list of top-level config keys, got {tracked_config_keys!r}",
            )
        self.exp_name = exp_name or "regwire"
        self.run_name = run_name
        self.tags = dict(tags or {})
        self.params = dict(params or {})
        self.tracking_uri = tracking_uri
        self.artifact_suffix = tuple(artifact_suffix)
        self.tracked_config_keys = list(tracked_config_keys or []) or None
        self.artifact_location = artifact_location
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
                location = self.artifact_location or (store / "mlartifacts").as_uri()
                mlflow.create_experiment(self.exp_name, artifact_location=location)
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
        if self._experiment() is None:
            return
        from providers import copy_plain

        plain = copy_plain(config)
        tracked = plain
        if self.tracked_config_keys is not None:
            missing = [key for key in self.tracked_config_keys if key not in plain]
            if missing:
                raise ArgumentError(
                    "tracked_config_keys",
                    f"names {missing[0]!r}, which the config lacks"
                    f"{did_you_mean(missing[0], list(plain))}",
                )
            tracked = {key: plain[key] for key in self.tracked_config_keys}
        params = flatten(tracked)
        names = list(params)
        for start in range(0, len(names), _PARAMS_PER_CALL):
            chunk = names[start : start + _PARAMS_PER_CALL]
            self._mlflow.log_params({name: _param_value(params[name]) for name in chunk})
        self._mlflow.log_dict(plain, "config.yaml")

    def add_scalars(
        self, scalar_dict: Scalars, step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        if self._experiment() is not None:
            self._mlflow.log_metrics({_metric_name(k): v for k, v in scalar_dict.items()}, step)

    def close(self) -> None:
        """Upload the log directory's files (``scalars.json`` and the log among them, not the
        MLflow store itself) and end the run."""
        if self._run is None:
            return
        log_dir = self._save_dir.parent if self._save_dir is not None else None
        if log_dir is not None:
            for path in sorted(log_dir.rglob("*")):
                relative = path.relative_to(log_dir)
                if not path.is_file() or not path.name.endswith(self.artifact_suffix):
                    continue
                if "mlartifacts" in relative.parts:
                    continue
                folder = relative.parent.as_posix()
                self._mlflow.log_artifact(str(path), None if folder == "." else folder)
        self._mlflow.end_run()
        self._ended = self.run_id
        self._run = None


_PARAMS_PER_CALL = 100
"""MLflow takes at most 100 parameters in one call."""

_PARAM_LENGTH = 6000
"""The longest parameter value MLflow's stores keep; longer ones are cut (the whole config
is the run's ``config.yaml``)."""


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config as one level of dotted keys, as MMEngine's backend flattens it:
    mappings and lists of mappings are walked (``param_scheduler.0.gamma``), other lists
    stay values."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, name))
        elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    flat.update(flatten(item, f"{name}.{index}"))
                else:
                    flat[f"{name}.{index}"] = item
        else:
            flat[name] = value
    return flat


def _param_value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _PARAM_LENGTH else text[: _PARAM_LENGTH - 3] + "..."


def _metric_name(name: str) -> str:
    """MLflow takes ``/`` in names; other characters it refuses become ``_``."""
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in name)
