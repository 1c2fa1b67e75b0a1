"""Dump: YAML, JSON and Python round-trips, and clear errors for values that cannot be written."""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container import ConfigError
from container.config import RESERVED_KEYS, Config
from container.config._dump import to_text

Write = Callable[[str, str], str]

PLAIN = {
    "model": {"type": "ResNet", "depth": 50, "norm": {"type": "BN", "eps": 1e-5}},
    "pipeline": [{"type": "Load"}, {"type": "Resize", "size": [224, 224]}],
    "strings": ["yes", "no", "1e-3", "010", "null", "True", "", "a: b", "{x}", "'q'", "é"],
    "numbers": [0, -1, 1.5, 1e300, float("inf"), -float("inf"), True, False, None],
    "odd keys": {"with-dash": 1, "class": 2, "1": 3},
    "empty": {"d": {}, "l": []},
}


@pytest.mark.parametrize("extension", [".yaml", ".yml", ".json"])
def test_round_trip_yaml_and_json(tmp_path: Path, extension: str) -> None:
    cfg = Config(PLAIN)
    target = tmp_path / f"out{extension}"
    assert cfg.dump(target) is None
    assert Config.fromfile(target).to_dict() == PLAIN


def test_round_trip_python(tmp_path: Path) -> None:
    data: dict[str, Any] = {key: value for key, value in PLAIN.items() if key != "odd keys"}
    data["odd"] = PLAIN["odd keys"]
    data["tuples"] = {"one": (1,), "two": (1, (2, 3)), "none": ()}
    data["nan"] = float("nan")
    cfg = Config(data)
    cfg.dump(tmp_path / "out.py")
    loaded = Config.fromfile(tmp_path / "out.py").to_dict()
    assert math.isnan(loaded.pop("nan"))
    data.pop("nan")
    assert loaded == data
    assert loaded["tuples"]["one"] == (1,)


def test_yaml_and_json_write_tuples_as_lists(tmp_path: Path) -> None:
    Config({"t": (1, 2)}).dump(tmp_path / "t.yaml")
    assert Config.fromfile(tmp_path / "t.yaml").t == [1, 2]


def test_pretty_text_is_readable_python() -> None:
    cfg = Config({"model": {"type": "ResNet", "depth": 50}, "odd": {"a-b": 1}, "t": (1,)})
    assert cfg.pretty_text == (
        "model = dict(type='ResNet', depth=50)\nodd = {'a-b': 1}\nt = (1,)\n"
    )
    long = Config({"pipeline": [{"type": f"Transform{i}", "size": 224} for i in range(4)]})
    assert long.pretty_text.splitlines()[:2] == [
        "pipeline = [",
        "    dict(type='Transform0', size=224),",
    ]


def test_dump_without_a_file_returns_text_in_the_file_format(write: Write) -> None:
    cfg = Config.fromfile(write("c.yaml", "a: {b: 1}\n"))
    assert cfg.dump() == "a:\n  b: 1\n"
    assert Config({"a": 1}).dump() == "a = 1\n"


@pytest.mark.parametrize("extension", [".py", ".yaml", ".json"])
@pytest.mark.parametrize(
    ("value", "path"),
    [
        (lambda x: x, "model.act"),
        (object(), "model.act"),
        ({1, 2}, "model.act"),
        (int, "model.act"),
    ],
)
def test_unwritable_value_names_its_path(
    tmp_path: Path, extension: str, value: Any, path: str
) -> None:
    cfg = Config({"model": {"act": value}})
    with pytest.raises(ConfigError, match=rf"^{path}: cannot write a \w+ value"):
        cfg.dump(tmp_path / f"x{extension}")
    assert not (tmp_path / f"x{extension}").exists()


def test_unwritable_value_in_a_list() -> None:
    with pytest.raises(ConfigError, match=r"^pipeline\.1: cannot write a function"):
        Config({"pipeline": [1, lambda: 0]}).dump()


def test_python_dump_needs_identifier_top_level_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^a-b: cannot be a name in a Python config"):
        Config({"a-b": 1}).dump(tmp_path / "x.py")


def test_json_needs_string_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 1 cannot be written: keys must be strings"):
        Config({"a": {1: "x"}}).dump(tmp_path / "x.json")


def test_unknown_dump_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot dump to '\.toml'"):
        Config({"a": 1}).dump(tmp_path / "x.toml")


# Keys with a meaning of their own are left out: `_delete_` (merging), Python keywords and the
# names Config reserves (they cannot be top-level names).
_keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8).filter(
    lambda key: key != "_delete_"
)
_names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name) and name not in RESERVED_KEYS
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | _keys.filter(lambda text: "{{" not in text and "}}" not in text)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(data=st.dictionaries(_names, _values, max_size=4))
def test_round_trip_property(data: dict[str, Any]) -> None:
    for extension in (".yaml", ".json", ".py"):
        text = to_text(data, extension)
        assert Config.fromstring(text, extension).to_dict() == data, extension


def test_unwritable_key_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^a\.1: key 1 cannot be written") as info:
        Config({"a": {1: "x"}}).dump(tmp_path / "x.json")
    assert info.value.config_path == "a.1"
    with pytest.raises(ConfigError, match=r"^None: key None cannot be written"):
        Config({None: 1}).dump(tmp_path / "x.json")


def test_yaml_writes_nested_tuples_as_lists() -> None:
    text = Config({"a": (1, (2, {"b": (3,)}))}, "x.yaml").dump()
    assert text == "a:\n- 1\n- - 2\n  - b:\n    - 3\n"
