"""Arguments that take a config the callable builds itself are passed as written (OpenMMLab's
``norm_cfg``, ``loss_cls: ConfigType``, ``test_cfg``, a pipeline); others are built first."""

from __future__ import annotations

from typing import Any, Optional, Union

import pytest

from container import Registry
from providers import config_params

ConfigType = Union[dict, "ConfigDict"]
OptConfigType = Optional[ConfigType]  # noqa: UP045


class ConfigDict(dict[str, Any]):
    pass


class Norm:
    def __init__(self, eps: float = 1e-5) -> None:
        self.eps = eps


class Head:
    """An mmdet-style head: it reads its configs itself."""

    def __init__(
        self,
        loss_cls: ConfigType = None,  # type: ignore[assignment]
        test_cfg: OptConfigType = None,
        norm_cfg=None,  # type: ignore[no-untyped-def]  # unannotated: the name says it
        policies: list[dict[str, Any]] | str = "none",
        norms: dict[str, Norm] | None = None,  # built objects in a dict
        neck: Any = None,
        plain: Norm | None = None,
    ) -> None:
        self.loss_cls = loss_cls
        self.test_cfg = test_cfg
        self.norm_cfg = norm_cfg
        self.policies = policies
        self.norms = norms
        self.neck = neck
        self.plain = plain


@pytest.fixture
def models() -> Registry:
    registry = Registry("model", scope="config-params")
    registry.register_module(module=Head)
    registry.register_module(module=Norm)
    return registry


def test_which_arguments_take_configs() -> None:
    assert config_params(Head) == {"loss_cls", "test_cfg", "norm_cfg", "policies"}


def test_configs_are_passed_as_written_and_the_rest_is_built(models: Registry) -> None:
    cfg = {
        "type": "Head",
        "loss_cls": {"type": "FocalLoss", "use_sigmoid": True},  # not registered here
        "test_cfg": {"nms": {"type": "nms", "iou_threshold": 0.5}},
        "norm_cfg": {"type": "BN", "requires_grad": False},
        "policies": [{"type": "Rotate"}, {"type": "Shear"}],
        "norms": {"a": {"type": "Norm"}},
        "neck": {"type": "Norm", "eps": 0.1},
        "plain": {"type": "Norm"},
    }
    for head in (models.build(cfg), models.provider(cfg)()):
        assert head.loss_cls == {"type": "FocalLoss", "use_sigmoid": True}
        assert head.loss_cls.get("use_sigmoid") is True  # what mmdet's heads read
        assert head.test_cfg == {"nms": {"type": "nms", "iou_threshold": 0.5}}
        assert head.norm_cfg == {"type": "BN", "requires_grad": False}
        assert head.policies == [{"type": "Rotate"}, {"type": "Shear"}]
        assert isinstance(head.norms["a"], Norm)
        assert isinstance(head.neck, Norm)
        assert head.neck.eps == 0.1
        assert isinstance(head.plain, Norm)
    first, second = models.build(cfg), models.build(cfg)
    assert first.test_cfg is not second.test_cfg  # a copy per build
    assert first.test_cfg is not cfg["test_cfg"]


def test_check_is_soft_inside_configs_but_catches_typos(models: Registry) -> None:
    ok = {"type": "Head", "norm_cfg": {"type": "BN"}, "loss_cls": {"type": "FocalLoss"}}
    assert models.validate(ok) == []  # names this registry does not have: the head's own
    typo = {"type": "Head", "loss_cls": {"type": "Nrom"}}  # near a registered name
    assert [problem.config_path for problem in models.validate(typo)] == ["loss_cls.type"]
    bad_argument = {"type": "Head", "loss_cls": {"type": "Norm", "epss": 1}}
    assert [problem.config_path for problem in models.validate(bad_argument)] == ["loss_cls.epss"]


def test_recursive_false_still_keeps_everything(models: Registry) -> None:
    head = models.build({"type": "Head", "neck": {"type": "Norm"}, "_recursive_": False})
    assert head.neck == {"type": "Norm"}
