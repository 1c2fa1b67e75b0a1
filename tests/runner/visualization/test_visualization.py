"""Scalars to files, TensorBoard and MLflow; LogProcessor; regwire plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from container import ConfigError
from runner import (
    EpochBasedTrainLoop,
    IterTimerHook,
    LocalVisBackend,
    LoggerHook,
    LogProcessor,
    OptimWrapper,
    Runner,
    Visualizer,
    plot_runs,
)
from runner.app.cli import main
from runner.visualization import read_scalars

from ..conftest import MeanError, ToyModel, make_loader


def _train(work_dir: Path, backends: list[Any] | None = None, epochs: int = 2) -> Runner:
    torch.manual_seed(0)
    model = ToyModel()
    runner = Runner(
        model,
        work_dir=work_dir,
        train_dataloader=make_loader(16, 4),
        train_loop=EpochBasedTrainLoop(max_epochs=epochs),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
        val_dataloader=make_loader(4, 4),
        val_evaluator=MeanError(),
        hooks=[IterTimerHook(), LoggerHook(interval=2)],
        visualizer=Visualizer(vis_backends=backends) if backends is not None else None,
        cfg={"model": {"type": "ToyModel"}},
    )
    runner.train()
    return runner


def test_scalars_json_has_one_row_per_logging_step(tmp_path: Path) -> None:
    runner = _train(tmp_path)
    assert runner.log_dir is not None
    vis = runner.log_dir / "vis_data"
    rows = [json.loads(line) for line in (vis / "scalars.json").read_text().splitlines()]
    train = [row for row in rows if "loss" in row]
    val = [row for row in rows if "mae" in row]
    assert [row["step"] for row in train] == [2, 4, 6, 8]
    assert [row["epoch"] for row in train] == [1, 1, 2, 2]
    assert all({"lr", "time", "data_time", "iter"} <= set(row) for row in train)
    assert [(row["step"], row["iter"]) for row in val] == [(1, 4), (2, 8)]
    assert (vis / f"{runner.timestamp}.json").read_text() == (vis / "scalars.json").read_text()
    assert "ToyModel" in (vis / "config.yaml").read_text()


def test_logged_loss_is_the_mean_over_the_window(tmp_path: Path) -> None:
    runner = _train(tmp_path, epochs=1)
    losses = list(runner.message_hub.history("train/loss"))
    assert len(losses) == 4  # every iteration's loss, read once per logged line
    assert runner.log_dir is not None
    rows = read_scalars([runner.log_dir / "vis_data" / "scalars.json"])
    assert rows[1]["loss"] == pytest.approx(sum(losses) / 4)


def test_log_processor_custom_cfg_and_its_errors() -> None:
    processor = LogProcessor(
        custom_cfg=[{"data_src": "loss", "log_name": "loss_max", "method_name": "max"}]
    )
    assert processor.custom_cfg[0]["window_size"] == 10
    with pytest.raises(ValueError, match="'epoch' and 'global' windows are not offered"):
        LogProcessor(custom_cfg=[{"data_src": "loss", "window_size": "global"}])
    with pytest.raises(ValueError, match="method_name must be one of mean, max, min, current"):
        LogProcessor(custom_cfg=[{"data_src": "loss", "method_name": "median"}])


def test_no_work_dir_writes_nothing(tmp_path: Path) -> None:
    backend = LocalVisBackend()
    visualizer = Visualizer(vis_backends=[backend])
    visualizer.add_scalars({"loss": 1.0}, step=1)
    assert backend.save_dir is None
    assert not visualizer.active


def test_tensorboard_writes_an_event_file(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from runner import TensorboardVisBackend

    runner = _train(tmp_path, [TensorboardVisBackend()])
    assert runner.log_dir is not None
    assert list((runner.log_dir / "vis_data").glob("events.out.tfevents.*"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # mlflow's own, of sqlalchemy
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_mlflow_records_a_run_in_a_local_store(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from runner import MLflowVisBackend

    backend = MLflowVisBackend(exp_name="toy")
    runner = _train(tmp_path, [backend])
    assert runner.log_dir is not None
    store = runner.log_dir / "vis_data" / "mlflow.db"
    assert store.is_file()
    assert backend.last_run_id is not None
    client = MlflowClient(tracking_uri=f"sqlite:///{store}")
    history = client.get_metric_history(backend.last_run_id, "loss")
    assert [metric.step for metric in history] == [2, 4, 6, 8]


def test_a_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_mlflow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "mlflow":
            raise ImportError("no mlflow")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    monkeypatch.delitem(__import__("sys").modules, "mlflow", raising=False)
    from runner import MLflowVisBackend

    with pytest.raises(ConfigError, match=r"pip install 'regwire\[mlflow\]'"):
        MLflowVisBackend()


def test_plot_writes_a_png_for_one_run_and_for_two(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _train(tmp_path / "a")
    _train(tmp_path / "b", epochs=3)
    one = plot_runs([tmp_path / "a"], tmp_path / "one.png")
    assert one.read_bytes()[:4] == b"\x89PNG"
    assert one.stat().st_size > 10_000
    out = tmp_path / "two.png"
    assert (
        main(
            [
                "plot",
                str(tmp_path / "a"),
                str(tmp_path / "b"),
                "--keys",
                "loss,mae",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.stat().st_size > 10_000


def test_plot_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    assert "no vis_data/scalars.json under" in capsys.readouterr().err
