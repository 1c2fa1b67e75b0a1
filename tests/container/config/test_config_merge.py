"""The merge rules on their own: dicts merge, everything else replaces, _delete_ replaces."""

from __future__ import annotations

from container.config._merge import merge, merge_value, strip_delete
from container.config._provenance import Provenance, Source


def test_dicts_merge_recursively_and_inputs_are_untouched() -> None:
    base = {"a": {"b": 1, "c": {"d": 2}}, "l": [1, 2]}
    child = {"a": {"c": {"e": 3}}, "l": [3]}
    assert merge(base, child) == {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [3]}
    assert base == {"a": {"b": 1, "c": {"d": 2}}, "l": [1, 2]}
    assert child == {"a": {"c": {"e": 3}}, "l": [3]}


def test_delete_key() -> None:
    base = {"a": {"b": 1}}
    assert merge(base, {"a": {"_delete_": True, "c": 2}}) == {"a": {"c": 2}}
    assert merge(base, {"a": {"_delete_": False, "c": 2}}) == {"a": {"b": 1, "c": 2}}
    assert merge({}, {"_delete_": True, "x": {"_delete_": True}}) == {"x": {}}


def test_strip_delete_everywhere() -> None:
    value = {"a": [{"_delete_": True, "b": ({"_delete_": 1},)}], "_delete_": True}
    assert strip_delete(value) == {"a": [{"b": ({},)}]}


def test_replacing_forgets_old_records() -> None:
    provenance = Provenance()
    provenance.record(("a",), Source("base", 1))
    provenance.record(("a", "b"), Source("base", 2))
    provenance.record(("a", "b", 0), Source("base", 3))
    merge({"a": {"b": [1]}}, {"a": {"b": 5}}, provenance)
    assert provenance.lookup(("a", "b")) == Source("base", 1)  # falls back to the parent
    assert provenance.lookup(("a", "b", 0)) == Source("base", 1)


def test_merge_value_for_lists_by_index() -> None:
    assert merge_value([{"a": 1}, {"b": 2}], {"1": {"c": 3}}) == [{"a": 1}, {"b": 2, "c": 3}]
    assert merge_value([{"a": 1}], {"-1": {"a": 2}}) == [{"a": 2}]
    assert merge_value({"a": 1}, 5) == 5
