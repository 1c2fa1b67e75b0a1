"""BaseModel: batches by keyword or position, device moves, loss parsing, the step methods."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

import pytest
import torch
from torch import nn

from runner import BaseModel, DistributedModel, OptimWrapper
from runner.model import BaseDataPreprocessor, move_to_device


class Regressor(BaseModel):
    """y = w x + b with an extra logged value that is not a loss."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.linear = nn.Linear(2, 1)
        self.calls: list[str] = []

    def forward(  # type: ignore[override]
        self, inputs: torch.Tensor, targets: torch.Tensor | None = None, mode: str = "tensor"
    ) -> Any:
        self.calls.append(mode)
        out = self.linear(inputs)
        if mode == "loss":
            assert targets is not None
            mse = ((out.squeeze(1) - targets) ** 2).mean()
            return {"loss_mse": mse, "aux_loss": [mse * 0, mse * 0], "mae": (out - 1).abs()}
        if mode == "predict":
            return {"pred": out.squeeze(1), "target": targets}
        return out


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    return x, torch.tensor([1.0, 2.0])


def parse_losses(losses: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    return BaseModel.parse_losses(Regressor(), losses)  # also the explicit-class spelling


def test_parse_losses_sums_only_loss_keys_and_puts_total_first() -> None:
    a = torch.tensor([1.0, 3.0], requires_grad=True)
    total, log_vars = parse_losses(
        {"loss_a": a, "loss_b": [torch.tensor(2.0), torch.tensor([4.0, 6.0])], "acc": a * 10}
    )
    assert total.item() == pytest.approx(2.0 + 2.0 + 5.0)
    assert list(log_vars) == ["loss", "loss_a", "loss_b", "acc"]
    assert log_vars["acc"].item() == pytest.approx(20.0)
    assert all(not value.requires_grad for value in log_vars.values())
    assert total.requires_grad


def test_parse_losses_without_a_loss_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"no entry whose name contains 'loss'.*\['acc'\]"):
        parse_losses({"acc": torch.tensor(1.0)})
    with pytest.raises(TypeError, match="'loss' must be a tensor"):
        parse_losses({"loss": 1.0})


def test_train_step_updates_parameters_and_returns_detached_logs() -> None:
    torch.manual_seed(0)
    model = Regressor()
    reference = Regressor()
    reference.load_state_dict(model.state_dict())
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    x, y = batch()
    logs = model.train_step((x, y), wrapper)
    assert model.calls == ["loss"]
    assert set(logs) == {"loss", "loss_mse", "aux_loss", "mae"}
    assert logs["loss"].item() == pytest.approx(logs["loss_mse"].item())
    assert not logs["loss"].requires_grad
    # the same step by hand
    ((reference.linear(x).squeeze(1) - y) ** 2).mean().backward()
    grad = reference.linear.weight.grad
    assert grad is not None
    with torch.no_grad():
        expected = reference.linear.weight - 0.1 * grad
    assert torch.allclose(model.linear.weight, expected)
    assert model.linear.weight.grad is None  # zeroed (set to None) after the step


def test_train_step_takes_a_dict_batch_as_keywords() -> None:
    model = Regressor()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    x, y = batch()
    logs = model.train_step({"inputs": x, "targets": y}, wrapper)
    with torch.no_grad():
        expected = ((model.linear(x).squeeze(1) - y) ** 2).mean()
    assert logs["loss"].item() == pytest.approx(expected.item())


def test_val_and_test_step_predict_without_grad() -> None:
    model = Regressor()
    x, y = batch()
    for step in (model.val_step, model.test_step):
        out = step([x, y])
        assert not out["pred"].requires_grad
        assert torch.equal(out["target"], y)
    assert model.calls == ["predict", "predict"]


class Doubling(BaseDataPreprocessor):
    """Moves the batch, then doubles its inputs; records the ``training`` flags."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[bool] = []

    def forward(self, data: Any, training: bool = False) -> Any:
        self.seen.append(training)
        data = self.cast_data(data)
        return (data[0] * 2, data[1])


def test_data_preprocessor_module_runs_in_every_step() -> None:
    preprocessor = Doubling()
    model = Regressor(data_preprocessor=preprocessor)
    x, y = batch()
    out = model.val_step((x, y))
    with torch.no_grad():
        assert torch.allclose(out["pred"], model.linear(x * 2).squeeze(1))
    model.train_step((x, y), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0)))
    model.test_step((x, y))
    assert preprocessor.seen == [False, True, False]


def test_a_function_is_no_data_preprocessor() -> None:
    with pytest.raises(TypeError, match="subclass BaseDataPreprocessor"):
        Regressor(data_preprocessor=lambda data, training: data)


class Pair(NamedTuple):
    a: torch.Tensor
    b: int


def test_move_to_device_keeps_container_types() -> None:
    data = OrderedDict(x=[torch.zeros(1), (torch.ones(1), "s")], p=Pair(torch.zeros(2), 3))
    moved = move_to_device(data, torch.device("meta"))
    assert type(moved) is OrderedDict
    assert moved["x"][0].device.type == "meta"
    assert moved["x"][1][1] == "s"
    assert isinstance(moved["p"], Pair)
    assert moved["p"].a.device.type == "meta"
    assert moved["p"].b == 3


def test_prepare_batch_keeps_a_tuple_already_there_and_moves_the_rest() -> None:
    model = Regressor()
    batch = (torch.zeros(2), torch.ones(2))
    assert model.prepare_batch(batch) is batch
    mixed = (torch.zeros(2), "label")
    assert model.prepare_batch(mixed) == mixed
    as_list = [torch.zeros(2)]
    assert model.prepare_batch(as_list) is not as_list  # a list may be changed by its owner
    model.to("meta")
    moved = model.prepare_batch((torch.zeros(1), torch.ones(1)))
    assert type(moved) is tuple
    assert [t.device.type for t in moved] == ["meta", "meta"]


def test_device_of_a_model_without_parameters_is_cpu() -> None:
    class Empty(BaseModel):
        def forward(self, *inputs: Any, mode: str = "tensor", **kwargs: Any) -> Any:
            return inputs

    assert Empty().device == torch.device("cpu")
    assert Empty().val_step((torch.ones(1),))[0].item() == 1.0


def test_steps_reach_the_module_of_a_wrapper() -> None:
    """DDP keeps the model as ``.module``; the steps are called there."""
    model = Regressor()
    wrapped = nn.Sequential()
    wrapped.module = model
    x, y = batch()
    assert wrapped.module.val_step((x, y))["pred"].shape == (2,)


def test_a_model_without_forward_says_so() -> None:
    class NoForward(BaseModel):
        pass

    with pytest.raises(NotImplementedError, match="NoForward must implement forward"):
        NoForward().val_step((torch.ones(1),))


def test_a_train_step_of_its_own_must_take_the_caller_to_be_wrapped_for_ddp() -> None:
    class OwnStep(Regressor):
        def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:  # type: ignore[override]
            return super().train_step(data, optim_wrapper)

    with pytest.raises(TypeError, match=r"OwnStep\.train_step takes no 'caller', so under Dist"):
        DistributedModel(OwnStep())  # checked before DDP needs a process group
