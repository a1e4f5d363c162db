"""Shape arithmetic of convolutions: output sizes, parameter counts,
multiply-accumulate counts and receptive fields.

All functions take plain ints (or tuples of ints, one per spatial axis) and
return ints (or tuples), so they can be used before any tensor exists.
"""
from __future__ import annotations

import math

from course_lib import args


def output_length(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """One axis of the output-size formula, with ``padding`` the *total* added.

        o = floor((i + padding - d*(k-1) - 1) / s) + 1
    """
    return (size + padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _per_axis(name, value, n, minimum):
    return args.as_tuple(name, value, n, minimum=minimum)


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
    """Spatial output size of a convolution.

    Each argument is an int or a tuple with one entry per spatial axis;
    ``padding`` is per side (as in ``nn.Conv2d``) and may be ``"valid"`` or
    ``"same"``. Returns an int for int input, else a tuple:

        o = floor((i + 2p - d*(k-1) - 1) / s) + 1

    >>> conv_output_size(5, 2, stride=2, padding=1, dilation=2)
    3
    """
    given = (size, kernel_size, stride, padding, dilation)
    n = _axes(*given)
    size = _per_axis("size", size, n, 1)
    kernel = _per_axis("kernel_size", kernel_size, n, 1)
    stride = _per_axis("stride", stride, n, 1)
    dilation = _per_axis("dilation", dilation, n, 1)
    pads = args.conv_padding(padding, kernel, stride, dilation)
    out = []
    for axis, (i, k, s, (before, after), d) in enumerate(zip(size, kernel, stride, pads, dilation)):
        o = output_length(i, k, s, before + after, d)
        if o < 1:
            raise ValueError(
                f"kernel larger than the padded input on axis {axis}: kernel spans {d * (k - 1) + 1}, "
                f"padded input has {i + before + after}. Use a smaller kernel or dilation, or more padding."
            )
        out.append(o)
    return _result(tuple(out), *given)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Spatial output size of a transposed convolution.

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
    args.check_output_padding(output_padding, stride, dilation)
    out = []
    for axis, (i, k, s, p, op, d) in enumerate(zip(size, kernel, stride, padding, output_padding, dilation)):
        o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        if o < 1:
            raise ValueError(
                f"transposed convolution output would be {o} on axis {axis}: padding {p} removes more than "
                f"the {o + 2 * p} elements produced. Use less padding."
            )
        out.append(o)
    return _result(tuple(out), *given)


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True) -> int:
    """Number of learnable parameters of a convolution layer.

    weight: ``C_out * (C_in / groups) * prod(k)``; bias: one per output channel.

    >>> conv_params(3, 64, 3)   # a 2-D layer: pass (3, 3); an int means 1-D
    640
    """
    in_channels = args.check_int("in_channels", in_channels, 1)
    out_channels = args.check_int("out_channels", out_channels, 1)
    groups = args.check_int("groups", groups, 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by groups ({groups})."
        )
    kernel = _per_axis("kernel_size", kernel_size, _axes(0, kernel_size), 1)
    weights = out_channels * (in_channels // groups) * math.prod(kernel)
    return weights + (out_channels if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1) -> int:
    """Multiply-accumulates of a convolution for one sample (bias not counted).

    Every output element is a dot product of length ``(C_in / groups) * prod(k)``:
    ``MACs = C_out * prod(output_size) * (C_in / groups) * prod(k)``.
    """
    weights = conv_params(in_channels, out_channels, kernel_size, groups, bias=False)
    out = _per_axis("output_size", output_size, _axes(output_size, kernel_size), 1)
    return weights * math.prod(out)


def receptive_field(layers) -> tuple[int, int]:
    """Receptive field and total stride (jump) of a stack of layers, on one axis.

    ``layers`` is a sequence of ``(kernel_size, stride)`` or
    ``(kernel_size, stride, dilation)``; the first layer is nearest the input.
    Each layer widens the field by ``d*(k-1)`` input steps of the current jump:

        r_l = r_{l-1} + d_l*(k_l - 1) * j_{l-1},    j_l = j_{l-1} * s_l

    >>> receptive_field([(3, 1), (3, 1)])   # two 3x3 layers see 5x5
    (5, 1)
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of (kernel_size, stride[, dilation]) tuples, got {layers!r}.")
    field, jump = 1, 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"layers[{i}] must be (kernel_size, stride) or (kernel_size, stride, dilation), got {layer!r}.")
        k = args.check_int(f"layers[{i}] kernel_size", layer[0], 1)
        s = args.check_int(f"layers[{i}] stride", layer[1], 1)
        d = args.check_int(f"layers[{i}] dilation", layer[2], 1) if len(layer) == 3 else 1
        field += d * (k - 1) * jump
        jump *= s
    return field, jump
