"""Opening a run's record: ``work_dir/<timestamp>/`` with its log file, the config, and the
visualizer's ``vis_data``; then the first lines (seed, hooks). The runner's ``_open_log``."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ..dist import Randomness
from ..visualization import Visualizer
from ._logging import close_handler, dump_config, log_to_file, make_log_dir


class RecordedRun(Protocol):
    """What opening the record uses of a runner."""

    logger: logging.Logger
    timestamp: str
    cfg: Mapping[str, Any] | None
    visualizer: Visualizer
    randomness: Randomness | None


def open_record(run: RecordedRun, work_dir: Path) -> tuple[Path, logging.Handler]:
    """Make ``work_dir/<timestamp>/`` and its log file (closed with the runner), dump the
    config there, and start the visualizer in ``vis_data/``; return the directory and the
    file handler. The main process's job."""
    log_dir = make_log_dir(work_dir, run.timestamp)
    handler = log_to_file(run.logger, log_dir / f"{run.timestamp}.log")
    weakref.finalize(run, close_handler, run.logger, handler)
    run.visualizer.set_save_dir(log_dir / "vis_data")
    if run.cfg is not None:
        dump_config(run.cfg, log_dir)
        run.visualizer.add_config(run.cfg)
    return log_dir, handler


def log_start(run: RecordedRun, hooks_table: str) -> None:
    """The first lines of a run: its seed and its hooks by stage."""
    if run.randomness is not None:
        seeded = run.randomness
        run.logger.info("seed: %d (deterministic: %s)", seeded.seed, seeded.deterministic)
    run.logger.info("hooks by stage:\n%s", hooks_table)
