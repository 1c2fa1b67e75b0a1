"""Curves of one or more runs from their ``vis_data/scalars.json`` (``regwire plot``)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from container import ConfigError

from ._backends import require

AXIS_KEYS = ("step", "epoch", "iter")
"""Counters, not curves."""

SKIPPED = (*AXIS_KEYS, "time", "data_time", "memory")
"""Keys left out when no ``keys`` are asked for."""


def find_scalars(run: str | os.PathLike[str]) -> list[Path]:
    """The ``scalars.json`` files of a run, oldest first: ``run`` itself (a file), or every
    ``vis_data/scalars.json`` below it (a work dir holds one per start, a resumed run more).

    Raises:
        ConfigError: There is none.
    """
    path = Path(run)
    if path.is_file():
        return [path]
    found = sorted(path.glob("vis_data/scalars.json")) + sorted(
        path.glob("*/vis_data/scalars.json")
    )
    if not found:
        raise ConfigError(
            f"no vis_data/scalars.json under {str(path)!r}: was it trained with "
            "visualizer: {vis_backends: [{type: LocalVisBackend}]}?"
        )
    return found


def read_scalars(files: Sequence[Path]) -> list[dict[str, Any]]:
    """The rows of the files, in order (a line that is not a JSON object is skipped: the
    last one of a run that was killed while writing it)."""
    rows: list[dict[str, Any]] = []
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


def curves(rows: Sequence[dict[str, Any]], keys: Sequence[str] | None) -> dict[str, Any]:
    """``{key: (xs, ys)}``: each key's values against the iteration (``iter``, else ``step``)."""
    found: dict[str, tuple[list[float], list[float]]] = {}
    for row in rows:
        x = row.get("iter", row.get("step", 0))
        for key, value in row.items():
            if keys is None and key in SKIPPED:
                continue
            if keys is not None and key not in keys:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                xs, ys = found.setdefault(key, ([], []))
                xs.append(float(x))
                ys.append(float(value))
    return found


def plot_runs(
    runs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    keys: Sequence[str] | None = None,
) -> Path:
    """Draw the curves of ``runs`` (work dirs or ``scalars.json`` files) into ``out`` (a PNG,
    or any format matplotlib writes), one panel per key, the runs overlaid.

    Raises:
        ConfigError: matplotlib is missing (``pip install 'regwire[plot]'``), a run has no
            scalars, or none of ``keys`` was recorded.
    """
    require("matplotlib", "plot", "regwire plot")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    data = {
        Path(run).name or str(run): curves(read_scalars(find_scalars(run)), keys) for run in runs
    }
    names = list(keys) if keys else sorted({key for found in data.values() for key in found})
    names = [name for name in names if any(name in found for found in data.values())]
    if not names:
        asked = ", ".join(keys) if keys else "any value"
        raise ConfigError(f"the runs recorded no {asked}; plot --keys one of what they logged")
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure, axes = pyplot.subplots(
        rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False
    )
    for index, name in enumerate(names):
        axis = axes[index // columns][index % columns]
        for run, found in data.items():
            if name in found:
                xs, ys = found[name]
                axis.plot(xs, ys, marker="." if len(xs) < 30 else None, label=run)
        axis.set_title(name, fontsize=10)
        axis.set_xlabel("iteration", fontsize=8)
        axis.tick_params(labelsize=8)
        axis.grid(alpha=0.3)
        if len(data) > 1:
            axis.legend(fontsize=7)
    for index in range(len(names), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.tight_layout()
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=90)
    pyplot.close(figure)
    return target
