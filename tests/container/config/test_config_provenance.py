"""Provenance: cfg.source_of(key) names the file and line, or the override, that set a value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from container import ConfigError
from container.config import Config, Source

Write = Callable[[str, str], str]


@pytest.fixture
def chain(write: Write) -> str:
    write(
        "base.yaml",
        """
        optim_wrapper:
          optimizer:
            type: SGD
            lr: 0.1
            momentum: 0.9
        pipeline:
          - type: Load
          - {type: Resize, size: 224}
        sched: {type: Step, steps: [1, 2]}
        """,
    )
    write(
        "mid.py",
        """
        _base_ = 'base.yaml'
        optim_wrapper = dict(
            optimizer=dict(
                lr=0.01,
            ),
        )
        sched = dict(_delete_=True, type='Cosine')
        model = dict(type='Net')
        model['depth'] = 50
        head = _base_.sched
        head.steps = [3]
        """,
    )
    return write("top.json", '{\n  "_base_": "mid.py",\n  "model": {\n    "depth": 101\n  }\n}\n')


def where(cfg: Config, key: str) -> str:
    source = cfg.source_of(key)
    assert source is not None
    name, _, line = str(source).rpartition("/")[2].partition(":")
    return f"{name}:{line}"


def test_source_of_names_file_and_line(chain: str) -> None:
    cfg = Config.fromfile(chain)
    assert where(cfg, "optim_wrapper.optimizer.lr") == "mid.py:4"
    assert where(cfg, "optim_wrapper.optimizer.momentum") == "base.yaml:5"
    assert where(cfg, "optim_wrapper.optimizer.type") == "base.yaml:3"
    assert where(cfg, "pipeline.1.size") == "base.yaml:8"
    assert where(cfg, "pipeline.0") == "base.yaml:7"
    assert where(cfg, "model.type") == "mid.py:8"
    assert where(cfg, "model.depth") == "top.json:4"
    assert where(cfg, "head.steps") == "mid.py:11"
    assert where(cfg, "head.type") == "mid.py:10"


def test_replaced_subtree_forgets_the_base_lines(chain: str) -> None:
    cfg = Config.fromfile(chain)
    assert where(cfg, "sched.type") == "mid.py:7"
    assert where(cfg, "sched") == "mid.py:7"


def test_overrides_are_named(chain: str) -> None:
    cfg = Config.fromfile(chain, cfg_options=["optim_wrapper.optimizer.lr=0.5", "+extra={a: 1}"])
    assert str(cfg.source_of("optim_wrapper.optimizer.lr")) == (
        "--cfg-options optim_wrapper.optimizer.lr=0.5"
    )
    assert str(cfg.source_of("extra.a")) == "--cfg-options +extra={a: 1}"
    cfg.merge_from_dict({"pipeline.1.size": 10})
    assert str(cfg.source_of("pipeline.1.size")) == "merge_from_dict pipeline.1.size=10"
    assert where(cfg, "pipeline.1.type") == "base.yaml:8"


def test_override_of_a_dict_drops_the_old_lines(chain: str) -> None:
    cfg = Config.fromfile(chain, cfg_options=["optim_wrapper.optimizer={type: Adam, lr: 1}"])
    assert str(cfg.source_of("optim_wrapper.optimizer.lr")).startswith("--cfg-options")


def test_source_is_a_frozen_value() -> None:
    assert str(Source("a.yaml", 3)) == "a.yaml:3"
    assert str(Source("a.json")) == "a.json"
    assert str(Source("--cfg-options", detail="a=1")) == "--cfg-options a=1"
    assert Source("a.yaml", 3) == Source("a.yaml", 3)


def test_unknown_key_and_unknown_source() -> None:
    cfg = Config({"a": {"depth": 1}})
    assert cfg.source_of("a.depth") is None
    with pytest.raises(ConfigError, match=r"a\.dept: unknown key; did you mean 'a\.depth'"):
        cfg.source_of("a.dept")


def test_errors_about_a_value_use_its_source(write: Write) -> None:
    path = write("c.yaml", "a: 1\ncustom_imports:\n  imports: [os, no_such_mod_xyz]\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    assert info.value.source is not None
    assert info.value.source.endswith("c.yaml:3")
    assert info.value.config_path == "custom_imports.imports.1"


def test_python_lines_for_nested_literals_and_tuples(write: Write) -> None:
    path = write(
        "c.py",
        """
        a, b = 1, {'k': [
            10,
            dict(x=1),
        ]}
        if True:
            c = 3
        """,
    )
    cfg = Config.fromfile(path)
    assert where(cfg, "a") == "c.py:1"
    assert where(cfg, "b.k.1.x") == "c.py:3"
    assert where(cfg, "c") == "c.py:6"


def test_python_lines_for_annotated_augmented_and_dynamic_assignments(write: Write) -> None:
    path = write(
        "c.py",
        """
        lr: float = 0.1
        steps = [1]
        steps += [2]
        model = dict(depth=1)
        name = 'depth'
        model[name] = 2
        """,
    )
    cfg = Config.fromfile(path)
    assert where(cfg, "lr") == "c.py:1"
    assert where(cfg, "steps") == "c.py:3"
    assert where(cfg, "model.depth") == "c.py:4"  # a computed key keeps the dict's line


def test_merge_from_dict_records_only_the_keys_it_writes(write: Write) -> None:
    path = write("base.yaml", "optim_wrapper:\n  optimizer: {type: SGD, lr: 0.1}\np: [1, 2]\n")
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({"optim_wrapper.optimizer": {"lr": 0.5}, "p": {"1": 3}})
    assert where(cfg, "optim_wrapper.optimizer.type") == "base.yaml:2"
    assert where(cfg, "optim_wrapper.optimizer") == "base.yaml:2"
    assert str(cfg.source_of("optim_wrapper.optimizer.lr")) == (
        "merge_from_dict optim_wrapper.optimizer={'lr': 0.5}"
    )
    assert where(cfg, "p.0") == "base.yaml:3"
    assert str(cfg.source_of("p.1")) == "merge_from_dict p={'1': 3}"
