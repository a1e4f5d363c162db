"""Checks for the exercises of lesson 05 (vectorising): im2col, a conv2d as im2col + one matmul, im2col's memory."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course_lib.checks.calls import CONVOLUTIONS, IM2COL, allowing_course_lib
from course_lib.checks.cases import Case, CheckFailed, Mistake, meta, randn, seeded
from course_lib.checks.core import blame_helper, run
from course_lib.checks.mistakes import SIZE_SLIPS, bias_on_last_axis, flipped_kernel, missing_bias
from course_lib.checks.reference import conv, on_cpu, pair

SIZE_RULE = "H_out = floor((H + 2·padding − dilation·(k − 1) − 1) / stride) + 1, and the same for W_out"
ROW_ORDER = "(channel, kernel row, kernel column) order"
NOT_TORCH = {**CONVOLUTIONS, **IM2COL}  # the learner builds im2col: neither torch's convolutions nor F.unfold/F.fold


# ---------------------------------------------------------------------------------------------------------------
# Task 1: im2col
# ---------------------------------------------------------------------------------------------------------------

def _unfold(case: Case, **changes) -> torch.Tensor:
    """torch's im2col (F.unfold) for `case`, with some arguments changed (a mistake's arguments)."""
    x, kernel_size = case.args
    kwargs = {"stride": 1, "padding": 0, "dilation": 1, **case.kwargs, **changes}
    return F.unfold(x, kernel_size, **kwargs)


def _batched(case: Case, rearrange) -> torch.Tensor:
    """`rearrange(columns, C, (kh, kw), (H_out, W_out))` applied to torch's (N, C·kh·kw, L) columns of `case`."""
    x, kernel_size = case.args
    columns = _unfold(case)
    unbatched = columns.dim() == 2
    columns = columns[None] if unbatched else columns
    kh, kw = pair(kernel_size)
    (sh, sw), (ph, pw), (dh, dw) = (pair(case.kwargs.get(k, d)) for k, d in
                                    (("stride", 1), ("padding", 0), ("dilation", 1)))
    h, w = x.shape[-2:]
    out_size = ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    result = rearrange(columns, x.shape[-3], (kh, kw), out_size)
    return result[0] if unbatched else result


def _rows_kernel_first(columns, c, k, out_size):
    n, _, positions = columns.shape
    return columns.view(n, c, k[0] * k[1], positions).transpose(1, 2).reshape(n, -1, positions)


def _taps_column_major(columns, c, k, out_size):
    n, _, positions = columns.shape
    return columns.view(n, c, k[0], k[1], positions).transpose(2, 3).reshape(n, -1, positions)


def _positions_column_major(columns, c, k, out_size):
    n, rows, _ = columns.shape
    return columns.view(n, rows, *out_size).transpose(2, 3).reshape(n, rows, -1)


def _padding_last_axis_only(case: Case):
    ph, pw = pair(case.kwargs.get("padding", 0))
    if ph == 0:
        return None
    x, kernel_size = case.args
    return F.unfold(F.pad(x, (pw, pw)), kernel_size, stride=case.kwargs.get("stride", 1),
                    dilation=case.kwargs.get("dilation", 1))


def _padding_swapped(case: Case):
    ph, pw = pair(case.kwargs.get("padding", 0))
    return None if ph == pw else _unfold(case, padding=(pw, ph))


IM2COL_MISTAKES = [
    Mistake("rows in (kernel offset, channel) order", lambda case: _batched(case, _rows_kernel_first),
            f"F.unfold's rows run in {ROW_ORDER}: all kernel offsets of channel 0 first, then channel 1, … "
            f"Permute the window axes to (N, C, kh, kw, H_out, W_out) before the reshape."),
    Mistake("kernel offsets in column-major order", lambda case: _batched(case, _taps_column_major),
            f"the rows run in {ROW_ORDER}: within a channel the kernel column changes fastest "
            f"(row-major, like `weight[co].flatten()`). Keep the kernel axes as (kh, kw)."),
    Mistake("output positions in column-major order", lambda case: _batched(case, _positions_column_major),
            "column p is output position (p // W_out, p % W_out): the output column changes fastest. "
            "Keep the position axes as (H_out, W_out) before flattening them."),
    Mistake("the matrix transposed", lambda case: _unfold(case).transpose(-1, -2),
            "the result is (N, C·kh·kw, L): one ROW per (channel, kernel offset) and one COLUMN per output position."),
    Mistake("padding only the last axis", _padding_last_axis_only,
            "F.pad's pad list starts from the LAST axis: `F.pad(x, (pw, pw))` pads only the width; pad both with "
            "`F.pad(x, (pw, pw, ph, ph))`."),
    Mistake("the padding pair swapped", _padding_swapped,
            "padding=(ph, pw) means ph rows above and below and pw columns left and right; F.pad lists the last "
            "axis first: `F.pad(x, (pw, pw, ph, ph))`."),
    Mistake("dilation left out", lambda case: None if case.kwargs.get("dilation", 1) == 1 else _unfold(case, dilation=1),
            "with dilation d the kernel's taps are d apart: a window spans d·(k − 1) + 1 cells, of which every d-th "
            "is used (`x.unfold(2, d * (kh - 1) + 1, sh)[..., ::d]`)."),
]


def im2col_cases(seed: int = 0) -> list[Case]:
    """The battery for im2col (int or pair kernel_size, stride, padding, dilation), smallest first."""
    g = seeded(seed)
    return [
        Case("one channel", (randn(g, 1, 1, 3, 4), 2)),
        Case("several channels and samples", (randn(g, 2, 3, 4, 5), 2),
             hint=f"the rows run in {ROW_ORDER}, channel slowest, as F.unfold's."),
        Case("a kernel of another height and width", (randn(g, 1, 2, 5, 6), (2, 3))),
        Case("stride 2", (randn(g, 1, 2, 7, 7), 3), {"stride": 2},
             hint="output position (i, j) reads the window starting at (i·stride, j·stride)."),
        Case("stride (2, 1)", (randn(g, 1, 2, 7, 6), 2), {"stride": (2, 1)}),
        Case("padding 1", (randn(g, 1, 2, 4, 5), 3), {"padding": 1},
             hint="zero padding adds `padding` zeros on every side before the windows are taken."),
        Case("padding (2, 1)", (randn(g, 1, 1, 3, 4), 2), {"padding": (2, 1)}),
        Case("dilation 2", (randn(g, 1, 2, 7, 8), 3), {"dilation": 2}),
        Case("stride, padding and dilation together, as pairs", (randn(g, 2, 2, 8, 9), (3, 2)),
             {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
        Case("unbatched input (C, H, W)", (randn(g, 2, 5, 4), 2), {"padding": 1},
             hint="an unbatched input gives an unbatched (C·kh·kw, L) result: add a batch axis first (`x[None]`) "
                  "and remove it from the result."),
        Case("an empty batch (0, C, H, W)", (randn(g, 0, 2, 5, 4), 2),
             hint="a batch of 0 samples gives a (0, C·kh·kw, L) result: reshape with the sizes spelled out, "
                  "not -1 (which cannot be inferred when there are no elements)."),
        Case("float32 input", (randn(g, 1, 2, 6, 5).float(), 3), {"stride": 2, "padding": 1}),
        Case("an input on another device", (meta(2, 3, 6, 7), (3, 2)),
             {"stride": 2, "padding": 1}, device_only=True),
    ]


def check_im2col(fn, seed: int = 0, name: str = "im2col") -> None:
    """Check `fn(x, kernel_size, stride=1, padding=0, dilation=1)` against `F.unfold`, without it calling F.unfold.

    >>> from course_lib import vectorised
    >>> def im2col(x, kernel_size, stride=1, padding=0, dilation=1):   # vectorised.im2col takes a padded (N, C, H, W)
    ...     (ph, pw), batched = pair(padding), x.dim() == 4
    ...     columns = vectorised.im2col(F.pad(x if batched else x[None], (pw, pw, ph, ph)), pair(kernel_size),
    ...                                 pair(stride), pair(dilation))[:, 0]   # (N, groups=1, C·kh·kw, L) -> group 0
    ...     return columns if batched else columns[0]
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_im2col(im2col)
    ✓ im2col agrees with F.unfold on 13 cases: channels, kernel pairs, stride, padding, dilation, unbatched, empty batch, float32, device
    """
    run(fn, name, im2col_cases(seed), on_cpu(_unfold), IM2COL_MISTAKES, forbidden=NOT_TORCH,
        shape_hint=f"im2col returns (N, C·kh·kw, H_out·W_out) with {SIZE_RULE}.",
        success=f"{name} agrees with F.unfold on 13 cases: channels, kernel pairs, stride, padding, dilation, "
                f"unbatched, empty batch, float32, device")


# ---------------------------------------------------------------------------------------------------------------
# Task 2: conv2d as im2col + one matmul
# ---------------------------------------------------------------------------------------------------------------

def _weight_as(rearrange):
    """A mistake whose flattened weight is in another order: the convolution with the weight that order amounts to."""
    def compute(case: Case):
        w = case.args[1]
        return conv(case, weight=rearrange(w).reshape(w.shape))
    return compute


CONV_MISTAKES = [
    flipped_kernel(conv, "PyTorch's conv2d does not flip the kernel (it is a cross-correlation): flatten `weight` as "
                         "it is, without `.flip`."),
    Mistake("the weight flattened in another order than the columns",
            _weight_as(lambda w: w.permute(0, 2, 3, 1)),
            f"row co of the flattened weight must list the kernel in the order of im2col's rows, {ROW_ORDER}: "
            f"that is plain `weight.reshape(C_out, -1)`, not a permuted (kernel row, kernel column, channel) order."),
    Mistake("the weight flattened with its kernel transposed", _weight_as(lambda w: w.transpose(2, 3)),
            f"row co of the flattened weight must list the kernel in the order of im2col's rows, {ROW_ORDER}: "
            f"plain `weight.reshape(C_out, -1)`, without swapping the kernel's rows and columns."),
    missing_bias(conv),
    bias_on_last_axis(conv, "the bias has one value per output channel: add it as `out + bias[:, None, None]` on the "
                            "(N, C_out, H_out, W_out) result (plain `out + bias` lines it up with the last axis, the "
                            "width)."),
]


def conv2d_cases(seed: int = 0) -> list[Case]:
    """The battery for a conv2d with int or pair stride, padding and dilation (groups=1), smallest first."""
    g = seeded(seed)
    bias_hint = "the bias has one value per output channel: `out + bias[:, None, None]`."
    pair_hint = "a pair is (rows, columns): the first value is for H, the second for W."
    return [
        Case("one channel", (randn(g, 1, 1, 4, 4), randn(g, 1, 1, 2, 2), None)),
        Case("a batch of 2 and several input and output channels", (randn(g, 2, 3, 5, 5), randn(g, 4, 3, 2, 2),
                                                                     None),
             hint="out[n, co] is row co of the flattened weight times the columns of sample n."),
        Case("a kernel of another height and width", (randn(g, 1, 2, 5, 6), randn(g, 3, 2, 2, 3), None)),
        Case("a bias", (randn(g, 2, 2, 4, 5), randn(g, 3, 2, 2, 3), randn(g, 3)), hint=bias_hint),
        Case("stride 2", (randn(g, 1, 2, 7, 7), randn(g, 3, 2, 3, 3), randn(g, 3)), {"stride": 2},
             hint=f"output (i, j) reads the window whose top-left corner is (i·stride, j·stride): {SIZE_RULE}."),
        Case("padding (1, 2)", (randn(g, 1, 2, 4, 5), randn(g, 3, 2, 3, 3), randn(g, 3)), {"padding": (1, 2)},
             hint=f"zero padding adds 1 row above and below and 2 columns left and right, and so more windows: "
                  f"{SIZE_RULE}."),
        Case("dilation 2", (randn(g, 1, 2, 7, 8), randn(g, 3, 2, 3, 3), randn(g, 3)), {"dilation": 2},
             hint=f"with dilation d the taps of a window are d apart, so a window spans d·(k − 1) + 1 cells: "
                  f"{SIZE_RULE}."),
        Case("stride, padding and dilation together, as pairs", (randn(g, 2, 2, 9, 8), randn(g, 3, 2, 3, 2), randn(g, 3)),
             {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}, hint=pair_hint),
        Case("unbatched input (C_in, H, W)", (randn(g, 2, 5, 6), randn(g, 3, 2, 3, 3), randn(g, 3)), {"padding": 1},
             hint="an unbatched input gives an unbatched (C_out, H_out, W_out) result: add a batch axis first "
                  "(`x[None]`) and remove it from the result."),
        Case("an empty batch (0, C_in, H, W)", (randn(g, 0, 2, 5, 6), randn(g, 3, 2, 3, 3), randn(g, 3)),
             hint="a batch of 0 samples gives a (0, C_out, H_out, W_out) result: reshape with the sizes spelled out."),
        Case("float32 input", (randn(g, 1, 2, 6, 7).float(), randn(g, 4, 2, 3, 3).float(), randn(g, 4).float()),
             {"stride": 2, "padding": 1}),
        Case("inputs on another device", (meta(2, 3, 7, 6), meta(4, 3, 3, 2), meta(4)), {"padding": 1},
             device_only=True),
    ]


def check_conv2d_im2col(fn, seed: int = 0, name: str = "conv2d_im2col") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0, dilation=1)` against `F.conv2d`, without it calling
    torch's convolution or F.unfold. When it fails and `fn` calls the learner's `im2col`, that is checked first.

    >>> from course_lib import vectorised
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv2d_im2col(vectorised.conv2d, name="vectorised.conv2d")
    ✓ vectorised.conv2d agrees with F.conv2d on 12 cases: channels, bias, stride, padding, dilation, unbatched, empty batch, float32, device
    """
    try:
        run(fn, name, conv2d_cases(seed), on_cpu(conv), CONV_MISTAKES, forbidden=NOT_TORCH,
            shape_hint=f"The output is (N, C_out, H_out, W_out) with {SIZE_RULE}; an unbatched input gives an "
                       f"unbatched result.",
            success=f"{name} agrees with F.conv2d on 12 cases: channels, bias, stride, padding, dilation, unbatched, "
                    f"empty batch, float32, device")
    except CheckFailed as failure:
        raise blame_helper(fn, name, "im2col", check_im2col, failure) from None


# ---------------------------------------------------------------------------------------------------------------
# Task 3: the memory of im2col
# ---------------------------------------------------------------------------------------------------------------

def _columns_bytes(case: Case, **changes) -> int:
    """The bytes of torch's im2col matrix: N·C·kh·kw rows-per-sample times the columns F.unfold makes for one
    (1, 1, H, W) plane of that size (a small stand-in: the real matrix is never built), times the dtype's size."""
    input_shape, kernel_size = case.args
    kwargs = {"stride": 1, "padding": 0, "dilation": 1, "dtype": torch.float32, **case.kwargs, **changes}
    size = torch.empty(0, dtype=kwargs.pop("dtype")).element_size()
    *batch, channels, h, w = input_shape
    plane = F.unfold(torch.zeros(1, 1, h, w), kernel_size, **kwargs)  # (1, kh·kw, L)
    return (batch[0] if batch else 1) * channels * plane.numel() * size


def _bytes_with(rule):
    """A mistake given as `rule(n, c, (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw), element_size)`."""
    def compute(case: Case):
        input_shape, kernel_size = case.args
        *batch, c, h, w = input_shape
        get = case.kwargs.get
        return rule(batch[0] if batch else 1, c, (h, w), pair(kernel_size), pair(get("stride", 1)),
                    pair(get("padding", 0)), pair(get("dilation", 1)), _element_size(case))
    return compute


def _bytes_with_positions(slip):
    """The bytes with the output positions counted by a slipped size rule `slip(i, k, s, p, d)` on each axis."""
    def positions(n, c, hw, k, s, p, d, size):
        return n * c * k[0] * k[1] * size * slip(hw[0], k[0], s[0], p[0], d[0]) * slip(hw[1], k[1], s[1], p[1], d[1])
    return _bytes_with(positions)


def _element_size(case: Case) -> int:
    return torch.empty(0, dtype=case.kwargs.get("dtype", torch.float32)).element_size()


def _one_sample(case: Case):
    shape = case.args[0]
    if len(shape) == 3 or shape[0] < 2:
        return None
    return _columns_bytes(case) // shape[0]


BYTES_MISTAKES = [
    Mistake("numbers counted instead of bytes", lambda case: _columns_bytes(case) // _element_size(case),
            "multiply the number of entries by the bytes each takes: `torch.empty(0, dtype=dtype).element_size()` "
            "(4 for float32, 8 for float64, 2 for float16)."),
    Mistake("4 bytes per number whatever the dtype", lambda case: _columns_bytes(case, dtype=torch.float32),
            "an entry takes the dtype's size: `torch.empty(0, dtype=dtype).element_size()`, not always 4."),
    Mistake("one sample's columns only", _one_sample,
            "every sample of the batch gets its own columns: multiply by N (an unbatched (C, H, W) shape is one sample)."),
    Mistake("input positions instead of output positions", _bytes_with(
        lambda n, c, hw, k, s, p, d, size: n * c * k[0] * k[1] * hw[0] * hw[1] * size),
            f"there is one column per OUTPUT position, H_out·W_out of them, with {SIZE_RULE}."),
    Mistake("a missing + 1 in the output size", _bytes_with_positions(SIZE_SLIPS["no + 1"]),
            f"the first window counts too: {SIZE_RULE}."),
    Mistake("padding left out", _bytes_with_positions(SIZE_SLIPS["no padding"]), f"padding adds positions: {SIZE_RULE}."),
]


def check_im2col_bytes(fn, seed: int = 0, name: str = "im2col_bytes") -> None:
    """Check `fn(input_shape, kernel_size, stride=1, padding=0, dilation=1, dtype=torch.float32) -> int`, the bytes
    of the im2col matrix, against `F.unfold(...).numel() * element_size()` (F.unfold of one plane, times N·C).

    >>> from course_lib import shapes
    >>> def im2col_bytes(shape, k, stride=1, padding=0, dilation=1, dtype=torch.float32):
    ...     h_out, w_out = shapes.conv_output_size(tuple(shape[-2:]), pair(k), pair(stride), pair(padding), pair(dilation))
    ...     samples = shape[0] if len(shape) == 4 else 1
    ...     return samples * shape[-3] * pair(k)[0] * pair(k)[1] * h_out * w_out * torch.empty(0, dtype=dtype).element_size()
    >>> check_im2col_bytes(im2col_bytes)
    ✓ im2col_bytes agrees with F.unfold's matrix on 11 cases: batch, channels, kernel pairs, stride, padding, dilation, dtype, unbatched, empty batch
    """
    big = 56 + 4 * (seed % 4)
    pieces = [((1, 1, 5, 4), 3, {}, "the plain case: one 5×4 channel, a 3×3 kernel"),
              ((2, 3, 5, 5), 2, {}, "a batch and channels"),
              ((2, 3, 5, 5), 2, {"dtype": torch.float64}, "float64"),
              ((1, 2, 6, 7), (2, 3), {}, "a kernel of another height and width"),
              ((1, 2, 9, 9), 3, {"stride": 2}, "stride 2"),
              ((1, 2, 6, 6), 3, {"padding": 1}, "padding 1"),
              ((1, 2, 9, 10), 3, {"dilation": 2}, "dilation 2"),
              ((3, 4, 11, 10), (3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "dtype": torch.float16},
               "stride, padding and dilation as pairs, float16"),
              ((3, 6, 5), 3, {"padding": 1}, "an unbatched shape (C, H, W)"),
              ((0, 3, 6, 5), 3, {}, "an empty batch"),
              ((8, 64, big, big), 3, {"padding": 1}, f"a realistic layer: (8, 64, {big}, {big}), 3×3, padding 1")]
    cases = [Case(adds, (shape, k), kwargs) for shape, k, kwargs, adds in pieces]
    run(fn, name, cases, _columns_bytes, BYTES_MISTAKES,
        success=f"{name} agrees with F.unfold's matrix on 11 cases: batch, channels, kernel pairs, stride, padding, "
                f"dilation, dtype, unbatched, empty batch")
