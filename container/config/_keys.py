"""The key names the loader gives a meaning, in one place.

- ``_base_`` at the top of a file: the files it inherits. The loader takes it out; it is never
  a key of a loaded config.
- ``_delete_`` at any depth: ``_delete_: true`` makes a dict replace the dict it would merge
  into. It never reaches a loaded config either.
- :data:`RESERVED_KEYS` at the top: names of :class:`Config` attributes, which a key of the
  same name could not be read through (as in MMEngine).

Files use the first two as instructions; overrides and ``merge_from_dict`` may set none of
the three as keys (:func:`reserved_problem`).
"""

from __future__ import annotations

from collections.abc import Sequence

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"

#: Top-level keys a config may not have, because ``Config`` attributes of the same name would
#: hide them (as in MMEngine).
RESERVED_KEYS = ("filename", "text", "pretty_text", "env_variables")


def reserved_problem(parts: Sequence[object]) -> tuple[int, str] | None:
    """Return where and why a key path names a reserved key, or ``None`` if it does not.

    Args:
        parts: The parts of a dotted key (``["model", "_delete_"]``).

    Returns:
        How many parts lead to the reserved one (itself included), and what to do instead.
    """
    for position, part in enumerate(parts):
        if part == DELETE_KEY:
            return position + 1, (
                "'_delete_' is an instruction to merging, not a key; to replace a dict, "
                "set it whole ('key={...}')"
            )
    if parts and parts[0] == BASE_KEY:
        return 1, "'_base_' names the files a config inherits; set it in a config file"
    if parts and parts[0] in RESERVED_KEYS:
        return 1, "is reserved: Config uses that name; rename the key"
    return None
