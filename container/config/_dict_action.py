"""``DictAction``: MMEngine's argparse action for ``--cfg-options KEY=VALUE ...``.

Every OpenMMLab ``train.py`` declares ``parser.add_argument('--cfg-options', nargs='+',
action=DictAction)`` and passes the result to ``cfg.merge_from_dict``. Values read as MMEngine
reads them: ints, floats, ``true``/``false`` (any case), ``None``, otherwise strings; ``a,b``
and ``[a,b]`` are lists, ``(a,b)`` a tuple, nested as deep as written
(``[(1,2),(3,4)]``). One difference, on purpose: MMEngine deletes every space in a value
(``work_dir='my runs'`` becomes ``myruns``); here spaces inside an item are kept and only those
around the commas and brackets go.

``regwire``'s own command line reads ``--cfg-options`` more strictly (a key that does not exist
is an error, values are YAML); this action is for scripts that move over from MMEngine.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


class DictAction(argparse.Action):
    """Collect ``KEY=VALUE`` arguments into a dict (later ones win), values parsed."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in [values] if isinstance(values, str) else values or ():
            key, equals, text = str(item).partition("=")
            if not equals or not key:
                parser.error(f"{option_string or self.dest}: expected KEY=VALUE, got {item!r}")
            try:
                options[key] = parse_value(text)
            except ValueError as exc:
                parser.error(f"{option_string or self.dest}: {key}: {exc}")
        setattr(namespace, self.dest, options)


def parse_value(text: str) -> Any:
    """Read one value as MMEngine's ``DictAction`` does (see the module docstring).

    Raises:
        ValueError: The brackets do not balance.
    """
    text = text.strip().strip("'\"").strip()
    _check_balanced(text)
    if _opens(text, "(", ")"):
        return tuple(parse_value(part) for part in _split(text[1:-1]))
    if _opens(text, "[", "]"):
        return [parse_value(part) for part in _split(text[1:-1])]
    if "," in text:
        return [parse_value(part) for part in _split(text)]
    return _scalar(text)


def _check_balanced(text: str) -> None:
    """Raise ValueError unless every bracket closes the one it should."""
    stack: list[str] = []
    for char in text:
        if char in "([":
            stack.append(")" if char == "(" else "]")
        elif char in ")]" and (not stack or stack.pop() != char):
            raise ValueError(f"unbalanced brackets in {text!r}")
    if stack:
        raise ValueError(f"unbalanced brackets in {text!r}")


def _opens(text: str, left: str, right: str) -> bool:
    """Whether ``text`` is one bracketed group from its first to its last character."""
    if not (text.startswith(left) and text.endswith(right)):
        return False
    depth = 0
    for index, char in enumerate(text):
        depth += char in "(["
        depth -= char in ")]"
        if depth == 0 and index < len(text) - 1:
            return False  # "(a),(b)": two groups, a list of them
    return True


def _split(text: str) -> list[str]:
    """Split on the commas outside brackets; an empty text is no items."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced brackets in {text!r}")
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth != 0:
        raise ValueError(f"unbalanced brackets in {text!r}")
    parts.append(text[start:])
    return [part for part in parts if part.strip()] if text.strip() else []


def _scalar(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text == "None":
        return None
    return text
