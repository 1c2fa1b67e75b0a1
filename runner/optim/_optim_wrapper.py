"""OptimWrapper: one object for backward, gradient accumulation, clipping and the step.

As in MMEngine, the model's ``train_step`` hands its total loss to
:meth:`OptimWrapper.update_params`, and the wrapper decides when the optimizer steps. Every
``torch.optim`` optimizer is registered in ``OPTIMIZERS`` under its class name, and
:func:`build_optim_wrapper` builds the ``optim_wrapper`` section of a config.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn

from container import did_you_mean

from .._registries import OPTIM_WRAPPERS, OPTIMIZERS

CLIP_TYPES = ("norm", "value")

NO_CONTEXT = nullcontext()
"""What :meth:`OptimWrapper.optim_context` returns when a step needs no context: one shared
``nullcontext`` (it holds no state), which a training step need not enter."""


_TORCH_ZERO_GRAD = torch.optim.Optimizer.zero_grad


def _torch_zero_grad(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.zero_grad`` is torch's own (not its class's, nor one set on it)."""
    return type(optimizer).zero_grad is _TORCH_ZERO_GRAD and "zero_grad" not in optimizer.__dict__


def set_grads_to_none(optimizer: torch.optim.Optimizer) -> None:
    """Set the gradient of every parameter ``optimizer`` updates to None.

    What ``torch.optim.Optimizer.zero_grad()`` does by default (``set_to_none=True``), without
    its profiler range and its guards: on a small model those cost 6 to 9 µs a step, more than
    the rest of the runner's bookkeeping. (A torch profile then shows no
    ``Optimizer.zero_grad`` range.)
    """
    for group in optimizer.param_groups:
        for param in group["params"]:
            param.grad = None


def register_torch_optimizers() -> list[str]:
    """Register every optimizer class of ``torch.optim`` in ``OPTIMIZERS`` by its name.

    Returns:
        The names registered now (already registered names are skipped).
    """
    names = []
    for name, member in vars(torch.optim).items():
        if (
            inspect.isclass(member)
            and issubclass(member, torch.optim.Optimizer)
            and member is not torch.optim.Optimizer
            and not name.startswith("_")
            and name not in OPTIMIZERS.module_dict
        ):
            OPTIMIZERS.register_module(module=member)
            names.append(name)
    return names


TORCH_OPTIMIZERS = register_torch_optimizers()


@OPTIM_WRAPPERS.register_module()
class OptimWrapper:
    """Wraps an optimizer: backward, gradient accumulation, gradient clipping, step.

    Args:
        optimizer: The torch optimizer.
        accumulative_counts: Step the optimizer once every this many calls of
            :meth:`update_params`; the loss is divided by it so gradients average.
        clip_grad: ``None``, or the keyword arguments of ``torch.nn.utils.clip_grad_norm_``
            (``{max_norm: 1.0, norm_type: 2}``), or with ``type: value`` those of
            ``clip_grad_value_`` (``{type: value, clip_value: 0.5}``).

    Raises:
        TypeError: ``optimizer`` is not a torch optimizer.
        ValueError: ``accumulative_counts`` is not a positive int, or ``clip_grad`` is
            malformed.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        accumulative_counts: int = 1,
        clip_grad: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
        if isinstance(accumulative_counts, bool) or not isinstance(accumulative_counts, int):
            raise ValueError(f"accumulative_counts must be an int, got {accumulative_counts!r}")
        if accumulative_counts < 1:
            raise ValueError(f"accumulative_counts must be at least 1, got {accumulative_counts}")
        self.optimizer = optimizer
        self.accumulative_counts = accumulative_counts
        self._clip_type, self._clip_kwargs = check_clip_grad(clip_grad)
        self.clip_grad = None if clip_grad is None else dict(clip_grad)
        self.last_grad_norm: torch.Tensor | None = None
        self._inner_count = 0
        self._max_counts = -1
        self._remainder_counts = 0
        self._remainder_start = -1
        # whether update_params may do the work of these methods itself (a subclass that
        # overrides one, such as a mixed-precision wrapper, gets its methods called)
        self._plain = all(
            getattr(type(self), name) is getattr(OptimWrapper, name)
            for name in ("backward", "step", "zero_grad", "scale_loss", "should_update")
        )

    # -- counters for gradient accumulation ------------------------------------------

    @property
    def inner_count(self) -> int:
        """How many times :meth:`backward` ran (restored when resuming)."""
        return self._inner_count

    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        """Tell the wrapper where training starts and ends, for accumulation at the end.

        When ``max_counts`` is not a multiple of ``accumulative_counts``, the last, shorter
        group of iterations divides its loss by its own length.

        Args:
            model: The model (unused; kept for MMEngine compatibility).
            init_counts: The iteration training starts (or resumes) at.
            max_counts: The total number of training iterations.
        """
        del model
        self._inner_count = init_counts
        self._max_counts = max_counts
        self._remainder_counts = max_counts % self.accumulative_counts
        self._remainder_start = max_counts - self._remainder_counts

    def should_update(self) -> bool:
        """Whether the optimizer steps after the current :meth:`backward`."""
        return (
            self._inner_count % self.accumulative_counts == 0
            or self._inner_count == self._max_counts
        )

    def should_sync(self) -> bool:
        """Whether gradients must be synchronized across processes in this iteration."""
        return (self._inner_count + 1) % self.accumulative_counts == 0 or (
            self._inner_count + 1 == self._max_counts
        )

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Divide the loss by the number of iterations whose gradients are accumulated."""
        if self.accumulative_counts == 1:
            return loss
        if self._remainder_counts and self._inner_count >= self._remainder_start:
            return loss / self._remainder_counts
        return loss / self.accumulative_counts

    def optim_context(self, model: nn.Module) -> AbstractContextManager[Any]:
        """Skip DDP's gradient all-reduce in iterations that only accumulate.

        Without accumulation this is one shared ``nullcontext`` (no attribute lookups on the
        model, nothing made: it runs every iteration).
        """
        if self.accumulative_counts > 1 and not self.should_sync():
            no_sync = getattr(model, "no_sync", None)
            if callable(no_sync):
                context: AbstractContextManager[Any] = no_sync()
                return context
        return NO_CONTEXT

    # -- the update ---------------------------------------------------------------------

    def update_params(
        self,
        loss: torch.Tensor,
        step_kwargs: Mapping[str, Any] | None = None,
        zero_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Backward the (scaled) loss; step and zero the gradients when a group is complete.

        Args:
            loss: The total loss of one iteration.
            step_kwargs: Keyword arguments for the optimizer's ``step``.
            zero_kwargs: Keyword arguments for the optimizer's ``zero_grad``.
        """
        if self._plain and self.accumulative_counts == 1 and not (step_kwargs or zero_kwargs):
            # backward, step and zero_grad inlined (none is overridden, nothing accumulates,
            # so the loss is not scaled and every call steps): this runs every iteration
            loss.backward()
            self._inner_count += 1
            if self._clip_type is not None:
                self._clip_grads()
            self.optimizer.step()
            optimizer = self.optimizer
            if _torch_zero_grad(optimizer):
                set_grads_to_none(optimizer)
            else:
                optimizer.zero_grad()
            return
        self.backward(self.scale_loss(loss))
        if not self.should_update():
            return
        if step_kwargs:
            self.step(**step_kwargs)
        else:
            self.step()
        if zero_kwargs:
            self.zero_grad(**zero_kwargs)
        else:
            self.zero_grad()

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Compute gradients of ``loss`` and count the call."""
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs: Any) -> None:
        """Clip the gradients (if configured) and step the optimizer."""
        if self._clip_type is not None:
            self._clip_grads()
        if kwargs:
            self.optimizer.step(**kwargs)
        else:
            self.optimizer.step()

    def zero_grad(self, **kwargs: Any) -> None:
        """Reset the gradients of the optimized parameters (to None, by default).

        Without arguments, and when the optimizer's ``zero_grad`` is torch's own, the
        gradients are set to None directly (:func:`set_grads_to_none`); otherwise the
        optimizer's ``zero_grad(**kwargs)`` is called.
        """
        if kwargs or not _torch_zero_grad(self.optimizer):
            self.optimizer.zero_grad(**kwargs)
        else:
            set_grads_to_none(self.optimizer)

    def _clip_grads(self) -> torch.Tensor | None:
        params = [
            param
            for group in self.optimizer.param_groups
            for param in group["params"]
            if param.requires_grad and param.grad is not None
        ]
        if not params:
            return None
        if self._clip_type == "value":
            nn.utils.clip_grad_value_(params, **self._clip_kwargs)
            return None
        norm: torch.Tensor = nn.utils.clip_grad_norm_(params, **self._clip_kwargs)
        self.last_grad_norm = norm
        return norm

    # -- what the hooks read ------------------------------------------------------------

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """The optimizer's parameter groups."""
        return self.optimizer.param_groups

    def get_lr(self) -> dict[str, list[float]]:
        """The learning rate of each parameter group, as ``{"lr": [...]}``."""
        return {"lr": [float(group["lr"]) for group in self.param_groups]}

    def get_momentum(self) -> dict[str, list[float]]:
        """The momentum (or Adam's first beta) of each group, 0 where there is none."""
        momentum = []
        for group in self.param_groups:
            if "momentum" in group:
                momentum.append(float(group["momentum"]))
            elif "betas" in group:
                momentum.append(float(group["betas"][0]))
            else:
                momentum.append(0.0)
        return {"momentum": momentum}

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state dict."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the optimizer's state dict."""
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(optimizer={type(self.optimizer).__name__}, "
            f"accumulative_counts={self.accumulative_counts}, clip_grad={self.clip_grad})"
        )


def check_clip_grad(
    clip_grad: Mapping[str, Any] | None,
) -> tuple[str | None, dict[str, Any]]:
    """Check a ``clip_grad`` setting; return the clipping kind and its keyword arguments.

    Raises:
        ValueError: Not a mapping, an unknown ``type``, an unknown or a missing key.
    """
    if clip_grad is None:
        return None, {}
    if not isinstance(clip_grad, Mapping):
        raise ValueError(f"clip_grad must be a mapping or null, got {clip_grad!r}")
    kwargs = dict(clip_grad)
    clip_type = kwargs.pop("type", "norm")
    if clip_type not in CLIP_TYPES:
        raise ValueError(f"clip_grad.type must be one of {CLIP_TYPES}, got {clip_type!r}")
    function = nn.utils.clip_grad_value_ if clip_type == "value" else nn.utils.clip_grad_norm_
    accepted = set(inspect.signature(function).parameters) - {"parameters"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ValueError(
            f"clip_grad of type {clip_type!r} got unknown keys {unknown}"
            f"{did_you_mean(unknown[0], accepted)} ({function.__name__} accepts {sorted(accepted)})"
        )
    required = "clip_value" if clip_type == "value" else "max_norm"
    if required not in kwargs:
        raise ValueError(f"clip_grad of type {clip_type!r} needs {required!r}")
    return clip_type, kwargs
