"""The merge rules on their own: dicts merge, everything else replaces, _delete_ replaces."""

from __future__ import annotations

from typing import Any

import pytest

from container import ConfigError
from container.config._merge import merge, strip_delete
from container.config._provenance import Provenance, Source


def merge_value(old: Any, new: Any) -> Any:
    """The value ``merge_from_dict`` leaves at one key: ``new`` merged over ``old``."""
    return merge({"k": old}, {"k": new}, list_keys=True)["k"]


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


def test_index_keys_merge_into_lists_only_with_list_keys() -> None:
    assert merge({"l": [1, 2]}, {"l": {"0": 5}}) == {"l": {"0": 5}}
    assert merge({"l": [1, 2]}, {"l": {"0": 5}}, list_keys=True) == {"l": [5, 2]}


def test_index_out_of_range_names_the_item() -> None:
    with pytest.raises(ConfigError, match=r"a\.p\.5: list index 5 out of range") as info:
        merge({"p": [1]}, {"p": {"5": 2}}, path=("a",), list_keys=True)
    assert info.value.config_path == "a.p.5"


def test_source_records_only_what_the_child_writes() -> None:
    provenance = Provenance()
    base_source, new = Source("base", 1), Source("merge_from_dict")
    for path in [("a",), ("a", "keep"), ("a", "old"), ("a", "old", 0)]:
        provenance.record(path, base_source)
    merge({"a": {"keep": 1, "old": [1]}}, {"a": {"old": {"x": 2}}}, provenance, source=new)
    assert provenance.lookup(("a",)) == base_source
    assert provenance.lookup(("a", "keep")) == base_source
    assert provenance.lookup(("a", "old")) == new
    assert provenance.lookup(("a", "old", "x")) == new
    assert provenance.lookup(("a", "old", 0)) == new  # the old item's record is gone
