"""The ``regwire`` command line: train, test, print-config, check, graph, run, plot, list.

::

    regwire train CONFIG [--work-dir DIR] [--resume [CKPT]] [--cfg-options k=v ...] [--debug]
                         [--launcher {none,pytorch}]
    regwire test CONFIG --checkpoint CKPT [--work-dir DIR] [--cfg-options k=v ...]
    regwire print-config CONFIG [--cfg-options k=v ...]
    regwire check CONFIG [--cfg-options k=v ...]
    regwire graph CONFIG [--out FILE] [--format {dot,mermaid}] [--registry MODULE:NAME]
    regwire run CONFIG --registry MODULE:NAME [--call COMPONENT] [--cfg-options k=v ...]
    regwire plot WORK_DIR... [--keys loss,accuracy/top1] [--out curves.png]
    regwire list [REGISTRY]
    regwire convert-checkpoint CHECKPOINT OUT

Like ``python -m``, the command puts the current directory first on ``sys.path``, so a config's
``custom_imports: {imports: [examples.digits.model]}`` finds modules of the project it is run
from. For several processes, start it with torchrun:
``torchrun --nproc-per-node 2 -m runner train CONFIG --launcher pytorch``.

A mistake in a config prints one message (with the config path and ``file:line``) to
stderr and exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from container import Config, RegistryError, RegwireError, did_you_mean

from .._errors import HookError, Interrupted
from .._registries import COMPONENTS, REGISTRIES

LOGGER_NAME = "regwire"
"""The parent of every run's logger (``runner.engine.LOGGER_NAME``; a test holds them equal):
named here, so that ``--help`` and argument errors import neither torch nor the runner."""

EXIT_CONFIG_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regwire", description="Train, test and inspect runs described by config files."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("config", help="the config file (.yaml, .yml, .json or .py)")
        command.add_argument(
            "--cfg-options",
            nargs="+",
            default=[],
            metavar="KEY=VALUE",
            help="override config values: a.b=1, +new.key=2 (add), ~key (delete); "
            "unknown keys are rejected",
        )
        command.add_argument("--debug", action="store_true", help="show tracebacks")
        if name in ("train", "test"):
            command.add_argument(
                "--launcher",
                choices=["none", "pytorch"],
                default=None,
                help="pytorch: join the process group torchrun started (one process per GPU)",
            )
            command.add_argument(
                "--no-check",
                action="store_true",
                help="skip the check of the config before the run (for a false alarm of it)",
            )
        return command

    train = with_config("train", "train a model")
    train.add_argument("--work-dir", help="where checkpoints and logs go")
    train.add_argument(
        "--resume",
        nargs="?",
        const="auto",
        metavar="CKPT",
        help="resume from CKPT, or from the newest checkpoint in the work directory",
    )
    test = with_config("test", "evaluate a checkpoint on the test data")
    test.add_argument("--checkpoint", required=True, help="the checkpoint to test")
    test.add_argument("--work-dir", help="where logs go")
    with_config("print-config", "print the config after inheritance and overrides")
    with_config("check", "check a config without running it: every problem at once")
    _add_container_commands(with_config)
    convert = commands.add_parser(
        "convert-checkpoint",
        help="a sharded checkpoint (a directory) to one file, or one file to a sharded one",
    )
    convert.add_argument("checkpoint", help="a sharded checkpoint directory, or a .pth file")
    convert.add_argument("out", help="the file (or directory) to write; must not exist")
    convert.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_plot_command(commands)
    listing = commands.add_parser("list", help="list the registries or one registry's names")
    listing.add_argument("registry", nargs="?", help="a registry name (model, hook, ...)")
    listing.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _add_plot_command(commands: Any) -> None:
    """``plot``: curves of runs from their ``vis_data/scalars.json``."""
    plot = commands.add_parser(
        "plot",
        help="draw the curves of runs (their vis_data/scalars.json) into a PNG",
        description="draw loss, learning rate and metric curves of runs, overlaid",
    )
    plot.add_argument("work_dirs", nargs="+", metavar="WORK_DIR", help="a run's work dir")
    plot.add_argument("--keys", help="the values to draw, comma-separated: loss,accuracy/top1")
    plot.add_argument("--out", default="curves.png", help="the image (default: curves.png)")
    plot.add_argument("--debug", action="store_true", help="show tracebacks")


def _add_container_commands(with_config: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """``graph`` and ``run``: the commands about containers rather than runs."""
    graph = with_config("graph", "draw the components of a config and how they connect")
    graph.add_argument(
        "--out",
        help="the file to write: .dot/.gv (Graphviz), .mmd or .md (Mermaid), .svg/.png/.pdf "
        "(drawn by Graphviz's dot, where it is installed); standard output when omitted",
    )
    graph.add_argument("--format", choices=["dot", "mermaid"], help="the text format to write")
    graph.add_argument(
        "--registry",
        metavar="MODULE:NAME",
        help="for an application config: the registry its types are in (for their lifetimes)",
    )
    run = with_config("run", "build an application container from a config and run a component")
    run.add_argument(
        "--registry",
        required=True,
        metavar="MODULE:NAME",
        help="the registry the config's types are looked up in, e.g. myapp.components:SERVICES",
    )
    run.add_argument(
        "--call",
        default="main",
        metavar="COMPONENT",
        help="the component to build and call (default: main); its int result is the exit status",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return int(_COMMANDS[args.command](args))
    except Interrupted as stop:  # after it saved where it was; every rank stops, one says so
        if os.environ.get("RANK", "0") == "0":
            print(f"regwire: {stop}; continue with --resume", file=sys.stderr)
        return 128 + stop.signum
    except HookError:
        raise  # a hook's own code failed: its traceback is what helps
    except RegwireError as exc:
        if args.debug:
            raise
        print(f"regwire: error: {exc}", file=sys.stderr)
        for note in getattr(exc, "__notes__", ()):  # the hook that raised it, if one did
            print(f"  {note}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except KeyboardInterrupt:
        print("regwire: interrupted", file=sys.stderr)
        return 130


def _load(args: argparse.Namespace) -> Config:
    return Config.fromfile(args.config, cfg_options=list(args.cfg_options))


def _set_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    if args.launcher is not None:
        cfg["launcher"] = args.launcher
    if args.work_dir is not None:
        cfg["work_dir"] = args.work_dir
    elif cfg.get("work_dir") is None:
        cfg["work_dir"] = str(Path("work_dirs") / Path(args.config).stem)


def _report(cfg: Config, debug: bool = False, warn: bool = True) -> bool:
    """Check ``cfg``, print its errors and (``warn``) its warnings, one line each; return
    whether it is free of errors. With ``debug``, errors are raised instead (with their
    tracebacks). A run logs the warnings itself (``Runner.from_cfg``), in its log file too."""
    from container import ValidationError

    from ._checks import check_config

    errors, warnings = check_config(cfg)
    if errors and debug:
        raise ValidationError(errors)
    for warning in warnings if warn else ():
        print(f"regwire: warning: {warning}", file=sys.stderr)
    for error in errors:
        print(f"regwire: error: {error}", file=sys.stderr)
    return not errors


def _check(args: argparse.Namespace) -> int:
    cfg = _load(args)
    if not _report(cfg, args.debug):
        return EXIT_CONFIG_ERROR
    from ._checks import summary

    print(f"ok: {summary(cfg)}")
    return 0


def _train(args: argparse.Namespace) -> int:
    cfg = _load(args)
    if not args.no_check and not _report(cfg, args.debug, warn=False):
        return EXIT_CONFIG_ERROR  # before anything is built or written
    _set_work_dir(cfg, args)
    if args.resume is not None:
        cfg["resume"] = True
        cfg["load_from"] = None if args.resume == "auto" else args.resume
    from ._container import Runner  # here: the runner and torch load when a command needs them

    _in_process_group(lambda: Runner.from_cfg(cfg).train(), cfg)  # it logs to the console
    return 0


def _test(args: argparse.Namespace) -> int:
    cfg = _load(args)
    if not args.no_check and not _report(cfg, args.debug, warn=False):
        return EXIT_CONFIG_ERROR
    _set_work_dir(cfg, args)
    cfg["load_from"] = args.checkpoint
    cfg["resume"] = False
    from ._container import Runner

    _in_process_group(lambda: Runner.from_cfg(cfg).test(), cfg)
    return 0


def _in_process_group(action: Callable[[], object], cfg: Config) -> None:
    """Run ``action``, then leave the process group (at once when it failed). A config
    mistake found while it runs (an empty training set) gets its file and line too."""
    from ..dist import shutdown_dist
    from ._sections import locate

    try:
        action()
    except RegwireError as exc:
        shutdown_dist(wait=False)
        raise locate(exc, cfg) from exc.__cause__
    except BaseException:
        shutdown_dist(wait=False)
        raise
    shutdown_dist()


def _print_config(args: argparse.Namespace) -> int:
    print(_load(args).pretty_text)
    return 0


def _list(args: argparse.Namespace) -> int:
    for package in COMPONENTS:  # what registers into the registries
        importlib.import_module(package)
    if args.registry is None:
        for name, registry in REGISTRIES.items():
            print(f"{name} ({len(registry)}): {', '.join(sorted(registry))}")
        return 0
    chosen = REGISTRIES.get(args.registry)
    if chosen is None:
        raise RegistryError(
            f"no registry {args.registry!r}{did_you_mean(args.registry, REGISTRIES)} "
            f"(registries: {', '.join(REGISTRIES)})"
        )
    print(repr(chosen))
    return 0


def _convert(args: argparse.Namespace) -> int:
    from ..engine import convert_checkpoint

    print(f"wrote {convert_checkpoint(args.checkpoint, args.out)}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from ..visualization import plot_runs

    keys = [key.strip() for key in args.keys.split(",") if key.strip()] if args.keys else None
    print(f"wrote {plot_runs(args.work_dirs, args.out, keys)}")
    return 0


def _graph(args: argparse.Namespace) -> int:
    from ._app_commands import write_graph

    return write_graph(_load(args), out=args.out, text_format=args.format, registry=args.registry)


def _run(args: argparse.Namespace) -> int:
    from ._app_commands import run_application

    return run_application(_load(args), args.registry, args.call)


_COMMANDS: dict[str, Any] = {
    "graph": _graph,
    "run": _run,
    "train": _train,
    "test": _test,
    "print-config": _print_config,
    "check": _check,
    "list": _list,
    "plot": _plot,
    "convert-checkpoint": _convert,
}


if __name__ == "__main__":
    sys.exit(main())
