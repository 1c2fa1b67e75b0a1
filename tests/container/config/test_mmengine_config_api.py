"""MMEngine's config API: DictAction, merge_from_dict(allow_list_keys), text, diff,
_deprecation_, and classes defined in a Python config."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from container import Config, ConfigError, DictAction
from container.config._dict_action import parse_value

CASES: list[tuple[str, Any]] = [
    ("1", 1),
    ("1.5", 1.5),
    ("1e3", 1000.0),
    ("true", True),
    ("False", False),
    ("None", None),
    ("none", "none"),
    ("x", "x"),
    ("a,b", ["a", "b"]),
    ("[a,b]", ["a", "b"]),
    ("(1,2)", (1, 2)),
    ("[(1,2),(3,4)]", [(1, 2), (3, 4)]),
    ("[(1,2),[a,b],c]", [(1, 2), ["a", "b"], "c"]),
    ('"[1, 2]"', [1, 2]),
    ("[]", []),
    ("()", ()),
    ("a=b", "a=b"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_values_read_as_mmengine_reads_them(text: str, expected: Any) -> None:
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.skipif(importlib.util.find_spec("mmengine") is None, reason="needs mmengine")
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_the_same_as_mmengine(text: str, expected: Any) -> None:
    from mmengine.config import DictAction as MMDictAction

    assert parse_value(text) == MMDictAction._parse_iterable(text)


def test_spaces_inside_an_item_are_kept() -> None:
    assert parse_value("'my runs'") == "my runs"  # MMEngine gives 'myruns'
    assert parse_value("[a b, c]") == ["a b", "c"]
    with pytest.raises(ValueError, match="unbalanced"):
        parse_value("[(1,2],3)")


def test_the_argparse_action_as_openmmlab_scripts_declare_it() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(["--cfg-options", "a.b=1", "c=[1,2]", "a.b=2"])
    assert args.cfg_options == {"a.b": 2, "c": [1, 2]}
    with pytest.raises(SystemExit):
        parser.parse_args(["--cfg-options", "novalue"])


def test_merge_from_dict_with_and_without_list_keys() -> None:
    cfg = Config({"pipeline": [{"type": "Load"}, {"type": "Resize", "scale": 1}]})
    cfg.merge_from_dict({"pipeline.1.scale": 2})
    cfg.merge_from_dict({"pipeline": {"0": {"type": "LoadImage"}}}, True)
    assert cfg.to_dict()["pipeline"] == [{"type": "LoadImage"}, {"type": "Resize", "scale": 2}]
    with pytest.raises(ConfigError, match="allow_list_keys=False"):
        cfg.merge_from_dict({"pipeline.1.scale": 3}, allow_list_keys=False)
    with pytest.raises(ConfigError, match="allow_list_keys=False"):
        cfg.merge_from_dict({"pipeline": {"0": {"type": "X"}}}, allow_list_keys=False)
    cfg.merge_from_dict({"pipeline": [{"type": "Only"}]}, allow_list_keys=False)  # replaces
    assert cfg.to_dict()["pipeline"] == [{"type": "Only"}]


def test_text_and_diff(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("model: {depth: 50}\n")
    second = tmp_path / "b.yaml"
    second.write_text("model: {depth: 101}\n")
    assert Config.fromfile(first).text == f"{first}\nmodel: {{depth: 50}}\n"
    diff = Config.diff(str(first), Config.fromfile(second))
    assert "-model = dict(depth=50)" in diff
    assert "+model = dict(depth=101)" in diff
    assert Config.diff(str(first), str(first)) == ""
    assert "depth=50" in Config({"model": {"depth": 50}}).text  # no file: the pretty text


def test_text_holds_every_base_file_under_its_path_as_mmengine(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    files = {
        "root.yaml": "a: 1\n",
        "sub/mid.py": "_base_ = ['../root.yaml']\nb = 2\n",
        "other.json": '{"c": 3}',
        "top.py": "_base_ = ['./sub/mid.py', 'other.json']\nd = 4\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    order = ["root.yaml", "sub/mid.py", "other.json", "top.py"]  # each file after its bases
    expected = "\n".join(f"{tmp_path / name}\n{files[name]}" for name in order)
    assert Config.fromfile(tmp_path / "top.py").text == expected
    try:
        from mmengine.config import Config as Theirs
    except ImportError:
        return
    assert Theirs.fromfile(str(tmp_path / "top.py")).text == expected


def test_fromstring_with_a_format() -> None:
    assert Config.fromstring("a = dict(b=1)", ".py").to_dict() == {"a": {"b": 1}}
    assert Config.fromstring("a: {b: 1}", "yaml").to_dict() == {"a": {"b": 1}}


def test_deprecation_is_a_warning_and_not_a_key(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        "_deprecation_ = dict(expected='new.py', reference='https://example.org/x')\na = 1\n"
    )
    child = tmp_path / "child.yaml"
    child.write_text("_base_: [old.py]\nb: 2\n")
    with pytest.warns(DeprecationWarning, match=r"old.py is deprecated; use new.py instead"):
        cfg = Config.fromfile(child)
    assert cfg.to_dict() == {"a": 1, "b": 2}


def test_a_class_defined_in_a_python_config_stays_a_value(tmp_path: Path) -> None:
    path = tmp_path / "cfg.py"
    path.write_text(
        "class Local:\n    def __init__(self, x=1):\n        self.x = x\n\n"
        "def helper():\n    return 1\n\n"
        "model = dict(type=Local, x=3)\n"
    )
    cfg = Config.fromfile(path)
    assert "helper" not in cfg  # functions and modules go, as in MMEngine
    assert isinstance(cfg["Local"], type)  # classes stay
    assert cfg["model"]["type"] is cfg["Local"]
    from container import Registry

    assert Registry("local", scope="py-cfg").build(cfg["model"]).x == 3
