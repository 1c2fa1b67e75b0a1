"""``regwire convert-checkpoint``: a sharded checkpoint to one consolidated file, and back.

The file is an ordinary regwire checkpoint (checksummed, ``torch.load(weights_only=True)``
reads it): full tensors under ``state_dict``, the optimizer state as ``optimizer.state_dict()``
gives it (parameters by index), the rest of the run as it was. The parameters' names, in
index order, go into ``meta["optimizer_param_names"]``, which turning the file back into a
sharded checkpoint needs (DCP keys optimizer state by name). Both directions run in one
process without a process group, as ``torch.distributed.checkpoint.format_utils`` does.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint import FileSystemWriter
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

from . import _checkpoint as files
from ._checkpoint import CheckpointError
from ._sharded import RUNNER_STATE, replace_dir

NAMES = "optimizer_param_names"
"""The ``meta`` key of a consolidated file that names the optimizer's parameters."""


def convert_checkpoint(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """A sharded checkpoint (a directory) to one file, or one file to a sharded checkpoint.

    Raises:
        CheckpointError: ``source`` is neither, is corrupt, or (a file) lacks the names of
            its optimizer's parameters; or ``target`` exists.
    """
    source, target = Path(source), Path(target)
    if target.exists():
        raise CheckpointError(f"{str(target)!r} exists; give a new name", config_path="OUT")
    if files.is_sharded_checkpoint(source):
        return consolidate(source, target)
    if source.is_file():
        return shard(source, target)
    raise CheckpointError(
        f"{str(source)!r} is neither a sharded checkpoint (a directory with DCP's .metadata) "
        "nor a checkpoint file",
        config_path="CHECKPOINT",
    )


def consolidate(source: Path, target: Path) -> Path:
    """Write the sharded checkpoint ``source`` as one file at ``target``."""
    checkpoint = files.load_checkpoint(source / RUNNER_STATE)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        full_file = Path(scratch) / "full.pt"
        dcp_to_torch_save(source, full_file)
        full = torch.load(full_file, map_location="cpu", weights_only=True)
    checkpoint["state_dict"] = full["model"]
    if "optim" in full:
        checkpoint["optimizer"], names = _by_index(full["optim"])
        checkpoint.setdefault("meta", {})[NAMES] = names
    return files.save_checkpoint(checkpoint, target, overwrite=False)


def shard(source: Path, target: Path) -> Path:
    """Write the checkpoint file ``source`` as a sharded checkpoint at ``target``."""
    checkpoint = files.load_checkpoint(source)
    state: dict[str, Any] = {"model": checkpoint.pop("state_dict")}
    optimizer = checkpoint.pop("optimizer", None)
    if optimizer is not None:
        names = checkpoint.get("meta", {}).get(NAMES)
        if not isinstance(names, list):
            raise CheckpointError(
                f"{str(source)!r} names none of its optimizer's parameters "
                f"(meta.{NAMES}: files made by convert-checkpoint have them)",
                config_path="CHECKPOINT",
            )
        state["optim"] = _by_name(optimizer, names)
    temp = target.parent / f".{target.name}.convert{files.TEMP_SUFFIX}"
    dcp.save(state, storage_writer=FileSystemWriter(temp))  # no process group: one writer
    files.save_checkpoint({**checkpoint, "state_dict": {}}, temp / RUNNER_STATE)
    replace_dir(temp, target)
    return target


def _by_index(optim: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """DCP's optimizer state (by parameter name) as ``Optimizer.state_dict()`` has it."""
    names = [name for group in optim["param_groups"] for name in group["params"]]
    index = {name: i for i, name in enumerate(names)}
    state = {index[name]: value for name, value in optim["state"].items()}
    groups = [
        {**group, "params": [index[name] for name in group["params"]]}
        for group in optim["param_groups"]
    ]
    return {"state": state, "param_groups": groups}, names


def _by_name(optimizer: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``Optimizer.state_dict()``'s layout keyed by the parameters' names (DCP's)."""
    state = {names[index]: value for index, value in optimizer["state"].items()}
    groups = [
        {**group, "params": [names[index] for index in group["params"]]}
        for group in optimizer["param_groups"]
    ]
    return {"state": state, "param_groups": groups}
