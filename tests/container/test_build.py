"""Registry.build, Registry.provider and overrides: recursive building as a provider tree."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from dependency_injector import providers
from hypothesis import given, settings
from hypothesis import strategies as st

from container import BuildError, Registry, RegistryError, node_at


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


class Conv:
    def __init__(self, channels: int, norm: Any = None) -> None:
        self.channels = channels
        self.norm = norm


class Backbone:
    def __init__(self, depth: int, norm: Any = None, stages: Any = ()) -> None:
        self.depth = depth
        self.norm = norm
        self.stages = stages


class Node:
    """A generic component for property tests: keeps its arguments."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.kwargs == self.kwargs

    def __repr__(self) -> str:
        return f"Node({self.kwargs})"


@pytest.fixture
def models() -> Registry:
    registry = Registry("model", scope="test")
    for module in (Norm, Conv, Backbone, Node):
        registry.register_module(module=module)
    return registry


NESTED = {
    "type": "Backbone",
    "depth": 50,
    "norm": {"type": "Norm", "eps": 0.1},
    "stages": [
        {"type": "Conv", "channels": 8, "norm": {"type": "Norm"}},
        ({"type": "Conv", "channels": 16},),
        {"plain": {"deep": {"type": "Norm", "eps": 0.3}}, "n": 1},
    ],
}


def test_build_is_recursive_and_bottom_up(models: Registry) -> None:
    built = models.build(NESTED)
    assert isinstance(built, Backbone)
    assert built.depth == 50
    assert isinstance(built.norm, Norm)
    assert built.norm.eps == 0.1
    first, (second,), plain = built.stages
    assert isinstance(first, Conv)
    assert isinstance(first.norm, Norm)
    assert first.norm.eps == 1e-5
    assert isinstance(second, Conv)
    assert second.channels == 16
    assert isinstance(plain["deep"] if "deep" in plain else plain["plain"]["deep"], Norm)
    assert plain["plain"]["deep"].eps == 0.3
    assert plain["n"] == 1
    assert type(built.stages[1]) is tuple


def test_build_never_mutates_the_config(models: Registry) -> None:
    before = copy.deepcopy(NESTED)
    models.build(NESTED, depth=3)
    assert before == NESTED


def test_each_build_is_fresh(models: Registry) -> None:
    one, two = models.build(NESTED), models.build(NESTED)
    assert one is not two
    assert one.norm is not two.norm
    assert one.stages[2] is not two.stages[2]


def test_default_args_fill_missing_keys_only(models: Registry) -> None:
    conv = models.build({"type": "Conv", "channels": 4}, channels=9, norm="given")
    assert conv.channels == 4
    assert conv.norm == "given"
    assert models.build({"channels": 2}, type="Conv").channels == 2


def test_mmengine_spelling_of_default_args(models: Registry) -> None:
    conv = models.build({"type": "Conv"}, default_args={"channels": 5})
    assert conv.channels == 5
    assert models.provider({"type": "Conv"}, default_args={"channels": 6})().channels == 6


def test_default_args_are_passed_as_they_are(models: Registry) -> None:
    live = [object()]
    conv = models.build({"type": "Conv", "channels": 1}, norm=live)
    assert conv.norm is live


def test_type_may_be_a_callable(models: Registry) -> None:
    conv = models.build({"type": Conv, "channels": 3, "norm": {"type": "Norm"}})
    assert isinstance(conv, Conv)
    assert isinstance(conv.norm, Norm)


@pytest.mark.parametrize("value", [None, 3, "Conv", [1, {"type": "Norm"}], Norm()])
def test_non_mappings_are_returned_unchanged(models: Registry, value: Any) -> None:
    assert models.build(value) is value


def test_mmengine_style_classes_building_their_own_arguments(models: Registry) -> None:
    @models.register_module()
    class Detector:
        def __init__(self, backbone: Any) -> None:
            self.backbone = models.build(backbone)  # already built: returned unchanged

    detector = models.build({"type": "Detector", "backbone": {"type": "Norm"}})
    assert isinstance(detector.backbone, Norm)


def test_partial_returns_a_builder(models: Registry) -> None:
    make = models.build({"type": "Conv", "_partial_": True, "norm": {"type": "Norm"}})
    first, second = make(channels=3), make(channels=4)
    assert (first.channels, second.channels) == (3, 4)
    assert isinstance(first.norm, Norm)


def test_partial_errors_name_the_node(models: Registry) -> None:
    make = models.build({"type": "Conv", "_partial_": True})
    with pytest.raises(BuildError, match=r"could not build '<root>' \(type 'Conv'.*channels"):
        make()
    with pytest.raises(BuildError, match=r"^'width': 'Conv' .* takes no argument 'width'"):
        make(width=3)


def test_recursive_false_keeps_nested_dicts(models: Registry) -> None:
    cfg = {"type": "Conv", "_recursive_": False, "channels": 1, "norm": {"type": "Norm"}}
    one = models.build(cfg)
    assert one.norm == {"type": "Norm"}
    one.norm["type"] = "changed"
    assert models.build(cfg).norm == {"type": "Norm"}
    assert cfg["norm"] == {"type": "Norm"}


@pytest.mark.parametrize("key", ["_partial_", "_recursive_"])
def test_flags_must_be_bool(models: Registry, key: str) -> None:
    with pytest.raises(BuildError, match=rf"'norm.{key}' must be true or false, got 'yes'"):
        models.build({"type": "Conv", "channels": 1, "norm": {"type": "Norm", key: "yes"}})


# -- errors ---------------------------------------------------------------------------------


def test_unknown_type_names_path_registry_and_nearest(models: Registry) -> None:
    cfg = {"type": "Backbone", "depth": 1, "norm": {"type": "Nrom"}}
    with pytest.raises(
        RegistryError,
        match=r"^'norm.type': 'Nrom' is not registered in registry 'model' "
        r"\(scope 'test'\); did you mean 'Norm'\?$",
    ) as info:
        models.build(cfg)
    assert isinstance(info.value, KeyError)
    assert info.value.config_path == "norm.type"


def test_unknown_type_in_a_list(models: Registry) -> None:
    cfg = {
        "type": "Backbone",
        "depth": 1,
        "stages": [{"type": "Conv", "channels": 1}, {"type": "Cnov"}],
    }
    with pytest.raises(RegistryError, match=r"'stages.1.type': 'Cnov' .* did you mean 'Conv'"):
        models.build(cfg)


def test_unknown_type_without_neighbours(models: Registry) -> None:
    with pytest.raises(
        RegistryError,
        match=r"'type': 'Zzzzzz' is not registered in registry 'model' \(scope 'test'\)$",
    ):
        models.build({"type": "Zzzzzz"})


def test_unknown_argument_names_its_path_and_the_nearest_parameter(models: Registry) -> None:
    cfg = {"type": "Backbone", "depth": 1, "norm": {"type": "Norm", "epsilon": 2}}
    with pytest.raises(
        BuildError,
        match=r"^'norm.epsilon': 'Norm' \(.*test_build\.Norm\) takes no argument 'epsilon'; "
        r"did you mean 'eps'\? \(its arguments: eps\)$",
    ) as info:
        models.build(cfg)
    assert isinstance(info.value.__cause__, TypeError)
    assert info.value.config_path == "norm.epsilon"
    with pytest.raises(BuildError, match=r"^'norm.epsilon': 'Norm'"):
        models.provider(cfg)()


def test_constructor_error_names_path_and_callable(models: Registry) -> None:
    @models.register_module()
    def positive(value: int) -> int:
        if value <= 0:
            raise ValueError(f"value must be positive, got {value}")
        return value

    cfg = {"type": "Backbone", "depth": 1, "norm": {"type": "positive", "value": -1}}
    with pytest.raises(
        BuildError,
        match=r"^could not build 'norm' \(type 'positive' = .*positive\): ValueError: "
        r"value must be positive, got -1$",
    ) as info:
        models.build(cfg)
    assert isinstance(info.value.__cause__, ValueError)
    assert info.value.config_path == "norm"
    with pytest.raises(BuildError, match=r"could not build 'depth' \(type 'Backbone'.*missing"):
        models.build_at("depth", {"type": "Backbone"})


def test_unknown_argument_of_an_overridden_name_is_not_misattributed(models: Registry) -> None:
    with models.override("Norm", lambda: None), pytest.raises(BuildError, match="could not build"):
        models.build({"type": "Norm", "eps": 1})


def test_build_at_names_paths_in_the_larger_config(models: Registry) -> None:
    cfg = {"type": "Backbone", "depth": 1, "norm": {"type": "Nrom"}}
    with pytest.raises(RegistryError, match=r"^'model.backbone.norm.type': 'Nrom'") as info:
        models.build_at("model.backbone", cfg)
    assert info.value.config_path == "model.backbone.norm.type"
    with pytest.raises(BuildError, match=r"^'model.norm.x': 'Norm'"):
        models.provider_at(
            "model", {"type": "Conv", "channels": 1, "norm": {"type": "Norm", "x": 1}}
        )()
    assert models.build_at("model", {"type": "Norm"}, eps=3).eps == 3
    assert models.build_at("model", 5) == 5


def test_missing_type(models: Registry) -> None:
    with pytest.raises(BuildError, match=r"config '<root>' has no 'type' key"):
        models.build({"depth": 1})


def test_type_of_wrong_kind(models: Registry) -> None:
    with pytest.raises(
        BuildError, match=r"'norm.type' must be a registered name or a callable, got 3"
    ):
        models.build({"type": "Conv", "channels": 1, "norm": {"type": 3}})


# -- providers and overrides ----------------------------------------------------------------


def test_registered_callables_are_providers(models: Registry) -> None:
    provider = models.providers["Norm"]
    assert isinstance(provider, providers.Factory)
    assert provider.provides is Norm
    assert isinstance(provider(eps=2.0), Norm)


def test_provider_tree_builds_fresh_graphs(models: Registry) -> None:
    tree = models.provider(NESTED)
    assert isinstance(tree, providers.Provider)
    one, two = tree(), tree()
    assert isinstance(one, Backbone)
    assert one is not two
    assert one.norm is not two.norm


def test_overriding_a_registered_provider_reaches_nested_builds(models: Registry) -> None:
    tree = models.provider(NESTED)
    with models.providers["Norm"].override(providers.Factory(Node, extra=1)):
        built = tree()
        assert built.norm == Node(eps=0.1, extra=1)
        assert built.stages[0].norm == Node(extra=1)
        assert isinstance(models.build(NESTED).norm, Node)
    assert isinstance(tree().norm, Norm)


def test_a_provider_given_as_type_keeps_its_own_arguments(models: Registry) -> None:
    bound = providers.Factory(Backbone, depth=18)
    cfg = {"type": bound, "norm": {"type": "Norm"}}
    for built in (models.build(cfg), models.provider(cfg)()):
        assert isinstance(built, Backbone)
        assert built.depth == 18
        assert isinstance(built.norm, Norm)


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda p: p.add_kwargs(eps=5.0), "arguments"),
        (lambda p: p.set_kwargs(eps=5.0), "arguments"),
        (lambda p: p.add_args(5.0), "arguments"),
        (lambda p: p.set_provides(Conv), "new callable"),
        (lambda p: p.add_attributes(extra=1), "attributes"),
    ],
)
def test_a_registered_provider_refuses_injections_of_its_own(
    models: Registry, change: Any, what: str
) -> None:
    provider = models.providers["Norm"]
    with pytest.raises(
        TypeError, match=rf"test_build\.Norm\) takes no {what} of its own.*override"
    ):
        change(provider)
    assert models.build({"type": "Norm"}).eps == 1e-5
    copied = copy.deepcopy(provider)
    assert isinstance(copied(), Norm)


def test_a_replacement_provider_takes_arguments_of_its_own(models: Registry) -> None:
    with models.override("Norm", Conv):
        replacement = models.providers["Norm"].last_overriding
        assert replacement is not None
        replacement.add_kwargs(channels=4)
        built = models.build({"type": "Norm"})
        assert isinstance(built, Conv)
        assert built.channels == 4


def test_a_tree_follows_overrides_made_after_it_was_compiled(models: Registry) -> None:
    """Nodes call the registered class directly only while its provider is not overridden."""

    @models.register_module()
    def scaled(value: float) -> float:
        return value * 2

    tree = models.provider({"type": "Conv", "channels": {"type": "scaled", "value": 2.0}})
    assert tree().channels == 4.0
    with models.override("scaled", lambda value: -value), models.override("Conv", Node):
        assert tree() == Node(channels=-2.0)
        with models.providers["scaled"].override(providers.Object(7)):
            assert tree() == Node(channels=7)
        assert tree() == Node(channels=-2.0)
    built = tree()
    assert isinstance(built, Conv)
    assert built.channels == 4.0


def test_tree_errors_name_the_node_with_and_without_overrides(models: Registry) -> None:
    tree = models.provider({"type": "Backbone", "depth": 1, "norm": {"type": "Norm", "eps": 1}})
    with models.override("Norm", Conv), pytest.raises(BuildError) as info:
        tree()
    assert info.value.config_path == "norm"
    assert "unexpected keyword argument 'eps'" in str(info.value)
    with models.override("Backbone", Conv), pytest.raises(BuildError) as info:
        tree()
    assert info.value.config_path == ""
    assert isinstance(tree().norm, Norm)


def test_overriding_any_node(models: Registry) -> None:
    tree = models.provider(NESTED)
    marker = object()
    node_at(tree, "stages.0.norm").override(providers.Object(marker))
    built = tree()
    assert built.stages[0].norm is marker
    assert isinstance(built.norm, Norm)
    node_at(tree, "stages.0.norm").reset_override()
    assert isinstance(tree().stages[0].norm, Norm)
    assert node_at(tree, "stages.1.0").kwargs["channels"] == 16


def test_node_at_reports_missing_paths(models: Registry) -> None:
    tree = models.provider(NESTED)
    with pytest.raises(KeyError, match=r"'nrom' is not among \['depth', 'norm', 'stages'\]"):
        node_at(tree, "nrom")
    with pytest.raises(KeyError, match="plain value"):
        node_at(tree, "depth")


def test_override_context_with_a_class(models: Registry) -> None:
    with models.override("Norm", Conv):
        with pytest.raises(BuildError, match="missing 1 required positional argument"):
            models.build({"type": "Norm"})
        assert isinstance(models.build({"type": "Norm", "channels": 1}), Conv)
    assert isinstance(models.build({"type": "Norm"}), Norm)


def test_override_context_with_a_ready_object(models: Registry) -> None:
    ready = Norm(eps=9.0)
    with models.override("Norm", ready):
        assert models.build(NESTED).norm is ready
        assert models.build(NESTED).stages[0].norm is ready
    assert models.build(NESTED).norm is not ready


def test_override_context_nests_and_restores_on_errors(models: Registry) -> None:
    outer, inner = Norm(1.0), Norm(2.0)
    with models.override("Norm", outer):
        seen = []

        def fail_inside() -> None:
            with models.override("Norm", inner):
                seen.append(models.build({"type": "Norm"}))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_inside()
        assert seen == [inner]
        assert models.build({"type": "Norm"}) is outer
    assert models.build({"type": "Norm"}) not in (outer, inner)
    assert not models.providers["Norm"].overridden


def test_override_of_a_parent_name_from_a_child() -> None:
    root = Registry("model", scope="root")
    child = Registry("model", parent=root, scope="child")
    root.register_module(module=Norm)
    ready = Norm()
    with child.override("Norm", ready):
        assert root.build({"type": "Norm"}) is ready


def test_override_of_an_unknown_name(models: Registry) -> None:
    with (
        pytest.raises(RegistryError, match=r"'Nrm' is not registered .* did you mean 'Norm'"),
        models.override("Nrm", Norm()),
    ):
        pass


# -- property: random nested configs build like a hand-written builder ----------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
# Keys named *cfg of a callable taking **kwargs are configs passed as written
# (providers.config_params, tested in tests/providers/test_config_params.py): not here.
keys = st.text(alphabet="abcdefgh", min_size=1, max_size=4).filter(lambda k: not k.endswith("cfg"))


def configs() -> st.SearchStrategy[Any]:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(keys.filter(lambda k: k != "type"), children, max_size=4),
            st.dictionaries(keys.filter(lambda k: k != "type"), children, max_size=4).map(
                lambda d: {"type": "Node", **d}
            ),
        )

    return st.recursive(scalars, extend, max_leaves=25)


def reference_build(value: Any) -> Any:
    """The obvious recursive builder, written independently of the compiler."""
    if isinstance(value, dict):
        built = {key: reference_build(item) for key, item in value.items() if key != "type"}
        return Node(**built) if "type" in value else built
    if isinstance(value, list):
        return [reference_build(item) for item in value]
    if isinstance(value, tuple):
        return tuple(reference_build(item) for item in value)
    return value


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys.filter(lambda k: k != "type"), configs(), max_size=4))
def test_random_configs_build_like_a_reference_builder(body: dict[str, Any]) -> None:
    registry = Registry("model", scope="prop")
    registry.register_module(module=Node)
    cfg = {"type": "Node", **body}
    expected = reference_build(cfg)
    assert registry.build(cfg) == expected
    assert registry.provider(cfg)() == expected
