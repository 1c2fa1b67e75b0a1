"""What a dataset reads before its items: metainfo, the annotation file, the path prefixes.

MMEngine's rules, with errors that name the argument at fault:

* ``metainfo`` is the class's ``METAINFO`` updated with the ``metainfo`` argument; a string
  value that names a file is replaced by the file's lines (``classes="classes.txt"``). Where
  MMEngine keeps a string that names no file as it is, with a log line, regwire keeps it only
  when it does not look like a path (no ``/`` and no ``.txt`` ending): a path to a file that is
  not there is an error, not a class named ``"data/classes.txt"``.
* The annotation file is JSON (or YAML) with ``metainfo`` and ``data_list``; its metainfo
  fills only the keys the class and the argument left out.
* A relative ``ann_file`` and relative ``data_prefix`` values are joined to ``data_root``
  (``os.path.join``); absolute ones are kept.
"""

from __future__ import annotations

import copy
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from container import ConfigError, RegwireError

_ANNOTATION_FORMATS = (".json", ".yaml", ".yml")


class DatasetArgumentError(ValueError):
    """A dataset's argument is wrong: a file that is not there, a malformed annotation file.

    Raised inside a dataset's constructor, it is no :class:`~container.RegwireError`, so the
    build that called the constructor wraps it and names the dataset's config path;
    ``build_dataloader`` then reports :attr:`error` at the argument's full path
    (``train_dataloader.dataset.ann_file``).

    Attributes:
        error: The problem, its ``config_path`` relative to the dataset's config
            (``ann_file``, ``metainfo.classes``, ``pipeline.2.type``).
    """

    def __init__(self, error: RegwireError) -> None:
        super().__init__(str(error))
        self.error = error

    @classmethod
    def at(cls, key: str, reason: str) -> DatasetArgumentError:
        """The error for the argument ``key`` (a dotted path in the dataset's config)."""
        return cls(ConfigError(reason, config_path=key))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.error,))


class DataFileNotFoundError(DatasetArgumentError, FileNotFoundError):
    """A file a dataset's argument names is not there."""


def load_metainfo(base: Mapping[str, Any], metainfo: Any) -> dict[str, Any]:
    """``base`` (a class's ``METAINFO``) updated with ``metainfo``, file names read.

    Raises:
        DatasetArgumentError: ``metainfo`` is not a mapping, or a value that looks like a path
            names no file.
    """
    merged = copy.deepcopy(dict(base))
    if metainfo is None:
        return merged
    if not isinstance(metainfo, Mapping):
        raise DatasetArgumentError.at(
            "metainfo",
            f"must be a mapping such as {{classes: [cat, dog]}}, got {metainfo!r} "
            f"(a {type(metainfo).__name__})",
        )
    for key, value in metainfo.items():
        merged[key] = _meta_value(str(key), copy.deepcopy(value))
    return merged


def _meta_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    path = Path(value)
    if path.is_file():
        lines = io.StringIO(path.read_text(encoding="utf-8"))
        return [line.rstrip("\n\r") for line in lines]
    if "/" in value or os.sep in value or path.suffix == ".txt":
        raise DataFileNotFoundError.at(
            f"metainfo.{key}",
            f"names the file {value!r}, which is not there (a relative path is relative to "
            f"the working directory, {os.getcwd()}); give an existing file of one name a "
            "line, or the values themselves as a list",
        )
    return value


def read_annotations(ann_file: str) -> tuple[Mapping[str, Any], list[Any]]:
    """Read an annotation file: its ``metainfo`` and its raw ``data_list``.

    Raises:
        DatasetArgumentError: ``ann_file`` is empty, not there, of an unknown format, or not a
            mapping with a ``metainfo`` mapping and a ``data_list`` list.
    """
    if not ann_file:
        raise DatasetArgumentError.at(
            "ann_file",
            "is needed: BaseDataset reads its items from an annotation file (JSON with "
            "'metainfo' and 'data_list'); give ann_file, or override load_data_list",
        )
    path = Path(ann_file)
    if not path.is_file():
        raise DataFileNotFoundError.at("ann_file", f"the file {ann_file!r} is not there")
    if path.suffix not in _ANNOTATION_FORMATS:
        raise DatasetArgumentError.at(
            "ann_file",
            f"{ann_file!r} must be a {', '.join(_ANNOTATION_FORMATS)} file (JSON or YAML), "
            "or the dataset must override load_data_list",
        )
    text = path.read_text(encoding="utf-8")
    try:
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DatasetArgumentError.at("ann_file", f"cannot parse {ann_file!r}: {exc}") from exc
    if not isinstance(loaded, Mapping):
        raise DatasetArgumentError.at(
            "ann_file",
            f"{ann_file!r} holds a {type(loaded).__name__}; an annotation file holds a "
            "mapping with 'metainfo' and 'data_list'",
        )
    missing = [key for key in ("metainfo", "data_list") if key not in loaded]
    if missing:
        raise DatasetArgumentError.at(
            "ann_file",
            f"{ann_file!r} has no {' and no '.join(map(repr, missing))} key (its keys: "
            f"{sorted(map(str, loaded))}); an annotation file has 'metainfo' and 'data_list'",
        )
    metainfo, data_list = loaded["metainfo"], loaded["data_list"]
    if not isinstance(metainfo, Mapping):
        raise DatasetArgumentError.at(
            "ann_file", f"'metainfo' in {ann_file!r} must be a mapping, got {metainfo!r}"
        )
    if not isinstance(data_list, list):
        raise DatasetArgumentError.at(
            "ann_file",
            f"'data_list' in {ann_file!r} must be a list of items, got a "
            f"{type(data_list).__name__}",
        )
    return metainfo, data_list


def join_root(data_root: str | None, path: str) -> str:
    """``path`` under ``data_root`` when it is relative and there is a root, else ``path``."""
    if data_root and path and not _is_absolute(path):
        return os.path.join(data_root, path)
    return path


def join_prefixes(data_root: str | None, data_prefix: Mapping[str, Any]) -> dict[str, str]:
    """Each ``data_prefix`` value joined to ``data_root`` (MMEngine's ``_join_prefix``).

    Unlike ``ann_file``, an empty prefix becomes the root itself (``os.path.join(root, "")``
    ends with a separator), as in MMEngine.

    Raises:
        DatasetArgumentError: A prefix is not a string.
    """
    joined = {}
    for key, prefix in data_prefix.items():
        if not isinstance(prefix, str):
            raise DatasetArgumentError.at(
                f"data_prefix.{key}",
                f"must be a path (a str), got {prefix!r} (a {type(prefix).__name__})",
            )
        if data_root and not _is_absolute(prefix):
            prefix = os.path.join(data_root, prefix)
        joined[str(key)] = prefix
    return joined


def _is_absolute(path: str) -> bool:
    return os.path.isabs(path) or path.startswith(("http://", "https://", "s3://"))
