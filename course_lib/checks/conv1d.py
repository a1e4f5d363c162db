"""Checks for the exercises of lesson 01 (conv1d): the output length, a conv1d by loops, 'same' padding."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course_lib.checks.calls import CONVOLUTIONS, allowing_course_lib
from course_lib.checks.cases import Case, Mistake, meta, randn, seeded
from course_lib.checks.core import run
from course_lib.checks.mistakes import (SIZE_SLIPS, bias_on_last_axis, flipped_kernel, from_args, missing_bias,
                                        missing_plus_one, rounding_up)
from course_lib.checks.reference import conv

LENGTH_RULE = "L_out = floor((L + 2·padding − dilation·(k − 1) − 1) / stride) + 1"


def _torch_length(case: Case) -> int:
    length, k, stride, padding, dilation = case.args
    x, w = torch.zeros(1, 1, length), torch.zeros(1, 1, k)
    return F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation).shape[-1]


LENGTH_MISTAKES = [
    missing_plus_one(from_args, LENGTH_RULE),
    rounding_up(from_args),
    Mistake("padding counted once", from_args(SIZE_SLIPS["padding once"]),
            "padding adds `padding` cells at each end: 2·padding in all."),
    Mistake("a window span of k instead of dilation·(k − 1) + 1", from_args(SIZE_SLIPS["no dilation"]),
            "with dilation d the taps are d apart, so a window spans d·(k − 1) + 1 cells."),
]


def check_output_length(fn, seed: int = 0) -> None:
    """Check `fn(length, kernel_size, stride=1, padding=0, dilation=1) -> int` against the length torch's conv1d gives.

    >>> check_output_length(lambda L, k, stride=1, padding=0, dilation=1: (L + 2 * padding - dilation * (k - 1) - 1) // stride + 1)
    ✓ output_length agrees with torch's conv1d on 10 cases (stride, padding, dilation)
    """
    sizes = [(5, 3, 1, 0, 1, "the plain case"), (5, 5, 1, 0, 1, "a kernel as long as the input"),
             (7, 2, 1, 0, 1, "an even kernel"), (7, 3, 2, 0, 1, "stride 2"), (8, 3, 3, 0, 1, "stride 3"),
             (5, 3, 1, 2, 1, "padding 2"), (9, 3, 1, 0, 2, "dilation 2"), (10, 4, 3, 1, 2, "stride, padding and dilation"),
             (1, 3, 1, 1, 1, "padding making a short input long enough"), (12 + seed % 5, 3, 2, 1, 3, "another mix")]
    cases = [Case(adds, (L, k, s, p, d)) for L, k, s, p, d, adds in sizes]
    run(fn, "output_length", cases, _torch_length, LENGTH_MISTAKES,
        success="output_length agrees with torch's conv1d on 10 cases (stride, padding, dilation)")


CONV_MISTAKES = [
    flipped_kernel(conv, "PyTorch's conv1d does not flip the kernel: output[i] = Σ_j x[i·stride + j·dilation] · w[j] "
                         "(a cross-correlation). Index the kernel with j, not k − 1 − j."),
    missing_bias(conv),
    bias_on_last_axis(conv, "the bias has one value per output channel: add bias[co] to out[n, co, :], e.g. "
                            "`out + bias[:, None]`, not `out + bias` (which lines bias up with the positions)."),
]


def conv1d_cases(seed: int = 0) -> list[Case]:
    """The battery for a conv1d with stride, padding and dilation (groups=1, zero padding), smallest first."""
    g = seeded(seed)
    unbatched = "an unbatched input (C_in, L): add a batch axis first (`x[None]`) and remove it from the result."
    return [
        Case("one channel", (randn(g, 1, 1, 6), randn(g, 1, 1, 3), None)),
        Case("a batch of 2 and several input and output channels", (randn(g, 2, 3, 7), randn(g, 4, 3, 3), None),
             hint="out[n, co, i] sums over every input channel ci and every tap j, for each sample n."),
        Case("a bias", (randn(g, 2, 3, 7), randn(g, 4, 3, 3), randn(g, 4)),
             hint="the bias has one value per output channel: add bias[co] to out[n, co, :], e.g. `out + bias[:, None]`."),
        Case("an even kernel", (randn(g, 1, 2, 6), randn(g, 3, 2, 2), randn(g, 3))),
        Case("stride 2", (randn(g, 1, 2, 9), randn(g, 3, 2, 3), randn(g, 3)), {"stride": 2},
             hint="output position i reads the window starting at i·stride."),
        Case("padding 2", (randn(g, 1, 2, 5), randn(g, 3, 2, 3), randn(g, 3)), {"padding": 2},
             hint="zero padding adds `padding` zeros at both ends before sliding."),
        Case("dilation 2", (randn(g, 1, 2, 9), randn(g, 3, 2, 3), randn(g, 3)), {"dilation": 2},
             hint="with dilation d the taps of a window are d apart: x[i·stride + j·d]."),
        Case("stride, padding and dilation together", (randn(g, 2, 2, 11), randn(g, 3, 2, 3), randn(g, 3)),
             {"stride": 2, "padding": 3, "dilation": 2}),
        Case("a bias whose length equals the output length", (randn(g, 1, 2, 6), randn(g, 4, 2, 3), randn(g, 4))),
        Case("unbatched input (C_in, L)", (randn(g, 2, 8), randn(g, 3, 2, 3), randn(g, 3)), {"padding": 1},
             hint=unbatched),
        Case("an empty batch (0, C_in, L)", (randn(g, 0, 2, 8), randn(g, 3, 2, 3), randn(g, 3)),
             hint="a batch of 0 samples gives a (0, C_out, L_out) result."),
        Case("float32 input", (randn(g, 1, 2, 7).float(), randn(g, 3, 2, 3).float(), randn(g, 3).float()),
             {"stride": 2}),
        Case("inputs on another device", (meta(2, 2, 7), meta(3, 2, 3), meta(3)), {"padding": 1}, device_only=True),
    ]


def check_conv1d(fn, seed: int = 0, name: str = "conv1d_loops") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0, dilation=1)` against `F.conv1d`, without it calling
    torch's convolution.

    >>> from course_lib import naive
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv1d(naive.conv1d, name="naive.conv1d")
    ✓ naive.conv1d agrees with F.conv1d on 13 cases: channels, bias, stride, padding, dilation, unbatched, empty batch, float32, device
    """
    run(fn, name, conv1d_cases(seed), conv, CONV_MISTAKES, forbidden=CONVOLUTIONS,
        shape_hint=f"The output length is {LENGTH_RULE} (task 1); an unbatched input gives an unbatched result.",
        success=f"{name} agrees with F.conv1d on 13 cases: channels, bias, stride, padding, dilation, unbatched, "
                f"empty batch, float32, device")


def _same_reference(case: Case) -> tuple[int, int]:
    kernel_size, dilation = case.args
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2  # torch: the odd cell goes at the end (nn/modules/conv.py, _ConvNd)


SAME_MISTAKES = [
    Mistake("the extra cell on the wrong side", lambda case: _same_reference(case)[::-1],
            "for an even total PyTorch puts the odd cell at the END: left = total // 2, right = total − left."),
    Mistake("dilation left out", lambda case: _same_reference(Case("", (case.args[0], 1))),
            "a dilated kernel spans dilation·(k − 1) + 1 cells, so 'same' needs dilation·(k − 1) padding in all."),
    Mistake("k cells of padding instead of k − 1",
            lambda case: (case.args[0] * case.args[1] // 2, case.args[0] * case.args[1] - case.args[0] * case.args[1] // 2),
            "the output keeps the input's length when the padding totals dilation·(k − 1): one window per input cell."),
]


def check_same_padding(fn, seed: int = 0) -> None:
    """Check `fn(kernel_size, dilation=1) -> (left, right)`: the zeros `padding='same'` adds at each end.

    >>> check_same_padding(lambda k, dilation=1: (dilation * (k - 1) // 2, dilation * (k - 1) - dilation * (k - 1) // 2))
    ✓ same_padding matches padding='same' for odd and even kernels, with and without dilation
    """
    pairs = [(3, 1, "an odd kernel"), (1, 1, "a 1-tap kernel"), (2, 1, "an even kernel"), (4, 1, "an even kernel of 4"),
             (3, 2, "dilation 2"), (4, 3, "an even kernel with dilation 3"), (6 + 2 * (seed % 3), 1, "a longer even kernel")]
    cases = [Case(adds, (k, d)) for k, d, adds in pairs]
    run(fn, "same_padding", cases, _same_reference, SAME_MISTAKES,
        success="same_padding matches padding='same' for odd and even kernels, with and without dilation")
