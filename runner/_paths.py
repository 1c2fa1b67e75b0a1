"""Build a config section with a registry, naming errors by the section's full config path.

A registry names the place of a mistake relative to the mapping it was given
(``optimizer.type``); the runner builds sections of a larger config, so the section's own path
goes in front (``optim_wrapper.optimizer.type``): :meth:`Registry.build_at` does it while
building, and :func:`raise_at` does it for an error raised outside a build.
:func:`mapping_section` and :func:`build_at` reject a section of the wrong shape (``train_cfg: 3``,
``model: DigitsCNN``) with a :class:`ConfigError` naming the section, before anything reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from container import ConfigError, Registry, RegwireError
from providers import describe_path, join_path


def rebase_error(exc: RegwireError, section: str) -> RegwireError:
    """Return a copy of ``exc`` whose config path (and message) start at ``section``.

    Args:
        exc: An error raised while building a part of the config found at ``section``.
        section: The dotted path of that part in the whole config (``optim_wrapper``).

    Returns:
        An error of the same type, with ``config_path`` joined under ``section``.
    """
    old = exc.config_path
    new = join_path(section, old) if old else section
    if old is None:
        message = f"{section!r}: {exc.message}"
    else:
        old_text = repr(describe_path(old))
        if old_text in exc.message:
            message = exc.message.replace(old_text, repr(new), 1)
        else:
            message = f"{new!r}: {exc.message}"
    try:
        return type(exc)(message, config_path=new, source=exc.source)
    except TypeError:  # a subclass with another constructor: keep it, fix the path
        exc.config_path = new
        return exc


def raise_at(exc: RegwireError, section: str) -> NoReturn:
    """Raise :func:`rebase_error` of ``exc``, chained to what caused it."""
    rebased = rebase_error(exc, section)
    if rebased is exc:
        raise exc
    raise rebased from (exc.__cause__ or exc)


_PLAIN = (str, bytes, int, float, list, tuple)
"""Values a config file can hold that are never a built object nor a config node."""


def _wrong_shape(cfg: Any, path: str, expected: str) -> ConfigError:
    return ConfigError(
        f"{path!r} must be {expected}, got {cfg!r} (a {type(cfg).__name__})", config_path=path
    )


def mapping_section(cfg: Any, path: str, expected: str = "a mapping") -> Mapping[str, Any]:
    """Return ``cfg`` when it is a mapping; otherwise raise a ConfigError naming ``path``.

    Args:
        cfg: The value found at ``path`` in the config.
        path: Where ``cfg`` sits in the whole config (``train_cfg``).
        expected: What the section should be, for the message (``"a mapping such as
            {max_epochs: 10}"``).

    Raises:
        ConfigError: ``cfg`` is not a mapping; the message says what it got.
    """
    if isinstance(cfg, Mapping):
        return cfg
    raise _wrong_shape(cfg, path, expected)


def build_at(registry: Registry, cfg: Any, section: str, **default_args: Any) -> Any:
    """Build ``cfg`` with ``registry``; errors name paths under ``section``.

    Args:
        registry: The registry that knows the ``type`` names of ``cfg``.
        cfg: A config node (a mapping with ``type``), or a ready object (Python configs),
            which is returned as it is.
        section: Where ``cfg`` sits in the whole config (``train_dataloader.sampler``).
        **default_args: Arguments for keys that ``cfg`` lacks.

    Returns:
        The built object.

    Raises:
        ConfigError: ``cfg`` is a plain value (a string, a number, a list), not a config node.
        RegwireError: The config is wrong; its ``config_path`` starts with ``section``.
    """
    if isinstance(cfg, _PLAIN):
        raise _wrong_shape(
            cfg, section, f"a config node ({{type: ...}}) for registry {registry.name!r}"
        )
    return registry.build_at(section, cfg, **default_args)
