"""Writing a run's config as YAML (into the log directory and the local backend's)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from providers import copy_plain


def dump_config(cfg: Mapping[str, Any], target: Path) -> Path:
    """Write ``cfg`` to ``target`` (``cfg.dump`` when it has one, else safe YAML)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dump = getattr(cfg, "dump", None)
    if callable(dump):
        dump(target)
        return target
    try:
        text = yaml.dump(copy_plain(cfg), Dumper=_Dumper, sort_keys=False)
    except yaml.YAMLError:
        text = f"# not representable as YAML; Python repr:\n# {cfg!r}\n"
    target.write_text(text, encoding="utf-8")
    return target


class _Dumper(yaml.SafeDumper):
    """``safe_dump``, writing tuples (of Python configs) as lists."""


_Dumper.add_representer(tuple, lambda dumper, value: dumper.represent_list(value))
