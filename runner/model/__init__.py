"""Models the loops drive: :class:`BaseModel` and its DDP wrapper, usable without a Runner.

A model computes losses and predictions in ``forward(..., mode=...)``; its step methods turn
one batch into one optimization step or one batch of predictions, after its data preprocessor
(:class:`BaseDataPreprocessor`, :class:`ImgDataPreprocessor`) prepared the batch. Its weights
are initialized from ``init_cfg`` (:class:`BaseModule`, the initializers of
``WEIGHT_INITIALIZERS``). For several processes, :class:`DistributedModel` wraps it in DDP,
:class:`FullyShardedModel` shards it with FSDP2; both keep the model's own ``train_step``.
"""

from ._base_model import LOSS_KEY, BaseModel, ForwardMode, forward_batch
from ._base_module import BaseModule, ModuleDict, ModuleList, Sequential, init_model_weights
from ._config_checks import model_config_problems
from ._data_preprocessor import (
    BaseDataPreprocessor,
    ImgDataPreprocessor,
    move_to_device,
    stack_batch,
)
from ._fsdp import FullyShardedModel, is_sharded, module_class_problems, precision_policy
from ._init_record import update_init_info
from ._pretrained import PretrainedInit, read_state_dict
from ._safe_load import CHECKSUM_MARKER, TRAILER_SIZE, has_checksum_trailer, load_weights_only
from ._weight_init import (
    BaseInit,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)
from ._wrappers import DistributedModel, wrap_model

__all__ = [
    "CHECKSUM_MARKER",
    "LOSS_KEY",
    "TRAILER_SIZE",
    "BaseDataPreprocessor",
    "BaseInit",
    "BaseModel",
    "BaseModule",
    "Caffe2XavierInit",
    "ConstantInit",
    "DistributedModel",
    "ForwardMode",
    "FullyShardedModel",
    "ImgDataPreprocessor",
    "KaimingInit",
    "ModuleDict",
    "ModuleList",
    "NormalInit",
    "PretrainedInit",
    "Sequential",
    "TruncNormalInit",
    "UniformInit",
    "XavierInit",
    "bias_init_with_prob",
    "caffe2_xavier_init",
    "constant_init",
    "forward_batch",
    "has_checksum_trailer",
    "init_model_weights",
    "initialize",
    "is_sharded",
    "kaiming_init",
    "load_weights_only",
    "model_config_problems",
    "module_class_problems",
    "move_to_device",
    "normal_init",
    "precision_policy",
    "read_state_dict",
    "stack_batch",
    "trunc_normal_",
    "trunc_normal_init",
    "uniform_init",
    "update_init_info",
    "wrap_model",
    "xavier_init",
]
