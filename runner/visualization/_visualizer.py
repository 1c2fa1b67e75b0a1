"""Visualizer: hands a run's scalars and config to every backend (MMEngine's ``Visualizer``)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._registries import VISUALIZERS
from ._backends import BaseVisBackend, Scalars


@VISUALIZERS.register_module()
class Visualizer:
    """Sends scalars and the config to its backends.

    Nothing is written until :meth:`set_save_dir` gives the run's ``vis_data`` directory,
    which the runner does on the main process only: other ranks record nothing.

    Args:
        name: The visualizer's name (MMEngine's ``name``).
        vis_backends: Built backends (``visualizer.vis_backends`` in a config is built in
            ``VISBACKENDS``); none records nothing.
        save_dir: Where backends without a ``save_dir`` of their own write; the runner's
            ``work_dir/<timestamp>/vis_data`` when omitted.
    """

    def __init__(
        self,
        name: str = "visualizer",
        vis_backends: Iterable[BaseVisBackend] = (),
        save_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.name = name
        self._backends = list(vis_backends)
        self._save_dir = Path(save_dir) if save_dir is not None else None
        self._active = False

    @property
    def active(self) -> bool:
        """Whether scalars are recorded (a save dir was set and there are backends)."""
        return self._active and bool(self._backends)

    @property
    def backends(self) -> list[BaseVisBackend]:
        return list(self._backends)

    def get_backend(self, name: str) -> BaseVisBackend | None:
        """The first backend whose class is called ``name``."""
        return next((b for b in self._backends if type(b).__name__ == name), None)

    def set_save_dir(self, save_dir: Path) -> None:
        """Start recording, into ``save_dir`` unless the visualizer was given its own."""
        target = self._save_dir or save_dir
        for backend in self._backends:
            backend.set_save_dir(target)
        self._active = True

    def add_config(self, config: Mapping[str, Any], **kwargs: Any) -> None:
        if self._active:
            for backend in self._backends:
                backend.add_config(config, **kwargs)

    def add_scalar(self, name: str, value: float, step: int = 0, **kwargs: Any) -> None:
        self.add_scalars({name: value}, step, **kwargs)

    def add_scalars(
        self, scalar_dict: Scalars, step: int = 0, file_path: str | None = None, **kwargs: Any
    ) -> None:
        """Record one step's values in every backend (``file_path``: a second JSON file the
        local backend also appends to, as MMEngine's logger hook asks)."""
        if self._active:
            for backend in self._backends:
                backend.add_scalars(scalar_dict, step, file_path=file_path, **kwargs)

    def close(self) -> None:
        for backend in self._backends:
            backend.close()
