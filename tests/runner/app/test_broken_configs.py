"""A corpus of broken configs (``broken/``): each must give its message, exit status 2 and no
traceback, and a run it stops must write no checkpoint.

Each file says what it expects in its first comment lines::

    # expect: <a part of the message>
    # options: key=value ...        (--cfg-options; optional)
    # command: train                (optional: regwire check by default)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.app.cli import main

BROKEN = Path(__file__).parent / "broken"
CORPUS = sorted(path for path in BROKEN.iterdir() if path.suffix in (".yaml", ".py"))
REPO = Path(__file__).resolve().parents[3]


def _header(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, _, value = line[2:].partition(":")
        found[key.strip()] = value.strip()
    return found


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30
    assert all("expect" in _header(path) for path in CORPUS)


@pytest.mark.usefixtures("no_determinism")  # the example's randomness sets the global flag
@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_a_broken_config_gives_one_located_message_and_exit_2(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # custom_imports: examples.digits.components
    header = _header(path)
    command = header.get("command", "check")
    argv = [command, str(path)]
    if command == "train":
        argv += ["--work-dir", str(tmp_path / "work")]
    if "options" in header:
        argv += ["--cfg-options", *header["options"].split()]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert header["expect"] in err, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("regwire: error: ")]
    assert errors, err
    assert not list((tmp_path / "work").glob("*.pth"))
