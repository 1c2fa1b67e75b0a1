"""Application container benchmark: 100 components with 200 references.

Three ways to build the same graph, and then ask for every component:

* regwire: ``ApplicationContainer.from_cfg(cfg, registry)`` from a plain dict (the references
  are ``${name}`` strings), with and without the signature check;
* dependency-injector by hand: a ``DynamicContainer`` of ``Singleton`` providers wired in
  Python (what a user writes without regwire);
* Hydra ``instantiate`` with OmegaConf interpolations: it cannot share an object between two
  references, so each reference builds its target again; the table reports how many objects
  it builds for the first components (the whole graph is out of reach: the count doubles
  with depth).

Run with ``benchmarks/run.sh application``; prints a markdown table of medians and ratios.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _timing import per_call_us, row
from dependency_injector import containers, providers

from container import ApplicationContainer, Registry

HAVE_HYDRA = importlib.util.find_spec("hydra") is not None
COMPONENTS = 100


class Part:
    """A component that receives up to two others and a value."""

    made = 0

    def __init__(self, a: Any = None, b: Any = None, level: int = 0, label: str = "") -> None:
        Part.made += 1
        self.a = a
        self.b = b
        self.level = level
        self.label = label


def _partners(index: int) -> tuple[int, ...]:
    """The components ``c<index>`` refers to: the previous one and one further back."""
    if index == 0:
        return ()
    if index == 1:
        return (0,)
    return (index - 1, (index * 37) % index)


def app_config(count: int = COMPONENTS) -> dict[str, Any]:
    """``count`` components; with 100, 197 component references and 3 value references."""
    cfg: dict[str, Any] = {"settings": {"label": "bench"}}
    for index in range(count):
        node: dict[str, Any] = {"type": "Part", "level": index}
        for key, partner in zip("ab", _partners(index), strict=False):
            node[key] = f"${{c{partner}}}"
        if index in (10, 50, 90):
            node["label"] = "${settings.label}"
        cfg[f"c{index}"] = node
    return cfg


def references(cfg: dict[str, Any]) -> int:
    return sum(
        str(value).startswith("${")
        for node in cfg.values()
        for value in node.values()
        if isinstance(node, dict)
    )


def regwire_all(registry: Registry, cfg: dict[str, Any], check: bool) -> list[Any]:
    app = ApplicationContainer.from_cfg(cfg, registry, check=check)
    return [getattr(app, f"c{index}")() for index in range(COMPONENTS)]


def hand_wired_all() -> list[Any]:
    app = containers.DynamicContainer()
    app.settings = providers.Object({"label": "bench"})
    made: list[providers.Provider[Any]] = []
    for index in range(COMPONENTS):
        kwargs: dict[str, Any] = {"level": index}
        for key, partner in zip("ab", _partners(index), strict=False):
            kwargs[key] = made[partner]
        if index in (10, 50, 90):
            kwargs["label"] = app.settings.provided["label"]
        provider = providers.Singleton(Part, **kwargs)
        setattr(app, f"c{index}", provider)
        made.append(provider)
    return [getattr(app, f"c{index}")() for index in range(COMPONENTS)]


def hydra_objects(count: int) -> tuple[float, int]:
    """Time and objects made to instantiate the first ``count`` components with Hydra."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    plain = app_config(count)
    for node in plain.values():
        if "type" in node:
            node["_target_"] = f"{__name__}.Part"
            del node["type"]
    cfg = OmegaConf.create(plain)

    def build() -> list[Any]:
        return [instantiate(cfg[f"c{index}"]) for index in range(count)]

    Part.made = 0
    build()
    made = Part.made
    return per_call_us(build, repeat=3, min_time=0.5), made


def main() -> None:
    registry = Registry("bench-app", scope="bench-app")
    registry.register_module(module=Part)
    cfg = app_config()
    rows: list[str] = []
    hand = per_call_us(hand_wired_all, repeat=7, min_time=0.5)
    rows.append(row("dependency-injector, hand-wired in Python, every component", hand, "µs", hand))
    ours = per_call_us(lambda: regwire_all(registry, cfg, check=False), repeat=7, min_time=0.5)
    rows.append(row("regwire `ApplicationContainer.from_cfg`, every component", ours, "µs", hand))
    checked = per_call_us(lambda: regwire_all(registry, cfg, check=True), repeat=7, min_time=0.5)
    rows.append(row("… with the signature check (the default)", checked, "µs", hand))

    Part.made = 0
    built = regwire_all(registry, cfg, check=False)
    assert built[99].a is built[98], "a reference must give the one component"
    shared = Part.made
    hydra_notes = []
    if HAVE_HYDRA:
        for count in (10, 20):
            Part.made = 0
            regwire_all_prefix = ApplicationContainer.from_cfg(app_config(count), registry)
            for index in range(count):
                getattr(regwire_all_prefix, f"c{index}")()
            ours_made = Part.made
            seconds, made = hydra_objects(count)
            rows.append(row(f"Hydra `instantiate`, first {count} components", seconds, "µs", None))
            hydra_notes.append(
                f"- first {count} components: Hydra builds {made:,} objects, regwire {ours_made}"
            )

    print(f"{COMPONENTS} components, {references(cfg)} references; regwire made {shared} objects.")
    print()
    print("| measurement | median | ratio |")
    print("|---|---|---|")
    print("\n".join(rows))
    print()
    print("Targets:")
    print(f"- regwire vs hand-wired dependency-injector: {ours / hand:.2f}× (target ≤2×)")
    print(f"- with the check: {checked / hand:.2f}×")
    if hydra_notes:
        print("Hydra cannot share an object between references; what it builds instead:")
        print("\n".join(hydra_notes))


if __name__ == "__main__":
    main()
