"""Argument handling for every operation in ``course_lib``.

One place turns the many ways a user may write an argument (an int, a tuple,
``"same"``) into one normal form (a tuple with one entry per spatial axis), and
rejects bad input with a message that names the parameter, what was given and
what would fix it. ``naive``, ``vectorised``, ``shapes``, ``matrix``,
``upsample`` and ``separable`` all call these functions, so a rule is written
once and every operation obeys it.

Read this module after the convolutions themselves: it is plumbing, but it is
also a checklist of every way a convolution call can go wrong.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import torch

from course_lib import shapes

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PADDING_STRINGS = ("valid", "same")

# ----------------------------------------------------------------------------
# Layout names, used in messages and docstrings.
# ----------------------------------------------------------------------------


def spatial_names(n: int) -> tuple[str, ...]:
    """Names of ``n`` spatial axes: L; H, W; D, H, W; then S1, ..., Sn."""
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(n, tuple(f"S{i + 1}" for i in range(n)))


def layout(n: int, batched: bool = True) -> str:
    """The input layout of an ``n``-d convolution, e.g. ``'(N, C, H, W)'``."""
    axes = (("N",) if batched else ()) + ("C",) + spatial_names(n)
    return "(" + ", ".join(axes) + ")"


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


# ----------------------------------------------------------------------------
# Small checks.
# ----------------------------------------------------------------------------


def check_tensor(name: str, value) -> torch.Tensor:
    """Raise ``TypeError`` unless ``value`` is a ``torch.Tensor``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}. "
            f"Convert it first, e.g. torch.as_tensor({name}, dtype=torch.float32)."
        )
    return value


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as an int; ``TypeError`` if it is not one, ``ValueError`` if below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__}).")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return value


def as_tuple(name: str, value, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """Normalise an int or a length-``n`` sequence of ints to an ``n``-tuple.

    >>> as_tuple("stride", 2, 3)
    (2, 2, 2)
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list, torch.Size)):
        if len(value) != n:
            raise ValueError(
                f"{name} needs one value per spatial axis ({n} here), got {len(value)}: {tuple(value)}. "
                f"Pass a single int or a tuple of {n} ints."
            )
        values = tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(value))
    else:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r} ({type(value).__name__}).")
    if minimum is not None and any(v < minimum for v in values):
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be {what} on every axis, got {value!r}.")
    return values


def check_choice(name: str, value, choices) -> str:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")
    return value


# ----------------------------------------------------------------------------
# Input, weight and bias of a convolution.
# ----------------------------------------------------------------------------


def _rank_hint(op: str, n: int, rank: int) -> str:
    if rank == n:  # e.g. (C, H, W) image into conv3d, or (N, C, H, W) batch into conv3d handled below
        return (
            f" If this is one sample with {n - 1} spatial axes, it needs a batch axis and one more "
            f"spatial axis, e.g. input[None, :, None] gives {layout(n)} with a size-1 {spatial_names(n)[0]} axis."
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
    """
    check_tensor("input", input)
    if input.dim() == n + 2:
        return input, False
    if input.dim() == n + 1:
        return input.unsqueeze(0), True
    raise ValueError(
        f"{op}: input must be {n + 2}-D {layout(n)} or unbatched {n + 1}-D {layout(n, batched=False)}, "
        f"got a {input.dim()}-D tensor of shape {_shape(input)}." + _rank_hint(op, n, input.dim())
    )


def check_weight(op: str, weight: torch.Tensor, n: int | None, transposed: bool = False) -> int:
    """Check the weight's rank and return the number of spatial axes."""
    check_tensor("weight", weight)
    channels = "(C_in, C_out/groups" if transposed else "(C_out, C_in/groups"
    if n is None:  # N-d: the weight decides
        if weight.dim() < 3:
            raise ValueError(
                f"{op}: weight must be {channels}, k1, ..., kn) with at least one spatial axis, "
                f"got a {weight.dim()}-D tensor of shape {_shape(weight)}."
            )
        return weight.dim() - 2
    if weight.dim() != n + 2:
        kernel = ", ".join("k" + s for s in spatial_names(n))
        raise ValueError(
            f"{op}: weight must be {n + 2}-D {channels}, {kernel}), got a {weight.dim()}-D tensor "
            f"of shape {_shape(weight)}."
        )
    return n


def check_same_kind(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """Input, weight and bias must share dtype and device."""
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
    """
    groups = check_int("groups", groups, minimum=1)
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
                f" The input {_shape(unbatched_input)} was read as unbatched {layout(n, batched=False)}; if it is a batch "
                f"{layout(n - 1)}, {op} also needs the {spatial_names(n)[0]} axis: input.unsqueeze(2) gives "
                f"{layout(n)} with {spatial_names(n)[0]} = 1."
            )
        else:
            message += " Channels are axis 1 of a batched input (N, C, ...) and axis 0 of an unbatched one (C, ...); check the input's layout or the weight's shape."
        raise ValueError(message)
    return groups


def check_bias(bias, out_channels: int) -> torch.Tensor | None:
    """``bias`` is ``None`` or a 1-D tensor with one entry per output channel."""
    if bias is None:
        return None
    check_tensor("bias", bias)
    if bias.dim() != 1 or bias.shape[0] != out_channels:
        raise ValueError(
            f"bias must be 1-D with one value per output channel ({out_channels},), got shape {_shape(bias)}."
        )
    return bias


# ----------------------------------------------------------------------------
# Padding.
# ----------------------------------------------------------------------------


def conv_padding(padding, kernel_size, stride, dilation) -> tuple[tuple[int, int], ...]:
    """Normalise ``padding`` to ``((before, after), ...)`` per spatial axis.

    ``"valid"`` is no padding. ``"same"`` keeps each spatial size: the total
    ``d*(k-1)`` is split with the extra element after, as torch does for even
    kernels. It needs stride 1.
    """
    n = len(kernel_size)
    if isinstance(padding, str):
        check_choice("padding", padding, PADDING_STRINGS)
        if padding == "valid":
            return ((0, 0),) * n
        if any(s != 1 for s in stride):
            raise ValueError(
                f"padding='same' needs stride 1 on every axis (the output could not keep the input's size), "
                f"got stride={stride}. Use an explicit padding, or stride=1."
            )
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = as_tuple("padding", padding, n)
    if any(p < 0 for p in pads):
        raise ValueError(
            f"padding must be >= 0 on every axis, got {padding!r}. To crop, slice the input instead "
            f"(e.g. x[..., 1:-1]); to pad, use a non-negative int, a tuple, 'valid' or 'same'."
        )
    return tuple((p, p) for p in pads)


def check_padding_mode(padding_mode, pads, spatial) -> str:
    """Check ``padding_mode`` and that its padding fits the input."""
    check_choice("padding_mode", padding_mode, PADDING_MODES)
    for axis, ((before, after), size) in enumerate(zip(pads, spatial)):
        largest = max(before, after)
        if padding_mode == "reflect" and largest >= size:
            raise ValueError(
                f"padding_mode='reflect' needs padding < input size on every axis, got padding {largest} "
                f"on spatial axis {axis} of size {size}. Use less padding or padding_mode='replicate'."
            )
        if padding_mode == "circular" and largest > size:
            raise ValueError(
                f"padding_mode='circular' needs padding <= input size on every axis, got padding {largest} "
                f"on spatial axis {axis} of size {size}. Use less padding."
            )
    return padding_mode


def check_output_padding(output_padding, stride, dilation) -> tuple[int, ...]:
    """``output_padding`` must be smaller than stride or dilation on every axis."""
    for axis, (op, s, d) in enumerate(zip(output_padding, stride, dilation)):
        if op >= s and op >= d:
            raise ValueError(
                f"output_padding must be smaller than stride or dilation on every axis, got output_padding {op} "
                f"with stride {s} and dilation {d} on spatial axis {axis}. It only picks one of the {max(s, d)} "
                f"output sizes a strided convolution maps to the same input size: use 0..{max(s, d) - 1}."
            )
    return tuple(output_padding)


# ----------------------------------------------------------------------------
# Everything a convolution needs, checked once.
# ----------------------------------------------------------------------------


class _SlidingArgs:
    """What every checked call of a sliding-kernel operation can tell: its axes and kernel."""

    stride: tuple[int, ...]
    weight: torch.Tensor

    @property
    def n(self) -> int:
        """Number of spatial (sliding) axes."""
        return len(self.stride)

    @property
    def kernel_size(self) -> tuple[int, ...]:
        """Kernel size per spatial axis: ``weight.shape[2:]``."""
        return tuple(self.weight.shape[2:])


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
    """
    n = check_weight(op, weight, n)
    batched, unbatched = check_conv_input(op, input, n)
    check_same_kind(batched, weight, bias if isinstance(bias, torch.Tensor) else None)
    out_channels, weight_in, *kernel_size = weight.shape
    groups = check_groups(groups, batched.shape[1], out_channels, weight_in, input if unbatched else None, op)
    bias = check_bias(bias, out_channels)
    stride = as_tuple("stride", stride, n, minimum=1)
    dilation = as_tuple("dilation", dilation, n, minimum=1)
    if any(k == 0 for k in kernel_size):
        raise ValueError(f"{op}: weight has a zero-sized kernel axis, shape {_shape(weight)}.")
    pads = conv_padding(padding, kernel_size, stride, dilation)
    spatial = batched.shape[2:]
    padding_mode = check_padding_mode(padding_mode, pads, spatial)
    output_size = []
    for axis, (size, k, s, (before, after), d) in enumerate(zip(spatial, kernel_size, stride, pads, dilation)):
        span = d * (k - 1) + 1
        if size + before + after < span:
            raise ValueError(
                f"{op}: kernel larger than the padded input on spatial axis {axis} ({spatial_names(n)[axis]}): "
                f"the kernel spans {span} (dilation {d} x (kernel {k} - 1) + 1) but the padded input has "
                f"{size + before + after} (size {size} + padding {before}+{after}). Use a smaller kernel or "
                f"dilation, or more padding."
            )
        output_size.append(shapes.output_length(size, k, s, before + after, d))
    return ConvArgs(batched, weight, bias, stride, pads, dilation, groups, padding_mode, unbatched, tuple(output_size))


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
    """Channels of a transposed convolution: input ``C_in == weight.shape[0]``, divisible by ``groups``."""
    groups = check_int("groups", groups, minimum=1)
    in_channels = weight.shape[0]
    if in_channels % groups:
        raise ValueError(
            f"{op}: weight.shape[0] (the input channels, {in_channels}) must be divisible by groups ({groups}); "
            f"a transposed convolution's weight is (C_in, C_out/groups, k...), the reverse of a convolution's."
        )
    if input.shape[1] != in_channels:
        raise ValueError(
            f"{op}: input has {input.shape[1]} channels but weight {_shape(weight)} expects {in_channels} "
            f"(a transposed convolution's weight is (C_in, C_out/groups, k...), so C_in is weight.shape[0]). "
            f"If you built the weight as (C_out, C_in, k...), use weight.transpose(0, 1)."
        )
    return groups


def conv_transpose_args(op, input, weight, bias, stride, padding, output_padding, groups, dilation, n=None) -> ConvTransposeArgs:
    """Check and normalise the arguments of ``conv_transpose1d/2d/3d/nd``.

    ``n`` is the number of spatial axes (``None``: taken from ``weight.dim() - 2``).
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
    stride = as_tuple("stride", stride, n, minimum=1)
    padding = as_tuple("padding", padding, n, minimum=0)
    output_padding = as_tuple("output_padding", output_padding, n, minimum=0)
    dilation = as_tuple("dilation", dilation, n, minimum=1)
    if any(k == 0 for k in weight.shape[2:]):
        raise ValueError(f"{op}: weight has a zero-sized kernel axis, shape {_shape(weight)}.")
    output_size = shapes.conv_transpose_output_size(
        tuple(batched.shape[2:]), tuple(weight.shape[2:]), stride, padding, output_padding, dilation
    )
    return ConvTransposeArgs(batched, weight, bias, stride, padding, output_padding, dilation, groups, unbatched, output_size)


INTERPOLATE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic")
_MODE_AXES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_ALIGNABLE = ("linear", "bilinear", "trilinear", "bicubic")


def check_interpolate_mode(input: torch.Tensor, mode, align_corners) -> bool:
    """Check ``mode`` against the input's rank and ``align_corners``; return ``align_corners`` as a bool.

    nearest modes take ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``;
    linear needs 3-D, bilinear and bicubic 4-D, trilinear 5-D input.
    ``align_corners`` may only be given for the interpolating modes (``None`` means ``False``).
    """
    check_tensor("input", input)
    check_choice("mode", mode, INTERPOLATE_MODES)
    wanted = _MODE_AXES.get(mode)
    if wanted is None and input.dim() not in (3, 4, 5):
        raise ValueError(
            f"interpolate: input must be 3-D {layout(1)}, 4-D {layout(2)} or 5-D {layout(3)}, got a "
            f"{input.dim()}-D tensor of shape {_shape(input)}. Add a batch axis with input[None] if it is one sample."
        )
    if wanted is not None and input.dim() != wanted + 2:
        fits = {1: "linear", 2: "bilinear or bicubic", 3: "trilinear"}.get(input.dim() - 2, "nearest")
        raise ValueError(
            f"interpolate: mode={mode!r} needs {wanted + 2}-D input {layout(wanted)}, got a {input.dim()}-D tensor "
            f"of shape {_shape(input)}. For {input.dim() - 2} spatial axes use mode={fits!r}"
            + (" (or add the missing batch axis with input[None])." if input.dim() == wanted + 1 else ".")
        )
    if align_corners is not None:
        if mode not in _ALIGNABLE:
            raise ValueError(
                f"align_corners can only be set with the interpolating modes (linear, bilinear, bicubic, trilinear), "
                f"got align_corners={align_corners!r} with mode={mode!r}. Leave it as None for nearest modes."
            )
        if not isinstance(align_corners, bool):
            raise TypeError(f"align_corners must be True, False or None, got {align_corners!r} ({type(align_corners).__name__}).")
    return bool(align_corners)


def interpolate_size(input: torch.Tensor, size=None, scale_factor=None) -> tuple[tuple[int, ...], tuple[float, ...] | None]:
    """The output spatial size of ``interpolate`` and the scale factors (``None`` when ``size`` is given).

    Exactly one of ``size`` (int or one int per spatial axis) and
    ``scale_factor`` (number or one per axis) must be given. With a scale
    factor, the output size is ``floor(input_size * scale_factor)``.
    """
    n = input.dim() - 2
    if (size is None) == (scale_factor is None):
        given = "both" if size is not None else "neither"
        raise ValueError(
            f"interpolate needs exactly one of size and scale_factor, got {given}: size={size!r}, "
            f"scale_factor={scale_factor!r}. Give the output size, e.g. size={tuple(2 * s for s in input.shape[2:])}, "
            f"or a factor, e.g. scale_factor=2."
        )
    spatial = tuple(input.shape[2:])
    if size is not None:
        out = as_tuple("size", size, n)
        factors = None
    else:
        if isinstance(scale_factor, (tuple, list)):
            if len(scale_factor) != n:
                raise ValueError(
                    f"scale_factor needs one value per spatial axis ({n} here), got {len(scale_factor)}: "
                    f"{tuple(scale_factor)}. Pass a single number or a tuple of {n} numbers."
                )
            factors = tuple(scale_factor)
        else:
            factors = (scale_factor,) * n
        for f in factors:
            if isinstance(f, bool) or not isinstance(f, numbers.Real):
                raise TypeError(f"scale_factor must be a number or a tuple of {n} numbers, got {scale_factor!r}.")
        factors = tuple(float(f) for f in factors)
        if any(not f > 0 or f == float("inf") for f in factors):
            raise ValueError(f"scale_factor must be positive and finite on every axis, got {scale_factor!r}.")
        out = tuple(int(s * f) for s, f in zip(spatial, factors))  # torch truncates the double product
    if any(o < 1 for o in out) or any(s < 1 for s in spatial):
        how = f"size={size!r}" if size is not None else f"scale_factor={scale_factor!r} (floor(input size x factor))"
        raise ValueError(
            f"interpolate: input and output sizes must be positive on every spatial axis, got input {spatial} and "
            f"output {out} from {how}. Use a larger size or scale_factor."
        )
    return out, factors


def check_upscale_factor(op: str, name: str, input: torch.Tensor, factor) -> int:
    """``pixel_shuffle`` / ``pixel_unshuffle``: input ``(*, C, H, W)`` and a positive int factor."""
    check_tensor("input", input)
    factor = check_int(name, factor, minimum=1)
    if input.dim() < 3:
        raise ValueError(
            f"{op}: input must be (*, C, H, W) with at least 3 dims, got a {input.dim()}-D tensor of shape "
            f"{_shape(input)}. Add a channel axis with input[None]."
        )
    channels, height, width = input.shape[-3:]
    if op == "pixel_shuffle" and channels % (factor * factor):
        raise ValueError(
            f"pixel_shuffle: input channels ({channels}) must be divisible by {name}**2 = {factor * factor}: "
            f"each output channel is built from {factor}x{factor} input channels."
        )
    if op == "pixel_unshuffle" and (height % factor or width % factor):
        raise ValueError(
            f"pixel_unshuffle: height ({height}) and width ({width}) must be divisible by {name} ({factor}); "
            f"crop or pad the input first."
        )
    return factor


def unpool_output_size(op, input: torch.Tensor, indices, kernel_size, stride, padding, output_size, n) -> tuple[int, ...]:
    """Check the arguments of ``max_unpool{n}d`` and return its output spatial size.

    The default is ``(i - 1)*s - 2p + k`` per axis; an explicit ``output_size``
    (``n`` ints, or ``n + 2`` with N and C first) must lie strictly between
    ``default - stride`` and ``default + stride``, as in torch.
    """
    check_tensor("input", input)
    check_tensor("indices", indices)
    if input.dim() not in (n + 1, n + 2):
        raise ValueError(
            f"{op}: input must be {n + 2}-D {layout(n)} or unbatched {n + 1}-D {layout(n, batched=False)}, "
            f"got a {input.dim()}-D tensor of shape {_shape(input)}."
        )
    if indices.dtype != torch.int64:
        raise TypeError(
            f"{op}: indices must be int64 (as returned by max_pool with return_indices=True), got {indices.dtype}; "
            f"use indices.long()."
        )
    if indices.shape != input.shape:
        raise ValueError(
            f"{op}: indices must have the input's shape {_shape(input)}, got {_shape(indices)}; pass the indices that "
            f"max_pool returned together with this input."
        )
    kernel_size = as_tuple("kernel_size", kernel_size, n, minimum=1)
    stride = kernel_size if stride is None else as_tuple("stride", stride, n, minimum=1)
    padding = as_tuple("padding", padding, n, minimum=0)
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(input.shape[-n:], stride, padding, kernel_size))
    if output_size is None:
        size = default
    else:
        if not isinstance(output_size, (tuple, list, torch.Size)) or len(output_size) not in (n, n + 2):
            raise ValueError(
                f"{op}: output_size must be a sequence of {n} ints (or {n + 2} with N and C first), got {output_size!r}."
            )
        size = tuple(check_int(f"output_size[{i}]", v) for i, v in enumerate(tuple(output_size)[-n:]))
        for axis, (o, d, s) in enumerate(zip(size, default, stride)):
            if not d - s < o < d + s:
                raise ValueError(
                    f"{op}: output_size {tuple(output_size)} is impossible on spatial axis {axis}: max_pool with "
                    f"kernel_size {kernel_size}, stride {stride}, padding {padding} gives this input's size from "
                    f"{d - s + 1}..{d + s - 1} only (default {d})."
                )
    if any(o < 1 for o in size):
        raise ValueError(f"{op}: output size {size} must be positive; use less padding.")
    return size
