"""MMEngine's message hub and print_log names."""

from __future__ import annotations

import logging

import pytest
import torch

from runner import MessageHub, print_log


def test_the_hub_made_last_is_the_current_one() -> None:
    first = MessageHub()
    assert MessageHub.get_current_instance() is first
    second = MessageHub(window=3)
    assert MessageHub.get_current_instance() is second


def test_scalars_as_mmengine_reads_them() -> None:
    hub = MessageHub(window=3)
    for value in (1.0, 2.0, 3.0, torch.tensor(10.0)):
        hub.update_scalar("train/loss", value)
    loss = hub.get_scalar("train/loss")
    assert loss.current() == 10.0
    assert loss.mean() == pytest.approx(5.0)  # the window keeps the newest 3
    assert loss.mean(2) == pytest.approx(6.5)
    assert (loss.max(), loss.min(), loss.data) == (10.0, 2.0, (2.0, 3.0, 10.0))
    assert set(hub.log_scalars) == {"train/loss"}
    with pytest.raises(KeyError, match="did you mean 'train/loss'"):
        hub.get_scalar("train/los")


def test_infos() -> None:
    hub = MessageHub()
    hub.update_info("epoch", 3)
    hub.update_info_dict({"iter": 7, "max_iters": 10})
    assert hub.runtime_info == {"epoch": 3, "iter": 7, "max_iters": 10}
    assert hub.get_info("missing", "default") == "default"


def test_print_log_goes_where_mmengine_sends_it(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    print_log("to stdout")
    assert capsys.readouterr().out == "to stdout\n"
    print_log("nowhere", logger="silent")
    assert capsys.readouterr().out == ""
    logger = logging.getLogger("regwire.test_print_log")
    with caplog.at_level(logging.WARNING, logger="regwire.test_print_log"):
        print_log("a warning", logger=logger, level=logging.WARNING)
        print_log("by name", logger="regwire.test_print_log", level=logging.WARNING)
    assert [record.getMessage() for record in caplog.records] == ["a warning", "by name"]
    with pytest.raises(TypeError, match="logger must be"):
        print_log("x", logger=3)  # type: ignore[arg-type]


def test_a_loss_is_kept_as_a_tensor_and_read_as_a_number() -> None:
    """Recording the loss every iteration must not wait for the device (``.item()`` would):
    the hub keeps the detached tensor and reads it when a value is asked for."""
    from runner import RuntimeInfoHook

    hub = MessageHub()

    class Run:
        message_hub = hub

    loss = torch.tensor(2.5, requires_grad=True) * 1
    RuntimeInfoHook().after_train_iter(Run(), 0, None, {"loss": loss, "flag": True})  # type: ignore[arg-type]
    kept = hub.history("train/loss")[-1]
    assert isinstance(kept, torch.Tensor)
    assert not kept.requires_grad  # detached: no graph is kept alive
    assert hub.get_scalar("train/loss").current() == 2.5
    assert hub.latest("train/loss") == 2.5
    assert hub.mean("train/loss") == 2.5
    assert "train/flag" not in hub.log_scalars  # a bool is no scalar
