"""Where each value of a config was set: a file and line, or a command-line override.

:class:`Provenance` maps config paths to :class:`Source` records. Loading records a source for
every key a file writes; merging a file over its bases drops the records of any subtree the
file replaced, so that the record found for a path always names what set its final value.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._paths import Path, iter_paths


@attrs.frozen
class Source:
    """Where a config value was set.

    ``str(source)`` is what messages show: ``configs/base.yaml:12`` for a file (no line when
    unknown), or the override itself, ``--cfg-options optim_wrapper.optimizer.lr=0.1``.

    Attributes:
        origin: The file, or how the value was given (``--cfg-options``,
            ``merge_from_dict``, ``<string>``).
        line: The 1-based line in ``origin``, where known.
        detail: For an override, the text the user wrote (``lr=0.1``).
    """

    origin: str
    line: int | None = None
    detail: str | None = None

    def __str__(self) -> str:
        if self.detail is not None:
            return f"{self.origin} {self.detail}"
        if self.line is not None:
            return f"{self.origin}:{self.line}"
        return self.origin


@attrs.define
class Provenance:
    """The sources of a config's values, by path.

    A path with no record of its own takes the record of its nearest recorded ancestor (the
    mapping or list it came in).
    """

    _records: dict[Path, Source] = attrs.field(factory=dict)

    def record(self, path: Path, source: Source) -> None:
        """Say that ``source`` set the value at ``path``."""
        self._records[path] = source

    def forget(self, path: Path, old_value: Any) -> None:
        """Drop the records of ``path`` and of everything in ``old_value``, which was there."""
        records = self._records
        records.pop(path, None)
        if isinstance(old_value, dict | list | tuple) and records:
            for sub in iter_paths(old_value, path):
                records.pop(sub, None)

    def update(self, other: Provenance) -> None:
        """Take every record of ``other``, over those of this one."""
        self._records.update(other._records)

    def lookup(self, path: Path) -> Source | None:
        """Return the source of the value at ``path``, or of its nearest recorded ancestor."""
        records = self._records
        for end in range(len(path), 0, -1):
            found = records.get(path[:end])
            if found is not None:
                return found
        return None

    def copy(self) -> Provenance:
        """Return an independent copy."""
        return Provenance(dict(self._records))
