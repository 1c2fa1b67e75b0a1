"""The registry-as-container example runs and shows both kinds of override."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from examples import registry_container

ROOT = Path(__file__).parents[2]


def test_overrides_take_effect_and_are_undone() -> None:
    assert registry_container.main() == [
        "shop: user:1 from pg://prod",
        "shop: user:1 from memory",
        "shop: user:2 from memory",
        "shop: user:2 from pg://prod",
    ]


def test_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "examples/registry_container.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.splitlines()[1] == "shop: user:1 from memory"
