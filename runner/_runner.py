"""The Runner: drives ready-built components through training, validation and testing.

The Runner receives built objects; building them from a config is the training container's
job (:class:`runner.TrainingContainer`, used by :meth:`Runner.from_cfg`).
"""

from __future__ import annotations

import itertools
import os
import time
import weakref
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from container import Config, ConfigError, RegwireError

from . import _checkpoint as ckpt
from ._dispatch import DispatchTable, call_stage, unknown_stage
from ._dist import is_main_process
from ._logging import MessageHub, make_logger
from ._loops import EvalContext, Metrics, TestLoop, TrainContext, TrainState, ValLoop
from ._random import Randomness

_run_ids = itertools.count()


class Runner:
    """Trains, validates and tests a model with injected components and hooks.

    Args:
        model: The model; its ``train_step``/``val_step``/``test_step`` are called.
        work_dir: Where checkpoints go, and logs and the config under
            ``work_dir/<timestamp>/``. None writes nothing.
        train_dataloader: The training data.
        val_dataloader: The validation data.
        test_dataloader: The test data.
        train_loop: An ``EpochBasedTrainLoop`` or ``IterBasedTrainLoop``.
        val_loop: Defaults to a ``ValLoop`` when there are validation data and an evaluator.
        test_loop: Defaults to a ``TestLoop`` when there are test data and an evaluator.
        optim_wrapper: Updates the parameters in ``train_step``.
        param_schedulers: Stepped by the ``ParamSchedulerHook``.
        val_evaluator: Computes the validation metrics.
        test_evaluator: Computes the test metrics.
        hooks: Hooks, ordered stably by their ``priority``.
        randomness: How the run was seeded (:func:`runner.set_random_seed`), to record it.
        load_from: A checkpoint to load before running.
        resume: Resume training from ``load_from``, or from the newest checkpoint in
            ``work_dir`` when ``load_from`` is None.
        cfg: The config the run was built from, dumped into the log directory.

    Raises:
        ConfigError: Validation or test data come without their evaluator, or the reverse.
        HookSignatureError: A hook's stage method does not fit its stage.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        work_dir: str | os.PathLike[str] | None = None,
        train_dataloader: Any = None,
        val_dataloader: Any = None,
        test_dataloader: Any = None,
        train_loop: Any = None,
        val_loop: Any = None,
        test_loop: Any = None,
        optim_wrapper: Any = None,
        param_schedulers: Sequence[Any] = (),
        val_evaluator: Any = None,
        test_evaluator: Any = None,
        hooks: Sequence[object] = (),
        randomness: Randomness | None = None,
        load_from: str | os.PathLike[str] | None = None,
        resume: bool = False,
        cfg: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.train_dataloader = train_dataloader
        self.val_dataloader = val_dataloader
        self.test_dataloader = test_dataloader
        self.train_loop = train_loop
        self.val_loop = _eval_loop(val_loop, val_dataloader, val_evaluator, "val", ValLoop)
        self.test_loop = _eval_loop(test_loop, test_dataloader, test_evaluator, "test", TestLoop)
        self.optim_wrapper = optim_wrapper
        self.param_schedulers = list(param_schedulers)
        self.val_evaluator = val_evaluator
        self.test_evaluator = test_evaluator
        self.randomness = randomness
        self.load_from = load_from
        self.resume_requested = resume
        self.cfg = cfg
        self.state = TrainState()
        self.message_hub = MessageHub()
        self.timestamp = time.strftime("%Y%m%d_%H%M%S", time.localtime())
        self.work_dir = Path(work_dir).resolve() if work_dir is not None else None
        self.log_dir = self._make_log_dir()
        log_file = self.log_dir / f"{self.timestamp}.log" if self.log_dir else None
        self.logger, handler = make_logger(f"run{next(_run_ids)}", log_file)
        if handler is not None:
            weakref.finalize(self, _detach, self.logger, handler)
        self._log_handler = handler
        self._set_hooks(hooks)
        if train_loop is not None and train_dataloader is not None:
            train_loop.plan(self.state, train_dataloader)
        if randomness is not None:
            self.logger.info(
                "seed: %d (deterministic: %s)", randomness.seed, randomness.deterministic
            )
        self.logger.info("hooks by stage:\n%s", self._table.format())
        self._dump_config()

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any] | Config) -> Runner:
        """Build a runner from a whole config through :class:`runner.TrainingContainer`.

        Errors name the config path and, for a :class:`~container.config.Config`, the file
        and line of the value. The container module builds on this one, so it is imported
        here, when called.

        Raises:
            RegwireError: The config is wrong.
        """
        from ._app import TrainingContainer, locate

        try:
            return TrainingContainer.from_cfg(cfg).runner()  # type: ignore[no-any-return]
        except RegwireError as exc:
            locate(exc, cfg)
            raise

    # -- what hooks read --------------------------------------------------------------------

    @property
    def hooks(self) -> list[object]:
        """The hooks in the order they run (by priority, stably)."""
        return list(self._table.hooks)

    @property
    def hook_names(self) -> dict[str, object]:
        """The hooks by the names their checkpoint state is saved under."""
        return dict(zip(self._table.names, self._table.hooks, strict=True))

    @property
    def epoch(self) -> int:
        return self.state.epoch

    @property
    def iter(self) -> int:
        return self.state.iter

    @property
    def inner_iter(self) -> int:
        return self.state.inner_iter

    @property
    def max_epochs(self) -> int:
        return self.state.max_epochs

    @property
    def max_iters(self) -> int:
        return self.state.max_iters

    @property
    def seed(self) -> int | None:
        return None if self.randomness is None else self.randomness.seed

    # -- hooks ------------------------------------------------------------------------------

    def call_hook(self, fn_name: str, /, **kwargs: Any) -> None:
        """Call ``fn_name`` on every hook that implements it, in priority order.

        Raises:
            ValueError: ``fn_name`` is not a stage.
            HookError: A hook raised (naming the hook and the stage).
        """
        try:
            methods, names = self._callers[fn_name]
        except KeyError:
            raise unknown_stage(fn_name) from None
        if methods:
            call_stage(fn_name, methods, names, self, kwargs)

    def register_hook(self, hook: object, priority: int | str | None = None) -> None:
        """Add a hook (rebuilding the dispatch tables); ``priority`` replaces its own."""
        if priority is not None:
            hook.priority = priority  # type: ignore[attr-defined]
        self._set_hooks([*self._table.hooks, hook])

    def _set_hooks(self, hooks: Sequence[object]) -> None:
        self._table = DispatchTable.from_hooks(hooks)
        self._callers = self._table.callers

    # -- running ----------------------------------------------------------------------------

    def train(self) -> nn.Module:
        """Train (after loading or resuming a checkpoint if asked); return the model.

        Raises:
            ConfigError: There is no train loop, training data or optimizer wrapper.
        """
        for name in ("train_loop", "train_dataloader", "optim_wrapper"):
            if getattr(self, name) is None:
                key = "train_cfg" if name == "train_loop" else name
                raise ConfigError(f"cannot train without {key!r}", config_path=key)
        with self._run():
            self._load_or_resume()
            self.train_loop.plan(self.state, self.train_dataloader)
            initialize = getattr(self.optim_wrapper, "initialize_count_status", None)
            if initialize is not None:
                initialize(self.model, self.state.iter, self.state.max_iters)
            validate = self._validate if self.val_loop is not None else None
            context = TrainContext(
                self.model,
                self.train_dataloader,
                self.optim_wrapper,
                self.state,
                self.call_hook,
                validate,
            )
            return self.train_loop.run(context)  # type: ignore[no-any-return]

    def val(self) -> Metrics:
        """Validate once (after loading ``load_from``); return the metrics."""
        if self.val_loop is None:
            raise ConfigError("cannot validate without 'val_dataloader'", config_path="val_cfg")
        with self._run():
            self._load_or_resume()
            return self._validate()

    def test(self) -> Metrics:
        """Test once (after loading ``load_from``); return the metrics."""
        if self.test_loop is None:
            raise ConfigError("cannot test without 'test_dataloader'", config_path="test_cfg")
        with self._run():
            self._load_or_resume()
            context = EvalContext(
                self.model, self.test_dataloader, self.test_evaluator, self.call_hook
            )
            return self.test_loop.run(context)  # type: ignore[no-any-return]

    def _validate(self) -> Metrics:
        context = EvalContext(self.model, self.val_dataloader, self.val_evaluator, self.call_hook)
        return self.val_loop.run(context)  # type: ignore[no-any-return]

    @contextmanager
    def _run(self) -> Any:
        self.call_hook("before_run")
        try:
            yield
        finally:
            try:
                self.call_hook("after_run")
            finally:
                if self._log_handler is not None:
                    self._log_handler.close()  # reopened by the next record

    # -- checkpoints ------------------------------------------------------------------------

    def _load_or_resume(self) -> None:
        if self.resume_requested:
            path = self.load_from
            if path is None and self.work_dir is not None:
                path = ckpt.find_latest_checkpoint(self.work_dir)
            if path is None:
                self.logger.info("no checkpoint to resume from; training from scratch")
            else:
                self.resume(path)
            self.resume_requested = False
        elif self.load_from is not None:
            self.load_checkpoint(self.load_from)
        self.load_from = None  # done: a second run does not load it again

    def save_checkpoint(
        self,
        out_dir: str | os.PathLike[str],
        filename: str,
        *,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Mapping[str, Any] | None = None,
        by_epoch: bool = True,
    ) -> Path:
        """Write a checkpoint of the run to ``out_dir/filename`` (atomically).

        Args:
            out_dir: The directory.
            filename: The file name (``epoch_3.pth``).
            save_optimizer: Include the optimizer state.
            save_param_scheduler: Include the parameter schedulers' states.
            meta: More values for ``checkpoint["meta"]`` (plain Python only).
            by_epoch: Called at the end of an epoch (True) or of an iteration (False); it
                decides the counters recorded, so that resuming continues after that point.

        Returns:
            The path written.
        """
        state = self.state
        if by_epoch:
            counters = {"epoch": state.epoch + 1, "iter": state.iter, "inner_iter": 0}
        else:
            counters = {
                "epoch": state.epoch,
                "iter": state.iter + 1,
                "inner_iter": state.inner_iter + 1,
            }
        checkpoint: dict[str, Any] = {
            "meta": {
                **counters,
                "seed": self.seed,
                "time": time.strftime("%Y%m%d_%H%M%S", time.localtime()),
                "torch_version": str(torch.__version__),
                **(meta or {}),
            },
            "state_dict": _unwrap(self.model).state_dict(),
        }
        if save_optimizer and self.optim_wrapper is not None:
            checkpoint["optimizer"] = self.optim_wrapper.state_dict()
        if save_param_scheduler and self.param_schedulers:
            checkpoint["param_schedulers"] = [s.state_dict() for s in self.param_schedulers]
        hook_states = {
            name: hook.state_dict()  # type: ignore[attr-defined]
            for name, hook in self.hook_names.items()
            if callable(getattr(hook, "state_dict", None))
        }
        if hook_states:
            checkpoint["hooks"] = hook_states
        sampler = getattr(self.train_dataloader, "sampler", None)
        if callable(getattr(sampler, "state_dict", None)):
            checkpoint["data_sampler"] = sampler.state_dict()  # type: ignore[union-attr]
        self.call_hook("before_save_checkpoint", checkpoint=checkpoint)
        return ckpt.save_checkpoint(checkpoint, Path(out_dir) / filename)

    def load_checkpoint(
        self,
        filename: str | os.PathLike[str],
        map_location: str | torch.device = "cpu",
        strict: bool = False,
    ) -> dict[str, Any]:
        """Load the model weights of a checkpoint; return the checkpoint.

        Raises:
            CheckpointError: The file is missing or cannot be loaded with weights_only.
        """
        checkpoint = ckpt.load_checkpoint(filename, map_location, config_path="load_from")
        result = _unwrap(self.model).load_state_dict(checkpoint["state_dict"], strict=strict)
        if result.missing_keys or result.unexpected_keys:
            self.logger.warning(
                "loaded %s with missing keys %s and unexpected keys %s",
                filename,
                result.missing_keys,
                result.unexpected_keys,
            )
        self.logger.info("loaded checkpoint %s", filename)
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        return checkpoint

    def resume(self, filename: str | os.PathLike[str]) -> dict[str, Any]:
        """Restore weights, optimizer, schedulers, counters and hook states; return them."""
        checkpoint = ckpt.load_checkpoint(filename, "cpu", config_path="resume")
        _unwrap(self.model).load_state_dict(checkpoint["state_dict"])
        if self.optim_wrapper is not None and "optimizer" in checkpoint:
            self.optim_wrapper.load_state_dict(checkpoint["optimizer"])
        for scheduler, state in zip(
            self.param_schedulers, checkpoint.get("param_schedulers", ()), strict=False
        ):
            scheduler.load_state_dict(state)
        names = self.hook_names
        for name, state in checkpoint.get("hooks", {}).items():
            hook = names.get(name)
            if hook is not None and callable(getattr(hook, "load_state_dict", None)):
                hook.load_state_dict(state)  # type: ignore[attr-defined]
        sampler = getattr(self.train_dataloader, "sampler", None)
        if "data_sampler" in checkpoint and callable(getattr(sampler, "load_state_dict", None)):
            sampler.load_state_dict(checkpoint["data_sampler"])  # type: ignore[union-attr]
        meta = checkpoint.get("meta", {})
        self.state.load_state_dict(meta)
        seed = meta.get("seed")
        if seed is not None and self.seed is not None and seed != self.seed:
            self.logger.warning(
                "the checkpoint was trained with seed %s, this run uses %s", seed, self.seed
            )
        self.logger.info(
            "resumed from %s at epoch %d, iter %d", filename, self.state.epoch, self.state.iter
        )
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        return checkpoint

    # -- files ------------------------------------------------------------------------------

    def _make_log_dir(self) -> Path | None:
        if self.work_dir is None or not is_main_process():
            return None
        log_dir = self.work_dir / self.timestamp
        for suffix in itertools.count(1):
            try:
                log_dir.mkdir(parents=True)
                return log_dir
            except FileExistsError:
                log_dir = self.work_dir / f"{self.timestamp}_{suffix}"
        raise AssertionError("unreachable")

    def _dump_config(self) -> None:
        if self.log_dir is None or self.cfg is None:
            return
        dump = getattr(self.cfg, "dump", None)
        target = self.log_dir / "config.yaml"
        if callable(dump):
            dump(target)
            return
        try:
            text = yaml.safe_dump(_plain(self.cfg), sort_keys=False)
        except yaml.YAMLError:
            text = f"# not representable as YAML; Python repr:\n# {self.cfg!r}\n"
        target.write_text(text, encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _unwrap(model: nn.Module) -> nn.Module:
    module = getattr(model, "module", None)
    return module if isinstance(module, nn.Module) else model


def _detach(logger: Any, handler: Any) -> None:
    logger.removeHandler(handler)
    handler.close()


def _eval_loop(loop: Any, dataloader: Any, evaluator: Any, mode: str, default: type) -> Any:
    given = {f"{mode}_dataloader": dataloader, f"{mode}_evaluator": evaluator}
    missing = [key for key, value in given.items() if value is None]
    if len(missing) == 1:
        present = next(key for key in given if key not in missing)
        raise ConfigError(
            f"{present!r} is given but {missing[0]!r} is not; give both or neither",
            config_path=missing[0],
        )
    if missing:
        if loop is not None:
            raise ConfigError(
                f"'{mode}_cfg' is given without '{mode}_dataloader' and '{mode}_evaluator'",
                config_path=f"{mode}_cfg",
            )
        return None
    return loop if loop is not None else default()
