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


class BaseHead:
    def __init__(self, loss_decode: dict[str, Any] | None = None, norm_cfg=None) -> None:  # type: ignore[no-untyped-def]
        self.loss_decode = loss_decode
        self.norm_cfg = norm_cfg


class ForwardingHead(BaseHead):
    """mmseg's FCNHead: its own arguments, the rest forwarded to the base."""

    def __init__(self, num_convs: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_convs = num_convs


def test_a_subclass_forwarding_kwargs_keeps_its_bases_configs(models: Registry) -> None:
    models.register_module(module=ForwardingHead)
    head = models.build(
        {
            "type": "ForwardingHead",
            "loss_decode": {"type": "CrossEntropyLoss"},
            "norm_cfg": {"type": "SyncBN", "requires_grad": True},
        }
    )
    assert head.loss_decode == {"type": "CrossEntropyLoss"}
    assert head.norm_cfg == {"type": "SyncBN", "requires_grad": True}


def test_a_config_dict_stays_one() -> None:
    from container import ConfigDict

    registry = Registry("model", scope="config-params-cd")
    registry.register_module(module=Head)
    built = registry.build(
        ConfigDict({"type": "Head", "test_cfg": ConfigDict({"max_per_img": 100})})
    )
    assert built.test_cfg.max_per_img == 100  # read as an attribute, as mmdet's heads do


def test_a_node_scope_is_in_force_while_its_callable_builds_its_configs() -> None:
    library = Registry("model", scope="config-params-lib")
    package = Registry("model", parent=library, scope="config-params-pkg")

    @package.register_module()
    class MyBackbone:
        pass

    @library.register_module()
    class Detector:
        def __init__(self, backbone: dict[str, Any]) -> None:
            self.backbone = library.build(backbone)  # as OpenMMLab's detectors do

    built = library.build(
        {"type": "Detector", "_scope_": "config-params-pkg", "backbone": {"type": "MyBackbone"}}
    )
    assert isinstance(built.backbone, MyBackbone)


def test_a_reader_supplied_argument_is_no_false_alarm() -> None:
    registry = Registry("model", scope="config-params-bn")
    registry.register_module(name="BN", module=Norm)  # built by a reader that adds arguments
    registry.register_module(module=Head)
    cfg = {"type": "Head", "norm_cfg": {"type": "BN", "requires_grad": True}}
    assert registry.validate(cfg) == []


def test_a_partial_node_copies_its_configs_for_each_call() -> None:
    registry = Registry("model", scope="config-params-partial")

    @registry.register_module()
    def pop_type(loss_cfg: dict[str, Any], scale: int = 1) -> str:
        return str(loss_cfg.pop("type")) * scale

    made = registry.build({"type": "pop_type", "loss_cfg": {"type": "L"}, "_partial_": True})
    assert made() == "L"
    assert made(scale=2) == "LL"  # the first call's pop did not reach the second
