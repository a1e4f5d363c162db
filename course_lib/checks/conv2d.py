"""Checks for the exercises of lesson 02 (conv2d): a conv2d by loops with groups, parameter counts, receptive field."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.checks.calls import CONVOLUTIONS, allowing_course_lib
from course_lib.checks.cases import Case, Mistake, meta, randn, seeded
from course_lib.checks.core import run
from course_lib.checks.mistakes import (bias_on_last_axis, flipped_kernel, groups_by_modulo, missing_bias,
                                        padding_on_one_side, per_axis_swapped)
from course_lib.checks.reference import conv, pair

SIZE_RULE = "H_out = floor((H + 2·padding_h − dilation_h·(kh − 1) − 1) / stride_h) + 1, and the same for W"
GROUPS_RULE = ("output channel co belongs to group co // (C_out // groups) and reads only that group's input "
               "channels x[:, group·(C_in // groups) : (group + 1)·(C_in // groups)]")


CONV_MISTAKES = [
    flipped_kernel(conv, "PyTorch's conv2d does not flip the kernel: out[i, j] = Σ x[i·sh + u·dh, j·sw + v·dw] · "
                         "w[u, v] (a cross-correlation). Index the kernel with u, v, not kh − 1 − u, kw − 1 − v."),
    groups_by_modulo(f"{GROUPS_RULE}. Using co % groups picks the wrong group; this shows only when groups > 1."),
    missing_bias(conv),
    bias_on_last_axis(conv, "the bias has one value per output channel: add bias[co] to out[n, co], e.g. "
                            "`out + bias[:, None, None]`, not `out + bias` (which lines the bias up with the columns)."),
    padding_on_one_side("zero padding puts `padding` zeros on EACH side: before the first row and after the last, "
                        "before the first column and after the last (copy x into xp[:, :, ph:ph + H, pw:pw + W], or "
                        "F.pad(x, (pw, pw, ph, ph)))."),
    per_axis_swapped("a (rows, columns) pair read in the wrong order",
                     "a pair such as stride=(2, 1) is (rows, columns) = (H, W), the order of the axes of x: the first "
                     "value is for H, the second for W."),
]


def conv2d_cases(seed: int = 0) -> list[Case]:
    """The battery for a conv2d with stride, padding, dilation (int or pair) and groups, smallest first."""
    g = seeded(seed)
    groups_hint = f"with groups: {GROUPS_RULE}; weight is (C_out, C_in // groups, kh, kw)."
    unbatched = "an unbatched input (C_in, H, W): add a batch axis first (`x[None]`) and remove it from the result."
    return [
        Case("one channel", (randn(g, 1, 1, 5, 6), randn(g, 1, 1, 3, 3), None)),
        Case("a batch of 2 and several input and output channels", (randn(g, 2, 3, 5, 5), randn(g, 4, 3, 3, 3),
                                                                     None),
             hint="out[n, co, i, j] sums over every input channel ci and every tap (u, v), for each sample n."),
        Case("a bias (its length 4 equals the output width)", (randn(g, 2, 3, 5, 6), randn(g, 4, 3, 3, 3),
                                                               randn(g, 4)),
             hint="bias[co] is added to every position of output channel co: out[n, co] += bias[co]."),
        Case("a kernel of 2 rows and 3 columns on a 5 x 7 input", (randn(g, 1, 2, 5, 7), randn(g, 3, 2, 2, 3),
                                                                   randn(g, 3)),
             hint="weight is (C_out, C_in, kh, kw): kh rows (along H), kw columns (along W)."),
        Case("stride 2", (randn(g, 1, 2, 7, 7), randn(g, 3, 2, 3, 3), randn(g, 3)), {"stride": 2},
             hint="output (i, j) reads the window whose top-left corner is (i·stride, j·stride)."),
        Case("padding 1", (randn(g, 1, 2, 5, 5), randn(g, 3, 2, 3, 3), randn(g, 3)), {"padding": 1},
             hint="zero padding adds `padding` rows of zeros above and below and columns left and right."),
        Case("dilation 2", (randn(g, 1, 2, 8, 8), randn(g, 3, 2, 3, 3), randn(g, 3)), {"dilation": 2},
             hint="with dilation d the taps of a window are d apart: x[i·s + u·d, j·s + v·d]."),
        Case("a pair per axis: stride (1, 2), padding (2, 0)", (randn(g, 1, 2, 6, 7), randn(g, 3, 2, 3, 3),
                                                                randn(g, 3)), {"stride": (1, 2), "padding": (2, 0)},
             hint="a pair is (rows, columns): the first value is for H, the second for W."),
        Case("a pair per axis: dilation (2, 1)", (randn(g, 1, 2, 8, 6), randn(g, 3, 2, 3, 3), randn(g, 3)),
             {"dilation": (2, 1)}, hint="a pair is (rows, columns): the first value is for H, the second for W."),
        Case("groups=2", (randn(g, 1, 4, 5, 5), randn(g, 4, 2, 3, 3), randn(g, 4)), {"groups": 2}, hint=groups_hint),
        Case("groups=3 with 2 output channels per group", (randn(g, 1, 3, 5, 5), randn(g, 6, 1, 3, 3), randn(g, 6)),
             {"groups": 3}, hint=groups_hint),
        Case("stride, padding, dilation and groups together", (randn(g, 2, 4, 9, 8), randn(g, 6, 2, 3, 2),
                                                                randn(g, 6)),
             {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
        Case("unbatched input (C_in, H, W)", (randn(g, 2, 6, 6), randn(g, 3, 2, 3, 3), randn(g, 3)), {"padding": 1},
             hint=unbatched),
        Case("an empty batch (0, C_in, H, W)", (randn(g, 0, 2, 6, 6), randn(g, 3, 2, 3, 3), randn(g, 3)),
             hint="a batch of 0 samples gives a (0, C_out, H_out, W_out) result."),
        Case("float32 input", (randn(g, 1, 2, 6, 6).float(), randn(g, 3, 2, 3, 3).float(), randn(g, 3).float()),
             {"stride": 2}),
        Case("inputs on another device", (meta(1, 4, 4, 4), meta(4, 2, 3, 3), meta(4)), {"padding": 1, "groups": 2},
             device_only=True),
    ]


def check_conv2d(fn, seed: int = 0, name: str = "conv2d_loops") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)` against `F.conv2d`, without it
    calling torch's convolution.

    >>> from course_lib import naive
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv2d(naive.conv2d, name="naive.conv2d")
    ✓ naive.conv2d agrees with F.conv2d on 16 cases: channels, bias, kh ≠ kw, stride, padding, dilation, pairs, groups, unbatched, empty batch, float32, device
    """
    cases = conv2d_cases(seed)
    run(fn, name, cases, conv, CONV_MISTAKES, forbidden=CONVOLUTIONS,
        shape_hint=f"The output size is {SIZE_RULE}; an unbatched input gives an unbatched result.",
        success=f"{name} agrees with F.conv2d on {len(cases)} cases: channels, bias, kh ≠ kw, stride, padding, "
                f"dilation, pairs, groups, unbatched, empty batch, float32, device")


def _torch_params(case: Case) -> int:
    """The parameters of torch's own layer (built on the 'meta' device: counted, never allocated)."""
    in_channels, out_channels, kernel_size = case.args
    layer = nn.Conv2d(in_channels, out_channels, kernel_size, device="meta", **case.kwargs)
    return sum(p.numel() for p in layer.parameters())


def _params_with(rule):
    """A mistaken counting rule(c_in, c_out, kh, kw, groups, bias) applied to a case."""
    def compute(case: Case):
        in_channels, out_channels, kernel_size = case.args
        kh, kw = pair(kernel_size)
        return rule(in_channels, out_channels, kh, kw, case.kwargs.get("groups", 1), case.kwargs.get("bias", True))
    return compute


def _int_kernel(rule):
    return lambda case: rule(case) if isinstance(case.args[2], int) else None


PARAMS_RULE = "C_out · (C_in / groups) · kh · kw weights, plus C_out biases when bias=True"

PARAMS_MISTAKES = [
    Mistake("the bias left out", _params_with(lambda ci, co, kh, kw, g, b: co * (ci // g) * kh * kw),
            f"with bias=True the layer also learns one bias per output channel: {PARAMS_RULE}."),
    Mistake("a bias of kh · kw numbers", _params_with(lambda ci, co, kh, kw, g, b: co * (ci // g) * kh * kw
                                                       + (kh * kw if b else 0)),
            "the bias has one number per OUTPUT CHANNEL (layer.bias has shape (C_out,)), not one per kernel entry."),
    Mistake("groups ignored", _params_with(lambda ci, co, kh, kw, g, b: co * ci * kh * kw + (co if b else 0)),
            "with groups=g each kernel spans only C_in / g input channels: the weight is (C_out, C_in / g, kh, kw)."),
    Mistake("groups dividing both channel counts",
            _params_with(lambda ci, co, kh, kw, g, b: (co // g) * (ci // g) * kh * kw + (co if b else 0)),
            "groups=g divides the channels ONE kernel sees (C_in / g), not the number of kernels: there are still "
            "C_out kernels, each (C_in / g, kh, kw)."),
    Mistake("k instead of k · k for an int kernel_size",
            _int_kernel(_params_with(lambda ci, co, kh, kw, g, b: co * (ci // g) * kh + (co if b else 0))),
            "an int kernel_size=k means a k × k kernel in nn.Conv2d: kh = kw = k."),
]


def check_conv2d_params(fn, seed: int = 0) -> None:
    """Check `fn(in_channels, out_channels, kernel_size, groups=1, bias=True) -> int` against the parameter count of
    `nn.Conv2d` with the same arguments.

    >>> from course_lib import shapes
    >>> check_conv2d_params(lambda c_in, c_out, k, groups=1, bias=True: shapes.conv_params(c_in, c_out, k, groups, bias, dims=2))
    ✓ conv2d_params agrees with nn.Conv2d on 10 layers (int and pair kernels, groups, bias=False)
    """
    extra = 2 + seed % 4
    layers = [((3, 64, 3), {}, "an int kernel_size"), ((3, 64, (3, 3)), {}, "a pair kernel_size"),
              ((1, 16, (5, 3)), {}, "a 5 × 3 kernel"), ((256, 32, 5), {"bias": False}, "bias=False"),
              ((6, 4, 3), {"groups": 2}, "groups=2"), ((12, 6 * extra, (1, 3)), {"groups": 3, "bias": False},
                                                      "groups=3 and bias=False"),
              ((8, 8, 3), {"groups": 8}, "one group per channel (depthwise)"),
              ((16, 9, 3), {}, "C_out equal to kh · kw"), ((5, 7, (2, 4)), {"bias": True}, "bias=True given"),
              ((4 * extra, 2 * extra, 7), {"groups": 2 * extra}, "another mix")]
    cases = [Case(adds, args, kwargs) for args, kwargs, adds in layers]
    run(fn, "conv2d_params", cases, _torch_params, PARAMS_MISTAKES,
        success=f"conv2d_params agrees with nn.Conv2d on {len(cases)} layers (int and pair kernels, groups, bias=False)")


def _support(kernel_sizes, strides) -> int:
    """The receptive field along one axis, measured: the inputs whose gradient an output reaches (torch autograd)."""
    size = sum(kernel_sizes) * math.prod(strides) + 1
    x = torch.zeros(1, 1, size, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s in zip(kernel_sizes, strides):
        y = F.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s)
    y[0, 0, 0].backward()
    touched = (x.grad[0, 0] != 0).nonzero().flatten()
    return int(touched.max() - touched.min() + 1)


def _field_with(rule):
    """A rule(kernel_sizes, strides) for one axis applied to a case, per axis where the entries are pairs (an int
    result where every entry is an int): the reference's measurement, or a mistaken rule."""
    def compute(case: Case):
        kernel_sizes, strides = case.args
        if all(isinstance(v, int) for v in list(kernel_sizes) + list(strides)):
            return rule(list(kernel_sizes), list(strides))
        return tuple(rule([pair(k)[axis] for k in kernel_sizes], [pair(s)[axis] for s in strides])
                     for axis in (0, 1))
    return compute


_torch_field = _field_with(_support)  # the receptive field of the case's stack, per axis, by autograd


def _jumps(strides, own=False):
    """The jump (product of the strides below) at each layer; with own=True the layer's own stride is included."""
    return [math.prod(strides[:i + 1] if own else strides[:i]) for i in range(len(strides))]


FIELD_RULE = "field = 1 + Σ_l (k_l − 1) · (s_1 · … · s_(l−1)): each layer adds k − 1 steps of the strides BELOW it"

FIELD_MISTAKES = [
    Mistake("the strides left out", _field_with(lambda ks, ss: 1 + sum(k - 1 for k in ks)),
            f"after a layer of stride s, one step of the next layer is s input pixels: {FIELD_RULE}."),
    Mistake("a layer's own stride counted", _field_with(
        lambda ks, ss: 1 + sum((k - 1) * j for k, j in zip(ks, _jumps(ss, own=True)))),
            f"a layer's stride spaces the windows of the NEXT layer, not its own taps: {FIELD_RULE}."),
    Mistake("k instead of k − 1 per layer", _field_with(lambda ks, ss: sum(k * j for k, j in zip(ks, _jumps(ss)))),
            f"stacking two 3-wide layers gives 5, not 6: the windows overlap, each layer adds k − 1. {FIELD_RULE}."),
    Mistake("the layers taken from the output end", _field_with(
        lambda ks, ss: 1 + sum((k - 1) * j for k, j in zip(ks[::-1], _jumps(ss[::-1])))),
            "the first layer in the list is the one nearest the input; the jump of a layer is the product of "
            f"the strides of the layers before it in the list. {FIELD_RULE}."),
]


def check_receptive_field(fn, seed: int = 0) -> None:
    """Check `fn(kernel_sizes, strides)`: the receptive field of a stack of conv layers (the first nearest the input),
    against the input pixels that one output's gradient reaches (torch autograd).

    Entries are ints (the same on each axis; the result is an int) or (rows, columns) pairs (the result is a pair).

    >>> from course_lib import shapes
    >>> def field(kernel_sizes, strides):
    ...     layers = [(k if isinstance(k, tuple) else (k, k), s if isinstance(s, tuple) else (s, s))
    ...               for k, s in zip(kernel_sizes, strides)]
    ...     rows, cols = shapes.receptive_field(layers, dims=2)[0] if layers else (1, 1)
    ...     ints = all(isinstance(v, int) for v in list(kernel_sizes) + list(strides))
    ...     return rows if ints else (rows, cols)
    >>> check_receptive_field(field)
    ✓ receptive_field agrees with autograd on 11 stacks (strides, pairs, no layers)
    """
    extra = 2 + seed % 3
    stacks = [([3], [1], "one 3 x 3 layer"), ([3, 3], [1, 1], "two 3 x 3 layers"),
              ([3, 3, 3], [1, 1, 1], "three 3 x 3 layers"), ([5, 3], [1, 1], "a 5 x 5 then a 3 x 3 layer"),
              ([3, 5], [2, 2], "stride 2 in both layers"),
              ([3, 3], [1, 2], "stride 2 in the last layer (it does not widen the field)"),
              ([7, 3, 3], [2, 2, 1], "strides 2, 2, 1"), ([1, 3], [1, 1], "a 1 x 1 layer"),
              ([(3, 5), (3, 3)], [(1, 2), (2, 1)], "(rows, columns) pairs"),
              ([3, (5, 1), 3], [extra, 1, (1, extra)], "ints and pairs mixed"), ([], [], "no layers")]
    cases = [Case(adds, (ks, ss)) for ks, ss, adds in stacks]
    run(fn, "receptive_field", cases, _torch_field, FIELD_MISTAKES,
        success=f"receptive_field agrees with autograd on {len(cases)} stacks (strides, pairs, no layers)")
