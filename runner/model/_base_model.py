"""BaseModel: the model interface the loops drive, as in MMEngine.

A model computes its losses and predictions in ``forward`` (``mode`` chooses which), and the
step methods turn one batch from the dataloader into one optimization step (``train_step``) or
one batch of predictions (``val_step``, ``test_step``). The loops call the step methods of the
model they are given, never of a wrapper's ``.module`` (whose forward would skip DDP's gradient
all-reduce): for several processes, wrap the model in :class:`runner.DistributedModel`.
"""

from __future__ import annotations

import itertools
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import torch
from torch import nn

from .._registries import MODELS
from ..optim import NO_CONTEXT, OptimWrapper
from ._base_module import BaseModule
from ._data_preprocessor import BaseDataPreprocessor, move_to_device
from ._weight_init import InitCfg

ForwardMode = Literal["tensor", "loss", "predict"]

LOSS_KEY = "loss"
"""Every entry of the loss dict whose key contains this string is added to the total loss."""


class BaseModel(BaseModule):
    """A model the runner can train, validate and test.

    Subclasses implement :meth:`forward`. The runner calls the step methods with one batch
    from a dataloader; the data preprocessor moves it to the device (and normalizes...), then
    a dict batch is passed to ``forward`` as keyword arguments, a tuple or list batch
    positionally.

    Args:
        data_preprocessor: A module ``(batch, training) -> batch``, or its config, built with
            ``MODELS`` (``{type: ImgDataPreprocessor, mean: ...}``). None gives a
            :class:`BaseDataPreprocessor` that copies without blocking (as regwire always did;
            MMEngine's blocks: the results are the same).
        init_cfg: How :meth:`init_weights` initializes the weights (see :class:`BaseModule`).

    Raises:
        TypeError: ``data_preprocessor`` is neither a module, a config nor None.

    Example:
        >>> class Net(BaseModel):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.linear = nn.Linear(2, 1)
        ...     def forward(self, x, y=None, mode="tensor"):
        ...         out = self.linear(x)
        ...         if mode == "loss":
        ...             return {"loss": ((out - y) ** 2).mean()}
        ...         return out
        >>> Net().val_step((torch.zeros(4, 2),)).shape
        torch.Size([4, 1])
    """

    def __init__(
        self,
        data_preprocessor: nn.Module | Mapping[str, Any] | None = None,
        init_cfg: InitCfg | None = None,
    ) -> None:
        super().__init__(init_cfg)
        if data_preprocessor is None:
            data_preprocessor = BaseDataPreprocessor(non_blocking=True)
        elif isinstance(data_preprocessor, Mapping):
            data_preprocessor = MODELS.build_at("data_preprocessor", data_preprocessor)
        if not isinstance(data_preprocessor, nn.Module):
            raise TypeError(
                "data_preprocessor must be a module (a BaseDataPreprocessor), its config or "
                f"None, got {data_preprocessor!r}; to run a function on each batch, subclass "
                "BaseDataPreprocessor and call it in forward"
            )
        self.data_preprocessor = data_preprocessor

    @abstractmethod
    def forward(self, *inputs: Any, mode: ForwardMode = "tensor", **kwargs: Any) -> Any:
        """Run the model.

        Args:
            *inputs: The batch, positionally (a tuple or list batch).
            mode: ``"loss"`` returns a dict of losses (tensors; keys containing ``"loss"`` are
                summed into the total), ``"predict"`` returns predictions for the evaluator's
                metrics, ``"tensor"`` returns raw outputs (logits).
            **kwargs: The batch, by name (a dict batch).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    @property
    def device(self) -> torch.device:
        """The device of the model's first parameter or buffer (the CPU if it has none).

        The tensor is found once and remembered (outside the module's registries), and
        forgotten when ``.to()``, ``.cuda()`` and the like convert the module: this runs every
        step, and walking the module tree each time cost more than the rest of the step's
        bookkeeping.
        """
        source = self.__dict__.get("_device_source")
        if source is None:
            for tensor in itertools.chain(self.parameters(), self.buffers()):
                source = self.__dict__["_device_source"] = tensor
                break
            else:
                return torch.device("cpu")
        return source.device

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> Any:
        self.__dict__.pop("_device_source", None)
        return super()._apply(fn, recurse)

    def prepare_batch(self, data: Any, training: bool = False) -> Any:
        """Run the data preprocessor on a batch: ``data_preprocessor(data, training)``.

        The default :class:`BaseDataPreprocessor` (only that class: a subclass is called) is
        not called: the batch is moved to the model's device here, which skips the module
        call (about a microsecond a step), and a tuple whose items are all tensors on the
        device already (the usual batch on the CPU) is kept as it is.
        """
        preprocessor = self.data_preprocessor
        if type(preprocessor) is not BaseDataPreprocessor:
            return preprocessor(data, training)
        device = self.device
        if type(data) is tuple:
            for item in data:
                if not (isinstance(item, torch.Tensor) and item.device == device):
                    return move_to_device(data, device, preprocessor._non_blocking)
            return data
        return move_to_device(data, device, preprocessor._non_blocking)

    def run_forward(self, data: Any, mode: ForwardMode) -> Any:
        """Call the model on a prepared batch: a dict by keyword, a tuple or list by position."""
        return forward_batch(self, data, mode)

    def parse_losses(
        self, losses: Mapping[str, Any]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Sum the losses a model returned into one loss, and collect the values to log.

        Args:
            losses: What ``forward(..., mode="loss")`` returned: names to tensors (or lists of
                tensors, which are averaged one by one and added). Entries whose name contains
                ``"loss"`` make up the total; the others (``accuracy``) are only logged.

        Returns:
            The total loss (with its graph) and the logged values, detached, with the total first
            under ``"loss"``.

        Raises:
            TypeError: A value is neither a tensor nor a list of tensors.
            ValueError: No entry is a loss.
        """
        if len(losses) == 1:  # the usual ``{"loss": scalar}``: one detach, no loop
            only = losses.get(LOSS_KEY)
            if isinstance(only, torch.Tensor) and only.dim() == 0:
                return only, {LOSS_KEY: only.detach()}
        log_vars: dict[str, torch.Tensor] = {}
        total: torch.Tensor | None = None
        for name, value in losses.items():
            if isinstance(value, torch.Tensor):
                reduced = value if value.dim() == 0 else value.mean()  # no graph node for scalars
            elif isinstance(value, Sequence) and all(isinstance(v, torch.Tensor) for v in value):
                reduced = torch.stack([v.mean() for v in value]).sum()
            else:
                raise TypeError(
                    f"the loss dict entry {name!r} must be a tensor or a list of tensors"
                )
            if LOSS_KEY in name:
                total = reduced if total is None else total + reduced
            log_vars[name] = reduced.detach()
        if total is None:
            raise ValueError(
                f"forward(mode='loss') returned no entry whose name contains {LOSS_KEY!r} "
                f"(keys: {sorted(losses)})"
            )
        # an entry named "loss" is logged under its own name (as MMEngine does), the total first
        head = log_vars[LOSS_KEY] if LOSS_KEY in log_vars else total.detach()
        return total, {LOSS_KEY: head, **log_vars}

    def train_step(
        self, data: Any, optim_wrapper: OptimWrapper, *, caller: nn.Module | None = None
    ) -> dict[str, torch.Tensor]:
        """Run one training step: forward in loss mode, sum the losses, update the parameters.

        The forward runs inside ``optim_wrapper.optim_context``, unless that is the shared
        context that does nothing (entering it would cost two calls every step).

        Args:
            data: One batch from the training dataloader.
            optim_wrapper: Does backward, gradient clipping, the optimizer step and zeroing.
            caller: The module whose forward runs: this model (None), or a wrapper such as
                ``DistributedDataParallel`` whose forward must run for its gradients to be
                synchronized (:class:`runner.DistributedModel` passes itself).

        Returns:
            The logged values, detached: ``loss`` (the total) first, then each entry of the
            loss dict.
        """
        forward = self if caller is None else caller
        context = optim_wrapper.optim_context(forward)
        if context is NO_CONTEXT:
            data = self.prepare_batch(data, training=True)
            kind = type(data)
            if kind is tuple or kind is list:  # forward_batch's first case: it runs every step
                losses = forward(*data, mode="loss")
            else:
                losses = forward_batch(forward, data, "loss")
        else:
            with context:
                losses = forward_batch(forward, self.prepare_batch(data, training=True), "loss")
        loss, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(loss)
        return log_vars

    def val_step(self, data: Any) -> Any:
        """Return the model's predictions (``mode="predict"``) for one validation batch."""
        with torch.no_grad():
            return self.run_forward(self.prepare_batch(data), mode="predict")

    def test_step(self, data: Any) -> Any:
        """Return the model's predictions (``mode="predict"``) for one test batch."""
        with torch.no_grad():
            return self.run_forward(self.prepare_batch(data), mode="predict")


def forward_batch(module: nn.Module, data: Any, mode: ForwardMode) -> Any:
    """Call ``module`` on a batch: a dict by keyword, a tuple or list by position."""
    kind = type(data)
    if kind is tuple or kind is list:  # before the slower ``Mapping`` (ABC) check
        return module(*data, mode=mode)
    if isinstance(data, Mapping):
        return module(**data, mode=mode)
    if isinstance(data, list | tuple):
        return module(*data, mode=mode)
    return module(data, mode=mode)
