"""Loading files: the three formats, _base_ inheritance, Python configs and custom_imports."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from container import ConfigError
from container.config import Config

Write = Callable[[str, str], str]


def test_three_formats_give_the_same_dict(write: Write) -> None:
    expected = {"model": {"type": "ResNet", "depth": 50, "out": [1, 2]}, "lr": 0.1}
    py = write("a.py", "model = dict(type='ResNet', depth=50, out=[1, 2])\nlr = 0.1\n")
    yml = write("a.yaml", "model: {type: ResNet, depth: 50, out: [1, 2]}\nlr: 0.1\n")
    yml2 = write("b.yml", "model: {type: ResNet, depth: 50, out: [1, 2]}\nlr: 0.1\n")
    js = write("a.json", '{"model": {"type": "ResNet", "depth": 50, "out": [1, 2]}, "lr": 0.1}')
    for path in (py, yml, yml2, js):
        assert Config.fromfile(path).to_dict() == expected


def test_fromstring_in_each_format() -> None:
    assert Config.fromstring("a = dict(b=1)", ".py").a.b == 1
    assert Config.fromstring("a: {b: 1}", ".yaml").a.b == 1
    assert Config.fromstring("a: {b: 1}", "yml").a.b == 1
    assert Config.fromstring('{"a": {"b": 1}}', ".json").a.b == 1
    with pytest.raises(ConfigError, match=r"file_format must be one of .*, not '\.toml'"):
        Config.fromstring("a = 1", ".toml")


def test_unknown_extension_and_missing_file(write: Write, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"must end in \.py"):
        Config.fromfile(write("a.toml", "a = 1"))
    write("model.yaml", "a: 1\n")
    with pytest.raises(ConfigError, match=r"does not exist; did you mean 'model\.yaml'"):
        Config.fromfile(tmp_path / "modle.yaml")


def test_base_list_merges_in_order_then_the_file_over_them(write: Write) -> None:
    write("base/model.py", "model = dict(type='ResNet', depth=18, norm=dict(type='BN'))\n")
    write("base/sched.yaml", "optim: {type: SGD, lr: 0.1}\nepochs: 100\n")
    write("base/data.json", '{"pipeline": [{"type": "Load"}, {"type": "Flip"}]}')
    path = write(
        "configs/child.py",
        """
        _base_ = ['../base/model.py', '../base/sched.yaml', '../base/data.json']
        model = dict(depth=50, norm=dict(momentum=0.1))
        optim = dict(lr=0.01)
        pipeline = [dict(type='Load')]
        """,
    )
    cfg = Config.fromfile(path)
    assert list(cfg) == ["model", "optim", "epochs", "pipeline"]  # the order of the bases
    assert cfg.to_dict() == {
        "model": {"type": "ResNet", "depth": 50, "norm": {"type": "BN", "momentum": 0.1}},
        "optim": {"type": "SGD", "lr": 0.01},
        "epochs": 100,
        "pipeline": [{"type": "Load"}],  # lists are replaced, not merged
    }


def test_base_as_a_single_path_in_yaml(write: Write) -> None:
    write("base.py", "a = dict(b=1, c=2)\n")
    path = write("child.yaml", "_base_: ./base.py\na: {c: 3}\n")
    cfg = Config.fromfile(path)
    assert cfg.to_dict() == {"a": {"b": 1, "c": 3}}
    assert "_base_" not in cfg


def test_chain_of_three_files(write: Write) -> None:
    write("a.yaml", "x: {a: 1}\n")
    write("b.py", "_base_ = 'a.yaml'\nx = dict(b=2)\n")
    path = write("c.json", '{"_base_": "b.py", "x": {"c": 3}}')
    assert Config.fromfile(path).x == {"a": 1, "b": 2, "c": 3}


def test_same_key_in_two_sibling_bases_is_an_error(write: Write) -> None:
    write("one.yaml", "model: {a: 1}\n")
    write("two.py", "model = dict(b=2)\n")
    path = write("child.py", "_base_ = ['one.yaml', 'two.py']\n")
    with pytest.raises(ConfigError, match=r"child\.py:1: _base_: key 'model' is set by two sibl"):
        Config.fromfile(path)


def test_cycle_of_bases_names_the_files(write: Write) -> None:
    write("a.py", "_base_ = 'b.yaml'\nx = 1\n")
    write("b.yaml", "_base_: c.json\ny: 2\n")
    write("c.json", '{"_base_": "a.py", "z": 3}')
    with pytest.raises(ConfigError, match=r"cycle: .*a\.py -> .*b\.yaml -> .*c\.json -> .*a\.py"):
        Config.fromfile(write("top.py", "_base_ = 'a.py'\n"))


def test_file_that_inherits_itself(write: Write) -> None:
    path = write("self.yaml", "_base_: self.yaml\n")
    with pytest.raises(ConfigError, match=r"cycle"):
        Config.fromfile(path)


def test_missing_base_names_the_including_file_and_line(write: Write) -> None:
    path = write("child.yaml", "a: 1\n_base_: [nope.yaml]\n")
    with pytest.raises(ConfigError, match=r"child\.yaml:2: config file .*nope\.yaml' does not ex"):
        Config.fromfile(path)


@pytest.mark.parametrize("bad", ["3", "[1, 2]", "{a: b}"])
def test_base_must_be_paths(write: Write, bad: str) -> None:
    with pytest.raises(ConfigError, match=r"_base_ must be a path or a list of paths"):
        Config.fromfile(write("c.yaml", f"_base_: {bad}\n"))


def test_python_base_must_be_a_literal(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"c\.py:1: _base_: _base_ must be a literal"):
        Config.fromfile(write("c.py", "_base_ = ['a' + name]\n"))


def test_package_bases_are_not_supported(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"bases from other packages"):
        Config.fromfile(write("c.py", "_base_ = 'mmdet::faster_rcnn/x.py'\n"))


def test_delete_replaces_the_inherited_dict(write: Write) -> None:
    write("base.py", "optim = dict(type='SGD', lr=0.1, momentum=0.9)\n")
    path = write("child.yaml", "_base_: base.py\noptim: {_delete_: true, type: Adam, lr: 0.001}\n")
    assert Config.fromfile(path).optim == {"type": "Adam", "lr": 0.001}


def test_delete_false_merges_and_never_leaks(write: Write) -> None:
    write("base.py", "optim = dict(type='SGD', lr=0.1)\n")
    path = write(
        "child.py",
        """
        _base_ = 'base.py'
        optim = dict(_delete_=False, lr=0.2)
        new = dict(_delete_=True, a=dict(_delete_=True, b=1), items=[dict(_delete_=True, c=2)])
        """,
    )
    cfg = Config.fromfile(path)
    assert cfg.optim == {"type": "SGD", "lr": 0.2}
    # a key the bases lack: _delete_ does not leak into the result, at any depth
    assert cfg.new == {"a": {"b": 1}, "items": [{"c": 2}]}


def test_dict_over_a_scalar_replaces_it(write: Write) -> None:
    write("base.py", "init_cfg = None\nsched = [dict(type='A')]\n")
    path = write("child.py", "_base_ = 'base.py'\ninit_cfg = dict(type='X')\nsched = dict(t=1)\n")
    cfg = Config.fromfile(path)
    assert cfg.init_cfg == {"type": "X"}
    assert cfg.sched == {"t": 1}


def test_python_config_drops_modules_functions_and_dunders(write: Write) -> None:
    path = write(
        "c.py",
        """
        import os
        import os.path as osp
        from math import pi, sqrt
        from collections import OrderedDict

        __version__ = '1.0'
        root = osp.join('data', 'coco')
        half = pi / 2
        _private = 1

        def helper(x):
            return x * 2

        doubled = helper(2)
        kind = OrderedDict
        """,
    )
    cfg = Config.fromfile(path)
    # as in MMEngine, imported values that are not modules or functions (pi, a class) stay
    assert set(cfg) == {"pi", "OrderedDict", "root", "half", "_private", "doubled", "kind"}
    assert cfg.root == "data/coco"
    assert cfg.doubled == 4


def test_base_expressions_in_python_configs(write: Write) -> None:
    write("base.py", "model = dict(depth=18, heads=[dict(n=1)])\nlr = 0.1\n")
    path = write(
        "child.py",
        """
        _base_ = 'base.py'
        lr = _base_.lr * 10
        depth = _base_.model.depth
        heads = _base_.model.heads + [dict(n=2)]
        """,
    )
    cfg = Config.fromfile(path)
    assert cfg.lr == 1.0
    assert cfg.depth == 18
    assert cfg.heads == [{"n": 1}, {"n": 2}]
    cfg.heads[0].n = 5
    assert cfg.model.heads[0].n == 1  # loading leaves no two keys sharing one dict


def test_python_without_bases_sees_an_empty_base(write: Write) -> None:
    assert Config.fromfile(write("c.py", "n = len(_base_)\n")).n == 0


def test_python_syntax_error_names_file_and_line(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"c\.py:2: invalid Python"):
        Config.fromfile(write("c.py", "a = 1\nb = dict(\n"))


def test_python_runtime_error_names_file_and_line(write: Write) -> None:
    path = write("c.py", "a = 1\nb = undefined_name + 1\n")
    with pytest.raises(ConfigError, match=r"c\.py:2: the Python config raised NameError") as info:
        Config.fromfile(path)
    assert isinstance(info.value.__cause__, NameError)
    assert info.value.source is not None
    assert info.value.source.endswith("c.py:2")


def test_json_syntax_error_and_duplicate_key(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"bad\.json:2: invalid JSON"):
        Config.fromfile(write("bad.json", '{"a": 1,\n "b": }\n'))
    with pytest.raises(ConfigError, match=r"dup\.json:3: x: key 'x' is given twice"):
        Config.fromfile(write("dup.json", '{\n  "x": 1,\n  "x": 2\n}\n'))


def test_json_duplicate_found_even_when_not_yaml(write: Write) -> None:
    # a key over 1024 characters is fine JSON but not YAML: only the JSON check sees this one
    key = "x" * 1100
    with pytest.raises(ConfigError, match=r"dup\.json: key 'x+' is given twice"):
        Config.fromfile(write("dup.json", f'{{"{key}": 1, "{key}": 2}}'))


def test_custom_imports_are_imported(write: Write, tmp_path: Path) -> None:
    write("regwire_test_plugin_a.py", "LOADED = True\n")
    sys.path.insert(0, str(tmp_path))
    try:
        path = write("c.yaml", "custom_imports: {imports: [regwire_test_plugin_a]}\n")
        Config.fromfile(path)
        assert "regwire_test_plugin_a" in sys.modules
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("regwire_test_plugin_a", None)


def test_failed_custom_import_names_module_and_key(write: Write) -> None:
    path = write("c.py", "custom_imports = dict(\n    imports=['os', 'no_such_module_xyz'])\n")
    with pytest.raises(
        ConfigError,
        match=r"c\.py:2: custom_imports\.imports\.1: cannot import module 'no_such_module_xyz'",
    ):
        Config.fromfile(path)
    # not imported when asked not to
    assert Config.fromfile(path, import_custom_modules=False).custom_imports.imports[0] == "os"


def test_allowed_failed_import_warns(write: Write) -> None:
    path = write(
        "c.yaml", "custom_imports: {imports: no_such_module_xyz, allow_failed_imports: true}\n"
    )
    with pytest.warns(UserWarning, match="no_such_module_xyz' failed to import"):
        Config.fromfile(path)


@pytest.mark.parametrize("bad", ["custom_imports: [a]", "custom_imports: {imports: [1]}"])
def test_malformed_custom_imports(write: Write, bad: str) -> None:
    with pytest.raises(ConfigError, match=r"custom_imports"):
        Config.fromfile(write("c.yaml", bad + "\n"))


def test_json_duplicate_outside_yaml_names_the_object(write: Write) -> None:
    key = "x" * 1100  # not YAML (a key over 1024 characters): only the JSON parse reads it
    text = f'{{"a": [{{"b": {{"{key}": 1, "{key}": 2}}}}]}}'
    with pytest.raises(ConfigError, match=r"dup\.json: a\.0\.b: key 'x+' is given twice") as info:
        Config.fromfile(write("dup.json", text))
    assert info.value.config_path == "a.0.b"


def test_json_that_yaml_rejects_still_loads(write: Write) -> None:
    # YAML has no surrogate-pair escapes; JSON spells characters outside the BMP with them
    path = write("emoji.json", '{\n  "s": "\\ud83d\\ude00",\n  "n": NaN\n}\n')
    cfg = Config.fromfile(path)
    assert cfg.s == "\U0001f600"
    assert cfg.n != cfg.n  # NaN, as JSON reads it


def test_json_that_only_yaml_accepts_is_rejected(write: Write) -> None:
    for name, text in [("comma", '{"a": [1, 2,]}'), ("comment", '{"a": 1} # c')]:
        with pytest.raises(ConfigError, match=rf"{name}\.json:1: invalid JSON"):
            Config.fromfile(write(f"{name}.json", text))


def test_allow_failed_imports_must_be_a_bool(write: Write) -> None:
    path = write("c.yaml", "custom_imports: {imports: [json], allow_failed_imports: 'no'}\n")
    match = r"c\.yaml:1: custom_imports\.allow_failed_imports: must be true or false, not 'no'"
    with pytest.raises(ConfigError, match=match):
        Config.fromfile(path)
