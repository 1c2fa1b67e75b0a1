"""Registry benchmark: building, provider trees, lookups and import time.

Run with the benchmark environment (``benchmarks/run.sh``), where mmengine and hydra-core are
installed beside regwire, so that every system is measured in the same run. Systems that are
not installed are left out of the table. Prints a markdown table of medians and ratios.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import _components as comp
from _timing import import_ms, per_call_us, row
from dependency_injector import providers

from container import Registry

HAVE_MMENGINE = importlib.util.find_spec("mmengine") is not None
HAVE_HYDRA = importlib.util.find_spec("hydra") is not None

CFG = {
    "type": "Model",
    "backbone": {"type": "Backbone", "depth": 50, "norm": {"type": "Norm", "eps": 0.1}},
    "head": {"type": "Head", "num_classes": 10},
}


def to_hydra(cfg: Any) -> Any:
    """The same config with Hydra's ``_target_`` dotted paths."""
    if isinstance(cfg, dict):
        out = {k: to_hydra(v) for k, v in cfg.items() if k != "type"}
        if "type" in cfg:
            out = {"_target_": f"_components.{cfg['type']}", **out}
        return out
    if isinstance(cfg, list):
        return [to_hydra(item) for item in cfg]
    return cfg


def big_config(width: int = 10, leaves: int = 99) -> dict[str, Any]:
    """A config of 1 + width * (1 + leaves) = 1,001 nodes for width 10, leaves 99."""
    return {
        "type": "Node",
        "children": [
            {
                "type": "Node",
                "value": branch,
                "children": [{"type": "Node", "value": leaf} for leaf in range(leaves)],
            }
            for branch in range(width)
        ],
    }


def direct() -> comp.Model:
    return comp.Model(comp.Backbone(50, comp.Norm(0.1)), comp.Head(10))


def main() -> None:
    registry = Registry("model", scope="bench")
    for cls in (comp.Norm, comp.Backbone, comp.Head, comp.Model, comp.Node):
        registry.register_module(module=cls)
    child = Registry("model", parent=registry, scope="child")
    child.register_module(name="Leaf", module=comp.Norm)

    rows: list[str] = []
    base = per_call_us(direct)
    rows.append(row("direct construction (4 nodes)", base, "µs", base))
    ours = per_call_us(lambda: registry.build(CFG))
    rows.append(row("regwire `build(cfg)`", ours, "µs", base))
    wired = providers.Factory(
        comp.Model,
        backbone=providers.Factory(
            comp.Backbone, depth=50, norm=providers.Factory(comp.Norm, eps=0.1)
        ),
        head=providers.Factory(comp.Head, num_classes=10),
    )
    hand = per_call_us(wired)
    rows.append(row("hand-wired dependency-injector tree", hand, "µs", base))
    tree = registry.provider(CFG)
    reused = per_call_us(tree)
    rows.append(row("regwire provider tree, reused", reused, "µs", base))
    mm_build = mm_get = None
    if HAVE_MMENGINE:
        from mmengine.registry import Registry as MMRegistry

        mm = MMRegistry("bench_models")
        for cls in (comp.Norm, comp.Backbone, comp.Head, comp.Model, comp.Node):
            mm.register_module(module=cls)
        comp.BUILD = mm.build
        mm_build = per_call_us(lambda: mm.build(CFG), repeat=5)
        rows.append(
            row("mmengine `Registry.build` (children built by the classes)", mm_build, "µs", base)
        )
        big = big_config()
        mm_big = per_call_us(lambda: mm.build(big), repeat=3, min_time=1.0)
        comp.BUILD = comp.__dict__["_identity"]
        mm_get = per_call_us(lambda: mm.get("Norm"))
    if HAVE_HYDRA:
        from hydra.utils import instantiate

        hydra_cfg = to_hydra(CFG)
        hydra = per_call_us(lambda: instantiate(hydra_cfg), repeat=5)
        rows.append(row("Hydra `instantiate`", hydra, "µs", base))

    get_plain = per_call_us(lambda: registry.get("Norm"))
    get_parent = per_call_us(lambda: child.get("Norm"))
    get_scoped = per_call_us(lambda: registry.get("child.Leaf"))
    rows.append(row("regwire `get` (own name)", get_plain, "µs"))
    rows.append(row("regwire `get` (from a child, falls back to parent)", get_parent, "µs"))
    rows.append(row("regwire `get` (scoped `child.Leaf`)", get_scoped, "µs"))
    if mm_get is not None:
        rows.append(row("mmengine `get` (own name)", mm_get, "µs", get_plain))

    big = big_config()
    big_ours = per_call_us(lambda: registry.build(big), repeat=3, min_time=1.0)
    big_tree = registry.provider(big)
    big_reused = per_call_us(big_tree, repeat=3, min_time=1.0)
    rows.append(row("1,001-node config: regwire `build`", big_ours / 1000, "ms", None))
    rows.append(
        row("1,001-node config: regwire provider tree, reused", big_reused / 1000, "ms", None)
    )
    if HAVE_MMENGINE:
        rows.append(row("1,001-node config: mmengine `build`", mm_big / 1000, "ms", None))
    if HAVE_HYDRA:
        big_hydra = to_hydra(big)
        rows.append(
            row(
                "1,001-node config: Hydra `instantiate`",
                per_call_us(lambda: instantiate(big_hydra), repeat=3, min_time=1.0) / 1000,
                "ms",
            )
        )

    imp_di = import_ms("import dependency_injector.containers")
    imp_ours = import_ms("import container")
    rows.append(row("import `dependency_injector.containers`", imp_di, "ms", imp_di))
    rows.append(row("import `container`", imp_ours, "ms", imp_di))
    imp_config = import_ms("from container import Config")
    rows.append(row("`from container import Config` (loads YAML, attrs)", imp_config, "ms", imp_di))
    if HAVE_MMENGINE:
        rows.append(
            row(
                "import `mmengine.registry`",
                import_ms("import mmengine.registry", runs=5),
                "ms",
                imp_di,
            )
        )

    print("| measurement | median | ratio |")
    print("|---|---|---|")
    print("\n".join(rows))
    print()
    print("Targets:")
    if mm_build:
        print(f"- build(cfg) vs mmengine: {mm_build / ours:.1f}× faster (target ≥10×)")
    print(f"- reused provider tree vs hand-wired DI tree: {reused / hand:.2f}× (target ≤2×)")
    print(f"- reused provider tree vs direct construction: {reused / base:.2f}×")
    if mm_get:
        print(f"- get vs mmengine: {mm_get / get_plain:.1f}× faster (target ≥20×)")
    print(
        f"- import container vs dependency_injector.containers: {imp_ours / imp_di:.2f}× (target ≤1.2×)"
    )


if __name__ == "__main__":
    main()
