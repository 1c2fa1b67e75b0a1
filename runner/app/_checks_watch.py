"""The checks of ``visualizer`` and ``log_processor`` (``regwire check``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from container import ConfigError

from .._registries import LOG_PROCESSORS, VISBACKENDS, VISUALIZERS
from ._node_checks import GIVEN, _collect, _mapping, node_problems
from ._schema import Problems


def check_visualizer(value: Any, path: str) -> Problems:
    """A ``Visualizer`` node and its ``vis_backends``, each in its registry; a backend whose
    package is missing is a problem naming the extra to install."""
    from ..visualization import missing_package

    if not isinstance(value, Mapping):
        return _mapping(value, path, "a mapping such as {vis_backends: [{type: LocalVisBackend}]}")
    node = {"type": "Visualizer", **{k: v for k, v in value.items() if k != "vis_backends"}}
    problems = node_problems(VISUALIZERS, node, path, {"vis_backends": GIVEN})
    backends = value.get("vis_backends") or []
    if not isinstance(backends, list | tuple):
        return [*problems, *_mapping(backends, f"{path}.vis_backends", "a list of backends")]
    for index, backend in enumerate(backends):
        where = f"{path}.vis_backends.{index}"
        found = node_problems(VISBACKENDS, backend, where)
        name = backend.get("type") if isinstance(backend, Mapping) else None
        missing = missing_package(VISBACKENDS.get(name)) if isinstance(name, str) else None
        if not found and missing is not None:
            found.append(ConfigError(missing, config_path=f"{where}.type"))
        problems += found
    return problems


def check_log_processor(value: Any, path: str) -> Problems:
    """A ``LogProcessor`` node (``type`` may be omitted); its ``custom_cfg`` entries."""
    from ._sections import build_log_processor

    node = {"type": "LogProcessor", **value} if isinstance(value, Mapping) else value
    problems = node_problems(LOG_PROCESSORS, node, path)
    if not problems and node["type"] == "LogProcessor":
        problems += _collect(lambda: build_log_processor(value))
    return problems
