"""Hostile and broken input: every loader and override problem is a located ConfigError.

Each case here once escaped as another exception (a traceback, exit 1), or was silently read
as a wrong value. Each error names the file and line, and the key where there is one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from container import ConfigError
from container.config import Config

Write = Callable[[str, str], str]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a: !!int x\n", r"c\.yaml:1: a: cannot read 'x' as !!int: not an integer"),
        ("a: 1\nb: !!int 0x\n", r"c\.yaml:2: b: cannot read '0x' as !!int"),
        ("a: !!float x\n", r"c\.yaml:1: a: cannot read 'x' as !!float: not a number"),
        ("a: !!float ''\n", r"c\.yaml:1: a: cannot read '' as !!float"),
        ("a: {b: !!timestamp ''}\n", r"c\.yaml:1: a\.b: cannot read '' as !!timestamp: not a"),
        ("a: !!timestamp 2020-13-45\n", r"c\.yaml:1: a: cannot read .* month must be in 1\.\.12"),
        # these were read as False, None and b'' without a word
        ("a: !!bool x\n", r"c\.yaml:1: a: cannot read 'x' as !!bool: not true or false"),
        ("a: !!null x\n", r"c\.yaml:1: a: cannot read 'x' as !!null: not null"),
        ("a: !!binary '@@'\n", r"c\.yaml:1: a: cannot read '@@' as !!binary"),
        ("!!int x\n", r"c\.yaml:1: cannot read 'x' as !!int"),
        ("a: [1, !!set {[1]: 2}]\n", r"c\.yaml:1: invalid YAML: found unhashable key"),
        ("? !!set {a: 1}\n: 1\n", r"c\.yaml:1: a mapping key must be a plain value"),
        ("a:\n  ? !!set {a: 1}\n  : 1\n", r"c\.yaml:2: a: a mapping key must be a plain value"),
        ("a: !!omap [1, 2]\n", r"c\.yaml:1: invalid YAML: expected a mapping of length 1"),
        ("a: !!pairs [{x: 1, y: 2}]\n", r"c\.yaml:1: invalid YAML: expected a single mapping"),
        ("a:\n  <<: 1\n", r"c\.yaml:2: invalid YAML: expected a mapping or list of mappings"),
        ("a: &a {<<: *a, b: 1}\n", r"c\.yaml:1: a: a merge key \(<<\) merges a mapping into"),
        ("a: 1\nb: x\x00\n", r"^\S+c\.yaml:2: invalid YAML: unacceptable character #x0000"),
        ("é: 1\nb: x\x01\n", r"c\.yaml:2: invalid YAML: unacceptable character #x0001"),
    ],
)
def test_yaml_values_a_tag_cannot_read(write: Write, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        Config.fromfile(write("c.yaml", text))
    assert "\n" not in str(info.value)


def test_explicit_tags_still_read_what_they_can(write: Write) -> None:
    text = (
        "a: !!int '12'\nb: !!bool 'True'\nc: !!null ''\nd: !!binary aGVs\n  bG8=\n"
        "e: !!timestamp 2001-12-14\nf: !!set {x}\ng: !!pairs [{x: 1}]\n"
    )
    cfg = Config.fromfile(write("c.yaml", text))
    assert (cfg.a, cfg.b, cfg.c, cfg.d) == (12, True, None, b"hello")
    assert str(cfg.e) == "2001-12-14"
    assert (cfg.f, cfg.g) == ({"x"}, [("x", 1)])


@pytest.mark.parametrize("name", ["c.yaml", "c.json", "c.py"])
def test_bom_and_crlf_are_read(tmp_path: Path, name: str) -> None:
    text = {"c.yaml": "a: 1\nb: [1, 2]\n", "c.json": '{"a": 1,\n "b": [1, 2]}\n'}.get(
        name, "a = 1\nb = [1, 2]\n"
    )
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    cfg = Config.fromfile(path)
    assert cfg.to_dict() == {"a": 1, "b": [1, 2]}
    assert str(cfg.source_of("b")) == f"{path}:2"


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:2: cannot read .*byte 0xe9 is not UTF-8"):
        Config.fromfile(path)


@pytest.fixture
def undecodable_variable() -> Iterator[str]:
    """An environment variable whose bytes are not UTF-8 (Python holds them as surrogates)."""
    name = "REGWIRE_TEST_NOT_UTF8"
    os.environb[name.encode()] = b"caf\xe9"
    yield name
    del os.environb[name.encode()]


def test_a_variable_that_is_not_utf8_is_refused(write: Write, undecodable_variable: str) -> None:
    path = write("c.yaml", f"a: 1\nb: '{{{{${undecodable_variable}}}}}'\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:2: invalid YAML: .* lone surrogate"):
        Config.fromfile(path)
    with pytest.raises(ConfigError, match=r"cannot read the value .* lone surrogate"):
        Config.fromfile(write("d.yaml", "a: 1\n"), cfg_options=["a=\udce9"])


def test_strings_yaml_and_json_cannot_hold_are_refused_on_dump(
    write: Write, tmp_path: Path
) -> None:
    cfg = Config.fromfile(write("c.json", '{"a": {"b": "\\ud800"}}'))
    assert cfg.pretty_text == "a = dict(b='\\ud800')\n"  # Python text escapes it
    for extension in (".yaml", ".json"):
        with pytest.raises(ConfigError, match=r"^a\.b: '\\ud800' is not a Unicode character"):
            cfg.dump(tmp_path / f"out{extension}")
        assert not (tmp_path / f"out{extension}").exists()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("return 1\n", r"c\.py:1: invalid Python: 'return' outside function"),
        ("_base_ = {[1]: 2}\n", r"c\.py:1: _base_: _base_ must be a literal path"),
        ("a = " + "1 + " * 100_000 + "1\n", r"c\.py: invalid Python: the code nests too deep"),
        ("a = " + "-" * 100_000 + "1\n", r"c\.py: invalid Python: the code nests too deep"),
    ],
)
def test_python_configs_the_parser_or_compiler_rejects(write: Write, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Config.fromfile(write("c.py", text))


def test_python_config_values_too_long_to_print(write: Write) -> None:
    cfg = Config.fromfile(write("c.py", "a = dict(b=10 ** 5000)\n"))
    with pytest.raises(ConfigError, match=r"^a\.b: cannot write an integer of 16,610 bits"):
        cfg.pretty_text  # noqa: B018


@pytest.mark.parametrize("name", ["", ".x", "a..b", "os path"])
def test_custom_imports_that_are_not_module_names(write: Write, name: str) -> None:
    path = write("c.yaml", f"custom_imports:\n  imports: ['{name}']\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:2: custom_imports\.imports\.0: .* is not a"):
        Config.fromfile(path)


def test_text_that_looks_like_a_base_reference_stays_text(write: Write) -> None:
    write("base.yaml", "a: 1\n")
    path = write("c.yaml", "_base_: base.yaml\nb: '{{_base_.a}}'\nc: __regwire_base_ref_7__\n")
    assert Config.fromfile(path).to_dict() == {"a": 1, "b": 1, "c": "__regwire_base_ref_7__"}


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ("a=!!int x", r"^--cfg-options a=!!int x: a: cannot read the value '!!int x': cannot re"),
        ("a=!!bool x", r"cannot read 'x' as !!bool: not true or false"),
        ("a=!!float ", r"cannot read '' as !!float: not a number"),
        ("a=!!timestamp ''", r"cannot read '' as !!timestamp"),
        ("a=!!binary '@'", r"cannot read '@' as !!binary"),
        ("b.c=[1, !!int x]", r"^--cfg-options b\.c=\[1, !!int x\]: b\.c\.1: cannot read the v"),
        ("a={x: 1, x: 2}", r"a\.x: cannot read the value .* key 'x' is given twice"),
        ("a={? [1]: 2}", r"a: cannot read the value .* a mapping key must be a plain value"),
        ("a=&x [*x]", r"a\.0: cannot read the value .* alias refers to a collection"),
        ("a=" + "9" * 5000, r"a: cannot read the value .* at most 1000 digits"),
        ("+filename=1", r"filename: is reserved: Config uses that name"),
        ("+env_variables=1", r"env_variables: is reserved"),
        ("+_base_=x.yaml", r"_base_: '_base_' names the files a config inherits"),
        ("+b._delete_=true", r"b\._delete_: '_delete_' is an instruction to merging"),
        ("~b._delete_", r"b\._delete_: '_delete_' is an instruction"),
        ("+b.=1", r"malformed key 'b\.': a dotted key cannot be empty or have an empty part"),
        ("+.a=1", r"malformed key '\.a'"),
        ("a..b=1", r"malformed key 'a\.\.b'"),
        ("+=1", r"malformed key ''"),
        ("~", r"malformed key ''"),
        ("b.c.0=[[1]]", None),
    ],
)
def test_overrides(write: Write, option: str, match: str | None) -> None:
    path = write("c.yaml", "a: 1\nb: {c: [1]}\n")
    if match is None:
        assert Config.fromfile(path, cfg_options=[option]).b.c == [[[1]]]
        return
    with pytest.raises(ConfigError, match=match) as info:
        Config.fromfile(path, cfg_options=[option])
    assert info.value.source == f"--cfg-options {option}"


def test_delete_in_an_override_value_never_reaches_the_config(write: Write) -> None:
    cfg = Config.fromfile(write("c.yaml", "b: {c: 1}\n"), cfg_options=["b={_delete_: true, d: 2}"])
    assert cfg.to_dict() == {"b": {"d": 2}}


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"_delete_": {}}, r"^merge_from_dict _delete_=\{\}: _delete_: '_delete_' is an instr"),
        ({"b._delete_": True}, r"b\._delete_: '_delete_' is an instruction"),
        ({"filename": 1}, r"filename: is reserved"),
        ({"_base_": "x.yaml"}, r"_base_: '_base_' names the files"),
        ({"b.c": {"--1": 5}}, None),  # not an index: a dict replaces the list
        ({"b.c": {"²": 5}}, None),
        ({"b.c": {"9" * 30: 5}}, r"b\.c\.99999999999999999999\.\.\.: list index 9+\.\.\. out of"),
        ({"b.c": {"9" * 5000: 5}}, r"list index 9+\.\.\. out of range"),
        ({"x": 10**5000}, None),
    ],
)
def test_merge_from_dict(write: Write, options: dict[str, Any], match: str | None) -> None:
    cfg = Config.fromfile(write("c.yaml", "a: 1\nb: {c: [1]}\n"))
    if match is None:
        cfg.merge_from_dict(options)
        return
    with pytest.raises(ConfigError, match=match):
        cfg.merge_from_dict(options)


def test_control_characters_in_keys_and_overrides_keep_a_message_on_one_line(
    write: Write,
) -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml:1: a\\nb: cannot read 'x' as !!int") as info:
        Config.fromfile(write("c.yaml", '"a\\nb": !!int x\n'))
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=r"^--cfg-options a\\nb=1: a\\nb: unknown key$"):
        Config.fromfile(write("d.yaml", "a: 1\n"), cfg_options=["a\nb=1"])
