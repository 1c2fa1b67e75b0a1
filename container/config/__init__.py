"""Config files for regwire: YAML, JSON and MMEngine-style Python, with ``_base_`` inheritance.

``Config.fromfile(path, cfg_options=[...])`` loads a file and all it inherits, applies strict
command-line overrides and remembers where every value was set (``cfg.source_of(key)``).
"""

from ._config import RESERVED_KEYS, Config
from ._configdict import ConfigDict
from ._merge import DELETE_KEY
from ._overrides import parse_override
from ._provenance import Source

__all__ = ["DELETE_KEY", "RESERVED_KEYS", "Config", "ConfigDict", "Source", "parse_override"]
