"""Collate functions: how a dataloader puts samples together into a batch.

Registered in ``FUNCTIONS``, so a dataloader config names them (``collate_fn: pseudo_collate``)
or binds their arguments (``collate_fn: {type: my_collate, pad: 0}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch.utils.data import default_collate

from container import ConfigError, RegistryError
from providers import PATH

from .._registries import FUNCTIONS

DEFAULT_COLLATE = "default_collate"
"""The collate function of a dataloader config that names none.

MMEngine's default is ``pseudo_collate``, which leaves batching to a data preprocessor;
regwire's models receive stacked tensors unless a config asks for ``pseudo_collate``.
"""

FUNCTIONS.register_module("default_collate", module=default_collate)


@FUNCTIONS.register_module()
def pseudo_collate(data_batch: Sequence[Any]) -> Any:
    """Collate a batch into lists, without stacking tensors.

    A batch of tuples becomes a list of per-field lists, a batch of dicts a dict of per-key
    lists (recursively); anything else is returned as a list.

    Example:
        >>> pseudo_collate([(1, "a"), (2, "b")])
        [[1, 2], ['a', 'b']]
        >>> pseudo_collate([{"x": 1}, {"x": 2}])
        {'x': [1, 2]}
    """
    first = data_batch[0]
    if isinstance(first, Mapping):
        return {key: pseudo_collate([item[key] for item in data_batch]) for key in first}
    if isinstance(first, Sequence) and not isinstance(first, str | bytes):
        if any(len(item) != len(first) for item in data_batch):
            raise ValueError("each element in the batch must have the same number of fields")
        return [pseudo_collate(list(field)) for field in zip(*data_batch, strict=True)]
    return list(data_batch)


def resolve_collate_fn(cfg: Any, path: str) -> Callable[[Any], Any]:
    """Turn a ``collate_fn`` config into a function.

    Args:
        cfg: A name in ``FUNCTIONS`` (``pseudo_collate``), a mapping with ``type`` and
            keyword arguments to bind (built with ``_partial_: true``), a callable, or None
            (``default_collate``).
        path: Where ``cfg`` is in the config, for errors.

    Raises:
        RegistryError: The name is not in ``FUNCTIONS`` (the registry's error, with a
            suggestion).
        RegwireError: The keyword arguments do not fit the function.
        ConfigError: ``cfg`` has another shape.
    """
    if cfg is None:
        cfg = DEFAULT_COLLATE
    if isinstance(cfg, Mapping) and set(cfg) == {"type"}:
        cfg, path = cfg["type"], f"{path}.type"
    if callable(cfg):
        function: Callable[[Any], Any] = cfg
        return function
    if isinstance(cfg, str):
        found = FUNCTIONS.get(cfg)  # the plain function: it runs every batch
        if found is not None:
            return found
        node: Mapping[str, Any] = {"type": cfg}
    elif isinstance(cfg, Mapping):
        node = cfg
    else:
        raise ConfigError(
            f"{PATH} must be a function name such as 'pseudo_collate' or "
            f"{{type: ..., ...}}, got {cfg!r}",
            config_path=path,
        )
    try:
        bound: Callable[[Any], Any] = FUNCTIONS.build_at(path, {**node, "_partial_": True})
    except RegistryError as exc:
        if node is not cfg:  # a bare name is the value at ``path`` itself, not at ``path.type``
            exc.config_path = path
        raise
    return bound
