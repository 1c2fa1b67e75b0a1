"""Where a run's scalars go: the :class:`Visualizer` and its backends, and the curves.

* :class:`Visualizer` (``VISUALIZERS``) hands scalars and the config to its backends.
* Backends (``VISBACKENDS``): :class:`LocalVisBackend` (``vis_data/scalars.json``, one JSON
  object per logging step), :class:`TensorboardVisBackend`, :class:`MLflowVisBackend`; register
  your own with ``add_scalars``/``add_config``/``close``.
* :func:`plot_runs` draws the curves of ``scalars.json`` files (``regwire plot``).
"""

from ._backends import BaseVisBackend, LocalVisBackend, missing_package
from ._config_file import dump_config
from ._plot import find_scalars, plot_runs, read_scalars
from ._tracking import MLflowVisBackend, TensorboardVisBackend
from ._visualizer import Visualizer

__all__ = [
    "BaseVisBackend",
    "LocalVisBackend",
    "MLflowVisBackend",
    "TensorboardVisBackend",
    "Visualizer",
    "dump_config",
    "find_scalars",
    "missing_package",
    "plot_runs",
    "read_scalars",
]
