"""Pipelines of transforms: :class:`Compose`, registered in ``TRANSFORMS``.

A transform is a callable from one data dict to the next. A pipeline is a list of them, or of
their configs (``dict(type="Normalize", mean=0.5)``), which :class:`Compose` builds with
``TRANSFORMS``. A config's ``pipeline`` list is built before its dataset, with the dataset's
registry, which finds transforms in ``TRANSFORMS`` too (see ``runner._registries``), so a
dataset from a config receives the transforms built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from container import ConfigError, RegwireError
from providers import PATH, join_path, with_section

from .._registries import TRANSFORMS

Transform = Callable[[Any], Any]
"""A step of a pipeline: takes a data dict, returns the next one, or None to drop the item."""


@TRANSFORMS.register_module()
class Compose:
    """Apply transforms one after the other, as MMEngine's ``Compose`` does.

    Args:
        transforms: Transforms (callables) or their configs (mappings with ``type``, built
            with ``TRANSFORMS``), in order; None is no transform.

    Raises:
        TypeError: An item is neither callable nor a mapping, or a config builds something
            that is not callable.
        RegwireError: A config is wrong (an unregistered ``type``, with a suggestion); its
            ``config_path`` is the item's index (``2.type``).

    Example:
        >>> pipeline = Compose([lambda d: {**d, "x": d["x"] + 1}, lambda d: {**d, "y": 0}])
        >>> pipeline({"x": 1})
        {'x': 2, 'y': 0}
        >>> Compose([lambda d: None, lambda d: d["never"]])({"x": 1}) is None
        True
    """

    def __init__(self, transforms: Sequence[Mapping[str, Any] | Transform] | None) -> None:
        self.transforms: list[Transform] = [
            _transform(item, index) for index, item in enumerate(transforms or ())
        ]

    def __call__(self, data: Any) -> Any:
        """Run ``data`` through every transform; None as soon as one returns None."""
        for transform in self.transforms:
            data = transform(data)
            if data is None:
                return None
        return data

    def __iter__(self) -> Iterator[Transform]:
        return iter(self.transforms)

    def __len__(self) -> int:
        return len(self.transforms)

    def __repr__(self) -> str:
        lines = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


def _transform(item: Any, index: int) -> Transform:
    if isinstance(item, Mapping):
        try:
            built = TRANSFORMS.build_at(str(index), item)
        except RegwireError as exc:
            if exc.config_path is None:
                raise with_section(exc, str(index)) from exc.__cause__
            raise
        if not callable(built):
            raise TypeError(
                f"transform {index} ({item.get('type')!r}) built {built!r}, which is not "
                "callable: a transform takes a data dict and returns the next"
            )
        transform: Transform = built
        return transform
    if callable(item):
        return item  # type: ignore[no-any-return]
    raise TypeError(
        f"transform {index} must be a callable or a config mapping with 'type', got {item!r} "
        f"(a {type(item).__name__})"
    )


def pipeline_problems(cfg: Any, path: str) -> list[ConfigError]:
    """The items of every ``pipeline`` list in a dataset's config that no build can take: a
    mapping without ``type`` (``regwire check``; registered names and arguments are checked
    with the dataset's other nodes).

    Args:
        cfg: A dataset's config (wrappers' ``dataset``/``datasets`` are searched too).
        path: Where ``cfg`` is in the whole config.
    """
    problems: list[ConfigError] = []
    if isinstance(cfg, Mapping):
        for key, value in cfg.items():
            where = join_path(path, key)
            if key == "pipeline" and isinstance(value, list | tuple):
                problems += _untyped(value, where)
            problems += pipeline_problems(value, where)
    elif isinstance(cfg, list | tuple):
        for index, item in enumerate(cfg):
            problems += pipeline_problems(item, join_path(path, index))
    return problems


def _untyped(items: Sequence[Any], path: str) -> list[ConfigError]:
    return [
        ConfigError(
            f"{PATH} is a transform's config without 'type' (keys: {sorted(map(str, item))}); "
            "name a transform registered in TRANSFORMS",
            config_path=join_path(path, index),
        )
        for index, item in enumerate(items)
        if isinstance(item, Mapping) and "type" not in item
    ]
