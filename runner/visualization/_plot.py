"""Curves of one or more runs from their ``vis_data/scalars.json`` (``regwire plot``)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from container import ConfigError, did_you_mean

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
    """``{key: (xs, ys)}``: each key's values against the iteration.

    A training row has its ``iter``; a validation row (MMEngine's keys: its ``step`` is the
    epoch, or the iteration of an iteration-based run) is drawn at the iteration of the
    training row before it, where it was made, or at its ``step`` when there is none."""
    found: dict[str, tuple[list[float], list[float]]] = {}
    last_iter: Any = None
    for row in rows:
        if "iter" in row:
            x = last_iter = row["iter"]
        else:
            x = last_iter if last_iter is not None else row.get("step", 0)
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


def recorded_keys(rows: Sequence[dict[str, Any]]) -> set[str]:
    """The names of the values the rows hold (the counters left out)."""
    return {
        key
        for row in rows
        for key, value in row.items()
        if key not in AXIS_KEYS and isinstance(value, int | float) and not isinstance(value, bool)
    }


def _check_keys(keys: Sequence[str], runs: Sequence[Sequence[dict[str, Any]]]) -> None:
    """Raise a ConfigError for the first of ``keys`` no run recorded (the nearest one
    suggested, and the recorded ones listed)."""
    recorded = sorted(set().union(*(recorded_keys(rows) for rows in runs)))
    for key in keys:
        if key not in recorded:
            raise ConfigError(
                f"--keys: no run recorded {key!r}{did_you_mean(key, recorded)}; they recorded "
                f"{', '.join(recorded) or 'nothing'}"
            )


def run_labels(runs: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The legend's name of each run: the shortest ending of the paths as given that tells
    them apart (``a/digits``, ``b/digits``; ``digits`` alone for one run); a path given twice
    gets ``#2``."""
    parts = [Path(run).parts or (str(run),) for run in runs]
    longest = max(len(p) for p in parts)
    labels = [str(Path(run)) for run in runs]
    for size in range(1, longest + 1):
        endings = ["/".join(p[-size:]) for p in parts]
        if len(set(endings)) == len(endings):
            labels = endings
            break
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[index] = f"{label} #{seen[label]}"
    return labels


def plot_runs(
    runs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    keys: Sequence[str] | None = None,
) -> Path:
    """Draw the curves of ``runs`` (work dirs or ``scalars.json`` files) into ``out`` (a PNG,
    or any format matplotlib writes), one panel per key, the runs overlaid.

    Raises:
        ConfigError: matplotlib is missing (``pip install 'regwire[plot]'``), a run has no
            scalars, or no run recorded one of ``keys`` (the nearest recorded key suggested).
    """
    require("matplotlib", "plot", "regwire plot")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    recorded = [read_scalars(find_scalars(run)) for run in runs]
    if keys:
        _check_keys(keys, recorded)
    data = dict(zip(run_labels(runs), (curves(found, keys) for found in recorded), strict=True))
    names = list(keys) if keys else sorted({key for found in data.values() for key in found})
    names = [name for name in names if any(name in found for found in data.values())]
    if not names:
        raise ConfigError("the runs recorded no value to plot")
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
