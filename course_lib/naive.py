"""Convolutions as loops: the textbook definitions, for reading, not for speed.

Each output element is one dot product between the kernel and the window of
the (padded) input under it::

    out[n, co, o1, ..., on] = bias[co] + sum over ci, k1..kn of
        weight[co, ci, k1, ..., kn] * x[n, g*C_in_g + ci, o1*s1 + k1*d1, ..., on*sn + kn*dn]

where ``g = co // (C_out / groups)`` is the group of output channel ``co``.
PyTorch's "convolution" is this cross-correlation: the kernel is not flipped.

Use small inputs: every output element is a separate Python step.
``course_lib.vectorised`` has the same functions, fast.
"""
from __future__ import annotations

import itertools

import torch

from course_lib import args, padding_modes


def convnd(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """N-d convolution (cross-correlation) with one loop per output element.

    The number of spatial axes ``n`` is ``weight.dim() - 2``: 1, 2, 3, 4, ...

    Args:
        input: ``(N, C_in, S1, ..., Sn)`` or unbatched ``(C_in, S1, ..., Sn)``.
        weight: ``(C_out, C_in / groups, k1, ..., kn)``.
        bias: ``(C_out,)`` or ``None``.
        stride, dilation: int or n-tuple, >= 1.
        padding: int or n-tuple (added on both sides), ``"valid"`` or ``"same"``.
        groups: split the channels into this many independent convolutions.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.

    Returns:
        ``(N, C_out, O1, ..., On)`` with ``O = floor((S + 2p - d*(k-1) - 1) / s) + 1``
        (unbatched in, unbatched out).

    Taught in lesson 04 (one N-d convolution).

    >>> out = convnd(torch.ones(1, 1, 3, 3, 3, 3), torch.ones(1, 1, 2, 2, 2, 2))   # 4 spatial axes
    >>> tuple(out.shape), out.flatten()[0].item()                                  # every window holds 2**4 ones
    ((1, 1, 2, 2, 2, 2), 16.0)
    """
    a = args.conv_args("convnd", input, weight, bias, stride, padding, dilation, groups, padding_mode)
    return _convolve(a)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """1-D convolution: input ``(N, C_in, L)``, weight ``(C_out, C_in/groups, k)`` ->
    ``(N, C_out, L_out)``.

    Arguments as in :func:`convnd`.

    Taught in lesson 01 (conv1d).

    >>> conv1d(torch.tensor([[[1., 2., 4., 7.]]]), torch.tensor([[[-1., 0., 1.]]]))   # x[i+2] - x[i]
    tensor([[[3., 5.]]])
    """
    a = args.conv_args("conv1d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=1)
    return _convolve(a)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution: input ``(N, C_in, H, W)``, weight ``(C_out, C_in/groups, kH, kW)`` ->
    ``(N, C_out, H_out, W_out)``.

    Arguments as in :func:`convnd`.

    Taught in lesson 02 (conv2d).

    >>> conv2d(torch.arange(16.).view(1, 1, 4, 4), torch.ones(1, 1, 2, 2))   # sums of 2x2 windows
    tensor([[[[10., 14., 18.],
              [26., 30., 34.],
              [42., 46., 50.]]]])
    """
    a = args.conv_args("conv2d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    return _convolve(a)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3-D convolution: input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/groups, kD, kH, kW)`` ->
    ``(N, C_out, D_out, H_out, W_out)``.

    Arguments as in :func:`convnd`.

    Taught in lesson 03 (conv3d).

    >>> conv3d(torch.ones(1, 1, 3, 4, 4), torch.ones(1, 1, 3, 3, 3)).flatten()   # (N, C, D, H, W) -> (1, 1, 1, 2, 2)
    tensor([27., 27., 27., 27.])
    """
    a = args.conv_args("conv3d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=3)
    return _convolve(a)


def _convolve(a: args.ConvArgs) -> torch.Tensor:
    """The loops, for checked arguments ``a`` (see :class:`course_lib.args.ConvArgs`)."""
    x = padding_modes.pad(a.input, a.padding, a.padding_mode)  # (N, C_in, *padded)
    batch, out_channels = x.shape[0], a.weight.shape[0]
    in_per_group = a.weight.shape[1]
    out_per_group = out_channels // a.groups
    out = x.new_zeros((batch, out_channels, *a.output_size))
    for n in range(batch):
        for co in range(out_channels):
            g = co // out_per_group
            channels = slice(g * in_per_group, (g + 1) * in_per_group)
            for position in itertools.product(*(range(o) for o in a.output_size)):
                # The window under the kernel: starts at o*s, takes k elements d apart.
                window = tuple(
                    slice(o * s, o * s + d * (k - 1) + 1, d)
                    for o, s, d, k in zip(position, a.stride, a.dilation, a.kernel_size)
                )
                out[(n, co, *position)] = (x[(n, channels, *window)] * a.weight[co]).sum()
    return a.finish(out)  # + bias; unbatched in, unbatched out


# ----------------------------------------------------------------------------
# Transposed convolution
# ----------------------------------------------------------------------------
# The scatter view: every input element stamps the kernel, scaled by its value,
# into the output, at a position stride apart from its neighbour's stamp:
#
#     full[n, g*C_out_g + co, i1*s1 + k1*d1, ...] += x[n, ci, i1, ...] * weight[ci, co, k1, ...]
#
# then ``padding`` elements are cut from both ends of every axis (and
# ``output_padding`` extra elements are kept at the end).


def conv_transposend(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """N-d transposed convolution by scatter-add: each input element stamps the kernel into the output.

    The number of spatial axes ``n`` is ``weight.dim() - 2``.

    Args:
        input: ``(N, C_in, S1, ..., Sn)`` or unbatched ``(C_in, S1, ..., Sn)``.
        weight: ``(C_in, C_out / groups, k1, ..., kn)`` (input channels first, unlike a convolution).
        bias: ``(C_out,)`` or ``None``.
        stride, dilation: int or n-tuple, >= 1.
        padding: int or n-tuple: elements removed from each end of each axis.
        output_padding: int or n-tuple, smaller than stride or dilation: elements kept at the end.
        groups: split the channels into this many independent transposed convolutions.

    Returns:
        ``(N, C_out, O1, ..., On)`` with ``O = (S - 1)*s - 2p + d*(k-1) + output_padding + 1``
        (unbatched in, unbatched out).

    Taught in lesson 07 (transposed convolution).

    >>> conv_transposend(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))[0, 0]   # four overlapping stamps
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    a = args.conv_transpose_args("conv_transposend", input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _convolve_transpose(a)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution: input ``(N, C_in, L)``, weight ``(C_in, C_out/groups, k)`` ->
    ``(N, C_out, L_out)``.

    Arguments as in :func:`conv_transposend`.

    Taught in lesson 07 (transposed convolution).

    >>> conv_transpose1d(torch.tensor([[[1., 2.]]]), torch.ones(1, 1, 3), stride=2)   # stamps at 0 and 2 overlap
    tensor([[[1., 1., 3., 2., 2.]]])
    """
    a = args.conv_transpose_args("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=1)
    return _convolve_transpose(a)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution: input ``(N, C_in, H, W)``, weight ``(C_in, C_out/groups, kH, kW)`` ->
    ``(N, C_out, H_out, W_out)``.

    Arguments as in :func:`conv_transposend`.

    Taught in lesson 07 (transposed convolution).

    >>> conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), stride=2).shape   # 2x2 -> 4x4
    torch.Size([1, 1, 4, 4])
    """
    a = args.conv_transpose_args("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=2)
    return _convolve_transpose(a)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution: input ``(N, C_in, D, H, W)``, weight
    ``(C_in, C_out/groups, kD, kH, kW)`` -> ``(N, C_out, D_out, H_out, W_out)``.

    Arguments as in :func:`conv_transposend`.

    Taught in lesson 07 (transposed convolution).

    >>> conv_transpose3d(torch.ones(1, 1, 1, 2, 2), torch.ones(1, 1, 1, 2, 2)).flatten()
    tensor([1., 2., 1., 2., 4., 2., 1., 2., 1.])
    """
    a = args.conv_transpose_args("conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=3)
    return _convolve_transpose(a)


def _convolve_transpose(a: args.ConvTransposeArgs) -> torch.Tensor:
    """The scatter loops, for checked arguments ``a`` (see
    :class:`course_lib.args.ConvTransposeArgs`)."""
    x = a.input  # (N, C_in, *input_size)
    batch, in_channels = x.shape[:2]
    in_per_group, out_per_group = in_channels // a.groups, a.weight.shape[1]
    # The full result, before padding is cut away: each axis is (i-1)*s + d*(k-1) + 1 + output_padding long.
    full_size = [o + 2 * p for o, p in zip(a.output_size, a.padding)]
    full = x.new_zeros((batch, a.out_channels, *full_size))
    for n in range(batch):
        for ci in range(in_channels):
            g = ci // in_per_group
            channels = slice(g * out_per_group, (g + 1) * out_per_group)
            for position in itertools.product(*(range(i) for i in x.shape[2:])):
                # The stamp of input element x[n, ci, i...] starts at i*s and has k elements d apart.
                window = tuple(
                    slice(i * s, i * s + d * (k - 1) + 1, d)
                    for i, s, d, k in zip(position, a.stride, a.dilation, a.kernel_size)
                )
                full[(n, channels, *window)] += x[(n, ci, *position)] * a.weight[ci]
    # padding cuts p elements from each end of every axis.
    out = full[(..., *(slice(p, p + o) for p, o in zip(a.padding, a.output_size)))]
    return a.finish(out)  # + bias; unbatched in, unbatched out
