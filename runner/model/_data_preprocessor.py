"""Data preprocessors: what a model does to each batch before its forward, as in MMEngine.

:class:`BaseDataPreprocessor` moves a batch to the device (every tensor in nested dicts, lists
and tuples; container types kept); :class:`ImgDataPreprocessor` also swaps BGR and RGB,
normalizes with ``mean``/``std``, and pads images to a multiple of ``pad_size_divisor``,
stacking a list of CHW tensors into one NCHW batch. Both are registered in ``MODELS``, so a
model config names one: ``data_preprocessor: {type: ImgDataPreprocessor, mean: [...], ...}``.

A preprocessor's device follows every move of the modules around it: ``.to()``, ``.cuda()``,
``.cpu()`` on it or on any module holding it (MMEngine overrides those methods; here
``_apply``, which all of them call, notes the device).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._registries import MODELS


def move_to_device(data: Any, device: torch.device, non_blocking: bool = True) -> Any:
    """Move every tensor in ``data`` (nested dicts, lists and tuples) to ``device``.

    Containers are rebuilt with the same type (dict subclasses and named tuples included;
    other mappings become dicts); other values are kept. A tensor already on ``device`` is
    kept without a ``.to`` call, and a plain list or tuple (the usual batch) is rebuilt
    before the slower ``Mapping`` check: this runs every step.
    """
    if isinstance(data, torch.Tensor):
        return data if data.device == device else data.to(device, non_blocking=non_blocking)
    kind = type(data)
    if kind is list or kind is tuple:
        items = []  # a loop, not a comprehension: no extra frame in Python 3.11
        for item in data:
            if isinstance(item, torch.Tensor) and item.device == device:
                items.append(item)
            else:
                items.append(move_to_device(item, device, non_blocking))
        return items if kind is list else tuple(items)
    if isinstance(data, Mapping):
        moved = {key: move_to_device(value, device, non_blocking) for key, value in data.items()}
        if isinstance(data, dict) and type(data) is not dict:  # OrderedDict, ConfigDict, ...
            same = copy.copy(data)
            same.update(moved)
            return same
        return moved
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(move_to_device(item, device, non_blocking) for item in data))
    if isinstance(data, list | tuple):
        return type(data)(move_to_device(item, device, non_blocking) for item in data)
    return data


@MODELS.register_module()
class BaseDataPreprocessor(nn.Module):
    """Moves a batch to the preprocessor's device; subclasses do more in :meth:`forward`.

    Args:
        non_blocking: Copy to the device without waiting (``Tensor.to(non_blocking=...)``).
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__()
        self._non_blocking = non_blocking
        self._device = torch.device("cpu")

    @property
    def device(self) -> torch.device:
        """Where batches go: where the module (or the model holding it) was last moved."""
        return self._device

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> Any:
        self._device = fn(torch.empty(0, device=self._device)).device  # where ``fn`` moves to
        return super()._apply(fn, recurse)

    def cast_data(self, data: Any) -> Any:
        """Return ``data`` with every tensor on :attr:`device` (see :func:`move_to_device`)."""
        return move_to_device(data, self._device, self._non_blocking)

    def forward(self, data: Any, training: bool = False) -> Any:
        """Return the batch as the model's forward takes it: here, on the device.

        Args:
            data: One batch from a dataloader.
            training: Whether it is for a training step (subclasses may augment only then).
        """
        return self.cast_data(data)


@MODELS.register_module()
class ImgDataPreprocessor(BaseDataPreprocessor):
    """Moves, converts and normalizes a batch of images, and stacks or pads it to a batch.

    The images are the batch's ``inputs`` (a dict batch, as MMEngine's) or its first item (a
    tuple or list batch, such as ``(images, labels)``, regwire's addition): one NCHW tensor,
    or a list of CHW tensors of any sizes, which are padded (bottom and right) to the largest
    and stacked. In that order: channels swapped, converted to float32, ``(x - mean) / std``,
    padded so that height and width are multiples of ``pad_size_divisor``.

    Args:
        mean: The per-channel means (1 or 3 values, in the order after any swap), or None
            with ``std`` None for no normalization.
        std: The per-channel standard deviations.
        pad_size_divisor: Height and width are padded up to a multiple of it.
        pad_value: The value of padded pixels.
        bgr_to_rgb: Reverse the 3 channels (BGR to RGB).
        rgb_to_bgr: The same (RGB to BGR); at most one of the two.
        non_blocking: Copy to the device without waiting.

    Raises:
        ValueError: Both swaps, only one of ``mean``/``std``, a length other than 1 or 3, or
            a ``pad_size_divisor`` below 1.
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        pad_size_divisor: int = 1,
        pad_value: float = 0,
        bgr_to_rgb: bool = False,
        rgb_to_bgr: bool = False,
        non_blocking: bool = False,
    ) -> None:
        super().__init__(non_blocking)
        problems = self.argument_problems(
            {"mean": mean, "std": std, "pad_size_divisor": pad_size_divisor}
            | {"bgr_to_rgb": bgr_to_rgb, "rgb_to_bgr": rgb_to_bgr}
        )
        if problems:
            name, reason = problems[0]
            raise ValueError(f"{name} {reason}")
        self._enable_normalize = mean is not None and std is not None
        if mean is not None and std is not None:
            self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(std).view(-1, 1, 1), persistent=False)
        self._channel_conversion = bgr_to_rgb or rgb_to_bgr
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    @classmethod
    def argument_problems(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The arguments among ``args`` (a config) that the constructor always refuses, each
        as ``(name, reason)``: what ``regwire check`` reports and ``__init__`` raises."""
        problems = []
        if args.get("bgr_to_rgb") and args.get("rgb_to_bgr"):
            problems.append(("rgb_to_bgr", "and bgr_to_rgb cannot both be true (one swap)"))
        mean, std = args.get("mean"), args.get("std")
        if (mean is None) != (std is None):
            missing = "std" if std is None else "mean"
            problems.append((missing, "is missing: give both mean and std, or neither"))
        divisor = args.get("pad_size_divisor", 1)
        if isinstance(divisor, bool) or (isinstance(divisor, int | float) and divisor < 1):
            problems.append(("pad_size_divisor", f"must be a positive int, got {divisor!r}"))
        for name, values in (("mean", mean), ("std", std)):
            if isinstance(values, Sequence) and len(values) not in (1, 3):
                problems.append(
                    (name, f"must have 1 value (grey) or 3 (colour), got {len(values)}")
                )
        return problems

    def forward(self, data: Any, training: bool = False) -> Any:
        """Return the batch with its images moved, converted, normalized and padded.

        Raises:
            TypeError: The batch holds no images where this looks (see the class).
            ValueError: An image's channels do not fit the swap or ``mean``.
        """
        data = self.cast_data(data)
        if isinstance(data, Mapping) and "inputs" in data:
            images = data["inputs"]
        elif isinstance(data, list | tuple) and data:
            images = data[0]
        else:
            raise TypeError(
                "ImgDataPreprocessor takes a dict batch with 'inputs' or a tuple/list batch "
                f"whose first item is the images, got a {type(data).__name__}"
            )
        if isinstance(images, torch.Tensor):
            if images.dim() != 4:
                raise ValueError(
                    f"ImgDataPreprocessor takes NCHW images, got shape {tuple(images.shape)}"
                )
            batch = self._pad(self._convert(images, channel_dim=1))
        elif isinstance(images, list | tuple) and all(isinstance(x, torch.Tensor) for x in images):
            converted = [self._convert(image, channel_dim=0) for image in images]
            batch = stack_batch(converted, self.pad_size_divisor, self.pad_value)
        else:
            raise TypeError(
                "ImgDataPreprocessor takes images as one NCHW tensor or a list of CHW "
                f"tensors, got {type(images).__name__}"
            )
        if isinstance(data, dict):  # cast_data made it: a copy of the batch's
            data["inputs"] = batch
            data.setdefault("data_samples", None)
            return data
        if isinstance(data, Mapping):
            return {**data, "inputs": batch, "data_samples": data.get("data_samples")}
        if isinstance(data, tuple) and hasattr(data, "_fields"):
            return type(data)(batch, *data[1:])
        return (batch, *data[1:]) if isinstance(data, tuple) else [batch, *data[1:]]

    def _convert(self, images: torch.Tensor, channel_dim: int) -> torch.Tensor:
        channels = images.shape[channel_dim]
        if self._channel_conversion:
            if channels != 3:
                raise ValueError(
                    f"a BGR/RGB swap needs 3 channels, got images of shape {tuple(images.shape)}"
                )
            images = images.flip(channel_dim)
        images = images.float()
        if self._enable_normalize:
            mean, std = self._mean_std()
            if mean.shape[0] == 3 and channels != 3:
                raise ValueError(
                    f"mean and std have 3 values, but the images have {channels} channels "
                    f"(shape {tuple(images.shape)})"
                )
            images = (images - mean) / std
        return images

    def _mean_std(self) -> tuple[torch.Tensor, torch.Tensor]:
        mean, std = self.mean, self.std  # the buffers registered in __init__
        assert isinstance(mean, torch.Tensor)
        assert isinstance(std, torch.Tensor)
        return mean, std

    def _pad(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        divisor = self.pad_size_divisor
        pad_h = math.ceil(height / divisor) * divisor - height
        pad_w = math.ceil(width / divisor) * divisor - width
        if pad_h == 0 and pad_w == 0:
            return images
        return F.pad(images, (0, pad_w, 0, pad_h), "constant", self.pad_value)


def stack_batch(
    tensors: Sequence[torch.Tensor], pad_size_divisor: int = 1, pad_value: float = 0
) -> torch.Tensor:
    """Stack tensors of one rank (CHW images) into a batch, padding every dimension but the
    first at its end to the largest size, rounded up to a multiple of ``pad_size_divisor``.

    Raises:
        ValueError: No tensors, or tensors of different ranks.
    """
    if not tensors:
        raise ValueError("stack_batch needs at least one tensor")
    ranks = {tensor.dim() for tensor in tensors}
    if len(ranks) != 1:
        raise ValueError(f"stack_batch needs tensors of one rank, got ranks {sorted(ranks)}")
    rank = ranks.pop()
    largest = [max(tensor.shape[d] for tensor in tensors) for d in range(rank)]
    target = [largest[0]] + [
        math.ceil(size / pad_size_divisor) * pad_size_divisor for size in largest[1:]
    ]
    padded = []
    for tensor in tensors:
        pad: list[int] = []
        for d in reversed(range(1, rank)):  # F.pad counts from the last dimension
            pad += [0, target[d] - tensor.shape[d]]
        padded.append(F.pad(tensor, pad, value=pad_value) if any(pad) else tensor)
    return torch.stack(padded)
