"""Command-line overrides: the grammar, strictness, and merge_from_dict."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container import ConfigError
from container.config import Config, ConfigDict, parse_override

Write = Callable[[str, str], str]

BASE = """
optim_wrapper:
  optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
train_pipeline:
  - {type: Load}
  - {type: Resize, size: 224}
model: {depth: 50, out: [1, 2]}
"""


@pytest.fixture
def cfg_path(write: Write) -> str:
    return write("base.yaml", BASE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.1", 0.1),
        ("1e-3", 0.001),
        ("3", 3),
        ("true", True),
        ("False", False),
        ("null", None),
        ("None", None),
        ("none", None),
        ("[1, 2]", [1, 2]),
        ("{a: 1, b: [x]}", {"a": 1, "b": ["x"]}),
        ("SGD", "SGD"),
        ("'0.1'", "0.1"),
        ("a: b", "a: b"),
        ("- x", "- x"),
        ("a,b", "a,b"),
        ("", ""),
        ("yes", "yes"),
        ("http://x.org/a?b=c", "http://x.org/a?b=c"),
    ],
)
def test_values_are_yaml_flow(raw: str, expected: Any) -> None:
    override = parse_override(f"key={raw}")
    assert override.value == expected
    assert type(override.value) is type(expected)


def test_set_add_and_delete(cfg_path: str) -> None:
    cfg = Config.fromfile(
        cfg_path,
        cfg_options=[
            "optim_wrapper.optimizer.lr=0.01",
            "train_pipeline.1.size=256",
            "train_pipeline.-1.type=Scale",
            "model.out=[3]",
            "+model.width=64",
            "+train_pipeline.2={type: Pack}",
            "~optim_wrapper.optimizer.momentum",
            "~model.out",
        ],
    )
    assert cfg.optim_wrapper.optimizer == {"type": "SGD", "lr": 0.01}
    assert cfg.train_pipeline == [
        {"type": "Load"},
        {"type": "Scale", "size": 256},
        {"type": "Pack"},
    ]
    assert isinstance(cfg.train_pipeline[2], ConfigDict)
    assert cfg.model == {"depth": 50, "width": 64}


def test_dict_value_replaces(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path, cfg_options=["optim_wrapper.optimizer={type: Adam}"])
    assert cfg.optim_wrapper.optimizer == {"type": "Adam"}
    assert cfg.optim_wrapper.optimizer.type == "Adam"


def test_unknown_key_is_rejected_with_suggestion(cfg_path: str) -> None:
    with pytest.raises(
        ConfigError,
        match=r"^--cfg-options optim_wrapper\.optimzer\.lr=0\.1: optim_wrapper\.optimzer: "
        r"unknown key; did you mean 'optim_wrapper\.optimizer'\?$",
    ) as info:
        Config.fromfile(cfg_path, cfg_options=["optim_wrapper.optimzer.lr=0.1"])
    assert info.value.config_path == "optim_wrapper.optimzer"
    assert info.value.source == "--cfg-options optim_wrapper.optimzer.lr=0.1"


def test_key_at_the_wrong_level_is_suggested(cfg_path: str) -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'optim_wrapper\.optimizer\.lr'"):
        Config.fromfile(cfg_path, cfg_options=["optim_wrapper.lr=0.1"])


def test_new_key_needs_a_plus(cfg_path: str) -> None:
    with pytest.raises(ConfigError, match=r"model\.width: unknown key"):
        Config.fromfile(cfg_path, cfg_options=["model.width=1"])
    with pytest.raises(ConfigError, match=r"model\.depth: already exists; write 'model\.depth="):
        Config.fromfile(cfg_path, cfg_options=["+model.depth=1"])
    with pytest.raises(ConfigError, match=r"modl: unknown key; did you mean 'model'"):
        Config.fromfile(cfg_path, cfg_options=["+modl.width=1"])


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("train_pipeline.5.size=1", r"train_pipeline\.5: index out of range"),
        ("train_pipeline.x=1", r"train_pipeline\.x: index out of range"),
        ("model.depth.x=1", r"model\.depth: cannot go into a int value"),
        ("~nothing", r"nothing: unknown key"),
        ("~model.depth=3", r"'~key' deletes a key and takes no value"),
        ("model.depth", r"expected 'key=value', '\+key=value' or '~key'"),
        ("model..depth=1", r"malformed key 'model\.\.depth'"),
        ("model.depth=[1, 2", r"cannot read the value '\[1, 2'"),
        ("model.depth=!!python/object:os.system {}", r"cannot read the value"),
        ("+train_pipeline.7={}", r"the list has 2 items; '\+' appends only at index 2"),
        ("+model.depth.x=1", r"model\.depth\.x: cannot add a key inside a int value"),
    ],
)
def test_malformed_overrides(cfg_path: str, option: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.fromfile(cfg_path, cfg_options=[option])


def test_overrides_must_be_strings(cfg_path: str) -> None:
    with pytest.raises(ConfigError, match=r"an override must be a 'key=value' string, not 3"):
        Config.fromfile(cfg_path, cfg_options=[3])  # type: ignore[list-item]


def test_tuple_items_cannot_be_changed(write: Write) -> None:
    cfg = Config.fromfile(write("c.py", "scale = (1, 2)\n"))
    with pytest.raises(ConfigError, match=r"scale\.0: cannot change an item of a tuple"):
        cfg.apply_overrides(["scale.0=5"])
    with pytest.raises(ConfigError, match=r"scale\.1: cannot delete an item of a tuple"):
        cfg.apply_overrides(["~scale.1"])
    cfg.apply_overrides(["scale=[5, 6]"])
    assert cfg.scale == [5, 6]


def test_overrides_run_before_custom_imports(cfg_path: str) -> None:
    # a failing import named in the file can be removed from the command line
    cfg = Config.fromfile(
        cfg_path,
        cfg_options=["+custom_imports={imports: [no_such_mod_xyz]}", "~custom_imports"],
    )
    assert "custom_imports" not in cfg


def test_merge_from_dict_mmengine_style(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict(
        {
            "optim_wrapper.optimizer": {"lr": 0.5},
            "train_pipeline.1.size": 300,
            "model": {"out": [9]},
            "new.nested.key": 1,
        }
    )
    assert cfg.optim_wrapper.optimizer == {"type": "SGD", "lr": 0.5, "momentum": 0.9}
    assert cfg.train_pipeline[1].size == 300
    assert cfg.model == {"depth": 50, "out": [9]}
    assert cfg.new.nested.key == 1


def test_merge_from_dict_list_index_keys_and_delete(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict({"train_pipeline": {"0": {"type": "LoadImage"}}})
    assert cfg.train_pipeline[0].type == "LoadImage"
    cfg.merge_from_dict({"optim_wrapper": {"optimizer": {"_delete_": True, "type": "Adam"}}})
    assert cfg.optim_wrapper.optimizer == {"type": "Adam"}
    with pytest.raises(ConfigError, match="list index 5 out of range"):
        cfg.merge_from_dict({"train_pipeline": {"5": {"type": "X"}}})


def test_merge_from_dict_strict(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path)
    with pytest.raises(ConfigError, match=r"model\.dpth: unknown key; did you mean 'model\.depth'"):
        cfg.merge_from_dict({"model.dpth": 1}, allow_new_keys=False)
    with pytest.raises(ConfigError, match=r"cannot set 'x' inside a int value"):
        cfg.merge_from_dict({"model.depth.x.y": 1})


def test_cfg_options_as_a_dict_use_merge_from_dict(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path, cfg_options={"model.depth": 101, "brand.new": True})
    assert cfg.model.depth == 101
    assert cfg.brand.new is True


# YAML refuses control characters (an error, never a wrong value), so the text is printable.
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(value=_json_values)
def test_any_json_value_is_a_valid_override_value(value: Any) -> None:
    # JSON is YAML flow, so `key=<json>` gives back exactly the value
    assert parse_override("key=" + json.dumps(value, ensure_ascii=False)).value == value


def test_merge_from_dict_errors_name_the_whole_path(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path)
    with pytest.raises(ConfigError, match=r"train_pipeline\.9: index out of range") as info:
        cfg.merge_from_dict({"train_pipeline.9.x": 1})
    assert info.value.config_path == "train_pipeline.9"
    with pytest.raises(ConfigError, match=r"train_pipeline\.1\.size: cannot set 'x'") as info:
        cfg.merge_from_dict({"train_pipeline.1.size.x": 1})
    assert info.value.config_path == "train_pipeline.1.size"
    with pytest.raises(ConfigError, match=r"train_pipeline\.5: list index 5 out of range"):
        cfg.merge_from_dict({"train_pipeline": {"5": {"type": "X"}}})


def test_merge_from_dict_drops_delete_under_a_new_key(cfg_path: str) -> None:
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict({"extra": {"_delete_": True, "x": {"_delete_": True, "y": 1}}})
    assert cfg.extra.to_dict() == {"x": {"y": 1}}
