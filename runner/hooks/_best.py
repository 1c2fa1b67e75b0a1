"""Which of two scores is better, for a metric by its name (``save_best``, early stopping).

MMEngine's inference: a key that is, or contains, one of the ``greater_keys`` (``acc``,
``top``, ``mAP``...) is better when greater; one of the ``less_keys`` (``loss``) when less;
an exact match wins over a substring, and ``greater`` over ``less``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from container import did_you_mean

from .._sections import ArgumentError

Rule = Literal["greater", "less"]
RULES: tuple[Rule, ...] = ("greater", "less")
GREATER_KEYS = ("acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc", "aAcc")
LESS_KEYS = ("loss",)
WORST = {"greater": -math.inf, "less": math.inf}


def infer_rule(
    key: str,
    greater_keys: Sequence[str] = GREATER_KEYS,
    less_keys: Sequence[str] = LESS_KEYS,
    argument: str = "rule",
) -> Rule:
    """The rule of ``key``, as MMEngine infers it.

    Raises:
        ArgumentError: Nothing matches (asking for an explicit ``rule``), naming
            ``argument``, the argument that gave ``key``.
    """
    name = key.lower()
    greater = {k.lower() for k in greater_keys}
    less = {k.lower() for k in less_keys}
    if name in greater:
        return "greater"
    if name in less:
        return "less"
    if any(k in name for k in greater):
        return "greater"
    if any(k in name for k in less):
        return "less"
    raise ArgumentError(
        argument,
        f"is {key!r}, and regwire cannot tell whether {key!r} is better greater or less; "
        "give rule: greater or less (or list it in greater_keys / less_keys)",
    )


def is_better(rule: str, score: float, best: float, min_delta: float = 0.0) -> bool:
    """Whether ``score`` beats ``best`` by more than ``min_delta``."""
    if rule == "greater":
        return score > best + min_delta
    return score < best - min_delta


def as_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    """A str or a list of str as a list (None: empty).

    Raises:
        ArgumentError: Another type, or a repeated entry (naming ``name``).
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(item, str) for item in items):
        raise ArgumentError(name, f"must be a str or a list of str, got {value!r}")
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise ArgumentError(name, f"lists {repeated[0]!r} twice: {items!r}")
    return items


def check_rule(rule: str | None) -> str | None:
    """``rule`` when it is ``greater``, ``less`` or None.

    Raises:
        ArgumentError: Another value (the nearest rule suggested).
    """
    if rule is not None and rule not in RULES:
        hint = did_you_mean(rule, RULES) if isinstance(rule, str) else ""
        raise ArgumentError("rule", f"must be 'greater', 'less' or null, got {rule!r}{hint}")
    return rule
