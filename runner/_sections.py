"""Config sections of a run: their shape, and building them with the section's full path.

A registry names the place of a mistake relative to the mapping it was given; the runner
builds sections of a larger config, so :func:`build_at` passes the section's own path
(``optim_wrapper.optimizer``) and errors name the full one (``optim_wrapper.optimizer.type``).
:func:`mapping_section` and :func:`build_at` reject a section of the wrong shape
(``train_cfg: 3``, ``model: DigitsCNN``) with a :class:`ConfigError` naming the section, before
anything reads it. An error raised outside a build gets its section from
:func:`providers.with_section`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from container import ConfigError, Registry, RegwireError
from providers import PATH

_PLAIN = (str, bytes, int, float, list, tuple)
"""Values a config file can hold that are never a built object nor a config node."""


def wrong_shape(cfg: Any, path: str, expected: str) -> ConfigError:
    """The error for the value ``cfg`` at ``path``, which should be ``expected``."""
    return ConfigError(
        f"{PATH} must be {expected}, got {cfg!r} (a {type(cfg).__name__})", config_path=path
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
    raise wrong_shape(cfg, path, expected)


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
        raise wrong_shape(
            cfg, section, f"a config node ({{type: ...}}) for registry {registry.name!r}"
        )
    return registry.build_at(section, cfg, **default_args)


class ArgumentError(ValueError):
    """A component refuses the value of one of its arguments.

    A ``ValueError`` for code that calls the component; a builder that knows where the
    component's config sits turns it into a :class:`ConfigError` naming the argument's full
    path (:func:`at_argument`: ``custom_hooks.0.momentum``).

    Attributes:
        argument: The argument, or a path below it (``custom_cfg.0.method_name``).
        reason: What is wrong, without the argument (``must be a positive int, got 0``).
    """

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"{argument} {reason}")
        self.argument = argument
        self.reason = reason


def at_argument(exc: RegwireError, path: str) -> RegwireError:
    """``exc``, or, when a component built at ``path`` raised it for an
    :class:`ArgumentError`, a ConfigError naming ``path.<argument>``."""
    cause = exc.__cause__
    if isinstance(cause, ArgumentError) and exc.config_path == path:
        error = ConfigError(f"{PATH} {cause.reason}", config_path=f"{path}.{cause.argument}")
        error.__cause__ = cause
        return error
    return exc


def check_positive(name: str, value: object) -> None:
    """Raise an :class:`ArgumentError` unless ``value`` is a positive int (a count or an
    interval)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(name, f"must be a positive int, got {value!r}")
