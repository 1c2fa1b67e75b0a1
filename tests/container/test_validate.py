"""Registry.validate / container.validate: nodes, keywords, required arguments, sources.

The annotation checks themselves are in ``test_validate_types.py``.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import container
from container import (
    BuildError,
    Config,
    ConfigError,
    Registry,
    RegistryError,
    RegwireError,
    ValidationError,
    check,
    validate,
)
from providers import describe_target


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


class BatchNorm(Norm):
    pass


class Conv:
    def __init__(self, channels: int, norm: Norm | None = None) -> None:
        self.channels = channels
        self.norm = norm


class Backbone:
    def __init__(
        self, depth: int, norm: Norm | None = None, stages: list[Conv] | None = None
    ) -> None:
        self.depth = depth
        self.norm = norm
        self.stages = stages


class Anything:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


def scale(x: float, /, factor: float = 1.0) -> float:
    return x * factor


class Leaf:
    def __init__(self, size: int = 1) -> None:
        self.size = size


@pytest.fixture
def models() -> Registry:
    registry = Registry("model", scope="test")
    for module in (Norm, BatchNorm, Conv, Backbone, Anything, scale):
        registry.register_module(module=module)
    return registry


@pytest.fixture
def child(models: Registry) -> Registry:
    registry = Registry("leaves", parent=models, scope="child")
    registry.register_module(module=Leaf)
    return registry


def paths(problems: list[RegwireError]) -> list[str | None]:
    return [problem.config_path for problem in problems]


def lines(problems: list[RegwireError]) -> list[str]:
    return [str(problem) for problem in problems]


GOOD = {
    "type": "Backbone",
    "depth": 50,
    "norm": {"type": "BatchNorm", "eps": 0.1},
    "stages": [
        {"type": "Conv", "channels": 8, "norm": {"type": "Norm"}},
        {"type": "Conv", "channels": 16},
    ],
}


# -- what is checked ----------------------------------------------------------------------


def test_a_config_that_builds_validates_clean(models: Registry) -> None:
    assert isinstance(models.build(GOOD), Backbone)
    assert models.validate(GOOD) == []
    assert validate(GOOD, models) == []
    check(GOOD, models)  # nothing raised


@pytest.mark.parametrize("value", [None, 3, "Conv", [1, {"type": "Nope"}], Norm()])
def test_a_value_that_is_not_a_mapping_has_nothing_to_check(models: Registry, value: Any) -> None:
    assert models.validate(value) == []


def test_unknown_type_has_the_registry_message(models: Registry) -> None:
    cfg = {"type": "Backbone", "depth": 1, "norm": {"type": "Nrom"}}
    with pytest.raises(RegistryError) as built:
        models.build(cfg)
    (problem,) = models.validate(cfg)
    assert isinstance(problem, RegistryError)
    assert problem.config_path == "norm.type"
    assert str(problem) == str(built.value)
    assert str(problem) == (
        "'norm.type': 'Nrom' is not registered in registry 'model' (scope 'test'); "
        "did you mean 'Norm'?"
    )


def test_scoped_names_and_scope_keys(models: Registry, child: Registry) -> None:
    assert models.validate({"type": "child.Leaf", "size": 2}) == []
    assert models.validate({"type": "Anything", "x": {"type": "Leaf", "_scope_": "child"}}) == []
    problems = models.validate({"type": "child.Leaf", "sise": 2})
    assert paths(problems) == ["sise"]
    assert "did you mean 'size'?" in str(problems[0])
    (unknown,) = models.validate({"type": "child.Lef"})
    assert unknown.config_path == "type"
    assert "'child.Lef' is not registered" in str(unknown)


def test_a_nested_node_is_checked_where_its_scope_resolves_it(
    models: Registry, child: Registry
) -> None:
    cfg = {"type": "Anything", "leaf": {"type": "Leaf", "_scope_": "child", "size": "big"}}
    (problem,) = models.validate(cfg)
    assert str(problem) == "'leaf.size' must be an int (got 'big' that is a str)"


def test_type_may_be_a_callable(models: Registry) -> None:
    assert models.validate({"type": Conv, "channels": 3, "norm": {"type": "Norm"}}) == []
    missing, problem = models.validate({"type": Conv, "chanels": 3})
    name = describe_target(Conv)
    assert missing.config_path == ""
    assert str(problem) == (
        f"'chanels': {name!r} ({name}) takes no argument 'chanels'; did you mean 'channels'? "
        "(its arguments: channels, norm)"
    )


def test_type_that_is_neither_a_name_nor_a_callable(models: Registry) -> None:
    (problem,) = models.validate({"type": "Anything", "x": {"type": 3}})
    assert isinstance(problem, BuildError)
    # the build's own wording, article and all
    assert str(problem) == "'x.type' must be a registered name or a callable, got 3 (a int)"


def test_a_root_without_type(models: Registry) -> None:
    (problem,) = models.validate({"depth": 1})
    assert str(problem) == (
        "config '<root>' has no 'type' key, so there is nothing to build (keys: ['depth'])"
    )


def test_unknown_keyword_has_the_build_message(models: Registry) -> None:
    cfg = {"type": "Backbone", "depth": 1, "norm": {"type": "Norm", "epsilon": 0.1}}
    with pytest.raises(BuildError) as built:
        models.build(cfg)
    (problem,) = models.validate(cfg)
    assert isinstance(problem, BuildError)
    assert problem.config_path == built.value.config_path == "norm.epsilon"
    assert str(problem) == str(built.value)
    assert problem.message == (
        f"'norm.epsilon': 'Norm' ({describe_target(Norm)}) takes no argument 'epsilon'; "
        "did you mean 'eps'? (its arguments: eps)"
    )


def test_every_unknown_keyword_is_reported(models: Registry) -> None:
    problems = models.validate({"type": "Conv", "channels": 1, "a": 1, "b": 2})
    assert paths(problems) == ["a", "b"]


def test_var_kwargs_take_any_keyword_but_nested_nodes_are_still_checked(
    models: Registry,
) -> None:
    assert models.validate({"type": "Anything", "whatever": 1, "more": [1, "x"]}) == []
    problems = models.validate({"type": "Anything", "deep": [{"plain": {"type": "Conv"}}]})
    assert paths(problems) == ["deep.0.plain"]
    assert "missing the required argument 'channels'" in str(problems[0])


def test_missing_required_arguments(models: Registry) -> None:
    with pytest.raises(BuildError) as built:
        models.build({"type": "Conv"})
    (problem,) = models.validate({"type": "Conv"})
    assert problem.config_path == built.value.config_path == ""
    assert str(problem) == (
        f"'<root>': 'Conv' ({describe_target(Conv)}) is missing the required argument 'channels'"
    )


def test_partial_nodes_may_lack_arguments_but_not_take_unknown_ones(models: Registry) -> None:
    assert models.validate({"type": "Conv", "_partial_": True}) == []
    assert models.validate({"type": "scale", "_partial_": True}) == []
    problems = models.validate({"type": "Conv", "_partial_": True, "chanels": 1})
    assert paths(problems) == ["chanels"]


def test_positional_only_arguments_cannot_come_from_a_config(models: Registry) -> None:
    (problem,) = models.validate({"type": "scale", "factor": 2.0})
    assert problem.config_path == ""
    assert "takes 'x' only by position, so a config cannot give it" in str(problem)
    (unknown,) = models.validate({"type": "scale", "_partial_": True, "x": 1.0})
    assert str(unknown).startswith("'x': 'scale' (")
    assert "takes no argument 'x'" in str(unknown)


@pytest.mark.parametrize("key", ["_partial_", "_recursive_"])
def test_reserved_flags_must_be_bools(models: Registry, key: str) -> None:
    cfg = {"type": "Anything", "n": {"type": "Norm", key: "yes"}}
    with pytest.raises(BuildError) as built:
        models.build(cfg)
    problems = models.validate(cfg)
    assert lines(problems) == [str(built.value)]
    assert lines(problems) == [f"'n.{key}' must be true or false, got 'yes'"]


def test_non_recursive_nodes_leave_their_children_unchecked(models: Registry) -> None:
    cfg = {
        "type": "Anything",
        "_recursive_": False,
        "spec": {"type": "Nope", "also": {"type": "Conv", "bad": 1}},
    }
    assert models.validate(cfg) == []
    assert models.build(cfg).kwargs["spec"]["type"] == "Nope"


def test_argument_names_must_be_strings(models: Registry) -> None:
    (problem,) = models.validate({"type": "Anything", 3: "x"})
    assert str(problem) == "argument names must be strings; '<root>' has key 3"


def test_default_args_and_given_names_count_as_present(models: Registry) -> None:
    assert models.validate({"type": "Conv"}, default_args={"channels": 3}) == []
    assert models.validate({"channels": 3}, default_args={"type": "Conv"}) == []
    assert models.validate({"type": "Conv"}, given=["channels"]) == []
    (bad,) = models.validate({"type": "Conv", "channels": 1}, default_args={"chanels": 3})
    assert bad.config_path == "chanels"
    (typed,) = models.validate({"type": "Conv"}, default_args={"channels": "3"})
    assert str(typed) == "'channels' must be an int (got '3' that is a str)"


def test_every_problem_at_once(models: Registry) -> None:
    cfg = {
        "type": "Backbone",
        "depth": "fifty",
        "norm": {"type": "Nrom"},
        "stages": [{"type": "Conv", "channels": 8, "chanels": 8}],
    }
    problems = models.validate(cfg)
    assert paths(problems) == ["depth", "norm.type", "stages.0.chanels"]
    assert [type(problem) for problem in problems] == [ConfigError, RegistryError, BuildError]


def test_path_places_the_config_in_a_larger_one(models: Registry) -> None:
    cfg = {"type": "Conv", "channels": "8", "norm": {"type": "Nrom"}}
    problems = models.validate(cfg, path="model.backbone")
    assert paths(problems) == ["model.backbone.channels", "model.backbone.norm.type"]
    assert lines(validate(cfg, models, path="model.backbone")) == lines(problems)


def test_config_mistakes_are_never_raised(models: Registry) -> None:
    weird: list[Any] = [
        {"type": None},
        {"type": {"type": "Norm"}},
        {"type": "Anything", "_scope_": 5, "x": {"type": "Norm"}},
        {"type": "Conv", "channels": {"type": "Conv"}},
        {"type": "Anything", "x": ({"type": "Nope"},)},
        {"type": "Norm", "_partial_": None, "_recursive_": 1},
    ]
    for cfg in weird:
        assert isinstance(models.validate(cfg), list)


# -- agreement with build -----------------------------------------------------------------

BROKEN: list[dict[str, Any]] = [
    {"type": "Nope"},
    {"type": "Backbone", "depth": 1, "norm": {"type": "Nrom"}},
    {"type": "Backbone", "depth": 1, "stages": [{"type": "Conv", "channels": 1}, {"type": "X"}]},
    {"type": "Backbone", "depth": 1, "depht": 2},
    {"type": "Backbone", "depth": 1, "norm": {"type": "Norm", "epsilon": 1}},
    {"type": "Backbone", "depth": 1, "stages": [{"type": "Conv"}]},
    {"type": "Backbone"},
    {"type": "Backbone", "depth": 1, "norm": {"type": "Norm", "_partial_": "no"}},
    {"type": "Anything", "x": {"plain": [{"type": 7}]}},
    {"type": "Anything", "x": {"type": "child.Lef"}},
    {"type": "child.Leaf", "sise": 1},
]


@pytest.mark.parametrize("cfg", BROKEN, ids=range(len(BROKEN)))
def test_validate_reports_what_build_raises(
    models: Registry, child: Registry, cfg: dict[str, Any]
) -> None:
    with pytest.raises(RegwireError) as built:
        models.build(cfg)
    problems = models.validate(cfg)
    assert problems, "validate found nothing where build fails"
    assert problems[0].config_path == built.value.config_path
    assert type(problems[0]) is type(built.value)


_names = st.sampled_from(["Anything", "Nope", "Norm", "child.Leaf", "child.Nope"])
_leaves = st.one_of(st.integers(), st.text(max_size=3), st.none())


def _configs(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    nodes = st.builds(
        lambda name, args: {"type": name, **args},
        _names,
        st.dictionaries(st.sampled_from(["a", "b"]), children, max_size=2),
    )
    return st.one_of(nodes, st.lists(children, max_size=3))


@settings(max_examples=150, deadline=None)
@given(st.recursive(_leaves, _configs, max_leaves=8).filter(lambda cfg: isinstance(cfg, dict)))
def test_validate_fails_where_build_fails(cfg: dict[str, Any]) -> None:
    """Build stops at its first error; validate reports it among all the others."""
    models = Registry("model", scope="prop")
    models.register_module(module=Anything)
    models.register_module(name="Norm", module=Leaf)  # Leaf takes only `size`
    Registry("leaves", parent=models, scope="child").register_module(module=Leaf)
    found = paths(models.validate(cfg))
    try:
        models.build(cfg)
    except RegwireError as exc:
        failed: str | None = exc.config_path
    else:
        failed = None
    assert (failed in found) if failed is not None else found == []


# -- where: sources -----------------------------------------------------------------------


def test_source_of_fills_the_nearest_source(models: Registry) -> None:
    sources = {"norm": "base.yaml:4", "stages.0.channels": "--cfg-options stages.0.channels=x"}

    def source_of(path: str) -> object:
        if path == "stages":
            raise KeyError(path)  # a lookup that fails is passed over
        return sources.get(path)

    cfg = {
        "type": "Backbone",
        "depth": 1,
        "norm": {"type": "Nrom"},
        "stages": [{"type": "Conv", "channels": "x"}],
        "oops": 1,
    }
    problems = models.validate(cfg, source_of=source_of)
    assert [(problem.config_path, problem.source) for problem in problems] == [
        ("norm.type", "base.yaml:4"),
        ("stages.0.channels", "--cfg-options stages.0.channels=x"),
        ("oops", None),
    ]
    assert str(problems[0]).endswith(" [base.yaml:4]")


def test_sources_from_a_config_file(models: Registry, tmp_path: Path) -> None:
    file = tmp_path / "model.yaml"
    file.write_text(
        "model:\n  type: Conv\n  channels: 8\n  norm:\n    type: Norm\n    epsilon: 0.1\n",
        encoding="utf-8",
    )
    cfg = Config.fromfile(file)
    (problem,) = models.validate(cfg.model, path="model", source_of=cfg.source_of)
    assert problem.config_path == "model.norm.epsilon"
    assert problem.source == f"{file}:6"
    assert str(problem).endswith(f"did you mean 'eps'? (its arguments: eps) [{file}:6]")


# -- ValidationError and check ------------------------------------------------------------


def test_check_raises_every_problem_one_line_each(models: Registry) -> None:
    cfg = {"type": "Conv", "channels": "8", "chanels": 8}
    with pytest.raises(ValidationError) as raised:
        check(cfg, models, source_of=lambda path: "f.yaml:2" if path == "chanels" else None)
    error = raised.value
    assert isinstance(error, RegwireError)
    assert str(error).splitlines() == [
        "'channels' must be an int (got '8' that is a str)",
        f"'chanels': 'Conv' ({describe_target(Conv)}) takes no argument 'chanels'; "
        "did you mean 'channels'? (its arguments: channels, norm) [f.yaml:2]",
    ]


def test_validation_error_pickles_with_its_problems() -> None:
    import pickle

    error = ValidationError([ConfigError("must be an int", config_path="a.b", source="x:1")])
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) == "'a.b': must be an int [x:1]"
    assert copy.problems[0].config_path == "a.b"


# -- cost -----------------------------------------------------------------------------------


def test_each_callable_is_analysed_once(models: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    class Fresh:
        def __init__(self, n: int = 0) -> None:
            self.n = n

    models.register_module(module=Fresh)
    calls: list[object] = []
    real = inspect.signature

    def counting(obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
        if obj is Fresh:
            calls.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting)
    cfg = {"type": "Anything", "items": [{"type": "Fresh", "n": index} for index in range(50)]}
    assert models.validate(cfg) == []
    assert models.validate(cfg) == []
    assert len(calls) == 1


def test_import_container_stays_light() -> None:
    code = (
        "import sys, container; "
        "print(container.validate.__name__, 'attr' in sys.modules, 'torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["validate", "False", "False"]


def test_the_public_face() -> None:
    for name in ("validate", "check", "ValidationError"):
        assert name in container.__all__
