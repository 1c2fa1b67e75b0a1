"""The ``Pretrained`` initializer: weights from a checkpoint file, read with ``weights_only``.

``{type: Pretrained, checkpoint: PATH}`` loads a regwire checkpoint (its ``state_dict``) or a
plain state dict into the module, as MMEngine does: keys of a DDP model (``module.``) are
stripped, ``prefix`` (``backbone.``) takes the part of a larger model under it, and keys that
do not fit (missing, unexpected, another shape) are left out with a warning naming them.
Unlike MMEngine, the file is read with ``torch.load(weights_only=True)``, so a checkpoint
holding arbitrary pickled objects is refused instead of running their code (an MMEngine
training checkpoint loads: its message hub's objects are read into stand-ins and dropped, see
:func:`~runner.model.load_weights_only`), and only local files are read (no URLs, no model-zoo
names: nothing is downloaded).
"""

from __future__ import annotations

import logging
import os
import pickle
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from container import ConfigError, did_you_mean

from .._registries import WEIGHT_INITIALIZERS
from ._init_record import update_init_info
from ._safe_load import load_weights_only

_LOGGER = logging.getLogger(__name__)

_DDP_PREFIX = re.compile(r"^module\.")


@WEIGHT_INITIALIZERS.register_module(name="Pretrained")
class PretrainedInit:
    """Initialize a module from a checkpoint file.

    Args:
        checkpoint: A local file: a regwire (or MMEngine) checkpoint, whose ``state_dict`` is
            used, or a plain state dict.
        prefix: Load only the keys under this prefix (``"backbone."``; the dot is added when
            missing), with the prefix taken off.
        map_location: Where ``torch.load`` puts the tensors.

    Raises:
        ValueError: ``checkpoint`` is a URL (nothing is downloaded).
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str],
        prefix: str | None = None,
        map_location: str | torch.device | None = "cpu",
    ) -> None:
        reason = checkpoint_problem(checkpoint)
        if reason is not None:
            raise ValueError(f"checkpoint {reason}")
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.wholemodule = False  # set by ``override``; a checkpoint always loads the whole

    def __call__(self, module: nn.Module) -> None:
        """Load the checkpoint's weights into ``module`` and record it."""
        where = f"{self.prefix} in " if self.prefix else ""
        _LOGGER.info("load %smodel from: %s", where, self.checkpoint)
        state = read_state_dict(self.checkpoint, self.map_location)
        if self.prefix is None:
            state = {_DDP_PREFIX.sub("", key): value for key, value in state.items()}
        else:
            state = _under_prefix(state, self.prefix, self.checkpoint)
        load_matching(module, state, str(self.checkpoint))
        if hasattr(module, "_params_init_info"):
            update_init_info(module, self.describe())

    def describe(self) -> str:
        """How a parameter this initializer set was initialized, for the record."""
        return f"PretrainedInit: load from {self.checkpoint}"


def checkpoint_problem(checkpoint: Any) -> str | None:
    """Why ``checkpoint`` cannot be a ``Pretrained`` checkpoint (None when it can): a URL or a
    model-zoo name (``torchvision://resnet50``), which regwire does not download."""
    if isinstance(checkpoint, str) and "://" in checkpoint:
        return (
            f"is {checkpoint!r}, and Pretrained reads local files only: download it and give "
            "its path (regwire fetches nothing)"
        )
    return None


def read_state_dict(
    path: str | os.PathLike[str], map_location: str | torch.device | None = "cpu"
) -> dict[str, Any]:
    """The state dict in a checkpoint file, read with ``torch.load(weights_only=True)``.

    A dict with a ``state_dict`` entry (a regwire or MMEngine checkpoint) gives that entry;
    any other dict is taken as the state dict itself.

    Raises:
        ConfigError: The file is missing, unreadable, holds objects ``weights_only`` refuses,
            or holds no dict of tensors.
    """
    source = Path(path)
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        raise ConfigError(f"the Pretrained checkpoint {str(source)!r} {what}")
    try:
        loaded = load_weights_only(source, map_location)
    except pickle.UnpicklingError as exc:
        reason = next((line for line in str(exc).splitlines() if line.strip()), "")
        raise ConfigError(
            f"cannot load the Pretrained checkpoint {str(source)!r} with weights_only=True, "
            f"which regwire always uses (it holds more than tensors and plain values): {reason}"
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise ConfigError(
            f"{str(source)!r} is not a readable checkpoint: {type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping):
        raise ConfigError(
            f"{str(source)!r} holds a {type(loaded).__name__}, not a state dict or a checkpoint"
        )
    return dict(loaded)


def _under_prefix(state: Mapping[str, Any], prefix: str, checkpoint: object) -> dict[str, Any]:
    if not prefix.endswith("."):
        prefix += "."
    found = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
    if not found:
        heads = sorted({key.split(".", 1)[0] + "." for key in state})
        raise ConfigError(
            f"no key of the Pretrained checkpoint {str(checkpoint)!r} starts with the prefix "
            f"{prefix!r}{did_you_mean(prefix, heads)} (its prefixes: {', '.join(heads[:10])})"
        )
    return found


def load_matching(module: nn.Module, state: Mapping[str, Any], source: str) -> None:
    """Load the entries of ``state`` that fit ``module``; warn about each one that does not.

    As MMEngine's non-strict loading: missing keys (but BatchNorm's ``num_batches_tracked``),
    unexpected keys and tensors of another shape are each named in one warning, and the
    module's own values stay where nothing fits.
    """
    own = module.state_dict()
    fitting: OrderedDict[str, Any] = OrderedDict()
    other_shape: dict[str, str] = {}
    for key, value in state.items():
        mine = own.get(key)
        if (
            isinstance(mine, torch.Tensor)
            and isinstance(value, torch.Tensor)
            and mine.shape != value.shape
        ):
            other_shape[key] = f"{key} ({tuple(value.shape)} for {tuple(mine.shape)})"
            continue
        fitting[key] = value
    result = module.load_state_dict(fitting, strict=False)
    missing = [
        key
        for key in result.missing_keys
        if "num_batches_tracked" not in key and key not in other_shape
    ]
    for what, keys in (
        ("of another shape in the checkpoint, not loaded", list(other_shape.values())),
        ("in the checkpoint that the model lacks", result.unexpected_keys),
        ("of the model that the checkpoint lacks (left as they were)", missing),
    ):
        if keys:
            _LOGGER.warning("Pretrained %s: keys %s: %s", source, what, ", ".join(keys))
