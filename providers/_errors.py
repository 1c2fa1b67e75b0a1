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
from typing import Any

PATH = "\x00path\x00"
"""Where a message names its config path in the sentence (``f"cannot train without {PATH}"``).

A message without it is rendered with the path in front (``'optim.lr': must be positive``).
"""


class RegwireError(Exception):
    """A mistake in a config or in how a component was asked for.

    Where the problem is lives in two fields, never in the message text: ``config_path`` and
    ``source``. The text is rendered from them once, by ``str()``, so a caller that knows a
    larger part of the config only changes the field (:func:`with_section`), and the message
    follows.

    Two layouts: by default the path leads, quoted, and the source follows in brackets
    (``'model.depth': must be an int [child.yaml:4]``); with ``source_first`` the source
    leads, as a compiler's message does (``child.yaml:4: model.depth: must be an int``),
    for problems found while reading files and overrides.

    Args:
        message: What failed and what to do about it. It names no place, or names the config
            path with :data:`PATH` where the sentence needs it.
        config_path: Where in the config the problem is (``optim_wrapper.optimizer.lr``);
            ``""`` is the root.
        source: Where that value was written (``configs/base.yaml:12``), where known.
        source_first: Render the source first (see above).
    """

    def __init__(
        self,
        message: str,
        *,
        config_path: str | None = None,
        source: str | None = None,
        source_first: bool = False,
    ) -> None:
        super().__init__(message)
        self.template = message
        self.config_path = config_path
        self.source = source
        self.source_first = source_first

    @property
    def message(self) -> str:
        """The message with its config path placed, without the source."""
        path = self.config_path
        before, marker, after = self.template.partition(PATH)
        if marker:
            return f"{before}{describe_path(path or '')!r}{after}"
        if path is None:
            return self.template
        if self.source_first:
            return f"{describe_path(path)}: {self.template}"
        return f"{describe_path(path)!r}: {self.template}"

    def __str__(self) -> str:
        # KeyError subclasses would otherwise show the repr of the message, quotes and all.
        if not self.source:
            return self.message
        if self.source_first:
            return f"{self.source}: {self.message}"
        return f"{self.message} [{self.source}]"

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only fields: rebuild from the instance's dict, not from ``args``
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(
    kind: type[RegwireError], args: tuple[Any, ...], state: dict[str, Any]
) -> RegwireError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(state)
    return error


def with_section(exc: RegwireError, section: str) -> RegwireError:
    """Return ``exc`` with ``section`` put in front of its config path.

    For an error raised while building a part of a larger config (found at ``section``,
    ``optim_wrapper``): the message, rendered from the fields, then names the full path
    (``optim_wrapper.optimizer.type``). An error without a path gets ``section`` itself.

    Example:
        >>> str(with_section(RegwireError("no such type", config_path="type"), "model"))
        "'model.type': no such type"
    """
    old = exc.config_path
    exc.config_path = join_path(section, old) if old else section
    return exc


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
    provides = getattr(provides, "__wrapped__", provides)  # a resource's set-up (``managed``)
    module = getattr(provides, "__module__", None)
    name = getattr(provides, "__qualname__", None) or repr(provides)
    return f"{module}.{name}" if module else name
