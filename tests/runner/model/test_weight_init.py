"""Weight initializers: each one's effect, ``layer`` and ``override``, and their errors."""

from __future__ import annotations

import logging
import math

import pytest
import torch
from torch import nn

from container import RegistryError
from runner import WEIGHT_INITIALIZERS
from runner.model import (
    ConstantInit,
    KaimingInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)

# weight shape (fan_out, fan_in): 200,000 weights, sample statistics within ~1% of the truth
BIG = (400, 500)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)
        self.head = nn.Linear(2, 2)


def big_linear() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(*reversed(BIG))


def test_constant_sets_exact_values() -> None:
    layer = nn.Conv2d(2, 3, 3)
    constant_init(layer, 0.5, bias=-2)
    assert torch.equal(layer.weight, torch.full((3, 2, 3, 3), 0.5))
    assert torch.equal(layer.bias, torch.full((3,), -2.0))


def test_normal_has_its_mean_and_std() -> None:
    layer = big_linear()
    normal_init(layer, mean=1.0, std=0.02, bias=0.3)
    assert layer.weight.mean().item() == pytest.approx(1.0, abs=1e-3)
    assert layer.weight.std().item() == pytest.approx(0.02, rel=0.01)
    assert torch.equal(layer.bias, torch.full_like(layer.bias, 0.3))


def test_trunc_normal_stays_in_its_bounds() -> None:
    layer = big_linear()
    trunc_normal_init(layer, mean=0, std=1, a=-0.5, b=0.5)
    assert layer.weight.min().item() >= -0.5
    assert layer.weight.max().item() <= 0.5
    # N(0, 1) truncated to [-0.5, 0.5]: variance 1 - 2 * 0.5 * pdf(0.5) / (2 * cdf(0.5) - 1)
    pdf = math.exp(-0.125) / math.sqrt(2 * math.pi)
    mass = math.erf(0.5 / math.sqrt(2))
    assert layer.weight.std().item() == pytest.approx(math.sqrt(1 - pdf / mass), rel=0.01)


def test_uniform_covers_its_interval() -> None:
    layer = big_linear()
    uniform_init(layer, a=-3, b=1)
    assert -3 <= layer.weight.min().item() < -2.99
    assert 0.99 < layer.weight.max().item() <= 1
    assert layer.weight.mean().item() == pytest.approx(-1.0, abs=0.01)


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_xavier_variance_is_two_over_the_fans(distribution: str) -> None:
    layer = big_linear()
    xavier_init(layer, gain=2, distribution=distribution)  # type: ignore[arg-type]
    expected = 2 * math.sqrt(2 / sum(BIG))
    assert layer.weight.std().item() == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", BIG[1]), ("fan_out", BIG[0])])
def test_kaiming_variance_is_two_over_the_fan(mode: str, fan: int) -> None:
    layer = big_linear()
    kaiming_init(layer, mode=mode)  # type: ignore[arg-type]
    assert layer.weight.std().item() == pytest.approx(math.sqrt(2 / fan), rel=0.01)
    kaiming_init(layer, mode=mode, distribution="uniform")  # type: ignore[arg-type]
    bound = math.sqrt(6 / fan)
    assert bound * 0.99 < layer.weight.abs().max().item() <= bound


def test_caffe2_xavier_is_uniform_over_fan_in() -> None:
    layer = big_linear()
    caffe2_xavier_init(layer)
    bound = math.sqrt(3 / BIG[1])  # gain of leaky_relu with slope 1 is 1
    assert bound * 0.99 < layer.weight.abs().max().item() <= bound


def test_bias_init_with_prob_is_the_inverse_sigmoid() -> None:
    assert torch.sigmoid(torch.tensor(bias_init_with_prob(0.01))).item() == pytest.approx(0.01)
    with pytest.raises(ValueError, match="between 0 and 1"):
        bias_init_with_prob(1.0)


def test_bias_prob_sets_the_bias() -> None:
    net = Net()
    initialize(net, {"type": "Normal", "layer": "Linear", "bias_prob": 0.01})
    assert torch.allclose(net.fc.bias, torch.full((2,), bias_init_with_prob(0.01)))


def test_layer_selects_by_class_name_and_leaves_the_rest() -> None:
    net = Net()
    conv_before = net.conv.weight.clone()
    initialize(net, {"type": "Constant", "val": 1, "bias": 2, "layer": "Linear"})
    assert torch.equal(net.fc.weight, torch.ones(2, 4))
    assert torch.equal(net.head.bias, torch.full((2,), 2.0))
    assert torch.equal(net.conv.weight, conv_before)


def test_layer_matches_a_direct_base_class() -> None:
    class MyLinear(nn.Linear):
        pass

    net = nn.Sequential(MyLinear(2, 2), nn.BatchNorm1d(2))
    initialize(net, {"type": "Constant", "val": 3, "layer": ["Linear", "_BatchNorm"]})
    assert torch.equal(net[0].weight, torch.full((2, 2), 3.0))
    assert torch.equal(net[1].weight, torch.full((2,), 3.0))


def test_a_list_applies_in_order() -> None:
    net = Net()
    initialize(
        net,
        [
            {"type": "Constant", "val": 1, "layer": ["Linear", "Conv2d"]},
            {"type": "Constant", "val": 5, "layer": "Conv2d"},
        ],
    )
    assert net.fc.weight.unique().tolist() == [1.0]
    assert net.conv.weight.unique().tolist() == [5.0]


def test_override_initializes_a_named_child_as_a_whole() -> None:
    net = Net()
    cfg = {
        "type": "Constant",
        "val": 1,
        "layer": "Linear",
        "override": {"name": "head", "type": "Constant", "val": 7, "bias": 8},
    }
    initialize(net, cfg)
    assert net.fc.weight.unique().tolist() == [1.0]
    assert net.head.weight.unique().tolist() == [7.0]
    assert net.head.bias.unique().tolist() == [8.0]
    assert "layer" in cfg
    assert "override" in cfg


def test_override_with_only_a_name_reuses_the_entry() -> None:
    net = Net()
    initialize(net, {"type": "Constant", "val": 4, "override": [{"name": "conv"}]})
    assert net.conv.weight.unique().tolist() == [4.0]
    assert net.fc.weight.unique().tolist() != [4.0]


@pytest.mark.parametrize(
    ("override", "error", "match"),
    [
        ({"type": "Constant", "val": 1}, ValueError, "needs 'name'"),
        ({"name": "head", "val": 1}, ValueError, "no 'type'"),
        ({"name": "tail", "type": "Constant", "val": 1}, ValueError, "children: conv, fc"),
        ("head", TypeError, "a dict or a list of dicts"),
    ],
)
def test_override_errors(override: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        initialize(Net(), {"type": "Constant", "val": 1, "override": override})


def test_an_unknown_initializer_suggests_the_nearest() -> None:
    with pytest.raises(RegistryError, match="did you mean 'Kaiming'"):
        initialize(Net(), {"type": "Kaimin", "layer": "Conv2d"})


@pytest.mark.parametrize(
    ("cfg", "match"),
    [
        ({"type": "Constant", "val": 1, "bias": "0"}, "bias must be a number"),
        ({"type": "Constant", "val": 1, "bias_prob": 1}, "bias_prob must be a float"),
        ({"type": "Constant", "val": 1, "layer": 3}, "layer must be a class name"),
        ({"type": "Kaiming", "distribution": "cauchy"}, "'normal' or 'uniform'"),
        ({"type": "Kaiming", "mode": "fan"}, "'fan_in' or 'fan_out'"),
    ],
)
def test_wrong_arguments_are_refused(cfg: dict[str, object], match: str) -> None:
    with pytest.raises(Exception, match=match):
        initialize(Net(), cfg)


def test_an_entry_that_initializes_nothing_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        initialize(Net(), {"type": "Constant", "val": 1})
        initialize(Net(), {"type": "Constant", "val": 1, "layer": "Conv3d"})
    messages = [record.getMessage() for record in caplog.records]
    assert any("initializes nothing in Net" in message for message in messages)
    assert any("['Conv3d'] matched no submodule of Net" in message for message in messages)


def test_initializers_are_registered_by_mmengine_names() -> None:
    names = {"Constant", "Xavier", "Normal", "TruncNormal", "Uniform", "Kaiming", "Pretrained"}
    assert names <= set(WEIGHT_INITIALIZERS)
    assert WEIGHT_INITIALIZERS.get("Constant") is ConstantInit
    built = WEIGHT_INITIALIZERS.build({"type": "Kaiming", "layer": "Conv2d", "a": 0.1})
    assert isinstance(built, KaimingInit)
    assert built.layer == ["Conv2d"]
    assert built.a == 0.1
