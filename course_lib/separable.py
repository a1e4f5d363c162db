"""Separable convolutions in 2-D: doing a big convolution as two small ones.

Two ways to split a 2-D convolution (their parameter and multiply-accumulate
(MAC) counts are in :mod:`course_lib.shapes`: :func:`~course_lib.shapes.depthwise_separable_counts`,
:func:`~course_lib.shapes.spatially_separable_counts`):

- **depthwise-separable** (MobileNet, Xception): a *depthwise* convolution
  (one k x k filter per input channel, ``groups = C_in``) mixes space, then a
  *pointwise* 1 x 1 convolution mixes channels. Roughly ``1/C_out + 1/k^2``
  of the parameters and MACs of a full convolution.
- **spatially separable**: a k x k kernel that is an outer product
  ``column ⊗ row`` (rank 1) is a (k x 1) convolution followed by a (1 x k)
  one: ``2k`` instead of ``k^2`` multiplications per output. The SVD tells
  whether a kernel is rank 1, and if not, what the best rank-1 version loses.

The video forms, (2+1)-D and channel-separated (CSN), are in :mod:`course_lib.video`.
All functions are built on ``course_lib.vectorised``: differentiable, any device.
Taught in lesson 06.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib import args, utils, vectorised

# ----------------------------------------------------------------------------
# Depthwise, pointwise, depthwise-separable
# ----------------------------------------------------------------------------


def depthwise_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, padding_mode="zeros"):
    """Depthwise convolution: every input channel gets its own filter(s), no channel mixing.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        weight: ``(C * m, 1, kH, kW)``: ``m`` filters per input channel (the depth multiplier, usually
            1).
        bias: ``(C * m,)`` or ``None``.
        stride, padding, dilation, padding_mode: as in ``course_lib.vectorised.conv2d``.

    Returns:
        ``(N, C * m, H_out, W_out)``: ``conv2d`` with ``groups = C``.

    >>> x = torch.stack([torch.ones(3, 3), 2 * torch.ones(3, 3)])[None]   # (1, 2, 3, 3): channels of 1s and 2s
    >>> depthwise_conv2d(x, torch.ones(2, 1, 3, 3)).flatten()              # each channel summed on its own
    tensor([ 9., 18.])
    """
    channels = args.check_conv_input("depthwise_conv2d", input, 2)[0].shape[1]
    args.check_weight("depthwise_conv2d", weight, 2)
    if weight.shape[1] != 1:
        raise ValueError(
            f"depthwise_conv2d: weight must be (C * multiplier, 1, kH, kW) with one input channel per filter, "
            f"got shape {tuple(weight.shape)}. For filters that mix channels use conv2d."
        )
    return vectorised.conv2d(input, weight, bias, stride, padding, dilation, groups=channels, padding_mode=padding_mode)


def pointwise_conv2d(input, weight, bias=None):
    """Pointwise (1 x 1) convolution: mixes channels at every pixel, no spatial extent.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in, 1, 1)``.
        bias: ``(C_out,)`` or ``None``.

    Returns:
        ``(N, C_out, H, W)``: at every pixel, ``weight[:, :, 0, 0] @ input[n, :, h, w]``.

    >>> x = torch.tensor([1., 2.]).view(1, 2, 1, 1).expand(1, 2, 2, 2)   # every pixel holds (1, 2)
    >>> pointwise_conv2d(x, torch.tensor([[1., 1.], [1., -1.]]).view(2, 2, 1, 1))[0, :, 0, 0]
    tensor([ 3., -1.])
    """
    args.check_weight("pointwise_conv2d", weight, 2)
    if tuple(weight.shape[2:]) != (1, 1):
        raise ValueError(
            f"pointwise_conv2d: weight must be (C_out, C_in, 1, 1), got kernel {tuple(weight.shape[2:])} "
            f"(shape {tuple(weight.shape)}). Use conv2d for a larger kernel."
        )
    return vectorised.conv2d(input, weight, bias)


def depthwise_separable_conv2d(
    input, depthwise_weight, pointwise_weight, depthwise_bias=None, pointwise_bias=None,
    stride=1, padding=0, dilation=1, padding_mode="zeros",
):
    """Depthwise convolution, then pointwise: the MobileNet block (without its norms and activations).

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        depthwise_weight: ``(C_in * m, 1, kH, kW)``.
        pointwise_weight: ``(C_out, C_in * m, 1, 1)``.
        depthwise_bias: ``(C_in * m,)`` or ``None``; pointwise_bias: ``(C_out,)`` or ``None``.
        stride, padding, dilation, padding_mode: of the depthwise step.

    Returns:
        ``(N, C_out, H_out, W_out)``.

    >>> x = torch.randn(1, 8, 10, 10)
    >>> depthwise_separable_conv2d(x, torch.randn(8, 1, 3, 3), torch.randn(16, 8, 1, 1), padding=1).shape
    torch.Size([1, 16, 10, 10])
    """
    hidden = depthwise_conv2d(input, depthwise_weight, depthwise_bias, stride, padding, dilation, padding_mode)
    return pointwise_conv2d(hidden, pointwise_weight, pointwise_bias)


# ----------------------------------------------------------------------------
# Spatially separable: rank-1 kernels and the SVD
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Factorisation:
    """What the SVD says about a kernel ``K``.

    Attributes:
        singular_values: all of them, largest first (as a tensor).
        rank: how many are above ``tolerance`` (numerical rank).
        separable: ``rank <= 1``: ``K`` is exactly ``column ⊗ row`` (up to rounding).
        relative_error: ``||K - column ⊗ row||_F / ||K||_F`` of the best rank-1
            approximation, ``sqrt(s2^2 + s3^2 + ...) / sqrt(s1^2 + s2^2 + ...)`` (0 for a zero kernel).
        tolerance: singular values at or below it count as zero.
    """

    singular_values: torch.Tensor
    rank: int
    separable: bool
    relative_error: float
    tolerance: float

    def __str__(self) -> str:
        values = ", ".join(f"{v:.4g}" for v in self.singular_values.tolist())
        if self.separable:
            return f"rank {self.rank}: separable, column ⊗ row is exact (singular values {values})."
        return (
            f"rank {self.rank}: NOT separable; the best rank-1 approximation (column ⊗ row) loses "
            f"{100 * self.relative_error:.3g}% of the kernel (relative Frobenius error; singular values {values})."
        )


def factorise_kernel(kernel, rtol=None):
    """Split a 2-D kernel into ``column ⊗ row`` with the SVD, and say how good the split is.

    ``K = U diag(s) V^T``; the best rank-1 approximation is ``s1 * u1 v1^T``
    (Eckart-Young), so ``column = sqrt(s1) * u1`` and ``row = sqrt(s1) * v1``.
    It equals ``K`` exactly when every other singular value is zero.

    Args:
        kernel: ``(kH, kW)``.
        rtol: singular values ``<= rtol * s1`` count as zero; default
            ``max(kH, kW) * eps`` of the dtype (as ``torch.linalg.matrix_rank``).

    Returns:
        ``(column, row, info)``: ``column`` is ``(kH,)``, ``row`` is ``(kW,)`` (signs chosen so
        that the largest entry of ``column`` is positive), ``info`` a :class:`Factorisation`.

    >>> column, row, info = factorise_kernel(torch.tensor([[1., 0., -1.], [2., 0., -2.], [1., 0., -1.]]))
    >>> info.separable, info.rank
    (True, 1)
    >>> torch.allclose(torch.outer(column, row), torch.tensor([[1., 0., -1.], [2., 0., -2.], [1., 0., -1.]]))
    True
    """
    utils.check_tensor("kernel", kernel)
    if kernel.dim() != 2 or kernel.numel() == 0:
        raise ValueError(
            f"factorise_kernel: kernel must be a non-empty 2-D (kH, kW) tensor, got shape {tuple(kernel.shape)}. "
            f"For a conv2d weight (C_out, C_in, kH, kW) pass one slice, e.g. weight[0, 0]."
        )
    if not kernel.is_floating_point():
        raise TypeError(f"factorise_kernel: kernel must be a floating-point tensor, got {kernel.dtype}; use kernel.float().")
    u, s, vh = torch.linalg.svd(kernel)
    if rtol is None:
        rtol = max(kernel.shape) * torch.finfo(kernel.dtype).eps
    tolerance = float(rtol) * s[0].item()
    rank = int((s > tolerance).sum())
    total = s.square().sum()
    relative_error = (s[1:].square().sum() / total).sqrt().item() if total > 0 else 0.0
    column, row = u[:, 0] * s[0].sqrt(), vh[0] * s[0].sqrt()
    if column[column.abs().argmax()] < 0:  # the SVD's sign is arbitrary: pick the readable one
        column, row = -column, -row
    info = Factorisation(s.detach(), rank, rank <= 1, relative_error, tolerance)
    return column, row, info


def spatially_separable_conv2d(input, column, row, stride=1, padding=0, dilation=1, padding_mode="zeros"):
    """Apply the kernel ``column ⊗ row`` to every channel as two 1-D passes: ``(kH x 1)``, then
    ``(1 x kW)``.

    Equal to ``conv2d`` with the kernel ``torch.outer(column, row)`` on each channel
    separately (a depthwise convolution). Per output it costs ``kH * kW`` multiplications done
    directly; the two passes cost about ``kH + kW``: the first pass also runs over the ``kW - 1``
    extra columns the second one reads, so the saving is exact only as the width grows.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        column: ``(kH,)`` for all channels, or ``(C, kH)`` one per channel.
        row: ``(kW,)`` or ``(C, kW)``.
        stride, padding, dilation: int or ``(along H, along W)``; padding may be ``"same"`` or
            ``"valid"``.
        padding_mode: as in ``conv2d``.

    Returns:
        ``(N, C, H_out, W_out)``.

    >>> x = torch.arange(16.).view(1, 1, 4, 4)
    >>> column, row = torch.tensor([1., 2., 1.]), torch.tensor([-1., 0., 1.])   # the Sobel kernel
    >>> spatially_separable_conv2d(x, column, row)
    tensor([[[[8., 8.],
              [8., 8.]]]])
    """
    channels = args.check_conv_input("spatially_separable_conv2d", input, 2)[0].shape[1]
    column = _per_channel("column", column, channels)  # (C, kH)
    row = _per_channel("row", row, channels)  # (C, kW)
    stride = utils.as_tuple("stride", stride, 2, minimum=1)
    dilation = utils.as_tuple("dilation", dilation, 2, minimum=1)
    if isinstance(padding, str):  # "same" / "valid" mean the same thing for each pass
        pad_h = pad_w = padding
    else:
        along_h, along_w = utils.as_tuple("padding", padding, 2)
        pad_h, pad_w = (along_h, 0), (0, along_w)
    vertical = vectorised.conv2d(input, column[:, None, :, None], None, (stride[0], 1), pad_h, (dilation[0], 1), channels, padding_mode)
    return vectorised.conv2d(vertical, row[:, None, None, :], None, (1, stride[1]), pad_w, (1, dilation[1]), channels, padding_mode)


def _per_channel(name, vector, channels) -> torch.Tensor:
    """A 1-D filter ``(k,)`` (shared) or ``(C, k)`` (one per channel), returned as ``(C, k)``."""
    utils.check_tensor(name, vector)
    if vector.dim() == 1 and vector.numel() > 0:
        return vector.expand(channels, -1)
    if vector.dim() == 2 and vector.shape[0] == channels and vector.shape[1] > 0:
        return vector
    raise ValueError(
        f"spatially_separable_conv2d: {name} must be (k,) for every channel or ({channels}, k), one per channel, "
        f"got shape {tuple(vector.shape)}."
    )
