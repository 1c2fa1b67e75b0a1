"""Registry: registering, looking up, scopes, lazy locations, repr, thread safety."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from container import Registry, RegistryError


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


def make_layer(width: int = 1) -> dict[str, int]:
    return {"width": width}


@pytest.fixture
def models() -> Registry:
    return Registry("model", scope="test")


# -- register_module -------------------------------------------------------------------


def test_decorator_registers_under_the_class_name(models: Registry) -> None:
    decorated = models.register_module()(Norm)
    assert decorated is Norm
    assert models.get("Norm") is Norm
    assert "Norm" in models
    assert len(models) == 1


def test_call_form_returns_the_module(models: Registry) -> None:
    assert models.register_module(module=make_layer) is make_layer
    assert models.get("make_layer") is make_layer


def test_aliases(models: Registry) -> None:
    models.register_module(name=["Norm", "LayerNorm"], module=Norm)
    assert models.get("Norm") is Norm
    assert models.get("LayerNorm") is Norm
    assert list(models) == ["Norm", "LayerNorm"]


def test_duplicate_names_where_the_first_was_defined(models: Registry) -> None:
    models.register_module(module=Norm)

    class Other:
        pass

    with pytest.raises(
        RegistryError, match=r"'Norm' is already registered in registry 'model'"
    ) as info:
        models.register_module(name="Norm", module=Other)
    assert isinstance(info.value, KeyError)
    assert "test_registry.py:" in str(info.value)
    assert "force=True" in str(info.value)
    assert models.get("Norm") is Norm


def test_force_replaces(models: Registry) -> None:
    models.register_module(module=Norm)
    models.register_module(name="Norm", force=True, module=make_layer)
    assert models.get("Norm") is make_layer


@pytest.mark.parametrize("name", [1, ["a", 2], {"a"}])
def test_name_must_be_str_or_list_of_str(models: Registry, name: Any) -> None:
    with pytest.raises(TypeError, match="name must be None, a str or a list of str"):
        models.register_module(name=name, module=Norm)


def test_name_may_not_contain_a_scope_separator(models: Registry) -> None:
    with pytest.raises(ValueError, match="separates scopes"):
        models.register_module(name="a.b", module=Norm)


def test_non_callable_is_rejected(models: Registry) -> None:
    with pytest.raises(TypeError, match="only callables can be registered, got 3"):
        models.register_module(name="three", module=3)  # type: ignore[call-overload]


def test_force_must_be_bool(models: Registry) -> None:
    with pytest.raises(TypeError, match="force must be a bool"):
        models.register_module(force=1, module=Norm)  # type: ignore[call-overload]


def test_partial_needs_a_name(models: Registry) -> None:
    wide = functools.partial(make_layer, width=8)
    with pytest.raises(TypeError, match=r"functools\.partial has no __name__"):
        models.register_module(module=wide)
    models.register_module(name="Wide", module=wide)
    assert models.build({"type": "Wide"}) == {"width": 8}


# -- lookup, scopes and the tree --------------------------------------------------------


def test_get_missing_is_none(models: Registry) -> None:
    assert models.get("Nope") is None
    assert "Nope" not in models
    assert 3 not in models


def test_unscoped_lookup_falls_back_to_parents() -> None:
    root = Registry("model", scope="root")
    child = Registry("model", parent=root, scope="child")
    root.register_module(module=Norm)
    assert child.get("Norm") is Norm
    assert root.get("child.Norm") is Norm  # falls back from the child to its parents
    assert child.parent is root
    assert root.children == {"child": child}
    assert child.root is root


def test_child_shadows_parent() -> None:
    root = Registry("model", scope="root")
    child = Registry("model", parent=root, scope="child")
    root.register_module(name="Norm", module=Norm)
    child.register_module(name="Norm", module=make_layer)
    assert child.get("Norm") is make_layer
    assert root.get("Norm") is Norm
    assert root.get("child.Norm") is make_layer


@pytest.fixture
def dogs() -> dict[str, Registry]:
    """MMEngine's scoped-lookup example: a tree of dog registries."""
    tree = {"dogs": Registry("dogs", scope="dogs")}
    tree["hound"] = Registry("dogs", parent=tree["dogs"], scope="hound")
    tree["little_hound"] = Registry("dogs", parent=tree["hound"], scope="little_hound")
    tree["mid_hound"] = Registry("dogs", parent=tree["little_hound"], scope="mid_hound")
    tree["samoyed"] = Registry("dogs", parent=tree["dogs"], scope="samoyed")
    for scope, registry in tree.items():
        registry.register_module(name=f"{scope.title().replace('_', '')}Dog", module=Norm)

        @registry.register_module(name=f"{scope}_only")
        def only(scope: str = scope) -> str:
            return scope

    return tree


def test_scoped_names_reach_children_at_any_depth(dogs: dict[str, Registry]) -> None:
    root = dogs["dogs"]
    assert root.get("hound.little_hound.LittleHoundDog") is Norm
    assert root.build({"type": "hound.little_hound.mid_hound.mid_hound_only"}) == "mid_hound"
    assert root.build({"type": "hound.hound_only"}) == "hound"


def test_scoped_names_reach_siblings_through_the_root(dogs: dict[str, Registry]) -> None:
    little = dogs["little_hound"]
    assert little.build({"type": "samoyed.samoyed_only"}) == "samoyed"
    assert little.build({"type": "dogs.dogs_only"}) == "dogs"
    assert little.build({"type": "mid_hound.mid_hound_only"}) == "mid_hound"
    assert dogs["samoyed"].build({"type": "little_hound.little_hound_only"}) == "little_hound"
    assert little.get("unknown_scope.Norm") is None


def test_second_child_with_same_scope_is_rejected() -> None:
    root = Registry("model", scope="root")
    Registry("model", parent=root, scope="a")
    with pytest.raises(RegistryError, match="already has a child of scope 'a'"):
        Registry("model", parent=root, scope="a")


def test_scope_override_key_resolves_in_that_scope_first(dogs: dict[str, Registry]) -> None:
    root = dogs["dogs"]
    dogs["samoyed"].register_module(name="Shared", module=lambda: "samoyed")
    root.register_module(name="Shared", module=lambda: "root")
    assert root.build({"type": "Shared"}) == "root"
    assert root.build({"type": "Shared", "_scope_": "samoyed"}) == "samoyed"
    # The scope carries to nested nodes.
    built = root.build({"type": "dogs_only", "_scope_": "samoyed", "scope": {"type": "Shared"}})
    assert built == "samoyed"


def test_module_dict_and_providers_are_read_only(models: Registry) -> None:
    models.register_module(module=Norm)
    assert dict(models.module_dict) == {"Norm": Norm}
    assert isinstance(models.providers["Norm"], providers.Provider)
    with pytest.raises(TypeError):
        models.module_dict["x"] = Norm  # type: ignore[index]


def test_repr_is_a_table(models: Registry) -> None:
    models.register_module(module=Norm)
    models.register_module(module=make_layer)
    text = repr(models)
    assert text.splitlines()[0] == "Registry 'model' (scope 'test', 2 entries)"
    assert text.splitlines()[2].split() == ["Norm", f"{Norm.__module__}.Norm"]
    assert text.splitlines()[3].split() == ["make_layer", f"{make_layer.__module__}.make_layer"]


# -- scope inference ---------------------------------------------------------------------


def test_scope_inferred_from_the_top_level_package(tmp_path: Path) -> None:
    package = tmp_path / "zoo" / "sub"
    package.mkdir(parents=True)
    (tmp_path / "zoo" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "registries.py").write_text(
        "from container import Registry\nANIMALS = Registry('animal')\n"
    )
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            """
            from container import Registry
            from zoo.sub.registries import ANIMALS
            print(ANIMALS.scope)
            print(Registry("things").scope)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.split() == ["zoo", "things"]


def test_explicit_scope_wins() -> None:
    assert Registry("model", scope="mine").scope == "mine"


# -- lazy locations ------------------------------------------------------------------------


def test_locations_are_imported_once_on_the_first_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "lazy_models_for_test.py").write_text(
        textwrap.dedent(
            """
            from conftest_registry_holder import REGISTRY
            IMPORTS = globals().setdefault("IMPORTS", 0) + 1

            @REGISTRY.register_module()
            class LazyThing:
                pass
            """
        )
    )
    registry = Registry("model", scope="lazy", locations=["lazy_models_for_test"])
    holder = type(sys)("conftest_registry_holder")
    holder.REGISTRY = registry  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "conftest_registry_holder", holder)
    monkeypatch.delitem(sys.modules, "lazy_models_for_test", raising=False)
    assert registry.locations == ("lazy_models_for_test",)
    assert "lazy_models_for_test" not in sys.modules
    assert registry.get("LazyThing") is not None
    assert "lazy_models_for_test" in sys.modules
    module = sys.modules["lazy_models_for_test"]
    assert registry.get("Missing") is None
    assert registry.get("Missing") is None
    assert module.IMPORTS == 1


# -- dotted imports are opt-in ---------------------------------------------------------------


def test_dotted_paths_are_not_imported_by_default(models: Registry) -> None:
    with pytest.raises(RegistryError, match="allow_import=True"):
        models.build({"type": "os.system", "command": "echo pwned"})
    assert models.get("os.getcwd") is None


def test_dotted_paths_with_opt_in() -> None:
    trusting = Registry("model", scope="trusting", allow_import=True)
    assert trusting.build({"type": "collections.OrderedDict", "a": 1}) == {"a": 1}
    assert trusting.get("fractions.Fraction") is not None
    assert trusting.get("fractions.NoSuchThing") is None


# -- threads --------------------------------------------------------------------------------


def test_threads_registering_and_building_lose_nothing(models: Registry) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(thread: int) -> None:
        try:
            barrier.wait()
            for index in range(200):
                name = f"T{thread}_{index}"
                models.register_module(name=name, module=functools.partial(make_layer, index))
                built = models.build({"type": name})
                if built != {"width": index}:
                    raise AssertionError(f"{name} built {built}")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(models) == 8 * 200
    assert all(f"T{t}_{i}" in models for t in range(8) for i in range(200))


# -- import weight ----------------------------------------------------------------------------


def test_import_container_is_light() -> None:
    code = (
        "import sys, container; print('torch' in sys.modules, 'container.config' in sys.modules); "
        "from container import Config; print(Config.__name__, 'torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False", "Config", "False"]


def test_unknown_attribute_of_the_package() -> None:
    import container

    with pytest.raises(AttributeError, match="module 'container' has no attribute 'Confg'"):
        _ = container.Confg  # type: ignore[attr-defined]
