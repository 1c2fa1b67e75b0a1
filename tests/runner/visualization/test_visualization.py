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
from runner.visualization._plot import curves, run_labels

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
    # MMEngine's keys: a validation row's step is the epoch, and it has no "iter" (which
    # would make TensorBoard's "iter" series jump back to the epoch)
    assert [row["step"] for row in val] == [1, 2]
    assert all("iter" not in row and "epoch" not in row for row in val)
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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # mlflow's own, of sqlalchemy
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_mlflow_gets_the_config_as_params_and_the_files_as_artifacts(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from runner import MLflowVisBackend

    artifacts = tmp_path / "elsewhere"
    backend = MLflowVisBackend(
        exp_name="toy", tracked_config_keys=["model"], artifact_location=artifacts.as_uri()
    )
    runner = _train(tmp_path / "run", [LocalVisBackend(), backend])
    assert runner.log_dir is not None
    client = MlflowClient(tracking_uri=f"sqlite:///{runner.log_dir / 'vis_data' / 'mlflow.db'}")
    run = client.get_run(str(backend.last_run_id))
    assert run.data.params == {"model.type": "ToyModel"}
    uploaded = {item.path for item in client.list_artifacts(run.info.run_id, "vis_data")}
    assert "vis_data/scalars.json" in uploaded
    top = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"config.yaml", f"{runner.timestamp}.log"} <= top
    assert run.info.artifact_uri.startswith(artifacts.as_uri())
    with pytest.raises(ValueError, match="tracked_config_keys names 'modle', which the config"):
        _train(tmp_path / "typo", [MLflowVisBackend(tracked_config_keys=["modle"])])


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


def test_an_epoch_no_longer_than_the_interval_logs_its_last_iteration(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ToyModel()
    runner = Runner(
        model,
        work_dir=tmp_path,
        train_dataloader=make_loader(16, 4),  # 4 iterations an epoch
        train_loop=EpochBasedTrainLoop(max_epochs=2),
        optim_wrapper=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)),
        hooks=[IterTimerHook(), LoggerHook(interval=10)],
    )
    runner.train()
    assert runner.log_dir is not None
    rows = read_scalars([runner.log_dir / "vis_data" / "scalars.json"])
    assert [(row["epoch"], row["iter"]) for row in rows] == [(1, 4), (2, 8)]  # as MMEngine
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert "Epoch(train) [2][4/4]" in log


def test_a_validation_row_is_drawn_at_the_iteration_it_was_made() -> None:
    rows = [
        {"loss": 1.0, "iter": 2, "epoch": 1, "step": 2},
        {"loss": 0.5, "iter": 4, "epoch": 1, "step": 4},
        {"mae": 0.3, "step": 1},
    ]
    assert curves(rows, None)["mae"] == ([4.0], [0.3])
    assert curves([{"mae": 0.3, "step": 7}], None)["mae"] == ([7.0], [0.3])  # a val-only run


def test_runs_of_the_same_name_are_told_apart() -> None:
    assert run_labels(["a/digits", "b/digits"]) == ["a/digits", "b/digits"]
    assert run_labels(["x/a/digits", "y/a/digits", "c"]) == ["x/a/digits", "y/a/digits", "c"]
    assert run_labels(["work/one", "work/two"]) == ["one", "two"]
    assert run_labels(["runs/digits", "runs/digits"]) == ["runs/digits", "runs/digits #2"]


def test_plot_draws_runs_of_the_same_name_each(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib import pyplot

    _train(tmp_path / "a" / "digits")
    _train(tmp_path / "b" / "digits", epochs=3)
    drawn: list[list[str]] = []
    real = pyplot.Figure.savefig

    def record(figure: Any, *args: Any, **kwargs: Any) -> None:
        drawn.extend(
            [text.get_text() for text in axis.get_legend().get_texts()]
            for axis in figure.axes
            if axis.get_visible()
        )
        real(figure, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pyplot.Figure, "savefig", record)
        plot_runs([tmp_path / "a" / "digits", tmp_path / "b" / "digits"], tmp_path / "c.png")
    assert drawn
    assert all(labels == ["a/digits", "b/digits"] for labels in drawn)


def test_plot_a_key_no_run_recorded_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    _train(tmp_path / "a", epochs=1)
    out = tmp_path / "x.png"
    assert main(["plot", str(tmp_path / "a"), "--keys", "loss,maee", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "no run recorded 'maee'" in err
    assert "did you mean 'mae'" in err
    assert "loss, lr, mae" in err
    assert not out.exists()
