"""Checks for the exercises of lesson 04 (one N-d convolution): the output shape, an N-d conv by loops, a 4-D
convolution as a sum of F.conv3d calls."""
from __future__ import annotations

import torch

from course_lib.checks.calls import CONVOLUTIONS, allowing_course_lib
from course_lib.checks.cases import Case, Mistake, meta, randn, seeded
from course_lib.checks.core import run
from course_lib.checks.mistakes import (SIZE_SLIPS, bias_on_last_axis, flipped_kernel, missing_bias,
                                        missing_plus_one, padding_on_one_side, per_axis_swapped, right_size,
                                        rounding_up)
from course_lib.checks.reference import conv, per_axis, torch_conv

SIZE_RULE = "o = floor((i + 2p − d·(k − 1) − 1) / s) + 1 on every sliding axis"


def _torch_shape(case: Case) -> tuple:
    """The shape torch's convolution returns (F.conv1d/2d/3d; for 4 axes the sum of F.conv3d calls) on zeros."""
    input_shape, weight_shape = case.args
    out = torch_conv(torch.zeros(input_shape, dtype=torch.float64), torch.zeros(weight_shape, dtype=torch.float64),
                     None, **case.kwargs)
    return tuple(out.shape)


def _shape_with(rule, channels="out", batch="kept"):
    """A mistaken shape: `rule(i, k, s, p, d)` per axis, the channel count and the batch axis as a learner might."""
    def compute(case: Case):
        input_shape, weight_shape = case.args
        n = len(weight_shape) - 2
        settings = [per_axis(case.kwargs.get(name, default), n)
                    for name, default in (("stride", 1), ("padding", 0), ("dilation", 1))]
        sizes = tuple(rule(i, k, s, p, d) for i, k, s, p, d in zip(input_shape[-n:], weight_shape[2:], *settings))
        c = weight_shape[0] if channels == "out" else input_shape[-n - 1]
        lead = tuple(input_shape[:-n - 1]) if batch == "kept" else (input_shape[0],)
        if batch != "kept" and len(input_shape) == n + 2:
            return None  # batched: this mistake makes no difference
        return lead + (c,) + sizes
    return compute


SHAPE_MISTAKES = [
    missing_plus_one(_shape_with, SIZE_RULE),
    rounding_up(_shape_with),
    Mistake("padding counted once", _shape_with(SIZE_SLIPS["padding once"]),
            "padding adds `padding` cells at each end of an axis: 2·padding in all."),
    Mistake("dilation left out", _shape_with(SIZE_SLIPS["no dilation"]),
            "with dilation d the taps are d apart, so a window spans d·(k − 1) + 1 cells."),
    Mistake("the input's channel count kept", _shape_with(right_size, channels="in"),
            "the output has one channel per kernel: C_out = weight_shape[0], not the input's C_in."),
    Mistake("a batch axis for an unbatched input", _shape_with(right_size, batch="first"),
            "an input with one axis fewer than the weight is unbatched (C_in, S1, …, Sn): its output is unbatched "
            "too, (C_out, O1, …, On). The number of sliding axes comes from the weight: n = len(weight_shape) − 2."),
]


def check_conv_output_shape(fn, seed: int = 0) -> None:
    """Check `fn(input_shape, weight_shape, stride=1, padding=0, dilation=1) -> tuple` against the shape torch's
    convolution returns, for 1 to 4 sliding axes, batched and unbatched.

    >>> from course_lib import shapes
    >>> def output_shape(input_shape, weight_shape, stride=1, padding=0, dilation=1):
    ...     n = len(weight_shape) - 2
    ...     sizes = shapes.conv_output_size(tuple(input_shape[-n:]), tuple(weight_shape[2:]), stride, padding, dilation)
    ...     return tuple(input_shape[:-n - 1]) + (weight_shape[0],) + tuple(sizes)
    >>> check_conv_output_shape(output_shape)
    ✓ conv_output_shape agrees with torch on 13 cases: 1 to 4 sliding axes, stride, padding, dilation, per-axis values, unbatched, empty batch
    """
    extra = 9 + seed % 4
    shapes = [
        ("a 1-D input", (1, 2, 10), (3, 2, 3), {}),
        ("a 2-D input, C_in ≠ C_out", (2, 3, 7, 9), (4, 3, 3, 2), {}),
        ("stride 2 (rounding down)", (1, 2, 8, 9), (3, 2, 3, 3), {"stride": 2}),
        ("padding 2", (1, 2, 5, 6, 7), (2, 2, 3, 3, 3), {"padding": 2}),
        ("dilation 2", (1, 2, 9, 8), (3, 2, 3, 2), {"dilation": 2}),
        ("one value per axis", (1, 2, 9, 8, 10), (3, 2, 3, 2, 3),
         {"stride": (2, 1, 3), "padding": (0, 1, 2), "dilation": (1, 2, 1)}),
        ("a kernel as large as the padded input", (1, 1, 4, 4), (2, 1, 6, 6), {"padding": 1}),
        ("4 sliding axes", (1, 2, 5, 6, 7, 8), (3, 2, 2, 3, 2, 3), {"stride": (1, 2, 1, 2), "padding": (1, 0, 1, 0)}),
        ("an unbatched 2-D input (C_in, H, W)", (2, 9, 9), (4, 2, 3, 3), {}),
        ("an unbatched 4-D input", (2, 5, 5, 5, 5), (3, 2, 3, 3, 3, 3), {"padding": 1, "stride": 2}),
        ("an empty batch", (0, 2, 6, 6), (3, 2, 3, 3), {}),
        ("an unbatched 1-D input", (3, extra), (5, 3, 4), {"stride": 3, "padding": 2}),
        ("another mix", (2, 3, extra, 7, 6), (4, 3, 2, 3, 1), {"stride": (3, 1, 2), "padding": 2, "dilation": (2, 2, 1)}),
    ]
    cases = [Case(adds, (i, w), kwargs) for adds, i, w, kwargs in shapes]
    run(fn, "conv_output_shape", cases, _torch_shape, SHAPE_MISTAKES,
        success=f"conv_output_shape agrees with torch on {len(cases)} cases: 1 to 4 sliding axes, stride, padding, "
                f"dilation, per-axis values, unbatched, empty batch")


CONVND_MISTAKES = [
    flipped_kernel(conv, "PyTorch does not flip the kernel: out[o1, …, on] = Σ x[o1·s1 + k1, …, on·sn + kn] · "
                         "w[k1, …, kn] (a cross-correlation). Index the kernel with the offsets as they are."),
    missing_bias(conv),
    bias_on_last_axis(conv, "the bias has one value per output channel: add `bias.view(-1, *[1] * n)` (C_out, 1, …, "
                            "1), not `bias` (which lines the bias up with the last axis)."),
    padding_on_one_side("zero padding puts `padding` zeros at BOTH ends of every sliding axis: F.pad takes (before, "
                        "after) pairs, last axis first."),
    per_axis_swapped("a per-axis tuple read in the wrong order",
                     "stride=(s1, …, sn) and padding=(p1, …, pn) follow the sliding axes of x in order. F.pad is the "
                     "exception: it lists the LAST axis first, so reverse the padding tuple for it."),
]


def convnd_cases(seed: int = 0) -> list[Case]:
    """The battery for an N-d conv (1 to 4 sliding axes) with stride and padding, smallest first."""
    g = seeded(seed)
    unbatched = ("an unbatched input has one axis fewer than the weight: (C_in, S1, …, Sn). Take n from the weight "
                 "(n = weight.dim() − 2), add a batch axis (`x[None]`) and remove it from the result.")
    return [
        Case("1 sliding axis", (randn(g, 1, 1, 6), randn(g, 1, 1, 3), None),
             hint="out[n, co, o1, …] sums x over the window at (o1·s1, …) times the kernel w[co]."),
        Case("2 sliding axes, channels and a batch of 2", (randn(g, 2, 2, 4, 5), randn(g, 3, 2, 2, 3), None),
             hint="the number of sliding axes is n = weight.dim() − 2; loop over positions with "
                  "itertools.product(*(range(o) for o in out_size))."),
        Case("3 sliding axes and a bias", (randn(g, 1, 2, 3, 4, 6), randn(g, 4, 2, 2, 2, 3), randn(g, 4)),
             hint="bias[co] is added to every position of output channel co."),
        Case("4 sliding axes", (randn(g, 1, 2, 3, 3, 4, 3), randn(g, 2, 2, 2, 1, 2, 2), randn(g, 2)),
             hint="nothing in the loops should depend on n: a tuple of slices, one per axis, cuts out the window."),
        Case("stride 2", (randn(g, 1, 2, 5, 5), randn(g, 2, 2, 3, 3), randn(g, 2)), {"stride": 2}),
        Case("padding 1", (randn(g, 1, 2, 3, 4, 3), randn(g, 2, 2, 2, 3, 3), randn(g, 2)), {"padding": 1},
             hint="zero padding adds `padding` zeros before and after the input on every sliding axis."),
        Case("one value per axis: stride (1, 2, 1), padding (1, 0, 2)",
             (randn(g, 1, 2, 3, 5, 3), randn(g, 2, 2, 2, 3, 2), randn(g, 2)), {"stride": (1, 2, 1), "padding": (1, 0, 2)},
             hint="value j of a tuple is for sliding axis j, in the order of x's axes."),
        Case("4 sliding axes with stride (2, 1, 1, 2) and padding (0, 1, 0, 1)",
             (randn(g, 1, 1, 4, 3, 3, 4), randn(g, 2, 1, 2, 2, 2, 2), randn(g, 2)),
             {"stride": (2, 1, 1, 2), "padding": (0, 1, 0, 1)}),
        Case("unbatched input (C_in, S1, S2)", (randn(g, 2, 4, 4), randn(g, 3, 2, 2, 2), randn(g, 3)), {"padding": 1},
             hint=unbatched),
        Case("an empty batch", (randn(g, 0, 2, 4, 4, 4), randn(g, 2, 2, 2, 2, 2), randn(g, 2)),
             hint="a batch of 0 samples gives a (0, C_out, O1, …, On) result."),
        Case("float32 input", (randn(g, 1, 2, 6).float(), randn(g, 3, 2, 3).float(), randn(g, 3).float()),
             {"stride": 2}),
        Case("inputs on another device", (meta(1, 2, 3, 3), meta(2, 2, 2, 2), meta(2)), {"padding": 1},
             device_only=True),
    ]


def check_convnd(fn, seed: int = 0, name: str = "convnd_loops") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0)` for 1 to 4 sliding axes against F.conv1d/2d/3d (and a
    sum of F.conv3d calls for 4 axes), without it calling torch's convolution.

    >>> from course_lib import naive
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_convnd(naive.convnd, name="naive.convnd")
    ✓ naive.convnd agrees with torch on 12 cases: 1 to 4 sliding axes, bias, stride, padding, per-axis values, unbatched, empty batch, float32, device
    """
    cases = convnd_cases(seed)
    run(fn, name, cases, conv, CONVND_MISTAKES, forbidden=CONVOLUTIONS,
        shape_hint=f"The output size is {SIZE_RULE} (task 1); an unbatched input gives an unbatched result.",
        success=f"{name} agrees with torch on {len(cases)} cases: 1 to 4 sliding axes, bias, stride, padding, "
                f"per-axis values, unbatched, empty batch, float32, device")


def _bias_in_every_term(case: Case):
    x, w, b = case.args
    if b is None or w.shape[2] == 1:
        return None
    return torch_conv(x, w) + w.shape[2] * b.view(-1, 1, 1, 1, 1)


def _one_step_short(case: Case):
    out = torch_conv(*case.args)
    return out[:, :, :-1]


CONV4D_MISTAKES = [
    Mistake("the kernel flipped along T", lambda case: None if case.args[1].shape[2] == 1
            else torch_conv(case.args[0], case.args[1].flip(2), case.args[2]),
            "output step t adds F.conv3d(x[:, :, t + j], weight[:, :, j]) for j = 0 … kT − 1: slice j of the kernel "
            "meets input step t + j (a cross-correlation along T too)."),
    Mistake("the bias added in every F.conv3d call", _bias_in_every_term,
            "each output step is a sum of kT F.conv3d terms; passing the bias to each adds it kT times. Add it "
            "once, to the sum."),
    missing_bias(lambda case, bias: torch_conv(case.args[0], case.args[1]),
                 "add bias[co] to every position of output channel co: `out + bias.view(-1, 1, 1, 1, 1)`."),
    Mistake("a missing + 1 (one time step short)", _one_step_short,
            "the kernel fits at T − kT + 1 time steps: t = 0 … T − kT."),
    Mistake("the time steps stacked on the channel axis", lambda case: torch_conv(*case.args).transpose(1, 2),
            "the result is (N, C_out, T_out, D_out, H_out, W_out): stack the time steps on axis 2 "
            "(`torch.stack(steps, dim=2)`)."),
]


def check_conv4d_by_conv3d(fn, seed: int = 0) -> None:
    """Check `fn(x, weight, bias=None)`: a 4-D convolution (stride 1, no padding) of x (N, C_in, T, D, H, W) with
    weight (C_out, C_in, kT, kD, kH, kW), against torch (the sum of F.conv3d calls of lesson 04, checked against
    course_lib.naive.convnd in `torch_conv`'s doctest).

    >>> from course_lib import vectorised
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv4d_by_conv3d(vectorised.convnd)
    ✓ conv4d_by_conv3d agrees with torch on 8 cases: kT = 1 to 3, channels, bias, batch, empty batch, float32, device
    """
    g = seeded(seed)
    k = 2 + seed % 2
    cases = [
        Case("one channel, kT = 1", (randn(g, 1, 1, 2, 3, 3, 3), randn(g, 1, 1, 1, 2, 2, 2), None),
             hint="with kT = 1 each output step t is F.conv3d(x[:, :, t], weight[:, :, 0])."),
        Case("kT = 2", (randn(g, 1, 1, 3, 3, 3, 3), randn(g, 1, 1, 2, 2, 2, 2), None),
             hint="output step t adds F.conv3d(x[:, :, t + j], weight[:, :, j]) over j = 0 … kT − 1."),
        Case(f"channels and kT = {k}", (randn(g, 1, 2, 4, 3, 4, 3), randn(g, 3, 2, k, 2, 2, 2), None)),
        Case("a bias", (randn(g, 1, 2, 4, 3, 3, 3), randn(g, 3, 2, 2, 2, 2, 2), randn(g, 3))),
        Case("a batch of 2 and a kernel as long as T", (randn(g, 2, 2, 3, 3, 3, 3), randn(g, 2, 2, 3, 1, 2, 2),
                                                        randn(g, 2))),
        Case("an empty batch", (randn(g, 0, 2, 3, 3, 3, 3), randn(g, 2, 2, 2, 2, 2, 2), randn(g, 2)),
             hint="a batch of 0 samples gives a (0, C_out, T_out, D_out, H_out, W_out) result."),
        Case("float32 input", (randn(g, 1, 2, 3, 3, 3, 3).float(), randn(g, 2, 2, 2, 2, 2, 2).float(),
                               randn(g, 2).float())),
        Case("inputs on another device", (meta(1, 2, 3, 3, 3, 3), meta(2, 2, 2, 2, 2, 2), meta(2)), device_only=True),
    ]
    run(fn, "conv4d_by_conv3d", cases, lambda case: torch_conv(*case.args), CONV4D_MISTAKES,
        forbidden={},  # F.conv3d is the tool here (torch has no 4-D convolution); the course's convnd is refused
        shape_hint="T_out = T − kT + 1 (stride 1, no padding); D, H, W shrink the same way inside F.conv3d.",
        success=f"conv4d_by_conv3d agrees with torch on {len(cases)} cases: kT = 1 to 3, channels, bias, batch, "
                f"empty batch, float32, device")
