"""Where a run's scalars go: a JSON-lines file, TensorBoard, MLflow (MMEngine's backends).

Each backend is registered in ``VISBACKENDS`` and built from ``visualizer.vis_backends``, so a
user adds one by registering a class with ``add_scalars``/``add_config``/``close``. A backend
opens its files or its run at the first record (a run that logs nothing makes nothing); one
whose package is missing says at construction, in one line, which extra installs it.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from container import ConfigError

from .._registries import VISBACKENDS
from ._config_file import dump_config

Scalars = Mapping[str, float | int]
"""A step's values by name (``loss``, ``lr``, ``accuracy/top1``, ``epoch``...)."""


def require(module: str, extra: str, backend: str) -> ModuleType:
    """Import ``module`` for ``backend``, or raise the one-line error naming the extra.

    Raises:
        ConfigError: The package is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(
            f"{backend} needs the {module.split('.')[0]!r} package, which is not installed: "
            f"pip install 'regwire[{extra}]'"
        ) from exc


def missing_package(backend: object) -> str | None:
    """What to install for a backend class whose package is missing (its ``requires``:
    the module and the extra); None when nothing is missing."""
    needs = getattr(backend, "requires", None)
    if needs is None:
        return None
    import importlib.util

    module, extra = needs
    if importlib.util.find_spec(module) is not None:
        return None
    name = getattr(backend, "__name__", "the backend")
    return f"{name} needs {module!r}, which is not installed: pip install 'regwire[{extra}]'"


class BaseVisBackend:
    """A destination of scalars and of the config. ``save_dir`` is the run's
    ``work_dir/<timestamp>/vis_data``, given by the visualizer when it has none."""

    def __init__(self, save_dir: str | os.PathLike[str] | None = None) -> None:
        self._save_dir = Path(save_dir) if save_dir is not None else None

    @property
    def save_dir(self) -> Path | None:
        return self._save_dir

    def set_save_dir(self, save_dir: Path) -> None:
        """Set where to write, unless the config gave a place."""
        if self._save_dir is None:
            self._save_dir = Path(save_dir)

    def add_config(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        """Record the run's config."""

    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        """Record one value at ``step``."""
        self.add_scalars({name: value}, step, **kwargs)

    def add_scalars(
        self, scalar_dict: Scalars, step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Record the values of one step."""

    def close(self) -> None:
        """Flush and release what the backend opened."""


@VISBACKENDS.register_module()
class LocalVisBackend(BaseVisBackend):
    """Append one JSON object per logging step to ``save_dir/scalars.json`` (MMEngine's file:
    the values and ``step``), and write the config to ``save_dir/config.yaml``.

    Args:
        save_dir: The directory (the run's ``vis_data`` when omitted).
        scalar_save_file: The JSON-lines file's name.
        config_save_file: The config file's name.
    """

    def __init__(
        self,
        save_dir: str | os.PathLike[str] | None = None,
        scalar_save_file: str = "scalars.json",
        config_save_file: str = "config.yaml",
    ) -> None:
        super().__init__(save_dir)
        if not scalar_save_file.endswith(".json"):
            raise ValueError(f"scalar_save_file must end in .json, got {scalar_save_file!r}")
        self.scalar_save_file = scalar_save_file
        self.config_save_file = config_save_file
        self._files: dict[Path, Any] = {}

    def add_config(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        if self._save_dir is not None:
            dump_config(config, self._save_dir / self.config_save_file)

    def add_scalars(
        self, scalar_dict: Scalars, step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        if self._save_dir is None:
            return
        row = {**scalar_dict}
        row.setdefault("step", step)
        line = json.dumps(row) + "\n"
        self._write(self._save_dir / self.scalar_save_file, line)
        if file_path is not None:
            self._write(self._save_dir / file_path, line)

    def _write(self, path: Path, line: str) -> None:
        handle = self._files.get(path)
        if handle is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._files[path] = path.open("a", encoding="utf-8")
        handle.write(line)
        handle.flush()  # a reader (regwire plot, tail -f) sees every row at once

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
