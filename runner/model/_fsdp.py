"""FullyShardedModel: FSDP2 (``fully_shard`` over a DeviceMesh) around a BaseModel.

Each rank keeps only its shard of every parameter, gradient and optimizer state; FSDP2
all-gathers a module's parameters for its forward and backward, and reduce-scatters the
gradients, which it averages over the ranks as DDP does. ``fully_shard`` changes the model
in place (its parameters become ``DTensor`` shards), so the optimizer is built after the
model is wrapped, over the sharded parameters. The model's own ``train_step`` runs as it
is: the forward hooks FSDP2 installs on the model do the communication.

Sharding is torch's: this module only turns a config into the calls (activation
checkpointing on the named modules first, then ``fully_shard`` on the named modules from the
innermost out, then on the model itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import (
    apply_activation_checkpointing,
    checkpoint_wrapper,
)
from torch.distributed.device_mesh import DeviceMesh, init_device_mesh
from torch.distributed.fsdp import (
    CPUOffloadPolicy,
    FSDPModule,
    MixedPrecisionPolicy,
    OffloadPolicy,
    fully_shard,
)

from container import ConfigError, did_you_mean
from providers import PATH

from .._registries import MODEL_WRAPPERS
from ..optim import OptimWrapper
from ._base_model import BaseModel

PRECISION_KEYS = ("param_dtype", "reduce_dtype", "output_dtype", "cast_forward_inputs")
"""The keys of ``mixed_precision``: the fields of torch's ``MixedPrecisionPolicy``."""


@MODEL_WRAPPERS.register_module()
class FullyShardedModel(nn.Module):
    """A :class:`BaseModel` sharded over the ranks with FSDP2 (``fully_shard``).

    Args:
        module: The model (built on the CPU; ``fully_shard`` moves it to the mesh's device).
        shard_modules: Class names of the submodules that become FSDP units of their own
            (the transformer blocks of a transformer), each all-gathered on its own; the model
            itself always is one. Each name must name a submodule.
        reshard_after_forward: Free the gathered parameters after each unit's forward (less
            memory, one more all-gather in the backward).
        mixed_precision: ``MixedPrecisionPolicy`` fields, dtypes by name:
            ``{param_dtype: bfloat16, reduce_dtype: float32}``.
        cpu_offload: Keep the sharded parameters, gradients and optimizer state on the CPU
            (``CPUOffloadPolicy``).
        activation_checkpointing: Class names of the submodules whose activations are
            recomputed in the backward instead of kept (``checkpoint_wrapper``).
        mesh: The device mesh; by default one dimension over every rank of the process group.

    Raises:
        ConfigError: No process group is joined, a class name names no submodule, or a
            ``mixed_precision`` key or dtype is unknown (the path names the argument).
        TypeError: ``module`` is not a :class:`BaseModel`.
    """

    def __init__(
        self,
        module: BaseModel,
        *,
        shard_modules: Sequence[str] = (),
        reshard_after_forward: bool = True,
        mixed_precision: Mapping[str, Any] | None = None,
        cpu_offload: bool = False,
        activation_checkpointing: Sequence[str] = (),
        mesh: DeviceMesh | None = None,
    ) -> None:
        if not isinstance(module, BaseModel):
            raise TypeError(f"FullyShardedModel wraps a BaseModel, got {type(module).__name__}")
        super().__init__()
        shard = _named_classes(module, shard_modules, "shard_modules")
        recompute = _named_classes(module, activation_checkpointing, "activation_checkpointing")
        policy = precision_policy(mixed_precision)
        if mesh is None:
            mesh = default_mesh()
        if recompute:
            apply_activation_checkpointing(
                module,
                checkpoint_wrapper_fn=checkpoint_wrapper,
                check_fn=lambda sub: type(sub).__name__ in recompute,
            )
        options: dict[str, Any] = {
            "mesh": mesh,
            "reshard_after_forward": reshard_after_forward,
            "mp_policy": policy,
            "offload_policy": _offload(cpu_offload),
        }
        units = [
            sub for sub in module.modules() if type(sub).__name__ in shard and sub is not module
        ]
        for unit in reversed(units):  # the innermost first, as fully_shard wants
            fully_shard(unit, **options)
        fully_shard(module, **options)
        self.module = module

    @property
    def model(self) -> BaseModel:
        """The sharded model (the same object that was given, changed in place)."""
        return self.module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The model's forward (FSDP2's hooks on it gather and free the parameters)."""
        return self.module(*args, **kwargs)

    def train_step(self, data: Any, optim_wrapper: OptimWrapper) -> dict[str, torch.Tensor]:
        """The model's own ``train_step``: its forward is already the sharded one."""
        return self.model.train_step(data, optim_wrapper)

    def val_step(self, data: Any) -> Any:
        """:meth:`BaseModel.val_step` of the model (every rank must call it as often)."""
        return self.model.val_step(data)

    def test_step(self, data: Any) -> Any:
        """:meth:`BaseModel.test_step` of the model."""
        return self.model.test_step(data)


def default_mesh() -> DeviceMesh:
    """One mesh dimension over every rank, on CUDA when there is one.

    Raises:
        ConfigError: No process group is joined (naming ``model_wrapper_cfg``).
    """
    if not (dist.is_available() and dist.is_initialized()):
        raise ConfigError(
            "FullyShardedModel shards over a process group, and none is joined: start with "
            "torchrun --nproc-per-node N -m runner train CONFIG --launcher pytorch (or drop "
            "model_wrapper_cfg for one process)"
        )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return init_device_mesh(device, (dist.get_world_size(),))


def is_sharded(model: nn.Module) -> bool:
    """Whether ``model`` (or the module a wrapper holds) was sharded with ``fully_shard``."""
    module = getattr(model, "module", model)
    return isinstance(module, FSDPModule) or isinstance(model, FSDPModule)


def precision_policy(options: Mapping[str, Any] | None) -> MixedPrecisionPolicy:
    """``MixedPrecisionPolicy`` from ``{param_dtype: bfloat16, ...}`` (dtypes by name).

    Raises:
        ConfigError: An unknown key or dtype (naming ``mixed_precision.KEY``).
    """
    values: dict[str, Any] = {}
    for key, value in (options or {}).items():
        path = f"mixed_precision.{key}"
        if key not in PRECISION_KEYS:
            raise ConfigError(
                f"{PATH} is not a field of MixedPrecisionPolicy"
                f"{did_you_mean(key, PRECISION_KEYS)} ({', '.join(PRECISION_KEYS)})",
                config_path=path,
            )
        if key == "cast_forward_inputs" or value is None:
            values[key] = value
            continue
        dtype = getattr(torch, str(value), None)
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ConfigError(
                f"{PATH} must name a floating-point dtype (float32, bfloat16, float16), "
                f"got {value!r}",
                config_path=path,
            )
        values[key] = dtype
    return MixedPrecisionPolicy(**values)


def _offload(cpu_offload: bool) -> OffloadPolicy:
    if not cpu_offload:
        return OffloadPolicy()
    return CPUOffloadPolicy(pin_memory=torch.cuda.is_available())  # pinning needs CUDA


def _named_classes(module: nn.Module, names: Sequence[str] | str, key: str) -> frozenset[str]:
    """``names`` when each is the class name of a submodule of ``module``.

    Raises:
        ConfigError: One names no submodule (naming ``KEY``, with the nearest class name).
    """
    if isinstance(names, str):
        names = [names]
    present = sorted({type(sub).__name__ for sub in module.modules() if sub is not module})
    for name in names:
        if name not in present:
            raise ConfigError(
                f"{PATH} names {name!r}, which is no submodule's class in "
                f"{type(module).__name__}{did_you_mean(str(name), present)} "
                f"(its classes: {', '.join(present) or 'none'})",
                config_path=key,
            )
    return frozenset(names)


def module_class_problems(names: Any, key: str) -> list[ConfigError]:
    """The names in ``names`` that are the class name of no ``nn.Module`` class imported
    (so of no submodule of any model), each a :class:`ConfigError` naming ``key`` and the
    nearest class name. What ``config check`` can tell without building the model."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    known = _module_class_names()
    return [
        ConfigError(
            f"{PATH} names {name!r}, which is no nn.Module class{did_you_mean(str(name), known)}",
            config_path=key,
        )
        for name in names
        if name not in known
    ]


def _module_class_names() -> list[str]:
    found: set[str] = set()
    todo: list[type] = [nn.Module]
    while todo:
        cls = todo.pop()
        subclasses: list[type] = type.__subclasses__(cls)
        for sub in subclasses:
            if sub.__name__ not in found:
                found.add(sub.__name__)
                todo.append(sub)
    return sorted(found)
