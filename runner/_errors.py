"""The runner's exceptions that its command line tells apart, importable without torch.

``regwire`` prints a ``RegwireError`` as one line (exit 2), re-raises a :class:`HookError`
(a hook's own code failed: its traceback helps) and exits ``128 + signum`` on
:class:`Interrupted`; it must know them before anything imports the engine.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from container import RegwireError


class HookError(RegwireError, RuntimeError):
    """A hook's code raised while the runner called one of its stages.

    The original exception is ``__cause__``. A :class:`~container.RegwireError` raised by a
    hook (a mistake in the config, a missing checkpoint) is not wrapped: it goes on as it is,
    with a note naming the hook and the stage.

    Attributes:
        hook: The hook's name (its class name, ``#2`` for a second one of a class).
        stage: The stage that was running (``after_train_iter``).
    """

    def __init__(self, message: str, *, hook: str, stage: str) -> None:
        super().__init__(message)
        self.hook = hook
        self.stage = stage


class Interrupted(Exception):
    """Training stopped on a signal, after saving where it was.

    Not a mistake (it is no ``RegwireError``): the command line exits with ``128 + signum``
    (143 for SIGTERM, 130 for SIGINT), the status a shell gives a process a signal ended, and
    ``--resume`` continues from :attr:`checkpoint`.

    Attributes:
        signum: The signal.
        checkpoint: The checkpoint saved at the stop, or None (no ``work_dir``).
    """

    def __init__(self, signum: int, checkpoint: Path | None) -> None:
        name = signal.Signals(signum).name
        where = f"saved {checkpoint}" if checkpoint is not None else "nothing saved (no work_dir)"
        super().__init__(f"stopped by {name} after finishing the iteration; {where}")
        self.signum = signum
        self.checkpoint = checkpoint

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.signum, self.checkpoint))
