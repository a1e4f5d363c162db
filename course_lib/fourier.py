"""Convolution by the fast Fourier transform: a product per frequency instead of a sum per shift.

The convolution theorem: correlating two signals is multiplying their Fourier
transforms, one of them conjugated. So instead of sliding a k-tap kernel over
each of the P positions (``P * k`` multiplications per axis), transform both,
multiply per frequency, transform back::

    x  ->  X = rfftn(x)                       (N, C_in, *P)   -> (N, C_in, *F)
    w  ->  W = rfftn(w placed in a P-long zero array)
    Y[n, co] = sum over ci of X[n, ci] * conj(W[co, ci])     one multiply-add per frequency
    y  =  irfftn(Y)[:valid]                   then keep every stride-th output

The transforms cost ``O(P log P)`` whatever the kernel size, so the FFT wins
for large kernels and loses for small ones (lesson 05 measures the crossover).
The transform is circular: output ``o`` reads inputs ``o .. o + span - 1``, which
wrap around only past the end of the (padded) input; the outputs we keep never
do, so only the transform length needs care (at least the padded input's
length; a length with small prime factors is much faster than, say, 2 x 79).

Stride: computed at stride 1, then every ``s``-th output kept. Dilation: the
kernel's taps are placed ``d`` apart in the zero array. Channels are summed with
a loop of multiply-adds over the input channels of a group, which beats one
complex ``einsum`` (that becomes millions of tiny matrix products, one per
frequency). Same functions and arguments as ``naive`` and ``vectorised``;
differentiable (``torch.fft`` has gradients); any device. Taught in lesson 05.
"""
from __future__ import annotations

import math

import torch

from course_lib import args, padding_modes, shapes


def convnd(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """N-d convolution (cross-correlation) by FFT; the number of spatial axes is ``weight.dim() - 2``.

    {conv_arguments}

    Same result as :func:`course_lib.naive.convnd`, up to rounding. Taught in lesson 05 (vectorising).

    >>> out = convnd(torch.ones(1, 1, 3, 3, 3, 3, dtype=torch.float64), torch.ones(1, 1, 2, 2, 2, 2, dtype=torch.float64))
    >>> tuple(out.shape), round(out.flatten()[0].item(), 10)
    ((1, 1, 2, 2, 2, 2), 16.0)
    """
    a = args.conv_args("convnd", input, weight, bias, stride, padding, dilation, groups, padding_mode)
    return _convolve(a)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """1-D convolution by FFT: {conv1d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 05 (vectorising).

    >>> conv1d(torch.tensor([[[1., 2., 4., 7.]]], dtype=torch.float64), torch.tensor([[[-1., 0., 1.]]], dtype=torch.float64))
    tensor([[[3., 5.]]], dtype=torch.float64)
    """
    a = args.conv_args("conv1d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=1)
    return _convolve(a)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution by FFT: {conv2d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 05 (vectorising).

    >>> x = torch.arange(16, dtype=torch.float64).view(1, 1, 4, 4)
    >>> conv2d(x, torch.ones(1, 1, 2, 2, dtype=torch.float64)).round(decimals=10)   # sums of 2x2 windows
    tensor([[[[10., 14., 18.],
              [26., 30., 34.],
              [42., 46., 50.]]]], dtype=torch.float64)
    """
    a = args.conv_args("conv2d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    return _convolve(a)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3-D convolution by FFT: {conv3d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 05 (vectorising).

    >>> conv3d(torch.ones(1, 1, 3, 4, 4, dtype=torch.float64), torch.ones(1, 1, 3, 3, 3, dtype=torch.float64)).flatten().round()
    tensor([27., 27., 27., 27.], dtype=torch.float64)
    """
    a = args.conv_args("conv3d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=3)
    return _convolve(a)


def fast_length(size: int) -> int:
    """The smallest length >= ``size`` whose prime factors are all 2, 3, 5 or 7 (fast for the FFT).

    A plain search: try ``size``, ``size + 1``, ... until one has no other prime
    factor. It stops by ``2 * size`` at the latest (a power of two lies below that).

    >>> fast_length(158), fast_length(128), fast_length(79)
    (160, 128, 80)
    """
    length = max(1, size)
    while not _has_only_small_factors(length):
        length += 1
    return length


def _has_only_small_factors(n: int) -> bool:
    """True when ``n``'s prime factors are all 2, 3, 5 or 7: divide them out and see whether 1 is left."""
    for p in (2, 3, 5, 7):
        while n % p == 0:
            n //= p
    return n == 1


def _convolve(a: args.ConvArgs) -> torch.Tensor:
    """FFT convolution for checked arguments ``a`` (see :class:`course_lib.args.ConvArgs`)."""
    x = padding_modes.pad(a.input, a.padding, a.padding_mode)  # (N, C_in, *P)
    if not x.is_floating_point():
        raise TypeError(f"the FFT convolution needs a floating-point input, got {x.dtype}; use input.float().")
    batch = x.shape[0]
    if batch == 0:  # MKL's FFT refuses an empty batch: transform one zero sample and keep none of it
        x = torch.cat([x, x.new_zeros((1, *x.shape[1:]))])
    padded = tuple(x.shape[2:])
    lengths = tuple(fast_length(p) for p in padded)  # transform length per axis, >= the padded input
    axes = spectrum_axes(a.n)  # (-1, ..., -n): rfftn halves the first spatial axis
    # The kernel with its taps d apart (kernel_spectrum pads it with zeros to the transform lengths).
    kernel = a.weight
    if any(d > 1 for d in a.dilation):
        spans = tuple(shapes.kernel_span(k, d) for k, d in zip(a.kernel_size, a.dilation))
        kernel = a.weight.new_zeros((*a.weight.shape[:2], *spans))
        kernel[(..., *(slice(None, None, d) for d in a.dilation))] = a.weight
    x_hat = torch.fft.rfftn(x, s=lengths[::-1], dim=axes)  # (N, C_in, *F): the first axis halved
    w_hat = kernel_spectrum(kernel, lengths)  # (C_out, C_in/g, *F), the same transform, faster for a small kernel
    y_hat = _sum_over_channels(x_hat, w_hat, a.groups)  # (N, C_out, *F): X times conj(W), summed over channels
    y = torch.fft.irfftn(y_hat, s=lengths[::-1], dim=axes)  # (N, C_out, *lengths)
    # Keep the outputs whose window lies inside the padded input, every stride-th.
    keep = tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(a.output_size, a.stride))
    return a.finish(y[(slice(0, batch), slice(None), *keep)])  # + bias; unbatched in, unbatched out


def kernel_spectrum(kernel: torch.Tensor, lengths) -> torch.Tensor:
    """``rfftn(kernel, s=lengths[::-1], dim=spectrum_axes(n))``, without transforming rows of zeros.

    ``rfftn`` pads the kernel with zeros to the full lengths first and then
    transforms every row, almost all of them zeros (a 15x15 kernel in a 144x144
    array: 129 of 144 rows). The same transform one axis at a time pads each axis
    only when its turn comes: the real-to-half-spectrum pass along the first
    spatial axis sees the kernel's own rows only, and only the last pass, along
    the contiguous last axis, sees the full lengths. Same numbers, far fewer
    operations (lesson 05 counts the kernel transforms).

    >>> k = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    >>> torch.allclose(kernel_spectrum(k, (16, 12)), torch.fft.rfftn(k, s=(12, 16), dim=(-1, -2)))
    True
    """
    n = len(lengths)
    spectrum = torch.fft.rfft(kernel, n=lengths[0], dim=-n)  # the first spatial axis: real in, half spectrum out
    for axis in range(1, n):  # then each other axis, padded to its length as it is transformed
        spectrum = torch.fft.fft(spectrum, n=lengths[axis], dim=axis - n)
    return spectrum


def spectrum_axes(n: int) -> tuple[int, ...]:
    """``dim`` for ``rfftn`` / ``irfftn`` that puts the half spectrum on the first of ``n`` spatial axes.

    ``rfftn`` halves the *last* axis it is given; listing the axes last to first
    makes that the first spatial axis, so the full-length complex passes run along
    the contiguous last axis (faster than along a strided one).

    >>> spectrum_axes(2)
    (-1, -2)
    """
    return tuple(range(-1, -n - 1, -1))


def _sum_over_channels(x_hat: torch.Tensor, w_hat: torch.Tensor, groups: int) -> torch.Tensor:
    """``Y[n, co] = sum over ci in co's group of X[n, ci] * conj(W[co, ci])``, frequency by frequency.

    The conjugate makes it a correlation (what a convolution layer computes), not a convolution.

    ``x_hat`` is ``(N, C_in, *F)``, ``w_hat`` ``(C_out, C_in/groups, *F)``. One
    multiply-add of whole ``(N, C_out/groups, *F)`` arrays per input channel of a
    group; both are first laid out with that channel as the leading axis, so each
    step reads contiguous memory.
    """
    batch, in_channels = x_hat.shape[:2]
    out_channels, in_per_group = w_hat.shape[:2]
    freq = x_hat.shape[2:]
    size = math.prod(freq)
    # (C_in/g, N, g, 1, F) and (C_in/g, g, C_out/g, F): step ci reads x[ci] and w[ci]
    x_hat = x_hat.reshape(batch, groups, in_per_group, 1, size).permute(2, 0, 1, 3, 4)
    w_hat = w_hat.reshape(groups, out_channels // groups, in_per_group, size).permute(2, 0, 1, 3)
    # Complex products with the conjugate in real arithmetic, (a + ib)(c - id) = (ac + bd) + i(bc - ad):
    # torch's real multiply-adds are vectorised, its complex ones much less so (and the conjugate
    # costs nothing here, where conj_physical() would copy every kernel spectrum).
    xr, xi = x_hat.real.contiguous(), x_hat.imag.contiguous()
    wr, wi = w_hat.real.contiguous(), w_hat.imag.contiguous()
    real = xr[0] * wr[0] + xi[0] * wi[0]  # (N, g, C_out/g, F)
    imag = xi[0] * wr[0] - xr[0] * wi[0]
    for ci in range(1, in_per_group):
        real = real.addcmul_(xr[ci], wr[ci]).addcmul_(xi[ci], wi[ci])
        imag = imag.addcmul_(xi[ci], wr[ci]).addcmul_(xr[ci], wi[ci], value=-1)
    return torch.complex(real, imag).reshape(batch, out_channels, *freq)


args.fill_docstrings(convnd, conv1d, conv2d, conv3d)  # the {fragments} above, from args.DOCS
