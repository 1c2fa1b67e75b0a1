"""``regwire graph`` and ``regwire run``: the commands about containers rather than runs.

``graph`` draws a training config as the training container wires it (its providers, what
each receives, the config nodes each builds), and any other config as an application
container (components, nested nodes, references). ``run`` builds an application container
from a config and calls one of its components.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path

from container import ApplicationContainer, Config, ConfigError, Registry, RegistryError
from container._graph import Graph, config_graph, container_graph

TRAINING_SECTIONS = frozenset(
    {"model", "train_dataloader", "val_dataloader", "test_dataloader", "optim_wrapper"}
)
"""A config with any of these is drawn as the training container wires it."""

_TEXT_SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".md": "mermaid"}
_DRAWN_SUFFIXES = frozenset({".svg", ".png", ".pdf"})


def graph_of(cfg: Config, registry: Registry | None = None) -> Graph:
    """The picture of ``cfg``: see the module docstring."""
    if TRAINING_SECTIONS & set(cfg):
        from ._container import TrainingContainer

        return container_graph(TrainingContainer, cfg)
    return config_graph(cfg, registry=registry)


def write_graph(
    cfg: Config, *, out: str | None, text_format: str | None, registry: str | None = None
) -> int:
    """Write the graph of ``cfg`` to ``out`` (or print it); return the exit status.

    Raises:
        ConfigError: ``out`` has a suffix that names no format, or needs Graphviz's ``dot``
            where it is not installed.
    """
    graph = graph_of(cfg, load_registry(registry) if registry else None)
    suffix = Path(out).suffix.lower() if out else ""
    if suffix in _DRAWN_SUFFIXES:
        _draw(graph.to_dot(), Path(str(out)), suffix[1:])
        return 0
    if out and suffix not in _TEXT_SUFFIXES and text_format is None:
        raise ConfigError(
            f"--out {out}: cannot tell the format from {suffix or 'no suffix'!r}; use .dot, "
            ".gv, .mmd, .md, .svg, .png or .pdf, or give --format"
        )
    chosen = text_format or _TEXT_SUFFIXES.get(suffix, "mermaid" if out is None else "dot")
    text = graph.to_dot() if chosen == "dot" else graph.to_mermaid()
    if suffix == ".md" and chosen == "mermaid":
        text = f"```mermaid\n{text}```\n"
    if out is None:
        print(text, end="")
    else:
        Path(out).write_text(text, encoding="utf-8")
    return 0


def _draw(dot_text: str, out: Path, kind: str) -> None:
    dot = shutil.which("dot")
    if dot is None:
        raise ConfigError(
            f"--out {out}: drawing a .{kind} needs Graphviz's 'dot' program, which is not on "
            "PATH; install Graphviz, or write .dot or .mmd text instead"
        )
    done = subprocess.run(
        [dot, f"-T{kind}", "-o", str(out)],
        input=dot_text,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise ConfigError(f"--out {out}: dot failed: {done.stderr.strip()}")


def load_registry(spec: str) -> Registry:
    """The registry ``module:NAME`` names (imported: the user asked for it on the command line).

    Raises:
        RegistryError: The spec is malformed, the module cannot be imported, or the name is
            not a registry.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise RegistryError(
            f"--registry {spec}: write it as MODULE:NAME, e.g. myapp.registry:SERVICES"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RegistryError(f"--registry {spec}: cannot import {module_name!r}: {exc}") from exc
    registry = getattr(module, attribute, None)
    if not isinstance(registry, Registry):
        found = sorted(name for name, value in vars(module).items() if isinstance(value, Registry))
        raise RegistryError(
            f"--registry {spec}: {module_name} has no registry {attribute!r}"
            + (f" (its registries: {', '.join(found)})" if found else "")
        )
    return registry


def run_application(cfg: Config, registry_spec: str, component: str) -> int:
    """Build the application container of ``cfg`` and call ``component``; close its resources.

    Returns:
        The component's result when it is an int, else 0 (a result that is not None is printed).
    """
    registry = load_registry(registry_spec)
    app = ApplicationContainer.from_cfg(cfg, registry)
    if component not in app.providers:
        from container import did_you_mean

        raise ConfigError(
            f"--call {component}: the config has no component {component!r}"
            f"{did_you_mean(component, list(app.providers))} "
            f"(components: {', '.join(app.providers)})"
        )
    with app:
        made = getattr(app, component)()
        result = made() if callable(made) else made
    if isinstance(result, bool) or not isinstance(result, int):
        if result is not None:
            print(result)
        return 0
    return result
