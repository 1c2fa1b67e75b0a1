"""Config reads like MMEngine's: attribute and item access, iteration, copies, pickling."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from container import ConfigError
from container.config import Config, ConfigDict

Write = Callable[[str, str], str]


def test_mapping_interface() -> None:
    cfg = Config({"model": {"depth": 50}, "lr": 0.1})
    assert cfg.model.depth == 50
    assert cfg["model"]["depth"] == 50
    assert cfg.get("lr") == 0.1
    assert cfg.get("missing", 3) == 3
    assert "model" in cfg
    assert "nope" not in cfg
    assert list(cfg) == ["model", "lr"]
    assert len(cfg) == 2
    assert dict(cfg.items())["lr"] == 0.1
    assert isinstance(cfg.model, ConfigDict)


def test_setting_and_deleting() -> None:
    cfg = Config()
    cfg.model = {"depth": 1}
    cfg["lr"] = 0.5
    assert cfg.model.depth == 1
    assert cfg.to_dict() == {"model": {"depth": 1}, "lr": 0.5}
    del cfg.model
    del cfg["lr"]
    assert len(cfg) == 0


def test_missing_attribute_suggests() -> None:
    cfg = Config({"optimizer": {}})
    with pytest.raises(AttributeError, match="did you mean 'optimizer'"):
        _ = cfg.optimzer


def test_filename(write: Write) -> None:
    path = write("c.yaml", "a: 1\n")
    assert Config.fromfile(path).filename == path
    assert Config.fromfile(Path(path)).filename == path
    assert Config({"a": 1}).filename is None
    assert Config.fromstring("a: 1", ".yaml").filename is None


def test_home_directory_is_expanded(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(write("home/c.yaml", "a: 1\n"))
    monkeypatch.setenv("HOME", str(path.parent))
    cfg = Config.fromfile("~/c.yaml")
    assert cfg.a == 1
    assert cfg.filename == "~/c.yaml"


def test_to_dict_is_plain() -> None:
    plain = Config({"a": {"b": [{"c": 1}]}}).to_dict()
    assert type(plain["a"]) is dict
    assert type(plain["a"]["b"][0]) is dict


@pytest.mark.parametrize("key", ["filename", "text", "pretty_text", "env_variables"])
def test_reserved_keys(key: str, write: Write) -> None:
    with pytest.raises(ConfigError, match=rf"{key}: is reserved"):
        Config({key: 1})
    with pytest.raises(ConfigError, match=rf"c\.yaml:1: {key}: is reserved"):
        Config.fromfile(write("c.yaml", f"{key}: 1\n"))


def test_reserved_keys_cannot_be_set() -> None:
    cfg = Config()
    with pytest.raises(ConfigError, match="filename: is reserved"):
        cfg.filename = "x"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="text: is reserved"):
        cfg["text"] = "x"


def test_reserved_key_message_says_config_uses_the_name() -> None:
    # Config has no attribute `text` or `env_variables`; MMEngine's Config has, so they stay
    with pytest.raises(ConfigError, match=r"^env_variables: is reserved: Config uses that name"):
        Config()["env_variables"] = {}


def test_not_a_mapping() -> None:
    with pytest.raises(TypeError, match="cfg_dict must be a dict"):
        Config([1, 2])  # type: ignore[arg-type]


def test_pickle_copy_and_deepcopy_keep_provenance(write: Write) -> None:
    cfg = Config.fromfile(write("c.yaml", "a:\n  b: [1, {c: 2}]\n"))
    for clone in (pickle.loads(pickle.dumps(cfg)), copy.deepcopy(cfg), copy.copy(cfg)):
        assert clone == cfg
        assert clone.filename == cfg.filename
        assert str(clone.source_of("a.b.1.c")).endswith("c.yaml:2")
    deep = copy.deepcopy(cfg)
    deep.a.b[1].c = 5
    assert cfg.a.b[1].c == 2


def test_repr_names_the_file(write: Write) -> None:
    path = write("c.yaml", "a: 1\n")
    assert repr(Config.fromfile(path)) == f"Config(path: {path}): {{'a': 1}}"


def test_equality_only_with_configs() -> None:
    assert Config({"a": 1}) == Config({"a": 1})
    assert Config({"a": 1}) != {"a": 1}


def test_import_container_config_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, container.config; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
