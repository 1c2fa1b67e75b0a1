"""Weight initializers by name (``Constant``, ``Kaiming``...), and :func:`initialize`.

An ``init_cfg`` is a config dict, or a list of them, naming an initializer of
``WEIGHT_INITIALIZERS`` (MMEngine's registry and names). An initializer visits every submodule
of the module it is given and initializes those whose class, or one of its class's direct
bases, is named in ``layer``; ``override`` initializes a named child as a whole, with the
initializer it names (or, when it gives only ``name``, with the outer one's arguments)::

    initialize(net, {"type": "Kaiming", "layer": "Conv2d",
                     "override": {"name": "head", "type": "Normal", "std": 0.01}})

As in MMEngine, a module's ``weight`` gets the distribution and its ``bias`` a constant
(``bias``, or ``bias_init_with_prob(bias_prob)``); submodules are visited children first
(``Module.apply``), so the same seed gives MMEngine's numbers. Unlike MMEngine, an entry that
initializes nothing (no ``layer`` and no ``override``, or a ``layer`` no submodule has) is
logged as a warning, and wrong arguments raise a ``TypeError``/``ValueError`` naming them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import torch
from torch import nn

from container import RegwireError
from providers import with_section

from .._registries import WEIGHT_INITIALIZERS
from ._config_checks import override_problems
from ._init_record import update_init_info

_LOGGER = logging.getLogger(__name__)

Distribution = Literal["normal", "uniform"]
InitCfg = Mapping[str, Any] | Sequence[Mapping[str, Any]]
"""An ``init_cfg``: one initializer's config, or a list of them (applied in order)."""


def _tensor(module: nn.Module, name: str) -> torch.Tensor | None:
    """The module's ``weight`` or ``bias``, when it has one (``bias=False`` leaves None)."""
    value = getattr(module, name, None)
    return value if isinstance(value, torch.Tensor) else None


def _fill_bias(module: nn.Module, bias: float) -> None:
    if (tensor := _tensor(module, "bias")) is not None:
        nn.init.constant_(tensor, bias)


def _check_distribution(distribution: str) -> None:
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"distribution must be 'normal' or 'uniform', got {distribution!r}")


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    """Fill ``module.weight`` with ``val`` and ``module.bias`` with ``bias`` (each if present)."""
    if (weight := _tensor(module, "weight")) is not None:
        nn.init.constant_(weight, val)
    _fill_bias(module, bias)


def xavier_init(
    module: nn.Module, gain: float = 1, bias: float = 0, distribution: Distribution = "normal"
) -> None:
    """Glorot initialization of ``module.weight`` (normal or uniform); ``bias`` a constant."""
    _check_distribution(distribution)
    if (weight := _tensor(module, "weight")) is not None:
        fill = nn.init.xavier_uniform_ if distribution == "uniform" else nn.init.xavier_normal_
        fill(weight, gain=gain)
    _fill_bias(module, bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    """Draw ``module.weight`` from N(mean, std²); fill ``module.bias`` with ``bias``."""
    if (weight := _tensor(module, "weight")) is not None:
        nn.init.normal_(weight, mean, std)
    _fill_bias(module, bias)


def trunc_normal_init(
    module: nn.Module,
    mean: float = 0,
    std: float = 1,
    a: float = -2,
    b: float = 2,
    bias: float = 0,
) -> None:
    """Draw ``module.weight`` from N(mean, std²) truncated to [a, b] (:func:`trunc_normal_`);
    fill ``module.bias`` with ``bias``."""
    if (weight := _tensor(module, "weight")) is not None:
        trunc_normal_(weight, mean, std, a, b)
    _fill_bias(module, bias)


def trunc_normal_(
    tensor: torch.Tensor, mean: float = 0, std: float = 1, a: float = -2, b: float = 2
) -> torch.Tensor:
    """Fill ``tensor`` in place from N(mean, std²) truncated to [a, b], by inverting the CDF.

    MMEngine's method (torch's own ``trunc_normal_`` now redraws values out of bounds
    instead): uniform values between the bounds' CDFs, mapped through the inverse error
    function, so the same seed gives MMEngine's numbers.
    """

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        _LOGGER.warning("trunc_normal_: mean %s is more than 2 std from [%s, %s]", mean, a, b)
    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    with torch.no_grad():
        tensor.uniform_(2 * low - 1, 2 * high - 1)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
    return tensor


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    """Draw ``module.weight`` from U(a, b); fill ``module.bias`` with ``bias``."""
    if (weight := _tensor(module, "weight")) is not None:
        nn.init.uniform_(weight, a, b)
    _fill_bias(module, bias)


def kaiming_init(
    module: nn.Module,
    a: float = 0,
    mode: Literal["fan_in", "fan_out"] = "fan_out",
    nonlinearity: str = "relu",
    bias: float = 0,
    distribution: Distribution = "normal",
) -> None:
    """He initialization of ``module.weight`` (normal or uniform); ``bias`` a constant."""
    _check_distribution(distribution)
    if (weight := _tensor(module, "weight")) is not None:
        fill = nn.init.kaiming_uniform_ if distribution == "uniform" else nn.init.kaiming_normal_
        fill(weight, a=a, mode=mode, nonlinearity=cast(Any, nonlinearity))  # torch checks it
    _fill_bias(module, bias)


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    """Caffe2's ``XavierFill``: He uniform, fan in, leaky ReLU with slope 1."""
    kaiming_init(module, 1, "fan_in", "leaky_relu", bias, "uniform")


def bias_init_with_prob(prior_prob: float) -> float:
    """The bias whose sigmoid is ``prior_prob`` (the focal-loss classifier's prior)."""
    if not 0 < prior_prob < 1:
        raise ValueError(f"prior_prob must be between 0 and 1, got {prior_prob!r}")
    return float(-math.log((1 - prior_prob) / prior_prob))


class BaseInit:
    """What every initializer but ``Pretrained`` shares: ``bias``, ``bias_prob`` and ``layer``.

    Args:
        bias: The value of every initialized ``bias``.
        bias_prob: When given, the bias is ``bias_init_with_prob(bias_prob)`` instead.
        layer: The class names (a name or a list) of the submodules to initialize; a class
            also matches by the name of one of its direct bases, as in MMEngine.

    Attributes:
        wholemodule: Initialize every submodule whatever its class (``override`` sets it).
        matched: How many submodules the last call initialized.
    """

    def __init__(
        self,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        if isinstance(bias, bool) or not isinstance(bias, int | float):
            raise TypeError(f"bias must be a number, got {bias!r}")
        if bias_prob is not None and not isinstance(bias_prob, float):
            raise TypeError(f"bias_prob must be a float, got {bias_prob!r}")
        if layer is not None and not (
            isinstance(layer, str)
            or (isinstance(layer, Sequence) and all(isinstance(x, str) for x in layer))
        ):
            raise TypeError(f"layer must be a class name or a list of them, got {layer!r}")
        self.wholemodule = False
        self.bias = bias_init_with_prob(bias_prob) if bias_prob is not None else bias
        self.layer: list[str] = [layer] if isinstance(layer, str) else list(layer or [])
        self.matched = 0

    def __call__(self, module: nn.Module) -> None:
        """Initialize the submodules of ``module`` this initializer selects, and record it."""
        self.matched = 0
        module.apply(self._visit)
        if hasattr(module, "_params_init_info"):
            update_init_info(module, self.describe())

    def _visit(self, module: nn.Module) -> None:
        if self.wholemodule or self.selects(module):
            self.matched += 1
            self.init_layer(module)

    def selects(self, module: nn.Module) -> bool:
        """Whether ``layer`` names the class of ``module`` or one of its direct bases."""
        kind = type(module)
        names = {kind.__name__, *(base.__name__ for base in kind.__bases__)}
        return not names.isdisjoint(self.layer)

    def init_layer(self, module: nn.Module) -> None:
        """Initialize one selected module (its own ``weight`` and ``bias``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement init_layer()")

    def describe(self) -> str:
        """How a parameter this initializer set was initialized, for the record."""
        return f"{type(self).__name__}, bias={self.bias}"


@WEIGHT_INITIALIZERS.register_module(name="Constant")
class ConstantInit(BaseInit):
    """Fill weights with ``val`` (and biases with ``bias``)."""

    def __init__(
        self,
        val: float,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.val = val

    def init_layer(self, module: nn.Module) -> None:
        constant_init(module, self.val, self.bias)

    def describe(self) -> str:
        return f"ConstantInit: val={self.val}, bias={self.bias}"


@WEIGHT_INITIALIZERS.register_module(name="Xavier")
class XavierInit(BaseInit):
    """Glorot & Bengio (2010): weights with variance ``gain² · 2 / (fan_in + fan_out)``."""

    def __init__(
        self,
        gain: float = 1,
        distribution: Distribution = "normal",
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        _check_distribution(distribution)
        self.gain = gain
        self.distribution = distribution

    def init_layer(self, module: nn.Module) -> None:
        xavier_init(module, self.gain, self.bias, self.distribution)

    def describe(self) -> str:
        return f"XavierInit: gain={self.gain}, distribution={self.distribution}, bias={self.bias}"


@WEIGHT_INITIALIZERS.register_module(name="Normal")
class NormalInit(BaseInit):
    """Weights from N(mean, std²)."""

    def __init__(
        self,
        mean: float = 0,
        std: float = 1,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.mean = mean
        self.std = std

    def init_layer(self, module: nn.Module) -> None:
        normal_init(module, self.mean, self.std, self.bias)

    def describe(self) -> str:
        return f"NormalInit: mean={self.mean}, std={self.std}, bias={self.bias}"


@WEIGHT_INITIALIZERS.register_module(name="TruncNormal")
class TruncNormalInit(BaseInit):
    """Weights from N(mean, std²) truncated to [a, b]."""

    def __init__(
        self,
        mean: float = 0,
        std: float = 1,
        a: float = -2,
        b: float = 2,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        if not a < b:
            raise ValueError(f"TruncNormal needs a < b, got a={a!r}, b={b!r}")
        self.mean, self.std, self.a, self.b = mean, std, a, b

    def init_layer(self, module: nn.Module) -> None:
        trunc_normal_init(module, self.mean, self.std, self.a, self.b, self.bias)

    def describe(self) -> str:
        return (
            f"TruncNormalInit: a={self.a}, b={self.b}, mean={self.mean}, std={self.std}, "
            f"bias={self.bias}"
        )


@WEIGHT_INITIALIZERS.register_module(name="Uniform")
class UniformInit(BaseInit):
    """Weights from U(a, b)."""

    def __init__(
        self,
        a: float = 0,
        b: float = 1,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.a, self.b = a, b

    def init_layer(self, module: nn.Module) -> None:
        uniform_init(module, self.a, self.b, self.bias)

    def describe(self) -> str:
        return f"UniformInit: a={self.a}, b={self.b}, bias={self.bias}"


@WEIGHT_INITIALIZERS.register_module(name="Kaiming")
class KaimingInit(BaseInit):
    """He et al. (2015): weights with variance ``gain² / fan`` (``mode`` picks the fan)."""

    def __init__(
        self,
        a: float = 0,
        mode: Literal["fan_in", "fan_out"] = "fan_out",
        nonlinearity: str = "relu",
        distribution: Distribution = "normal",
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        _check_distribution(distribution)
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
        self.a, self.mode, self.nonlinearity = a, mode, nonlinearity
        self.distribution = distribution

    def init_layer(self, module: nn.Module) -> None:
        kaiming_init(module, self.a, self.mode, self.nonlinearity, self.bias, self.distribution)

    def describe(self) -> str:
        return (
            f"KaimingInit: a={self.a}, mode={self.mode}, nonlinearity={self.nonlinearity}, "
            f"distribution={self.distribution}, bias={self.bias}"
        )


@WEIGHT_INITIALIZERS.register_module(name="Caffe2Xavier")
class Caffe2XavierInit(KaimingInit):
    """Caffe2's ``XavierFill``: :class:`KaimingInit` with a=1, fan_in, leaky ReLU, uniform."""

    def __init__(
        self,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            1, "fan_in", "leaky_relu", "uniform", bias=bias, bias_prob=bias_prob, layer=layer
        )


def initialize(module: nn.Module, init_cfg: InitCfg, path: str = "init_cfg") -> None:
    """Initialize ``module`` as ``init_cfg`` says: each entry in order, then its ``override``.

    Args:
        module: The module whose submodules are initialized.
        init_cfg: An initializer's config (``{"type": "Constant", "val": 1, "layer":
            "Linear"}``) or a list of them. ``override`` (a dict or a list) names children
            (``name``) to initialize as a whole: with the initializer the override names, or,
            when it gives only ``name``, with the entry's own arguments. ``init_cfg`` is not
            changed.
        path: The config path of ``init_cfg``, for errors (``model.init_cfg``).

    Raises:
        TypeError: ``init_cfg`` or ``override`` has the wrong shape, or an argument its
            initializer refuses.
        ConfigError: An override without ``name`` (naming a near-miss key), with arguments
            but no ``type``, or naming no child of ``module`` (the nearest child suggested);
            the path names the key.
        RegistryError: A ``type`` is not in ``WEIGHT_INITIALIZERS`` (with the nearest name).
    """
    for index, cfg in enumerate(_entries(init_cfg, "init_cfg")):
        options = dict(cfg)
        override = options.pop("override", None)
        where = path if isinstance(init_cfg, Mapping) else f"{path}.{index}"
        try:
            initializer = _apply(module, options, wholemodule=False, path=where)
        except RegwireError as exc:
            if not exc.config_path:  # a Pretrained file's error: the entry is the place
                with_section(exc, where)
            raise
        if override is not None:
            options.pop("layer", None)
            items = _entries(override, "override")
            for number, item in enumerate(items):
                at = f"{where}.override" + ("" if isinstance(override, Mapping) else f".{number}")
                _apply_override(module, dict(item), options, at)
        elif not getattr(initializer, "layer", True):
            _LOGGER.warning(
                "%s: %s initializes nothing in %s: give it 'layer' (class names) or "
                "'override' (children by name)",
                where,
                options.get("type"),
                type(module).__name__,
            )


def _entries(value: Any, what: str) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(item, Mapping) for item in value):
        return list(value)
    raise TypeError(f"{what} must be a dict or a list of dicts, got {value!r}")


def _apply(module: nn.Module, options: dict[str, Any], *, wholemodule: bool, path: str) -> Any:
    initializer = WEIGHT_INITIALIZERS.build_at(path, options)
    initializer.wholemodule = wholemodule
    initializer(module)
    if isinstance(initializer, BaseInit) and initializer.layer and not initializer.matched:
        _LOGGER.warning(
            "%s: layer %s matched no submodule of %s",
            path,
            initializer.layer,
            type(module).__name__,
        )
    return initializer


def _apply_override(
    module: nn.Module, override: dict[str, Any], outer: Mapping[str, Any], path: str
) -> None:
    problems = override_problems(override, path, module)
    if problems:
        raise problems[0]
    name = override.pop("name")
    if not override:
        override = dict(outer)  # only a name: the entry's own initializer, on the whole child
    _apply(getattr(module, name), override, wholemodule=True, path=path)
