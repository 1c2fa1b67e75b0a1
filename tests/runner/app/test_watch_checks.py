"""``regwire check`` and the builders on the values hooks and the log processor refuse;
``runner.app`` alone builds a run (the review of #14)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

from container import ConfigError
from runner.app import build_hooks, check_config
from runner.app._sections import build_log_processor

REPO = Path(__file__).resolve().parents[3]
READY = torch.nn.Linear(1, 1)  # a built model: its node has nothing to check


def _errors(**cfg: Any) -> list[str]:
    errors, _ = check_config({"model": READY, **cfg})
    return [str(error) for error in errors]


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (
            {"custom_hooks": [{"type": "EMAHook", "begin_iter": 3, "begin_epoch": 1}]},
            "'custom_hooks.0.begin_epoch' and begin_iter are both given (1, 3); keep one",
        ),
        (
            {"custom_hooks": [{"type": "EMAHook"}, {"type": "EMAHook", "momentum": 2}]},
            "'custom_hooks.1.momentum' must be between 0 and 1 (exclusive), got 2",
        ),
        (
            {"custom_hooks": [{"type": "EarlyStoppingHook", "monitor": "foo"}]},
            "'custom_hooks.0.monitor' is 'foo', and regwire cannot tell whether 'foo' is "
            "better greater or less; give rule",
        ),
        (
            {"default_hooks": {"checkpoint": {"save_best": "f1"}}},
            "'default_hooks.checkpoint.save_best' is 'f1', and regwire cannot tell",
        ),
        (
            {"default_hooks": {"checkpoint": {"save_best": ["auto", "auto"]}}},
            "'default_hooks.checkpoint.save_best' lists 'auto' twice",
        ),
        (
            {"default_hooks": {"checkpoint": {"type": "CheckpointHook", "interval": 0}}},
            "'default_hooks.checkpoint.interval' must be a positive int, got 0",
        ),
    ],
)
def test_check_reports_what_a_hook_refuses_when_it_is_built(
    cfg: dict[str, Any], message: str
) -> None:
    errors = _errors(**cfg)
    assert len(errors) == 1, errors
    assert errors[0].startswith(message)
    with pytest.raises(ConfigError) as built:
        build_hooks(cfg.get("default_hooks"), cfg.get("custom_hooks"))
    assert str(built.value).startswith(message)  # the run says the same


def test_a_hook_of_another_package_is_not_built_by_check() -> None:
    from runner import HOOKS, Hook

    built: list[int] = []

    class Noisy(Hook):
        def __init__(self, value: int = 0) -> None:
            built.append(value)

    HOOKS.register_module(name="NoisyHookForCheck", module=Noisy, force=True)
    assert _errors(custom_hooks=[{"type": "NoisyHookForCheck", "value": 3}]) == []
    assert built == []  # its constructor may do anything: check only reads its signature


@pytest.mark.parametrize(
    ("default_hooks", "message"),
    [
        ({"progres_bar": None}, "'default_hooks.progres_bar' removes nothing: there is no "),
        ({"progres_bar": {"refresh": 1}}, "'default_hooks.progres_bar' changes no default hook"),
        (
            {"loger": {"type": "LoggerHook", "interval": 5}},
            "'default_hooks.loger' adds a second LoggerHook beside the default 'logger'; "
            "did you mean 'logger'?",
        ),
    ],
)
def test_a_default_hook_name_that_is_none_is_an_error(
    default_hooks: dict[str, Any], message: str
) -> None:
    errors = _errors(default_hooks=default_hooks)
    assert len(errors) == 1, errors
    assert errors[0].startswith(message)
    with pytest.raises(ConfigError, match="^" + message.replace("?", r"\?")):
        build_hooks(default_hooks)


def test_a_new_hook_under_a_new_name_is_added() -> None:
    hooks = build_hooks({"ema": {"type": "EMAHook"}, "timers": {"type": "EmptyCacheHook"}})
    assert [type(hook).__name__ for hook in hooks][-2:] == ["EMAHook", "EmptyCacheHook"]
    assert _errors(default_hooks={"ema": {"type": "EMAHook"}}) == []


def test_a_custom_cfg_key_typo_is_named_by_its_path() -> None:
    expected = (
        "'log_processor.custom_cfg.0.method_nam' is not a key of a custom_cfg entry; "
        "did you mean 'method_name'?"
    )
    cfg = {"custom_cfg": [{"data_src": "loss", "method_nam": "max"}]}
    with pytest.raises(ConfigError) as built:
        build_log_processor(cfg)
    assert str(built.value).startswith(expected)
    errors = _errors(log_processor=cfg)
    assert len(errors) == 1
    assert errors[0].startswith(expected)


def test_runner_app_alone_builds_the_default_hooks(tmp_path: Path) -> None:
    code = f"""
        from runner.app import Runner
        from runner.testing._case import epoch_based_cfg
        cfg = epoch_based_cfg({str(tmp_path)!r})
        cfg.train_cfg.max_epochs = 1
        Runner.from_cfg(cfg).train()
        print("trained")
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained" in done.stdout
