"""Padding by index arithmetic: the four ``padding_mode`` values of ``nn.Conv2d``.

Every mode answers one question per axis: for output position ``i`` (which
runs from ``-before`` to ``size + after - 1``), which input element do we copy? ::

    zeros      nothing: the value is 0
    replicate  the nearest edge element           clamp(i, 0, size-1)
    circular   wrap around                        i mod size
    reflect    mirror at the edge, edge not repeated   |i| then size-1-|size-1-|i||

Both ``naive`` and ``vectorised`` use this one implementation. Taught in lesson 01.
Imports only the leaf :mod:`course_lib.utils`.
"""
from __future__ import annotations

import torch

from course_lib import utils

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def check_padding_mode(padding_mode, pads, spatial) -> str:
    """Check ``padding_mode`` and that its padding ``((before, after), ...)`` fits the spatial sizes.

    >>> check_padding_mode("reflect", ((3, 3),), (3,))
    Traceback (most recent call last):
        ...
    ValueError: padding_mode='reflect' needs padding < input size on every axis, got padding 3 on spatial axis 0 of size 3. Use less padding or padding_mode='replicate'.
    """
    utils.check_choice("padding_mode", padding_mode, PADDING_MODES)
    for axis, ((before, after), size) in enumerate(zip(pads, spatial)):
        largest = max(before, after)
        if padding_mode == "reflect" and largest >= size:
            raise ValueError(
                f"padding_mode='reflect' needs padding < input size on every axis, got padding {largest} "
                f"on spatial axis {axis} of size {size}. Use less padding or padding_mode='replicate'."
            )
        if padding_mode == "circular" and largest > size:
            raise ValueError(
                f"padding_mode='circular' needs padding <= input size on every axis, got padding {largest} "
                f"on spatial axis {axis} of size {size}. Use less padding."
            )
    return padding_mode


def source_index(size: int, before: int, after: int, mode: str, device=None) -> torch.Tensor:
    """Input index that each padded position copies, for one axis of length ``size``.

    >>> source_index(4, 2, 2, "reflect").tolist()
    [2, 1, 0, 1, 2, 3, 2, 1]
    """
    i = torch.arange(-before, size + after, device=device)
    if mode == "replicate":
        return i.clamp(0, size - 1)
    if mode == "circular":
        return i % size
    if mode == "reflect":
        last = size - 1
        return last - (last - i.abs()).abs()
    raise ValueError(f"source_index has no index rule for mode {mode!r}; zeros padding copies nothing.")


def pad(input: torch.Tensor, padding, mode: str = "zeros") -> torch.Tensor:
    """Pad the last ``len(padding)`` axes of ``input``.

    Args:
        input: ``(..., S1, ..., Sn)``.
        padding: ``((before_1, after_1), ..., (before_n, after_n))``, one pair per
            trailing axis, in axis order (unlike ``F.pad``, which lists the last axis first).
        mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.

    Returns:
        ``(..., S1 + before_1 + after_1, ..., Sn + before_n + after_n)``.

    >>> pad(torch.tensor([[1, 2, 3]]), ((1, 2),), "circular")
    tensor([[3, 1, 2, 3, 1, 2]])
    """
    utils.check_tensor("input", input)
    utils.check_choice("mode", mode, PADDING_MODES)
    n = len(padding)
    first = input.dim() - n
    if mode == "zeros":  # torch's constant padding: one copy into a tensor with zero borders
        return torch.nn.functional.pad(input, [amount for pair in reversed(padding) for amount in pair])
    check_padding_mode(mode, padding, input.shape[first:])
    for axis, (before, after) in enumerate(padding, start=first):
        if before or after:
            index = source_index(input.shape[axis], before, after, mode, input.device)
            input = input.index_select(axis, index)
    return input
