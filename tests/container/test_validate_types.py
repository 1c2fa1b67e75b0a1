"""Registry.validate: values against the parameters' annotations, and attrs validators."""

from __future__ import annotations

import datetime
import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, NewType, Optional, Protocol, TypeVar, Union

import attrs
import pytest

from container import ConfigError, Registry
from providers import describe_target

EMPTY = object()  # "no default"


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


class BatchNorm(Norm):
    pass


class Conv:
    def __init__(self, channels: int = 1) -> None:
        self.channels = channels


class Head:
    def __call__(self, x: int) -> int:
        return x


class Sized(Protocol):
    def size(self) -> int: ...


def make_norm(eps: float = 0.1) -> Norm:
    return Norm(eps)


def make_int() -> int:
    return 1


def make_flag() -> bool:
    return True


UserId = NewType("UserId", int)
T = TypeVar("T")


def taking(hint: Any, default: Any = EMPTY) -> Callable[..., Any]:
    """A component with one parameter, ``value``, annotated with ``hint``."""

    def component(value: Any) -> Any:
        return value

    component.__annotations__ = {"value": hint}
    if default is not EMPTY:
        component.__defaults__ = (default,)
    return component


@pytest.fixture
def models() -> Registry:
    registry = Registry("model", scope="types")
    for module in (Norm, BatchNorm, Conv, Head, make_norm, make_int, make_flag):
        registry.register_module(module=module)
    return registry


@pytest.fixture
def problems(models: Registry) -> Callable[..., list[str]]:
    """The problems of ``{type: F, value: value}`` for ``F`` annotated with ``hint``."""

    def run(hint: Any, value: Any, default: Any = EMPTY) -> list[str]:
        models.register_module(name="F", module=taking(hint, default), force=True)
        found = models.validate({"type": "F", "value": value})
        assert all(isinstance(problem, ConfigError) for problem in found)
        return [str(problem) for problem in found]

    return run


FITS: list[tuple[Any, Any]] = [
    (int, 3),
    (float, 3),
    (float, 0.5),
    (bool, False),
    (str, "a"),
    (bytes, b"a"),
    (None, None),
    (complex, 1),
    (Optional[int], None),  # noqa: UP045
    (Optional[int], 2),  # noqa: UP045
    (int | str, "a"),
    (Union[int, list[int]], [1, 2]),  # noqa: UP007
    (Literal["a", "b"], "b"),
    (Literal[1, 2], 2),
    (Literal[Color.RED], "RED"),
    (Color, "RED"),
    (Color, 2),
    (Color, Color.GREEN),
    (list[int], [1, 2]),
    (list[int], (1, 2)),
    (list, ["x", 1]),
    (tuple[int, str], [1, "a"]),
    (tuple[int, ...], []),
    (tuple[int, ...], (1, 2, 3)),
    (tuple[()], []),
    (set[int], [1, 2]),
    (dict[str, int], {"a": 1}),
    (dict, {"a": object()}),
    (Sequence[int], (1,)),
    (Sequence[str], "ab"),
    (Mapping[str, float], {"a": 1}),
    (Iterable[int], {1: "a"}),
    (Any, object()),
    (object, "anything"),
    (Norm, Norm()),
    (Norm, {"eps": 1}),  # a plain dict: the callable may make a Norm of it
    (Norm, object()),
    (type[Norm], BatchNorm),
    (Callable[[int], int], len),
    (UserId, 3),
    (T, "anything"),
    (Sized, 3),
    ("Missing", "an annotation that cannot be resolved is skipped"),
    (list["Norm"], [Norm()]),
]


@pytest.mark.parametrize(("hint", "value"), FITS, ids=repr)
def test_values_that_fit(problems: Callable[..., list[str]], hint: Any, value: Any) -> None:
    assert problems(hint, value) == []


MISFITS: list[tuple[Any, Any, str]] = [
    (int, True, "'value' must be an int (got True that is a bool)"),
    (int, 1.0, "'value' must be an int (got 1.0 that is a float)"),
    (int, [1], "'value' must be an int (got [1] that is a list)"),
    (float, "0.1", "'value' must be a float (got '0.1' that is a str)"),
    (float, True, "'value' must be a float (got True that is a bool)"),
    (bool, 1, "'value' must be a bool (got 1 that is an int)"),
    (bool, "true", "'value' must be a bool (got 'true' that is a str)"),
    (str, 1, "'value' must be a str (got 1 that is an int)"),
    (bytes, "a", "'value' must be a bytes (got 'a' that is a str)"),
    (None, 0, "'value' must be None (got 0 that is an int)"),
    (Optional[int], "x", "'value' must be an int or None (got 'x' that is a str)"),  # noqa: UP045
    (int | str, 1.5, "'value' must be an int or a str (got 1.5 that is a float)"),
    (
        Union[int, list[int]],  # noqa: UP007
        ["a"],
        "'value' must be an int or a list[int] (got ['a'] that is a list)",
    ),
    (Literal["a", "b"], "c", "'value' must be one of 'a', 'b' (got 'c' that is a str)"),
    (
        Literal["mean", "sum"],
        "maen",
        "'value' must be one of 'mean', 'sum' (got 'maen' that is a str); did you mean 'mean'?",
    ),
    (Literal[1, 2], True, "'value' must be one of 1, 2 (got True that is a bool)"),
    (
        Color,
        "REDD",
        "'value' must be a Color: one of 'RED', 'GREEN' or of their values "
        "(got 'REDD' that is a str); did you mean 'RED'?",
    ),
    (Color, True, "'value' must be a Color: one of 'RED', 'GREEN' or of their values (got True"),
    (list[int], [1, "a"], "'value.1' must be an int (got 'a' that is a str)"),
    (list[int], "abc", "'value' must be a list[int] (got 'abc' that is a str)"),
    (list[int], {"a": 1}, "'value' must be a list[int] (got {'a': 1} that is a dict)"),
    (tuple[int, str], [1], "'value' must be a tuple[int, str] (got [1] that is a list)"),
    (tuple[int, str], [1, 2], "'value.1' must be a str (got 2 that is an int)"),
    (tuple[int, ...], [1, "x"], "'value.1' must be an int (got 'x' that is a str)"),
    (tuple[()], [1], "'value' must be a tuple[()] (got [1] that is a list)"),
    (set[int], ["a"], "'value' must be an int (got 'a' that is a str)"),
    (dict[str, int], {"a": "b"}, "'value.a' must be an int (got 'b' that is a str)"),
    (dict[str, int], {1: 1}, "'value.1' must be a str (got 1 that is an int)"),
    (dict[str, int], [1], "'value' must be a dict[str, int] (got [1] that is a list)"),
    (Sequence[int], "ab", "'value' must be an int (got 'a' that is a str)"),
    (Sequence[int], {1: 1}, "'value' must be a Sequence[int] (got {1: 1} that is a dict)"),
    (Mapping[str, float], [], "'value' must be a Mapping[str, float] (got [] that is a list)"),
    (Iterable[int], 5, "'value' must be an Iterable[int] (got 5 that is an int)"),
    (Norm, "norm", "'value' must be a Norm (got 'norm' that is a str)"),
    (Norm, None, "'value' must be a Norm (got None)"),
    (type[Norm], Conv, "'value' must be a type[Norm] (got <class"),
    (type[Norm], "Norm", "'value' must be a type[Norm] (got 'Norm' that is a str)"),
    (Callable[[int], int], "len", "'value' must be a Callable[[int], int] (got 'len'"),
    (UserId, "a", "'value' must be an int (got 'a' that is a str)"),
    (list["Norm"], ["x"], "'value.0' must be a Norm (got 'x' that is a str)"),
]


@pytest.mark.parametrize(("hint", "value", "message"), MISFITS, ids=repr)
def test_values_that_do_not_fit(
    problems: Callable[..., list[str]], hint: Any, value: Any, message: str
) -> None:
    (found,) = problems(hint, value)
    assert found.startswith(message)


def test_none_is_fine_where_the_default_is_none(problems: Callable[..., list[str]]) -> None:
    assert problems(Norm, None, default=None) == []
    assert problems(int, None, default=None) == []
    assert problems(int, None, default=0) == ["'value' must be an int (got None)"]


# -- nested nodes: what they build against the annotation -----------------------------------

NODES_THAT_FIT: list[tuple[Any, Any]] = [
    (Norm, {"type": "Norm"}),
    (Norm, {"type": "BatchNorm"}),  # a subclass
    (Norm, {"type": "make_norm"}),  # a function annotated to return one
    (Optional[Norm], {"type": "BatchNorm"}),  # noqa: UP045
    (list[Norm], [{"type": "Norm"}, {"type": "make_norm"}]),
    (float, {"type": "make_int"}),
    (Callable[..., Norm], {"type": "Norm", "_partial_": True}),
    (Callable[[int], int], {"type": "Head"}),  # its instances are callable
    (Literal["a"], {"type": "Norm"}),  # what a node builds is no literal we can compare
    (Any, {"type": "Conv"}),
    (dict, {"type": "Anything", "_recursive_": False}),
]


@pytest.mark.parametrize(("hint", "value"), NODES_THAT_FIT, ids=repr)
def test_nodes_that_build_what_is_expected(
    problems: Callable[..., list[str]], models: Registry, hint: Any, value: Any
) -> None:
    models.register_module(name="Anything", module=dict)
    assert problems(hint, value) == []


def test_a_node_of_another_class(problems: Callable[..., list[str]]) -> None:
    (found,) = problems(Norm, {"type": "Conv"})
    assert found == (
        f"'value' must be a Norm (got a node of type 'Conv' ({describe_target(Conv)}), "
        "which builds a Conv)"
    )


@pytest.mark.parametrize(
    ("hint", "value", "path"),
    [
        (list[Norm], [{"type": "Norm"}, {"type": "Conv"}], "value.1"),
        (dict[str, Norm], {"a": {"type": "Conv"}}, "value.a"),
        (int, {"type": "make_flag"}, "value"),
        (Norm, {"type": "Norm", "_partial_": True}, "value"),
        (Callable[..., Any], {"type": "Conv"}, "value"),
        (list[int], {"type": "Norm"}, "value"),
    ],
    ids=repr,
)
def test_nodes_that_build_something_else(
    problems: Callable[..., list[str]], hint: Any, value: Any, path: str
) -> None:
    (found,) = problems(hint, value)
    assert found.startswith(f"{path!r} must be ")
    assert "(got a " in found
    assert "node of type" in found


def test_a_node_whose_type_is_unknown_is_reported_once(models: Registry) -> None:
    models.register_module(name="F", module=taking(Norm))
    (problem,) = models.validate({"type": "F", "value": {"type": "Nrom"}})
    assert problem.config_path == "value.type"


def test_a_value_inside_a_non_recursive_node_is_plain_data(models: Registry) -> None:
    models.register_module(name="F", module=taking(dict[str, Any]))
    assert models.validate({"type": "F", "_recursive_": False, "value": {"type": "Nrom"}}) == []
    models.register_module(name="G", module=taking(Norm))
    # a plain dict where a Norm is expected: not flagged (the callable may build it)
    assert models.validate({"type": "G", "_recursive_": False, "value": {"type": "Norm"}}) == []


# -- attrs classes ----------------------------------------------------------------------------


def _below_lr(instance: Any, attribute: Any, value: float) -> None:
    if value > instance.lr:  # needs the instance: cannot run on the value alone
        raise ValueError(f"{attribute.name} must not exceed lr")


def _not_zero(instance: Any, attribute: Any, value: float) -> None:
    if value == 0:
        raise ValueError(f"{attribute.name} must not be 0")


@attrs.define
class SGD:
    lr: float = attrs.field(validator=attrs.validators.gt(0))
    momentum: float = attrs.field(
        default=0.0, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    floor: float = attrs.field(default=0.0, validator=_below_lr)
    weight: float = attrs.field(default=1.0, validator=_not_zero)
    mode: Literal["sgd", "nesterov"] = "sgd"
    scale: float = attrs.field(default=1.0, converter=float, validator=attrs.validators.gt(0))
    _steps: int = attrs.field(default=0, validator=attrs.validators.instance_of(int))
    norm: Norm | None = None


@pytest.fixture
def sgd(models: Registry) -> Callable[..., list[str]]:
    models.register_module(module=SGD)

    def run(**values: Any) -> list[str]:
        return [str(problem) for problem in models.validate({"type": "SGD", **values})]

    return run


def test_attrs_fields_clean(sgd: Callable[..., list[str]]) -> None:
    assert sgd(lr=0.1, momentum=0.9, floor=0.01, mode="nesterov", steps=3) == []
    assert sgd(lr=0.1, norm={"type": "BatchNorm"}) == []


def test_attrs_field_types(sgd: Callable[..., list[str]]) -> None:
    assert sgd(lr="0.1", mode="adam", steps="3") == [
        "'lr' must be a float (got '0.1' that is a str)",
        "'mode' must be one of 'sgd', 'nesterov' (got 'adam' that is a str)",
        "'steps' must be an int (got '3' that is a str)",
    ]
    assert sgd(lr=0.1, norm={"type": "Conv"})[0].startswith("'norm' must be a Norm or None")


def test_attrs_validators_on_the_value_alone(sgd: Callable[..., list[str]]) -> None:
    target = f"'SGD' ({describe_target(SGD)})"
    assert sgd(lr=-1, momentum=2, weight=0) == [
        f"'lr' is rejected by {target}: 'lr' must be > 0: -1",
        f"'momentum' is rejected by {target}: 'momentum' must be <= 1: 2",
        f"'weight' is rejected by {target}: weight must not be 0",
    ]


def test_attrs_validators_that_need_the_instance_or_a_converter_are_skipped(
    sgd: Callable[..., list[str]],
) -> None:
    assert sgd(lr=0.1, floor=5.0) == []  # _below_lr reads instance.lr
    assert sgd(lr=0.1, scale="2") == []  # converted first: the validator sees 2.0, not "2"


def test_a_type_mismatch_is_not_reported_twice(sgd: Callable[..., list[str]]) -> None:
    assert sgd(lr="x") == ["'lr' must be a float (got 'x' that is a str)"]


def test_partial_functions_are_checked_with_what_is_left(models: Registry) -> None:
    def scaled(value: int, factor: float) -> float:
        return value * factor

    models.register_module(name="half", module=functools.partial(scaled, factor=0.5))
    assert models.validate({"type": "half", "value": 2}) == []
    (problem,) = models.validate({"type": "half", "value": "2"})
    assert str(problem) == "'value' must be an int (got '2' that is a str)"


def test_paths_and_compiled_classes_take_the_plain_values_callables_convert() -> None:
    import os
    import pathlib

    registry = Registry("convert", scope="test_convert")

    @registry.register_module()
    class Saver:
        def __init__(self, root: pathlib.Path, other: os.PathLike[str] | None = None) -> None:
            self.root = root

    class Anything:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.args = args

    @registry.register_module()
    class Timed:
        def __init__(self, every: datetime.timedelta, kind: Anything | None = None) -> None:
            self.every = every

    @registry.register_module()
    class Normed:
        def __init__(self, norm: Registry) -> None:  # a class with a real signature
            self.norm = norm

    assert registry.validate({"type": "Saver", "root": "/data", "other": "x"}) == []
    assert registry.validate({"type": "Timed", "every": "1h", "kind": "float16"}) == []
    assert len(registry.validate({"type": "Normed", "norm": "abc"})) == 1  # still strict
