"""FullyShardedModel's and the sharded checkpoints' one-line errors, in one process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from container import ConfigError
from runner import FullyShardedModel
from runner.app._checks import check_config
from runner.dist import init_dist
from runner.engine import CheckpointError
from runner.engine._checkpointing import check_layout
from runner.model import BaseModel, precision_policy, wrap_model


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()

    def forward(self, *args: object, mode: str = "tensor", **kwargs: object) -> object:
        return args


def test_without_a_process_group_it_names_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"^'model_wrapper_cfg': FullyShardedModel shards .*none is joined"
    ):
        wrap_model(Net(), False, {"type": "FullyShardedModel"})


def test_a_class_name_that_names_no_module_is_refused_with_the_nearest() -> None:
    with pytest.raises(
        ConfigError, match=r"^'model_wrapper_cfg.shard_modules' names 'Blok'"
    ) as info:
        wrap_model(Net(), False, {"type": "FullyShardedModel", "shard_modules": ["Blok"]})
    assert "did you mean 'Block'?" in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=r"^'activation_checkpointing' names 'Head'"):
        FullyShardedModel(Net(), activation_checkpointing=["Head"])


def test_mixed_precision_takes_dtypes_by_name() -> None:
    assert precision_policy({"param_dtype": "bfloat16"}).param_dtype is torch.bfloat16
    with pytest.raises(ConfigError, match=r"'mixed_precision.param_dtype' must .*got 'int8'"):
        precision_policy({"param_dtype": "int8"})
    with pytest.raises(ConfigError, match=r"'mixed_precision.param_dtyp'.*'param_dtype'"):
        precision_policy({"param_dtyp": "float32"})


def test_nccl_without_cuda_names_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for key, value in {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "x",
        "MASTER_PORT": "1",
    }.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=r"^'env_cfg.dist_cfg.backend' is 'nccl', .*no CUDA"):
        init_dist("pytorch", {"dist_cfg": {"backend": "nccl"}})


def test_check_validates_the_wrapper_section() -> None:
    cfg = {
        "model": {"type": "ToyModel"},
        "model_wrapper_cfg": {
            "type": "FullyShardedModle",
            "mixed_precision": {"param_dtype": "half_float"},
        },
    }
    errors, warnings = check_config(cfg)
    text = [str(error) for error in errors]
    assert any(
        line.startswith("'model_wrapper_cfg.type'") and "FullyShardedModel" in line for line in text
    ), text
    assert any(line.startswith("'model_wrapper_cfg.mixed_precision.param_dtype'") for line in text)
    assert not any("model_wrapper_cfg" in str(warning) for warning in warnings)


def test_a_mid_epoch_position_that_cannot_be_mapped_names_the_batch_size() -> None:
    run = SimpleNamespace(train_dataloader=SimpleNamespace(batch_size=4))
    meta = {"inner_iter": 3, "global_batch": 8, "world_size": 2}
    with pytest.raises(CheckpointError, match=r"batch_size'.*cannot be mapped.*set it to 8"):
        check_layout(run, meta, "'iter_3.pth'")  # type: ignore[arg-type]
    check_layout(run, {**meta, "inner_iter": 0}, "x")  # type: ignore[arg-type]  # epoch end
    run.train_dataloader.batch_size = 8
    check_layout(run, meta, "x")  # type: ignore[arg-type]  # the same global batch


def test_check_refuses_module_names_that_are_no_module_class_and_unknown_backends() -> None:
    cfg = {
        "model": {"type": Net},
        "model_wrapper_cfg": {
            "type": "FullyShardedModel",
            "shard_modules": ["Blok", "Linear"],
            "activation_checkpointing": "Blok",
        },
        "env_cfg": {"dist_cfg": {"backend": "gloooo"}},
    }
    errors, _ = check_config(cfg)
    text = [str(error) for error in errors]
    for key in ("shard_modules", "activation_checkpointing"):
        assert any(
            line.startswith(f"'model_wrapper_cfg.{key}'") and "'Blok'" in line and "Block" in line
            for line in text
        ), text
    assert not any("'Linear'" in line for line in text)
    assert any(
        line.startswith("'env_cfg.dist_cfg.backend'") and "'gloo'" in line for line in text
    ), text


def test_train_refuses_an_unknown_backend_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "x",
        "MASTER_PORT": "1",
    }.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=r"^'env_cfg.dist_cfg.backend' names 'gloooo', .*'gloo'"):
        init_dist("pytorch", {"dist_cfg": {"backend": "gloooo"}})
