"""The arguments of a convolution and a transposed convolution, checked once.

``conv_args`` and ``conv_transpose_args`` turn the many ways a user may write
a call (an int or a tuple, ``"same"``, a batched or unbatched input) into one
normal form, :class:`ConvArgs` or :class:`ConvTransposeArgs`, and reject bad
input with a message that names the parameter, what was given and what would
fix it. Every implementation (``naive``, ``vectorised``, ``matrix``, and any
later one) starts with one of these calls and ends with the normal form's
:meth:`~_SlidingArgs.finish` (add the bias, drop the batch axis again), so a
rule is written once and every implementation obeys it.

Imports: the leaf :mod:`course_lib.utils` (small checks, layout names),
:mod:`course_lib.shapes` (output sizes, the 'same' padding rule) and
:mod:`course_lib.padding_modes` (which padding modes fit an input).

Read this module after the convolutions themselves: it is plumbing, but it is
also a checklist of every way a convolution call can go wrong.

>>> a = conv_args("conv1d", torch.ones(2, 4, 10), torch.ones(5, 4, 3), None, 1, "same", 1, 1, "zeros", n=1)
>>> a.padding, a.output_size, a.unbatched
(((1, 1),), (10,), False)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from course_lib import padding_modes, shapes, utils

# ----------------------------------------------------------------------------
# Input, weight and bias of a convolution.
# ----------------------------------------------------------------------------


def _rank_hint(op: str, n: int, rank: int) -> str:
    if rank == n:  # e.g. (C, H, W) image into conv3d, or (N, C, H, W) batch into conv3d handled below
        return (
            f" If this is one sample with {n - 1} spatial axes, it needs a batch axis and one more "
            f"spatial axis, e.g. input[None, :, None] gives {utils.layout(n)} with a size-1 {utils.spatial_names(n)[0]} axis."
        )
    if rank < n:
        return " Add the missing axes with input.unsqueeze(...) or input[None], or use a convolution with fewer spatial axes."
    return (
        f" {op} slides over {n} spatial {'axis' if n == 1 else 'axes'}. For more, use a convolution with more spatial axes "
        f"(or course_lib's convnd); to treat an extra leading axis as more samples, fold it into the batch "
        f"with input.flatten(0, 1)."
    )


def check_conv_input(op: str, input: torch.Tensor, n: int) -> tuple[torch.Tensor, bool]:
    """Return ``(batched_input, was_unbatched)`` for an ``n``-d convolution.

    Accepts ``(N, C, *spatial)`` or the unbatched ``(C, *spatial)`` as torch does.

    >>> batched, unbatched = check_conv_input("conv2d", torch.zeros(3, 8, 8), 2)
    >>> tuple(batched.shape), unbatched
    ((1, 3, 8, 8), True)
    """
    utils.check_tensor("input", input)
    if input.dim() == n + 2:
        return input, False
    if input.dim() == n + 1:
        return input.unsqueeze(0), True
    raise ValueError(
        f"{op}: input must be {n + 2}-D {utils.layout(n)} or unbatched {n + 1}-D {utils.layout(n, batched=False)}, "
        f"got a {input.dim()}-D tensor of shape {utils.shape_of(input)}." + _rank_hint(op, n, input.dim())
    )


def check_weight(op: str, weight: torch.Tensor, n: int | None, transposed: bool = False) -> int:
    """Check the weight's rank and return the number of spatial axes (``n=None``: the weight decides).

    >>> check_weight("convnd", torch.zeros(4, 2, 3, 3, 3), None)
    3
    >>> check_weight("conv2d", torch.zeros(4, 2, 3), 2)
    Traceback (most recent call last):
        ...
    ValueError: conv2d: weight must be 4-D (C_out, C_in/groups, kH, kW), got a 3-D tensor of shape (4, 2, 3).
    """
    utils.check_tensor("weight", weight)
    channels = "(C_in, C_out/groups" if transposed else "(C_out, C_in/groups"
    if n is None:  # N-d: the weight decides
        if weight.dim() < 3:
            raise ValueError(
                f"{op}: weight must be {channels}, k1, ..., kn) with at least one spatial axis, "
                f"got a {weight.dim()}-D tensor of shape {utils.shape_of(weight)}."
            )
        n = weight.dim() - 2
    if weight.dim() != n + 2:
        kernel = ", ".join("k" + s for s in utils.spatial_names(n))
        raise ValueError(
            f"{op}: weight must be {n + 2}-D {channels}, {kernel}), got a {weight.dim()}-D tensor "
            f"of shape {utils.shape_of(weight)}."
        )
    if 0 in weight.shape[:2]:
        raise ValueError(
            f"{op}: weight {channels}, ...) has no channels to compute with, shape {utils.shape_of(weight)}; "
            f"a layer needs at least one input and one output channel (torch rejects this weight too)."
        )
    if 0 in weight.shape[2:]:
        raise ValueError(f"{op}: weight has a zero-sized kernel axis, shape {utils.shape_of(weight)}; every kernel size must be >= 1.")
    return n


def check_same_kind(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """Input, weight and bias must share dtype and device.

    >>> check_same_kind(torch.zeros(1, 2, 5), torch.zeros(3, 2, 3, dtype=torch.float64), None)
    Traceback (most recent call last):
        ...
    TypeError: weight has dtype torch.float64 but input has torch.float32; convert one, e.g. weight.to(input.dtype).
    """
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if t.dtype != input.dtype:
            raise TypeError(
                f"{name} has dtype {t.dtype} but input has {input.dtype}; convert one, e.g. {name}.to(input.dtype)."
            )
        if t.device != input.device:
            raise ValueError(
                f"{name} is on {t.device} but input is on {input.device}; move one, e.g. {name}.to(input.device)."
            )


def check_groups(groups, in_channels: int, out_channels: int, weight_in: int, unbatched_input=None, op="conv") -> int:
    """Check ``groups`` against the channel counts of input and weight.

    ``weight_in`` is the weight's per-group input channels (``weight.shape[1]``
    for a convolution). ``unbatched_input`` is given when the input had no batch
    axis, so that a likely missing-axis mistake gets its own hint.

    >>> check_groups(2, in_channels=4, out_channels=6, weight_in=2)
    2
    >>> check_groups(3, in_channels=4, out_channels=6, weight_in=2, op="conv2d")
    Traceback (most recent call last):
        ...
    ValueError: conv2d: input channels (4) must be divisible by groups (3); choose groups that divides 4.
    """
    groups = utils.check_int("groups", groups, minimum=1)
    if in_channels % groups:
        raise ValueError(f"{op}: input channels ({in_channels}) must be divisible by groups ({groups}); choose groups that divides {in_channels}.")
    if out_channels % groups:
        raise ValueError(f"{op}: output channels ({out_channels}) must be divisible by groups ({groups}); choose groups that divides {out_channels}.")
    if in_channels != weight_in * groups:
        message = (
            f"{op}: input has {in_channels} channels but weight expects {weight_in * groups} "
            f"(weight.shape[1] = {weight_in} per group x groups = {groups})."
        )
        if unbatched_input is not None and unbatched_input.shape[1] == weight_in * groups:
            # The classic mistake: a batch of images (N, C, H, W) given to conv3d reads as unbatched (C, D, H, W).
            n = unbatched_input.dim() - 1
            message += (
                f" The input {utils.shape_of(unbatched_input)} was read as unbatched {utils.layout(n, batched=False)}; if it is a batch "
                f"{utils.layout(n - 1)}, {op} also needs the {utils.spatial_names(n)[0]} axis: input.unsqueeze(2) gives "
                f"{utils.layout(n)} with {utils.spatial_names(n)[0]} = 1."
            )
        else:
            message += " Channels are axis 1 of a batched input (N, C, ...) and axis 0 of an unbatched one (C, ...); check the input's layout or the weight's shape."
        raise ValueError(message)
    return groups


def check_bias(bias, out_channels: int) -> torch.Tensor | None:
    """``bias`` is ``None`` or a 1-D tensor with one entry per output channel.

    >>> check_bias(torch.zeros(2, 1), 2)
    Traceback (most recent call last):
        ...
    ValueError: bias must be 1-D with one value per output channel (2,), got shape (2, 1).
    """
    if bias is None:
        return None
    utils.check_tensor("bias", bias)
    if bias.dim() != 1 or bias.shape[0] != out_channels:
        raise ValueError(
            f"bias must be 1-D with one value per output channel ({out_channels},), got shape {utils.shape_of(bias)}."
        )
    return bias


# ----------------------------------------------------------------------------
# Everything a convolution needs, checked once.
# ----------------------------------------------------------------------------


class _SlidingArgs:
    """What every checked call of a sliding-kernel operation can tell: its axes and kernel."""

    stride: tuple[int, ...]
    weight: torch.Tensor
    bias: torch.Tensor | None
    unbatched: bool

    @property
    def n(self) -> int:
        """Number of spatial (sliding) axes."""
        return len(self.stride)

    @property
    def kernel_size(self) -> tuple[int, ...]:
        """Kernel size per spatial axis: ``weight.shape[2:]``."""
        return tuple(self.weight.shape[2:])

    def finish(self, out: torch.Tensor) -> torch.Tensor:
        """The tail every implementation shares: add the bias, and drop the batch axis of an unbatched call.

        ``out`` is ``(N, C_out, *output_size)``; the bias (if any) is added to each
        output channel, and an unbatched call gets ``(C_out, *output_size)`` back.
        """
        if self.bias is not None:
            out = out + self.bias.view(1, -1, *[1] * self.n)
        return out[0] if self.unbatched else out


@dataclass(frozen=True)
class ConvArgs(_SlidingArgs):
    """The normal form of a convolution call.

    ``input`` is always batched ``(N, C_in, *spatial)``; ``padding`` holds
    ``(before, after)`` for each spatial axis; ``output_size`` is the spatial
    size of the result.
    """

    input: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor | None
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int
    padding_mode: str
    unbatched: bool
    output_size: tuple[int, ...]


def conv_args(op, input, weight, bias, stride, padding, dilation, groups, padding_mode, n=None) -> ConvArgs:
    """Check and normalise the arguments of ``conv1d/2d/3d/nd``.

    ``n`` is the number of spatial axes (``None``: taken from ``weight.dim() - 2``).

    >>> a = conv_args("conv2d", torch.zeros(3, 8, 8), torch.zeros(4, 3, 3, 3), None, 2, 1, 1, 1, "zeros", n=2)
    >>> a.output_size, a.padding, tuple(a.input.shape), a.unbatched
    ((4, 4), ((1, 1), (1, 1)), (1, 3, 8, 8), True)
    """
    n = check_weight(op, weight, n)
    batched, unbatched = check_conv_input(op, input, n)
    check_same_kind(batched, weight, bias if isinstance(bias, torch.Tensor) else None)
    out_channels, weight_in, *kernel_size = weight.shape
    groups = check_groups(groups, batched.shape[1], out_channels, weight_in, input if unbatched else None, op)
    bias = check_bias(bias, out_channels)
    stride = utils.as_tuple("stride", stride, n, minimum=1)
    dilation = utils.as_tuple("dilation", dilation, n, minimum=1)
    pads = shapes.conv_padding(padding, kernel_size, stride, dilation)
    spatial = batched.shape[2:]
    padding_mode = padding_modes.check_padding_mode(padding_mode, pads, spatial)
    shapes.check_kernel_fits(spatial, kernel_size, pads, dilation, op)
    output_size = tuple(shapes.output_length(i, k, s, p, d) for i, k, s, p, d in zip(spatial, kernel_size, stride, pads, dilation))
    return ConvArgs(batched, weight, bias, stride, pads, dilation, groups, padding_mode, unbatched, output_size)


# ----------------------------------------------------------------------------
# Transposed convolution and upsampling
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvTransposeArgs(_SlidingArgs):
    """The normal form of a transposed convolution call.

    ``input`` is always batched ``(N, C_in, *spatial)``; ``weight`` is
    ``(C_in, C_out/groups, k1, ..., kn)``; ``padding`` and ``output_padding``
    hold one int per spatial axis (padding *removes* that many elements from
    each side of the full result); ``output_size`` is the spatial size of the
    result.
    """

    input: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor | None
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    unbatched: bool
    output_size: tuple[int, ...]

    @property
    def out_channels(self) -> int:
        return self.weight.shape[1] * self.groups


def check_transpose_groups(op, groups, input: torch.Tensor, weight: torch.Tensor) -> int:
    """Channels of a transposed convolution: input ``C_in == weight.shape[0]``, divisible by
    ``groups``.

    >>> check_transpose_groups("conv_transpose2d", 1, torch.zeros(1, 3, 4, 4), torch.zeros(4, 3, 3, 3))
    Traceback (most recent call last):
        ...
    ValueError: conv_transpose2d: input has 3 channels but weight (4, 3, 3, 3) expects 4 (a transposed convolution's weight is (C_in, C_out/groups, k...), so C_in is weight.shape[0]). If you built the weight as (C_out, C_in, k...), use weight.transpose(0, 1).
    """
    groups = utils.check_int("groups", groups, minimum=1)
    in_channels = weight.shape[0]
    if in_channels % groups:
        raise ValueError(
            f"{op}: weight.shape[0] (the input channels, {in_channels}) must be divisible by groups ({groups}); "
            f"a transposed convolution's weight is (C_in, C_out/groups, k...), the reverse of a convolution's."
        )
    if input.shape[1] != in_channels:
        raise ValueError(
            f"{op}: input has {input.shape[1]} channels but weight {utils.shape_of(weight)} expects {in_channels} "
            f"(a transposed convolution's weight is (C_in, C_out/groups, k...), so C_in is weight.shape[0]). "
            f"If you built the weight as (C_out, C_in, k...), use weight.transpose(0, 1)."
        )
    return groups


def conv_transpose_args(op, input, weight, bias, stride, padding, output_padding, groups, dilation, n=None) -> ConvTransposeArgs:
    """Check and normalise the arguments of ``conv_transpose1d/2d/3d/nd``.

    ``n`` is the number of spatial axes (``None``: taken from ``weight.dim() - 2``).

    >>> a = conv_transpose_args("conv_transpose1d", torch.zeros(1, 2, 5), torch.zeros(2, 3, 4), None, 2, 1, 1, 1, 1, n=1)
    >>> a.output_size, a.out_channels   # (5 - 1)*2 - 2*1 + 1*(4 - 1) + output_padding 1 + 1
    ((11,), 3)
    """
    n = check_weight(op, weight, n, transposed=True)
    batched, unbatched = check_conv_input(op, input, n)
    check_same_kind(batched, weight, bias if isinstance(bias, torch.Tensor) else None)
    groups = check_transpose_groups(op, groups, batched, weight)
    out_channels = weight.shape[1] * groups
    bias = check_bias(bias, out_channels)
    if isinstance(padding, str):
        raise TypeError(
            f"{op}: padding must be an int or a tuple of {n} ints, got {padding!r}; a transposed convolution has "
            f"no 'same' or 'valid' (its padding removes elements from the output)."
        )
    stride = utils.as_tuple("stride", stride, n, minimum=1)
    padding = utils.as_tuple("padding", padding, n, minimum=0)
    output_padding = utils.as_tuple("output_padding", output_padding, n, minimum=0)
    dilation = utils.as_tuple("dilation", dilation, n, minimum=1)
    output_size = shapes.conv_transpose_output_size(
        tuple(batched.shape[2:]), tuple(weight.shape[2:]), stride, padding, output_padding, dilation
    )
    return ConvTransposeArgs(batched, weight, bias, stride, padding, output_padding, dilation, groups, unbatched, output_size)


# ----------------------------------------------------------------------------
# Docstrings shared by the implementations
# ----------------------------------------------------------------------------
# naive, vectorised and fourier expose the same functions with the same arguments.
# Their docstrings name these fragments in braces, e.g. ``{conv2d_shapes}``, and each
# module fills them in once, at its end, with ``args.fill_docstrings(...)`` (as
# torch.nn.modules.conv shares ``convolution_notes`` between Conv1d, Conv2d and Conv3d),
# so ``help(naive.conv2d)`` shows the whole text and every example runs as a doctest.

DOCS = {
    "conv_arguments": """Args:
        input: ``(N, C_in, S1, ..., Sn)`` or unbatched ``(C_in, S1, ..., Sn)``.
        weight: ``(C_out, C_in / groups, k1, ..., kn)``.
        bias: ``(C_out,)`` or ``None``.
        stride, dilation: int or n-tuple, >= 1.
        padding: int or n-tuple (added on both sides), ``"valid"`` or ``"same"``.
        groups: split the channels into this many independent convolutions.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.

    Returns:
        ``(N, C_out, O1, ..., On)`` with ``O = floor((S + 2p - d*(k-1) - 1) / s) + 1``
        (unbatched in, unbatched out).""",
    "conv1d_shapes": "input ``(N, C_in, L)``, weight ``(C_out, C_in/groups, k)`` -> ``(N, C_out, L_out)``",
    "conv2d_shapes": "input ``(N, C_in, H, W)``, weight ``(C_out, C_in/groups, kH, kW)`` -> ``(N, C_out, H_out, W_out)``",
    "conv3d_shapes": "input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/groups, kD, kH, kW)`` ->\n"
                     "    ``(N, C_out, D_out, H_out, W_out)``",
    "convnd_example": """>>> out = convnd(torch.ones(1, 1, 3, 3, 3, 3), torch.ones(1, 1, 2, 2, 2, 2))   # 4 spatial axes
    >>> tuple(out.shape), out.flatten()[0].item()                                  # every window holds 2**4 ones
    ((1, 1, 2, 2, 2, 2), 16.0)""",
    "conv1d_example": """>>> conv1d(torch.tensor([[[1., 2., 4., 7.]]]), torch.tensor([[[-1., 0., 1.]]]))   # x[i+2] - x[i]
    tensor([[[3., 5.]]])""",
    "conv2d_example": """>>> conv2d(torch.arange(16.).view(1, 1, 4, 4), torch.ones(1, 1, 2, 2))   # sums of 2x2 windows
    tensor([[[[10., 14., 18.],
              [26., 30., 34.],
              [42., 46., 50.]]]])""",
    "conv3d_example": """>>> conv3d(torch.ones(1, 1, 3, 4, 4), torch.ones(1, 1, 3, 3, 3)).flatten()   # (N, C, D, H, W) -> (1, 1, 1, 2, 2)
    tensor([27., 27., 27., 27.])""",
    "conv_transpose_arguments": """Args:
        input: ``(N, C_in, S1, ..., Sn)`` or unbatched ``(C_in, S1, ..., Sn)``.
        weight: ``(C_in, C_out / groups, k1, ..., kn)`` (input channels first, unlike a convolution).
        bias: ``(C_out,)`` or ``None``.
        stride, dilation: int or n-tuple, >= 1.
        padding: int or n-tuple: elements removed from each end of each axis.
        output_padding: int or n-tuple, smaller than stride or dilation: elements kept at the end.
        groups: split the channels into this many independent transposed convolutions.

    Returns:
        ``(N, C_out, O1, ..., On)`` with ``O = (S - 1)*s - 2p + d*(k-1) + output_padding + 1``
        (unbatched in, unbatched out).""",
    "conv_transpose1d_shapes": "input ``(N, C_in, L)``, weight ``(C_in, C_out/groups, k)`` -> ``(N, C_out, L_out)``",
    "conv_transpose2d_shapes": "input ``(N, C_in, H, W)``, weight ``(C_in, C_out/groups, kH, kW)`` ->\n"
                               "    ``(N, C_out, H_out, W_out)``",
    "conv_transpose3d_shapes": "input ``(N, C_in, D, H, W)``, weight ``(C_in, C_out/groups, kD, kH, kW)`` ->\n"
                               "    ``(N, C_out, D_out, H_out, W_out)``",
    "conv_transposend_example": """>>> conv_transposend(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))[0, 0]   # four overlapping stamps
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])""",
    "conv_transpose1d_example": """>>> conv_transpose1d(torch.tensor([[[1., 2.]]]), torch.ones(1, 1, 3), stride=2)   # stamps at 0 and 2 overlap
    tensor([[[1., 1., 3., 2., 2.]]])""",
    "conv_transpose2d_example": """>>> conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), stride=2).shape   # 2x2 -> 4x4
    torch.Size([1, 1, 4, 4])""",
    "conv_transpose3d_example": """>>> conv_transpose3d(torch.ones(1, 1, 1, 2, 2), torch.ones(1, 1, 1, 2, 2)).flatten()
    tensor([1., 2., 1., 2., 4., 2., 1., 2., 1.])""",
}
"""Docstring fragments shared by the implementations' public functions; see :func:`fill_docstrings`."""


def fill_docstrings(*functions) -> None:
    """Replace each ``{name}`` in the functions' docstrings by the fragment ``DOCS[name]``.

    >>> def conv1d(input, weight):
    ...     "1-D convolution: {conv1d_shapes}."
    >>> fill_docstrings(conv1d)
    >>> conv1d.__doc__
    '1-D convolution: input ``(N, C_in, L)``, weight ``(C_out, C_in/groups, k)`` -> ``(N, C_out, L_out)``.'
    """
    for function in functions:
        function.__doc__ = function.__doc__.format(**DOCS)
