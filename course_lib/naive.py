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

from course_lib import args, padding_modes, shapes


def convnd(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """N-d convolution (cross-correlation) with one loop per output element.

    The number of spatial axes ``n`` is ``weight.dim() - 2``: 1, 2, 3, 4, ...

    {conv_arguments}

    Taught in lesson 04 (one N-d convolution).

    {convnd_example}
    """
    a = args.conv_args("convnd", input, weight, bias, stride, padding, dilation, groups, padding_mode)
    return _convolve(a)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """1-D convolution with one loop per output element: {conv1d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 01 (conv1d).

    {conv1d_example}
    """
    a = args.conv_args("conv1d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=1)
    return _convolve(a)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution with one loop per output element: {conv2d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 02 (conv2d).

    {conv2d_example}
    """
    a = args.conv_args("conv2d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    return _convolve(a)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3-D convolution with one loop per output element: {conv3d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 03 (conv3d).

    {conv3d_example}
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
                # The window under the kernel: tap t reads o*s + t*d, for t = 0 .. k-1.
                window = tuple(
                    slice(shapes.window_position(o, 0, s, d), shapes.window_position(o, k - 1, s, d) + 1, d)
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

    {conv_transpose_arguments}

    Taught in lesson 07 (transposed convolution).

    {conv_transposend_example}
    """
    a = args.conv_transpose_args("conv_transposend", input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _convolve_transpose(a)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution by scatter-add: {conv_transpose1d_shapes}.

    Arguments as in :func:`conv_transposend`. Taught in lesson 07 (transposed convolution).

    {conv_transpose1d_example}
    """
    a = args.conv_transpose_args("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=1)
    return _convolve_transpose(a)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution by scatter-add: {conv_transpose2d_shapes}.

    Arguments as in :func:`conv_transposend`. Taught in lesson 07 (transposed convolution).

    {conv_transpose2d_example}
    """
    a = args.conv_transpose_args("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=2)
    return _convolve_transpose(a)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution by scatter-add: {conv_transpose3d_shapes}.

    Arguments as in :func:`conv_transposend`. Taught in lesson 07 (transposed convolution).

    {conv_transpose3d_example}
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
                # The stamp of input element x[n, ci, i...]: tap t lands on i*s + t*d, for t = 0 .. k-1.
                window = tuple(
                    slice(shapes.window_position(i, 0, s, d), shapes.window_position(i, k - 1, s, d) + 1, d)
                    for i, s, d, k in zip(position, a.stride, a.dilation, a.kernel_size)
                )
                full[(n, channels, *window)] += x[(n, ci, *position)] * a.weight[ci]
    # padding cuts p elements from each end of every axis.
    out = full[(..., *(slice(p, p + o) for p, o in zip(a.padding, a.output_size)))]
    return a.finish(out)  # + bias; unbatched in, unbatched out

args.fill_docstrings(convnd, conv1d, conv2d, conv3d, conv_transposend, conv_transpose1d, conv_transpose2d, conv_transpose3d)  # the {fragments} above, from args.DOCS
