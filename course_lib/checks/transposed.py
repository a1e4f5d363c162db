"""Checks for the exercises of lesson 07 (transposed convolution): the output length, conv_transpose1d by scatter-add,
and conv_transpose1d by zero insertion and one ordinary convolution."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course_lib.checks.calls import CONVOLUTIONS, TRANSPOSED, allowing_course_lib
from course_lib.checks.cases import Case, Mistake, meta, randn, seeded
from course_lib.checks.core import run
from course_lib.checks.mistakes import bias_on_last_axis, flipped_kernel, from_args, missing_bias

LENGTH_RULE = "L_out = (L − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1"
WEIGHT_LAYOUT = ("a transposed convolution's weight is (C_in, C_out, k), the other way round from conv1d's: input "
                 "channel ci stamps weight[ci, co] into output channel co, and C_out = weight.shape[1].")
WEIGHT_LAYOUT_SENTENCE = WEIGHT_LAYOUT[0].upper() + WEIGHT_LAYOUT[1:]


def _torch_length(case: Case) -> int:
    length, k, stride, padding, output_padding, dilation = case.args
    x, w = torch.zeros(1, 1, length), torch.zeros(1, 1, k)
    return F.conv_transpose1d(x, w, stride=stride, padding=padding, output_padding=output_padding,
                              dilation=dilation).shape[-1]


LENGTH_MISTAKES = [
    Mistake("output_padding left out", from_args(lambda L, k, s, p, op, d: (L - 1) * s - 2 * p + d * (k - 1) + 1),
            "output_padding adds that many cells at the end of the output: + output_padding."),
    Mistake("a missing + 1", from_args(lambda L, k, s, p, op, d: (L - 1) * s - 2 * p + d * (k - 1) + op),
            f"the last stamp starts at (L − 1)·stride and covers dilation·(k − 1) + 1 cells: {LENGTH_RULE}."),
    Mistake("L·stride instead of (L − 1)·stride", from_args(lambda L, k, s, p, op, d: L * s - 2 * p + d * (k - 1) + op + 1),
            f"the first stamp starts at 0 and the last at (L − 1)·stride: {LENGTH_RULE}."),
    Mistake("the convolution's formula", from_args(lambda L, k, s, p, op, d: (L + 2 * p - d * (k - 1) - 1) // s + 1),
            f"that is the length of an ordinary convolution's output; a transposed convolution goes the other way: "
            f"{LENGTH_RULE}."),
    Mistake("padding added instead of cropped", from_args(lambda L, k, s, p, op, d: (L - 1) * s + 2 * p + d * (k - 1) + op + 1),
            "in a transposed convolution padding removes p cells from each end of the output: − 2·padding."),
    Mistake("padding counted once", from_args(lambda L, k, s, p, op, d: (L - 1) * s - p + d * (k - 1) + op + 1),
            "padding crops `padding` cells at each end: 2·padding in all."),
    Mistake("a stamp span of k instead of dilation·(k − 1) + 1",
            from_args(lambda L, k, s, p, op, d: (L - 1) * s - 2 * p + (k - 1) + op + 1),
            "with dilation d the taps of a stamp are d apart, so a stamp spans d·(k − 1) + 1 cells."),
]


def check_conv_transpose_output_length(fn, seed: int = 0) -> None:
    """Check `fn(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1) -> int` against the length
    torch's conv_transpose1d gives.

    >>> from course_lib import shapes
    >>> check_conv_transpose_output_length(shapes.conv_transpose_output_size)
    ✓ conv_transpose_output_length agrees with torch's conv_transpose1d on 11 cases (stride, padding, output_padding, dilation)
    """
    sizes = [(4, 3, 1, 0, 0, 1, "the plain case"), (1, 3, 1, 0, 0, 1, "a single input"),
             (5, 2, 1, 0, 0, 1, "an even kernel"), (4, 3, 2, 0, 0, 1, "stride 2"), (4, 3, 3, 0, 0, 1, "stride 3"),
             (5, 3, 1, 1, 0, 1, "padding 1"), (4, 3, 2, 1, 1, 1, "output_padding 1 with stride 2"),
             (5, 3, 1, 0, 0, 2, "dilation 2"), (5, 3, 2, 0, 2, 3, "output_padding 2 (below dilation 3)"),
             (7, 5, 3, 2, 1, 2, "stride, padding, output_padding and dilation"),
             (20 + seed % 7, 4, 2, 1 + seed % 2, 1, 1, "another mix")]
    cases = [Case(adds, (L, k, s, p, op, d)) for L, k, s, p, op, d, adds in sizes]
    run(fn, "conv_transpose_output_length", cases, _torch_length, LENGTH_MISTAKES,
        success="conv_transpose_output_length agrees with torch's conv_transpose1d on 11 cases "
                "(stride, padding, output_padding, dilation)")


# --- conv_transpose1d: the reference and what the likely mistakes compute --------------------------------------

def _settings(case: Case) -> dict:
    return {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1, **case.kwargs}


def _transposed(case: Case, weight=None, bias="given", **changes) -> torch.Tensor:
    x, w, b = case.args
    w = w if weight is None else weight
    b = b if bias == "given" else bias
    return F.conv_transpose1d(x, w, b, **{**_settings(case), **changes})


def _plus_bias(out: torch.Tensor, bias) -> torch.Tensor:
    return out if bias is None else out + bias[:, None]


def _swapped_weight(case: Case):
    """What loops reading weight[co, ci] (conv1d's layout) compute: co runs over weight.shape[0] = C_in, ci over
    x's C_in channels, so the code runs only while C_in <= C_out (else it raises IndexError, see the case's hint)."""
    x, w, b = case.args
    c_in = x.shape[-2]
    if w.shape[1] < c_in:
        return None
    swapped = w[:, :c_in].transpose(0, 1)  # swapped[ci, co] = w[co, ci], co < C_in
    return _transposed(case, weight=swapped, bias=None if b is None else b[:c_in])


def _padding_not_cropped(case: Case):
    s = _settings(case)
    if s["padding"] == 0:
        return None
    return _transposed(case, padding=0)


def _input_padded(case: Case):
    """Padding the input with zeros as a convolution does, then scattering (no crop)."""
    s = _settings(case)
    if s["padding"] == 0:
        return None
    x = F.pad(case.args[0], (s["padding"], s["padding"]))
    return F.conv_transpose1d(x, case.args[1], case.args[2], **{**s, "padding": 0})


def _output_padding_as_zeros(case: Case):
    """Cropping without output_padding, then appending output_padding zeros (torch keeps the scattered values)."""
    s = _settings(case)
    if s["output_padding"] == 0 or s["padding"] == 0:
        return None
    out = F.conv_transpose1d(case.args[0], case.args[1], None, **{**s, "output_padding": 0})
    return _plus_bias(F.pad(out, (0, s["output_padding"])), case.args[2])


BIAS_HINT = ("the bias has one value per output channel: add bias[co] to out[n, co, :], e.g. `out + bias[:, None]`, "
             "not `out + bias` (which lines bias up with the positions).")

TRANSPOSE_MISTAKES = [
    Mistake("a swapped weight layout (weight[co, ci] instead of weight[ci, co])", _swapped_weight,
            WEIGHT_LAYOUT + " Read weight[ci, co] and make the output `x.new_zeros(N, weight.shape[1], L_out)`."),
    flipped_kernel(_transposed, "input element i adds weight[ci, co, j] at output position i·stride + j·dilation "
                                "(before cropping): the stamp is the kernel as it is, not reversed.",
                   name="a flipped kernel"),
    missing_bias(_transposed, "add bias[co] once to every output position of output channel co (after all the stamps)."),
    bias_on_last_axis(_transposed, BIAS_HINT),
    Mistake("padding not cropped", _padding_not_cropped,
            "in a transposed convolution `padding` REMOVES cells: scatter into the full output, then keep "
            "full[..., padding : padding + L_out]."),
    Mistake("the input padded as in a convolution", _input_padded,
            "a transposed convolution does not pad its input; its `padding` crops `padding` cells from each end of "
            "the full (scattered) output."),
    Mistake("output_padding added as zeros after cropping", _output_padding_as_zeros,
            "output_padding keeps cells of the full output: make the full output output_padding cells longer at "
            "the end, scatter into it, then crop `padding` from each end (so with padding ≥ output_padding the "
            "extra cells hold scattered values, not zeros)."),
]


def transposed_cases(seed: int = 0, dilation: bool = True) -> list[Case]:
    """The battery for conv_transpose1d (groups=1), smallest first; `dilation=False` leaves out the dilated cases."""
    g = seeded(seed)
    unbatched = "an unbatched input (C_in, L): add a batch axis first (`x[None]`) and remove it from the result."
    more_in = "more input than output channels (C_in > C_out). " + WEIGHT_LAYOUT_SENTENCE
    cases = [
        Case("one channel", (randn(g, 1, 1, 4), randn(g, 1, 1, 3), None)),
        Case("two input and two output channels", (randn(g, 1, 2, 4), randn(g, 2, 2, 3), None),
             hint="out[n, co] gets x[n, ci, i] · weight[ci, co] from every input channel ci."),
        Case("a batch of 2 and more output than input channels (C_out > C_in)",
             (randn(g, 2, 2, 4), randn(g, 2, 3, 3), None),
             hint=WEIGHT_LAYOUT_SENTENCE),
        Case("more input than output channels (C_in > C_out)", (randn(g, 2, 3, 4), randn(g, 3, 2, 3), None),
             hint=more_in),
        Case("a bias", (randn(g, 2, 2, 2), randn(g, 2, 3, 2), randn(g, 3)), hint=BIAS_HINT),
        Case("an even kernel", (randn(g, 1, 2, 4), randn(g, 2, 3, 2), randn(g, 3))),
        Case("stride 2", (randn(g, 1, 2, 4), randn(g, 2, 3, 3), randn(g, 3)), {"stride": 2},
             hint="input element i stamps the kernel starting at output position i·stride."),
        Case("padding 1", (randn(g, 1, 2, 5), randn(g, 2, 3, 3), randn(g, 3)), {"padding": 1},
             hint="padding crops `padding` cells from each end of the full output."),
        Case("stride 2, padding 1 and output_padding 1", (randn(g, 1, 2, 4), randn(g, 2, 3, 3), randn(g, 3)),
             {"stride": 2, "padding": 1, "output_padding": 1},
             hint="output_padding makes the full output that many cells longer at the end, before cropping."),
        Case("output_padding 2 with stride 3 and no padding", (randn(g, 1, 2, 3), randn(g, 2, 2, 2), randn(g, 2)),
             {"stride": 3, "output_padding": 2},
             hint="cells past the last stamp are zeros (plus the bias)."),
    ]
    if dilation:
        cases += [
            Case("dilation 2", (randn(g, 1, 2, 4), randn(g, 2, 3, 3), randn(g, 3)), {"dilation": 2},
                 hint="with dilation d the taps of a stamp are d apart: positions i·stride + j·d."),
            Case("output_padding 2 with stride 2 and dilation 3", (randn(g, 2, 2, 5), randn(g, 2, 3, 3), randn(g, 3)),
                 {"stride": 2, "padding": 1, "output_padding": 2, "dilation": 3},
                 hint="output_padding may be anything below max(stride, dilation)."),
        ]
    cases += [
        Case("padding larger than k − 1", (randn(g, 1, 2, 6), randn(g, 2, 2, 3), randn(g, 2)),
             {"stride": 2, "padding": 3},
             hint="padding may crop more than the kernel adds: every output cell still gets the stamps that reach it."),
        Case("unbatched input (C_in, L)", (randn(g, 2, 5), randn(g, 2, 3, 3), randn(g, 3)), {"stride": 2},
             hint=unbatched),
        Case("an empty batch (0, C_in, L)", (randn(g, 0, 2, 5), randn(g, 2, 3, 3), randn(g, 3)),
             hint="a batch of 0 samples gives a (0, C_out, L_out) result."),
        Case("float32 input", (randn(g, 1, 2, 5).float(), randn(g, 2, 3, 3).float(), randn(g, 3).float()),
             {"stride": 2}),
        Case("inputs on another device", (meta(2, 2, 4), meta(2, 3, 3), meta(3)),
             {"stride": 2, "padding": 1, "output_padding": 1}, device_only=True),
    ]
    return cases


SHAPE_HINT = (f"The output length is {LENGTH_RULE} (task 1), with C_out = weight.shape[1] channels; an unbatched "
              f"input gives an unbatched result.")


def check_conv_transpose1d_scatter(fn, seed: int = 0, name: str = "conv_transpose1d_scatter") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1)` against
    `F.conv_transpose1d`, without it calling any of torch's convolutions.

    >>> from course_lib import naive
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv_transpose1d_scatter(naive.conv_transpose1d, name="naive.conv_transpose1d")
    ✓ naive.conv_transpose1d agrees with F.conv_transpose1d on 17 cases: channels (C_in ≠ C_out), bias, stride, padding, output_padding, dilation, unbatched, empty batch, float32, device
    """
    cases = transposed_cases(seed)
    run(fn, name, cases, _transposed, TRANSPOSE_MISTAKES, forbidden=CONVOLUTIONS, shape_hint=SHAPE_HINT,
        success=f"{name} agrees with F.conv_transpose1d on {len(cases)} cases: channels (C_in ≠ C_out), bias, "
                f"stride, padding, output_padding, dilation, unbatched, empty batch, float32, device")


# --- zero insertion ---------------------------------------------------------------------------------------------

def _stretched(case: Case, gap=None, before=None, after=None, weight=None, length=None):
    """What zero insertion computes with the given choices (defaults: the right ones): `gap` zeros between
    neighbours, a stretched input of `length(L)` cells, `before`/`after` zeros of padding (negative: cropped), and
    `weight` as F.conv1d's weight. None where F.conv1d cannot run with those choices."""
    x, w, b = case.args
    s = _settings(case)
    k, p, op = w.shape[-1], s["padding"], s["output_padding"]
    gap = s["stride"] - 1 if gap is None else gap
    n = (x.shape[-1] - 1) * (gap + 1) + 1 if length is None else length(x.shape[-1])
    stretched = x.new_zeros(*x.shape[:-1], n)
    stretched[..., ::gap + 1] = x
    before = k - 1 - p if before is None else before
    after = before + op if after is None else after
    weight = w.flip(-1).transpose(0, 1) if weight is None else weight
    try:
        return F.conv1d(F.pad(stretched, (before, after)), weight, b)
    except RuntimeError:
        return None


def _zero_mistake(applies, **choices):
    """A mistake's compute: `_stretched` with `choices(case)` where `applies(settings, weight_shape)` (else None)."""
    def compute(case: Case):
        s, shape = _settings(case), case.args[1].shape
        if not applies(s, shape):
            return None
        return _stretched(case, **{key: value(s, shape) for key, value in choices.items()})
    return compute


def _before(s, shape) -> int:
    return shape[-1] - 1 - s["padding"]  # the right padding at the start: k − 1 − padding


ZERO_MISTAKES = [
    Mistake("a kernel that is not flipped", lambda case: _stretched(case, weight=case.args[1].transpose(0, 1)),
            "the convolution gathers what the scatter stamps, reading each stamp from its other end: convolve with "
            "`weight.flip(-1)`."),
    Mistake("a weight whose channel axes are not swapped",
            lambda case: _stretched(case, weight=case.args[1].flip(-1)) if case.args[1].shape[0] == case.args[1].shape[1] else None,
            WEIGHT_LAYOUT + " F.conv1d wants (C_out, C_in, k): pass `weight.flip(-1).transpose(0, 1)`."),
    Mistake("stride zeros between neighbours instead of stride − 1",
            _zero_mistake(lambda s, shape: True, gap=lambda s, shape: s["stride"]),
            "input element i goes to position i·stride of the stretched input: `stretched[..., ::stride] = x` on "
            "a tensor of length (L − 1)·stride + 1, which leaves stride − 1 zeros between neighbours."),
    Mistake("a stretched input of L·stride cells instead of (L − 1)·stride + 1",
            _zero_mistake(lambda s, shape: s["stride"] > 1, length=lambda s, shape: lambda L: L * s["stride"]),
            "after the last input element come no inserted zeros: the stretched input has (L − 1)·stride + 1 cells."),
    Mistake("padding the stretched input by `padding`",
            _zero_mistake(lambda s, shape: s["padding"] != _before(s, shape), before=lambda s, shape: s["padding"]),
            "pad the stretched input by k − 1 − padding at the start and k − 1 − padding + output_padding at the end "
            "(a full stamp's overlap, minus the cropped cells)."),
    Mistake("padding not cropped",
            _zero_mistake(lambda s, shape: s["padding"] > 0, before=lambda s, shape: shape[-1] - 1),
            "the transposed convolution's padding crops: pad the stretched input by k − 1 − padding, not k − 1."),
    Mistake("output_padding left out",
            _zero_mistake(lambda s, shape: s["output_padding"] > 0, after=_before),
            "pad output_padding more zeros at the END of the stretched input."),
    Mistake("output_padding at the start",
            _zero_mistake(lambda s, shape: s["output_padding"] > 0,
                          before=lambda s, shape: _before(s, shape) + s["output_padding"], after=_before),
            "output_padding adds cells at the END: pad k − 1 − padding zeros before and k − 1 − padding + "
            "output_padding after."),
    TRANSPOSE_MISTAKES[2], TRANSPOSE_MISTAKES[3],  # a missing bias, a bias along the wrong axis
]


def check_conv_transpose1d_zero_insertion(fn, seed: int = 0, name: str = "conv_transpose1d_zero_insertion") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0, output_padding=0)` against `F.conv_transpose1d`; it may
    call F.conv1d but no transposed convolution.

    >>> from course_lib import vectorised
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv_transpose1d_zero_insertion(vectorised.conv_transpose_zero_insertion)
    ✓ conv_transpose1d_zero_insertion agrees with F.conv_transpose1d on 15 cases: channels (C_in ≠ C_out), bias, stride, padding (also > k − 1), output_padding, unbatched, empty batch, float32, device
    """
    cases = transposed_cases(seed, dilation=False)
    for case in cases:
        if case.adds == "more input than output channels (C_in > C_out)":
            case.hint = ("more input than output channels (C_in > C_out). " + WEIGHT_LAYOUT_SENTENCE +
                         " F.conv1d wants (C_out, C_in, k): pass `weight.flip(-1).transpose(0, 1)`.")
        if case.adds == "padding larger than k − 1":
            case.hint = ("the padding before the convolution, k − 1 − padding, is negative here: crop instead of "
                         "padding (`F.pad` crops when given a negative amount).")
    run(fn, name, cases, _transposed, ZERO_MISTAKES, forbidden=TRANSPOSED, shape_hint=SHAPE_HINT,
        success=f"{name} agrees with F.conv_transpose1d on {len(cases)} cases: channels (C_in ≠ C_out), bias, "
                f"stride, padding (also > k − 1), output_padding, unbatched, empty batch, float32, device")
