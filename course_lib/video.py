"""Video convolutions built from smaller ones: (2+1)-D and channel-separated (CSN) blocks.

- **(2+1)-D** (R(2+1)D, Tran et al. 2018): a t x d x d video convolution as a
  (1, d, d) spatial convolution into ``M`` channels, then a (t, 1, 1) temporal
  one, with ``M`` chosen so that the parameter count matches the full 3-D layer
  (:func:`course_lib.shapes.r2plus1d_mid_channels`).
- **channel-separated** (CSN, Tran et al. 2019): a video bottleneck block whose
  middle k x k x k convolution is depthwise (one filter per channel), with
  (``"ip"``) or without (``"ir"``) an extra 1 x 1 x 1 convolution before it.

Their parameter and multiply-accumulate counts are in :mod:`course_lib.shapes`
(:func:`~course_lib.shapes.conv2plus1d_counts`, :func:`~course_lib.shapes.csn_counts`).
Both blocks are :func:`course_lib.vectorised.conv3d` calls: differentiable, any
device. Taught in lesson 06; the 2-D forms are in :mod:`course_lib.separable`.
"""
from __future__ import annotations

import torch

from course_lib import args, shapes, utils, vectorised


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

    Taught in lesson 06 (grouped and separable).

    >>> x = torch.randn(1, 3, 4, 6, 6)
    >>> spatial, temporal = torch.randn(8, 3, 1, 3, 3), torch.randn(5, 8, 3, 1, 1)
    >>> conv2plus1d(x, spatial, temporal, padding=1, activation=torch.relu).shape   # as a 3x3x3 conv3d
    torch.Size([1, 5, 4, 6, 6])
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
    utils.check_choice("kind", kind, shapes.CSN_KINDS)
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
