"""Stopping on a signal without losing the run: finish the iteration, save, end the run.

A cluster scheduler sends SIGTERM before it preempts a job (SLURM can send SIGUSR1 before the
time limit); a person presses Ctrl-C (SIGINT). While a run trains, :func:`stop_on_signals`
turns these into a request the training loop reads after each iteration: the loop finishes
the iteration, the runner saves a checkpoint of exactly that position, ``after_train`` and
``after_run`` run, and training ends with :class:`Interrupted`. A second Ctrl-C stops at once
(the default handler is back after the first). Under torch.distributed every rank must stop
after the same iteration, so :meth:`StopRequest.agree` combines the ranks' requests (one
small all-reduce an iteration; a signal may reach the ranks at different moments).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn, Protocol

import attrs
import torch
import torch.distributed as dist

from .._errors import Interrupted

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGUSR1") if hasattr(signal, name)
)
"""The signals that stop a run cleanly where the platform has them."""


class Stoppable(Protocol):
    """A training loop, which a hook or a signal asks to stop after the current iteration."""

    stop_training: bool


@attrs.define
class StopRequest:
    """A signal's request to stop, read by the training loop after each iteration.

    Attributes:
        signum: The signal received, or None.
        loop: The training loop, told to stop (``stop_training``) when a signal arrives.
        distributed: Whether the ranks must :meth:`agree` after each iteration.
        halt: What the loop calls where it stops for a signal: the runner saves the
            position and raises :class:`Interrupted`.
    """

    signum: int | None = None
    loop: Stoppable | None = None
    distributed: bool = False
    halt: Callable[[int], NoReturn] | None = None

    def receive(self, signum: int, frame: FrameType | None = None) -> None:
        """The signal handler: ask the loop to stop after this iteration."""
        self.signum = signum
        if self.loop is not None:
            self.loop.stop_training = True
        if signum == getattr(signal, "SIGINT", None):  # a second Ctrl-C stops at once
            signal.signal(signum, signal.default_int_handler)

    def halt_here(self) -> NoReturn:
        """Where the loop stops for a signal: save the position (the runner's ``halt``) and
        raise :class:`Interrupted`."""
        signum = self.signum if self.signum is not None else signal.SIGTERM
        if self.halt is not None:
            self.halt(signum)
        raise Interrupted(signum, None)

    def agree(self) -> bool:
        """Combine the requests of every rank (a collective: every rank calls it every
        iteration); afterwards all hold the same one. Return whether to stop."""
        mine = torch.tensor([self.signum or 0], dtype=torch.int64, device=_collective_device())
        dist.all_reduce(mine, op=dist.ReduceOp.MAX)
        agreed = int(mine.item())
        if agreed and self.signum is None:
            self.receive(agreed)
        return bool(agreed)


@contextmanager
def stop_on_signals(request: StopRequest) -> Iterator[StopRequest]:
    """Route :data:`STOP_SIGNALS` to ``request`` while the block runs, then restore the
    previous handlers. Outside the main thread (where Python cannot set handlers) it does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {signum: signal.signal(signum, request.receive) for signum in STOP_SIGNALS}
    try:
        yield request
    finally:
        for signum, handler in previous.items():  # None: set from C; the default stands in
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _collective_device() -> torch.device:
    """Where a tensor for a collective must be: NCCL reduces CUDA tensors only."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")
