"""The regwire command line, in process and as a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from container import ConfigError
from providers import PATH
from runner import HOOKS, Hook, HookError
from runner.app.cli import main

REPO = Path(__file__).resolve().parents[3]
DIGITS = str(REPO / "examples" / "digits" / "cnn.yaml")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_list_all_and_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"^hook \(\d+\): CheckInvalidLossHook, CheckpointHook, DistSamplerSeedHook", out, re.M
    )
    assert main(["list", "loop"]) == 0
    assert "IterBasedTrainLoop" in capsys.readouterr().out


def test_unknown_registry_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "hok"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("regwire: error: no registry 'hok'; did you mean 'hook'?")
    assert "Traceback" not in err


def test_config_error_exit_status_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["train", DIGITS, "--cfg-options", "model.type=DigitCNN"])
    assert status == 2
    err = capsys.readouterr().err
    assert "'model.type': 'DigitCNN' is not registered" in err
    assert "did you mean 'DigitsCNN'?" in err
    assert len(err.strip().splitlines()) <= 3


def test_debug_shows_the_traceback() -> None:
    with pytest.raises(Exception, match="DigitCNN"):
        main(["train", DIGITS, "--debug", "--cfg-options", "model.type=DigitCNN"])


def test_print_config_applies_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["print-config", DIGITS, "--cfg-options", "train_cfg.max_epochs=3"]) == 0
    assert "max_epochs=3" in capsys.readouterr().out


def test_script_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  type: Nope\n")
    result = subprocess.run(
        [sys.executable, "-m", "runner", "train", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.yaml:2" in result.stderr


def test_misspelt_argument_in_a_child_config_points_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"_base_: {DIGITS}\nmodel:\n  type: DigitsCNN\n  chanels: 8\n")
    assert main(["train", str(child), "--work-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "regwire: error: 'model.chanels': 'DigitsCNN' (examples.digits.components.DigitsCNN) "
        "takes no argument 'chanels'; did you mean 'channels'?"
    )
    assert f"[{child}:4]" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("no_determinism")
def test_digits_train_resume_and_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = str(tmp_path / "work")
    assert (
        main(["train", DIGITS, "--work-dir", work, "--cfg-options", "train_cfg.max_epochs=2"]) == 0
    )
    assert (tmp_path / "work" / "epoch_2.pth").is_file()
    capsys.readouterr()
    args = ["--work-dir", work, "--resume", "--cfg-options", "train_cfg.max_epochs=3"]
    assert main(["train", DIGITS, *args]) == 0
    out = capsys.readouterr().out
    assert "resumed from" in out
    assert "Epoch(train) [3]" in out
    assert "Epoch(train) [1]" not in out
    checkpoint = str(tmp_path / "work" / "epoch_3.pth")
    assert main(["test", DIGITS, "--checkpoint", checkpoint, "--work-dir", work]) == 0
    found = re.search(r"Epoch\(test\)\s+accuracy/top1: ([\d.]+)", capsys.readouterr().out)
    assert found is not None
    assert float(found.group(1)) >= 90.0
    logs = list((tmp_path / "work").glob("*/*.log"))
    assert len(logs) == 3


def test_a_section_of_the_wrong_type_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"_base_: {DIGITS}\ntrain_cfg: 3\n")
    assert main(["train", str(bad), "--work-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("regwire: error: 'train_cfg' must be a mapping")
    assert f"[{bad}:2]" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_mistake_a_hook_finds_prints_one_line_and_the_hook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class Objects(Hook):
        def before_train(self, runner: Any) -> None:
            raise ConfigError(f"{PATH} is not what this hook needs", config_path="train_cfg")

    with HOOKS.override("IterTimerHook", Objects()):
        status = main(["train", DIGITS, "--work-dir", str(tmp_path / "run")])
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        f"regwire: error: 'train_cfg' is not what this hook needs [{DIGITS}:36]",
        "  (raised by hook Objects in before_train)",
    ]


def test_a_crash_in_a_hook_keeps_its_traceback(tmp_path: Path) -> None:
    class Crashes(Hook):
        def before_train(self, runner: Any) -> None:
            raise ZeroDivisionError("a bug in the hook")

    with HOOKS.override("IterTimerHook", Crashes()), pytest.raises(HookError) as info:
        main(["train", DIGITS, "--work-dir", str(tmp_path / "run")])
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_python_dash_m_runner_is_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runner", "list", "loop"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "IterBasedTrainLoop" in result.stdout


def test_hostile_runner_inputs_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = str(tmp_path / "work")
    one_epoch = ["--cfg-options", "train_cfg.max_epochs=1"]
    assert main(["train", DIGITS, "--work-dir", work, *one_epoch]) == 0
    checkpoint = tmp_path / "work" / "epoch_1.pth"
    before = checkpoint.read_bytes()
    cases = [
        (["train", DIGITS, "--work-dir", work, *one_epoch], "holds checkpoints of an earlier run"),
        (["test", DIGITS, "--checkpoint", "/etc/passwd", "--work-dir", work], "'/etc/passwd'"),
        (["train", DIGITS, "--work-dir", str(tmp_path / "w2"), "--cfg-options",
          f"randomness.seed={2**70}"], "'randomness.seed' must be an int from 0 to 2**63 - 1"),
        (["train", DIGITS, "--work-dir", str(checkpoint / "under_a_file")], "Not a directory"),
        (["train", DIGITS, "--work-dir", str(tmp_path / "w3"), "--cfg-options",
          "train_dataloader.batch_size=1e30"], "'train_dataloader.batch_size' must be a positive"),
        (["train", DIGITS, "--work-dir", str(tmp_path / "w4"), "--cfg-options",
          "+default_hooks.checkpoint.filename_tmpl=ep_{1}.pth"], "must hold one '{}'"),
        (["train", DIGITS, "--work-dir", str(tmp_path / "w5"), *one_epoch,
          f"+default_hooks.checkpoint.out_dir={checkpoint}/x"], "cannot write a checkpoint in"),
    ]  # fmt: skip
    capsys.readouterr()
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 or lines[1].startswith("  (raised by hook"), err
    assert checkpoint.read_bytes() == before


def test_resume_over_an_unreadable_pointer_continues_from_the_newest_good_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    assert (
        main(["train", DIGITS, "--work-dir", str(work), "--cfg-options", "train_cfg.max_epochs=1"])
        == 0
    )
    (work / "last_checkpoint").write_bytes(b"\xff\xfe\x00")
    capsys.readouterr()
    resume = ["--work-dir", str(work), "--resume", "--cfg-options", "train_cfg.max_epochs=2"]
    assert main(["train", DIGITS, *resume]) == 0
    out = capsys.readouterr().out
    assert "skipped" in out
    assert f"resumed from {work / 'epoch_1.pth'}" in out
    assert (work / "epoch_2.pth").is_file()


def _fresh(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    return result.stdout


def test_help_and_argument_errors_import_neither_torch_nor_the_runner() -> None:
    code = textwrap.dedent(
        """
        import sys
        from runner.app.cli import main
        for argv in (["--help"], ["train", "--help"], ["train"], ["bogus"]):
            try:
                main(argv)
            except SystemExit:
                pass
        loaded = [m for m in ("torch", "runner.engine", "runner.model") if m in sys.modules]
        print("loaded:", loaded)
        """
    )
    assert _fresh(code).strip().endswith("loaded: []")


def test_the_runner_loads_what_it_needs_when_it_is_used() -> None:
    code = textwrap.dedent(
        """
        import sys
        import runner
        print("torch" in sys.modules)
        print(runner.OPTIMIZERS.get("SGD").__name__)  # a miss imports the components
        print(runner.Runner.__name__, "torch" in sys.modules)
        """
    )
    assert _fresh(code).split() == ["False", "SGD", "Runner", "True"]


def test_the_cli_names_the_runs_parent_logger() -> None:
    from runner.app.cli import LOGGER_NAME
    from runner.engine import LOGGER_NAME as ENGINE_LOGGER_NAME

    assert LOGGER_NAME == ENGINE_LOGGER_NAME
