"""Separable convolutions: doing a big convolution as two small ones.

Four ways to split a convolution, each with its parameter and
multiply-accumulate (MAC) counts from ``course_lib.shapes``:

- **depthwise-separable** (MobileNet, Xception): a *depthwise* convolution
  (one k x k filter per input channel, ``groups = C_in``) mixes space, then a
  *pointwise* 1 x 1 convolution mixes channels. Roughly ``1/C_out + 1/k^2``
  of the parameters and MACs of a full convolution.
- **spatially separable**: a k x k kernel that is an outer product
  ``column ⊗ row`` (rank 1) is a (k x 1) convolution followed by a (1 x k)
  one: ``2k`` instead of ``k^2`` multiplications per output. The SVD tells
  whether a kernel is rank 1, and if not, what the best rank-1 version loses.
- **(2+1)-D** (R(2+1)D, Tran et al. 2018): a t x d x d video convolution as a
  (1, d, d) spatial convolution into ``M`` channels, then a (t, 1, 1) temporal
  one, with ``M`` chosen so that the parameter count matches the full 3-D layer.
- **channel-separated** (CSN, Tran et al. 2019): a video bottleneck block whose
  middle k x k x k convolution is depthwise (one filter per channel), with
  (``"ip"``) or without (``"ir"``) an extra 1 x 1 x 1 convolution before it.

All functions are built on ``course_lib.vectorised``: differentiable, any device.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib import args, shapes, utils, vectorised

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
    """
    hidden = depthwise_conv2d(input, depthwise_weight, depthwise_bias, stride, padding, dilation, padding_mode)
    return pointwise_conv2d(hidden, pointwise_weight, pointwise_bias)


def depthwise_separable_counts(in_channels, out_channels, kernel_size, output_size, multiplier=1, bias=False) -> dict:
    """Parameters and MACs (one sample) of a full convolution and its depthwise-separable version.

    Args:
        in_channels, out_channels: of the layer.
        kernel_size, output_size: ``(kH, kW)`` and ``(H_out, W_out)`` (an int means both axes).
        multiplier: depthwise filters per input channel.
        bias: count biases in the parameters.

    Returns:
        ``{"full": {"params", "macs"}, "depthwise": {...}, "pointwise": {...},
        "separable": {...}, "ratio": {"params", "macs"}}`` with ratio = separable / full.

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
    separately (a depthwise convolution), at ``kH + kW`` instead of ``kH * kW``
    multiplications per output.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        column: ``(kH,)`` for all channels, or ``(C, kH)`` one per channel.
        row: ``(kW,)`` or ``(C, kW)``.
        stride, padding, dilation: int or ``(along H, along W)``; padding may be ``"same"`` or
            ``"valid"``.
        padding_mode: as in ``conv2d``.

    Returns:
        ``(N, C, H_out, W_out)``.
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


def spatially_separable_counts(kernel_size, input_size, channels=1, stride=1, padding=0, dilation=1) -> dict:
    """Parameters and MACs (one sample) of a depthwise ``kH x kW`` kernel vs its two 1-D passes.

    Counts what :func:`spatially_separable_conv2d` does with the same arguments:
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
        stride, padding, dilation: as in :func:`spatially_separable_conv2d`.

    >>> c = spatially_separable_counts(3, 10)   # N = 10, m = 3
    >>> c["full"]["macs"], c["vertical"]["macs"], c["horizontal"]["macs"], c["separable"]["macs"]
    (576, 240, 192, 432)
    """
    kh, kw = utils.as_tuple("kernel_size", kernel_size, 2, minimum=1)
    size = utils.as_tuple("input_size", input_size, 2, minimum=1)
    channels = utils.check_int("channels", channels, minimum=1)
    out = shapes.conv_output_size(size, (kh, kw), stride, padding, dilation)
    full = _counts(channels, channels, (kh, kw), out, channels, False)
    vertical = _counts(channels, channels, (kh, 1), (out[0], size[1]), channels, False)
    horizontal = _counts(channels, channels, (1, kw), out, channels, False)
    return _with_ratio(full, {"vertical": vertical, "horizontal": horizontal})


# ----------------------------------------------------------------------------
# (2+1)-D: a 3-D convolution as spatial then temporal
# ----------------------------------------------------------------------------


def r2plus1d_mid_channels(in_channels, out_channels, kernel_size) -> int:
    """Channels between the spatial and the temporal step so that parameters match the full 3-D layer.

    For a ``t x d x d`` kernel (R(2+1)D, Tran et al. 2018):
    ``M = floor(t * d^2 * N_in * N_out / (d^2 * N_in + t * N_out))`` (``d^2`` is ``kH * kW`` in
    general).

    >>> r2plus1d_mid_channels(64, 64, 3)
    144
    """
    n_in = utils.check_int("in_channels", in_channels, minimum=1)
    n_out = utils.check_int("out_channels", out_channels, minimum=1)
    t, kh, kw = utils.as_tuple("kernel_size", kernel_size, 3, minimum=1)
    return (t * kh * kw * n_in * n_out) // (kh * kw * n_in + t * n_out)


def conv2plus1d(
    input, spatial_weight, temporal_weight, spatial_bias=None, temporal_bias=None,
    stride=1, padding=0, dilation=1, activation=None,
):
    """A (2+1)-D block: a ``(1, kH, kW)`` spatial convolution, optionally an activation, a
    ``(kT, 1, 1)`` temporal one.

    Args:
        input: ``(N, C_in, T, H, W)`` or unbatched ``(C_in, T, H, W)``.
        spatial_weight: ``(M, C_in, 1, kH, kW)``.
        temporal_weight: ``(C_out, M, kT, 1, 1)``.
        spatial_bias: ``(M,)`` or ``None``; temporal_bias: ``(C_out,)`` or ``None``.
        stride, padding, dilation: int or ``(T, H, W)``: the ``T`` part goes to the temporal
            step, the ``H, W`` parts to the spatial step.
        activation: a function applied between the steps (R(2+1)D uses ``torch.relu``), or ``None``.

    Returns:
        ``(N, C_out, T_out, H_out, W_out)``, the same size as a ``(kT, kH, kW)`` conv3d with these
        arguments.
    """
    args.check_weight("conv2plus1d", spatial_weight, 3)
    args.check_weight("conv2plus1d", temporal_weight, 3)
    if spatial_weight.shape[2] != 1:
        raise ValueError(f"conv2plus1d: spatial_weight must be (M, C_in, 1, kH, kW), got shape {tuple(spatial_weight.shape)}.")
    if tuple(temporal_weight.shape[3:]) != (1, 1):
        raise ValueError(f"conv2plus1d: temporal_weight must be (C_out, M, kT, 1, 1), got shape {tuple(temporal_weight.shape)}.")
    s = utils.as_tuple("stride", stride, 3, minimum=1)  # (T, H, W)
    p = utils.as_tuple("padding", padding, 3, minimum=0)
    d = utils.as_tuple("dilation", dilation, 3, minimum=1)
    hidden = vectorised.conv3d(input, spatial_weight, spatial_bias, (1, s[1], s[2]), (0, p[1], p[2]), (1, d[1], d[2]))
    if activation is not None:
        hidden = activation(hidden)
    return vectorised.conv3d(hidden, temporal_weight, temporal_bias, (s[0], 1, 1), (p[0], 0, 0), (d[0], 1, 1))


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
    """
    kernel = utils.as_tuple("kernel_size", kernel_size, 3, minimum=1)
    size = utils.as_tuple("input_size", input_size, 3, minimum=1)
    stride = utils.as_tuple("stride", stride, 3, minimum=1)
    padding = utils.as_tuple("padding", padding, 3, minimum=0)
    m = r2plus1d_mid_channels(in_channels, out_channels, kernel) if mid_channels is None else utils.check_int("mid_channels", mid_channels, 1)
    out = shapes.conv_output_size(size, kernel, stride, padding)
    # The spatial step keeps T; the temporal step keeps the spatial step's H, W.
    spatial_out = (size[0], out[1], out[2])
    full = _counts(in_channels, out_channels, kernel, out, 1, bias)
    spatial = _counts(in_channels, m, (1, kernel[1], kernel[2]), spatial_out, 1, bias)
    temporal = _counts(m, out_channels, (kernel[0], 1, 1), out, 1, bias)
    result = _with_ratio(full, {"spatial": spatial, "temporal": temporal})
    result["mid_channels"] = m
    return result


# ----------------------------------------------------------------------------
# Channel-separated video convolutions (CSN)
# ----------------------------------------------------------------------------

CSN_KINDS = ("ip", "ir")


def csn_block(
    input, reduce_weight, depthwise_weight, expand_weight, interaction_weight=None, kind="ip",
    stride=1, padding=0, dilation=1, activation=None,
):
    """A channel-separated bottleneck block (CSN, Tran et al. 2019), without its norms, activations and
    shortcut.

    Follows the definitions of the interaction-preserved and interaction-reduced bottleneck
    blocks in "Video Classification with Channel-Separated Convolutional Networks"
    (Tran, Wang, Torresani, Feiszli, ICCV 2019). The ResNet
    bottleneck block is ``1x1x1 (C_in -> M)``, ``kxkxk (M -> M)``, ``1x1x1 (M -> C_out)``;
    CSN replaces its middle ``kxkxk`` convolution:

    - ``kind="ip"`` (interaction-preserved): by a ``1x1x1`` convolution ``M -> M``
      (``interaction_weight``), then a ``kxkxk`` depthwise convolution (``M`` groups).
      Channel interactions are kept (by the extra ``1x1x1``); only the
      spatio-temporal filtering is separated per channel.
    - ``kind="ir"`` (interaction-reduced): by the ``kxkxk`` depthwise convolution alone;
      channels now meet only in the two outer ``1x1x1`` convolutions.

    The paper puts batch norm and ReLU after each convolution and adds the shortcut
    ``input + block(input)``; here only ``activation`` (if given) runs after every
    convolution but the last, and no biases are used (ResNets put batch norm after bias-free
    convolutions). The steps are :func:`course_lib.vectorised.conv3d` calls.

    Args:
        input: ``(N, C_in, T, H, W)`` or unbatched ``(C_in, T, H, W)``.
        reduce_weight: ``(M, C_in, 1, 1, 1)``.
        depthwise_weight: ``(M, 1, kT, kH, kW)``.
        expand_weight: ``(C_out, M, 1, 1, 1)``.
        interaction_weight: ``(M, M, 1, 1, 1)`` for ``kind="ip"``; must be ``None`` for ``"ir"``.
        kind: ``"ip"`` or ``"ir"``.
        stride, padding, dilation: of the depthwise step (int or ``(T, H, W)``; padding may be
            ``"same"`` or ``"valid"``), as in ``conv3d``.
        activation: a function applied after each convolution except the last, or ``None``.

    Returns:
        ``(N, C_out, T_out, H_out, W_out)`` (unbatched input gives unbatched output).

    >>> x = torch.randn(1, 8, 4, 6, 6)
    >>> reduce, mix = torch.randn(4, 8, 1, 1, 1), torch.randn(4, 4, 1, 1, 1)
    >>> depthwise, expand = torch.randn(4, 1, 3, 3, 3), torch.randn(16, 4, 1, 1, 1)
    >>> csn_block(x, reduce, depthwise, expand, mix, kind="ip", padding=1).shape
    torch.Size([1, 16, 4, 6, 6])
    >>> csn_block(x, reduce, depthwise, expand, kind="ir").shape
    torch.Size([1, 16, 2, 4, 4])
    """
    utils.check_choice("kind", kind, CSN_KINDS)
    in_channels = args.check_conv_input("csn_block", input, 3)[0].shape[1]
    for name, weight in (("reduce_weight", reduce_weight), ("depthwise_weight", depthwise_weight),
                         ("expand_weight", expand_weight)):
        utils.check_tensor(name, weight)
        if weight.dim() != 5:
            raise ValueError(f"csn_block: {name} must be 5-D, got shape {tuple(weight.shape)}.")
    mid = reduce_weight.shape[0]
    if tuple(reduce_weight.shape) != (mid, in_channels, 1, 1, 1) or mid == 0:
        raise ValueError(
            f"csn_block: reduce_weight must be (M, C_in, 1, 1, 1) = (M, {in_channels}, 1, 1, 1) for this input "
            f"with {in_channels} channels and M >= 1, got shape {tuple(reduce_weight.shape)}."
        )
    if depthwise_weight.shape[:2] != (mid, 1) or 0 in depthwise_weight.shape[2:]:
        raise ValueError(
            f"csn_block: depthwise_weight must be (M, 1, kT, kH, kW) = ({mid}, 1, kT, kH, kW), one filter per "
            f"channel of reduce_weight's output, got shape {tuple(depthwise_weight.shape)}."
        )
    if expand_weight.shape[1:] != (mid, 1, 1, 1) or expand_weight.shape[0] == 0:
        raise ValueError(
            f"csn_block: expand_weight must be (C_out, M, 1, 1, 1) = (C_out, {mid}, 1, 1, 1), "
            f"got shape {tuple(expand_weight.shape)}."
        )
    if kind == "ip":
        if interaction_weight is None:
            raise ValueError(
                "csn_block: kind='ip' (interaction-preserved) needs interaction_weight, the 1x1x1 (M, M, 1, 1, 1) "
                "convolution before the depthwise one; pass it, or use kind='ir'."
            )
        utils.check_tensor("interaction_weight", interaction_weight)
        if tuple(interaction_weight.shape) != (mid, mid, 1, 1, 1):
            raise ValueError(
                f"csn_block: interaction_weight must be (M, M, 1, 1, 1) = ({mid}, {mid}, 1, 1, 1), "
                f"got shape {tuple(interaction_weight.shape)}."
            )
    elif interaction_weight is not None:
        raise ValueError(
            "csn_block: kind='ir' (interaction-reduced) has no 1x1x1 interaction convolution; "
            "drop interaction_weight, or use kind='ip'."
        )

    def act(t):
        return t if activation is None else activation(t)

    hidden = act(vectorised.conv3d(input, reduce_weight))
    if kind == "ip":
        hidden = act(vectorised.conv3d(hidden, interaction_weight))
    hidden = act(vectorised.conv3d(hidden, depthwise_weight, None, stride, padding, dilation, groups=mid))
    return vectorised.conv3d(hidden, expand_weight)


def csn_counts(in_channels, mid_channels, out_channels, kernel_size, input_size, kind="ip",
               stride=1, padding=0, bias=False) -> dict:
    """Parameters and MACs (one sample) of a CSN block (:func:`csn_block`) and of the bottleneck it
    replaces.

    ``"full"`` is the ResNet bottleneck block ``1x1x1 (C_in -> M)``, ``kxkxk (M -> M)``,
    ``1x1x1 (M -> C_out)``; the parts are the CSN block's convolutions.

    Args:
        in_channels, mid_channels, out_channels: ``C_in``, ``M``, ``C_out``.
        kernel_size: ``(kT, kH, kW)`` of the middle convolution (an int: the same on every axis).
        input_size: ``(T, H, W)`` of the input.
        kind: ``"ip"`` or ``"ir"`` (see :func:`csn_block`).
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
    out = shapes.conv_output_size(size, kernel, stride, padding)
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


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


def _counts(in_channels, out_channels, kernel, output_size, groups, bias) -> dict:
    return {
        "params": shapes.conv_params(in_channels, out_channels, tuple(kernel), groups, bias),
        "macs": shapes.conv_macs(in_channels, out_channels, tuple(kernel), tuple(output_size), groups),
    }


def _with_ratio(full: dict, parts: dict) -> dict:
    separable = {key: sum(part[key] for part in parts.values()) for key in ("params", "macs")}
    ratio = {key: separable[key] / full[key] for key in ("params", "macs")}
    return {"full": full, **parts, "separable": separable, "ratio": ratio}


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
