"""BaseModule: an ``nn.Module`` that initializes its weights from ``init_cfg``, as MMEngine's.

``init_weights()`` on the top module applies its ``init_cfg`` (other initializers first,
``Pretrained`` last, so loaded weights win), and in between calls ``init_weights()`` of each
child that has one and was not initialized yet: a child's own ``init_cfg`` is applied after
its parent's, so it takes precedence over what the parent's ``layer`` selection did to it.
While it runs, every submodule shares one record of how each parameter was initialized; the
top module logs it once at info level and keeps it (:meth:`BaseModule.params_init_info`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from torch import nn

from container import RegwireError
from providers import with_section

from ._init_record import InitRecord, update_init_info
from ._weight_init import InitCfg, initialize

_LOGGER = logging.getLogger(__name__)

_RECORD = "_params_init_info"
"""The attribute every submodule shares while the top module's ``init_weights`` runs
(MMEngine's name: ``update_init_info`` and users' own ``init_weights`` read it)."""


def _is_pretrained(cfg: Mapping[str, Any]) -> bool:
    kind = cfg.get("type")
    return kind == "Pretrained" or getattr(kind, "__name__", None) == "PretrainedInit"


class BaseModule(nn.Module):
    """A module whose weights ``init_cfg`` initializes, when :meth:`init_weights` is called.

    Args:
        init_cfg: An initializer's config (``{"type": "Kaiming", "layer": "Conv2d"}``) or a
            list of them; see :func:`runner.model.initialize`. Kept as a copy, as a dict.

    Example:
        >>> net = Sequential(nn.Linear(2, 2), init_cfg={"type": "Constant", "val": 1,
        ...                                              "layer": "Linear"})
        >>> net.init_weights()
        >>> net[0].weight.sum().item(), net.is_init
        (4.0, True)
    """

    def __init__(self, init_cfg: InitCfg | None = None) -> None:
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    @property
    def is_init(self) -> bool:
        """Whether :meth:`init_weights` ran (a second call only warns)."""
        return self._is_init

    @is_init.setter
    def is_init(self, value: bool) -> None:
        self._is_init = value

    def init_weights(self) -> None:
        """Initialize the weights: ``init_cfg`` (but ``Pretrained``), then the children's own
        ``init_weights``, then ``Pretrained`` entries; once (a second call warns)."""
        top = not hasattr(self, _RECORD)
        if top:
            self._share_record()
        name = type(self).__name__
        if self._is_init:
            _LOGGER.warning("init_weights of %s has been called more than once", name)
        else:
            pretrained = self._apply_init_cfg()
            for child_name, child in self.named_children():
                try:
                    _init_child(child)
                except RegwireError as exc:  # the child's path under this module
                    with_section(exc, child_name)
                    raise
            for entry, path in pretrained:
                _LOGGER.debug("initialize %s with %s", name, entry)
                initialize(self, entry, path)
            self._is_init = True
        if top:
            self._finish_record()

    def _apply_init_cfg(self) -> list[tuple[Mapping[str, Any], str]]:
        """Apply ``init_cfg`` but its ``Pretrained`` entries, which it returns (for last)
        with their paths."""
        if not self.init_cfg:
            return []
        if isinstance(self.init_cfg, Mapping):
            entries = [(self.init_cfg, "init_cfg")]
        elif isinstance(self.init_cfg, list | tuple) and all(
            isinstance(entry, Mapping) for entry in self.init_cfg
        ):
            entries = [(entry, f"init_cfg.{i}") for i, entry in enumerate(self.init_cfg)]
        else:
            raise TypeError(
                f"init_cfg of {type(self).__name__} must be a dict or a list of dicts, "
                f"got {self.init_cfg!r}"
            )
        _LOGGER.debug("initialize %s with init_cfg %s", type(self).__name__, self.init_cfg)
        for entry, path in entries:
            if not _is_pretrained(entry):
                initialize(self, entry, path)
        return [(entry, path) for entry, path in entries if _is_pretrained(entry)]

    def _share_record(self) -> None:
        start = f"the value is the same before and after init_weights of {type(self).__name__}"
        record = {param: InitRecord(param, start) for param in self.parameters()}
        for module in self.modules():
            object.__setattr__(module, _RECORD, record)

    def _finish_record(self) -> None:
        record: dict[Any, InitRecord] = getattr(self, _RECORD)
        for module in self.modules():
            module.__dict__.pop(_RECORD, None)
        self._init_report = {
            name: f"{tuple(param.shape)}: {record[param].info}"
            for name, param in self.named_parameters()
            if param in record
        }
        if self._init_report:
            lines = [f"{name} - {info}" for name, info in self._init_report.items()]
            _LOGGER.info("how %s was initialized:\n%s", type(self).__name__, "\n".join(lines))

    def params_init_info(self) -> dict[str, str]:
        """How each parameter was initialized by the last :meth:`init_weights` on this module
        (as the top module): its name, shape and initializer. Empty before."""
        return dict(getattr(self, "_init_report", {}))

    def extra_repr(self) -> str:
        extra = super().extra_repr()
        if self.init_cfg:
            extra = f"{extra}\ninit_cfg={self.init_cfg}" if extra else f"init_cfg={self.init_cfg}"
        return extra


def _init_child(child: nn.Module) -> None:
    """Call a child's ``init_weights`` when it has one and did not run it; record the change.

    A DDP wrapper without ``init_weights`` stands for the module it wraps (as in MMEngine).
    """
    if not hasattr(child, "init_weights") and isinstance(
        child, nn.parallel.DistributedDataParallel | nn.DataParallel
    ):
        child = child.module
    init_weights = getattr(child, "init_weights", None)
    if callable(init_weights) and not getattr(child, "is_init", False):
        init_weights()
        if hasattr(child, _RECORD):
            update_init_info(child, f"initialized by the init_weights of {type(child).__name__}")


def init_model_weights(model: nn.Module, section: str = "model") -> None:
    """Call the model's ``init_weights`` (the module inside a wrapper's), when it has one.

    MMEngine's runner does this before training; regwire's training container does it once
    the model is built and seeded, before it is wrapped or sharded.

    Raises:
        RegwireError: An ``init_cfg`` is wrong; its path starts with ``section`` (a child's
            ``init_cfg`` is named by the child's attribute: ``model.backbone.init_cfg``).
    """
    module = getattr(model, "module", model)
    init_weights = getattr(module, "init_weights", None)
    if callable(init_weights):
        try:
            init_weights()
        except RegwireError as exc:
            with_section(exc, section)
            raise


class Sequential(BaseModule, nn.Sequential):
    """``nn.Sequential`` with an ``init_cfg`` of its own (applied after its parent's)."""

    def __init__(self, *modules: nn.Module, init_cfg: InitCfg | None = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *modules)


class ModuleList(BaseModule, nn.ModuleList):
    """``nn.ModuleList`` with an ``init_cfg`` of its own (applied after its parent's)."""

    def __init__(
        self, modules: Iterable[nn.Module] | None = None, init_cfg: InitCfg | None = None
    ) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    """``nn.ModuleDict`` with an ``init_cfg`` of its own (applied after its parent's)."""

    def __init__(
        self, modules: Mapping[str, nn.Module] | None = None, init_cfg: InitCfg | None = None
    ) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)
