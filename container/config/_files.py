"""Reading config files: regular files only, within the size and count limits of ``_limits``.

A name is checked with ``os.stat`` before the file is opened, so a FIFO (which would block
the open until a writer came) or a device (``/dev/zero`` never ends) is refused at once; the
file is then read with a bound, so one that grows meanwhile is refused too. Text is UTF-8; a
byte-order mark is dropped, a byte that is not UTF-8 is an error naming its line.
"""

from __future__ import annotations

import codecs
import os
import stat

import attrs

from .._errors import did_you_mean
from ._limits import MAX_FILE_BYTES, MAX_LOAD_BYTES, MAX_LOAD_FILES
from ._paths import config_error
from ._provenance import Source


@attrs.define
class Reads:
    """What one load (a config and all its bases) has read so far."""

    files: int = 0
    size: int = 0

    def add(self, filename: str, size: int, source: object) -> None:
        """Count one more file of ``size`` bytes.

        Raises:
            ConfigError: The load has read :data:`MAX_LOAD_FILES` files or
                :data:`MAX_LOAD_BYTES` bytes already.
        """
        self.files += 1
        self.size += size
        if self.files > MAX_LOAD_FILES:
            raise config_error(
                f"reading {filename!r} makes {self.files} files for one config; the limit is "
                f"{MAX_LOAD_FILES} (MAX_LOAD_FILES): do bases inherit from each other in a "
                "fan that repeats?",
                source=source,
            )
        if self.size > MAX_LOAD_BYTES:
            raise config_error(
                f"reading {filename!r} makes {self.size:,} bytes for one config; the limit is "
                f"{MAX_LOAD_BYTES:,} (MAX_LOAD_BYTES)",
                source=source,
            )


def real_path(filename: str, source: object) -> str:
    """Return the canonical path of ``filename`` (for finding inheritance cycles).

    Raises:
        ConfigError: The name cannot be a file name (a NUL character, a lone surrogate).
    """
    try:
        return os.path.realpath(filename)
    except ValueError as exc:
        raise config_error(f"cannot read config file {filename!r}: {exc}", source=source) from exc


def read_text(filename: str, source: object, reads: Reads) -> str:
    """Return the text of the config file ``filename``, which ``source`` names.

    Raises:
        ConfigError: The file does not exist (with a did-you-mean among its neighbours), is not
            a regular file, is larger than :data:`MAX_FILE_BYTES`, cannot be read, is not
            UTF-8, or is over what one load may read.
    """
    try:
        status = os.stat(filename)
    except FileNotFoundError as exc:
        raise config_error(
            f"config file {filename!r} does not exist{_neighbours(filename)}", source=source
        ) from exc
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the name
        raise config_error(f"cannot read config file {filename!r}: {exc}", source=source) from exc
    if not stat.S_ISREG(status.st_mode):
        raise config_error(
            f"config file {filename!r} is not a regular file (a directory, FIFO, socket or "
            "device); name a file",
            source=source,
        )
    if status.st_size > MAX_FILE_BYTES:
        raise config_error(_too_large(filename, status.st_size), source=source)
    try:
        with open(filename, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise config_error(f"cannot read config file {filename!r}: {exc}", source=source) from exc
    if len(data) > MAX_FILE_BYTES:  # it grew after the stat, or stat does not know its size
        raise config_error(_too_large(filename, len(data)), source=source)
    reads.add(filename, len(data), source)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise config_error(
            f"cannot read config file {filename!r}: byte 0x{data[exc.start]:02x} is not UTF-8 "
            "text; save the file as UTF-8",
            source=Source(filename, line),
        ) from exc


def _too_large(filename: str, size: int) -> str:
    return (
        f"config file {filename!r} has {size:,} bytes or more; a config file may have at most "
        f"{MAX_FILE_BYTES:,} (MAX_FILE_BYTES)"
    )


def _neighbours(filename: str) -> str:
    """Return a did-you-mean among the files beside ``filename``, or ``""``."""
    folder = os.path.dirname(filename) or "."
    try:
        names = os.listdir(folder)
    except (OSError, ValueError):
        return ""
    return did_you_mean(os.path.basename(filename), names)
