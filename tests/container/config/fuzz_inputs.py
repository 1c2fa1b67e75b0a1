"""Hostile config input for fuzzing: hypothesis strategies and the check each input must pass.

Shared by ``test_config_fuzz.py`` (a few hundred examples in every test run) and
``benchmarks/fuzz_config.py`` (as many as asked). The rule checked: loading a file with
``Config.fromfile`` (overrides and ``merge_from_dict`` included) and writing the result out
either works or raises ``ConfigError``, never anything else, and never takes longer than a
time budget.

The strategies aim at the loader's interesting parts rather than at random bytes alone: YAML
tags of the safe loader (and ``!!python/...``), anchors and aliases (alias bombs and merge
keys), deep nesting, long integers, ``_base_`` pointing at a FIFO, ``/dev/zero``, a directory,
itself or a fan of files, ``{{$VAR}}``/``{{_base_.x}}`` substitutions, override syntax
(``+``, ``~``, dotted and indexed keys, reserved and empty keys), and encodings (a BOM, CRLF,
NUL, bytes that are not UTF-8, lone surrogates).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import strategies as st

from container import ConfigError
from container.config import Config

#: Environment variables the inputs substitute: unset, broken YAML, not UTF-8, a base reference.
ENVIRONMENT = {
    b"REGWIRE_FUZZ_BROKEN": b"[1, {a: ",
    b"REGWIRE_FUZZ_BYTES": b"\xff\xfe",
    b"REGWIRE_FUZZ_REF": b"{{_base_.a}}",
}

_SCALARS = [
    "1", "-0", "0x1F", "0o17", "1_000", "1e-3", ".inf", "-.inf", ".nan", "1e999", "-1e-999",
    "true", "False", "null", "~", "yes", "None", "''", '""', "x", "a b", "2024-01-02", "1:30",
    "!!int x", "!!int ''", "!!int 0x", "!!int 1_0", "!!float x", "!!float ''", "!!float",
    "!!bool x", "!!bool yes", "!!null x", "!!str 1", "!!str", "!!timestamp ''",
    "!!timestamp 2020-13-45", "!!timestamp 2001-12-14t21:59:43.10-05:00",
    "!!timestamp 2001-12-14 21:59:43.10 +99:99", "!!binary '@@'", "!!binary aGVsbG8=",
    "!!binary [1]", "!!set {a, b}", "!!set {[1]: 1}", "!!set {? !!set {a}}", "!!set [1]",
    "!!omap [a]", "!!omap [{a: 1}, {b: 2}]", "!!omap {a: 1}", "!!pairs [[a, b]]",
    "!!pairs [{a: 1, b: 2}]", "!!map [1]", "!!seq {a: 1}", "!!merge x", "!!value x",
    "!!python/name:os.system", "!!python/object/apply:os.system ['true']", "!custom 1",
    "!<tag:yaml.org,2002:int> x", "!!str [1]", "*a", "&a 1", "&a [1, 2]", "&a {k: v}", "*b",
    "&b [*a, *a, *a]", "&c {<<: *a}", "{<<: *a, k: 1}", "{<<: [*a, *b]}", "{<<: 1}",
    "'{{$HOME}}'", "'{{$REGWIRE_FUZZ_UNSET}}'", "'{{$REGWIRE_FUZZ_UNSET:7}}'",
    "{{$REGWIRE_FUZZ_BROKEN}}", "'{{$REGWIRE_FUZZ_BYTES}}'", "'{{$REGWIRE_FUZZ_REF}}'",
    "'{{_base_.a}}'", "'{{_base_.nothing}}'", "'x{{_base_.a}}y'", "'{{_base_.a..b}}'",
    "'{{fileDirname}}'", "'{{ $A:" + " " * 300, "__regwire_base_ref_0__",
    "__regwire_base_ref_99999999999__", '"\\ud800"', '"\\x00"', '"\\0"', '"\\uFEFF"',
    "0x" + "f" * 1200, "1" + "0" * 400 + ".5", "1e" + "9" * 30, "9" * 1001, "-" + "9" * 5000,
]  # fmt: skip
_KEYS = [
    "a", "b", "k", "type", "_base_", "_delete_", "<<", "filename", "text", "pretty_text",
    "env_variables", "custom_imports", "imports", "0", "1", "-1", "? [1]", "? !!set {a}",
    "? {a: 1}", "''", "a.b", "*a", "&k a", "!!int x", "'{{_base_.a}}'", "? !!binary '@@'",
    "1e999", ".nan", "null", "? !!timestamp 2001-01-01",
]  # fmt: skip
_BASES = [
    "", "", "", "_base_: ok.yaml\n", "_base_: [ok.yaml, other.json]\n", "_base_: fifo.yaml\n",
    "_base_: zero.yaml\n", "_base_: dir.yaml\n", "_base_: missing.yaml\n", "_base_: c.yaml\n",
    "_base_: bad.json\n", "_base_: base.py\n", '_base_: "a\\0b.yaml"\n', "_base_: x::y.yaml\n",
    "_base_: 1\n", "_base_: fan.yaml\n", "_base_: [ok.yaml, ok.yaml]\n", "_base_: cfg.txt\n",
]  # fmt: skip
_NOISE = "{}[]:,-&*!|>'\"#%@`? \n\t~.0123456789abx_$<=+\\"
_OVERRIDE_PARTS = [
    "a", "b", "c", "d", "n", "m", "l", "t", "0", "1", "-1", "2", "9" * 30, "", "_base_",
    "_delete_", "filename", "text", "x y", "type", "custom_imports", "imports", "k",
]  # fmt: skip


# keys of target.yaml (and where '+' may add one), so that many overrides reach their value
_TARGET_KEYS = [
    "a",
    "b",
    "b.c",
    "b.d",
    "b.d.0",
    "b.d.-1",
    "b.d.3",
    "b.e",
    "n.m.1.k",
    "l",
    "l.2",
    "t",
]


class Hang(BaseException):
    """An input took longer than its time budget (a BaseException: nothing may swallow it)."""


def make_folder(folder: Path) -> Path:
    """Fill ``folder`` with the files the inputs name as bases; return it."""
    (folder / "ok.yaml").write_text("a: 1\nn: {m: [1, 2, {k: v}]}\n", encoding="utf-8")
    (folder / "other.json").write_text('{"b": {"c": [1, 2]}}\n', encoding="utf-8")
    (folder / "bad.json").write_text('{"a": [1, 2,]}\n', encoding="utf-8")
    (folder / "base.py").write_text("a = 1\nb = dict(c=[1, 2])\n", encoding="utf-8")
    (folder / "cfg.txt").write_text("a: 1\n", encoding="utf-8")
    (folder / "dir.yaml").mkdir(exist_ok=True)
    if not (folder / "zero.yaml").is_symlink():
        (folder / "zero.yaml").symlink_to("/dev/zero")
    if not (folder / "fifo.yaml").exists():
        os.mkfifo(folder / "fifo.yaml")
    for level in range(11):  # 2**11 reads of an empty file: over MAX_LOAD_FILES
        name = "fan.yaml" if level == 0 else f"fan{level}.yaml"
        below = f"fan{level + 1}.yaml"
        text = f"_base_: [{below}, {below}]\n" if level < 10 else "# empty\n"
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "target.yaml").write_text(
        "a: 1\nb: {c: 2, d: [1, 2, 3]}\nn: {m: [1, {k: v}]}\nl: [1, 2]\nt: text\n",
        encoding="utf-8",
    )
    return folder


@contextmanager
def environment() -> Iterator[None]:
    """Set the variables of :data:`ENVIRONMENT` while inputs run."""
    old = {name: os.environb.get(name) for name in ENVIRONMENT}
    os.environb.update(ENVIRONMENT)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environb.pop(name, None)
            else:
                os.environb[name] = value


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the block once ``seconds`` have passed (main thread only)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)  # again, if a gc callback ate it
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def escape(
    folder: Path,
    name: str,
    data: bytes,
    options: Sequence[str] | Mapping[str, Any] | None = None,
    *,
    budget: float = 10.0,
) -> str | None:
    """Load ``data`` as the file ``name`` in ``folder`` and write it out.

    Returns:
        ``None`` if that worked or raised ``ConfigError``; otherwise what escaped, as text
        (``Hang`` when it took longer than ``budget`` seconds).
    """
    path = folder / name
    path.write_bytes(data)
    try:
        with time_limit(budget):
            cfg = Config.fromfile(path, cfg_options=options)
            cfg.pretty_text  # noqa: B018 -- what `regwire print-config` prints
            cfg.dump(folder / "out.yaml")
            cfg.dump(folder / "out.json")
    except ConfigError:
        return None
    except Hang as exc:
        return f"Hang: {exc}"
    except Exception as exc:  # the point of the check: anything else escaped
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def _flow(tree: Any) -> str:
    if isinstance(tree, str):
        return tree
    kind, items = tree
    if kind == "seq":
        return "[" + ", ".join(_flow(item) for item in items) + "]"
    return "{" + ", ".join(f"{key}: {_flow(value)}" for key, value in items) + "}"


def _block(pairs: list[tuple[str, Any]]) -> str:
    return "".join(f"{key}: {_flow(value)}\n" for key, value in pairs)


_scalars = st.sampled_from(_SCALARS) | st.text(_NOISE, max_size=8)
_keys = st.sampled_from(_KEYS) | st.text("abk_.-$ ", min_size=1, max_size=4)
_trees = st.recursive(
    _scalars,
    lambda inner: (
        st.tuples(st.just("seq"), st.lists(inner, max_size=4))
        | st.tuples(st.just("map"), st.lists(st.tuples(_keys, inner), max_size=4))
    ),
    max_leaves=12,
)


@st.composite
def _alias_bomb(draw: st.DrawFn, largest: int) -> str:
    width = draw(st.integers(2, 9))
    levels = draw(st.integers(1, 9))
    while width**levels > largest and levels > 1:
        levels -= 1
    merge = draw(st.booleans())
    if merge:
        lines = ["l0: &l0 {" + ", ".join(f"k{i}: x" for i in range(width)) + "}"]
    else:
        lines = ["l0: &l0 [" + ", ".join(["x"] * width) + "]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        value = f"{{<<: [{refs}]}}" if merge else f"[{refs}]"
        lines.append(f"l{level}: &l{level} {value}")
    return "\n".join(lines) + "\n"


@st.composite
def _deep(draw: st.DrawFn) -> str:
    depth = draw(st.integers(95, 105) | st.integers(900, 1100))
    opening = draw(st.sampled_from(["[", "{a: ", "- "]))
    if opening == "- ":
        return "a:\n" + "".join("  " * (i + 1) + "-\n" for i in range(min(depth, 200)))
    closing = "]" if opening == "[" else "}"
    return "a: " + opening * depth + "1" + closing * depth + "\n"


_forms = st.sampled_from(["utf-8"] * 6 + ["bom", "crlf", "nul", "latin-1"])


def _encode(text: str, form: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    if form == "bom":
        return b"\xef\xbb\xbf" + data
    if form == "crlf":
        return data.replace(b"\n", b"\r\n")
    if form == "nul":
        return data + b"\x00"
    if form == "latin-1":
        return b"a: \xe9t\xe9\n" + data
    return data


def yaml_inputs(*, largest_bomb: int = 5_000) -> st.SearchStrategy[bytes]:
    """YAML files: structured trees, noise, alias bombs and deep nesting, in any encoding.

    ``largest_bomb`` caps how many values an alias bomb spells out (the limit refuses at
    100,000; a bomb that reaches it costs a fraction of a second).
    """
    structured = st.builds(
        lambda base, pairs: base + _block(pairs),
        st.sampled_from(_BASES),
        st.lists(st.tuples(_keys, _trees), max_size=5),
    )
    texts = st.one_of(
        structured,
        structured.map(lambda text: text.replace(": ", ":\n  ", 1)),
        st.text(_NOISE, max_size=60),
        st.builds(lambda text, noise: text + noise, structured, st.text(_NOISE, max_size=10)),
        st.builds(
            lambda base, bomb: base + bomb, st.sampled_from(_BASES), _alias_bomb(largest_bomb)
        ),
        _deep(),
        st.text(max_size=40),
    )
    return st.builds(_encode, texts, _forms)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["_base_", "{{_base_.a}}", "{{$REGWIRE_FUZZ_BROKEN}}", "ok.yaml"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _json_text(draw: st.DrawFn) -> str:
    value = draw(
        st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), _json_values, max_size=5)
    )
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    change = draw(
        st.sampled_from(["none", "none", "cut", "insert", "deep", "bigint", "dup", "base"])
    )
    position = draw(st.integers(0, len(text)))
    if change == "cut":
        return text[:position]
    if change == "insert":
        return (
            text[:position]
            + draw(st.sampled_from(_SCALARS) | st.text(_NOISE, max_size=5))
            + text[position:]
        )
    if change == "deep":
        depth = draw(st.integers(95, 105) | st.integers(900, 1100))
        return '{"a": ' + "[" * depth + "]" * depth + "}"
    if change == "bigint":
        return '{"a": ' + "9" * draw(st.integers(990, 5000)) + "}"
    if change == "dup":
        return '{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}'
    if change == "base":
        return (
            '{"_base_": '
            + json.dumps(draw(st.sampled_from(_BASES)).partition(": ")[2].strip() or "ok.yaml")
            + "}"
        )
    return text


def json_inputs() -> st.SearchStrategy[bytes]:
    """JSON files: valid, cut, with tokens inserted, deep, with long integers, in any encoding."""
    return st.builds(_encode, _json_text(), _forms)


def _override(prefix: str, parts: list[str], equals: str, value: str) -> str:
    return f"{prefix}{'.'.join(parts)}{equals}{value}"


def override_inputs() -> st.SearchStrategy[list[str]]:
    """``--cfg-options`` lists for ``target.yaml``: any prefix, key, separator and value."""
    value = st.one_of(
        _scalars,
        _trees.map(_flow),
        st.text(_NOISE, max_size=20),
        st.text(max_size=8),
        st.integers(95, 105).map(lambda depth: "[" * depth + "]" * depth),
        st.sampled_from(
            ["&a [1, 2, 3, 4]", "[&a [1, 2, 3], [*a, *a, *a]]", "{_delete_: true, x: 1}"]
        ),
    )
    parts = st.lists(st.sampled_from(_OVERRIDE_PARTS), min_size=1, max_size=4) | st.sampled_from(
        _TARGET_KEYS
    ).map(lambda key: key.split("."))
    one = st.one_of(
        st.builds(_override, st.sampled_from(["", "", "+", " + "]), parts, st.just("="), value),
        st.builds(_override, st.just("~"), parts, st.just(""), st.just("")),
        st.builds(
            _override,
            st.sampled_from(["", "+", "~", "~~", "+~", "=", "~+"]),
            parts,
            st.sampled_from(["=", "", "==", " = ", "=="]),
            value,
        ),
    )
    return st.lists(one, min_size=1, max_size=3)


def merge_inputs() -> st.SearchStrategy[dict[str, Any]]:
    """``merge_from_dict`` options for ``target.yaml``: dotted keys and any plain values."""
    keys = st.lists(st.sampled_from(_OVERRIDE_PARTS), min_size=1, max_size=4).map(
        ".".join
    ) | st.sampled_from(_TARGET_KEYS)
    index_dicts = st.dictionaries(
        st.sampled_from(["0", "1", "-1", "-0", "--1", "5", "9" * 30, "²", "1_0"]),
        _json_values,
        max_size=2,
    )
    values = _json_values | index_dicts | st.integers(95, 105).map(_nested)
    return st.dictionaries(keys, values, max_size=3)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value
