"""The house as its imports draw it: layers, ranks inside runner/, no cycles, sizes.

Read from the source with ``ast`` (nothing is imported): every ``import`` counts, at module
level, inside functions and under ``TYPE_CHECKING`` alike.

* Layers: ``providers`` (bottom) <- ``container`` <- ``runner``; ``container`` never imports
  torch.
* Ranks inside ``runner``: 0 ``_registries``/``_sections``; 1 the components (``model``,
  ``optim``, ``data``, ``evaluation``, ``dist``); 2 ``engine``; 3 ``hooks``; 4 ``app``. An
  import points to the same rank or a lower one. ``runner/__init__.py`` and ``__main__.py``
  are the public face, above all ranks.
* No import cycle among the project's modules (a package import is an import of its
  ``__init__``).
* No module over 500 lines, no function over 60 (docstring excluded), no class over 350.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("providers", "container", "runner")
LAYER = {"providers": 0, "container": 1, "runner": 2}
FACE = 5  # runner/__init__.py, runner/__main__.py and runner/testing/
RUNNER_RANKS = {
    "_registries": 0,
    "_sections": 0,
    "_errors": 0,
    "model": 1,
    "optim": 1,
    "data": 1,
    "evaluation": 1,
    "dist": 1,
    "visualization": 1,
    "engine": 2,
    "hooks": 3,
    "app": 4,
    "testing": FACE,
}
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_CLASS_LINES = 500, 60, 350


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> Iterator[tuple[str, int]]:
    """The absolute names ``name`` imports (modules, or names in modules), with their lines."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names = [f"{module}.{alias.name}" for alias in node.names]
            for full in names:  # ``from . import _checkpoint`` imports a module
                if full in MODULES:
                    yield full, node.lineno
            if not all(full in MODULES for full in names):
                yield module, node.lineno


def _project_edges(name: str) -> Iterator[tuple[str, int]]:
    """The project modules ``name`` imports (a name inside a module counts as the module)."""
    for target, line in _imports(name):
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            yield target, line


def _rank(name: str) -> int:
    parts = name.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return FACE
    return RUNNER_RANKS[parts[1]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    top = name.split(".")[0]
    wrong = []
    for target, line in _imports(name):
        first = target.split(".")[0]
        if first in LAYER and LAYER[first] > LAYER[top]:
            wrong.append(f"line {line}: {top} imports {target} (a higher layer)")
        if top == "container" and first == "torch":
            wrong.append(f"line {line}: container imports torch")
    if top == "runner":
        for target, line in _project_edges(name):
            if target.startswith("runner.") and _rank(target) > _rank(name):
                wrong.append(
                    f"line {line}: rank {_rank(name)} imports {target} (rank {_rank(target)})"
                )
    assert not wrong, f"{MODULES[name]}:\n" + "\n".join(wrong)


def test_every_runner_module_has_a_rank() -> None:
    for name in MODULES:
        if name.startswith("runner."):
            _rank(name)  # a KeyError names a module outside the ranks


def test_no_import_cycle() -> None:
    graph = {name: sorted({target for target, _ in _project_edges(name)}) for name in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in graph[name]:
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    """Lines from the ``def``/``class`` line to the end, without the docstring."""
    assert node.end_lineno is not None
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and first.end_lineno is not None
    ):
        lines -= first.end_lineno - first.lineno + 1
    return lines


@pytest.mark.parametrize("name", sorted(MODULES))
def test_sizes(name: str) -> None:
    path = MODULES[name]
    text = path.read_text(encoding="utf-8")
    too_big = []
    if len(text.splitlines()) > MAX_MODULE_LINES:
        too_big.append(f"the module has {len(text.splitlines())} lines (> {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            limit = MAX_FUNCTION_LINES
        elif isinstance(node, ast.ClassDef):
            limit = MAX_CLASS_LINES
        else:
            continue
        size = _body_lines(node)
        if size > limit:
            too_big.append(f"line {node.lineno}: {node.name} has {size} lines (> {limit})")
    assert not too_big, f"{path}:\n" + "\n".join(too_big)


def test_the_checker_sees_a_cycle_and_a_wrong_rank(tmp_path: Path) -> None:
    """The checks above can fail: fed a made-up pair of modules, they report both problems."""
    low = "from ..engine import BaseRunner\n"  # a rank-1 module importing rank 2
    high = "from ..model import BaseModel\n"
    MODULES["runner.model._fake"] = tmp_path / "_fake_model.py"
    MODULES["runner.engine._fake"] = tmp_path / "_fake_engine.py"
    (tmp_path / "_fake_model.py").write_text(low.replace("BaseRunner", "_fake"))
    (tmp_path / "_fake_engine.py").write_text(high.replace("BaseModel", "_fake"))
    try:
        with pytest.raises(AssertionError, match=r"rank 1 imports runner\.engine\._fake"):
            test_imports_point_down("runner.model._fake")
        with pytest.raises(AssertionError, match=r"runner\.model\._fake -> runner\.engine"):
            test_no_import_cycle()
    finally:
        del MODULES["runner.model._fake"], MODULES["runner.engine._fake"]
