"""BaseModule.init_weights: order, precedence, the record, Pretrained (prefix, weights_only)."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from container import ConfigError, RegwireError
from runner.model import (
    BaseModule,
    ModuleDict,
    ModuleList,
    Sequential,
    init_model_weights,
    update_init_info,
)


def constant(val: float, layer: str = "Linear", **more: Any) -> dict[str, Any]:
    return {"type": "Constant", "val": val, "layer": layer, **more}


class Child(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.fc = nn.Linear(2, 2)


class Parent(BaseModule):
    def __init__(self, init_cfg: Any = None, child_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.child = Child(child_cfg)
        self.head = nn.Linear(2, 2)


def test_init_cfg_applies_and_is_init_is_set() -> None:
    net = Parent(constant(1))
    assert not net.is_init
    net.init_weights()
    assert net.is_init
    assert net.child.is_init
    assert net.head.weight.unique().tolist() == [1.0]
    assert net.child.fc.weight.unique().tolist() == [1.0]


def test_a_childs_own_init_cfg_wins_over_its_parents() -> None:
    net = Parent(constant(1), child_cfg=constant(2))
    net.init_weights()
    assert net.head.weight.unique().tolist() == [1.0]
    assert net.child.fc.weight.unique().tolist() == [2.0]


def test_pretrained_comes_last_whatever_its_place(tmp_path: Path) -> None:
    source = Parent()
    for param in source.parameters():
        nn.init.constant_(param, 9.0)
    path = tmp_path / "weights.pth"
    torch.save(source.state_dict(), path)
    net = Parent([{"type": "Pretrained", "checkpoint": str(path)}, constant(1)], constant(2))
    net.init_weights()
    assert all(p.unique().tolist() == [9.0] for p in net.parameters())


def test_a_second_call_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    net = Parent(constant(1))
    net.init_weights()
    nn.init.constant_(net.head.weight, 5.0)
    with caplog.at_level(logging.WARNING):
        net.init_weights()
    assert net.head.weight.unique().tolist() == [5.0]
    assert "called more than once" in caplog.text


def test_a_plain_childs_own_init_weights_is_called_and_recorded() -> None:
    class Custom(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def init_weights(self) -> None:
            self.fc.weight.data.fill_(3.0)  # through .data: seen by the mean, as in MMEngine

    net = Sequential(Custom(), nn.Linear(2, 2))
    before = net[1].weight.clone()
    net.init_weights()
    assert net[0].fc.weight.unique().tolist() == [3.0]
    assert torch.equal(net[1].weight, before)
    info = net.params_init_info()
    assert info["0.fc.weight"] == "(2, 2): initialized by the init_weights of Custom"
    assert info["1.weight"].endswith("same before and after init_weights of Sequential")


def test_the_record_names_each_parameters_initializer(caplog: pytest.LogCaptureFixture) -> None:
    net = Parent(constant(1, override={"name": "head", "type": "Normal", "std": 0.1}))
    with caplog.at_level(logging.INFO):
        net.init_weights()
    info = net.params_init_info()
    assert info["child.fc.weight"] == "(2, 2): ConstantInit: val=1, bias=0"
    assert info["head.weight"] == "(2, 2): NormalInit: mean=0, std=0.1, bias=0"
    assert caplog.text.count("how Parent was initialized") == 1  # once, by the top module
    assert not hasattr(net.child, "_params_init_info")  # the shared record is gone


def test_update_init_info_outside_init_weights_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"only while BaseModule\.init_weights runs"):
        update_init_info(nn.Linear(1, 1), "x")


def test_adding_a_parameter_during_init_weights_is_an_error() -> None:
    class Growing(BaseModule):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(1, 1)

    class Grows(nn.Module):
        def init_weights(self) -> None:
            self.extra = nn.Parameter(torch.zeros(1))

    net = Sequential(Growing(), Grows())
    with pytest.raises(RuntimeError, match="'extra' of Grows was added or replaced"):
        net.init_weights()


@pytest.mark.parametrize("container", ["list", "dict"])
def test_module_list_and_dict_carry_their_own_init_cfg(container: str) -> None:
    layers = [nn.Linear(2, 2), nn.Linear(2, 2)]
    held: nn.Module
    if container == "list":
        held = ModuleList(layers, init_cfg=constant(4))
    else:
        held = ModuleDict({"a": layers[0], "b": layers[1]}, init_cfg=constant(4))
    outer = Sequential(held, nn.Linear(2, 2), init_cfg=constant(1))
    outer.init_weights()
    assert all(layer.weight.unique().tolist() == [4.0] for layer in layers)
    assert outer[1].weight.unique().tolist() == [1.0]


def test_init_model_weights_reaches_through_a_wrapper() -> None:
    class Wrapper(nn.Module):
        def __init__(self, module: nn.Module) -> None:
            super().__init__()
            self.module = module

    net = Parent(constant(6))
    init_model_weights(Wrapper(net))
    assert net.is_init
    assert net.head.weight.unique().tolist() == [6.0]
    init_model_weights(nn.Linear(1, 1))  # nothing to call: nothing happens


def test_init_cfg_is_a_copy_and_shows_in_the_repr() -> None:
    cfg = constant(1)
    net = Parent(cfg)
    cfg["val"] = 2
    assert net.init_cfg == constant(1)
    assert "init_cfg={'type': 'Constant'" in repr(net)


def test_a_wrong_init_cfg_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="init_cfg of Parent must be a dict or a list of dicts"):
        Parent("Constant").init_weights()


# -- Pretrained --------------------------------------------------------------------------


def saved(tmp_path: Path, obj: Any, name: str = "ckpt.pth") -> str:
    path = tmp_path / name
    torch.save(obj, path)
    return str(path)


def numbered(module: nn.Module) -> dict[str, torch.Tensor]:
    """A state dict of ``module`` whose n-th tensor is filled with n."""
    return {
        key: torch.full_like(value, float(n))
        for n, (key, value) in enumerate(module.state_dict().items(), 1)
    }


def test_pretrained_loads_a_regwire_checkpoint_and_strips_ddp_keys(tmp_path: Path) -> None:
    state = {f"module.{key}": value for key, value in numbered(Parent()).items()}
    path = saved(tmp_path, {"meta": {"epoch": 3}, "state_dict": state})
    net = Parent({"type": "Pretrained", "checkpoint": path})
    net.init_weights()
    assert net.child.fc.weight.unique().tolist() == [1.0]
    assert net.head.bias.unique().tolist() == [4.0]
    assert net.params_init_info()["head.bias"] == f"(2,): PretrainedInit: load from {path}"


def test_pretrained_prefix_loads_a_part_of_a_larger_model(tmp_path: Path) -> None:
    path = saved(tmp_path, {"backbone.child.fc.weight": torch.full((2, 2), 7.0), "x.y": 1})
    net = Parent({"type": "Pretrained", "checkpoint": path, "prefix": "backbone"})
    head_before = net.head.weight.clone()
    net.init_weights()
    assert net.child.fc.weight.unique().tolist() == [7.0]
    assert torch.equal(net.head.weight, head_before)


def test_a_prefix_nothing_has_is_an_error_with_the_nearest(tmp_path: Path) -> None:
    path = saved(tmp_path, {"backbone.w": torch.zeros(1)})
    with pytest.raises(ConfigError, match=r"prefix 'backbon\.'.*did you mean 'backbone\.'"):
        Parent({"type": "Pretrained", "checkpoint": path, "prefix": "backbon."}).init_weights()


def test_keys_that_do_not_fit_are_named_in_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = numbered(Parent())
    state["head.weight"] = torch.zeros(3, 2)
    state["surplus"] = torch.zeros(1)
    del state["head.bias"]
    net = Parent({"type": "Pretrained", "checkpoint": saved(tmp_path, state)})
    with caplog.at_level(logging.WARNING):
        net.init_weights()
    assert "head.weight ((3, 2) for (2, 2))" in caplog.text
    assert "the model lacks: surplus" in caplog.text
    assert "the checkpoint lacks (left as they were): head.bias" in caplog.text
    assert net.child.fc.weight.unique().tolist() == [1.0]


class Payload:
    """Unpickling it would run code: ``weights_only`` must refuse it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (print, ("code ran while loading",))


def test_a_checkpoint_with_arbitrary_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with path.open("wb") as file:
        pickle.dump({"state_dict": {}, "x": Payload()}, file, protocol=2)
    with pytest.raises(ConfigError, match="weights_only=True"):
        Parent({"type": "Pretrained", "checkpoint": str(path)}).init_weights()
    path = saved(tmp_path, {"state_dict": {}, "layer": nn.Linear(1, 1)}, "module.pth")
    with pytest.raises(ConfigError, match="weights_only=True"):
        Parent({"type": "Pretrained", "checkpoint": path}).init_weights()


@pytest.mark.parametrize(
    ("checkpoint", "error", "match"),
    [
        ("https://x/y.pth", RegwireError, "local files only"),
        ("missing.pth", ConfigError, "does not exist"),
    ],
)
def test_pretrained_errors(checkpoint: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        Parent({"type": "Pretrained", "checkpoint": checkpoint}).init_weights()


def test_a_file_without_a_state_dict_is_an_error(tmp_path: Path) -> None:
    path = saved(tmp_path, [torch.zeros(1)])
    with pytest.raises(ConfigError, match="holds a list, not a state dict"):
        Parent({"type": "Pretrained", "checkpoint": path}).init_weights()


class Toy(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.backbone = nn.Linear(2, 2)
        self.head = nn.Linear(2, 2)


class Outer(BaseModule):
    def __init__(self, inner_cfg: Any) -> None:
        super().__init__()
        self.neck = Toy(inner_cfg)


@pytest.mark.parametrize(
    ("init_cfg", "path", "match"),
    [
        (
            {"type": "Normal", "override": {"nam": "head"}},
            "model.init_cfg.override.nam",
            "did you mean 'name'",
        ),
        (
            {"type": "Normal", "override": {"name": "haed"}},
            "model.init_cfg.override.name",
            "did you mean 'head'",
        ),
        (
            [{"type": "Constant", "val": 1}, {"type": "Normal", "override": [{"name": "haed"}]}],
            "model.init_cfg.1.override.0.name",
            "no child of Toy",
        ),
    ],
)
def test_override_mistakes_are_config_errors_with_the_model_path(
    init_cfg: Any, path: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        init_model_weights(Toy(init_cfg))
    assert info.value.config_path == path
    with pytest.raises(ConfigError) as info:  # a child's init_cfg: under the child's name
        init_model_weights(Outer(init_cfg))
    assert info.value.config_path == path.replace("model.", "model.neck.")
