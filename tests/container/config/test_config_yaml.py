"""YAML: safe loading, duplicate keys, tags, core-schema scalars and line numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from container import ConfigError
from container.config import Config

Write = Callable[[str, str], str]


# Each error names the file and line, then the config path where there is one.
_ERRORS = [
    pytest.param(
        "evil.yaml",
        "a: 1\nb: !!python/object/apply:os.system ['echo hi']\n",
        r"evil\.yaml:2: b: YAML tag !!python/object/apply:os\.sys",
        id="python-tag",
    ),
    pytest.param(
        "evil.yaml",
        "a:\n  b:\n    - !!python/name:os.system\n",
        r"evil\.yaml:3: a\.b\.0: YAML tag !!python/name:os\.system",
        id="python-tag-nested",
    ),
    pytest.param(
        "dup.yaml",
        "model:\n  depth: 1\n  width: 2\n  depth: 3\n",
        r"dup\.yaml:4: model\.depth: key 'depth' is given twice",
        id="duplicate-key",
    ),
    pytest.param(
        "dup.yaml",
        "model:\n  depth: 1\n  width: 2\n  depth: 3\n",
        r"first on line 2",
        id="duplicate-key-first-line",
    ),
    pytest.param(
        "m.yaml",
        "base: &b {x: 1}\nchild:\n  <<: *b\n  x: 2\n  x: 3\n",
        r"m\.yaml:5: child\.x: key 'x' is given twice",
        id="own-key-repeated-after-merge-key",
    ),
    pytest.param("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n", r"bad\.yaml:\d+: invalid YAML", id="syntax"),
    pytest.param(
        "tag.yaml", "a: !custom 1\n", r"tag\.yaml:1: invalid YAML: .*'!custom'", id="unknown-tag"
    ),
    pytest.param(
        "list.yaml",
        "- 1\n- 2\n",
        r"list\.yaml:1: a config file must hold a mapping",
        id="top-level-not-a-mapping",
    ),
    pytest.param(
        "rec.yaml",
        "a: &x [1, *x]\n",
        r"rec\.yaml:1: a\.1: a YAML alias refers to a coll",
        id="recursive-alias",
    ),
    pytest.param(
        "k2.yaml",
        "a: {[1, 2]: x}\n",
        r"k2\.yaml:1: a: a mapping key must be a plain value",
        id="collection-as-key",
    ),
]


@pytest.mark.parametrize(("name", "text", "match"), _ERRORS)
def test_errors_name_file_line_and_path(write: Write, name: str, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Config.fromfile(write(name, text))


def test_merge_keys_are_not_duplicates(write: Write) -> None:
    path = write("merge.yaml", "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n")
    assert Config.fromfile(path).child.to_dict() == {"x": 1, "y": 3}


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


def test_aliases_that_share_a_node_are_fine(write: Write) -> None:
    cfg = Config.fromfile(write("alias.yaml", "a: &x {k: 1}\nb: *x\n"))
    cfg.b.k = 2
    assert cfg.a.k == 1


def test_explicit_tags_use_the_safe_constructors(write: Write) -> None:
    cfg = Config.fromfile(write("t.yaml", "a: !!str 123\nb: !!float 1\nc: !!set {x, y}\n"))
    assert cfg.a == "123"
    assert cfg.b == 1.0
    assert cfg.c == {"x", "y"}


def test_keys_are_typed(write: Write) -> None:
    cfg = Config.fromfile(write("k.yaml", "a: {1: one, '1': text, null: nothing}\n"))
    assert cfg.a == {1: "one", "1": "text", None: "nothing"}


def test_nan(write: Write) -> None:
    value = Config.fromfile(write("n.yaml", "v: .nan\n")).v
    assert value != value
