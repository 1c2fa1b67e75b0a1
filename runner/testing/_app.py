"""A training container for one test: from a dict, a Config or a file, its work dir in the
test's ``tmp_path``, components replaced."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from container import Config

    from ..app import Runner

CfgOptions = Sequence[str] | str | Mapping[str, Any]
"""``--cfg-options`` strings (``"train_cfg.max_epochs=1"``), or a dict for ``merge_from_dict``."""

CfgSource = Mapping[str, Any] | str | os.PathLike[str]
"""A whole config: a mapping (a :class:`~container.Config` too), or a file."""


def load_config(cfg: CfgSource | Config, options: CfgOptions | None = None) -> Config:
    """A new Config from a file, a Config (deep-copied) or a mapping (its dicts copied), with
    ``options`` applied as ``Config.fromfile`` applies them."""
    from container import Config

    if isinstance(cfg, str | os.PathLike):
        return Config.fromfile(cfg, cfg_options=options)
    config = copy.deepcopy(cfg) if isinstance(cfg, Config) else Config(cfg)
    if isinstance(options, Mapping):
        config.merge_from_dict(options)
    elif options:
        config.apply_overrides([options] if isinstance(options, str) else options)
    return config


def component(app: Any, name: str) -> Any:
    """The provider ``name`` of the container ``app``; a dotted name reaches into it
    (``config.optim_wrapper.optimizer.lr``).

    Raises:
        KeyError: ``app`` has no provider of that name (naming the nearest and all).
    """
    from container import did_you_mean

    first, _, rest = name.partition(".")
    if first not in app.providers:
        known = sorted(app.providers)
        raise KeyError(
            f"{first!r} is not a provider of {type(app).__name__}"
            f"{did_you_mean(first, known)} (its providers: {', '.join(known)})"
        )
    provider = app.providers[first]
    for part in rest.split(".") if rest else ():
        provider = getattr(provider, part)
    return provider


class AppFactory:
    """What the ``regwire_app`` fixture gives: call it to build a training container for the
    test; :meth:`runner` builds one and returns its runner.

    Args:
        tmp_path: The test's temporary directory; work dirs are made in it.
    """

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._made = 0
        self.apps: list[Any] = []
        """The containers made so far, in order."""

    def __call__(
        self,
        cfg: CfgSource | Config,
        *,
        overrides: Mapping[str, Any] | None = None,
        cfg_options: CfgOptions | None = None,
        container: type[Any] | None = None,
        work_dir: str | os.PathLike[str] | None = None,
    ) -> Any:
        """Build a training container whose ``work_dir`` is in ``tmp_path``.

        Args:
            cfg: A whole config: a mapping (copied, never changed), a
                :class:`~container.Config`, or a file (``.yaml``, ``.json``, ``.py``).
            overrides: Providers of the container by name (``model``, ``train_dataloader``,
                ``hooks``...; a dotted name reaches into one: ``config.train_cfg``), each to a
                replacement: a ready object, or a provider
                (``providers.Factory(MyNet, width=2)``).
            cfg_options: Applied to the config first, as ``--cfg-options`` (strict: a key
                that does not exist is an error; ``+key=value`` adds one), or a dict for
                ``merge_from_dict``.
            container: A :class:`~runner.TrainingContainer` subclass to build (by default
                ``TrainingContainer``).
            work_dir: The work dir; a relative one is under ``tmp_path``. By default
                ``tmp_path/work_dir``, then ``work_dir_1``, ... for later calls.

        Returns:
            The container (a fresh instance: overriding its providers changes nothing else).

        Raises:
            RegwireError: The config or an option is wrong (naming its path).
            KeyError: ``overrides`` names no provider of the container.
        """
        app, _ = self._build(cfg, overrides, cfg_options, container, work_dir)
        return app

    def runner(
        self,
        cfg: CfgSource | Config,
        *,
        overrides: Mapping[str, Any] | None = None,
        cfg_options: CfgOptions | None = None,
        container: type[Any] | None = None,
        work_dir: str | os.PathLike[str] | None = None,
    ) -> Runner:
        """Build a container as calling the factory does, and return its runner; errors name
        the file and line of the value, as ``Runner.from_cfg``'s do."""
        from container import RegwireError

        from ..app import locate

        app, config = self._build(cfg, overrides, cfg_options, container, work_dir)
        try:
            runner: Runner = app.runner()
        except RegwireError as exc:
            locate(exc, config)
            raise
        return runner

    def _build(
        self,
        cfg: CfgSource | Config,
        overrides: Mapping[str, Any] | None,
        cfg_options: CfgOptions | None,
        container: type[Any] | None,
        work_dir: str | os.PathLike[str] | None,
    ) -> tuple[Any, Config]:
        from ..app import TrainingContainer

        config = load_config(cfg, cfg_options)
        config["work_dir"] = str(self._work_dir(work_dir))
        app = (container or TrainingContainer).from_cfg(config)
        for name, replacement in (overrides or {}).items():
            component(app, name).override(replacement)
        self.apps.append(app)
        return app, config

    def _work_dir(self, given: str | os.PathLike[str] | None) -> Path:
        if given is not None:
            return self._tmp_path / given  # an absolute path replaces tmp_path
        name = "work_dir" if self._made == 0 else f"work_dir_{self._made}"
        self._made += 1
        return self._tmp_path / name

    def close(self) -> None:
        """Let go of the containers' singletons (the runners, and so their log files)."""
        for app in self.apps:
            app.reset_singletons()
