"""``regwire convert-checkpoint``: a sharded checkpoint to one consolidated file, and back.

The file is an ordinary regwire checkpoint (checksummed, ``torch.load(weights_only=True)``
reads it): full tensors under ``state_dict``, the optimizer state as ``optimizer.state_dict()``
gives it (parameters by index), the rest of the run as it was. The parameters' names, in
index order, go into ``meta["optimizer_param_names"]``, which turning the file back into a
sharded checkpoint needs (DCP keys optimizer state by name); a file written elsewhere
(MMEngine's) has no such names, and only its model state is converted (with a warning). Both
directions run in one process without a process group, as
``torch.distributed.checkpoint.format_utils`` does.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint import FileSystemWriter
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

from ..model import has_checksum_trailer
from . import _checkpoint as files
from ._checkpoint import CheckpointError
from ._sharded import RUNNER_STATE, by_index, by_name, replace_dir, single_process_quietly

_LOGGER = logging.getLogger(__name__)

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
    if not target.parent.is_dir():
        raise CheckpointError(
            f"{str(target.parent)!r}, where {target.name!r} would go, is not a directory: "
            "create it first",
            config_path="OUT",
        )
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
        with single_process_quietly():
            dcp_to_torch_save(source, full_file)
        full = torch.load(full_file, map_location="cpu", weights_only=True)
    checkpoint["state_dict"] = full["model"]
    if "optim" in full:
        optim = full["optim"]
        names: list[str] | dict[str, list[str]]
        if "param_groups" in optim:
            checkpoint["optimizer"], names = by_index(optim)
        else:  # the optimizers of an OptimWrapperDict, by name
            pairs = {name: by_index(each) for name, each in optim.items()}
            checkpoint["optimizer"] = {name: pair[0] for name, pair in pairs.items()}
            names = {name: pair[1] for name, pair in pairs.items()}
        checkpoint.setdefault("meta", {})[NAMES] = names
    return files.save_checkpoint(checkpoint, target, overwrite=False)


def shard(source: Path, target: Path) -> Path:
    """Write the checkpoint file ``source`` as a sharded checkpoint at ``target``."""
    checkpoint = files.load_checkpoint(source)
    state: dict[str, Any] = {"model": checkpoint.pop("state_dict")}
    optimizer = checkpoint.pop("optimizer", None)
    names = checkpoint.get("meta", {}).get(NAMES)
    if (
        optimizer is not None
        and not isinstance(names, (list, dict))
        and not has_checksum_trailer(source)
    ):
        _LOGGER.warning(
            "%s was written elsewhere (MMEngine) and does not name its optimizer's parameters: "
            "%s gets the model's state without the optimizer's",
            source,
            target,
        )
    elif optimizer is not None:
        if isinstance(names, list):
            state["optim"] = by_name(optimizer, names)
        elif isinstance(names, dict) and set(names) == set(optimizer):
            state["optim"] = {name: by_name(optimizer[name], names[name]) for name in names}
        else:
            raise CheckpointError(
                f"{str(source)!r} names none of its optimizer's parameters "
                f"(meta.{NAMES}: files made by convert-checkpoint or regwire's runs have them)",
                config_path="CHECKPOINT",
            )
    temp = target.parent / f".{target.name}.{secrets.token_hex(4)}{files.TEMP_SUFFIX}"
    with single_process_quietly():  # no process group: one writer
        dcp.save(state, storage_writer=FileSystemWriter(temp))
    files.save_checkpoint({**checkpoint, "state_dict": {}}, temp / RUNNER_STATE)
    replace_dir(temp, target)
    return target
