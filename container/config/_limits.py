"""The limits on config input: what a file, a load or a value may cost at most.

A config file is input, and input can be hostile or just broken: a 1 KB YAML alias bomb that
expands to billions of values, a 5,000-digit integer, a list nested a thousand deep, a
``_base_`` that names a FIFO or ``/dev/zero``. Each limit below turns such input into a
:class:`~container.ConfigError` naming the file, line and key, before it costs minutes,
gigabytes or a ``RecursionError``. Real configs stay far inside every one of them (an
OpenMMLab config nests under 10 deep and its whole ``_base_`` chain is a few tens of KB).

The limits are the same for YAML, JSON and command-line values; Python configs, which are
code, get the file rules (regular files, sizes, counts) and the depth limit on their values.
"""

from __future__ import annotations

from typing import Any

import attrs

#: The largest config file read, in bytes. Files are checked with ``os.stat`` before they are
#: opened (a FIFO or a device such as ``/dev/zero`` is refused: only regular files are read),
#: and read with this bound, so a file that grows while it is read cannot pass it either.
MAX_FILE_BYTES = 16 * 1024 * 1024

#: The most bytes one load reads, a config and all its bases together. Bases that inherit
#: from the same files (a diamond) are read again each time; this bounds what that costs.
MAX_LOAD_BYTES = 4 * MAX_FILE_BYTES

#: The most files one load reads, a config and all its bases together (a file inherited
#: along two paths counts twice): ``_base_`` lists that fan out at every level would
#: otherwise read files an exponential number of times.
MAX_LOAD_FILES = 1000

#: How many dicts and lists may nest inside one another, the top-level mapping included.
#: The same for YAML, JSON, the values of a Python config, command-line values (whose key
#: counts: ``a.b=[1]`` puts the list at depth 3) and ``merge_from_dict``. 100 keeps every
#: recursive step after loading (PyYAML's constructors, merging, copying, dumping) far below
#: Python's recursion limit of 1000.
MAX_DEPTH = 100

#: The most digits an integer in YAML, JSON or a command-line value may have. Python refuses
#: to convert more than 4300 (``sys.get_int_max_str_digits``) with a ``ValueError``; 1000
#: digits is far more than any count, seed or size needs.
MAX_INT_DIGITS = 1000

#: The most values that YAML aliases (``*name``, and the merge key ``<<: *name``) or
#: ``{{_base_.key}}`` references may produce in one file: each dict, list and scalar an
#: expansion builds counts one. Without aliases a file can only produce what it spells out,
#: which :data:`MAX_FILE_BYTES` bounds; nine nested aliases of nine items each spell out 9**9.
MAX_ALIAS_VALUES = 100_000

#: The most characters of strings that aliases and ``{{_base_.key}}`` references may produce
#: in one file (a 1 MB string aliased 100,000 times is 100 GB once printed or dumped).
MAX_ALIAS_CHARS = MAX_FILE_BYTES


@attrs.define
class Expansion:
    """What aliases or base references have produced so far in one file."""

    values: int = 0
    chars: int = 0

    def add(self, values: int, chars: int) -> str | None:
        """Count what one more expansion produces; return the problem if it is over a limit."""
        self.values += values
        self.chars += chars
        if self.values > MAX_ALIAS_VALUES:
            return (
                f"aliases or {{{{_base_}}}} references expand to more than {MAX_ALIAS_VALUES:,} "
                "values (MAX_ALIAS_VALUES); write the values out, or share less"
            )
        if self.chars > MAX_ALIAS_CHARS:
            return (
                f"aliases or {{{{_base_}}}} references expand to more than {MAX_ALIAS_CHARS:,} "
                "characters of text (MAX_ALIAS_CHARS)"
            )
        return None


def measure(value: Any) -> tuple[int, int]:
    """Return how many values ``value`` holds (itself included) and the length of its strings.

    Walks dicts (keys and values), lists and tuples without recursion.
    """
    values, chars = 0, 0
    stack = [value]
    while stack:
        item = stack.pop()
        values += 1
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return values, chars


def too_deep(value: Any, depth: int = 0) -> tuple[Any, ...] | None:
    """Return the path (below ``value``) of a container nested deeper than :data:`MAX_DEPTH`.

    ``depth`` is how many containers ``value`` itself is inside. Walks without recursion and
    stops at the first container too deep, so a cyclic value is found too. Returns ``None``
    when every container is within the limit. Paths are only built once one is too deep:
    this runs on every file a load reads.
    """
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if level >= MAX_DEPTH:
            return _path_too_deep(value, depth)
        stack.extend((child, level + 1) for child in children if isinstance(child, _NESTED))
    return None


_NESTED = (dict, list, tuple)


def _path_too_deep(value: Any, depth: int) -> tuple[Any, ...]:
    """The path :func:`too_deep` found (walked again, with paths this time)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while True:
        item, path = stack.pop()
        if isinstance(item, dict):
            children: Any = item.items()
        elif isinstance(item, list | tuple):
            children = enumerate(item)
        else:
            continue
        if depth + len(path) >= MAX_DEPTH:
            return path
        stack.extend((child, (*path, key)) for key, child in children)


def depth_problem() -> str:
    """The message for a value nested deeper than :data:`MAX_DEPTH`."""
    return f"nested deeper than {MAX_DEPTH} dicts and lists (MAX_DEPTH); flatten the config"


def int_digits_problem(digits: int) -> str:
    """The message for an integer of ``digits`` digits, over :data:`MAX_INT_DIGITS`."""
    return f"an integer may have at most {MAX_INT_DIGITS} digits (MAX_INT_DIGITS), not {digits}"
