"""The checks of ``visualizer`` and ``log_processor``, and of the values hooks refuse
(``regwire check``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from container import ConfigError

from .._registries import HOOKS, LOG_PROCESSORS, VISBACKENDS, VISUALIZERS
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


BUILTIN_HOOKS = "runner.hooks."
"""The module prefix of the built-in hooks, whose constructors only check and keep their
arguments (no files, no model): ``regwire check`` builds them to find the values they
refuse (``EMAHook`` with both ``begin_iter`` and ``begin_epoch``, a ``momentum`` out of
range, a ``save_best`` or ``monitor`` whose rule cannot be inferred...)."""


def built_hook_problems(options: Mapping[str, Any], path: str) -> Problems:
    """The problem a built-in hook's constructor finds in ``options`` (a hook node whose
    keys are already checked), named by its path (``custom_hooks.0.momentum``); none for a
    hook of another package, which is not built."""
    from ._sections import _build_hook

    kind = options.get("type")
    found = HOOKS.get(kind) if isinstance(kind, str) else None
    if not isinstance(found, type) or not found.__module__.startswith(BUILTIN_HOOKS):
        return []
    return _collect(lambda: _build_hook(options, path))


def default_hook_name_problems(value: Mapping[str, Any], path: str) -> Problems:
    """The entries of ``default_hooks`` under a name no default hook has that are a
    mistake (``progres_bar: null``, ``loger: {type: LoggerHook}``)."""
    from ._sections import unknown_default_hook

    problems: Problems = []
    for name, entry in value.items():
        mistake = unknown_default_hook(str(name), entry, path)
        if mistake is not None:
            problems.append(mistake)
    return problems
