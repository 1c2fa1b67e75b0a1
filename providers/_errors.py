"""The root of regwire's one error family.

Every problem a user can cause by writing a config raises a :class:`RegwireError`. It carries
the dotted config path (``backbone.norm.type``) and, where known, the source (``file:line``),
so the command line can print it as one line without a traceback. The family lives in the
bottom layer so that every layer can raise it; ``container`` re-exports it with its own
subclasses.
"""

from __future__ import annotations


class RegwireError(Exception):
    """A mistake in a config or in how a component was asked for.

    Args:
        message: What failed and what to do about it.
        config_path: Where in the config the problem is (``optim_wrapper.optimizer.lr``).
        source: Where that value was written (``configs/base.yaml:12``), where known.
    """

    def __init__(
        self, message: str, *, config_path: str | None = None, source: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.config_path = config_path
        self.source = source

    def __str__(self) -> str:
        # KeyError subclasses would otherwise show the repr of the message, quotes and all.
        if self.source and self.source not in self.message:
            return f"{self.message} [{self.source}]"
        return self.message


class BuildError(RegwireError):
    """A registered callable rejected the arguments a config gave it.

    The original exception is kept as ``__cause__``.
    """


def describe_path(path: str) -> str:
    """Return a config path for a message; the root is ``<root>``."""
    return path or "<root>"


def join_path(parent: str, key: object) -> str:
    """Join a dotted config path and one key or list index."""
    return f"{parent}.{key}" if parent else str(key)
