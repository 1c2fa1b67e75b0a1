"""AmpOptimWrapper: autocast on the model's device, the float16 scaler and its state, and
accumulation and clipping as the plain wrapper does them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from container import ConfigError
from runner import AmpOptimWrapper, OptimWrapper, build_optim_wrapper

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="float16 with a GradScaler needs CUDA")


def make_model(device: str = "cpu") -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)


def batch(n: int = 8, device: str = "cpu", seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, 4, generator=generator), torch.randn(n, 1, generator=generator)
    return x.to(device), y.to(device)


def step(wrapper: OptimWrapper, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    with wrapper.optim_context(model):
        loss = nn.functional.mse_loss(model(x).float(), y)
    wrapper.update_params(loss)


def test_bfloat16_autocasts_the_forward_on_the_cpu() -> None:
    model = make_model()
    wrapper = AmpOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), dtype="bfloat16")
    with wrapper.optim_context(model):
        assert model(torch.ones(2, 4)).dtype is torch.bfloat16
    assert model(torch.ones(2, 4)).dtype is torch.float32
    assert wrapper.loss_scaler is None
    assert "loss_scaler" not in wrapper.state_dict()


def test_bfloat16_steps_as_the_hand_written_autocast_step() -> None:
    ours, theirs = make_model(), make_model()
    wrapper = AmpOptimWrapper(torch.optim.SGD(ours.parameters(), lr=0.1), dtype="bfloat16")
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for seed in range(3):
        x, y = batch(seed=seed)
        step(wrapper, ours, x, y)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = nn.functional.mse_loss(theirs(x).float(), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    for mine, hand in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(mine, hand)


@pytest.mark.parametrize("kind", [OptimWrapper, AmpOptimWrapper])
def test_accumulation_equals_the_large_batch_step(kind: type[OptimWrapper]) -> None:
    small, large = make_model(), make_model()
    options = {"dtype": "bfloat16"} if kind is AmpOptimWrapper else {}
    accumulating = kind(
        torch.optim.SGD(small.parameters(), lr=0.1), accumulative_counts=4, **options
    )
    whole = kind(torch.optim.SGD(large.parameters(), lr=0.1), **options)
    x, y = batch(16)
    for part in range(4):
        step(accumulating, small, x[part * 4 : (part + 1) * 4], y[part * 4 : (part + 1) * 4])
        if part < 3:
            assert all(
                torch.equal(a, b)
                for a, b in zip(small.parameters(), make_model().parameters(), strict=True)
            )
    step(whole, large, x, y)
    for a, b in zip(small.parameters(), large.parameters(), strict=True):
        # bfloat16 rounds the four quarter-batch forwards apart from the whole one
        torch.testing.assert_close(a, b, atol=1e-2 if options else 1e-6, rtol=0)
    assert not torch.equal(next(small.parameters()), next(make_model().parameters()))


def test_clipping_caps_the_norm_under_autocast() -> None:
    model = make_model()
    wrapper = AmpOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.0), dtype="bfloat16", clip_grad={"max_norm": 0.01}
    )
    x, y = batch()
    with wrapper.optim_context(model):
        loss = nn.functional.mse_loss(model(x).float(), y) * 100
    wrapper.backward(loss)
    wrapper.step()
    assert wrapper.last_grad_norm is not None
    assert float(wrapper.last_grad_norm) > 0.01
    norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert float(norm) == pytest.approx(0.01, rel=1e-3)


def test_float16_without_cuda_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfg = {"type": "AmpOptimWrapper", "dtype": "float16", "optimizer": {"type": "SGD", "lr": 0.1}}
    with pytest.raises(
        ConfigError, match=r"'optim_wrapper\.dtype' is float16, which needs CUDA"
    ) as info:
        build_optim_wrapper(make_model(), cfg)
    assert info.value.config_path == "optim_wrapper.dtype"
    with pytest.raises(ConfigError, match="needs CUDA"):
        AmpOptimWrapper(torch.optim.SGD(make_model().parameters(), lr=0.1), dtype="float16")
    default = AmpOptimWrapper(torch.optim.SGD(make_model().parameters(), lr=0.1))
    assert default.cast_dtype is torch.bfloat16  # None: the device's default


def test_unknown_dtype_and_loss_scale_are_refused() -> None:
    with pytest.raises(ConfigError, match="did you mean 'bfloat16'"):
        build_optim_wrapper(
            make_model(),
            {"type": "AmpOptimWrapper", "dtype": "bf16", "optimizer": {"type": "SGD", "lr": 0.1}},
        )
    cfg = {
        "type": "AmpOptimWrapper",
        "dtype": "bfloat16",
        "loss_scale": "dynamc",
        "optimizer": {"type": "SGD", "lr": 0.1},
    }
    with pytest.raises(ConfigError, match="did you mean 'dynamic'") as info:
        build_optim_wrapper(make_model(), cfg, "optim_wrapper.generator")
    assert info.value.config_path == "optim_wrapper.generator.loss_scale"
    cfg["loss_scale"] = {"init_scal": 8.0}
    with pytest.raises(ConfigError, match="did you mean 'init_scale'") as info:
        build_optim_wrapper(make_model(), cfg)
    assert info.value.config_path == "optim_wrapper.loss_scale.init_scal"


def test_bfloat16_with_a_loss_scale_makes_a_scaler_as_mmengine() -> None:
    """MMEngine makes a GradScaler for any dtype; with bfloat16 it is harmless: the steps
    equal those without it (a power-of-two scale is exact)."""
    scaled, plain = make_model(), make_model()
    wrapper = AmpOptimWrapper(
        torch.optim.SGD(scaled.parameters(), lr=0.1), dtype="bfloat16", loss_scale=512.0
    )
    other = AmpOptimWrapper(torch.optim.SGD(plain.parameters(), lr=0.1), dtype="bfloat16")
    assert wrapper.loss_scaler is not None
    assert other.loss_scaler is None
    for seed in range(3):
        step(wrapper, scaled, *batch(seed=seed))
        step(other, plain, *batch(seed=seed))
    for mine, theirs in zip(scaled.parameters(), plain.parameters(), strict=True):
        assert torch.allclose(mine, theirs)
    assert wrapper.state_dict()["loss_scaler"]["scale"] == 512.0


@needs_cuda
def test_float16_model_on_the_cpu_is_a_config_error() -> None:
    model = make_model()
    wrapper = AmpOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), dtype="float16")
    with pytest.raises(ConfigError, match="needs the model on CUDA"):
        wrapper.optim_context(model)


@needs_cuda
def test_float16_scaler_state_is_checkpointed_and_restored() -> None:
    model = make_model("cuda")
    wrapper = AmpOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1),
        dtype="float16",
        loss_scale={"init_scale": 1024.0, "growth_interval": 1},
    )
    for seed in range(3):
        x, y = batch(device="cuda", seed=seed)
        step(wrapper, model, x, y)
    state = wrapper.state_dict()
    assert state["loss_scaler"]["scale"] == 1024.0 * 2**3  # grew every step
    other = AmpOptimWrapper(
        torch.optim.SGD(make_model("cuda").parameters(), lr=0.1), dtype="float16"
    )
    other.load_state_dict(state)
    assert other.loss_scaler is not None
    assert other.loss_scaler.get_scale() == 1024.0 * 2**3


def test_scaler_state_round_trips_through_a_checkpoint_without_cuda() -> None:
    """What is testable without CUDA: a float16 state's ``loss_scaler`` goes to the scaler and
    the rest to the optimizer; a bfloat16 wrapper saves and loads the optimizer's state."""
    model = make_model()
    wrapper = AmpOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), dtype="bfloat16"
    )
    step(wrapper, model, *batch())
    state = wrapper.state_dict()
    other = AmpOptimWrapper(
        torch.optim.SGD(make_model().parameters(), lr=0.1, momentum=0.9), dtype="bfloat16"
    )
    other.load_state_dict({**state, "loss_scaler": {"scale": 8.0}})  # ignored: no scaler
    buffer = other.optimizer.state_dict()["state"][0]["momentum_buffer"]
    assert torch.equal(buffer, state["state"][0]["momentum_buffer"])


def test_build_and_repr() -> None:
    wrapper = build_optim_wrapper(
        make_model(),
        {"type": "AmpOptimWrapper", "dtype": "bfloat16", "optimizer": {"type": "AdamW", "lr": 0.1}},
    )
    assert isinstance(wrapper, AmpOptimWrapper)
    assert "dtype=bfloat16" in repr(wrapper)
