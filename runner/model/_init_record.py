"""The record of how each parameter was initialized, while ``init_weights`` runs.

:meth:`BaseModule.init_weights` on the top module gives every submodule one shared record
(MMEngine's ``_params_init_info``); each initializer, and each child's own ``init_weights``,
then calls :func:`update_init_info`, which notes itself for the parameters that changed.
"""

from __future__ import annotations

import torch
from torch import nn


def update_init_info(module: nn.Module, init_info: str) -> None:
    """Record ``init_info`` for each parameter of ``module`` that changed since last recorded.

    ``module`` must carry the record that :meth:`BaseModule.init_weights` shares with every
    submodule while it runs (``_params_init_info``).

    Raises:
        RuntimeError: ``module`` has no record, or a parameter was added or replaced while
            weights were being initialized (it would escape the record).
    """
    record = getattr(module, "_params_init_info", None)
    if record is None:
        raise RuntimeError(
            f"{type(module).__name__} has no _params_init_info: call update_init_info only "
            "while BaseModule.init_weights runs"
        )
    for name, param in module.named_parameters():
        entry = record.get(param)
        if entry is None:
            raise RuntimeError(
                f"the parameter {name!r} of {type(module).__name__} was added or replaced "
                "during init_weights; initialize parameters in place instead"
            )
        entry.update_if_changed(param, init_info)


class InitRecord:
    """How one parameter was initialized, and what tells that it changed since: its version
    counter (in-place changes) and its mean (MMEngine's test, which also sees changes made
    through ``.data``); no mean for a tensor without data (``meta``).

    Attributes:
        info: What initialized it last (an initializer's :meth:`BaseInit.describe`).
    """

    __slots__ = ("_mean", "_version", "info")

    def __init__(self, param: torch.Tensor, info: str) -> None:
        self.info = info
        self._version, self._mean = _fingerprint(param)

    def update_if_changed(self, param: torch.Tensor, info: str) -> None:
        """Take ``info`` when ``param`` changed since it was last recorded."""
        version, mean = _fingerprint(param)
        changed = version != self._version
        if not changed and mean is not None and self._mean is not None:
            both_nan = bool(mean.isnan() and self._mean.isnan())
            changed = not (both_nan or torch.equal(mean, self._mean))
        if changed:
            self.info, self._version, self._mean = info, version, mean


def _fingerprint(param: torch.Tensor) -> tuple[int, torch.Tensor | None]:
    if param.device.type == "meta":
        return param._version, None
    return param._version, param.detach().float().mean().cpu()
