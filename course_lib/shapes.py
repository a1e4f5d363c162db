"""Shape arithmetic of convolutions: output sizes, padding amounts, parameter
counts, multiply-accumulate counts and receptive fields.

All functions take plain ints (or tuples of ints, one per spatial axis) and
return ints (or tuples), so they can be used before any tensor exists. Taught in
lesson 01 (output sizes, 'same' padding), lesson 02 (parameters, receptive
fields) and lesson 04 (multiply-accumulates).

A kernel size given as an int is ambiguous here: ``nn.Conv2d(256, 32, 5)`` has a
5x5 kernel, ``nn.Conv1d(256, 32, 5)`` a length-5 one, and a function that cannot
see the layer cannot tell them apart. So the counting functions
(:func:`conv_params`, :func:`conv_macs`, :func:`receptive_field`) take either a
tuple, one entry per spatial axis, or an int together with ``dims``, the number
of spatial axes.

Imports only the leaf :mod:`course_lib.utils`.
"""
from __future__ import annotations

import math

from course_lib import utils

PADDING_STRINGS = ("valid", "same")


def kernel_span(kernel_size: int, dilation: int = 1) -> int:
    """How many input cells a kernel of ``kernel_size`` taps, ``dilation`` apart, covers: ``d*(k-1) + 1``.

    Taught in lesson 01 (dilation).

    >>> kernel_span(3), kernel_span(3, dilation=2)
    (3, 5)
    """
    return dilation * (kernel_size - 1) + 1


def window_position(output_index, kernel_index, stride=1, dilation=1):
    """The (padded) input index that kernel tap ``k`` reads for output ``o``: ``o*s + k*d``.

    The one rule of a sliding kernel; ints or tensors (broadcast). A transposed
    convolution reads it the other way: input ``i``'s stamp puts tap ``k`` at
    output ``i*s + k*d``. Taught in lesson 01 (stride, dilation).

    >>> window_position(2, 1, stride=3, dilation=2)   # the third window starts at 6; its second tap reads 8
    8
    """
    return output_index * stride + kernel_index * dilation


def output_length(size: int, kernel_size: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
    """One axis of the output-size formula, with ``padding`` per side (as everywhere in the course).

        o = floor((i + 2p - d*(k-1) - 1) / s) + 1

    ``padding`` is an int (the same on both sides) or a ``(before, after)`` pair
    (uneven 'same' padding). The result is not checked: it is 0 or negative when
    the kernel does not fit (:func:`check_kernel_fits` says so).
    Taught in lesson 01 (the formula); :func:`conv_output_size` is the checked version for every axis.

    >>> output_length(10, 3, stride=2, padding=1)
    5
    >>> output_length(10, 4, padding=(1, 2))   # 'same' for an even kernel: 1 before, 2 after
    10
    """
    before, after = padding if isinstance(padding, (tuple, list)) else (padding, padding)
    return (size + before + after - kernel_span(kernel_size, dilation)) // stride + 1


def check_kernel_fits(size, kernel_size, padding, dilation, op=None) -> None:
    """Raise ``ValueError`` unless the (dilated) kernel fits the padded input on every axis.

    ``size``, ``kernel_size`` and ``dilation`` have one int per spatial axis,
    ``padding`` one ``(before, after)`` pair. ``op`` names the calling function
    (``"conv2d"``); with it the message names the axis and shows the arithmetic.
    Every convolution checks this here (through :func:`course_lib.args.conv_args`),
    and so does :func:`conv_output_size`. Taught in lesson 01 (the output-size formula).

    >>> check_kernel_fits((3,), (3,), ((0, 0),), (2,))
    Traceback (most recent call last):
        ...
    ValueError: kernel larger than the padded input on axis 0: kernel spans 5, padded input has 3. Use a smaller kernel or dilation, or more padding.
    """
    for axis, (i, k, (before, after), d) in enumerate(zip(size, kernel_size, padding, dilation)):
        span, padded = kernel_span(k, d), i + before + after
        if padded >= span:
            continue
        if op is None:
            where, arithmetic = f"axis {axis}", ""
        else:
            where = f"spatial axis {axis} ({utils.spatial_names(len(size))[axis]})"
            arithmetic = f" (span = dilation {d} x (kernel {k} - 1) + 1; padded = size {i} + padding {before}+{after})"
        prefix = "" if op is None else f"{op}: "
        raise ValueError(
            f"{prefix}kernel larger than the padded input on {where}: kernel spans {span}, padded input has "
            f"{padded}{arithmetic}. Use a smaller kernel or dilation, or more padding."
        )


def conv_padding(padding, kernel_size, stride=1, dilation=1) -> tuple[tuple[int, int], ...]:
    """The padding of a convolution as ``((before, after), ...)``, one pair per spatial axis.

    ``padding`` is an int or tuple (the same on both sides), ``"valid"`` (none)
    or ``"same"``. ``"same"`` keeps each spatial size, which needs a total of
    ``d*(k-1)`` on each axis (and stride 1). PyTorch puts ``floor(total / 2)``
    before and the rest after, so when the total is odd (an even kernel with an
    odd dilation) the extra element goes *after* (right, bottom); when the total
    is even, both sides get the same, whatever the kernel.
    ``kernel_size`` is a tuple (its length gives the number of axes); stride and
    dilation are ints or tuples. Taught in lesson 01.

    >>> conv_padding("same", (4,))              # total 3: one before, two after
    ((1, 2),)
    >>> conv_padding("same", (4,), dilation=2)  # total 6: three each side
    ((3, 3),)
    >>> conv_padding(1, (3, 3))
    ((1, 1), (1, 1))
    """
    n = len(kernel_size)
    stride = utils.as_tuple("stride", stride, n, minimum=1)
    dilation = utils.as_tuple("dilation", dilation, n, minimum=1)
    if isinstance(padding, str):
        utils.check_choice("padding", padding, PADDING_STRINGS)
        if padding == "valid":
            return ((0, 0),) * n
        if any(s != 1 for s in stride):
            raise ValueError(
                f"padding='same' needs stride 1 on every axis (the output could not keep the input's size), "
                f"got stride={stride}. Use an explicit padding, or stride=1."
            )
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = utils.as_tuple("padding", padding, n)
    if any(p < 0 for p in pads):
        raise ValueError(
            f"padding must be >= 0 on every axis, got {padding!r}. To crop, slice the input instead "
            f"(e.g. x[..., 1:-1]); to pad, use a non-negative int, a tuple, 'valid' or 'same'."
        )
    return tuple((p, p) for p in pads)


def check_output_padding(output_padding, stride, dilation) -> tuple[int, ...]:
    """``output_padding`` (one int per axis) must be smaller than stride or dilation on every axis.

    Taught in lesson 07 (transposed convolution): a stride-2 convolution maps sizes 7 and 8 both to 4,
    so its transpose needs ``output_padding`` to say which one to give back.

    >>> check_output_padding((1,), (2,), (1,))
    (1,)
    >>> check_output_padding((1,), (1,), (2,))   # legal: below the dilation
    (1,)
    """
    for axis, (extra, s, d) in enumerate(zip(output_padding, stride, dilation)):
        if extra >= s and extra >= d:
            raise ValueError(
                f"output_padding must be smaller than stride or dilation on every axis, got output_padding {extra} "
                f"with stride {s} and dilation {d} on spatial axis {axis}. It only picks one of the {max(s, d)} "
                f"output sizes a strided convolution maps to the same input size: use 0..{max(s, d) - 1}."
            )
    return tuple(output_padding)


def _per_axis(name, value, n, minimum):
    return utils.as_tuple(name, value, n, minimum=minimum)


def _axes(*given) -> int:
    """Number of spatial axes implied by the per-axis arguments (all ints means 1)."""
    for v in given:
        if isinstance(v, (tuple, list)):
            return len(v)
    return 1


def _result(values: tuple, *given) -> int | tuple:
    """An int when every per-axis argument was given as an int, else a tuple."""
    return values if any(isinstance(v, (tuple, list)) for v in given) else values[0]


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Spatial output size of a convolution (lesson 01).

    Each argument is an int or a tuple with one entry per spatial axis;
    ``padding`` is per side (as in ``nn.Conv2d``) and may be ``"valid"`` or
    ``"same"``. Returns an int for int input (the size along one axis), else a tuple:

        o = floor((i + 2p - d*(k-1) - 1) / s) + 1

    >>> conv_output_size(5, 2, stride=2, padding=1, dilation=2)
    3
    >>> conv_output_size((224, 224), (7, 7), stride=2, padding=3)
    (112, 112)
    """
    given = (size, kernel_size, stride, padding, dilation)
    n = _axes(*given)
    size = _per_axis("size", size, n, 1)
    kernel = _per_axis("kernel_size", kernel_size, n, 1)
    stride = _per_axis("stride", stride, n, 1)
    dilation = _per_axis("dilation", dilation, n, 1)
    pads = conv_padding(padding, kernel, stride, dilation)
    check_kernel_fits(size, kernel, pads, dilation)
    out = tuple(output_length(i, k, s, p, d) for i, k, s, p, d in zip(size, kernel, stride, pads, dilation))
    return _result(out, *given)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Spatial output size of a transposed convolution (lesson 07).

        o = (i - 1)*s - 2p + d*(k-1) + output_padding + 1

    ``output_padding`` must be smaller than ``stride`` or ``dilation`` (it picks
    one of the input sizes that a strided convolution maps to the same size).

    >>> conv_transpose_output_size(28, 4, stride=2, padding=1)
    56
    """
    given = (size, kernel_size, stride, padding, output_padding, dilation)
    n = _axes(*given)
    size = _per_axis("size", size, n, 1)
    kernel = _per_axis("kernel_size", kernel_size, n, 1)
    stride = _per_axis("stride", stride, n, 1)
    padding = _per_axis("padding", padding, n, 0)
    output_padding = _per_axis("output_padding", output_padding, n, 0)
    dilation = _per_axis("dilation", dilation, n, 1)
    check_output_padding(output_padding, stride, dilation)
    out = []
    for axis, (i, k, s, p, extra, d) in enumerate(zip(size, kernel, stride, padding, output_padding, dilation)):
        o = (i - 1) * s - 2 * p + d * (k - 1) + extra + 1
        if o < 1:
            raise ValueError(
                f"transposed convolution output would be {o} on axis {axis}: padding {p} removes more than "
                f"the {o + 2 * p} elements produced. Use less padding."
            )
        out.append(o)
    return _result(tuple(out), *given)


def kernel_tuple(kernel_size, dims=None, name="kernel_size") -> tuple[int, ...]:
    """The kernel size as one int per spatial axis, refusing an int without ``dims``.

    Used by the counting functions of lessons 02 and 04; see the module docstring for why.

    >>> kernel_tuple((5, 5)), kernel_tuple(5, dims=2), kernel_tuple(3, dims=3)
    ((5, 5), (5, 5), (3, 3, 3))
    """
    if isinstance(kernel_size, (tuple, list)):
        kernel = utils.as_tuple(name, kernel_size, len(kernel_size), minimum=1)
        if dims is not None and utils.check_int("dims", dims, 1) != len(kernel):
            raise ValueError(f"{name}={tuple(kernel)} has {len(kernel)} axes but dims={dims}; give one of them, or make them agree.")
        return kernel
    if dims is None:
        k = utils.check_int(name, kernel_size, 1)
        raise ValueError(
            f"{name}={k} is ambiguous here: nn.Conv2d(..., {k}) has a {k}x{k} kernel, nn.Conv1d(..., {k}) a "
            f"length-{k} one, nn.Conv3d(..., {k}) a {k}x{k}x{k} one. Give one entry per spatial axis, e.g. "
            f"{name}=({k}, {k}), or the number of spatial axes, e.g. {name}={k}, dims=2."
        )
    dims = utils.check_int("dims", dims, 1)
    return utils.as_tuple(name, kernel_size, dims, minimum=1)


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True, dims=None) -> int:
    """Number of learnable parameters of a convolution layer (lesson 02).

    weight: ``C_out * (C_in / groups) * prod(k)``; bias: one per output channel.
    ``kernel_size`` is a tuple, one entry per spatial axis, or an int together
    with ``dims`` (the number of spatial axes: 2 for ``nn.Conv2d``).

    >>> conv_params(256, 32, (5, 5), bias=False)   # nn.Conv2d(256, 32, 5): 256*5*5*32
    204800
    >>> conv_params(256, 32, 5, dims=2, bias=False)
    204800
    >>> conv_params(3, 64, (3, 3))                  # 3*3*3*64 weights + 64 biases
    1792
    """
    in_channels = utils.check_int("in_channels", in_channels, 1)
    out_channels = utils.check_int("out_channels", out_channels, 1)
    groups = utils.check_int("groups", groups, 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by groups ({groups}); "
            f"choose groups that divides both, e.g. their greatest common divisor, "
            f"{math.gcd(in_channels, out_channels)}."
        )
    kernel = kernel_tuple(kernel_size, dims)
    weights = out_channels * (in_channels // groups) * math.prod(kernel)
    return weights + (out_channels if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1, dims=None) -> int:
    """Multiply-accumulates of a convolution for one sample, bias not counted (lesson 04).

    Every output element is a dot product of length ``(C_in / groups) * prod(k)``:
    ``MACs = C_out * prod(output_size) * (C_in / groups) * prod(k)``.
    ``kernel_size`` and ``output_size`` are tuples, one entry per spatial axis,
    or ints together with ``dims``.

    >>> conv_macs(256, 32, (5, 5), (28, 28))   # 204,800 weights, each used at 28*28 positions
    160563200
    """
    if dims is None and isinstance(output_size, (tuple, list)) and not isinstance(kernel_size, (tuple, list)):
        dims = len(output_size)
    kernel = kernel_tuple(kernel_size, dims)
    weights = conv_params(in_channels, out_channels, kernel, groups, bias=False)
    out = _per_axis("output_size", output_size, len(kernel), 1)
    return weights * math.prod(out)


def receptive_field(layers, dims=None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Receptive field and total stride (jump) of a stack of layers, per spatial axis (lesson 02).

    ``layers`` is a sequence of ``(kernel_size, stride)`` or
    ``(kernel_size, stride, dilation)``; the first layer is nearest the input.
    Each entry is a tuple (one value per spatial axis) or an int; when every
    entry is an int, give ``dims``, the number of spatial axes.
    Each layer widens the field by ``d*(k-1)`` input steps of the current jump:

        r_l = r_{l-1} + d_l*(k_l - 1) * j_{l-1},    j_l = j_{l-1} * s_l

    Returns ``(field, jump)``, each a tuple with one entry per axis.

    >>> receptive_field([(3, 1), (3, 1)], dims=2)   # two 3x3 layers see 5x5
    ((5, 5), (1, 1))
    >>> receptive_field([((7, 7), 2), ((3, 3), 2)])
    ((11, 11), (4, 4))
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of (kernel_size, stride[, dilation]) tuples, got {layers!r}.")
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"layers[{i}] must be (kernel_size, stride) or (kernel_size, stride, dilation), got {layer!r}.")
    if dims is None:
        dims = next((len(v) for layer in layers for v in layer if isinstance(v, (tuple, list))), None)
    if dims is None and layers:
        kernel_tuple(layers[0][0], None, name="layers[0] kernel_size")  # raises: ambiguous
    dims = utils.check_int("dims", dims, 1) if dims is not None else 1
    field, jump = [1] * dims, [1] * dims
    for i, layer in enumerate(layers):
        k = utils.as_tuple(f"layers[{i}] kernel_size", layer[0], dims, minimum=1)
        s = utils.as_tuple(f"layers[{i}] stride", layer[1], dims, minimum=1)
        d = utils.as_tuple(f"layers[{i}] dilation", layer[2], dims, minimum=1) if len(layer) == 3 else (1,) * dims
        for axis in range(dims):
            field[axis] += d[axis] * (k[axis] - 1) * jump[axis]
            jump[axis] *= s[axis]
    return tuple(field), tuple(jump)


def kernel_placements(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> list[list[int]]:
    """The input indices each placement of a 1-D kernel reads, with ``padding`` zeros on each side.

    Placement ``j`` starts at padded position ``j*s`` and reads ``k`` cells ``d``
    apart; as input indices that is ``j*s + t*d - p`` for taps ``t = 0..k-1``
    (negative, or ``>= size``: a padding zero). Only placements that fit are
    listed, so there are ``floor((i + 2p - d(k-1) - 1)/s) + 1`` of them (none if
    the kernel does not fit). Lesson 01's output-size explorer draws them.

    >>> kernel_placements(5, 2, stride=2, padding=1, dilation=2)
    [[-1, 1], [1, 3], [3, 5]]
    """
    count = max(0, output_length(size, kernel_size, stride, padding, dilation))
    return [[window_position(j, t, stride, dilation) - padding for t in range(kernel_size)] for j in range(count)]


# ----------------------------------------------------------------------------
# Counts of separable and video blocks (lesson 06): course_lib.separable and course_lib.video
# ----------------------------------------------------------------------------

CSN_KINDS = ("ip", "ir")
"""The two channel-separated blocks: interaction-preserved and interaction-reduced (see :mod:`course_lib.video`)."""


def depthwise_separable_counts(in_channels, out_channels, kernel_size, output_size, multiplier=1, bias=False) -> dict:
    """Parameters and MACs (one sample) of a full convolution and its depthwise-separable version.

    Taught in lesson 06.

    Args:
        in_channels, out_channels: of the layer.
        kernel_size, output_size: ``(kH, kW)`` and ``(H_out, W_out)`` (an int means both axes).
        multiplier: depthwise filters per input channel.
        bias: count biases in the parameters.

    Returns:
        A dict of dicts ``{"params": ..., "macs": ...}`` under the keys ``"full"``,
        ``"depthwise"``, ``"pointwise"``, ``"separable"`` and ``"ratio"`` (separable / full).

    >>> round(depthwise_separable_counts(32, 64, 3, 56)["ratio"]["macs"], 4)  # 1/64 + 1/9
    0.1267
    """
    kernel = utils.as_tuple("kernel_size", kernel_size, 2, minimum=1)
    out = utils.as_tuple("output_size", output_size, 2, minimum=1)
    multiplier = utils.check_int("multiplier", multiplier, minimum=1)
    hidden = in_channels * multiplier
    full = _counts(in_channels, out_channels, kernel, out, 1, bias)
    depthwise = _counts(in_channels, hidden, kernel, out, in_channels, bias)
    pointwise = _counts(hidden, out_channels, (1, 1), out, 1, bias)
    return _with_ratio(full, {"depthwise": depthwise, "pointwise": pointwise})


def spatially_separable_counts(kernel_size, input_size, channels=1, stride=1, padding=0, dilation=1) -> dict:
    """Parameters and MACs (one sample) of a depthwise ``kH x kW`` kernel vs its two 1-D passes.

    Counts what :func:`course_lib.separable.spatially_separable_conv2d` does with the same arguments:
    the vertical ``(kH x 1)`` pass runs over the whole input width, producing an
    ``H_out x W_in`` map (the horizontal pass needs every column of it), and the
    horizontal ``(1 x kW)`` pass turns that into ``H_out x W_out``. For an N x N
    input, an m x m kernel, stride 1 and no padding, that is
    ``(N-m+1)^2 * m^2`` for the full kernel against
    ``(N-m+1)*N*m + (N-m+1)^2*m = (2N-m+1)(N-m+1)*m`` for the two passes
    (the often-quoted ``(2N-2)(N-2)m`` is the m = 3 case). Taught in lesson 06.

    Args:
        kernel_size: ``(kH, kW)`` (an int means both).
        input_size: ``(H, W)`` of the input (an int means both).
        channels: number of channels (each has its own kernel: depthwise).
        stride, padding, dilation: as in :func:`course_lib.separable.spatially_separable_conv2d`.

    >>> c = spatially_separable_counts(3, 10)   # N = 10, m = 3
    >>> c["full"]["macs"], c["vertical"]["macs"], c["horizontal"]["macs"], c["separable"]["macs"]
    (576, 240, 192, 432)
    """
    kh, kw = utils.as_tuple("kernel_size", kernel_size, 2, minimum=1)
    size = utils.as_tuple("input_size", input_size, 2, minimum=1)
    channels = utils.check_int("channels", channels, minimum=1)
    out = conv_output_size(size, (kh, kw), stride, padding, dilation)
    full = _counts(channels, channels, (kh, kw), out, channels, False)
    vertical = _counts(channels, channels, (kh, 1), (out[0], size[1]), channels, False)
    horizontal = _counts(channels, channels, (1, kw), out, channels, False)
    return _with_ratio(full, {"vertical": vertical, "horizontal": horizontal})


def r2plus1d_mid_channels(in_channels, out_channels, kernel_size) -> int:
    """Channels between the spatial and the temporal step that bring the parameter count close to
    the full 3-D layer's. Taught in lesson 06.

    For a ``t x d x d`` kernel (R(2+1)D, Tran et al. 2018):
    ``M = floor(t * d^2 * N_in * N_out / (d^2 * N_in + t * N_out))`` (``d^2`` is ``kH * kW`` in
    general). The counts are equal only when the fraction is a whole number; otherwise the floor
    leaves the two layers a few weights short of the full one.

    >>> r2plus1d_mid_channels(64, 64, 3)   # 144 exactly: 110,592 weights either way
    144
    >>> r2plus1d_mid_channels(16, 32, 3)   # 57.6 rounded down: 13,680 weights against 13,824
    57
    """
    n_in = utils.check_int("in_channels", in_channels, minimum=1)
    n_out = utils.check_int("out_channels", out_channels, minimum=1)
    t, kh, kw = utils.as_tuple("kernel_size", kernel_size, 3, minimum=1)
    return (t * kh * kw * n_in * n_out) // (kh * kw * n_in + t * n_out)


def conv2plus1d_counts(in_channels, out_channels, kernel_size, input_size, stride=1, padding=0, mid_channels=None, bias=False) -> dict:
    """Parameters and MACs (one sample) of a full 3-D convolution and its (2+1)-D factorisation.

    Args:
        in_channels, out_channels: of the layer.
        kernel_size: ``(kT, kH, kW)`` (an int: the same on every axis).
        input_size: ``(T, H, W)`` of the input.
        stride, padding: int or ``(T, H, W)``.
        mid_channels: ``M``; default :func:`r2plus1d_mid_channels` (parameters match).
        bias: count biases in the parameters.

    Returns:
        ``{"full", "spatial", "temporal", "separable", "ratio"}`` like
        :func:`depthwise_separable_counts`, plus ``"mid_channels"``.

    Taught in lesson 06 (grouped and separable).

    >>> c = conv2plus1d_counts(64, 64, 3, (8, 56, 56), padding=1)
    >>> c["mid_channels"], c["full"]["params"], c["separable"]["params"]   # M = 144 keeps the parameters
    (144, 110592, 110592)
    """
    kernel = utils.as_tuple("kernel_size", kernel_size, 3, minimum=1)
    size = utils.as_tuple("input_size", input_size, 3, minimum=1)
    stride = utils.as_tuple("stride", stride, 3, minimum=1)
    padding = utils.as_tuple("padding", padding, 3, minimum=0)
    m = r2plus1d_mid_channels(in_channels, out_channels, kernel) if mid_channels is None else utils.check_int("mid_channels", mid_channels, 1)
    out = conv_output_size(size, kernel, stride, padding)
    # The spatial step keeps T; the temporal step keeps the spatial step's H, W.
    spatial_out = (size[0], out[1], out[2])
    full = _counts(in_channels, out_channels, kernel, out, 1, bias)
    spatial = _counts(in_channels, m, (1, kernel[1], kernel[2]), spatial_out, 1, bias)
    temporal = _counts(m, out_channels, (kernel[0], 1, 1), out, 1, bias)
    result = _with_ratio(full, {"spatial": spatial, "temporal": temporal})
    result["mid_channels"] = m
    return result


def csn_counts(in_channels, mid_channels, out_channels, kernel_size, input_size, kind="ip",
               stride=1, padding=0, bias=False) -> dict:
    """Parameters and MACs (one sample) of a CSN block (:func:`course_lib.video.csn_block`) and of
    the bottleneck it replaces. Taught in lesson 06.

    ``"full"`` is the ResNet bottleneck block ``1x1x1 (C_in -> M)``, ``kxkxk (M -> M)``,
    ``1x1x1 (M -> C_out)``; the parts are the CSN block's convolutions.

    Args:
        in_channels, mid_channels, out_channels: ``C_in``, ``M``, ``C_out``.
        kernel_size: ``(kT, kH, kW)`` of the middle convolution (an int: the same on every axis).
        input_size: ``(T, H, W)`` of the input.
        kind: ``"ip"`` or ``"ir"`` (see :func:`course_lib.video.csn_block`).
        stride, padding: of the middle (depthwise) convolution: int or ``(T, H, W)``.
        bias: count biases in the parameters.

    Returns:
        ``{"full", "reduce", "interaction" (ip only), "depthwise", "expand", "separable", "ratio"}``,
        each ``{"params", "macs"}`` (``"ratio"``: separable / full), like :func:`conv2plus1d_counts`.

    >>> c = csn_counts(256, 64, 256, 3, (8, 56, 56), kind="ir", padding=1)
    >>> c["depthwise"]["params"], c["separable"]["params"], c["full"]["params"]
    (1728, 34496, 143360)
    >>> csn_counts(256, 64, 256, 3, (8, 56, 56), kind="ip", padding=1)["interaction"]["params"]
    4096
    """
    utils.check_choice("kind", kind, CSN_KINDS)
    c_in = utils.check_int("in_channels", in_channels, minimum=1)
    mid = utils.check_int("mid_channels", mid_channels, minimum=1)
    c_out = utils.check_int("out_channels", out_channels, minimum=1)
    kernel = utils.as_tuple("kernel_size", kernel_size, 3, minimum=1)
    size = utils.as_tuple("input_size", input_size, 3, minimum=1)
    stride = utils.as_tuple("stride", stride, 3, minimum=1)
    padding = utils.as_tuple("padding", padding, 3, minimum=0)
    out = conv_output_size(size, kernel, stride, padding)
    point = (1, 1, 1)
    reduce = _counts(c_in, mid, point, size, 1, bias)
    expand = _counts(mid, c_out, point, out, 1, bias)
    full = {key: reduce[key] + _counts(mid, mid, kernel, out, 1, bias)[key] + expand[key] for key in ("params", "macs")}
    parts = {"reduce": reduce}
    if kind == "ip":
        parts["interaction"] = _counts(mid, mid, point, size, 1, bias)
    parts["depthwise"] = _counts(mid, mid, kernel, out, mid, bias)
    parts["expand"] = expand
    return _with_ratio(full, parts)


def _counts(in_channels, out_channels, kernel, output_size, groups, bias) -> dict:
    return {
        "params": conv_params(in_channels, out_channels, tuple(kernel), groups, bias),
        "macs": conv_macs(in_channels, out_channels, tuple(kernel), tuple(output_size), groups),
    }


def _with_ratio(full: dict, parts: dict) -> dict:
    separable = {key: sum(part[key] for part in parts.values()) for key in ("params", "macs")}
    ratio = {key: separable[key] / full[key] for key in ("params", "macs")}
    return {"full": full, **parts, "separable": separable, "ratio": ratio}
