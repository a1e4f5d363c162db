"""Convolutions without Python loops over pixels: im2col and one matrix product.

The idea in three steps (the lesson on vectorising builds it up):

1. **Windows as a view.** ``Tensor.unfold`` turns the padded input
   ``(N, C, S1..Sn)`` into ``(N, C, O1..On, k1..kn)``: every window the
   kernel visits, without copying a byte (only the strides change).
2. **im2col.** Copy those windows into a "column" matrix
   ``(N, groups, C_in/groups * k1..kn, O1..On)``.
3. **One matmul.** The weight, flattened to ``(groups, C_out/groups,
   C_in/groups * k1..kn)``, times the columns gives every output at once.

The column matrix is ``k1*...*kn`` times larger than the input (9x for 3x3,
27x for 3x3x3), so it is built for a block of output rows at a time (at most
:data:`COLUMN_BYTES`) rather than in one piece: a fresh 50 MiB buffer costs
more in page faults than the arithmetic. Depthwise convolutions (one input channel per group) have
nothing to multiply as a matrix, so they use a sum of ``k1*...*kn`` shifted multiply-adds instead.

Everything here is plain tensor operations, so it runs on any device and
dtype and autograd differentiates it.
"""
from __future__ import annotations

import itertools
import math

import torch

from course_lib import args, padding_modes, shapes, utils

COLUMN_BYTES = 16 * 2**20
"""Target size (bytes) of one block of the column matrix.

The output is computed in blocks of whole output rows (along the first spatial
axis), as many rows per block as fit in this many bytes, but at least one: a
single row whose columns are larger than this is still built in one piece, so
this is a target, not a hard limit. The batch is never split."""


def convnd(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """N-d convolution (cross-correlation) by im2col + matmul.

    The number of spatial axes ``n`` is ``weight.dim() - 2``: 1, 2, 3, 4, ...

    {conv_arguments}

    Taught in lesson 04 (one N-d convolution).

    {convnd_example}
    """
    a = args.conv_args("convnd", input, weight, bias, stride, padding, dilation, groups, padding_mode)
    return _convolve(a)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """1-D convolution by im2col + matmul: {conv1d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 01 (conv1d).

    {conv1d_example}
    """
    a = args.conv_args("conv1d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=1)
    return _convolve(a)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution by im2col + matmul: {conv2d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 02 (conv2d).

    {conv2d_example}
    """
    a = args.conv_args("conv2d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    return _convolve(a)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3-D convolution by im2col + matmul: {conv3d_shapes}.

    Arguments as in :func:`convnd`. Taught in lesson 03 (conv3d).

    {conv3d_example}
    """
    a = args.conv_args("conv3d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=3)
    return _convolve(a)


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    """Every window a kernel visits, as a view (no copy).

    Args:
        x: ``(N, C, S1, ..., Sn)``, already padded.
        kernel_size, stride, dilation: n-tuples.

    Returns:
        ``(N, C, O1, ..., On, k1, ..., kn)``: ``[..., o, k]`` is ``x[..., o*s + k*d]``.

    Taught in lesson 05 (vectorising).

    >>> sliding_windows(torch.arange(5.).view(1, 1, 5), (2,))[0, 0]   # 4 windows of 2, no copy
    tensor([[0., 1.],
            [1., 2.],
            [2., 3.],
            [3., 4.]])
    """
    n = len(kernel_size)
    stride, dilation = utils.as_tuple("stride", stride, n, 1), utils.as_tuple("dilation", dilation, n, 1)
    for axis, (k, s, d) in enumerate(zip(kernel_size, stride, dilation)):
        x = x.unfold(2 + axis, shapes.kernel_span(k, d), s)  # every input cell a window covers, as a new last axis
        x = x[..., ::d]  # keep every d-th: the elements the kernel touches
    return x


def im2col(x, kernel_size, stride=1, dilation=1, groups=1):
    """The column matrix: one column per output position.

    Args:
        x: ``(N, C, S1, ..., Sn)``, already padded.

    Returns:
        ``(N, groups, C/groups * k1*...*kn, O1*...*On)``: a copy, except where the
        windows already lie in that order in ``x`` (for example a 1x1 kernel with stride 1),
        which gives a view of ``x``.

    Its gradient is :func:`col2im`, its adjoint (lesson 07): each column entry
    sends its gradient back to the input element it was copied from, and an
    element copied into several windows collects the sum. Autograd would find
    that gradient through ``Tensor.unfold`` by itself, but more slowly where
    windows overlap (lesson 05 times both routes), so :class:`_Im2col` tells it.

    Taught in lesson 05 (vectorising).

    >>> im2col(torch.arange(5.).view(1, 1, 5), (2,))[0, 0]   # one column per output position
    tensor([[0., 1., 2., 3.],
            [1., 2., 3., 4.]])
    """
    n = len(kernel_size)
    stride, dilation = utils.as_tuple("stride", stride, n, 1), utils.as_tuple("dilation", dilation, n, 1)
    return _Im2col.apply(x, tuple(kernel_size), stride, dilation, groups)


def _copy_windows(x, kernel_size, stride, dilation, groups):
    """:func:`im2col`'s forward pass: the windows (a view), permuted and copied into columns.

    Returns the columns and the number of windows along each axis, ``(O1, ..., On)``."""
    n = len(kernel_size)
    windows = sliding_windows(x, kernel_size, stride, dilation)  # (N, C, O..., k...)
    out_axes = list(range(2, 2 + n))
    kernel_axes = list(range(2 + n, 2 + 2 * n))
    columns = windows.permute(0, 1, *kernel_axes, *out_axes)  # (N, C, k..., O...)
    batch, channels = x.shape[:2]
    positions = math.prod(windows.shape[2 : 2 + n])  # O1*...*On (spelled out: -1 is ambiguous for an empty batch)
    return columns.reshape(batch, groups, channels // groups * math.prod(kernel_size), positions), windows.shape[2 : 2 + n]


class _Im2col(torch.autograd.Function):
    """:func:`im2col` with :func:`col2im` as its backward pass (see im2col's docstring)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, dilation, groups):
        ctx.input_size, ctx.settings = tuple(x.shape), (kernel_size, stride, dilation)
        columns, ctx.windows = _copy_windows(x, kernel_size, stride, dilation, groups)
        return columns

    @staticmethod
    def backward(ctx, grad):  # grad: (N, groups, C/groups * prod(k), prod(O))
        kernel_size, stride, dilation = ctx.settings
        batch, channels, *size = ctx.input_size
        stamps = grad.reshape(batch, channels, *kernel_size, *ctx.windows)  # (N, C, k..., O...)
        return col2im(stamps, tuple(size), kernel_size, stride, dilation, (0,) * len(size)), None, None, None, None


def _convolve(a: args.ConvArgs) -> torch.Tensor:
    """Vectorised convolution for checked arguments ``a`` (see :class:`course_lib.args.ConvArgs`)."""
    x = padding_modes.pad(a.input, a.padding, a.padding_mode)  # (N, C_in, *padded)
    in_per_group = a.weight.shape[1]
    if in_per_group == 1 and a.groups > 1:
        out = _depthwise(x, a)
    else:
        out = _in_row_blocks(x, a)  # _im2col_matmul, a block of output rows at a time
    return a.finish(out)  # + bias; unbatched in, unbatched out


def _im2col_matmul(x, a: args.ConvArgs, output_size) -> torch.Tensor:
    """The lesson's line: im2col, then one matrix product.

    ``x`` ``(N, C_in, *padded)`` -> ``(N, C_out, *output_size)``; ``output_size``
    is what the windows of ``x`` give (``a.output_size`` for the whole input).
    """
    batch, out_channels = x.shape[0], a.weight.shape[0]
    w = a.weight.reshape(a.groups, out_channels // a.groups, -1)  # (g, C_out/g, K = C_in/g * prod(k))
    columns = im2col(x, a.kernel_size, a.stride, a.dilation, a.groups)  # (N, g, K, P = prod(output_size))
    out = w @ columns  # (g, C_out/g, K) @ (N, g, K, P) -> (N, g, C_out/g, P)
    return out.reshape(batch, out_channels, *output_size)


def _in_row_blocks(x, a: args.ConvArgs) -> torch.Tensor:
    """:func:`_im2col_matmul` for a block of output rows (along the first spatial axis) at a time.

    Engineering, not a different method: each block's columns are at most about
    :data:`COLUMN_BYTES` big, so they stay in memory the allocator can reuse
    instead of page-faulting a fresh buffer. The blocks are joined along that axis.
    """
    rows = a.output_size[0]
    # The columns of one output row: N x g x K x (positions in a row), K = C_in/g * prod(k) = weight[0].numel().
    row_bytes = x.shape[0] * a.groups * a.weight[0].numel() * math.prod(a.output_size[1:]) * x.element_size()
    rows_per_block = max(1, COLUMN_BYTES // max(1, row_bytes))  # an empty batch has rows of 0 bytes
    if rows_per_block >= rows:
        return _im2col_matmul(x, a, a.output_size)
    s, d, k = a.stride[0], a.dilation[0], a.kernel_size[0]
    blocks = []
    for first in range(0, rows, rows_per_block):
        last = min(first + rows_per_block, rows)  # output rows first .. last-1 read input rows:
        slab = x[:, :, shapes.window_position(first, 0, s, d) : shapes.window_position(last - 1, k - 1, s, d) + 1]
        blocks.append(_im2col_matmul(slab, a, (last - first, *a.output_size[1:])))
    return torch.cat(blocks, dim=2)


def _depthwise(x, a: args.ConvArgs) -> torch.Tensor:
    """Grouped convolution with one input channel per group, as ``prod(k)`` shifted multiply-adds.

    Each output channel ``co`` reads input channel ``co // multiplier`` only, so
    ``out[:, co] = sum over kernel offsets of weight[co, 0, offset] * shifted window``.
    """
    out_channels = a.weight.shape[0]
    multiplier = out_channels // a.groups  # output channels per input channel
    if multiplier > 1:  # each input channel feeds several outputs: repeat it
        x = x.repeat_interleave(multiplier, dim=1)
    windows = sliding_windows(x, a.kernel_size, a.stride, a.dilation)  # (N, C_out, O..., k...)
    w = a.weight.reshape(out_channels, -1)  # (C_out, prod(k))
    out = None
    for index, offset in enumerate(_offsets(a.kernel_size)):
        shifted = windows[(..., *offset)]  # (N, C_out, O...): the input under this kernel offset
        weight = w[:, index].view(1, -1, *[1] * a.n)  # one weight per channel
        out = shifted * weight if out is None else out.addcmul_(shifted, weight)
    return out


def _offsets(kernel_size):
    """All kernel offsets ``(k1, ..., kn)`` in row-major order (the order of ``weight.reshape``)."""
    return itertools.product(*(range(k) for k in kernel_size))


# ----------------------------------------------------------------------------
# Transposed convolution
# ----------------------------------------------------------------------------
# Fast path: one matrix product gives every kernel stamp at once, then col2im
# adds the stamps into the output. The transpose of im2col + matmul:
#
#   columns = weight^T @ x          (C_out/g * k1..kn, C_in/g) @ (C_in/g, I1..In)
#   col2im: for each kernel offset (k1, ..., kn)
#       full[..., k1*d1 : ... : s1, ...] += columns[:, :, k1, ..., kn]   (one strided slice-add each)
#
# The teaching view, conv_transpose_zero_insertion, is the same operation as an
# ordinary convolution of a stretched input: slower, since most of what it
# multiplies are the inserted zeros.


def conv_transposend(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """N-d transposed convolution by one matmul + col2im (strided slice-adds).

    The number of spatial axes ``n`` is ``weight.dim() - 2``.

    {conv_transpose_arguments}

    Taught in lesson 07 (transposed convolution).

    {conv_transposend_example}
    """
    a = args.conv_transpose_args("conv_transposend", input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _convolve_transpose(a)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution by matmul + col2im: {conv_transpose1d_shapes}.

    Arguments as in :func:`conv_transposend`. Taught in lesson 07 (transposed convolution).

    {conv_transpose1d_example}
    """
    a = args.conv_transpose_args("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=1)
    return _convolve_transpose(a)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution by matmul + col2im: {conv_transpose2d_shapes}.

    Arguments as in :func:`conv_transposend`. Taught in lesson 07 (transposed convolution).

    {conv_transpose2d_example}
    """
    a = args.conv_transpose_args("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=2)
    return _convolve_transpose(a)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution by matmul + col2im: {conv_transpose3d_shapes}.

    Arguments as in :func:`conv_transposend`. Taught in lesson 07 (transposed convolution).

    {conv_transpose3d_example}
    """
    a = args.conv_transpose_args("conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups, dilation, n=3)
    return _convolve_transpose(a)


def col2im(columns, output_size, kernel_size, stride=1, dilation=1, padding=0):
    """Add kernel stamps back into an image: the adjoint (transpose) of :func:`im2col`.

    Args:
        columns: ``(N, C, k1, ..., kn, I1, ..., In)``: the stamp of input position
            ``i`` at kernel offset ``k`` belongs at ``i*s + k*d - p`` of the output.
        output_size: ``(O1, ..., On)``, the spatial size of the result.
        kernel_size, stride, dilation, padding: n-tuples.

    Returns:
        ``(N, C, O1, ..., On)``: the sum of every stamp that lands inside.

    One strided slice-add per kernel offset ``k``: the stamps of all inputs at
    that offset land ``s`` apart from ``k*d`` on, so
    ``full[..., k*d : k*d + (I-1)*s + 1 : s] += columns[:, :, k]`` in the full
    (uncut) result; then ``padding`` is cut from each end.

    Taught in lesson 07 (transposed convolution), as the adjoint of lesson 05's im2col.

    >>> col2im(torch.ones(1, 1, 2, 4), (5,), (2,), (1,), (1,), (0,))   # each inner element is in two windows
    tensor([[[1., 2., 2., 2., 1.]]])
    """
    n = len(kernel_size)
    stride, dilation = utils.as_tuple("stride", stride, n, 1), utils.as_tuple("dilation", dilation, n, 1)
    padding = utils.as_tuple("padding", padding, n, 0)
    return _Col2im.apply(columns, tuple(output_size), tuple(kernel_size), stride, dilation, padding)


def _add_stamps(columns, output_size, kernel_size, stride, dilation, padding):
    """:func:`col2im`'s forward pass: one strided slice-add per kernel offset, then the padding cut off."""
    n = len(kernel_size)
    batch, channels = columns.shape[:2]
    in_size = columns.shape[2 + n :]
    full_size = [o + 2 * p for o, p in zip(output_size, padding)]
    full = columns.new_zeros((batch, channels, *full_size))
    for offset in _offsets(kernel_size) if math.prod(in_size) else ():  # no inputs: nothing lands
        # where the stamps of offset k land: k*d, k*d + s, ..., k*d + (I-1)*s on each axis
        where = tuple(slice(shapes.window_position(0, k, s, d), shapes.window_position(i - 1, k, s, d) + 1, s)
                      for k, i, s, d in zip(offset, in_size, stride, dilation))
        full[(..., *where)] += columns[(slice(None), slice(None), *offset)]
    return full[(..., *(slice(p, p + o) for p, o in zip(padding, output_size)))]


class _Col2im(torch.autograd.Function):
    """:func:`col2im` with the windows of the gradient (im2col's copy, unflattened) as its backward pass.

    The adjoint of adding stamps is reading them back: the gradient of the stamp of input ``i``
    at offset ``k`` is the output gradient at ``i*s + k*d - p``. (Left to itself, autograd would
    copy the whole gradient once per kernel offset, one copy for each in-place slice-add.)
    """

    @staticmethod
    def forward(ctx, columns, output_size, kernel_size, stride, dilation, padding):
        ctx.settings, ctx.in_size = (kernel_size, stride, dilation, padding), tuple(columns.shape[2 + len(kernel_size) :])
        return _add_stamps(columns, output_size, kernel_size, stride, dilation, padding)

    @staticmethod
    def backward(ctx, grad):  # grad: (N, C, O...)
        kernel_size, stride, dilation, padding = ctx.settings
        n = len(kernel_size)
        full = padding_modes.pad(grad, tuple((p, p) for p in padding))  # the uncut result's gradient, zeros outside
        windows = sliding_windows(full, kernel_size, stride, dilation)  # (N, C, I'..., k...), I' >= I
        windows = windows[(..., *(slice(0, i) for i in ctx.in_size), *(slice(None),) * n)]  # output_padding can add one
        stamps = windows.permute(0, 1, *range(2 + n, 2 + 2 * n), *range(2, 2 + n))  # (N, C, k..., I...)
        return stamps, None, None, None, None, None


def _convolve_transpose(a: args.ConvTransposeArgs) -> torch.Tensor:
    """GEMM + col2im for checked arguments ``a`` (see :class:`course_lib.args.ConvTransposeArgs`)."""
    x = a.input
    batch, in_channels = x.shape[:2]
    in_size = tuple(x.shape[2:])
    # weight (C_in, C_out/g, k...) -> (g, C_out/g * prod(k), C_in/g): each row is one (output channel, offset)
    w = a.weight.reshape(a.groups, in_channels // a.groups, -1).transpose(1, 2)
    x = x.reshape(batch, a.groups, in_channels // a.groups, math.prod(in_size))  # (N, g, C_in/g, prod(I))
    columns = w @ x  # (N, g, C_out/g * prod(k), prod(I)): every stamp of every input element
    columns = columns.reshape(batch, a.out_channels, *a.kernel_size, *in_size)
    out = col2im(columns, a.output_size, a.kernel_size, a.stride, a.dilation, a.padding)
    return a.finish(out)  # + bias; unbatched in, unbatched out


def conv_transpose_zero_insertion(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as an ordinary convolution of a stretched input (the teaching view).

    Three steps, each one line below:

    1. insert ``stride - 1`` zeros between neighbouring input elements;
    2. pad every axis by ``d*(k-1) - p`` at the start and ``d*(k-1) - p + output_padding``
       at the end (a negative amount crops);
    3. convolve with stride 1 and the kernel flipped on every spatial axis, its
       input and output channels swapped within each group.

    Same arguments and result as :func:`conv_transposend`; slower, because most
    of the products it computes are with the inserted zeros.

    Taught in lesson 07 (transposed convolution).

    >>> conv_transpose_zero_insertion(torch.tensor([[[1., 2.]]]), torch.ones(1, 1, 3), stride=2)   # as conv_transpose1d
    tensor([[[1., 1., 3., 2., 2.]]])
    """
    a = args.conv_transpose_args("conv_transpose_zero_insertion", input, weight, bias, stride, padding, output_padding, groups, dilation)
    x = a.input
    # 1. zero insertion: element i moves to i*s.
    stretched = x.new_zeros((*x.shape[:2], *((i - 1) * s + 1 for i, s in zip(x.shape[2:], a.stride))))
    stretched[(..., *(slice(None, None, s) for s in a.stride))] = x
    # 2. pad (or crop, where p > d*(k-1)).
    before = [d * (k - 1) - p for d, k, p in zip(a.dilation, a.kernel_size, a.padding)]
    after = [b + extra for b, extra in zip(before, a.output_padding)]
    stretched = padding_modes.pad(stretched, tuple((max(b, 0), max(e, 0)) for b, e in zip(before, after)))
    crop = tuple(slice(max(-b, 0), size - max(-e, 0)) for b, e, size in zip(before, after, stretched.shape[2:]))
    stretched = stretched[(..., *crop)]
    # 3. flip the kernel and swap its channel axes per group: (C_in, C_out/g, k...) -> (C_out, C_in/g, k...).
    in_channels, out_per_group = a.weight.shape[:2]
    w = a.weight.reshape(a.groups, in_channels // a.groups, out_per_group, *a.kernel_size).transpose(1, 2)
    w = w.reshape(a.out_channels, in_channels // a.groups, *a.kernel_size).flip(list(range(2, 2 + a.n)))
    out = convnd(stretched, w, None, stride=1, dilation=a.dilation, groups=a.groups)
    return a.finish(out)  # + bias; unbatched in, unbatched out

args.fill_docstrings(convnd, conv1d, conv2d, conv3d, conv_transposend, conv_transpose1d, conv_transpose2d, conv_transpose3d)  # the {fragments} above, from args.DOCS
