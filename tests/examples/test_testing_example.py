"""The pytest plugin's example (examples/testing/): its tests pass, run as a user runs them.

They run in a fresh ``python -m pytest`` (the example registers its components in regwire's
global registries, which must not happen in this process), from the repository root, with
this project's pytest settings (``filterwarnings = error`` included).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "testing"


def test_the_example_tests_pass() -> None:
    config_work_dir = ROOT / "work_dirs" / "line"  # line.yaml's; the tests use tmp_path
    existed = config_work_dir.exists()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "5 passed" in done.stdout, done.stdout[-3000:]
    assert existed or not config_work_dir.exists()
