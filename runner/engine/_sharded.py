"""Sharded checkpoints: a directory every rank writes with ``torch.distributed.checkpoint``.

A model sharded with FSDP2 is saved as DCP saves it: each rank writes its shards of the model
and of the optimizer state (``get_state_dict``: keys are parameter names, so the checkpoint
loads at another world size, DCP resharding it), and rank 0 adds ``runner_state.pth``: the
rest of the run (counters, schedulers, hooks, sampler) as a checksummed checkpoint file
whose ``state_dict`` is empty::

    work_dir/iter_8.pth/          (a directory under the file's name, as MMEngine's
        .metadata                  FlexibleRunner names DeepSpeed's)
        __0_0.distcp  __1_0.distcp
        runner_state.pth

It is visible only when complete: every rank writes into ``.iter_8.pth.XXXX.regwire-tmp/``;
when DCP's save returns on rank 0, every rank has finished (DCP writes ``.metadata`` last,
after gathering them all), and rank 0 renames the directory into place, then updates
``last_checkpoint``. A rank killed during a save leaves a temporary directory, deleted when the
next run starts, and the previous checkpoint as it was. With ``async_save`` the shards are
copied to memory, written on a thread while training goes on, and renamed when done; one
save is in flight at a time. DCP's collectives go through a gloo group of their own, so a
save on a thread never interleaves with the training's collectives.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint import FileSystemWriter
from torch.distributed.checkpoint.default_planner import DefaultLoadPlanner
from torch.distributed.checkpoint.metadata import TensorStorageMetadata
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)

from ..dist import dist_info
from . import _checkpoint as files
from ._checkpoint import TEMP_SUFFIX, CheckpointError, fsync_dir
from ._workdir import OLD_SUFFIX, decided_on_main

RUNNER_STATE = "runner_state.pth"
"""The file in a sharded checkpoint that holds the rest of the run (rank 0 writes it)."""


def _between_renames() -> None:
    """Called between :func:`replace_dir`'s two renames; tests replace it to kill there."""


Optimizers = torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] | None
"""What a sharded checkpoint holds the state of: the optimizer of an ``OptimWrapper``, the
optimizers of an ``OptimWrapperDict`` by name (saved under ``optim.NAME``), or none."""


def optimizers_of(optim_wrapper: object) -> Optimizers:
    """The torch optimizer of an ``OptimWrapper``, those of an ``OptimWrapperDict`` (its
    ``optim_wrappers``) by name, or None."""
    wrappers = getattr(optim_wrapper, "optim_wrappers", None)
    if isinstance(wrappers, Mapping):
        return {name: wrapper.optimizer for name, wrapper in wrappers.items()}
    optimizer = getattr(optim_wrapper, "optimizer", None)
    return optimizer if isinstance(optimizer, torch.optim.Optimizer) else None


def _each(optimizers: Optimizers) -> dict[str | None, torch.optim.Optimizer]:
    """The optimizers by name (None: the one optimizer, stored under ``optim`` itself)."""
    if optimizers is None:
        return {}
    if isinstance(optimizers, torch.optim.Optimizer):
        return {None: optimizers}
    return {str(name): optimizer for name, optimizer in optimizers.items()}


def _optim_state(module: nn.Module, optimizers: Optimizers) -> Any:
    """DCP's state of the optimizers (parameters by name), in the layout of ``optimizers``."""
    states = {
        name: get_optimizer_state_dict(module, optimizer)
        for name, optimizer in _each(optimizers).items()
    }
    return states.pop(None) if None in states else states


def _set_optim_state(
    module: nn.Module, optimizers: Optimizers, state: Any, options: StateDictOptions | None = None
) -> None:
    for name, optimizer in _each(optimizers).items():
        part = state if name is None else state[name]
        set_optimizer_state_dict(module, optimizer, part, options=options)


@attrs.define
class ShardedSaver:
    """Writes sharded checkpoints, and holds the asynchronous save in flight (if any)."""

    _group: Any = None
    _pending: Future[Any] | None = None
    _published: threading.Event | None = None
    _failed: list[BaseException] = attrs.Factory(list)

    def save(
        self,
        module: nn.Module,
        optimizer: Optimizers,
        rest: Mapping[str, Any],
        path: Path,
        *,
        overwrite: bool,
        async_save: bool = False,
        pointer: Path | None = None,
    ) -> Path:
        """Write ``module``'s and ``optimizer``'s shards (every optimizer of a mapping, by
        name) and ``rest`` to the directory ``path``; every rank calls it. ``pointer``: the
        work dir whose ``last_checkpoint`` names it once it is in place.

        Raises:
            CheckpointError: ``path`` exists and may not be replaced, or cannot be written.
        """
        self.wait()
        temp = decided_on_main(lambda: _prepare(path, overwrite, rest))
        temp = _shared(temp)
        state: dict[str, Any] = {"model": get_model_state_dict(module)}
        if optimizer is not None:
            state["optim"] = _optim_state(module, optimizer)
        writer = FileSystemWriter(temp)
        main = dist_info()[0] == 0
        publish = _Publisher(temp, path, pointer, self._failed)
        if not async_save:
            with single_process_quietly():
                dcp.save(state, storage_writer=writer, process_group=self._checkpoint_group())
            if main:
                publish()
            self._raise_failure()
            return path
        self._published = publish.done
        future = dcp.async_save(
            state, storage_writer=writer, process_group=self._checkpoint_group()
        )
        if not isinstance(future, Future):  # the response of a custom stager: not used here
            raise TypeError(f"dcp.async_save gave a {type(future).__name__}, not a Future")
        self._pending = future
        if main:
            future.add_done_callback(lambda done: publish() if done.exception() is None else None)
        else:
            publish.done.set()
        return path

    def wait(self) -> None:
        """Wait for the asynchronous save in flight to be written and put in place.

        Raises:
            CheckpointError: It failed (naming the reason).
        """
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                pending.result()
            except Exception as exc:  # DCP raises what the writer threads raised
                raise CheckpointError(f"the asynchronous checkpoint save failed: {exc}") from exc
            if self._published is not None:
                self._published.wait()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failed:
            error = self._failed.pop()
            raise CheckpointError(f"cannot put the checkpoint in place: {error}") from error

    def _checkpoint_group(self) -> Any:
        if self._group is None and dist.is_available() and dist.is_initialized():
            self._group = dist.new_group(backend="gloo")  # a collective: every rank is here
        return self._group


def _prepare(path: Path, overwrite: bool, rest: Mapping[str, Any]) -> str:
    """On rank 0: refuse a directory it may not replace; make the temporary directory and
    write the run's state into it. Return the temporary directory's name."""
    if path.exists() and not overwrite:
        raise CheckpointError(
            f"{str(path)!r} exists and was not written by this run; it is left as it is"
        )
    temp = path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        temp.mkdir(parents=True)
    except OSError as exc:
        raise CheckpointError(f"cannot write a checkpoint in {str(path.parent)!r}: {exc}") from exc
    files.save_checkpoint({**rest, "state_dict": {}}, temp / RUNNER_STATE)
    return str(temp)


def _shared(name: str | None) -> str:
    """Rank 0's temporary directory name, on every rank."""
    if dist_info()[1] == 1:
        return str(name)
    shared = [name]
    dist.broadcast_object_list(shared, src=0)
    return str(shared[0])


@attrs.define
class _Publisher:
    """Renames a finished save's directory into place, then updates ``last_checkpoint``.
    Runs on rank 0, on DCP's thread for an asynchronous save: an error is kept for later."""

    temp: str
    target: Path
    pointer: Path | None
    failed: list[BaseException]
    done: threading.Event = attrs.Factory(threading.Event)

    def __call__(self) -> None:
        try:
            fsync_dir(Path(self.temp))
            replace_dir(Path(self.temp), self.target)
            if self.pointer is not None:
                files.write_latest(self.pointer, self.target)
        except BaseException as exc:  # kept: the next save or wait raises it
            self.failed.append(exc)
        finally:
            self.done.set()


def replace_dir(temp: Path, target: Path) -> None:
    """Rename the directory ``temp`` to ``target``, replacing one that is there.

    Two renames, as a directory cannot replace another in one: the old one is moved aside to
    ``.NAME.XXXXXXXX.old.regwire-tmp`` first, deleted after. A process killed between them
    leaves no ``target``; the next run, holding the directory's lock, moves the old one back
    (:func:`~._workdir.clean_checkpoint_dir`), so the checkpoint ``last_checkpoint`` names is
    never lost.
    """
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.{secrets.token_hex(4)}{OLD_SUFFIX}"
        os.replace(target, old)
        fsync_dir(target.parent)
        _between_renames()
    os.replace(temp, target)
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_sharded(path: Path, config_path: str) -> dict[str, Any]:
    """The run's state of the sharded checkpoint ``path`` (its model and optimizer are read
    by :func:`load_sharded`), with ``sharded_dir`` set to ``path``.

    Raises:
        CheckpointError: ``runner_state.pth`` is missing or corrupt.
    """
    checkpoint = files.load_checkpoint(path / RUNNER_STATE, config_path=config_path)
    checkpoint["sharded_dir"] = path
    return checkpoint


def read_any(path: Path, config_path: str) -> dict[str, Any]:
    """A checkpoint file (:func:`~._checkpoint.load_checkpoint`) or a sharded checkpoint's
    run state (:func:`read_sharded`)."""
    if files.is_sharded_checkpoint(path):
        return read_sharded(path, config_path)
    return files.load_checkpoint(path, config_path=config_path)


def load_sharded(
    path: Path,
    module: nn.Module,
    optimizer: Optimizers,
    *,
    strict: bool,
    check: Callable[[Mapping[str, Any]], object],
    at: str,
) -> None:
    """Load the sharded checkpoint ``path`` into ``module`` (sharded or not, at any world
    size) and ``optimizer`` (each of a mapping from ``optim.NAME``); ``check`` first compares
    the weights' names and shapes (given as a state dict of meta tensors).

    Raises:
        CheckpointError: The weights do not fit, or DCP cannot read or map them.
    """
    try:
        stored = dcp.FileSystemReader(path).read_metadata().state_dict_metadata
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"cannot read {str(path)!r}: {exc}", config_path=at) from exc
    check(
        {
            key.removeprefix("model."): torch.empty(entry.size, device="meta")
            for key, entry in stored.items()
            if key.startswith("model.") and isinstance(entry, TensorStorageMetadata)
        }
    )
    with_optimizer = optimizer is not None and any(key.startswith("optim.") for key in stored)
    state: dict[str, Any] = {"model": get_model_state_dict(module)}
    if with_optimizer:
        state["optim"] = _optim_state(module, optimizer)
    try:
        with single_process_quietly():
            dcp.load(
                state,
                checkpoint_id=path,
                planner=DefaultLoadPlanner(allow_partial_load=not strict),
            )
    except Exception as exc:  # DCP's CheckpointException carries each rank's failure
        raise CheckpointError(
            f"cannot load {str(path)!r} at world size {dist_info()[1]}: {_first(exc)}",
            config_path=at,
        ) from exc
    set_model_state_dict(module, state["model"])
    if with_optimizer:
        _set_optim_state(module, optimizer, state["optim"])


def load_full(
    module: nn.Module,
    optimizer: Optimizers,
    state_dict: Mapping[str, Any],
    optim_state: Any,
) -> None:
    """Load a one-file checkpoint (full tensors, which every rank has read) into the sharded
    ``module``, each rank keeping its shards, and its optimizer state (``Optimizer.state_dict()``
    's layout, parameters by index; by name for a mapping) into ``optimizer``: a DDP or
    single-process run continued under FSDP2. Check that they fit first.
    """
    options = StateDictOptions(full_state_dict=True, strict=False)
    set_model_state_dict(module, dict(state_dict), options=options)
    if optimizer is None or optim_state is None:
        return
    for name, each in _each(optimizer).items():
        saved = optim_state if name is None else optim_state[name]
        layout: Any = get_optimizer_state_dict(module, each)  # names parameters in index order
        names = [str(fqn) for group in layout["param_groups"] for fqn in group["params"]]
        set_optimizer_state_dict(module, each, by_name(saved, names), options=options)


def param_names(
    module: nn.Module, optimizer: Optimizers
) -> list[str] | dict[str, list[str]] | None:
    """The names of the optimizer's parameters in ``Optimizer.state_dict()``'s index order
    (by optimizer name for a mapping): what turning a one-file checkpoint into a sharded one
    needs. None when a parameter is not one of ``module``'s."""
    named = {id(param): name for name, param in module.named_parameters()}
    found: dict[str | None, list[str]] = {}
    for key, each in _each(optimizer).items():
        params = [param for group in each.param_groups for param in group["params"]]
        if any(id(param) not in named for param in params):
            return None
        found[key] = [named[id(param)] for param in params]
    if not found:
        return None
    if None in found:
        return found[None]
    return {str(key): names for key, names in found.items()}


def by_index(optim: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """DCP's optimizer state (by parameter name) as ``Optimizer.state_dict()`` has it, and
    the names in index order."""
    names = [name for group in optim["param_groups"] for name in group["params"]]
    index = {name: i for i, name in enumerate(names)}
    state = {index[name]: value for name, value in optim["state"].items()}
    groups = [
        {**group, "params": [index[name] for name in group["params"]]}
        for group in optim["param_groups"]
    ]
    return {"state": state, "param_groups": groups}, names


def by_name(optimizer: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """``Optimizer.state_dict()``'s layout keyed by the parameters' names (DCP's)."""
    state = {names[index]: value for index, value in optimizer["state"].items()}
    groups = [
        {**group, "params": [names[index] for index in group["params"]]}
        for group in optimizer["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


@contextmanager
def single_process_quietly() -> Iterator[None]:
    """DCP warns that it loads in one process when no process group is joined; that is what
    a single-process load (``regwire test``, ``convert-checkpoint``, a 1-process resume)
    means to do, so that one warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "torch.distributed is disabled", UserWarning)
        yield


def _first(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
