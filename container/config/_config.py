"""``Config``: a loaded config, its file name and where each of its values came from."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from .._errors import ConfigError
from ._configdict import ConfigDict, to_config
from ._dump import python_text, to_text, write
from ._keys import BASE_KEY, RESERVED_KEYS
from ._load import LoadOptions, import_custom_modules, load_file, load_text
from ._overrides import apply_overrides, merge_options
from ._paths import config_error, parse_path
from ._provenance import Provenance, Source
from ._python import parse, take_bases
from ._yaml import load_yaml

Options = Sequence[str] | Mapping[str, Any]


def _check_keys(keys: Collection[object], provenance: Provenance | None = None) -> None:
    """Raise if a top-level key is reserved, naming where it was set when that is known."""
    for key in RESERVED_KEYS:
        if key in keys:
            raise config_error(
                "is reserved: Config uses that name; rename the key",
                path=key,
                source=provenance.lookup((key,)) if provenance else None,
            )


def _file_texts(path: str, chain: tuple[str, ...]) -> str:
    """``path``'s text after its bases' (MMEngine's ``Config.text`` of one file)."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    parts = [
        _file_texts(base, (*chain, path))
        for base in _base_paths(path, text)
        if base not in chain and base != path and os.path.isfile(base)
    ]
    return "\n".join([*parts, f"{path}\n{text}"])


def _base_paths(path: str, text: str) -> list[str]:
    """The absolute paths of the ``_base_`` files ``text`` (the file at ``path``) names, read
    without running the file (a base that does not read is left out: the load said why)."""
    extension = os.path.splitext(path)[1].lower()
    try:
        if extension == ".py":
            bases, _ = take_bases(parse(text, path), path)
        else:
            data = json.loads(text) if extension == ".json" else load_yaml(text, path, Provenance())
            bases = data.get(BASE_KEY, []) if isinstance(data, Mapping) else []
    except (ConfigError, ValueError):
        return []
    if isinstance(bases, str):
        bases = [bases]
    folder = os.path.dirname(path)
    return [
        os.path.abspath(os.path.join(folder, base))
        for base in bases
        if isinstance(base, str) and "::" not in base
    ]


class Config:
    """A config: a :class:`ConfigDict` of values, the file they came from, and their sources.

    It reads like MMEngine's: ``cfg.model``, ``cfg["model"]``, ``cfg.get("model")``,
    ``"model" in cfg``, iteration over keys, ``cfg.to_dict()``, ``cfg.dump(path)``. Build one
    with :meth:`fromfile` or :meth:`fromstring`, or ``Config(dict)``.

    Args:
        cfg_dict: The values.
        filename: The file they were loaded from, if any.
        provenance: Where each value was set (``fromfile`` records it).

    Raises:
        ConfigError: A top-level key is reserved (``filename``, ``text``, ``pretty_text``,
            ``env_variables``).
    """

    __slots__ = ("_cfg_dict", "_filename", "_provenance")

    _cfg_dict: ConfigDict
    _filename: str | None
    _provenance: Provenance

    def __init__(
        self,
        cfg_dict: Mapping[str, Any] | None = None,
        filename: str | os.PathLike[str] | None = None,
        *,
        provenance: Provenance | None = None,
    ) -> None:
        if cfg_dict is None:
            cfg_dict = {}
        if not isinstance(cfg_dict, Mapping):
            raise TypeError(f"cfg_dict must be a dict, not {type(cfg_dict).__name__}")
        _check_keys(cfg_dict, provenance)
        values = cfg_dict if isinstance(cfg_dict, ConfigDict) else to_config(dict(cfg_dict))
        object.__setattr__(self, "_cfg_dict", values)
        object.__setattr__(self, "_filename", None if filename is None else os.fspath(filename))
        object.__setattr__(
            self, "_provenance", provenance if provenance is not None else Provenance()
        )

    @classmethod
    def fromfile(
        cls,
        filename: str | os.PathLike[str],
        cfg_options: Options | None = None,
        *,
        use_predefined_variables: bool = True,
        use_environment_variables: bool = True,
        import_custom_modules: bool = True,
    ) -> Config:
        """Load a ``.py``, ``.yaml``/``.yml`` or ``.json`` config file and all it inherits.

        A Python config is executed (it is code; load only files you trust); YAML and JSON
        never run code. After loading, ``cfg_options`` are applied, then the modules in
        ``custom_imports`` are imported.

        Args:
            filename: The file.
            cfg_options: Command-line overrides (``["model.depth=101", "+a=1", "~b"]``, see
                :meth:`apply_overrides`), or a dict for :meth:`merge_from_dict`.
            use_predefined_variables: Substitute ``{{fileDirname}}`` and its siblings.
            use_environment_variables: Substitute ``{{$VAR:default}}``.
            import_custom_modules: Import the modules named in ``custom_imports``.

        Raises:
            ConfigError: Anything wrong in the files or overrides; the message names the file,
                line and key where known.
        """
        name = os.fspath(filename)
        options = LoadOptions(use_predefined_variables, use_environment_variables)
        loaded = load_file(name, options)
        return cls._finish(loaded.data, loaded.provenance, name, cfg_options, import_custom_modules)

    @classmethod
    def fromstring(
        cls,
        cfg_str: str,
        file_format: str,
        cfg_options: Options | None = None,
        *,
        use_environment_variables: bool = True,
        import_custom_modules: bool = True,
    ) -> Config:
        """Load config text in ``file_format`` (``.py``, ``.yaml``, ``.yml`` or ``.json``).

        ``_base_`` paths are relative to the working directory; ``{{fileDirname}}`` and its
        siblings are errors, as there is no file. See :meth:`fromfile` for the rest.
        """
        extension = file_format if file_format.startswith(".") else "." + file_format
        options = LoadOptions(predefined=True, environment=use_environment_variables)
        loaded = load_text(cfg_str, extension, options)
        return cls._finish(loaded.data, loaded.provenance, None, cfg_options, import_custom_modules)

    @classmethod
    def _finish(
        cls,
        data: dict[str, Any],
        provenance: Provenance,
        filename: str | None,
        cfg_options: Options | None,
        import_modules: bool,
    ) -> Config:
        cfg = cls(to_config(data), filename, provenance=provenance)
        if isinstance(cfg_options, str):
            cfg_options = [cfg_options]
        if isinstance(cfg_options, Mapping):
            cfg.merge_from_dict(cfg_options)
        elif cfg_options:
            cfg.apply_overrides(cfg_options)
        if import_modules:
            import_custom_modules(cfg._cfg_dict, provenance)
        return cfg

    @property
    def filename(self) -> str | None:
        """The file this config was loaded from, as given; ``None`` if none."""
        return self._filename

    @property
    def pretty_text(self) -> str:
        """The config as the text of a Python config file."""
        return python_text(self.to_dict())

    @property
    def text(self) -> str:
        """The text of every file the config was loaded from, as MMEngine's ``Config.text``:
        each file's absolute path on a line, then its text, its ``_base_`` files first (each
        with its own bases first, in order), joined by newlines; :attr:`pretty_text` when
        there is no file."""
        if self._filename is None or not os.path.isfile(self._filename):
            return self.pretty_text
        return _file_texts(os.path.abspath(os.path.expanduser(self._filename)), ())

    @staticmethod
    def diff(cfg1: Config | str, cfg2: Config | str) -> str:
        """A unified diff of two configs' :attr:`pretty_text` (``Config`` objects or files),
        as MMEngine's ``Config.diff``; empty when they are the same."""
        import difflib

        first, second = (
            cfg if isinstance(cfg, Config) else Config.fromfile(cfg) for cfg in (cfg1, cfg2)
        )
        lines = difflib.unified_diff(
            first.pretty_text.splitlines(keepends=True),
            second.pretty_text.splitlines(keepends=True),
            fromfile=first.filename or "cfg1",
            tofile=second.filename or "cfg2",
        )
        return "".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the values as plain dicts and lists (tuples stay tuples)."""
        return self._cfg_dict.to_dict()

    def dump(self, file: str | os.PathLike[str] | None = None) -> str | None:
        """Write the config to ``file``, in the format its extension names (.py/.yaml/.json).

        Without ``file``, return the text, in the format of :attr:`filename` (Python if none).

        Raises:
            ConfigError: A value cannot be written (a lambda, a live object); names its path.
        """
        if file is None:
            extension = os.path.splitext(self._filename or "x.py")[1].lower()
            return to_text(self.to_dict(), extension)
        write(self.to_dict(), os.fspath(file))
        return None

    def merge_from_dict(
        self,
        options: Mapping[str, Any],
        allow_list_keys: bool = True,
        *,
        allow_new_keys: bool = True,
    ) -> None:
        """Merge ``{dotted key: value}`` into the config, as MMEngine's ``merge_from_dict``.

        Keys are dotted and, with ``allow_list_keys`` (MMEngine's default), may index lists
        (``"train_pipeline.1.scale"``, or ``{"train_pipeline": {"1": {...}}}``); without it an
        index key is an error. A dict value merges into the dict already there; other values
        replace. With ``allow_new_keys=False`` a key that does not exist is an error suggesting
        the nearest one (regwire's strictness; MMEngine adds it).
        """
        merge_options(
            self._cfg_dict,
            self._provenance,
            options,
            allow_new_keys=allow_new_keys,
            allow_list_keys=allow_list_keys,
        )

    def apply_overrides(self, overrides: Sequence[str]) -> None:
        """Apply command-line overrides: ``key=value``, ``+key=value``, ``~key`` (strict).

        See :mod:`container.config._overrides` for the grammar.
        """
        apply_overrides(self._cfg_dict, self._provenance, overrides)

    def source_of(self, key: str) -> Source | None:
        """Return where the value at dotted ``key`` was set, or ``None`` if that is unknown.

        ``str()`` of the result reads ``configs/base.yaml:12`` or
        ``--cfg-options optim_wrapper.optimizer.lr=0.1``. Loading, overrides and
        :meth:`merge_from_dict` are recorded; values assigned in code (``cfg.a.b = 1``) are not,
        and keep the source of what they replaced or of the dict they are in.

        Raises:
            ConfigError: ``key`` names nothing in the config (with the nearest key suggested).
        """
        return self._provenance.lookup(parse_path(self._cfg_dict, key))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in Config.__slots__:
            raise AttributeError(name)
        return getattr(self._cfg_dict, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        delattr(self._cfg_dict, name)

    def __getitem__(self, name: str) -> Any:
        return self._cfg_dict[name]

    def __setitem__(self, name: str, value: Any) -> None:
        _check_keys((name,))
        self._cfg_dict[name] = value

    def __delitem__(self, name: str) -> None:
        del self._cfg_dict[name]

    def __contains__(self, name: object) -> bool:
        return name in self._cfg_dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._cfg_dict)

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._cfg_dict == other._cfg_dict
        return NotImplemented

    def __repr__(self) -> str:
        return f"Config(path: {self._filename}): {dict(self._cfg_dict)!r}"

    def __getstate__(self) -> tuple[ConfigDict, str | None, Provenance]:
        return (self._cfg_dict, self._filename, self._provenance)

    def __setstate__(self, state: tuple[ConfigDict, str | None, Provenance]) -> None:
        for name, value in zip(Config.__slots__, state, strict=True):
            object.__setattr__(self, name, value)

    def __copy__(self) -> Config:
        return Config(self._cfg_dict.copy(), self._filename, provenance=self._provenance.copy())

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        cfg_dict = copy.deepcopy(self._cfg_dict, memo)
        return Config(cfg_dict, self._filename, provenance=self._provenance.copy())


# A Config reads as the mapping it holds (keys, items, get go to its ConfigDict), so that
# ``registry.build(Config(...))`` builds it, as MMEngine's does.
Mapping.register(Config)
