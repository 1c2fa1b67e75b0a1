"""Running schedulers as a training loop does, without a model: what the tests compare.

:func:`simulate` records a parameter-group value before every training iteration of an
epoch-based or an iteration-based run, stepping the optimizer, then the iteration-based
schedulers after each iteration and the epoch-based ones after each epoch
(``ParamSchedulerHook``'s order). The same function drives MMEngine's schedulers in the
side-by-side tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import torch


@attrs.frozen
class Loop:
    """What the builder reads of a training loop for the default ``end``."""

    by_epoch: bool
    max_epochs: int
    max_iters: int


def epoch_loop(epochs: int, length: int) -> Loop:
    return Loop(True, epochs, epochs * length)


def iter_loop(iters: int) -> Loop:
    return Loop(False, 1, iters)  # MMEngine's IterBasedTrainLoop counts one epoch


def make_optimizer(
    kind: str = "SGD", lr: float = 0.1, groups: int = 1, **options: Any
) -> torch.optim.Optimizer:
    """An optimizer over ``groups`` one-element parameters (group i has lr ``lr * (i + 1)``)."""
    params = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * (index + 1)}
        for index in range(groups)
    ]
    optimizer: torch.optim.Optimizer = getattr(torch.optim, kind)(params, lr=lr, **options)
    return optimizer


def read(optimizer: torch.optim.Optimizer, key: str, group: int = 0) -> float:
    value = optimizer.param_groups[group][key]
    return float(value[0] if key == "betas" else value)


def simulate(
    optimizer: torch.optim.Optimizer,
    schedulers: Sequence[Any],
    loop: Loop,
    length: int,
    key: str = "lr",
    group: int = 0,
    between: Callable[[int], None] | None = None,
) -> list[float]:
    """The value of ``key`` in ``group`` before each training iteration of ``loop``.

    ``between(epoch)`` runs after each epoch's scheduler steps (a validation).
    """
    values = []
    by_iter = [s for s in schedulers if not s.by_epoch]
    by_epoch = [s for s in schedulers if s.by_epoch]
    epochs = loop.max_epochs if loop.by_epoch else 1
    per_epoch = length if loop.by_epoch else loop.max_iters
    for epoch in range(epochs):
        for _ in range(per_epoch):
            values.append(read(optimizer, key, group))
            optimizer.step()
            for scheduler in by_iter:
                scheduler.step()
        for scheduler in by_epoch:
            scheduler.step()
        if between is not None:
            between(epoch)
    return values


def windowed(form: Callable[[int], float], v0: float, begin: int, end: int, step: int) -> float:
    """The closed form of a lone scheduler at global step ``step``: ``v0`` before ``begin``,
    ``form(step - begin)`` inside the window, frozen at the window's last step after it."""
    if step < begin:
        return v0
    return form(min(step, end - 1) - begin)


def cosine(v0: float, eta_min: float, t: float, period: float) -> float:
    return eta_min + (v0 - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def per_iteration(
    values: Callable[[int], float], loop: Loop, length: int, by_epoch: bool
) -> list[float]:
    """Expected values before each iteration: ``values(step)`` where ``step`` counts the
    scheduler's own steps (epochs or iterations) done before that iteration."""
    total = loop.max_epochs * length if loop.by_epoch else loop.max_iters
    if not by_epoch:
        return [values(i) for i in range(total)]
    if not loop.by_epoch:
        return [values(0)] * total
    return [values(i // length) for i in range(total)]
