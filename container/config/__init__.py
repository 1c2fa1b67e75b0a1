"""Config files: YAML, JSON and MMEngine-style Python, with ``_base_`` inheritance.

Loading
    ``Config.fromfile(path, cfg_options=None)`` reads ``.py``, ``.yaml``/``.yml`` or ``.json``
    and everything it inherits, and returns a :class:`Config`: ``cfg.model.depth``,
    ``cfg["model"]``, ``cfg.get(...)``, ``"model" in cfg``, ``cfg.to_dict()`` (plain dicts and
    lists), ``cfg.filename``, ``cfg.pretty_text``, ``cfg.dump(path)``. Values that are dicts are
    :class:`ConfigDict` objects (a ``dict`` with attribute access, at every depth).
    ``Config.fromstring(text, ".yaml")`` reads text; ``Config(dict)`` wraps a dict.

    **A Python config runs code**: it is executed (``exec``) in a fresh namespace, as MMEngine
    does, so load only Python configs you trust. YAML and JSON configs never run code.

Inheritance (as in MMEngine)
    ``_base_`` is a path or list of paths, relative to the file, of any of the three formats.
    Bases merge in order, then the file merges over them: dicts merge key by key, any other
    value (lists included) replaces. The same top-level key in two sibling bases is an error.
    ``_delete_: true`` in a dict replaces the inherited dict instead of merging. In Python
    configs ``_base_`` is the merged bases while the file runs (``lr = _base_.lr * 2``).
    Text substitutions, in every format: ``{{_base_.a.b}}`` (a value of the bases, of any type),
    ``{{fileDirname}}``, ``{{fileBasename}}``, ``{{fileBasenameNoExtension}}``,
    ``{{fileExtname}}``, and ``{{$VAR:default}}`` (environment; ``{{'$VAR:80'}}`` in Python to
    get a number). In Python configs, the top-level names are the config, except modules,
    functions and dunder names. ``custom_imports = dict(imports=[...],
    allow_failed_imports=False)`` imports modules at load time. For classic OpenMMLab configs
    ``to_dict()`` equals what mmengine's ``Config.fromfile(...).to_dict()`` gives
    (``benchmarks/compat_mmengine_config.py`` checks a folder of them).

Where regwire differs from MMEngine, on purpose
    - YAML is loaded with a safe loader: a ``!!python/...`` tag is an error naming the tag, file
      and line; so is a key given twice in one mapping, and an alias that contains itself.
    - YAML plain scalars follow YAML 1.2: ``1e-3`` is a float, ``yes``/``no``/``on``/``off``
      stay strings, ``010`` is 10 and ``2024-01-02`` a string.
    - A cycle of ``_base_`` files is reported with the files in it.
    - ``_delete_`` never reaches the result, even when the bases lack the key.
    - A dict in a child over a non-dict in a base replaces it (MMEngine raises ``TypeError``).
    - Python configs drop built-in functions too (``from math import sqrt``); MMEngine keeps
      them. Other imported values (``from math import pi``, a class) are kept, as in MMEngine.
    - Every error is a ``ConfigError`` whose message starts with the file and line, then the
      config path: ``configs/a.yaml:12: optim_wrapper.optimzer: unknown key; did you mean
      'optim_wrapper.optimizer'?``. ``.source`` and ``.config_path`` carry the two parts.
    - Provenance: ``cfg.source_of("optim_wrapper.optimizer.lr")`` returns a :class:`Source`
      whose ``str`` is ``configs/base.yaml:12`` or ``--cfg-options optim_wrapper.optimizer.lr=0.1``.
    - Bases from other packages (``mmdet::path``) and the ``read_base()`` lazy-import style are
      not supported.
    - A value an explicit YAML tag cannot read (``!!int x``, ``!!bool maybe``, bad base64 in
      ``!!binary``) is an error, never a traceback or a guessed value.

Limits on input (named constants, documented in ``_limits``; each refused with a located error)
    ``MAX_FILE_BYTES`` (16 MiB a file; only regular files are read: a FIFO or ``/dev/zero`` is
    refused before it is opened), ``MAX_LOAD_FILES`` and ``MAX_LOAD_BYTES`` (what one load and
    its bases read in all), ``MAX_DEPTH`` (100 nested dicts and lists, in YAML, JSON, Python
    values, overrides and ``merge_from_dict``), ``MAX_INT_DIGITS`` (1000), and
    ``MAX_ALIAS_VALUES``/``MAX_ALIAS_CHARS`` (what YAML aliases, merge keys and ``{{_base_.x}}``
    references may expand to in one file: a 1 KB alias bomb stops there in a fraction of a
    second).

Command-line overrides (``cfg_options=[...]``, ``--cfg-options`` in the CLI)
    ``key=value`` sets an *existing* key (dotted; numbers index lists: ``pipeline.1.size=256``);
    a key that does not exist is an error that suggests the nearest one. ``+key=value`` adds a
    new key (or appends to a list at index ``len``); ``~key`` deletes one. The value is read as
    a YAML flow scalar or collection (``0.1``, ``1e-3``, ``true``, ``null``/``None``,
    ``[1, 2]``, ``{type: SGD}``); anything else is a string and ``key=`` is ``""`` (``a,b`` is
    the string ``"a,b"``, where MMEngine's ``DictAction`` makes a list: write ``[a, b]``). Overrides
    run before ``custom_imports``. A dict for ``cfg_options`` goes to
    ``cfg.merge_from_dict(options, allow_new_keys=True)``, which merges dicts as MMEngine does.
    Neither may set a reserved key (``_base_``, ``_delete_``, ``filename``, ...) or an empty one
    (``+a.=1``).

Dump
    ``cfg.dump("out.yaml" | "out.json" | "out.py")`` writes plain values (dicts, lists, tuples,
    strings, numbers, booleans, ``None``); loading the file again gives an equal dict (YAML and
    JSON write tuples as lists). Anything else is an error naming its path. No yapf.
"""

from ._config import Config
from ._configdict import ConfigDict
from ._dict_action import DictAction
from ._keys import DELETE_KEY, RESERVED_KEYS
from ._limits import (
    MAX_ALIAS_CHARS,
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_LOAD_BYTES,
    MAX_LOAD_FILES,
)
from ._load import import_custom_modules
from ._overrides import parse_override
from ._provenance import Source

__all__ = [
    "DELETE_KEY",
    "MAX_ALIAS_CHARS",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_LOAD_BYTES",
    "MAX_LOAD_FILES",
    "RESERVED_KEYS",
    "Config",
    "ConfigDict",
    "DictAction",
    "Source",
    "import_custom_modules",
    "parse_override",
]
