"""``regwire graph``: the picture of a training config and of an application config."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runner.app.cli import main

ROOT = Path(__file__).parents[3]
DIGITS = str(ROOT / "examples" / "digits" / "cnn.yaml")
SERVICE = str(ROOT / "examples" / "service" / "service.yaml")


def test_the_training_container_is_drawn(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", DIGITS]) == 0
    text = capsys.readouterr().out
    assert text.startswith("flowchart LR")
    assert '(["model<br/>DigitsCNN<br/>(singleton)"])' in text
    assert '["dataset<br/>DigitsDataset"]' in text


def test_written_as_dot_and_mermaid_by_suffix(tmp_path: Path) -> None:
    assert main(["graph", DIGITS, "--out", str(tmp_path / "g.dot")]) == 0
    dot = (tmp_path / "g.dot").read_text()
    assert '"runner" -> "wrapped_model" [arrowhead=normal, style=bold];' in dot
    assert '"wrapped_model" -> "model" [arrowhead=normal, style=bold];' in dot
    assert main(["graph", SERVICE, "--out", str(tmp_path / "g.md")]) == 0
    markdown = (tmp_path / "g.md").read_text()
    assert markdown.startswith("```mermaid\nflowchart LR\n")
    assert markdown.endswith("```\n")
    assert main(["graph", SERVICE, "--out", str(tmp_path / "g.txt"), "--format", "dot"]) == 0
    assert (tmp_path / "g.txt").read_text().startswith("digraph")


def test_svg_is_drawn_by_graphviz_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "dot"  # stands in for Graphviz: copies its input to -o FILE
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert main(["graph", SERVICE, "--out", str(tmp_path / "g.svg")]) == 0
    assert (tmp_path / "g.svg").read_text().startswith("digraph regwire {")


def test_no_graphviz_or_an_unknown_suffix_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot there
    assert main(["graph", SERVICE, "--out", str(tmp_path / "g.png")]) == 2
    assert "needs Graphviz's 'dot' program" in capsys.readouterr().err
    assert main(["graph", SERVICE, "--out", str(tmp_path / "g.jpeg")]) == 2
    assert "cannot tell the format from '.jpeg'" in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()


def test_an_application_with_a_model_key_is_not_a_training_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text('model: {type: Shop, orders: "${orders}"}\norders: {type: OrderBook}\n')
    assert main(["graph", str(cfg)]) == 0
    text = capsys.readouterr().out
    assert "runner" not in text
    assert '(["model<br/>Shop<br/>(singleton)"])' in text


def test_a_broken_reference_is_an_error_not_a_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text("a:\n  type: X\n  v: ${b}\nb:\n  type: X\n  v: ${a}\n")
    assert main(["graph", str(cfg)]) == 2
    assert "reference cycle: a -> b -> a" in capsys.readouterr().err
