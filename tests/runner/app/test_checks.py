"""The run config's top level and its sections, checked without building anything."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from container import Config, ConfigError
from runner.app import SECTIONS, check_config, register_section
from runner.app._schema import check_sections

REPO = Path(__file__).resolve().parents[3]
DIGITS = REPO / "examples" / "digits" / "cnn.yaml"
READY = object()  # a ready model (Python configs): nothing to check
OPENMMLAB = REPO / "tests" / "container" / "config" / "fixtures" / "openmmlab"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # custom_imports: examples.digits.components


def _paths(problems: list[Any]) -> list[str]:
    return [problem.config_path for problem in problems]


def test_the_example_is_clean() -> None:
    assert check_config(Config.fromfile(DIGITS)) == ([], [])


def test_typos_of_sections_are_errors_and_variables_are_left_alone() -> None:
    cfg = {
        "model": READY,
        "param_schedular": [],
        "custom_hook": [],
        "data_root": "/data",  # variables OpenMMLab configs use
        "backend_args": None,
        "train_pipeline": [],
    }
    errors, warnings = check_sections(cfg)
    assert _paths(errors) == ["param_schedular", "custom_hook"]
    assert "did you mean 'param_scheduler'?" in str(errors[0])
    assert warnings == []


def test_openmmlab_configs_have_no_typo_of_a_section() -> None:
    for path in sorted(OPENMMLAB.rglob("*.py")):
        if "_base_" in path.parts:
            continue
        values = Config.fromfile(path).to_dict()
        errors, _ = check_sections({"model": None, **values})
        assert [e for e in errors if "is not a section" in str(e)] == [], path


def test_keys_regwire_does_not_act_on_are_warnings() -> None:
    errors, warnings = check_sections({"model": READY, "lr_config": {}, "default_scope": "mmdet"})
    assert _paths(errors) == ["default_scope"]  # acted on: no registry has that scope
    assert "no registry has that scope" in str(errors[0])
    assert _paths(warnings) == ["lr_config"]
    assert "MMEngine and regwire use param_scheduler" in str(warnings[0])


def test_sections_that_work_together_come_together() -> None:
    errors, _ = check_sections({"model": READY, "train_dataloader": READY, "val_cfg": {}})
    assert _paths(errors) == ["train_cfg", "optim_wrapper", "val_dataloader", "val_evaluator"]
    assert "'train_dataloader' needs it" in str(errors[0])
    assert _paths(check_sections({})[0]) == ["model"]


def test_an_application_registers_its_own_sections() -> None:
    def positive(value: Any, path: str) -> list[ConfigError]:
        return [] if value > 0 else [ConfigError("must be positive", config_path=path)]

    register_section("my_app_workers", "how many workers the app starts", positive)
    try:
        errors, _ = check_sections({"model": READY, "my_app_workers": 0})
        assert [str(e) for e in errors] == ["'my_app_workers': must be positive"]
        with pytest.raises(ValueError, match="already a section"):
            register_section("my_app_workers", "again")
    finally:
        del SECTIONS["my_app_workers"]


def test_every_problem_at_once_with_its_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"_base_: {DIGITS}\nmodel: {{chanels: 3}}\ntrain_cfg: {{max_epochs: 0}}\n"
        "optim_wrapper: {optimizer: {type: SDG}}\n"
    )
    errors, _ = check_config(Config.fromfile(bad))
    assert sorted(_paths(errors)) == [
        "model.chanels",
        "optim_wrapper.optimizer.type",
        "train_cfg.max_epochs",
    ]
    assert {problem.source for problem in errors} == {f"{bad}:2", f"{bad}:3", f"{bad}:4"}


def test_what_a_python_config_imports_is_no_typo() -> None:
    from runner import OptimWrapper, ParamScheduler

    cfg = {
        "model": READY,
        "OptimWrapper": OptimWrapper,  # a class the config imported
        "ParamScheduler": ParamScheduler,
        "train_dataloader": READY,
        "train_cfg": {"max_epochs": 1},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
    }
    errors, _ = check_sections(cfg)
    assert errors == []
    errors, _ = check_sections({"model": READY, 1: "x"})
    assert [str(error) for error in errors] == ["a top-level key must be a name, got 1"]


def test_mmcv_keys_are_warnings_naming_what_replaced_them() -> None:
    _, warnings = check_sections({"model": READY, "resume_from": "x.pth", "fp16": {}})
    assert _paths(warnings) == ["resume_from", "fp16"]
    assert "resume: true with load_from" in str(warnings[0])


def _fresh(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return done.stdout.split()


def test_a_registry_from_runner_holds_the_built_ins_and_force_replaces_one() -> None:
    out = _fresh(
        """
        import runner
        from runner import HOOKS
        print(len(HOOKS) > 5, "CheckpointHook" in HOOKS.providers)

        @HOOKS.register_module(force=True)
        class CheckpointHook(runner.Hook):
            def __init__(self, **options):
                self.options = options

        hooks = runner.build_hooks()
        print(type(hooks[-2]).__module__, len(hooks))
        print(set(runner.__all__) <= set(dir(runner)))
        """
    )
    assert out == ["True", "True", "__main__", "8", "True"]


def test_runner_from_cfg_refuses_a_typo_and_logs_what_it_does_not_act_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from container import ValidationError
    from runner import Runner

    from .test_app import toy_cfg

    with pytest.raises(ValidationError, match=r"'param_schedular' is not a section"):
        Runner.from_cfg(toy_cfg(param_schedular=[]))
    with caplog.at_level("WARNING", logger="regwire"):
        Runner.from_cfg(toy_cfg(experiment_name="toy"))
    assert "'experiment_name': not acted on" in caplog.text


def test_visualizer_log_processor_and_the_new_hooks_are_checked() -> None:
    errors, _ = check_config(
        {
            "model": READY,
            "visualizer": {
                "vis_backends": [
                    {"type": "LocalVisBackend", "save_dri": "x"},
                    {"type": "TensorBoardVisBackend"},
                ]
            },
            "log_processor": {"window_size": "epoch", "custom_cfg": [{"data_src": "loss"}]},
            "default_hooks": {"checkpoint": {"save_best": "acc", "rule": "bigger"}},
            "custom_hooks": [
                {"type": "EMAHook", "momentun": 0.1},
                {"type": "EarlyStoppingHook", "monitor": "acc", "patiense": 3},
            ],
        }
    )
    text = "\n".join(str(error) for error in errors)
    assert _paths(errors) == [
        "visualizer.vis_backends.0.save_dri",
        "visualizer.vis_backends.1.type",
        "log_processor.window_size",
        "default_hooks.checkpoint.rule",
        "custom_hooks.0.momentun",
        "custom_hooks.1.patiense",
    ], text
    assert "did you mean 'save_dir'" in text
    assert "did you mean 'TensorboardVisBackend'" in text
    assert "'log_processor.window_size' must be an int" in text
    assert "did you mean 'momentum'" in text
    assert "did you mean 'patience'" in text


def test_a_backend_whose_package_is_missing_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else real(name, *a),
    )
    errors, _ = check_config(
        {"model": READY, "visualizer": {"vis_backends": [{"type": "TensorboardVisBackend"}]}}
    )
    assert _paths(errors) == ["visualizer.vis_backends.0.type"]
    assert "pip install 'regwire[tensorboard]'" in str(errors[0])
