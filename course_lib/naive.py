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

from course_lib import args
from course_lib.padding import pad


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
    """
    a = args.conv_args("convnd", input, weight, bias, stride, padding, dilation, groups, padding_mode)
    return _convolve(a)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """1-D convolution: input ``(N, C_in, L)``, weight ``(C_out, C_in/groups, k)`` -> ``(N, C_out, L_out)``.

    Arguments as in :func:`convnd`.
    """
    a = args.conv_args("conv1d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=1)
    return _convolve(a)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution: input ``(N, C_in, H, W)``, weight ``(C_out, C_in/groups, kH, kW)`` -> ``(N, C_out, H_out, W_out)``.

    Arguments as in :func:`convnd`.
    """
    a = args.conv_args("conv2d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    return _convolve(a)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3-D convolution: input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/groups, kD, kH, kW)`` -> ``(N, C_out, D_out, H_out, W_out)``.

    Arguments as in :func:`convnd`.
    """
    a = args.conv_args("conv3d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=3)
    return _convolve(a)


def _convolve(a: args.ConvArgs) -> torch.Tensor:
    """The loops, for checked arguments ``a`` (see :class:`course_lib.args.ConvArgs`)."""
    x = pad(a.input, a.padding, a.padding_mode)  # (N, C_in, *padded)
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
            if a.bias is not None:
                out[n, co] += a.bias[co]
    return out[0] if a.unbatched else out
