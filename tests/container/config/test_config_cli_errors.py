"""``regwire print-config`` on hostile input: one line on stderr, exit status 2, no traceback.

Each case runs ``python -m runner print-config`` in a subprocess, as a user would; the cases
start together (each process spends most of its time importing torch) and each must end
within a time limit (a FIFO base once blocked forever, an alias bomb ran for minutes). The
other findings are checked in-process, message by message, in ``test_config_hostile.py`` and
``test_config_limits.py``; these check what the command line does with such an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 60

_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
# name: (file text, extra arguments, what stderr says)
CASES: dict[str, tuple[str, list[str], str]] = {
    "int-tag": ("a: !!int x\n", [], "c.yaml:1: a: cannot read 'x' as !!int"),
    "long-int-json": ('{"a": ' + "9" * 5000 + "}", [], "at most 1000 digits"),
    "alias-bomb": (_BOMB, [], "more than 100,000 values"),
    "fifo-base": ("_base_: fifo.yaml\n", [], "fifo.yaml' is not a regular file"),
    "override-float": ("a: 1\n", ["--cfg-options", "a=!!float "], "not a number"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """Run every case at once; return each one's exit status and stderr."""
    running: dict[str, subprocess.Popen[str]] = {}
    for name, (text, arguments, _) in CASES.items():
        folder = tmp_path_factory.mktemp(name)
        os.mkfifo(folder / "fifo.yaml")
        (folder / "zero.yaml").symlink_to("/dev/zero")
        config = folder / ("c.json" if text.startswith("{") else "c.yaml")
        config.write_text(text)
        running[name] = subprocess.Popen(
            [sys.executable, "-m", "runner", "print-config", str(config), *arguments],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    finished: dict[str, tuple[int, str]] = {}
    try:
        for name, process in running.items():
            _, stderr = process.communicate(timeout=TIMEOUT)
            finished[name] = (process.returncode, stderr)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return finished


@pytest.mark.parametrize("name", list(CASES))
def test_one_line_and_exit_status_2(results: dict[str, tuple[int, str]], name: str) -> None:
    status, stderr = results[name]
    assert "Traceback" not in stderr
    assert status == 2, stderr
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("regwire: error: ")
    assert CASES[name][2] in stderr
