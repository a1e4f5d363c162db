"""Upsampling that moves values instead of interpolating them: pixel shuffle and max-unpooling.

Taught in lesson 08 (upsampling), which calls them through :mod:`course_lib.upsample` (it
re-exports the public names). ``pixel_shuffle`` moves channels into space,
``(*, C*r*r, H, W) -> (*, C, H*r, W*r)``: a sub-pixel convolution computes ``C*r*r`` channels at the
low resolution and the shuffle rearranges them (a reshape, a permute and one copy, no arithmetic);
``pixel_unshuffle`` undoes it. ``max_unpool1d/2d/3d`` put each pooled maximum back at the position
that ``max_poolNd(..., return_indices=True)`` recorded, zeros elsewhere.

Both mirror ``torch.nn.functional``'s signatures; their argument checks live beside them
(:func:`check_upscale_factor`, :func:`unpool_output_size`). Empty batches (N = 0) and empty channel
axes (C = 0) give empty results of the right shape (torch refuses C = 0 in batched max-unpooling).
Where torch 2.13's CPU kernel disagrees with its own definition, this module follows the
definition: ``pixel_unshuffle`` of an empty tensor (torch returns the input's shape).

>>> x = torch.arange(8.0).reshape(1, 8, 1, 1)                 # 8 channels of one pixel
>>> pixel_unshuffle(pixel_shuffle(x, 2), 2).equal(x), tuple(pixel_shuffle(x, 2).shape)
(True, (1, 2, 2, 2))
"""
from __future__ import annotations

import math

import torch

from course_lib import utils


# ----------------------------------------------------------------------------
# pixel shuffle
# ----------------------------------------------------------------------------


def pixel_shuffle(input, upscale_factor):
    """Move channels into space: ``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``.

    Output pixel ``(c, h*r + i, w*r + j)`` is input ``(c*r*r + i*r + j, h, w)``:
    each group of ``r*r`` channels becomes one ``r x r`` block of a channel.
    One reshape, one permute and one copy (as ``torch.nn.functional.pixel_shuffle``).

    >>> pixel_shuffle(torch.arange(4.0).reshape(1, 4, 1, 1), 2)    # 4 channels of 1 pixel -> 1 channel of 2 x 2
    tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    r = check_upscale_factor("pixel_shuffle", "upscale_factor", input, upscale_factor)
    *lead, channels, height, width = input.shape
    x = input.reshape(*lead, channels // (r * r), r, r, height, width)  # (*, C, i, j, H, W)
    k = len(lead)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, i, W, j)
    return x.reshape(*lead, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input, downscale_factor):
    """Move space into channels: ``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``; undoes
    :func:`pixel_shuffle`.

    >>> pixel_unshuffle(torch.arange(4.0).reshape(1, 1, 2, 2), 2).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    r = check_upscale_factor("pixel_unshuffle", "downscale_factor", input, downscale_factor)
    *lead, channels, height, width = input.shape
    x = input.reshape(*lead, channels, height // r, r, width // r, r)  # (*, C, H, i, W, j)
    k = len(lead)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, i, j, H, W)
    return x.reshape(*lead, channels * r * r, height // r, width // r)


def check_upscale_factor(op, name, input, factor) -> int:
    """``pixel_shuffle`` / ``pixel_unshuffle``: input ``(*, C, H, W)`` and a positive int factor;
    returns the factor.

    >>> check_upscale_factor("pixel_shuffle", "upscale_factor", torch.zeros(1, 3, 2, 2), 2)
    Traceback (most recent call last):
        ...
    ValueError: pixel_shuffle: input channels (3) must be divisible by upscale_factor**2 = 4: each output channel is built from 2x2 input channels.
    """
    utils.check_tensor("input", input)
    factor = utils.check_int(name, factor, minimum=1)
    if input.dim() < 3:
        raise ValueError(
            f"{op}: input must be (*, C, H, W) with at least 3 dims, got a {input.dim()}-D tensor of shape "
            f"{utils.shape_of(input)}. Add a channel axis with input[None]."
        )
    channels, height, width = input.shape[-3:]
    if op == "pixel_shuffle" and channels % (factor * factor):
        raise ValueError(
            f"pixel_shuffle: input channels ({channels}) must be divisible by {name}**2 = {factor * factor}: "
            f"each output channel is built from {factor}x{factor} input channels."
        )
    if op == "pixel_unshuffle" and (height % factor or width % factor):
        raise ValueError(
            f"pixel_unshuffle: height ({height}) and width ({width}) must be divisible by {name} ({factor}); "
            f"crop or pad the input first."
        )
    return factor


# ----------------------------------------------------------------------------
# max-unpooling
# ----------------------------------------------------------------------------


def max_unpoolnd(input, indices, kernel_size, stride=None, padding=0, output_size=None, n=None):
    """Partial inverse of max pooling: put each value back where its maximum came from, zeros elsewhere.

    Args:
        input: ``(N, C, S1, ..., Sn)`` or unbatched ``(C, S1, ..., Sn)``: the pooled values (``N`` may
            be 0).
        indices: same shape, int64: the flat position (within one ``(N, C)`` plane of the
            unpooled output) of each maximum, as returned by ``max_poolNd(..., return_indices=True)``.
        kernel_size, stride (default: ``kernel_size``), padding: those of the pooling.
        output_size: the spatial size to restore (``n`` ints, or ``n + 2``), default
            ``(i - 1)*s - 2p + k`` per axis; needed when the pooling dropped a remainder.
        n: number of spatial axes (default: ``len(kernel_size)`` for a tuple, else ``input.dim() - 2``).

    Returns:
        ``(N, C, *output_size)`` (unbatched in, unbatched out).

    >>> values, indices = torch.tensor([[[5.0, 3.0]]]), torch.tensor([[[1, 2]]])  # max_pool1d of [1, 5, 3, 2], kernel 2
    >>> max_unpoolnd(values, indices, kernel_size=2)
    tensor([[[0., 5., 3., 0.]]])
    """
    if n is None:
        n = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else utils.check_tensor("input", input).dim() - 2
    op = f"max_unpool{n}d"
    size = unpool_output_size(op, input, indices, kernel_size, stride, padding, output_size, n)
    lead = input.shape[:-n]  # (N, C) or (C,)
    pooled, plane = math.prod(input.shape[-n:]), math.prod(size)  # elements in one (N, C) plane of input and output
    values = input.reshape(*lead, pooled)  # explicit sizes: -1 is undetermined for an empty batch
    where = indices.reshape(*lead, pooled)
    if where.numel() and (where.min() < 0 or where.max() >= plane):
        bad = where[(where < 0) | (where >= plane)][0].item()
        raise ValueError(
            f"{op}: indices must lie in 0..{plane - 1} (the output plane {size} has {plane} elements), found {bad}. "
            f"Pass the indices from the max_pool call that produced this input, and its kernel_size, stride and padding."
        )
    out = values.new_zeros((*lead, plane)).scatter(-1, where, values)
    return out.reshape(*lead, *size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling over ``(N, C, L)`` or ``(C, L)``; see :func:`max_unpoolnd`.

    >>> max_unpool1d(torch.tensor([[7.0]]), torch.tensor([[2]]), kernel_size=3)   # (C, L) = (1, 1) -> (1, 3)
    tensor([[0., 0., 7.]])
    """
    return max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, n=1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling over ``(N, C, H, W)`` or ``(C, H, W)``; see :func:`max_unpoolnd`.

    >>> max_unpool2d(torch.tensor([[[7.0]]]), torch.tensor([[[3]]]), kernel_size=2)  # (1, 1, 1) -> (1, 2, 2)
    tensor([[[0., 0.],
             [0., 7.]]])
    """
    return max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, n=2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; see :func:`max_unpoolnd`.

    >>> max_unpool3d(torch.ones(1, 1, 1, 1), torch.tensor([[[[7]]]]), kernel_size=2).flatten().tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    """
    return max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, n=3)


def unpool_output_size(op, input, indices, kernel_size, stride, padding, output_size, n) -> tuple[int, ...]:
    """Check the arguments of ``max_unpool{n}d`` and return its output spatial size.

    The default is ``(i - 1)*s - 2p + k`` per axis; an explicit ``output_size``
    (``n`` ints, or ``n + 2`` with N and C first) must lie strictly between
    ``default - stride`` and ``default + stride``, as in torch.

    >>> x, i = torch.zeros(2, 3, 2, 2), torch.zeros(2, 3, 2, 2, dtype=torch.long)
    >>> unpool_output_size("max_unpool2d", x, i, 2, None, 0, None, 2), unpool_output_size("max_unpool2d", x, i, 2, None, 0, (5, 4), 2)
    ((4, 4), (5, 4))
    """
    utils.check_tensor("input", input)
    utils.check_tensor("indices", indices)
    if input.dim() not in (n + 1, n + 2):
        raise ValueError(
            f"{op}: input must be {n + 2}-D {utils.layout(n)} or unbatched {n + 1}-D {utils.layout(n, batched=False)}, "
            f"got a {input.dim()}-D tensor of shape {utils.shape_of(input)}."
        )
    if indices.dtype != torch.int64:
        raise TypeError(
            f"{op}: indices must be int64 (as returned by max_pool with return_indices=True), got {indices.dtype}; "
            f"use indices.long()."
        )
    if indices.shape != input.shape:
        raise ValueError(
            f"{op}: indices must have the input's shape {utils.shape_of(input)}, got {utils.shape_of(indices)}; pass the "
            f"indices that max_pool returned together with this input."
        )
    if any(s < 1 for s in input.shape[-n:]):
        raise ValueError(
            f"{op}: input must be non-empty on every spatial axis, got shape {utils.shape_of(input)}; max_pool never "
            f"produces an empty spatial axis (an empty batch N = 0 is fine)."
        )
    kernel_size = utils.as_tuple("kernel_size", kernel_size, n, minimum=1)
    stride = kernel_size if stride is None else utils.as_tuple("stride", stride, n, minimum=1)
    padding = utils.as_tuple("padding", padding, n, minimum=0)
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(input.shape[-n:], stride, padding, kernel_size))
    if output_size is None:
        size = default
    else:
        if not isinstance(output_size, (tuple, list, torch.Size)) or len(output_size) not in (n, n + 2):
            raise ValueError(
                f"{op}: output_size must be a sequence of {n} ints (or {n + 2} with N and C first), got {output_size!r}."
            )
        size = tuple(utils.check_int(f"output_size[{i}]", v) for i, v in enumerate(tuple(output_size)[-n:]))
        for axis, (o, d, s) in enumerate(zip(size, default, stride)):
            if not d - s < o < d + s:
                raise ValueError(
                    f"{op}: output_size {tuple(output_size)} is impossible on spatial axis {axis}: max_pool with "
                    f"kernel_size {kernel_size}, stride {stride}, padding {padding} gives this input's size from "
                    f"{d - s + 1}..{d + s - 1} only (default {d})."
                )
    if any(o < 1 for o in size):
        raise ValueError(f"{op}: output size {size} must be positive; use less padding.")
    return size
