"""A convolution is a matrix; the transposed convolution is its transpose.

For one sample, a convolution is a linear map from the flattened input
``x.flatten()`` (length ``C_in * S1*...*Sn``) to the flattened output (length
``C_out * O1*...*On``), so it *is* a matrix ``M``::

    conv(x).flatten() == M @ x.flatten()

Row ``(co, o)`` of ``M`` holds the kernel of output channel ``co``, placed at the
input positions ``o*s + k*d - p`` that the window of output position ``o``
covers; everything else in the row is zero (``M`` is mostly zeros).

This module builds ``M`` (:func:`conv_matrix`) and shows the two other views of
the transposed convolution that the lesson compares with the scatter loop
(``course_lib.naive``) and zero insertion (``course_lib.vectorised``):

- :func:`conv_transpose_by_matrix`: ``M.T @ x``, the transpose of the matrix;
- :func:`conv_transpose_by_gradient`: the gradient of a convolution with
  respect to its input, computed by autograd.

Dense matrices grow as (input size) x (output size): use small inputs.
"""
from __future__ import annotations

import itertools
import math

import torch

from course_lib import args, padding_modes, shapes, utils, vectorised


def conv_matrix(weight, input_size, stride=1, padding=0, dilation=1, groups=1):
    """The dense matrix ``M`` of a convolution (zero padding) for one sample.

    Args:
        weight: ``(C_out, C_in / groups, k1, ..., kn)``.
        input_size: the spatial size ``(S1, ..., Sn)`` of the input (an int for every axis alike).
        stride, dilation: int or n-tuple, >= 1.
        padding: int, n-tuple, ``"valid"`` or ``"same"`` (zeros).
        groups: as in a convolution.

    Returns:
        ``(C_out * O1*...*On, C_in * S1*...*Sn)``, same dtype and device as ``weight``, with
        ``convnd(x, weight, ...)[i].flatten() == M @ x[i].flatten()`` for every sample ``x[i]``.
        Differentiable with respect to ``weight``.

    >>> M = conv_matrix(torch.tensor([[[1.0, 2.0]]]), 3)   # kernel (1, 2) on a length-3 signal
    >>> M
    tensor([[1., 2., 0.],
            [0., 1., 2.]])
    """
    a = _conv_args_for_size("conv_matrix", weight, input_size, stride, padding, dilation, groups)
    out_channels, in_per_group = weight.shape[:2]
    out_per_group = out_channels // a.groups
    in_size = tuple(a.input.shape[2:])
    # Every (output channel, output position, input channel of its group, kernel offset) gives one entry.
    co = torch.arange(out_channels, device=weight.device)
    ci = torch.arange(in_per_group, device=weight.device)
    positions = torch.tensor(list(itertools.product(*(range(o) for o in a.output_size))), device=weight.device)
    offsets = torch.tensor(list(itertools.product(*(range(k) for k in a.kernel_size))), device=weight.device)
    stride_t = torch.tensor(a.stride, device=weight.device)
    dilation_t = torch.tensor(a.dilation, device=weight.device)
    before = torch.tensor([b for b, _ in a.padding], device=weight.device)
    # Input coordinate of (output position o, kernel offset k): o*s + k*d - p_before, shape (P, K, n).
    source = shapes.window_position(positions[:, None, :], offsets[None, :, :], stride_t, dilation_t) - before
    inside = ((source >= 0) & (source < torch.tensor(in_size, device=weight.device))).all(-1)  # (P, K)
    flat_source = _flatten_index(source.clamp(min=0), in_size)  # (P, K)
    # Rows: co * P + p. Columns: (group's first input channel + ci) * prod(S) + flat source.
    n_positions, n_inputs = math.prod(a.output_size), math.prod(in_size)
    rows = co[:, None, None, None] * n_positions + torch.arange(n_positions, device=weight.device)[None, :, None, None]
    first_in = (co // out_per_group) * in_per_group
    cols = (first_in[:, None, None, None] + ci[None, None, :, None]) * n_inputs + flat_source[None, :, None, :]
    values = weight.reshape(out_channels, 1, in_per_group, -1)  # (C_out, 1, C_in/g, K)
    shape = (out_channels, n_positions, in_per_group, offsets.shape[0])
    keep = inside[None, :, None, :].expand(shape)
    matrix = weight.new_zeros((out_channels * n_positions, weight.shape[1] * a.groups * n_inputs))
    return matrix.index_put(
        (rows.expand(shape)[keep], cols.expand(shape)[keep]), values.expand(shape)[keep], accumulate=True
    )


def conv_transpose_by_matrix(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as ``M.T @ x``: the transpose of the convolution's matrix.

    ``M`` is :func:`conv_matrix` of the convolution with the same weight, stride,
    padding, dilation and groups on an input of the transposed convolution's
    *output* size: that convolution maps ``(C_out, O...)`` back to ``(C_in, S...)``,
    and its transpose maps ``(C_in, S...)`` to ``(C_out, O...)``.

    Same arguments and result as ``course_lib.vectorised.conv_transposend``
    (weight ``(C_in, C_out/groups, k...)``, input ``(N, C_in, S...)`` or unbatched).

    >>> conv_transpose_by_matrix(torch.tensor([[[1., 2.]]]), torch.ones(1, 1, 3), stride=2)   # stamps at 0 and 2
    tensor([[[1., 1., 3., 2., 2.]]])
    """
    a = args.conv_transpose_args("conv_transpose_by_matrix", input, weight, bias, stride, padding, output_padding, groups, dilation)
    in_channels, in_size = a.input.shape[1], tuple(a.input.shape[2:])
    m = conv_matrix(a.weight, a.output_size, a.stride, a.padding, a.dilation, a.groups)  # (C_in*prod(S'), C_out*prod(O))
    m = _rows_within(m, in_channels, in_size, _conv_size(a))  # (C_in*prod(S), C_out*prod(O))
    x = a.input.reshape(a.input.shape[0], in_channels * math.prod(in_size))  # (N, C_in * prod(S))
    out = (x @ m).reshape(x.shape[0], a.out_channels, *a.output_size)  # each row: (M.T @ x_i).T
    return a.finish(out)  # + bias; unbatched in, unbatched out


def conv_transpose_by_gradient(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as the gradient of a convolution with respect to its input.

    If ``y = conv(z, weight)`` then ``dL/dz = conv_transpose(dL/dy, weight)``:
    this function runs ``course_lib.vectorised.convnd`` on a zero input ``z`` of
    the transposed convolution's output size and asks autograd for
    ``d(sum(y * input)) / dz``, which is the transposed convolution of ``input``.
    (The value of ``z`` does not matter: the convolution is linear in it.)

    Same arguments and result as ``course_lib.vectorised.conv_transposend``;
    differentiable itself (``create_graph=True``).

    >>> conv_transpose_by_gradient(torch.tensor([[[1., 2.]]]), torch.ones(1, 1, 3), stride=2)
    tensor([[[1., 1., 3., 2., 2.]]])
    """
    a = args.conv_transpose_args("conv_transpose_by_gradient", input, weight, bias, stride, padding, output_padding, groups, dilation)
    # With output_padding >= stride the convolution of the output size has S' > S positions on
    # an axis; the extra ones get no gradient, so the input is padded with zeros up to S'.
    extra = tuple((0, c - i) for c, i in zip(_conv_size(a), a.input.shape[2:]))
    upstream = padding_modes.pad(a.input, extra)
    with torch.enable_grad():
        z = a.input.new_zeros((a.input.shape[0], a.out_channels, *a.output_size), requires_grad=True)
        y = vectorised.convnd(z, a.weight, None, a.stride, a.padding, a.dilation, a.groups)
        (grad,) = torch.autograd.grad(y, z, grad_outputs=upstream, create_graph=True)
    return a.finish(grad)  # + bias; unbatched in, unbatched out


def _conv_size(a: args.ConvTransposeArgs) -> tuple[int, ...]:
    """Spatial size S' of the convolution (same weight and arguments) of the transposed convolution's
    output.

    ``S' = S + floor(output_padding / stride)`` on each axis: it equals the transposed
    convolution's input size S unless ``output_padding >= stride`` (allowed when it is below the
    dilation).
    """
    return tuple(
        shapes.output_length(o, k, s, p, d)
        for o, k, s, p, d in zip(a.output_size, a.kernel_size, a.stride, a.padding, a.dilation)
    )


def _rows_within(m: torch.Tensor, channels: int, size, full_size) -> torch.Tensor:
    """Keep the rows of ``m`` (``channels * prod(full_size)`` of them) whose position lies within
    ``size``."""
    m = m.reshape(channels, *full_size, m.shape[1])
    m = m[(slice(None), *(slice(0, s) for s in size))]
    return m.reshape(channels * math.prod(size), m.shape[-1])


def _conv_args_for_size(op, weight, input_size, stride, padding, dilation, groups) -> args.ConvArgs:
    """Checked convolution arguments for an input of spatial size ``input_size`` (no data needed)."""
    n = args.check_weight(op, weight, None)
    size = utils.as_tuple("input_size", input_size, n, minimum=1)
    groups = utils.check_int("groups", groups, minimum=1)
    # A zero-stride view stands in for the input: it has the right shape and costs no memory.
    stand_in = weight.new_zeros(1).expand(1, weight.shape[1] * groups, *size)
    return args.conv_args(op, stand_in, weight, None, stride, padding, dilation, groups, "zeros")


def _flatten_index(index: torch.Tensor, size) -> torch.Tensor:
    """Row-major flat index of the coordinates in the last axis of ``index`` for a grid of ``size``."""
    flat = torch.zeros(index.shape[:-1], dtype=torch.long, device=index.device)
    for axis, s in enumerate(size):
        flat = flat * s + index[..., axis]
    return flat
