"""The root of regwire's one error family.

Every problem a user can cause by writing a config raises a :class:`RegwireError`. It carries
the dotted config path (``backbone.norm.type``) and, where known, the source (``file:line``),
so the command line can print it as one line without a traceback. The family lives in the
bottom layer so that every layer can raise it; ``container`` re-exports it with its own
subclasses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


def nearest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates closest to ``word``, best first (case-insensitive)."""
    pool = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(word.lower(), list(pool), n=n, cutoff=0.6)
    return [pool[match] for match in matches]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the nearest candidate, or ``""``."""
    return suggestion(nearest(word, candidates))


def suggestion(matches: Iterable[str]) -> str:
    """Return ``"; did you mean 'x' or 'y'?"`` for matches already chosen, or ``""``."""
    quoted = [repr(match) for match in matches]
    if not quoted:
        return ""
    return "; did you mean " + " or ".join(quoted) + "?"


def describe_target(target: object) -> str:
    """Name a callable, or the callable a provider wraps, for an error message."""
    provides = getattr(target, "provides", target)
    module = getattr(provides, "__module__", None)
    name = getattr(provides, "__qualname__", None) or repr(provides)
    return f"{module}.{name}" if module else name
