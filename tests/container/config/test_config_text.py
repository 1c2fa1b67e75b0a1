"""Text substitutions: predefined variables, environment variables and {{_base_.x}}."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from container import ConfigError
from container.config import Config

Write = Callable[[str, str], str]


def test_predefined_variables(write: Write) -> None:
    path = write(
        "configs/my-run.yaml",
        "dir: '{{fileDirname}}'\nname: '{{ fileBasename }}'\n"
        "stem: work_dirs/{{fileBasenameNoExtension}}\next: '{{fileExtname}}'\n",
    )
    cfg = Config.fromfile(path)
    assert cfg.dir == os.path.dirname(os.path.abspath(path))
    assert cfg.name == "my-run.yaml"
    assert cfg.stem == "work_dirs/my-run"
    assert cfg.ext == ".yaml"


def test_predefined_variables_can_be_turned_off(write: Write) -> None:
    path = write("c.py", "name = '{{fileBasename}}'\n")
    assert Config.fromfile(path, use_predefined_variables=False).name == "{{fileBasename}}"


def test_predefined_variable_in_a_string_config_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"<string>:2: \{\{fileDirname\}\} names the config fi"):
        Config.fromstring("a: 1\nb: '{{fileDirname}}'\n", ".yaml")


def test_environment_variables(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGWIRE_ROOT", "/datasets")
    monkeypatch.delenv("REGWIRE_CLASSES", raising=False)
    path = write(
        "c.py",
        "root = '{{$REGWIRE_ROOT:/default}}/coco'\n"
        "classes = {{'$REGWIRE_CLASSES:80'}}\n"
        'other = {{"$REGWIRE_CLASSES:3"}}\n',
    )
    cfg = Config.fromfile(path)
    assert cfg.root == "/datasets/coco"
    assert cfg.classes == 80
    assert cfg.other == 3
    monkeypatch.setenv("REGWIRE_CLASSES", "20")
    assert Config.fromfile(path).classes == 20


def test_environment_variable_in_yaml_is_typed(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGWIRE_LR", "1e-3")
    assert Config.fromfile(write("c.yaml", "lr: {{$REGWIRE_LR:0.1}}\n")).lr == 0.001


def test_unset_variable_without_default_names_it(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGWIRE_UNSET", raising=False)
    path = write("c.yaml", "a: 1\nroot: '{{$REGWIRE_UNSET}}'\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:2: environment variable 'REGWIRE_UNSET' is n"):
        Config.fromfile(path)
    assert Config.fromfile(path, use_environment_variables=False).root == "{{$REGWIRE_UNSET}}"


def test_base_reference_in_every_format(write: Write) -> None:
    write("base.py", "model = dict(num_classes=80, scales=(1, 2))\nname = 'coco'\n")
    py = write("a.py", "_base_ = 'base.py'\nn = {{_base_.model.num_classes}}\n")
    yml = write("a.yaml", "_base_: base.py\nn: {{ _base_.model.num_classes }}\n")
    js = write("a.json", '{"_base_": "base.py", "n": {{_base_.model.num_classes}}}')
    for path in (py, yml, js):
        assert Config.fromfile(path).n == 80
    scales = write("s.yaml", "_base_: base.py\ns: {{_base_.model.scales}}\nt: {{_base_.model}}\n")
    cfg = Config.fromfile(scales)
    assert cfg.s == (1, 2)
    assert cfg.t == {"num_classes": 80, "scales": (1, 2)}


def test_base_reference_inside_a_longer_string(write: Write) -> None:
    write("base.yaml", "name: coco\n")
    path = write("a.yaml", "_base_: base.yaml\nwork_dir: runs/{{_base_.name}}/x\n")
    assert Config.fromfile(path).work_dir == "runs/coco/x"


def test_base_reference_to_a_missing_key(write: Write) -> None:
    write("base.yaml", "model: {num_classes: 80}\n")
    path = write("a.yaml", "_base_: base.yaml\nx: 1\nn: {{_base_.model.num_clases}}\n")
    with pytest.raises(
        ConfigError,
        match=r"a\.yaml:3: \{\{_base_\.model\.num_clases\}\} names nothing .*did you mean "
        r"'model\.num_classes'",
    ):
        Config.fromfile(path)
