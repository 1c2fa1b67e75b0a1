"""A registry is a dependency-injector container: attributes, nesting, overriding, wiring."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from dependency_injector import containers, errors, providers
from dependency_injector.wiring import Provide, inject

from container import Registry, RegistryError


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


class Net:
    def __init__(self, depth: int = 1, norm: Any = None) -> None:
        self.depth = depth
        self.norm = norm


class FakeNet:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


@pytest.fixture
def models() -> Registry:
    registry = Registry("model", scope="test")
    registry.register_module(module=Norm)
    registry.register_module(module=Net)
    registry.register_module(name="res-net", module=Net)
    return registry


def test_a_registry_is_a_container_whose_names_are_providers(models: Registry) -> None:
    assert isinstance(models, containers.Container)
    assert containers.is_container(models)
    assert models.Net is models.providers["Net"]
    assert isinstance(models.Net, providers.Provider)
    assert models.providers["res-net"]().depth == 1  # any name, through providers[...]
    assert models.Net(depth=4).depth == 4
    with pytest.raises(AttributeError, match=r"no registered name or child scope 'Nett'.*'Net'"):
        _ = models.Nett


def test_an_empty_registry_is_still_true() -> None:
    assert bool(Registry("empty", scope="empty"))


def test_nested_in_a_declarative_container(models: Registry) -> None:
    class App(containers.DeclarativeContainer):
        models_ = providers.Container(models)

    assert App.models_.Net is models.Net
    app = App()
    assert app.models_() is models  # shared, never copied
    built = app.models_().build({"type": "Net", "depth": 3, "norm": {"type": "Norm"}})
    assert built.depth == 3
    assert isinstance(built.norm, Norm)


def test_override_with_a_container_and_undo_exactly(models: Registry) -> None:
    class Fakes(containers.DeclarativeContainer):
        Net = providers.Factory(FakeNet)

    cfg = {"type": "Net", "depth": 2, "norm": {"type": "Norm"}}
    tree = models.provider(cfg)
    with models.override(Fakes):
        assert models.overridden == (Fakes,)
        assert isinstance(models.build(cfg), FakeNet)
        assert isinstance(tree(), FakeNet)  # trees compiled before see it too
        assert isinstance(models.build(cfg).kwargs["norm"], Norm)  # only the names it has
    assert models.overridden == ()
    assert isinstance(models.build(cfg), Net)
    assert isinstance(tree(), Net)
    assert not models.Net.overridden


def test_reset_last_overriding_leaves_other_overrides(models: Registry) -> None:
    fakes = containers.DynamicContainer()
    fakes.Norm = providers.Object("fake norm")
    single = models.override("Net", FakeNet)  # a name override, made before
    models.override(fakes)
    assert models.build({"type": "Norm"}) == "fake norm"
    models.reset_last_overriding()
    assert isinstance(models.build({"type": "Norm"}), Norm)
    assert isinstance(models.build({"type": "Net"}), FakeNet)  # untouched
    single.undo()
    single.undo()  # twice is harmless
    assert isinstance(models.build({"type": "Net"}), Net)
    with pytest.raises(errors.Error, match="is not overridden"):
        models.reset_last_overriding()


def test_undo_out_of_order_restores_exactly(models: Registry) -> None:
    first = models.override("Net", providers.Object("first"))
    second = models.override("Net", providers.Object("second"))
    first.undo()  # not the last one: the second stays in force
    assert models.build({"type": "Net"}) == "second"
    second.undo()
    assert isinstance(models.build({"type": "Net"}), Net)


def test_override_refuses_unknown_names_and_changes_nothing(models: Registry) -> None:
    class Fakes(containers.DeclarativeContainer):
        Net = providers.Factory(FakeNet)
        Nrm = providers.Factory(FakeNet)
        Lost = providers.Factory(FakeNet)

    with pytest.raises(RegistryError, match=r"'Lost', 'Nrm' \(did you mean 'Norm'\?\) are not"):
        models.override(Fakes)
    assert not models.Net.overridden
    assert models.overridden == ()
    with pytest.raises(errors.Error, match="with itself"):
        models.override(models)
    with pytest.raises(TypeError, match="takes a container"):
        models.override(42)


def test_reset_override_undoes_everything(models: Registry) -> None:
    models.override("Net", FakeNet)
    models.override("Norm", FakeNet)
    models.reset_override()
    assert not models.Net.overridden
    assert not models.Norm.overridden


def test_di_container_provider_override_reaches_the_registry(models: Registry) -> None:
    class App(containers.DeclarativeContainer):
        models_ = providers.Container(models)

    class Fakes(containers.DeclarativeContainer):
        Norm = providers.Object("fake")

    app = App()
    app.models_.override(Fakes)
    try:
        assert models.build({"type": "Norm"}) == "fake"
    finally:
        app.models_.reset_last_overriding()
    assert isinstance(models.build({"type": "Norm"}), Norm)


@inject
def _depth(net: Net = Provide["models_.Net"]) -> int:
    return net.depth


@inject
def _eps(norm: Norm = Provide["Norm"]) -> float:
    return norm.eps


def test_wiring_reaches_registered_names(models: Registry) -> None:
    class App(containers.DeclarativeContainer):
        models_ = providers.Container(models)

    app = App()
    app.wire(modules=[sys.modules[__name__]])
    try:
        assert _depth() == 1
        with models.override("Net", providers.Object(Net(depth=7))):
            assert _depth() == 7
    finally:
        app.unwire()
    models.wire(modules=[sys.modules[__name__]])  # a registry wires on its own as well
    try:
        assert _eps() == 1e-5
    finally:
        models.unwire()


def test_scoped_children_are_sub_containers() -> None:
    root = Registry("root", scope="root")
    child = Registry("model", parent=root, scope="mm")
    child.register_module(module=Net)
    assert root.mm is child
    assert root.mm.Net is child.providers["Net"]
    assert isinstance(root.mm, containers.Container)


def test_setattr_registers_and_delattr_unregisters(models: Registry) -> None:
    models.Extra = providers.Singleton(Norm)
    assert models.get("Extra") is Norm
    assert models.build({"type": "Extra"}) is models.build({"type": "Extra"})
    del models.Extra
    assert "Extra" not in models
    with pytest.raises(TypeError, match="takes its arguments from each config node"):
        models.Bad = providers.Factory(Norm, eps=1.0)
    with pytest.raises(TypeError, match="a Factory, Callable, Singleton or Resource"):
        models.Bad = providers.Object(3)


def test_eight_threads_build_and_override_at_once(models: Registry) -> None:
    """Overrides are process-wide: a build in one thread may see another thread's override,
    but never a broken registry, and once every override is undone, the originals are back."""
    errors_seen: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(200):
                if index % 2:
                    with models.override("Norm", providers.Object(("fake", index))):
                        models.build({"type": "Net", "norm": {"type": "Norm"}})
                else:
                    built = models.build({"type": "Net", "norm": {"type": "Norm"}, "depth": round_})
                    assert built.depth == round_
                    assert isinstance(built.norm, Norm) or built.norm[0] == "fake"
        except BaseException as exc:
            errors_seen.append(exc)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors_seen == []
    assert not models.Norm.overridden
    assert isinstance(models.build({"type": "Norm"}), Norm)


def test_an_app_instance_keeps_using_the_registry_providers(models: Registry) -> None:
    class App(containers.DeclarativeContainer):
        models_ = providers.Container(models)
        net = providers.Factory(lambda net: net, models_.Net)

    app = App()
    assert app.net.args[0] is models.Net  # not a copy: the registry's overrides reach it
    with models.override("Net", providers.Object("fake")):
        assert app.net() == "fake"


def test_a_nested_container_overrides_a_child_registry() -> None:
    root = Registry("root", scope="nest-root")
    child = Registry("model", parent=root, scope="ch")
    child.register_module(module=Net)

    class FakeChild(containers.DeclarativeContainer):
        Net = providers.Object("fake net")

    class FakeRoot(containers.DeclarativeContainer):
        ch = providers.Container(FakeChild)

    with root.override(FakeRoot):
        assert child.build({"type": "Net"}) == "fake net"
    assert isinstance(child.build({"type": "Net"}), Net)
    assert "ch" in root.providers  # a child is a sub-container, as dependency-injector nests


def test_reset_override_undoes_what_was_made_through_the_registry() -> None:
    root = Registry("root", scope="reset-root")
    root.register_module(module=Norm)
    child = Registry("model", parent=root, scope="reset-child")
    child.override("Norm", providers.Object("fake"))  # Norm lives in the parent
    assert root.build({"type": "Norm"}) == "fake"  # process-wide: one provider
    child.reset_override()
    assert isinstance(root.build({"type": "Norm"}), Norm)


def test_replacing_a_name_keeps_its_overrides(models: Registry) -> None:
    handle = models.override("Norm", providers.Object("fake"))
    models.register_module(name="Norm", module=Net, force=True)
    assert models.build({"type": "Norm"}) == "fake"
    handle.undo()
    models.Norm = providers.Factory(Norm)  # an assignment replaces, as in dependency-injector
    assert isinstance(models.build({"type": "Norm"}), Norm)
