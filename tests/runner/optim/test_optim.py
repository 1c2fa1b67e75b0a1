"""OptimWrapper and build_optim_wrapper: steps, accumulation, clipping, config errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from container import BuildError, ConfigError, RegistryError
from runner import OPTIMIZERS, OptimWrapper, build_optim_wrapper


def make_model() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(3, 1)


def loss_of(model: nn.Linear, scale: float = 1.0) -> torch.Tensor:
    out: torch.Tensor = model(torch.ones(2, 3)).sum() * scale
    return out


def test_every_torch_optimizer_is_registered_by_name() -> None:
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS"):
        assert OPTIMIZERS.get(name) is getattr(torch.optim, name)
    assert "Optimizer" not in OPTIMIZERS


def test_build_optim_wrapper_from_config() -> None:
    model = make_model()
    wrapper = build_optim_wrapper(
        model, {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}, "clip_grad": None}
    )
    assert type(wrapper) is OptimWrapper
    assert isinstance(wrapper.optimizer, torch.optim.SGD)
    assert wrapper.get_lr() == {"lr": [0.1]}
    assert wrapper.get_momentum() == {"momentum": [0.9]}
    params = {id(p) for p in wrapper.param_groups[0]["params"]}
    assert params == {id(p) for p in model.parameters()}


def test_adam_momentum_is_its_first_beta() -> None:
    wrapper = build_optim_wrapper(make_model(), {"optimizer": {"type": "Adam", "lr": 1e-3}})
    assert wrapper.get_momentum() == {"momentum": [0.9]}


def test_update_params_steps_like_plain_sgd() -> None:
    model, reference = make_model(), make_model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    wrapper.update_params(loss_of(model))
    loss_of(reference).backward()
    grad = reference.weight.grad
    assert grad is not None
    with torch.no_grad():
        assert torch.allclose(model.weight, reference.weight - 0.5 * grad)
    assert wrapper.inner_count == 1


def test_accumulation_averages_gradients_and_steps_every_n() -> None:
    model, reference = make_model(), make_model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0), accumulative_counts=2)
    start = model.weight.detach().clone()
    wrapper.update_params(loss_of(model, 1.0))
    assert torch.equal(model.weight, start)  # only accumulated
    wrapper.update_params(loss_of(model, 3.0))
    (loss_of(reference, 1.0) / 2 + loss_of(reference, 3.0) / 2).backward()
    grad = reference.weight.grad
    assert grad is not None
    assert torch.allclose(model.weight.detach(), start - grad)


def test_accumulation_remainder_divides_by_its_own_length() -> None:
    model = make_model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0), accumulative_counts=4)
    wrapper.initialize_count_status(model, init_counts=0, max_counts=6)
    losses = [wrapper.scale_loss(torch.tensor(1.0)) for _ in range(1)]
    assert losses[0].item() == pytest.approx(0.25)
    wrapper.initialize_count_status(model, init_counts=4, max_counts=6)
    assert wrapper.scale_loss(torch.tensor(1.0)).item() == pytest.approx(0.5)
    start = model.weight.detach().clone()
    wrapper.update_params(loss_of(model))
    assert torch.equal(model.weight, start)
    wrapper.update_params(loss_of(model))  # the 6th and last iteration steps
    assert not torch.equal(model.weight, start)


def test_clip_grad_norm_limits_the_gradient() -> None:
    model = make_model()
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=1.0), clip_grad={"max_norm": 0.1, "norm_type": 2}
    )
    start = [p.detach().clone() for p in model.parameters()]
    wrapper.update_params(loss_of(model, 100.0))
    moved = torch.cat([(p - s).flatten() for p, s in zip(model.parameters(), start, strict=True)])
    assert moved.norm().item() == pytest.approx(0.1, rel=1e-4)
    assert wrapper.last_grad_norm is not None
    assert wrapper.last_grad_norm.item() > 100


def test_clip_grad_value() -> None:
    model = make_model()
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=1.0), clip_grad={"type": "value", "clip_value": 0.01}
    )
    start = model.weight.detach().clone()
    wrapper.update_params(loss_of(model, 100.0))
    assert torch.allclose((model.weight - start).abs(), torch.full_like(start, 0.01))


@pytest.mark.parametrize(
    ("clip_grad", "match"),
    [
        ({"max_nrom": 1.0}, r"unknown keys \['max_nrom'\]; did you mean 'max_norm'\?"),
        ({"type": "l2", "max_norm": 1.0}, "clip_grad.type must be one of"),
        ({"norm_type": 2}, "needs 'max_norm'"),
        (3, "clip_grad must be a mapping or null"),
    ],
)
def test_bad_clip_grad_is_named_in_the_config(clip_grad: object, match: str) -> None:
    """The error names ``optim_wrapper.clip_grad``, not the whole ``optim_wrapper``."""
    cfg = {"optimizer": {"type": "SGD", "lr": 0.1}, "clip_grad": clip_grad}
    with pytest.raises(ConfigError, match=match) as info:
        build_optim_wrapper(make_model(), cfg)
    assert info.value.config_path == "optim_wrapper.clip_grad"
    assert str(info.value).startswith("'optim_wrapper.clip_grad': ")


def test_unknown_optimizer_names_the_full_path_and_suggests() -> None:
    with pytest.raises(RegistryError, match=r"'optim_wrapper\.optimizer\.type'.*'SDG'.*'SGD'"):
        build_optim_wrapper(make_model(), {"optimizer": {"type": "SDG", "lr": 0.1}})


def test_bad_optimizer_argument_names_the_optimizer_path() -> None:
    with pytest.raises(
        BuildError, match=r"^'optim_wrapper\.optimizer\.lrr': 'SGD' .*; did you mean 'lr'\?"
    ) as info:
        build_optim_wrapper(make_model(), {"optimizer": {"type": "SGD", "lrr": 0.1}})
    assert info.value.config_path == "optim_wrapper.optimizer.lrr"
    assert isinstance(info.value.__cause__, TypeError)


def test_missing_or_malformed_optimizer() -> None:
    with pytest.raises(ConfigError, match=r"'optim_wrapper' needs an 'optimizer'"):
        build_optim_wrapper(make_model(), {"clip_grad": None})
    with pytest.raises(ConfigError, match=r"'optim_wrapper\.optimizer' must be a mapping"):
        build_optim_wrapper(make_model(), {"optimizer": "SGD"})
    with pytest.raises(ConfigError, match="needs a 'type'"):
        build_optim_wrapper(make_model(), {"optimizer": {"lr": 0.1}})
    with pytest.raises(ConfigError, match="must be a mapping with an 'optimizer'"):
        build_optim_wrapper(make_model(), "SGD")  # type: ignore[arg-type]


def test_unknown_wrapper_type() -> None:
    with pytest.raises(RegistryError, match=r"'optim_wrapper\.type'.*'OptimWraper'"):
        build_optim_wrapper(
            make_model(), {"type": "OptimWraper", "optimizer": {"type": "SGD", "lr": 0.1}}
        )


def test_state_dict_round_trip() -> None:
    model = make_model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    wrapper.update_params(loss_of(model))
    state = wrapper.state_dict()
    other = OptimWrapper(torch.optim.SGD(make_model().parameters(), lr=0.5, momentum=0.9))
    other.load_state_dict(state)
    assert other.get_lr() == {"lr": [0.1]}
    buffer = other.optimizer.state_dict()["state"][0]["momentum_buffer"]
    assert torch.equal(buffer, state["state"][0]["momentum_buffer"])


def test_wrapper_rejects_bad_arguments() -> None:
    params = make_model().parameters()
    with pytest.raises(TypeError, match=r"torch\.optim\.Optimizer"):
        OptimWrapper("SGD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        OptimWrapper(torch.optim.SGD(params, lr=0.1), accumulative_counts=0)


def test_update_params_passes_zero_kwargs() -> None:
    model = make_model()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    wrapper.update_params(loss_of(model), zero_kwargs={"set_to_none": False})
    assert model.weight.grad is not None
    assert torch.count_nonzero(model.weight.grad) == 0


def test_gradients_are_reset_to_none_for_every_parameter_group() -> None:
    model = make_model()
    extra = nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD(
        [{"params": model.parameters()}, {"params": [extra], "lr": 0.01}], lr=0.1
    )
    wrapper = OptimWrapper(optimizer)
    wrapper.update_params(loss_of(model) + extra.sum())
    assert [p.grad for p in (*model.parameters(), extra)] == [None, None, None]
    (loss_of(model) + extra.sum()).backward()
    wrapper.zero_grad()
    assert [p.grad for p in (*model.parameters(), extra)] == [None, None, None]


def test_an_optimizer_with_its_own_zero_grad_gets_it_called() -> None:
    calls: list[dict[str, object]] = []

    class Recording(torch.optim.SGD):
        def zero_grad(self, set_to_none: bool = True) -> None:
            calls.append({"set_to_none": set_to_none})
            super().zero_grad(set_to_none=set_to_none)

    model = make_model()
    wrapper = OptimWrapper(Recording(model.parameters(), lr=0.1))
    wrapper.update_params(loss_of(model))
    wrapper.zero_grad()
    wrapper.zero_grad(set_to_none=False)
    assert calls == [{"set_to_none": True}, {"set_to_none": True}, {"set_to_none": False}]


def test_a_zero_grad_set_on_the_optimizer_or_a_replaced_optimizer_is_called() -> None:
    calls: list[str] = []
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad = lambda set_to_none=True: calls.append("patched")  # type: ignore[method-assign]
    wrapper = OptimWrapper(optimizer)
    wrapper.update_params(loss_of(model))
    assert calls == ["patched"]
    assert model.weight.grad is not None  # the patched method kept them

    class Own(torch.optim.SGD):
        def zero_grad(self, set_to_none: bool = True) -> None:
            calls.append("own")

    wrapper.optimizer = Own(model.parameters(), lr=0.1)
    wrapper.update_params(loss_of(model))
    wrapper.zero_grad()
    assert calls == ["patched", "own", "own"]
