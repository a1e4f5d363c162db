"""Upsampling without learning: interpolation, pixel shuffle and max-unpooling.

``interpolate`` mirrors ``torch.nn.functional.interpolate`` (without
antialiasing). Every mode answers, for each output position ``o`` on each
axis, *which input elements does it read, and with what weights?*

    nearest        one input: floor(o * scale)                         (torch's legacy rule)
    nearest-exact  one input: floor((o + 0.5) * scale)                 (the pixel whose centre is nearest)
    linear         two inputs around the source position, weights 1 - t and t
    bicubic        four inputs around it, weights from Keys' cubic with A = -0.75

(torch's 2-D nearest kernel adds two shortcuts, copy for an unchanged size and
``o // 2`` for a doubled one, whatever the scale factor; see :func:`nearest_indices`.)

Here ``scale = 1 / scale_factor`` when a scale factor is given (torch's default
``recompute_scale_factor=None``), else ``input_size / output_size``. The source
position of output ``o`` is

    align_corners=False   (o + 0.5) * scale - 0.5    pixel *centres* line up (clamped at 0 for linear)
    align_corners=True    o * (input_size - 1) / (output_size - 1)    the corner pixels line up

The weights of one axis form a small matrix ``A`` (output size x input size),
and the modes with several spatial axes are separable: bilinear is linear along
H, then along W. So 2-D and 3-D interpolation is a product with one small matrix
per axis, which is also how this module computes it: ``x @ A_w.T`` along the
last axis, ``A_h @ x`` along the one before, and so on.

To match torch bit for bit where it matters (which input a nearest output
reads), the index arithmetic follows torch's CPU kernel: positions are computed
in float32 (float64 for float64 input) and rounded down after a cast to float32.
"""
from __future__ import annotations

import math

import torch

from course_lib import args

CUBIC_A = -0.75
"""The free parameter of Keys' cubic convolution kernel that torch (and OpenCV) use."""


# ----------------------------------------------------------------------------
# interpolate
# ----------------------------------------------------------------------------


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize the spatial axes of ``input`` as ``torch.nn.functional.interpolate`` does.

    Args:
        input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
            ``linear`` needs 3-D, ``bilinear`` and ``bicubic`` 4-D, ``trilinear`` 5-D input.
        size: output spatial size, an int or one int per spatial axis.
        scale_factor: a number or one per spatial axis; the output size is
            ``floor(input_size * scale_factor)``. Give exactly one of ``size`` and ``scale_factor``.
        mode: ``"nearest"``, ``"nearest-exact"``, ``"linear"``, ``"bilinear"``, ``"trilinear"`` or ``"bicubic"``.
        align_corners: for the interpolating modes only; ``None`` means ``False``.

    Returns:
        ``(N, C, *size)``, same dtype and device; differentiable.
    """
    align = args.check_interpolate_mode(input, mode, align_corners)
    out_size, factors = args.interpolate_size(input, size, scale_factor)
    factors = factors or (None,) * len(out_size)
    out = input
    # Last axis first: each pass resizes one axis and keeps the others.
    for axis in reversed(range(len(out_size))):
        in_len, out_len = input.shape[2 + axis], out_size[axis]
        if mode in ("nearest", "nearest-exact"):
            exact, two_d = mode == "nearest-exact", input.dim() == 4
            index = nearest_indices(in_len, out_len, factors[axis], exact, input.dtype, input.device, two_d)
            out = out.index_select(2 + axis, index)
        else:
            matrix = interpolation_matrix(in_len, out_len, mode, align, factors[axis], input.dtype, input.device)
            out = _along_axis(out, 2 + axis, matrix)
    return out


def nearest_indices(in_size, out_size, scale_factor=None, exact=False, dtype=torch.float32, device=None, two_d=False):
    """The input index that each output position copies, for one axis.

    ``nearest``: ``floor(o * scale)``; ``nearest-exact``: ``floor((o + 0.5) * scale)``
    (clamped to ``in_size - 1``), with ``scale`` as in :func:`source_scale`.

    torch's 2-D kernel (``two_d=True``) keeps an older variant: ``nearest`` copies
    when the size is unchanged and takes ``o // 2`` when it doubles (whatever the
    scale factor), and it always computes in float32.

    >>> nearest_indices(3, 7).tolist()
    [0, 0, 0, 1, 1, 2, 2]
    >>> nearest_indices(3, 7, exact=True).tolist()
    [0, 0, 1, 1, 1, 2, 2]
    """
    o = torch.arange(out_size, device=device)
    if two_d and not exact and out_size == in_size:
        return o
    if two_d and not exact and out_size == 2 * in_size:
        return o // 2
    scale = source_scale(in_size, out_size, False, scale_factor, torch.float32 if two_d else dtype)
    o = o.to(scale.dtype)
    if two_d and exact:
        index = ((o + 0.5) * scale).floor()
    elif exact:
        real = (scale * (o + 0.5) - 0.5).clamp(min=0)
        index = (real.double() + 0.5).float().floor()  # torch adds 0.5 in double, rounds down in float32
    else:
        index = (scale * o).float().floor()  # torch rounds down in float32 (floorf)
    return index.long().clamp(max=in_size - 1)


def interpolation_matrix(in_size, out_size, mode="linear", align_corners=False, scale_factor=None, dtype=torch.float32, device=None):
    """The ``(out_size, in_size)`` matrix ``A`` of one axis: ``output = A @ input`` along that axis.

    ``mode`` is ``"linear"`` (also for bilinear and trilinear: one axis of them)
    or ``"bicubic"``. Each row holds the weights of the inputs one output reads:
    two for linear, four for bicubic (taps that fall outside the input are
    clamped to the border, so their weights add up on the edge element).

    >>> interpolation_matrix(2, 4)
    tensor([[1.0000, 0.0000],
            [0.7500, 0.2500],
            [0.2500, 0.7500],
            [0.0000, 1.0000]])
    """
    if mode in ("linear", "bilinear", "trilinear"):
        index, weight = linear_taps(in_size, out_size, align_corners, scale_factor, dtype, device)
    elif mode == "bicubic":
        index, weight = cubic_taps(in_size, out_size, align_corners, scale_factor, dtype, device)
    else:
        args.check_choice("mode", mode, ("linear", "bilinear", "trilinear", "bicubic"))
    rows = torch.arange(out_size, device=device).expand_as(index)
    matrix = torch.zeros(out_size, in_size, dtype=dtype, device=device)
    return matrix.index_put_((rows.reshape(-1), index.reshape(-1)), weight.reshape(-1), accumulate=True)


def source_scale(in_size, out_size, align_corners=False, scale_factor=None, dtype=torch.float32) -> torch.Tensor:
    """How far apart, in input pixels, neighbouring output pixels are (a 0-d tensor).

    ``align_corners=True``: ``(in - 1) / (out - 1)`` (0 for a single output).
    Otherwise ``1 / scale_factor`` if one was given, else ``in / out``.
    Computed in float64 for float64 input and in float32 otherwise, as torch does.
    """
    opmath = torch.float64 if dtype == torch.float64 else torch.float32
    if align_corners:
        if out_size > 1:
            return torch.tensor(in_size - 1, dtype=opmath) / (out_size - 1)
        return torch.tensor(0, dtype=opmath)
    if scale_factor is not None and scale_factor > 0:
        return torch.tensor(1.0 / scale_factor, dtype=opmath)
    return torch.tensor(in_size, dtype=opmath) / out_size


def linear_taps(in_size, out_size, align_corners=False, scale_factor=None, dtype=torch.float32, device=None):
    """Indices and weights of linear interpolation on one axis: two taps per output.

    Returns ``(index, weight)``, each ``(2, out_size)``: output ``o`` is
    ``weight[0, o] * x[index[0, o]] + weight[1, o] * x[index[1, o]]``.
    """
    o = torch.arange(out_size)
    if in_size == out_size:  # torch copies (even when scale_factor says otherwise)
        index = torch.stack([o, o])
        weight = torch.stack([torch.ones(out_size, dtype=dtype), torch.zeros(out_size, dtype=dtype)])
        return index.to(device), weight.to(device)
    scale = source_scale(in_size, out_size, align_corners, scale_factor, dtype)
    real = _source_position(scale, out_size, align_corners, clamp=True)
    left, t = _left_and_fraction(real, in_size)
    right = left + (left < in_size - 1).long()
    t = t.to(dtype)
    return torch.stack([left, right]).to(device), torch.stack([1 - t, t]).to(device)


def cubic_taps(in_size, out_size, align_corners=False, scale_factor=None, dtype=torch.float32, device=None):
    """Indices and weights of bicubic interpolation on one axis: four taps per output.

    Output ``o`` at source position ``left + t`` reads ``x[left - 1 .. left + 2]``
    (clamped to the border) with Keys' cubic weights for distances ``1 + t, t, 1 - t, 2 - t``.
    Returns ``(index, weight)``, each ``(4, out_size)``.
    """
    scale = source_scale(in_size, out_size, align_corners, scale_factor, dtype)
    real = _source_position(scale, out_size, align_corners, clamp=False)
    left, t = _left_and_fraction(real, in_size)
    index = torch.stack([(left + j).clamp(0, in_size - 1) for j in (-1, 0, 1, 2)])
    weight = torch.stack([cubic_kernel(1 + t), cubic_kernel(t), cubic_kernel(1 - t), cubic_kernel(2 - t)])
    return index.to(device), weight.to(dtype).to(device)


def cubic_kernel(distance, a=CUBIC_A):
    """Keys' cubic convolution kernel at ``distance`` (``|d| <= 2``).

        |d| <= 1:      (a + 2)|d|^3 - (a + 3)|d|^2 + 1
        1 < |d| < 2:   a|d|^3 - 5a|d|^2 + 8a|d| - 4a
    """
    d = distance.abs()
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return torch.where(d <= 1, near, far)


def _source_position(scale, out_size, align_corners, clamp):
    """Source position of every output on one axis, in the precision of ``scale``."""
    o = torch.arange(out_size, dtype=scale.dtype)
    if align_corners:
        return scale * o
    real = scale * (o + 0.5) - 0.5
    return real.clamp(min=0) if clamp else real


def _left_and_fraction(real, in_size):
    """``left = floor(real)`` (rounded in float32 as torch does), at most ``in_size - 1``; ``t`` in ``[0, 1]``."""
    left = real.float().floor().long().clamp(max=in_size - 1)
    t = (real - left.to(real.dtype)).clamp(0, 1)
    return left, t


def _along_axis(x, axis, matrix):
    """Apply ``matrix`` ``(out, in)`` along ``axis`` of ``x``: the product with one small matrix."""
    if axis == x.dim() - 1:
        return x @ matrix.T  # (..., in) @ (in, out)
    shape = x.shape
    rows = x.reshape(-1, shape[axis], shape[axis + 1 :].numel())  # (before, in, after)
    out = matrix @ rows  # (out, in) @ (before, in, after) -> (before, out, after)
    return out.reshape(*shape[:axis], matrix.shape[0], *shape[axis + 1 :])


# ----------------------------------------------------------------------------
# pixel shuffle
# ----------------------------------------------------------------------------


def pixel_shuffle(input, upscale_factor):
    """Move channels into space: ``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``.

    Output pixel ``(c, h*r + i, w*r + j)`` is input ``(c*r*r + i*r + j, h, w)``:
    each group of ``r*r`` channels becomes one ``r x r`` block of a channel.
    One reshape, one permute and one copy (as ``torch.nn.functional.pixel_shuffle``).
    """
    r = args.check_upscale_factor("pixel_shuffle", "upscale_factor", input, upscale_factor)
    *lead, channels, height, width = input.shape
    x = input.reshape(*lead, channels // (r * r), r, r, height, width)  # (*, C, i, j, H, W)
    k = len(lead)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, i, W, j)
    return x.reshape(*lead, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input, downscale_factor):
    """Move space into channels: ``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``; undoes :func:`pixel_shuffle`."""
    r = args.check_upscale_factor("pixel_unshuffle", "downscale_factor", input, downscale_factor)
    *lead, channels, height, width = input.shape
    x = input.reshape(*lead, channels, height // r, r, width // r, r)  # (*, C, H, i, W, j)
    k = len(lead)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, i, j, H, W)
    return x.reshape(*lead, channels * r * r, height // r, width // r)


# ----------------------------------------------------------------------------
# max-unpooling
# ----------------------------------------------------------------------------


def max_unpoolnd(input, indices, kernel_size, stride=None, padding=0, output_size=None, n=None):
    """Partial inverse of max pooling: put each value back where its maximum came from, zeros elsewhere.

    Args:
        input: ``(N, C, S1, ..., Sn)`` or unbatched ``(C, S1, ..., Sn)``: the pooled values.
        indices: same shape, int64: the flat position (within one ``(N, C)`` plane of the
            unpooled output) of each maximum, as returned by ``max_poolNd(..., return_indices=True)``.
        kernel_size, stride (default: ``kernel_size``), padding: those of the pooling.
        output_size: the spatial size to restore (``n`` ints, or ``n + 2``), default
            ``(i - 1)*s - 2p + k`` per axis; needed when the pooling dropped a remainder.
        n: number of spatial axes (default: ``len(kernel_size)`` for a tuple, else ``input.dim() - 2``).

    Returns:
        ``(N, C, *output_size)`` (unbatched in, unbatched out).
    """
    if n is None:
        n = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else args.check_tensor("input", input).dim() - 2
    op = f"max_unpool{n}d"
    size = args.unpool_output_size(op, input, indices, kernel_size, stride, padding, output_size, n)
    plane = math.prod(size)  # elements in one (N, C) plane of the output
    values = input.reshape(*input.shape[:-n], -1)  # (..., prod(S))
    where = indices.reshape(*indices.shape[:-n], -1)
    if where.numel() and (where.min() < 0 or where.max() >= plane):
        bad = where[(where < 0) | (where >= plane)][0].item()
        raise ValueError(
            f"{op}: indices must lie in 0..{plane - 1} (the output plane {size} has {plane} elements), found {bad}. "
            f"Pass the indices from the max_pool call that produced this input, and its kernel_size, stride and padding."
        )
    out = values.new_zeros((*values.shape[:-1], plane)).scatter(-1, where, values)
    return out.reshape(*input.shape[:-n], *size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling over ``(N, C, L)`` or ``(C, L)``; see :func:`max_unpoolnd`."""
    return max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, n=1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling over ``(N, C, H, W)`` or ``(C, H, W)``; see :func:`max_unpoolnd`."""
    return max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, n=2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max-unpooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; see :func:`max_unpoolnd`."""
    return max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, n=3)
