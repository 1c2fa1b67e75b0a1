"""MMEngine's registry API: positional arguments, build_func and build_from_cfg, building a
Config, and the default scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from container import (
    BuildError,
    Config,
    DefaultScope,
    Registry,
    build_from_cfg,
    init_default_scope,
)
from container._default_scope import DefaultScope as _DefaultScope


@pytest.fixture(autouse=True)
def _no_default_scope() -> Iterator[None]:
    _DefaultScope._reset()
    yield
    _DefaultScope._reset()


class Net:
    def __init__(self, depth: int = 1, norm: Any = None) -> None:
        self.depth = depth
        self.norm = norm


class DetNet(Net):
    pass


@pytest.fixture
def tree() -> tuple[Registry, Registry, Registry]:
    root = Registry("model", None, None, "mm-root")  # MMEngine's positional order
    det = Registry("model", None, root, "mm-det")
    cls = Registry("model", None, root, "mm-cls")
    root.register_module(module=Net)
    det.register_module(name="Net", module=DetNet)
    cls.register_module(name="Only", module=Net)
    return root, det, cls


def test_positional_parent_and_scope(tree: tuple[Registry, Registry, Registry]) -> None:
    root, det, _ = tree
    assert det.parent is root
    assert det.scope == "mm-det"
    assert root.children["mm-det"] is det


def test_a_config_object_is_built(tree: tuple[Registry, Registry, Registry]) -> None:
    root, _, _ = tree
    built = root.build(Config({"type": "Net", "depth": 3, "norm": {"type": "Net"}}))
    assert isinstance(built, Net)
    assert built.depth == 3
    assert isinstance(built.norm, Net)


def test_build_from_cfg_insists_on_a_config(tree: tuple[Registry, Registry, Registry]) -> None:
    root, _, _ = tree
    assert build_from_cfg({"depth": 2}, root, default_args={"type": "Net"}).depth == 2
    with pytest.raises(TypeError, match="cfg must be a dict, ConfigDict or Config, got list"):
        build_from_cfg([], root)
    with pytest.raises(BuildError, match="has no 'type' key"):
        build_from_cfg({"depth": 2}, root)


def test_a_build_func_builds_and_children_inherit_it() -> None:
    calls: list[tuple[Any, ...]] = []

    def counting(cfg: Any, *args: Any, registry: Registry, **kwargs: Any) -> Any:
        calls.append((cfg["type"], args, kwargs))
        return build_from_cfg(cfg, registry)  # the default path: no recursion

    parent = Registry("model", counting, scope="bf-parent")
    child = Registry("model", parent=parent, scope="bf-child")
    child.register_module(module=Net)
    built = child.build({"type": "Net", "depth": 4}, "extra", flag=True)
    assert built.depth == 4
    assert calls == [("Net", ("extra",), {"flag": True})]
    with pytest.raises(TypeError, match="only a registry made with a build_func"):
        Registry("plain", scope="bf-plain").build({"type": "X"}, "extra")


def test_the_default_scope_resolves_names_first(
    tree: tuple[Registry, Registry, Registry],
) -> None:
    root, _det, _ = tree
    assert type(root.build({"type": "Net"})) is Net
    init_default_scope("mm-det")
    assert DefaultScope.get_current_instance().scope_name == "mm-det"  # type: ignore[union-attr]
    assert type(root.build({"type": "Net"})) is DetNet  # the scope's registry first
    assert type(root.build({"type": "Net", "_scope_": "mm-root"})) is Net
    assert type(root.provider({"type": "Net"})()) is DetNet
    assert root.validate({"type": "Only"})  # not in mm-det nor its parents: a problem


def test_switch_scope_and_registry_nests_and_restores(
    tree: tuple[Registry, Registry, Registry],
) -> None:
    root, _det, cls = tree
    init_default_scope("mm-det")
    with root.switch_scope_and_registry("mm-cls") as registry:
        assert registry is cls
        assert DefaultScope.get_current_instance().scope_name == "mm-cls"  # type: ignore[union-attr]
        assert root.build({"type": "Only"}).depth == 1
        with root.switch_scope_and_registry(None) as same:
            assert same is cls  # None changes nothing
    assert DefaultScope.get_current_instance().scope_name == "mm-det"  # type: ignore[union-attr]
    with root.switch_scope_and_registry("no-such-scope") as fallback:
        assert fallback is root  # no registry of that scope: the registry asked


def test_default_scope_instances_as_mmengine_names_them() -> None:
    first = DefaultScope.get_instance("task", scope_name="mm-det")
    assert DefaultScope.get_instance("task") is first
    assert DefaultScope.check_instance_created("task")
    with pytest.raises(TypeError, match="give its scope_name"):
        DefaultScope.get_instance("other")
    init_default_scope("mm-det")  # already in force: nothing new
    assert DefaultScope.get_current_instance() is first
