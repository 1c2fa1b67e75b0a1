"""``regwire graph`` and ``regwire run``: the commands about containers rather than runs.

``graph`` draws a training config as the training container wires it (its providers, what
each receives, the config nodes each builds), and any other config as an application
container (components, nested nodes, references). ``run`` builds an application container
from a config and calls one of its components.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
from pathlib import Path

from container import ApplicationContainer, Config, ConfigError, Registry, RegistryError
from container._application import DIRECTIVES
from container._graph import Graph, config_graph, container_graph
from container._references import check_references

LOOP_SECTIONS = frozenset({"train_cfg", "val_cfg", "test_cfg"})
"""A config with a ``model`` and one of these is a run, drawn as the training container wires
it; any other config is an application (``--registry`` says so too)."""

_TEXT_SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".md": "mermaid"}
_DRAWN_SUFFIXES = frozenset({".svg", ".png", ".pdf"})


def graph_of(cfg: Config, registry: Registry | None = None) -> Graph:
    """The picture of ``cfg``: see the module docstring.

    Raises:
        ConfigError: An application config's references are wrong (an unknown name, a cycle).
    """
    if registry is None and "model" in cfg and LOOP_SECTIONS & set(cfg):
        from ._container import TrainingContainer

        return container_graph(TrainingContainer, cfg)
    check_references(cfg)
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
    names = [key for key in cfg if key not in DIRECTIVES]
    if component not in names:
        from container import did_you_mean

        raise ConfigError(
            f"--call {component}: the config has no component {component!r}"
            f"{did_you_mean(component, names)} (components: {', '.join(names)})"
        )
    with app:
        made = getattr(app, component)()
        _check_callable(component, made)
        result = made()
    if isinstance(result, bool) or not isinstance(result, int):
        if result is not None:
            print(result)
        return 0
    if not 0 <= result <= 255:
        raise ConfigError(
            f"--call {component}: it returned {result}, which is no exit status (0 to 255)"
        )
    return result


def _check_callable(component: str, made: object) -> None:
    """``made`` is what ``regwire run`` may call: a function or callable object that needs
    no arguments (not a class, which would only be made)."""
    problem = None
    if isinstance(made, type) or not callable(made):
        problem = (
            "is a class, which would only be made"
            if isinstance(made, type)
            else f"gives {made!r} (a {type(made).__name__}), which cannot be called"
        )
    else:
        try:
            inspect.signature(made).bind()
        except TypeError as exc:
            problem = f"needs arguments ({exc})"
        except ValueError:  # no signature to read (a builtin): let the call tell
            pass
    if problem is not None:
        raise ConfigError(
            f"--call {component}: the component {problem}; run calls a component that takes "
            "no arguments (a function, or an object with __call__)"
        )
