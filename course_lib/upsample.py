"""Upsampling without learning: interpolation (nearest, linear, bicubic, area).

Taught in lesson 08 (upsampling). ``interpolate`` mirrors ``torch.nn.functional.interpolate``
with its full signature (``size``, ``scale_factor``, ``mode``, ``align_corners``,
``recompute_scale_factor``, ``antialias``). Every mode answers, for each output position ``o`` on
each axis, *which input elements does it read, and with what weights?* ::

    nearest         one input: floor(o * scale)             (torch's legacy rule)
    nearest-exact   one input: floor((o + 0.5) * scale)     (the pixel whose centre is nearest)
    linear          two inputs around the source position, weights 1 - t and t
    bicubic         four inputs around it, weights from Keys' cubic with A = -0.75
    area            the mean of inputs floor(o * in / out) .. ceil((o + 1) * in / out) - 1
                    (adaptive average pooling)
    antialias=True  (bilinear, bicubic) the triangle / Keys (A = -0.5) filter, stretched by
                    the scale when downsampling so that every input is read, weights normalised

(torch's 2-D nearest kernel adds two shortcuts, copy for an unchanged size and ``o // 2`` for a
doubled one, whatever the scale factor; see :func:`nearest_indices`.)

Here ``scale = 1 / scale_factor`` when a scale factor is given (torch's default
``recompute_scale_factor=None``), else ``input_size / output_size`` (also with
``recompute_scale_factor=True``, which keeps only the output size a factor gives). The source
position of output ``o`` is ::

    align_corners=False   (o + 0.5) * scale - 0.5                    pixel centres line up
                                                                     (clamped at 0 for linear)
    align_corners=True    o * (input_size - 1) / (output_size - 1)   the corner pixels line up

The weights of one axis form a small matrix ``A`` (output size x input size), and the modes with
several spatial axes are separable: bilinear is linear along H, then along W. So 2-D and 3-D
interpolation is a product with one small matrix per axis, which is also how this module computes
it: ``x @ A_w.T`` along the last axis, ``A_h @ x`` along the one before, and so on.

To match torch bit for bit where it matters (which input a nearest output reads), the index
arithmetic follows torch's CPU kernel: positions are computed in float32 (float64 for float64 input)
and rounded down after a cast to float32.

Empty batches (N = 0) and empty channel axes (C = 0) give empty results of the right shape (torch
refuses C = 0 in most interpolation modes). Where torch 2.13's CPU kernels disagree with their own
definition, this module follows the definition: antialias with an output width of 1 (torch gives
every output row the weights of row 0), and the gradient of bicubic and antialias on an axis that a
scale factor other than 1 leaves at its size (ours is the transpose of the forward pass; torch's
backward is not).

The argument checks of these operations live here too, beside the operations (as torch keeps
``_output_padding`` beside ``ConvTranspose``): see :func:`check_interpolate_mode` and
:func:`interpolate_size`.

Pixel shuffle and max-unpooling, the upsampling that moves values instead of interpolating them,
live in :mod:`course_lib.shuffle_unpool`; this module re-exports their public names (a plain
import below), so that ``upsample.pixel_shuffle`` and ``upsample.max_unpool2d`` work as lesson 08
calls them.
"""
from __future__ import annotations

import numbers

import torch

from course_lib import utils
from course_lib.shuffle_unpool import (  # re-exported: the lessons call upsample.pixel_shuffle, ...
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
    max_unpoolnd,
    pixel_shuffle,
    pixel_unshuffle,
)

CUBIC_A = -0.75
"""The free parameter of Keys' cubic convolution kernel that torch (and OpenCV) use."""

ANTIALIAS_CUBIC_A = -0.5
"""The cubic's parameter in torch's antialiased bicubic filter (as PIL uses)."""

INTERPOLATE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic", "area")
_MODE_AXES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # the others take 1, 2 or 3 spatial axes
_ALIGNABLE = ("linear", "bilinear", "trilinear", "bicubic")
_ANTIALIASABLE = ("bilinear", "bicubic")


# ----------------------------------------------------------------------------
# interpolate
# ----------------------------------------------------------------------------


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of ``input`` as ``torch.nn.functional.interpolate`` does.

    Args:
        input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` (``N`` may be 0).
            ``linear`` needs 3-D, ``bilinear`` and ``bicubic`` 4-D, ``trilinear`` 5-D input.
        size: output spatial size, an int or one int per spatial axis.
        scale_factor: a number or one per spatial axis; the output size is
            ``floor(input_size * scale_factor)``. Give exactly one of ``size`` and ``scale_factor``.
        mode: ``"nearest"``, ``"nearest-exact"``, ``"linear"``, ``"bilinear"``, ``"trilinear"``,
            ``"bicubic"`` or ``"area"``.
        align_corners: for the interpolating modes only; ``None`` means ``False``.
        recompute_scale_factor: ``True`` keeps only the output size that ``scale_factor``
            gives and uses ``input_size / output_size`` as the scale (with ``size`` it is an error).
            ``area`` always works this way.
        antialias: for ``bilinear`` and ``bicubic`` only: when downsampling, widen the
            filter by the scale so that every input contributes (see :func:`antialias_matrix`).

    Returns:
        ``(N, C, *size)``, same dtype and device; differentiable.

    >>> x = torch.tensor([[[1.0, 2.0, 4.0]]])                 # (N, C, L) = (1, 1, 3)
    >>> interpolate(x, scale_factor=2, mode="linear")
    tensor([[[1.0000, 1.2500, 1.7500, 2.5000, 3.5000, 4.0000]]])
    >>> interpolate(x, size=2, mode="area")                  # means of [1, 2] and [2, 4]
    tensor([[[1.5000, 3.0000]]])
    """
    align = check_interpolate_mode(input, mode, align_corners, antialias)
    out_size, factors = interpolate_size(input, size, scale_factor, recompute_scale_factor)
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
            matrix = interpolation_matrix(in_len, out_len, mode, align, factors[axis], input.dtype, input.device, antialias)
            out = _along_axis(out, 2 + axis, matrix)
    return out


def nearest_indices(in_size, out_size, scale_factor=None, exact=False, dtype=torch.float32, device=None, two_d=False):
    """The input index that each output position copies, for one axis: ``(out_size,)`` int64.

    ``nearest``: ``floor(o * scale)``; ``nearest-exact``: ``floor((o + 0.5) * scale)``
    (clamped to ``in_size - 1``), with ``scale`` as in :func:`source_scale`.

    torch's 2-D CPU kernel (``two_d=True``) keeps an older variant: ``nearest`` copies
    when the size is unchanged and takes ``o // 2`` when it doubles (whatever the
    scale factor), and it always computes in float32. The ``o // 2`` shortcut is
    CPU-only: torch's CUDA kernel takes ``floor(o * scale)`` (the 1-D rule) there, so
    ``scale_factor=2.1`` on 3 pixels reads ``[0, 0, 1, 1, 2, 2]`` on a CPU and
    ``[0, 0, 0, 1, 1, 2]`` on a GPU.

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


def interpolation_matrix(in_size, out_size, mode="linear", align_corners=False, scale_factor=None, dtype=torch.float32, device=None, antialias=False):
    """The ``(out_size, in_size)`` matrix ``A`` of one axis: ``output = A @ input`` along that axis.

    ``mode`` is ``"linear"`` (also for bilinear and trilinear: one axis of them),
    ``"bicubic"`` or ``"area"`` (see :func:`area_matrix`); ``antialias=True`` builds
    the antialiased filter of :func:`antialias_matrix` instead. Each row holds the
    weights of the inputs one output reads: two for linear, four for bicubic (taps
    that fall outside the input are clamped to the border, so their weights add up
    on the edge element).

    >>> interpolation_matrix(2, 4)
    tensor([[1.0000, 0.0000],
            [0.7500, 0.2500],
            [0.2500, 0.7500],
            [0.0000, 1.0000]])
    """
    utils.check_choice("mode", mode, ("linear", "bilinear", "trilinear", "bicubic", "area"))
    if mode == "area":
        return area_matrix(in_size, out_size, dtype, device)
    if antialias:
        return antialias_matrix(in_size, out_size, mode, align_corners, scale_factor, dtype, device)
    if mode == "bicubic":
        index, weight = cubic_taps(in_size, out_size, align_corners, scale_factor, dtype, device)
    else:
        index, weight = linear_taps(in_size, out_size, align_corners, scale_factor, dtype, device)
    rows = torch.arange(out_size, device=device).expand_as(index)
    matrix = torch.zeros(out_size, in_size, dtype=dtype, device=device)
    return matrix.index_put_((rows.reshape(-1), index.reshape(-1)), weight.reshape(-1), accumulate=True)


def source_scale(in_size, out_size, align_corners=False, scale_factor=None, dtype=torch.float32) -> torch.Tensor:
    """How far apart, in input pixels, neighbouring output pixels are (a 0-d tensor).

    ``align_corners=True``: ``(in - 1) / (out - 1)`` (0 for a single output).
    Otherwise ``1 / scale_factor`` if one was given, else ``in / out``.
    Computed in float64 for float64 input and in float32 otherwise, as torch does.

    >>> source_scale(3, 6), source_scale(3, 6, align_corners=True), source_scale(3, 6, scale_factor=2.1)
    (tensor(0.5000), tensor(0.4000), tensor(0.4762))
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

    >>> index, weight = linear_taps(2, 4)          # sources clamped at 0, then 0.25, 0.75, 1.25
    >>> index.tolist(), weight.tolist()              # the last one reads x[1] twice
    ([[0, 0, 0, 1], [1, 1, 1, 1]], [[1.0, 0.75, 0.25, 0.75], [0.0, 0.25, 0.75, 0.25]])
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

    >>> index, weight = cubic_taps(4, 2)           # sources at 0.5 and 2.5
    >>> index.tolist()
    [[0, 1], [0, 2], [1, 3], [2, 3]]
    >>> weight.T
    tensor([[-0.0938,  0.5938,  0.5938, -0.0938],
            [-0.0938,  0.5938,  0.5938, -0.0938]])
    """
    scale = source_scale(in_size, out_size, align_corners, scale_factor, dtype)
    real = _source_position(scale, out_size, align_corners, clamp=False)
    left, t = _left_and_fraction(real, in_size)
    index = torch.stack([(left + j).clamp(0, in_size - 1) for j in (-1, 0, 1, 2)])
    weight = torch.stack([cubic_kernel(1 + t), cubic_kernel(t), cubic_kernel(1 - t), cubic_kernel(2 - t)])
    return index.to(device), weight.to(dtype).to(device)


def cubic_kernel(distance, a=CUBIC_A):
    """Keys' cubic convolution kernel at ``distance`` (a tensor, any shape; 0 where ``|d| >= 2``)::

        |d| <= 1:      (a + 2)|d|^3 - (a + 3)|d|^2 + 1
        1 < |d| < 2:   a|d|^3 - 5a|d|^2 + 8a|d| - 4a

    >>> cubic_kernel(torch.tensor([0.0, 0.5, 1.0, 1.5, 2.5]))
    tensor([ 1.0000,  0.5938,  0.0000, -0.0938,  0.0000])
    """
    d = distance.abs()
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return torch.where(d <= 1, near, torch.where(d < 2, far, torch.zeros_like(d)))


def triangle_kernel(distance):
    """The linear-interpolation ("tent") kernel ``max(0, 1 - |d|)``, elementwise.

    >>> triangle_kernel(torch.tensor([0.0, 0.25, 1.0, 1.5]))
    tensor([1.0000, 0.7500, 0.0000, 0.0000])
    """
    return (1 - distance.abs()).clamp(min=0)


def area_matrix(in_size, out_size, dtype=torch.float32, device=None):
    """``mode="area"`` on one axis, an ``(out_size, in_size)`` matrix: adaptive average pooling.

    Output ``o`` is the mean of inputs ``start .. end - 1`` with
    ``start = floor(o * in / out)`` and ``end = ceil((o + 1) * in / out)``
    (windows overlap when ``in / out`` is not an integer, and repeat an input when upsampling).

    >>> area_matrix(5, 3)
    tensor([[0.5000, 0.5000, 0.0000, 0.0000, 0.0000],
            [0.0000, 0.3333, 0.3333, 0.3333, 0.0000],
            [0.0000, 0.0000, 0.0000, 0.5000, 0.5000]])
    """
    o = torch.arange(out_size)
    start = (o * in_size) // out_size
    end = -((-(o + 1) * in_size) // out_size)  # ceil division in integers
    j = torch.arange(in_size)
    inside = (j >= start[:, None]) & (j < end[:, None])  # (out, in)
    return (inside.to(dtype) / (end - start).to(dtype)[:, None]).to(device)


def antialias_matrix(in_size, out_size, mode="bilinear", align_corners=False, scale_factor=None, dtype=torch.float32, device=None):
    """``antialias=True`` on one axis, an ``(out_size, in_size)`` matrix (torch's separable AA kernel).

    Output ``o`` is centred at ``c = scale * (o + 0.5)`` in input coordinates (``scale`` as in
    :func:`source_scale`, so ``align_corners`` changes it); input ``j`` has its centre at ``j + 0.5``.
    Its weight is ``filter((j + 0.5 - c) / max(scale, 1))``, normalised so that each row sums to 1,
    with the triangle kernel for bilinear and Keys' cubic with ``A = -0.5`` for bicubic.
    When downsampling (``scale > 1``) the filter is stretched by ``scale``: each output
    averages over all the inputs it covers instead of sampling two or four of them.
    torch leaves an axis whose size does not change untouched (the identity).

    >>> antialias_matrix(4, 2)   # tent of half-width 2 at centres 1 and 3: 0.75, 0.75, 0.25 over their sum 1.75
    tensor([[0.4286, 0.4286, 0.1429, 0.0000],
            [0.0000, 0.1429, 0.4286, 0.4286]])
    """
    if in_size == out_size:
        return torch.eye(in_size, dtype=dtype, device=device)
    scale = source_scale(in_size, out_size, align_corners, scale_factor, dtype)
    if mode == "bicubic":
        def filter_fn(d):
            return cubic_kernel(d, ANTIALIAS_CUBIC_A)
    else:
        filter_fn = triangle_kernel
    centre = scale * (torch.arange(out_size, dtype=scale.dtype) + 0.5)  # (out,)
    inputs = torch.arange(in_size, dtype=scale.dtype) + 0.5  # (in,)
    weight = filter_fn((inputs - centre[:, None]) / scale.clamp(min=1))  # (out, in)
    return (weight / weight.sum(1, keepdim=True)).to(dtype).to(device)


def _source_position(scale, out_size, align_corners, clamp):
    """Source position of every output on one axis, in the precision of ``scale``."""
    o = torch.arange(out_size, dtype=scale.dtype)
    if align_corners:
        return scale * o
    real = scale * (o + 0.5) - 0.5
    return real.clamp(min=0) if clamp else real


def _left_and_fraction(real, in_size):
    """``left = floor(real)`` (rounded in float32 as torch does), at most ``in_size - 1``; ``t`` in
    ``[0, 1]``."""
    left = real.float().floor().long().clamp(max=in_size - 1)
    t = (real - left.to(real.dtype)).clamp(0, 1)
    return left, t


def _along_axis(x, axis, matrix):
    """Apply ``matrix`` ``(out, in)`` along ``axis`` of ``x``: the product with one small matrix."""
    if axis == x.dim() - 1:
        return x @ matrix.T  # (..., in) @ (in, out)
    shape = x.shape
    # Explicit sizes, not -1: an empty batch (N = 0) leaves -1 undetermined.
    rows = x.reshape(shape[:axis].numel(), shape[axis], shape[axis + 1 :].numel())  # (before, in, after)
    out = matrix @ rows  # (out, in) @ (before, in, after) -> (before, out, after)
    return out.reshape(*shape[:axis], matrix.shape[0], *shape[axis + 1 :])


# ----------------------------------------------------------------------------
# interpolate: argument checks
# ----------------------------------------------------------------------------


def check_interpolate_mode(input, mode, align_corners, antialias=False) -> bool:
    """Check ``mode`` against the input's rank, ``align_corners`` and ``antialias``; return
    ``align_corners`` as a bool.

    nearest, nearest-exact and area take ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``;
    linear needs 3-D, bilinear and bicubic 4-D, trilinear 5-D input.
    ``align_corners`` may only be given for the interpolating modes (``None`` means ``False``);
    ``antialias=True`` only for bilinear and bicubic.

    >>> check_interpolate_mode(torch.zeros(1, 1, 4, 4), "bilinear", None)
    False
    >>> check_interpolate_mode(torch.zeros(1, 1, 4, 4), "area", True)
    Traceback (most recent call last):
        ...
    ValueError: align_corners can only be set with the interpolating modes (linear, bilinear, bicubic, trilinear), got align_corners=True with mode='area'. Leave it as None for the nearest and area modes.
    """
    utils.check_tensor("input", input)
    utils.check_choice("mode", mode, INTERPOLATE_MODES)
    wanted = _MODE_AXES.get(mode)
    if wanted is None and input.dim() not in (3, 4, 5):
        raise ValueError(
            f"interpolate: input must be 3-D {utils.layout(1)}, 4-D {utils.layout(2)} or 5-D {utils.layout(3)}, got a "
            f"{input.dim()}-D tensor of shape {utils.shape_of(input)}. Add a batch axis with input[None] if it is one sample."
        )
    if wanted is not None and input.dim() != wanted + 2:
        fits = {1: "linear", 2: "bilinear or bicubic", 3: "trilinear"}.get(input.dim() - 2, "nearest")
        raise ValueError(
            f"interpolate: mode={mode!r} needs {wanted + 2}-D input {utils.layout(wanted)}, got a {input.dim()}-D tensor "
            f"of shape {utils.shape_of(input)}. For {input.dim() - 2} spatial axes use mode={fits!r}"
            + (" (or add the missing batch axis with input[None])." if input.dim() == wanted + 1 else ".")
        )
    if align_corners is not None:
        if mode not in _ALIGNABLE:
            raise ValueError(
                f"align_corners can only be set with the interpolating modes (linear, bilinear, bicubic, trilinear), "
                f"got align_corners={align_corners!r} with mode={mode!r}. Leave it as None for the nearest and area modes."
            )
        if not isinstance(align_corners, bool):
            raise TypeError(f"align_corners must be True, False or None, got {align_corners!r} ({type(align_corners).__name__}).")
    if not isinstance(antialias, bool):
        raise TypeError(f"antialias must be True or False, got {antialias!r} ({type(antialias).__name__}).")
    if antialias and mode not in _ANTIALIASABLE:
        hint = " (area already averages every input it covers)" if mode == "area" else ""
        raise ValueError(
            f"antialias=True works only with mode='bilinear' or mode='bicubic' on 4-D input, as in torch; got "
            f"mode={mode!r}{hint}. Use antialias=False, or resize with mode='bilinear' and antialias=True."
        )
    return bool(align_corners)


def interpolate_size(input, size=None, scale_factor=None, recompute_scale_factor=None):
    """The output spatial size of ``interpolate`` and the scale factors to use (``None``: use in / out).

    Exactly one of ``size`` (int or one int per spatial axis) and
    ``scale_factor`` (number or one per axis) must be given. With a scale
    factor, the output size is ``floor(input_size * scale_factor)``; with
    ``recompute_scale_factor=True`` the factors are then dropped (returned as ``None``).

    >>> interpolate_size(torch.zeros(1, 1, 5, 4), scale_factor=1.5)
    ((7, 6), (1.5, 1.5))
    >>> interpolate_size(torch.zeros(1, 1, 5, 4), scale_factor=1.5, recompute_scale_factor=True)
    ((7, 6), None)
    """
    n = input.dim() - 2
    if (size is None) == (scale_factor is None):
        given = "both" if size is not None else "neither"
        raise ValueError(
            f"interpolate needs exactly one of size and scale_factor, got {given}: size={size!r}, "
            f"scale_factor={scale_factor!r}. Give the output size, e.g. size={tuple(2 * s for s in input.shape[2:])}, "
            f"or a factor, e.g. scale_factor=2."
        )
    if recompute_scale_factor is not None and not isinstance(recompute_scale_factor, bool):
        raise TypeError(
            f"recompute_scale_factor must be True, False or None, got {recompute_scale_factor!r} "
            f"({type(recompute_scale_factor).__name__})."
        )
    if recompute_scale_factor and size is not None:
        raise ValueError(
            f"recompute_scale_factor=True only applies to scale_factor (the scale is recomputed from the output size "
            f"the factor gives), got it with size={size!r}. Drop recompute_scale_factor, or pass scale_factor instead of size."
        )
    spatial = tuple(input.shape[2:])
    if size is not None:
        out = utils.as_tuple("size", size, n)
        factors = None
    else:
        if isinstance(scale_factor, (tuple, list)):
            if len(scale_factor) != n:
                raise ValueError(
                    f"scale_factor needs one value per spatial axis ({n} here), got {len(scale_factor)}: "
                    f"{tuple(scale_factor)}. Pass a single number or a tuple of {n} numbers."
                )
            factors = tuple(scale_factor)
        else:
            factors = (scale_factor,) * n
        for f in factors:
            if isinstance(f, bool) or not isinstance(f, numbers.Real):
                raise TypeError(f"scale_factor must be a number or a tuple of {n} numbers, got {scale_factor!r}.")
        factors = tuple(float(f) for f in factors)
        if any(not f > 0 or f == float("inf") for f in factors):
            raise ValueError(f"scale_factor must be positive and finite on every axis, got {scale_factor!r}.")
        out = tuple(int(s * f) for s, f in zip(spatial, factors))  # torch truncates the double product
        if recompute_scale_factor:
            factors = None
    if any(o < 1 for o in out) or any(s < 1 for s in spatial):
        how = f"size={size!r}" if size is not None else f"scale_factor={scale_factor!r} (floor(input size x factor))"
        raise ValueError(
            f"interpolate: input and output sizes must be positive on every spatial axis, got input {spatial} and "
            f"output {out} from {how}. Use a larger size or scale_factor."
        )
    return out, factors
