"""ConfigDict: attribute access, nesting, plain copies, pickling and copying."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import pytest

from container.config import ConfigDict


def test_attribute_access_at_every_depth() -> None:
    cfg = ConfigDict({"model": {"backbone": {"depth": 50}, "heads": [{"n": 1}, ({"n": 2},)]}})
    assert cfg.model.backbone.depth == 50
    assert cfg.model.heads[0].n == 1
    assert cfg.model.heads[1][0].n == 2
    assert isinstance(cfg.model.heads[1], tuple)


def test_keyword_and_mapping_construction() -> None:
    assert ConfigDict(a=1, b={"c": 2}).b.c == 2
    assert ConfigDict(OrderedDict(x={"y": 1})).x.y == 1
    assert ConfigDict([("a", {"b": 1})]).a.b == 1


def test_type_of_value_rebuilds_it() -> None:
    # the provider compiler calls type(value)(a_dict) to keep the mapping type
    original = ConfigDict(a=1)
    rebuilt = type(original)({"a": 2, "b": {"c": 3}})
    assert isinstance(rebuilt, ConfigDict)
    assert rebuilt.b.c == 3


def test_setting_wraps_plain_dicts() -> None:
    cfg = ConfigDict()
    cfg.model = {"depth": 1}
    cfg["layers"] = [{"k": 3}]
    cfg.update(extra={"x": 1})
    cfg.setdefault("more", {"y": 2})
    assert cfg.model.depth == 1
    assert cfg.layers[0].k == 3
    assert cfg.extra.x == 1
    assert cfg.more.y == 2


def test_missing_attribute_suggests_the_nearest_key() -> None:
    cfg = ConfigDict(optimizer={"lr": 0.1})
    with pytest.raises(AttributeError, match="has no key 'optimzer'; did you mean 'optimizer'"):
        _ = cfg.optimzer
    assert not hasattr(cfg, "__missing_dunder__")
    with pytest.raises(KeyError):
        _ = cfg["nope"]


def test_delete_attribute() -> None:
    cfg = ConfigDict(a=1)
    del cfg.a
    assert "a" not in cfg
    with pytest.raises(AttributeError):
        del cfg.a


def test_to_dict_gives_plain_dicts_and_lists() -> None:
    cfg = ConfigDict(a={"b": [{"c": 1}]}, t=(1, {"d": 2}))
    plain = cfg.to_dict()
    assert plain == {"a": {"b": [{"c": 1}]}, "t": (1, {"d": 2})}
    assert type(plain["a"]) is dict
    assert type(plain["a"]["b"][0]) is dict
    assert type(plain["t"][1]) is dict


def test_pickle_and_deepcopy_keep_the_type_and_are_independent() -> None:
    cfg = ConfigDict(model={"layers": [{"k": 1}]})
    for clone in (pickle.loads(pickle.dumps(cfg)), copy.deepcopy(cfg)):
        assert clone == cfg
        assert isinstance(clone.model, ConfigDict)
        clone.model.layers[0].k = 2
        assert cfg.model.layers[0].k == 1


def test_shallow_copy_is_a_config_dict() -> None:
    cfg = ConfigDict(a={"b": 1})
    for clone in (cfg.copy(), copy.copy(cfg)):
        assert isinstance(clone, ConfigDict)
        assert clone.a is cfg.a


def test_equal_to_plain_dict_and_dir_lists_keys() -> None:
    cfg = ConfigDict(a={"b": 1})
    assert cfg == {"a": {"b": 1}}
    assert "a" in dir(cfg)
    assert repr(cfg) == "ConfigDict({'a': {'b': 1}})"


def test_docstring_example_runs() -> None:
    import doctest

    from container.config import _configdict

    assert doctest.testmod(_configdict).failed == 0
