"""Upsampling without learning: interpolation, pixel shuffle and max-unpooling.

Taught in lesson 08 (upsampling). ``interpolate`` mirrors
``torch.nn.functional.interpolate`` with its full signature (``size``,
``scale_factor``, ``mode``, ``align_corners``, ``recompute_scale_factor``,
``antialias``). Every mode answers, for each output position ``o`` on each
axis, *which input elements does it read, and with what weights?*

    nearest        one input: floor(o * scale)                         (torch's legacy rule)
    nearest-exact one input: floor((o + 0.5) * scale) (the pixel whose centre is nearest) linear two
    inputs around the source position, weights 1 - t and t bicubic four inputs around it, weights
    from Keys' cubic with A = -0.75 area the mean of inputs floor(o * in / out) .. ceil((o + 1) * in
    / out) - 1
                   (adaptive average pooling)
    antialias=True (bilinear, bicubic) the triangle / Keys (A = -0.5) filter, stretched by
                   the scale when downsampling so that every input is read, weights normalised

(torch's 2-D nearest kernel adds two shortcuts, copy for an unchanged size and
``o // 2`` for a doubled one, whatever the scale factor; see :func:`nearest_indices`.)

Here ``scale = 1 / scale_factor`` when a scale factor is given (torch's default
``recompute_scale_factor=None``), else ``input_size / output_size`` (also with
``recompute_scale_factor=True``, which keeps only the output size a factor gives).
The source position of output ``o`` is

    align_corners=False (o + 0.5) * scale - 0.5 pixel *centres* line up (clamped at 0 for linear)
    align_corners=True o * (input_size - 1) / (output_size - 1) the corner pixels line up

The weights of one axis form a small matrix ``A`` (output size x input size),
and the modes with several spatial axes are separable: bilinear is linear along
H, then along W. So 2-D and 3-D interpolation is a product with one small matrix
per axis, which is also how this module computes it: ``x @ A_w.T`` along the
last axis, ``A_h @ x`` along the one before, and so on.

To match torch bit for bit where it matters (which input a nearest output
reads), the index arithmetic follows torch's CPU kernel: positions are computed
in float32 (float64 for float64 input) and rounded down after a cast to float32.

Empty batches (N = 0) and empty channel axes (C = 0) give empty results of the
right shape (torch refuses C = 0 in most interpolation modes and in batched
max-unpooling). Where torch 2.13's CPU kernels disagree with their own
definition, this module follows the definition: antialias with an output width
of 1 (torch gives every output row the weights of row 0), ``pixel_unshuffle``
of an empty tensor (torch returns the input's shape), and the gradient of
bicubic and antialias on an axis that a scale factor other than 1 leaves at its
size (ours is the transpose of the forward pass; torch's backward is not).

The argument checks of these operations live here too, beside the operations
(as torch keeps ``_output_padding`` beside ``ConvTranspose``): see
:func:`check_interpolate_mode`, :func:`interpolate_size`,
:func:`check_upscale_factor` and :func:`unpool_output_size`.
"""
from __future__ import annotations

import math
import numbers

import torch

from course_lib import utils

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
    """Keys' cubic convolution kernel at ``distance`` (a tensor, any shape; 0 where ``|d| >= 2``).

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
