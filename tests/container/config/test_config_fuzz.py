"""Fuzzing the loader: hostile YAML, JSON and override text raises ConfigError or nothing.

A few hundred examples per run (``benchmarks/fuzz_config.py`` runs many more); the inputs and
the check live in ``fuzz_inputs.py``. Each example must finish within the hypothesis deadline
(and is stopped after 10 s in any case, so a hang fails instead of hanging the run).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.container.config import fuzz_inputs

_FUZZ = settings(
    deadline=timedelta(seconds=3),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with the bases the inputs name, while the inputs' variables are set."""
    with fuzz_inputs.environment():
        yield fuzz_inputs.make_folder(tmp_path_factory.mktemp("fuzz"))


@settings(_FUZZ, max_examples=300)
@given(data=fuzz_inputs.yaml_inputs())
def test_yaml_input_raises_only_config_errors(folder: Path, data: bytes) -> None:
    assert fuzz_inputs.escape(folder, "c.yaml", data) is None


@settings(_FUZZ, max_examples=150)
@given(data=fuzz_inputs.json_inputs())
def test_json_input_raises_only_config_errors(folder: Path, data: bytes) -> None:
    assert fuzz_inputs.escape(folder, "c.json", data) is None


@settings(_FUZZ, max_examples=250)
@given(options=fuzz_inputs.override_inputs())
def test_overrides_raise_only_config_errors(folder: Path, options: list[str]) -> None:
    target = (folder / "target.yaml").read_bytes()
    assert fuzz_inputs.escape(folder, "c.yaml", target, options) is None


@settings(_FUZZ, max_examples=100)
@given(options=fuzz_inputs.merge_inputs())
def test_merge_from_dict_raises_only_config_errors(folder: Path, options: dict[str, Any]) -> None:
    target = (folder / "target.yaml").read_bytes()
    assert fuzz_inputs.escape(folder, "c.yaml", target, options) is None
