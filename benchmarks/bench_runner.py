"""Runner overhead: a tiny model trained by hand, by regwire's Runner and by mmengine's.

Linear(32 -> 1), batch 16, 2,000 iterations (one epoch of a 32,000-sample TensorDataset, no
shuffling), SGD; the default hooks, no checkpoint. Each system runs the same steps: a batch
from the same kind of DataLoader, forward in loss mode, backward, step, zero_grad. The time
per iteration is measured from ``before_train`` to ``after_train`` (set-up excluded), the
median of several runs, interleaved. Then ``call_hook`` for 10 hooks of which 2 implement
the stage.

Run in the benchmark environment, where mmengine is installed beside regwire:
``.venv-bench/bin/python benchmarks/bench_runner.py``.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import per_call_us, row

import runner as rw

ITERS = 2000
BATCH = 16
RUNS = 9


def dataset() -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(ITERS * BATCH, 32, generator=generator)
    return TensorDataset(x, x.sum(dim=1, keepdim=True))


def loader() -> DataLoader[Any]:
    return DataLoader(dataset(), batch_size=BATCH, shuffle=False)


# -- hand-written ----------------------------------------------------------------------------
# Each hand-written loop is written out in full, not shared through a helper: a helper called
# in the loop would add a Python call to every iteration of the reference being measured.


def hand_written() -> float:
    torch.manual_seed(0)
    model = nn.Linear(32, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    data = loader()
    model.train()
    start = time.perf_counter()
    for x, y in data:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return (time.perf_counter() - start) / ITERS


def hand_written_grads_to_none() -> float:
    """The hand-written loop resetting gradients as regwire's optimizer wrapper does: each
    parameter's ``grad`` set to None directly, instead of ``optimizer.zero_grad()`` (same
    effect, without its profiler range and guards)."""
    torch.manual_seed(0)
    model = nn.Linear(32, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    params = list(model.parameters())
    data = loader()
    model.train()
    start = time.perf_counter()
    for x, y in data:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        for param in params:
            param.grad = None
    return (time.perf_counter() - start) / ITERS


# -- regwire ---------------------------------------------------------------------------------


class RegwireNet(rw.BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor, y: Any = None, mode: str = "tensor") -> Any:  # type: ignore[override]
        out = self.linear(x)
        return {"loss": F.mse_loss(out, y)} if mode == "loss" else out


def hand_written_same_model() -> float:
    """Exactly the steps regwire takes, by hand: the same ``BaseModel`` called in loss mode,
    backward, step, gradients set to None. What regwire adds to this is its own bookkeeping
    (loops, hooks, dispatch, moving the batch, collecting the logged values)."""
    torch.manual_seed(0)
    model = RegwireNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    params = list(model.parameters())
    data = loader()
    model.train()
    start = time.perf_counter()
    for x, y in data:
        loss = model(x, y, mode="loss")["loss"]
        loss.backward()
        optimizer.step()
        for param in params:
            param.grad = None
    return (time.perf_counter() - start) / ITERS


class Stopwatch(rw.Hook):
    """Times the training loop from before_train to after_train."""

    priority = rw.Priority.LOWEST

    def __init__(self) -> None:
        self.start = self.stop = 0.0

    def before_train(self, runner: Any) -> None:
        self.start = time.perf_counter()

    def after_train(self, runner: Any) -> None:
        self.stop = time.perf_counter()


def regwire_run(log_dir: str | None = None, nan_check: bool = True) -> float:
    """regwire at ``WARNING``, as mmengine below: no progress lines. With ``log_dir``, at
    ``INFO`` instead, writing a line every 10 iterations to a log file there (a real run).
    ``nan_check=False`` leaves out the default ``CheckInvalidLossHook`` (mmengine has none)."""
    torch.manual_seed(0)
    model = RegwireNet()
    watch = Stopwatch()
    changes: dict[str, Any] = {"checkpoint": None}
    if not nan_check:
        changes["check_invalid_loss"] = None
    hooks = [*rw.build_hooks(changes), watch]
    runner = rw.Runner(
        model,
        work_dir=log_dir,
        train_dataloader=loader(),
        train_loop=rw.EpochBasedTrainLoop(max_epochs=1),
        optim_wrapper=rw.OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)),
        hooks=hooks,
        log_level="WARNING" if log_dir is None else "INFO",
    )
    runner.train()
    return (watch.stop - watch.start) / ITERS


# -- mmengine --------------------------------------------------------------------------------


def mmengine_net() -> type[Any]:
    """The benchmark's model as an mmengine ``BaseModel`` (imported only when mmengine is)."""
    import mmengine.model

    class MMNet(mmengine.model.BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(32, 1)

        def forward(self, x: torch.Tensor, y: Any = None, mode: str = "tensor") -> Any:
            out = self.linear(x)
            return {"loss": F.mse_loss(out, y)} if mode == "loss" else out

    return MMNet


def mmengine_run(work_dir: str) -> float:
    from mmengine.hooks import Hook as MMHook
    from mmengine.runner import Runner as MMRunner

    MMNet = mmengine_net()

    class MMStopwatch(MMHook):
        priority = "LOWEST"

        def __init__(self) -> None:
            self.start = self.stop = 0.0

        def before_train(self, runner: Any) -> None:
            self.start = time.perf_counter()

        def after_train(self, runner: Any) -> None:
            self.stop = time.perf_counter()

    torch.manual_seed(0)
    watch = MMStopwatch()
    runner = MMRunner(
        model=MMNet(),
        work_dir=work_dir,
        train_dataloader=loader(),
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01}},
        default_hooks={"checkpoint": None},
        custom_hooks=[watch],
        log_level="WARNING",
    )
    runner.train()
    return (watch.stop - watch.start) / ITERS


# -- restarting a finite dataloader in an iteration-based loop ---------------------------------

WRAP_BATCHES, WRAP_ITERS = 10, 30  # three passes over the dataloader


def small_loader() -> DataLoader[Any]:
    return DataLoader(
        TensorDataset(torch.randn(WRAP_BATCHES * BATCH, 32), torch.randn(WRAP_BATCHES * BATCH, 1)),
        batch_size=BATCH,
    )


def regwire_wraps() -> float:
    model = RegwireNet()
    watch = Stopwatch()
    runner = rw.Runner(
        model,
        train_dataloader=small_loader(),
        train_loop=rw.IterBasedTrainLoop(max_iters=WRAP_ITERS),
        optim_wrapper=rw.OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)),
        hooks=[*rw.build_hooks({"checkpoint": None}), watch],
        log_level="WARNING",
    )
    runner.train()
    return watch.stop - watch.start


def mmengine_wraps(work_dir: str) -> float:
    from mmengine.hooks import Hook as MMHook
    from mmengine.runner import Runner as MMRunner

    MMNet = mmengine_net()

    class MMStopwatch(MMHook):
        priority = "LOWEST"

        def before_train(self, runner: Any) -> None:
            self.start = time.perf_counter()

        def after_train(self, runner: Any) -> None:
            self.stop = time.perf_counter()

    watch = MMStopwatch()
    MMRunner(
        model=MMNet(),
        work_dir=work_dir,
        train_dataloader=small_loader(),
        train_cfg={"by_epoch": False, "max_iters": WRAP_ITERS},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01}},
        default_hooks={"checkpoint": None},
        custom_hooks=[watch],
        log_level="WARNING",
    ).train()
    return float(watch.stop - watch.start)


# -- call_hook -------------------------------------------------------------------------------


def regwire_call_hook_us() -> float:
    class Implements(rw.Hook):
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            pass

    hooks = [rw.Hook() for _ in range(8)] + [Implements(), Implements()]
    runner = rw.Runner(nn.Linear(1, 1), hooks=hooks)
    return per_call_us(
        lambda: runner.call_hook("after_train_iter", batch_idx=0, data_batch=None, outputs=None)
    )


def mmengine_call_hook_us() -> float:
    from types import SimpleNamespace

    from mmengine.hooks import Hook as MMHook
    from mmengine.runner import Runner as MMRunner

    class Implements(MMHook):
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            pass

    fake = SimpleNamespace(_hooks=[MMHook() for _ in range(8)] + [Implements(), Implements()])
    call_hook = MMRunner.call_hook  # the unbound method: only self._hooks is used
    return per_call_us(
        lambda: call_hook(fake, "after_train_iter", batch_idx=0, data_batch=None, outputs=None)
    )


def main() -> None:
    torch.set_num_threads(1)
    hand: list[float] = []
    hand_none: list[float] = []
    hand_same: list[float] = []
    ours_logging: list[float] = []
    ours: list[float] = []
    ours_no_nan: list[float] = []
    theirs: list[float] = []
    # one work directory for every mmengine run: its visualizer is a process-wide instance
    # that keeps the directory it was made with
    work_dir = tempfile.mkdtemp(prefix="bench_runner_")
    systems = (hand_written, hand_written_grads_to_none, hand_written_same_model, regwire_run)
    for system in systems:  # warm-up
        system()
    mmengine_run(work_dir)
    for _ in range(RUNS):
        hand.append(hand_written())
        hand_none.append(hand_written_grads_to_none())
        hand_same.append(hand_written_same_model())
        ours.append(regwire_run())
        ours_no_nan.append(regwire_run(nan_check=False))
        ours_logging.append(regwire_run(log_dir=work_dir + "/regwire"))
        theirs.append(mmengine_run(work_dir))
    h, hn, hs, r, rn, rl, m = (
        statistics.median(v) * 1e6
        for v in (hand, hand_none, hand_same, ours, ours_no_nan, ours_logging, theirs)
    )
    print(f"Linear(32->1), batch {BATCH}, {ITERS} iterations, median of {RUNS} runs\n")
    print("| measurement | median | ratio |")
    print("|---|---|---|")
    print(row("hand-written torch loop, per iteration", h, "µs", h))
    print(row("hand-written, grads set to None directly, per iteration", hn, "µs", h))
    print(row("hand-written, same BaseModel in loss mode, grads to None", hs, "µs", h))
    print(row("regwire Runner (default hooks), per iteration", r, "µs", h))
    print(row("regwire Runner, default hooks without the NaN check", rn, "µs", h))
    print(row("regwire Runner, INFO, a line every 10 iterations to a file", rl, "µs", h))
    print(row("mmengine Runner (default hooks), per iteration", m, "µs", h))
    print(f"| regwire overhead | {r - h:,.2f} µs | {(r - h) / h:+.1%} |")
    print(f"| regwire over the grads-to-None loop | {r - hn:,.2f} µs | {(r - hn) / hn:+.1%} |")
    print(f"| regwire over the same-model loop | {r - hs:,.2f} µs | {(r - hs) / hs:+.1%} |")
    print(f"| mmengine overhead | {m - h:,.2f} µs | {(m - h) / h:+.1%} |")
    ours_wrap, theirs_wrap = regwire_wraps() * 1e3, mmengine_wraps(work_dir) * 1e3
    shutil.rmtree(work_dir, ignore_errors=True)
    label = f"{WRAP_ITERS} iterations over a {WRAP_BATCHES}-batch dataloader (3 passes)"
    print(row(f"regwire IterBasedTrainLoop, {label}", ours_wrap, "ms", ours_wrap))
    print(row(f"mmengine IterBasedTrainLoop, {label}", theirs_wrap, "ms", ours_wrap))
    ours_call, theirs_call = regwire_call_hook_us(), mmengine_call_hook_us()
    print(row("regwire `call_hook` (10 hooks, 2 implement it)", ours_call, "µs", ours_call))
    print(row("mmengine `call_hook` (10 hooks, 2 implement it)", theirs_call, "µs", ours_call))


if __name__ == "__main__":
    main()
