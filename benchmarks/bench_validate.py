"""Validation benchmark: ``Registry.validate`` on a 1,001-node config, beside building it.

Two configs of the same shape (``bench_registry.big_config``: 1 + 10 × (1 + 99) nodes): one
of the shared benchmark components, whose arguments are mostly unannotated, and one of typed
components (ints, lists of nodes, a ``Literal``, an attrs class with a validator), so the
annotation checks run on every node. Prints a markdown table of medians.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).parent))

import _components as comp
import attrs
from _timing import per_call_us, row
from bench_registry import big_config

from container import Registry

TARGET_MS = 50.0


@attrs.define
class Leaf:
    """A typed leaf: an attrs class whose field has a validator."""

    value: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    mode: Literal["sum", "mean"] = "sum"


class Branch:
    """A typed inner node: its children must be leaves or branches."""

    def __init__(self, value: int = 0, children: list[Leaf | Branch] | None = None) -> None:
        self.value = value
        self.children = children or []


def typed_config(width: int = 10, leaves: int = 99) -> dict[str, Any]:
    """The shape of ``big_config`` with typed components (1,001 nodes for 10 × 99)."""
    return {
        "type": "Branch",
        "children": [
            {
                "type": "Branch",
                "value": branch,
                "children": [
                    {"type": "Leaf", "value": leaf, "mode": "mean"} for leaf in range(leaves)
                ],
            }
            for branch in range(width)
        ],
    }


def main() -> None:
    registry = Registry("model", scope="bench")
    for cls in (comp.Norm, comp.Backbone, comp.Head, comp.Model, comp.Node, Leaf, Branch):
        registry.register_module(module=cls)
    plain, typed = big_config(), typed_config()
    started = time.perf_counter()
    for cfg in (plain, typed):
        problems = registry.validate(cfg)  # the first call analyses each signature
        if problems:
            raise SystemExit(f"the benchmark config is not clean: {problems[0]}")
    first = (time.perf_counter() - started) * 1000

    rows = [row("both configs, first `validate` (signatures analysed)", first, "ms")]
    build_plain = per_call_us(lambda: registry.build(plain), repeat=5, min_time=1.0) / 1000
    rows.append(row("1,001-node config: regwire `build`", build_plain, "ms", build_plain))
    ours_plain = per_call_us(lambda: registry.validate(plain), repeat=5, min_time=1.0) / 1000
    rows.append(row("1,001-node config: regwire `validate`", ours_plain, "ms", build_plain))
    build_typed = per_call_us(lambda: registry.build(typed), repeat=5, min_time=1.0) / 1000
    rows.append(
        row(
            "1,001 typed nodes (attrs, Literal, list[...]): `build`", build_typed, "ms", build_typed
        )
    )
    ours_typed = per_call_us(lambda: registry.validate(typed), repeat=5, min_time=1.0) / 1000
    rows.append(
        row(
            "1,001 typed nodes (attrs, Literal, list[...]): `validate`",
            ours_typed,
            "ms",
            build_typed,
        )
    )

    print("| measurement | median | ratio |")
    print("|---|---|---|")
    print("\n".join(rows))
    print()
    print("Targets:")
    worst = max(ours_plain, ours_typed)
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(
        f"- validate on a 1,000-node config: {worst:.2f} ms (target < {TARGET_MS:.0f} ms, {verdict})"
    )


if __name__ == "__main__":
    main()
