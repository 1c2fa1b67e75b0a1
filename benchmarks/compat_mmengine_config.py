"""Check that regwire loads classic OpenMMLab configs exactly as MMEngine does.

For every config file under a folder (``.py``, ``.yaml``, ``.yml``, ``.json``), compare
``container.Config.fromfile(path).to_dict()`` with mmengine's ``Config.fromfile(path).to_dict()``,
types included (a tuple is not a list, ``True`` is not ``1``). MMEngine is imported in this
interpreter when it can be, else run in another one (``--mmengine-python``, by default
``.venv-bench/bin/python`` next to this repository).

Usage::

    python benchmarks/compat_mmengine_config.py tests/container/config/fixtures/openmmlab

Exit status: 0 when every file both load gives equal dicts, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from providers import describe_path, join_path

FORMATS = (".py", ".yaml", ".yml", ".json")


def config_files(folder: Path) -> list[Path]:
    """Return every config file under ``folder``, sorted."""
    return sorted(path for path in folder.rglob("*") if path.suffix in FORMATS and path.is_file())


def load_all(files: list[str], loader: str) -> dict[str, tuple[str, Any]]:
    """Load each file with ``loader`` ("regwire" or "mmengine"): ``{file: (status, result)}``."""
    if loader == "regwire":
        from container.config import Config as RegwireConfig

        fromfile: Any = RegwireConfig.fromfile
    else:
        from mmengine.config import Config as MMConfig

        fromfile = MMConfig.fromfile
    results: dict[str, tuple[str, Any]] = {}
    for name in files:
        try:
            results[name] = ("ok", fromfile(name).to_dict())
        except Exception as exc:  # a comparison reports failures, whatever they are
            results[name] = ("error", f"{type(exc).__name__}: {exc}")
    return results


def load_with_mmengine(files: list[str], python: str) -> dict[str, tuple[str, Any]]:
    """Load with mmengine here if it imports, else in ``python``."""
    try:
        import mmengine  # noqa: F401
    except ImportError:
        pass
    else:
        return load_all(files, "mmengine")
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder, "files.txt")
        listing.write_text("\n".join(files), encoding="utf-8")
        output = Path(folder, "out.pickle")
        subprocess.run(
            [python, __file__, "--worker", str(listing), str(output)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with output.open("rb") as stream:
            loaded: dict[str, tuple[str, Any]] = pickle.load(stream)
        return loaded


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Return the path of the first difference between two loaded configs, types included."""
    where = describe_path(path)
    if type(left) is not type(right):
        return (
            f"{where}: {type(left).__name__} {left!r:.60} vs {type(right).__name__} {right!r:.60}"
        )
    if isinstance(left, dict):
        if list(left) != list(right) and set(left) != set(right):
            missing = sorted(map(str, set(right) - set(left)))
            extra = sorted(map(str, set(left) - set(right)))
            return f"{where}: keys only in regwire {extra}, only in mmengine {missing}"
        for key in left:
            found = first_difference(left[key], right[key], join_path(path, key))
            if found:
                return found
        return None
    if isinstance(left, list | tuple):
        if len(left) != len(right):
            return f"{where}: length {len(left)} vs {len(right)}"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, join_path(path, index))
            if found:
                return found
        return None
    if left != right and not (left != left and right != right):  # NaN equals NaN here
        return f"{where}: {left!r:.60} vs {right!r:.60}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Compare every config under a folder; print one line per file and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--mmengine-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    parser.add_argument("--worker", nargs=2, metavar=("LISTING", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        files = Path(args.worker[0]).read_text(encoding="utf-8").splitlines()
        with open(args.worker[1], "wb") as stream:
            pickle.dump(load_all(files, "mmengine"), stream)
        return 0
    if args.folder is None:
        parser.error("a folder of configs is required")
    files = [os.path.relpath(path) for path in config_files(args.folder)]
    ours = load_all(files, "regwire")
    theirs = load_with_mmengine(files, args.mmengine_python)
    counts = {
        "equal": 0,
        "different": 0,
        "both fail": 0,
        "only regwire fails": 0,
        "only mmengine fails": 0,
    }
    for name in files:
        (our_status, our_value), (their_status, their_value) = ours[name], theirs[name]
        if our_status == their_status == "ok":
            difference = first_difference(our_value, their_value)
            verdict = "equal" if difference is None else "different"
            print(f"{verdict:>19}  {name}" + (f"\n{'':>21}{difference}" if difference else ""))
        else:
            verdict = {
                ("error", "error"): "both fail",
                ("error", "ok"): "only regwire fails",
                ("ok", "error"): "only mmengine fails",
            }[(our_status, their_status)]
            detail = our_value if our_status == "error" else their_value
            print(f"{verdict:>19}  {name}\n{'':>21}{str(detail).splitlines()[0][:150]}")
        counts[verdict] += 1
    print("\n" + ", ".join(f"{count} {verdict}" for verdict, count in counts.items()))
    return 0 if counts["different"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
