"""YAML: safe loading, duplicate keys, tags, core-schema scalars and line numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from container import ConfigError
from container.config import Config

Write = Callable[[str, str], str]


def test_python_tags_are_rejected_with_tag_file_and_line(write: Write) -> None:
    path = write("evil.yaml", "a: 1\nb: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match=r"evil\.yaml:2: YAML tag !!python/object/apply:os\.sys"):
        Config.fromfile(path)


def test_python_tag_on_a_nested_value_is_rejected(write: Write) -> None:
    path = write("evil.yaml", "a:\n  b:\n    - !!python/name:os.system\n")
    with pytest.raises(ConfigError, match=r"evil\.yaml:3: YAML tag !!python/name:os\.system"):
        Config.fromfile(path)


def test_duplicate_key_names_key_and_both_lines(write: Write) -> None:
    path = write("dup.yaml", "model:\n  depth: 1\n  width: 2\n  depth: 3\n")
    with pytest.raises(ConfigError, match=r"dup\.yaml:4: model\.depth: key 'depth' is given twice"):
        Config.fromfile(path)
    with pytest.raises(ConfigError, match=r"first on line 2"):
        Config.fromfile(path)


def test_merge_keys_are_not_duplicates(write: Write) -> None:
    path = write("merge.yaml", "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n")
    assert Config.fromfile(path).child.to_dict() == {"x": 1, "y": 3}


def test_syntax_error_names_file_and_line(write: Write) -> None:
    path = write("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+: invalid YAML"):
        Config.fromfile(path)


def test_unknown_tag_is_an_error(write: Write) -> None:
    path = write("tag.yaml", "a: !custom 1\n")
    with pytest.raises(ConfigError, match=r"tag\.yaml:1: invalid YAML: .*'!custom'"):
        Config.fromfile(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e-3", 0.001),
        ("-2.5E+2", -250.0),
        ("1_000", 1000),
        ("010", 10),
        ("0x1F", 31),
        ("0o17", 15),
        (".inf", float("inf")),
        ("true", True),
        ("False", False),
        ("yes", "yes"),
        ("off", "off"),
        ("1:30", "1:30"),
        ("2024-01-02", "2024-01-02"),
        ("null", None),
        ("~", None),
        ("None", "None"),
    ],
)
def test_plain_scalars_follow_yaml_1_2(write: Write, text: str, expected: object) -> None:
    cfg = Config.fromfile(write("s.yaml", f"v: {text}\n"))
    assert cfg.v == expected
    assert type(cfg.v) is type(expected)


def test_empty_file_is_an_empty_config(write: Write) -> None:
    assert Config.fromfile(write("empty.yaml", "# nothing\n")).to_dict() == {}


def test_top_level_must_be_a_mapping(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"list\.yaml:1: a config file must hold a mapping"):
        Config.fromfile(write("list.yaml", "- 1\n- 2\n"))


def test_recursive_alias_is_an_error_not_a_recursion_error(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"rec\.yaml:1: a\.1: a YAML alias refers to a coll"):
        Config.fromfile(write("rec.yaml", "a: &x [1, *x]\n"))


def test_aliases_that_share_a_node_are_fine(write: Write) -> None:
    cfg = Config.fromfile(write("alias.yaml", "a: &x {k: 1}\nb: *x\n"))
    cfg.b.k = 2
    assert cfg.a.k == 1


def test_explicit_tags_use_the_safe_constructors(write: Write) -> None:
    cfg = Config.fromfile(write("t.yaml", "a: !!str 123\nb: !!float 1\nc: !!set {x, y}\n"))
    assert cfg.a == "123"
    assert cfg.b == 1.0
    assert cfg.c == {"x", "y"}


def test_keys_are_typed_and_a_key_must_be_plain(write: Write) -> None:
    cfg = Config.fromfile(write("k.yaml", "a: {1: one, '1': text, null: nothing}\n"))
    assert cfg.a == {1: "one", "1": "text", None: "nothing"}
    with pytest.raises(ConfigError, match=r"k2\.yaml:1: a: a mapping key must be a plain value"):
        Config.fromfile(write("k2.yaml", "a: {[1, 2]: x}\n"))


def test_merged_keys_may_be_overridden_but_own_keys_not_repeated(write: Write) -> None:
    text = "base: &b {x: 1}\nchild:\n  <<: *b\n  x: 2\n  x: 3\n"
    with pytest.raises(ConfigError, match=r"m\.yaml:5: child\.x: key 'x' is given twice"):
        Config.fromfile(write("m.yaml", text))


def test_nan(write: Write) -> None:
    value = Config.fromfile(write("n.yaml", "v: .nan\n")).v
    assert value != value
