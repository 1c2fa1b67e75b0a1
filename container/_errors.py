"""One error family for everything a user can get wrong in a config or a registry.

``RegwireError`` and ``BuildError`` come from the bottom layer (``providers``), so every layer
raises the same types; this module adds the ones that belong to registries and configs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from providers import BuildError, RegwireError


class RegistryError(RegwireError, KeyError):
    """A name is unknown to a registry, or registered twice."""


class ConfigError(RegwireError, ValueError):
    """A config file or override is malformed, names an unknown key, or cannot be loaded."""


def nearest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates closest to ``word``, best first (case-insensitive)."""
    pool = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(word.lower(), list(pool), n=n, cutoff=0.6)
    return [pool[match] for match in matches]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the nearest candidate, or ``""``."""
    matches = nearest(word, candidates)
    if not matches:
        return ""
    if len(matches) == 1:
        return f"; did you mean {matches[0]!r}?"
    return "; did you mean " + " or ".join(repr(match) for match in matches) + "?"


__all__ = ["BuildError", "ConfigError", "RegistryError", "RegwireError", "did_you_mean", "nearest"]
