"""OptimWrapperDict: several optimizer wrappers by name, as MMEngine has it (a GAN's generator
and discriminator).

The model's ``train_step`` receives the dict and updates each optimizer itself
(``optim_wrapper["generator"].update_params(loss)``): which loss goes to which optimizer, and
when, is the model's to say, so :meth:`OptimWrapperDict.update_params`, ``backward``, ``step``
and ``optim_context`` raise. Saving and loading, zeroing, and the learning rates and momenta
for the logs cover every wrapper; ``param_scheduler`` may map the same names to scheduler lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, NoReturn

import torch
from torch import nn

from ._optim_wrapper import OptimWrapper


def _per_optimizer(what: str) -> NoReturn:
    raise NotImplementedError(
        f"OptimWrapperDict cannot {what}: a model trained with several optimizers calls it on "
        "each of them in its train_step (optim_wrapper['generator'].update_params(loss))"
    )


class OptimWrapperDict(OptimWrapper):
    """Optimizer wrappers by name, each used by the model's ``train_step``.

    Args:
        **optim_wrappers: The wrappers by name.

    Raises:
        TypeError: A value is not an :class:`OptimWrapper`, or there is none.
    """

    def __init__(self, **optim_wrappers: OptimWrapper) -> None:
        if not optim_wrappers:
            raise TypeError("OptimWrapperDict needs at least one optimizer wrapper")
        for name, wrapper in optim_wrappers.items():
            if not isinstance(wrapper, OptimWrapper) or isinstance(wrapper, OptimWrapperDict):
                raise TypeError(
                    f"OptimWrapperDict takes OptimWrapper values, got {name}={wrapper!r}"
                )
        self.optim_wrappers: dict[str, OptimWrapper] = dict(optim_wrappers)

    # -- what each wrapper does on its own ------------------------------------------------

    def update_params(
        self,
        loss: torch.Tensor,
        step_kwargs: Mapping[str, Any] | None = None,
        zero_kwargs: Mapping[str, Any] | None = None,
    ) -> NoReturn:
        """Raises: each optimizer is updated by name (``self[name].update_params``)."""
        _per_optimizer("update_params")

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> NoReturn:
        """Raises: each wrapper backwards its own loss (its scaler may differ)."""
        _per_optimizer("backward")

    def step(self, **kwargs: Any) -> NoReturn:
        """Raises: each optimizer steps by name."""
        _per_optimizer("step")

    def optim_context(self, model: nn.Module) -> AbstractContextManager[Any]:
        """Raises: each wrapper has its own context (``self[name].optim_context(model)``)."""
        _per_optimizer("give one optim_context")

    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        """Nothing, as in MMEngine: the optimizers may step at different iterations, so only
        the model knows their counts."""
        del model, init_counts, max_counts

    # -- what covers every wrapper --------------------------------------------------------

    def zero_grad(self, **kwargs: Any) -> None:
        """Zero the gradients of every optimizer."""
        for wrapper in self.optim_wrappers.values():
            wrapper.zero_grad(**kwargs)

    @property
    def param_groups(self) -> dict[str, list[dict[str, Any]]]:  # type: ignore[override]
        """The parameter groups of each optimizer, by name (MMEngine's shape)."""
        return {name: wrapper.param_groups for name, wrapper in self.optim_wrappers.items()}

    def get_lr(self) -> dict[str, list[float]]:
        """The learning rates of each optimizer's groups: ``{"generator.lr": [...], ...}``."""
        return {
            f"{name}.lr": wrapper.get_lr()["lr"] for name, wrapper in self.optim_wrappers.items()
        }

    def get_momentum(self) -> dict[str, list[float]]:
        """The momenta of each optimizer's groups: ``{"generator.momentum": [...], ...}``."""
        return {
            f"{name}.momentum": wrapper.get_momentum()["momentum"]
            for name, wrapper in self.optim_wrappers.items()
        }

    def state_dict(self) -> dict[str, Any]:
        """Each wrapper's state dict under its name."""
        return {name: wrapper.state_dict() for name, wrapper in self.optim_wrappers.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load each wrapper's state from its name.

        Raises:
            KeyError: The state names an optimizer this dict does not have.
        """
        unknown = sorted(set(state_dict) - set(self.optim_wrappers))
        if unknown:
            raise KeyError(
                f"the optimizer state has {unknown}, which are not among this run's "
                f"optimizers ({', '.join(self.optim_wrappers)})"
            )
        for name, state in state_dict.items():
            self.optim_wrappers[name].load_state_dict(state)

    # -- a mapping of names to wrappers ---------------------------------------------------

    def items(self) -> Iterator[tuple[str, OptimWrapper]]:
        """The wrappers with their names."""
        yield from self.optim_wrappers.items()

    def values(self) -> Iterator[OptimWrapper]:
        """The wrappers."""
        yield from self.optim_wrappers.values()

    def keys(self) -> Iterator[str]:
        """The names."""
        yield from self.optim_wrappers.keys()

    def __getitem__(self, name: str) -> OptimWrapper:
        try:
            return self.optim_wrappers[name]
        except KeyError:
            raise KeyError(
                f"no optimizer named {name!r} (this run has {', '.join(self.optim_wrappers)})"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.optim_wrappers

    def __len__(self) -> int:
        return len(self.optim_wrappers)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={wrapper!r}" for name, wrapper in self.optim_wrappers.items())
        return f"OptimWrapperDict({inner})"
