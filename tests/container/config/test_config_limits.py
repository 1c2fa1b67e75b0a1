"""The input limits (``container.config.MAX_*``): each refused with a located ConfigError.

Alias bombs and reference bombs stop at a budget instead of running for minutes; nesting and
integer size are limited alike in YAML, JSON, Python values and overrides; only regular files
under a size limit are read, and one load reads a bounded number of files and bytes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from container import ConfigError
from container.config import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_LOAD_FILES,
    Config,
)

Write = Callable[[str, str], str]


def _bomb(width: int = 9, levels: int = 9, merge: bool = False) -> str:
    """Aliases of aliases: ``width ** levels`` values, spelled in under 1 KB."""
    items = ", ".join(f"k{i}: x" for i in range(width)) if merge else ", ".join(["x"] * width)
    lines = [f"l0: &l0 {{{items}}}" if merge else f"l0: &l0 [{items}]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} " + (f"{{<<: [{refs}]}}" if merge else f"[{refs}]"))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (_bomb(), r"c\.yaml:\d+: l\d(\.\d+)+: aliases or \{\{_base_\}\} references expand to more"),
        (_bomb(merge=True), r"c\.yaml:\d+: l\d: merge keys \(<<\) bring [\d,]+ entries"),
        (  # the same bomb, inside a value PyYAML's own constructors build
            "z: !!pairs ["
            + ", ".join(f"[{line.replace(':', ',', 1)}]" for line in _bomb().split("\n")[:-1])
            + "]\n",
            r"c\.yaml:1: z: aliases .* expand to more than 100,000 values",
        ),
        (  # nested merges whose pairs multiply before anything is built
            "z: " + "{<<: [" * 9 + "{x: 1}" + "]}" * 9 + "\n",
            None,
        ),
        (
            "s: &s " + "x" * 100_000 + "\nl: [" + ", ".join(["*s"] * 200) + "]\n",
            r"c\.yaml:1: l\.\d+: .* more than 16,777,216 characters",  # where &s is
        ),
    ],
)
def test_alias_bombs_stop_at_the_budget(write: Write, text: str, match: str | None) -> None:
    start = time.perf_counter()
    if match is None:
        assert Config.fromfile(write("c.yaml", text)).z == {"x": 1}
    else:
        with pytest.raises(ConfigError, match=match):
            Config.fromfile(write("c.yaml", text))
    assert time.perf_counter() - start < 5  # once: 110 s and 4.45 GiB


def test_aliases_within_the_budget_are_expanded(write: Write) -> None:
    cfg = Config.fromfile(write("c.yaml", _bomb(width=4, levels=6)))  # 29,000 values in all
    assert len(cfg.l6) == 4
    assert cfg.l6[3][3][3][3][3][3] == ["x"] * 4
    with pytest.raises(ConfigError, match=rf"more than {MAX_ALIAS_VALUES:,} values"):
        Config.fromfile(write("c.yaml", _bomb(width=4, levels=7)))  # 116,000


def test_base_references_count_like_aliases(write: Write) -> None:
    write("base.yaml", "big: [" + ", ".join(["1"] * 1000) + "]\n")
    refs = ", ".join(["'{{_base_.big}}'"] * 101)
    with pytest.raises(ConfigError, match=r"c\.yaml:2: aliases or \{\{_base_\}\} references"):
        Config.fromfile(write("c.yaml", f"_base_: base.yaml\nx: [{refs}]\n"))


def test_environment_defaults_are_read_in_linear_time(write: Write) -> None:
    start = time.perf_counter()  # "{{$A:" and 1,000 spaces once took 73 s
    cfg = Config.fromfile(write("c.yaml", "a: '{{$REGWIRE_UNSET:" + " " * 100_000 + "x'\n"))
    assert cfg.a.startswith("{{$REGWIRE_UNSET:")
    assert Config.fromstring("a: '{{ $REGWIRE_UNSET :  7  }}'", ".yaml").a == "7"
    assert time.perf_counter() - start < 2


def _nested(depth: int, leaf: str = "1") -> str:
    """A value inside ``depth`` lists, in flow YAML and JSON alike."""
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize("name", ["c.yaml", "c.json", "c.py"])
def test_nesting_depth(write: Write, name: str) -> None:
    # the top-level mapping counts: a value in MAX_DEPTH - 1 lists is at the limit
    fits, deep = _nested(MAX_DEPTH - 1), _nested(MAX_DEPTH)
    text = {"c.yaml": "a: {}\n", "c.json": '{{"a": {}}}', "c.py": "a = {}\n"}[name]
    assert Config.fromfile(write(name, text.format(fits))).a[0] is not None
    with pytest.raises(ConfigError, match=rf"{name}(:1)?: a(\.0)+: nested deeper than 100"):
        Config.fromfile(write(name, text.format(deep)))


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_json_and_yaml(write: Write, depth: int) -> None:
    with pytest.raises(ConfigError, match=r"c\.json(:1)?: (a(\.0)+: )?nested deeper than 100"):
        Config.fromfile(write("c.json", '{"a": ' + _nested(depth) + "}"))
    with pytest.raises(ConfigError, match=r"c\.yaml:1: (a(\.0)+: nested deeper|invalid YAML)"):
        Config.fromfile(write("c.yaml", "a: " + _nested(depth) + "\n"))


def test_python_values_nested_deeper_or_in_a_cycle(write: Write) -> None:
    with pytest.raises(ConfigError, match=r"c\.py:1: a(\.0)+: nested deeper than 100"):
        Config.fromfile(write("c.py", "a = []\na.append(a)\n"))


def test_nesting_depth_of_overrides_and_merge_from_dict(write: Write) -> None:
    cfg = Config.fromfile(write("c.yaml", "a: {b: 1}\n"))
    cfg.apply_overrides([f"a.b={_nested(MAX_DEPTH - 2)}"])  # the key's two levels count
    with pytest.raises(ConfigError, match=r"^--cfg-options a\.b=\[+.*: a\.b(\.0)+: cannot read"):
        cfg.apply_overrides([f"a.b={_nested(MAX_DEPTH - 1)}"])
    cfg.merge_from_dict({"a.b": json.loads(_nested(MAX_DEPTH - 2))})
    with pytest.raises(ConfigError, match=r"^merge_from_dict a\.b=.*: a\.b(\.0)+: nested deeper"):
        cfg.merge_from_dict({"a.b": json.loads(_nested(MAX_DEPTH - 1))})
    with pytest.raises(ConfigError, match=r"nested deeper than 100"):
        cfg.merge_from_dict({".".join(["x"] * (MAX_DEPTH + 1)): 1})
    assert "x" not in cfg  # refused before any dict was made on the way


@pytest.mark.parametrize("name", ["c.yaml", "c.json"])
def test_integer_digits(write: Write, name: str) -> None:
    text = "a: {}\n" if name == "c.yaml" else '{{"a": {}}}'
    assert Config.fromfile(write(name, text.format("9" * MAX_INT_DIGITS))).a > 0
    with pytest.raises(ConfigError, match=r":1: a: .*at most 1000 digits .* not 5000"):
        Config.fromfile(write(name, text.format("-" + "9" * 5000)))


def test_json_integer_digits_when_yaml_cannot_read_the_file(write: Write) -> None:
    # YAML has no surrogate-pair escapes, so only the JSON parser reads this file
    text = '{"a": 1,\n "b": "\\ud83d\\ude00",\n "c": ' + "9" * 1001 + "}"
    with pytest.raises(ConfigError, match=r"c\.json:3: an integer may have at most 1000 digits"):
        Config.fromfile(write("c.json", text))


@pytest.mark.parametrize("text", ["0x" + "f" * 1001, "0o" + "7" * 1001, "1_" * 1000 + "1"])
def test_integer_digits_in_other_forms(write: Write, text: str) -> None:
    with pytest.raises(ConfigError, match=r"at most 1000 digits \(MAX_INT_DIGITS\), not 100[01]"):
        Config.fromfile(write("c.yaml", f"a: {text}\n"))


@pytest.fixture
def specials(tmp_path: Path) -> Path:
    """A FIFO, a link to /dev/zero and a directory, each with a config file's name."""
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "dir.yaml").mkdir()
    return tmp_path


@pytest.mark.parametrize("base", ["fifo.yaml", "zero.yaml", "dir.yaml"])
def test_only_regular_files_are_read(specials: Path, base: str) -> None:
    child = specials / "c.yaml"
    child.write_text(f"a: 1\n_base_: {base}\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"c\.yaml:2: config file '.*{base}' is not a regular"):
        Config.fromfile(child)  # a FIFO blocked forever, /dev/zero ended in MemoryError
    with pytest.raises(ConfigError, match=r"^config file .* is not a regular file"):
        Config.fromfile(specials / base)
    assert time.perf_counter() - start < 2


def test_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (tmp_path / "big.yaml").open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written
    (tmp_path / "c.yaml").write_text("_base_: big.yaml\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:1: config file .* has 16,777,217 bytes"):
        Config.fromfile(tmp_path / "c.yaml")
    # a file whose size stat does not know (as in /proc) is read only up to the limit
    monkeypatch.setattr("container.config._files.MAX_FILE_BYTES", 16)
    (tmp_path / "proc.yaml").symlink_to("/proc/self/status")
    with pytest.raises(ConfigError, match=r"has 17 bytes or more; .* at most 16 \(MAX_FILE"):
        Config.fromfile(tmp_path / "proc.yaml")


def test_a_fan_of_bases_is_refused(tmp_path: Path) -> None:
    for level in range(12):  # each file inherits the next one twice: 2**12 reads
        text = f"_base_: [f{level + 1}.yaml, f{level + 1}.yaml]\n" if level < 11 else "{}\n"
        (tmp_path / f"f{level}.yaml").write_text(text)
    with pytest.raises(ConfigError, match=rf"makes {MAX_LOAD_FILES + 1} files for one config"):
        Config.fromfile(tmp_path / "f0.yaml")


def test_bytes_read_by_one_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("container.config._files.MAX_LOAD_BYTES", 100)
    (tmp_path / "base.yaml").write_text("a: " + "x" * 80 + "\n")
    (tmp_path / "c.yaml").write_text("_base_: base.yaml\nb: " + "y" * 20 + "\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:1: reading .*base\.yaml' makes 1\d\d bytes"):
        Config.fromfile(tmp_path / "c.yaml")


@pytest.mark.parametrize("name", ["a\x00b.yaml", "a\ud800b.yaml", "~no_such_user\x00/a.yaml"])
def test_names_that_cannot_be_files(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file"):
        Config.fromfile(name)
    (tmp_path / "c.json").write_text(json.dumps({"_base_": name}))  # JSON can spell both
    with pytest.raises(ConfigError, match=r"c\.json(:1)?: cannot read config file"):
        Config.fromfile(tmp_path / "c.json")


@pytest.mark.parametrize(
    "text",
    ["a: &s !!set {? *s}\n", "a: &p !!pairs [[k, *p]]\n", "a: &m !!set {<<: *m}\n"],
)
def test_values_of_other_tags_that_contain_themselves(write: Write, text: str) -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml:1: a: nested deeper than 100"):
        Config.fromfile(write("c.yaml", text))
