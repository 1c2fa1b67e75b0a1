"""The digits example under bfloat16 autocast on the CPU (``AmpOptimWrapper`` through
``--cfg-options``): it still trains to 95%, and its forward really runs in bfloat16."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from container import Config

pytest.importorskip("sklearn")

CONFIG = Path(__file__).parents[2] / "examples" / "digits" / "cnn.yaml"


def test_bfloat16_autocast_trains_the_digits_example_to_95_percent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runner import AmpOptimWrapper, Runner

    monkeypatch.chdir(CONFIG.parents[2])  # custom_imports: examples.digits.components
    cfg = Config.fromfile(
        CONFIG,
        cfg_options=[
            "optim_wrapper.type=AmpOptimWrapper",
            "+optim_wrapper.dtype=bfloat16",
            "train_cfg.max_epochs=5",
            "param_scheduler.0.milestones=[4]",
            "custom_hooks=[]",
            "work_dir=null",
        ],
    )
    runner = Runner.from_cfg(cfg)
    assert isinstance(runner.optim_wrapper, AmpOptimWrapper)
    dtypes: list[torch.dtype] = []
    first = next(module for module in runner.model.modules() if isinstance(module, torch.nn.Conv2d))
    first.register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    runner.train()
    assert set(dtypes) >= {torch.bfloat16}  # training forwards were autocast
    metrics = runner.val()
    assert metrics["accuracy/top1"] >= 95.0
