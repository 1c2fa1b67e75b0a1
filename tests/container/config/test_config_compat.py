"""Classic OpenMMLab configs load to exactly what mmengine's Config.fromfile gives.

The expected dicts were produced by mmengine 0.10.7 from the fixtures under
``fixtures/openmmlab`` (see ``benchmarks/compat_mmengine_config.py`` to compare live).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from container.config import Config

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED: dict[str, Any] = ast.literal_eval(
    (FIXTURES / "openmmlab_expected.txt").read_text(encoding="utf-8")
)


def same(left: Any, right: Any) -> bool:
    """Equality that also compares types (a tuple is not a list, True is not 1)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_loads_as_mmengine_loads_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGWIRE_FIXTURE_DATA_ROOT", raising=False)
    monkeypatch.delenv("REGWIRE_FIXTURE_NUM_GPUS", raising=False)
    monkeypatch.chdir(FIXTURES / "..")  # mmengine ran from the same place (relative paths)
    loaded = Config.fromfile(Path("fixtures/openmmlab") / name).to_dict()
    assert same(loaded, EXPECTED[name])


def test_same_is_strict() -> None:
    assert not same({"a": (1,)}, {"a": [1]})
    assert not same([True], [1])
