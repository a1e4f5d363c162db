"""Checks for the exercises of lesson 06 (grouped and separable convolutions): a depthwise conv2d, the
depthwise-separable block, and the weights each saves."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks.calls import CONVOLUTIONS, allowing_course_lib
from course_lib.checks.cases import Case, CheckFailed, Mistake, meta, randn, seeded
from course_lib.checks.core import blame_helper, run
from course_lib.checks.mistakes import bias_on_last_axis, flipped_kernel, missing_bias
from course_lib.checks.reference import conv, on_cpu, pair

SIZE_RULE = "H_out = floor((H + 2·padding − (kh − 1) − 1) / stride) + 1, and the same for W_out"


# ---------------------------------------------------------------------------------------------------------------
# Task 1: depthwise conv2d
# ---------------------------------------------------------------------------------------------------------------

def _depthwise(case: Case, weight=None, bias="given", groups=None) -> torch.Tensor:
    """torch's depthwise convolution of the case (groups = C), with the weight, bias or groups replaced."""
    return conv(case, weight, bias, groups=case.args[0].shape[-3] if groups is None else groups)


def _channels_mixed(case: Case):
    """Every output channel summing over every input channel: a full convolution with each kernel repeated."""
    x, w, _ = case.args
    channels = x.shape[-3]
    return None if channels == 1 else _depthwise(case, weight=w.expand(-1, channels, -1, -1), groups=1)


def _one_kernel(case: Case):
    x, w, _ = case.args
    return None if w.shape[0] == 1 else _depthwise(case, weight=w[:1].expand(w.shape[0], -1, -1, -1))


DEPTHWISE_MISTAKES = [
    Mistake("channels mixed", _channels_mixed,
            "a depthwise convolution never mixes channels: output channel c is input channel c convolved with "
            "weight[c, 0] alone. Don't sum over the channel axis (in einsum: 'nchwij,cij->nchw' keeps c)."),
    Mistake("one kernel for every channel", _one_kernel,
            "each channel has its own kernel: channel c uses weight[c, 0], not weight[0, 0]."),
    flipped_kernel(_depthwise, "PyTorch's conv2d does not flip the kernel (it is a cross-correlation): use weight[c, 0] "
                               "as it is."),
    missing_bias(_depthwise, "add bias[c] to every output position of channel c."),
    bias_on_last_axis(_depthwise, "the bias has one value per channel: add it as `out + bias[:, None, None]` on the "
                                  "(N, C, H_out, W_out) result (plain `out + bias` lines it up with the last axis, the "
                                  "width)."),
]


def depthwise_cases(seed: int = 0) -> list[Case]:
    """The battery for a depthwise conv2d (weight (C, 1, kh, kw)), smallest first."""
    g = seeded(seed)
    bias_hint = "the bias has one value per channel: `out + bias[:, None, None]`."
    return [
        Case("one channel", (randn(g, 1, 1, 4, 4), randn(g, 1, 1, 2, 2), None)),
        Case("a batch of 2 and several channels", (randn(g, 2, 3, 5, 5), randn(g, 3, 1, 2, 2), None),
             hint="output channel c reads input channel c only, with its own kernel weight[c, 0]."),
        Case("a kernel of another height and width", (randn(g, 1, 2, 5, 6), randn(g, 2, 1, 2, 3), None)),
        Case("a bias", (randn(g, 2, 3, 4, 5), randn(g, 3, 1, 2, 3), randn(g, 3)), hint=bias_hint),
        Case("stride 2", (randn(g, 1, 3, 7, 7), randn(g, 3, 1, 3, 3), randn(g, 3)), {"stride": 2},
             hint="output (i, j) reads the window whose top-left corner is (i·stride, j·stride)."),
        Case("padding 1", (randn(g, 1, 3, 4, 5), randn(g, 3, 1, 3, 3), randn(g, 3)), {"padding": 1},
             hint="zero padding adds `padding` zeros on every side."),
        Case("stride and padding as pairs", (randn(g, 2, 4, 7, 6), randn(g, 4, 1, 3, 2), randn(g, 4)),
             {"stride": (2, 1), "padding": (1, 2)},
             hint="a pair is (rows, columns): the first value is for H, the second for W."),
        Case("unbatched input (C, H, W)", (randn(g, 3, 5, 6), randn(g, 3, 1, 3, 3), randn(g, 3)), {"padding": 1},
             hint="an unbatched input gives an unbatched (C, H_out, W_out) result: add a batch axis first "
                  "(`x[None]`) and remove it from the result."),
        Case("an empty batch (0, C, H, W)", (randn(g, 0, 3, 5, 6), randn(g, 3, 1, 3, 3), randn(g, 3)),
             hint="a batch of 0 samples gives a (0, C, H_out, W_out) result."),
        Case("float32 input", (randn(g, 1, 3, 6, 7).float(), randn(g, 3, 1, 3, 3).float(), randn(g, 3).float()),
             {"stride": 2, "padding": 1}),
        Case("inputs on another device", (meta(2, 3, 7, 6), meta(3, 1, 3, 2), meta(3)), {"padding": 1},
             device_only=True),
    ]


def check_depthwise_conv2d(fn, seed: int = 0, name: str = "depthwise_conv2d") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0)`, weight (C, 1, kh, kw), against
    `F.conv2d(..., groups=C)`, without it calling torch's convolution.

    >>> from course_lib import separable
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_depthwise_conv2d(separable.depthwise_conv2d, name="separable.depthwise_conv2d")
    ✓ separable.depthwise_conv2d agrees with F.conv2d(groups=C) on 11 cases: channels, bias, stride, padding, unbatched, empty batch, float32, device
    """
    run(fn, name, depthwise_cases(seed), on_cpu(_depthwise), DEPTHWISE_MISTAKES, forbidden=CONVOLUTIONS,
        shape_hint=f"The output is (N, C, H_out, W_out) with {SIZE_RULE}; an unbatched input gives an unbatched result.",
        success=f"{name} agrees with F.conv2d(groups=C) on 11 cases: channels, bias, stride, padding, unbatched, "
                f"empty batch, float32, device")


# ---------------------------------------------------------------------------------------------------------------
# Task 2: depthwise-separable block
# ---------------------------------------------------------------------------------------------------------------

def _block(case: Case, bias="given", pointwise=None, pointwise_padding=0) -> torch.Tensor:
    """torch's two layers: depthwise (groups=C) with `padding`, then the 1×1 pointwise with the bias."""
    x, dw, pw, b = case.args
    b = b if bias == "given" else bias
    pw = pw if pointwise is None else pointwise
    hidden = F.conv2d(x, dw, padding=case.kwargs.get("padding", 0), groups=x.shape[-3])
    return F.conv2d(hidden, pw, b, padding=pointwise_padding)


def _square_only(compute):
    """A mistake that only runs when the pointwise layer keeps the channel count (C_out == C)."""
    return lambda case: compute(case) if case.args[2].shape[0] == case.args[2].shape[1] else None


def _pointwise_first(case: Case):
    x, dw, pw, b = case.args
    hidden = F.conv2d(x, pw)
    return F.conv2d(hidden, dw, b, padding=case.kwargs.get("padding", 0), groups=hidden.shape[-3])


def _bias_in_depthwise(case: Case):
    x, dw, pw, b = case.args
    if b is None:
        return None
    hidden = F.conv2d(x, dw, b, padding=case.kwargs.get("padding", 0), groups=x.shape[-3])
    return F.conv2d(hidden, pw)


def _padding_twice(case: Case):
    padding = case.kwargs.get("padding", 0)
    return None if padding in (0, (0, 0)) else _block(case, pointwise_padding=padding)


SEPARABLE_MISTAKES = [
    Mistake("the pointwise weight transposed",
            _square_only(lambda case: _block(case, pointwise=case.args[2].transpose(0, 1))),
            "pointwise_weight is (C_out, C, 1, 1): out[n, o] = Σ_c pointwise_weight[o, c, 0, 0] · hidden[n, c] "
            "(einsum 'oc,nchw->nohw'), not pointwise_weight[c, o]."),
    Mistake("the pointwise step before the depthwise step", _square_only(_pointwise_first),
            "first the depthwise k×k convolution of each channel, then the 1×1 pointwise one that mixes them."),
    Mistake("the bias added in the depthwise step", _square_only(_bias_in_depthwise),
            "`bias` is the pointwise layer's: (C_out,), added after the 1×1 step, not to the depthwise output."),
    Mistake("padding applied in the pointwise step too", _padding_twice,
            "`padding` belongs to the depthwise k×k step only: a 1×1 convolution needs none, and keeps the size."),
    missing_bias(_block, "add bias[o] to every output position of output channel o, after the pointwise step.",
                 bias_index=3),
    bias_on_last_axis(_block, "the bias has one value per output channel: `out + bias[:, None, None]` on the (N, C_out, "
                              "H, W) result.", bias_index=3),
]


def separable_cases(seed: int = 0) -> list[Case]:
    """The battery for depthwise then pointwise, smallest first."""
    g = seeded(seed)

    def weights(c, c_out, kh, kw):
        return randn(g, c, 1, kh, kw), randn(g, c_out, c, 1, 1)

    return [
        Case("one channel in and out", (randn(g, 1, 1, 4, 4), *weights(1, 1, 2, 2), None)),
        Case("a batch of 2 and several channels, as many out as in", (randn(g, 2, 3, 5, 5), *weights(3, 3, 2, 2),
                                                                        None),
             hint="depthwise: channel c with weight[c, 0] alone; pointwise: out[n, o] = Σ_c pw[o, c] · hidden[n, c]."),
        Case("more output channels than input channels", (randn(g, 1, 2, 5, 6), *weights(2, 5, 3, 2), None)),
        Case("a bias", (randn(g, 2, 3, 4, 5), *weights(3, 3, 2, 3), randn(g, 3)),
             hint="the bias (C_out,) is added after the pointwise step: `out + bias[:, None, None]`."),
        Case("a bias and more output channels", (randn(g, 1, 2, 4, 5), *weights(2, 4, 2, 2), randn(g, 4))),
        Case("padding 1", (randn(g, 1, 3, 4, 5), *weights(3, 4, 3, 3), randn(g, 4)), {"padding": 1},
             hint="padding belongs to the depthwise k×k step; the 1×1 step keeps the size."),
        Case("padding (1, 0)", (randn(g, 2, 2, 5, 6), *weights(2, 3, 3, 3), randn(g, 3)), {"padding": (1, 0)}),
        Case("unbatched input (C, H, W)", (randn(g, 3, 5, 6), *weights(3, 2, 3, 3), randn(g, 2)), {"padding": 1},
             hint="an unbatched input gives an unbatched (C_out, H_out, W_out) result."),
        Case("an empty batch (0, C, H, W)", (randn(g, 0, 3, 5, 6), *weights(3, 2, 3, 3), randn(g, 2)),
             hint="a batch of 0 samples gives a (0, C_out, H_out, W_out) result."),
        Case("float32 input", (randn(g, 1, 3, 6, 7).float(), *(w.float() for w in weights(3, 4, 3, 3)),
                               randn(g, 4).float()), {"padding": 1}),
        Case("inputs on another device", (meta(2, 3, 7, 6), meta(3, 1, 3, 2), meta(5, 3, 1, 1), meta(5)),
             {"padding": 1}, device_only=True),
    ]


def check_depthwise_separable_conv2d(fn, seed: int = 0, name: str = "depthwise_separable_conv2d") -> None:
    """Check `fn(x, depthwise_weight, pointwise_weight, bias=None, padding=0)` against torch's depthwise then
    pointwise `F.conv2d`, without it calling torch's convolution. When it fails and `fn` calls the learner's
    `depthwise_conv2d`, that is checked first.

    >>> from course_lib import separable
    >>> with allowing_course_lib():
    ...     check_depthwise_separable_conv2d(lambda x, dw, pw, bias=None, padding=0:
    ...         separable.depthwise_separable_conv2d(x, dw, pw, pointwise_bias=bias, padding=padding))
    ✓ depthwise_separable_conv2d agrees with torch's depthwise and 1×1 layers on 11 cases: channels, bias, padding, unbatched, empty batch, float32, device
    """
    try:
        run(fn, name, separable_cases(seed), on_cpu(_block), SEPARABLE_MISTAKES, forbidden=CONVOLUTIONS,
            shape_hint=f"The depthwise step gives (N, C, H_out, W_out) with {SIZE_RULE}; the 1×1 step keeps the size "
                       f"and gives C_out channels.",
            success=f"{name} agrees with torch's depthwise and 1×1 layers on 11 cases: channels, bias, padding, "
                    f"unbatched, empty batch, float32, device")
    except CheckFailed as failure:
        raise blame_helper(fn, name, "depthwise_conv2d", check_depthwise_conv2d, failure) from None


# ---------------------------------------------------------------------------------------------------------------
# Task 3: the weights each holds
# ---------------------------------------------------------------------------------------------------------------

def _numel(*layers: nn.Module) -> int:
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _torch_params(case: Case) -> dict:
    """The weights torch's layers hold (built on the 'meta' device: shapes only)."""
    c_in, c_out, k = case.args
    full = nn.Conv2d(c_in, c_out, k, bias=False, device="meta")
    depthwise = nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False, device="meta")
    pointwise = nn.Conv2d(c_in, c_out, 1, bias=False, device="meta")
    return {"full": _numel(full), "separable": _numel(depthwise, pointwise)}


def _params_with(full, separable):
    def compute(case: Case):
        c_in, c_out, k = case.args
        kh, kw = pair(k)
        return {"full": full(c_in, c_out, kh, kw), "separable": separable(c_in, c_out, kh, kw)}
    return compute


PARAMS_MISTAKES = [
    Mistake("a kernel of k weights instead of k·k", _params_with(lambda i, o, kh, kw: o * i * kh,
                                                                 lambda i, o, kh, kw: i * kh + o * i),
            "a k×k kernel holds k·k weights (kh·kw for a pair)."),
    Mistake("the pointwise step left out", _params_with(lambda i, o, kh, kw: o * i * kh * kw,
                                                        lambda i, o, kh, kw: i * kh * kw),
            "the separable block is depthwise (in_channels kernels of kh·kw) PLUS pointwise (out_channels × "
            "in_channels 1×1 weights)."),
    Mistake("the depthwise step counted as a full convolution",
            _params_with(lambda i, o, kh, kw: o * i * kh * kw, lambda i, o, kh, kw: i * i * kh * kw + o * i),
            "a depthwise kernel sees one channel: in_channels kernels of kh·kw weights, not in_channels × "
            "in_channels (its weight is (C_in, 1, kh, kw))."),
    Mistake("the depthwise step with out_channels kernels",
            _params_with(lambda i, o, kh, kw: o * i * kh * kw, lambda i, o, kh, kw: o * kh * kw + o * i),
            "the depthwise step keeps the channel count: one kernel per INPUT channel, (C_in, 1, kh, kw)."),
    Mistake("biases counted", _params_with(lambda i, o, kh, kw: o * i * kh * kw + o,
                                           lambda i, o, kh, kw: i * kh * kw + i + o * i + o),
            "the task counts weights only (bias=False layers)."),
]


def check_separable_params(fn, seed: int = 0, name: str = "separable_params") -> None:
    """Check `fn(in_channels, out_channels, kernel_size) -> {"full": int, "separable": int}` against the weights
    torch's layers hold: `nn.Conv2d(in, out, k)` and `nn.Conv2d(in, in, k, groups=in)` + `nn.Conv2d(in, out, 1)`,
    all without bias.

    >>> from course_lib import shapes
    >>> def separable_params(i, o, k):
    ...     counts = shapes.depthwise_separable_counts(i, o, (k, k) if isinstance(k, int) else k, (1, 1))
    ...     return {"full": counts["full"]["params"], "separable": counts["separable"]["params"]}
    >>> check_separable_params(separable_params)
    ✓ separable_params agrees with torch's layers on 8 cases: channels, kernel sizes, kernel pairs
    """
    big = 256 + 128 * (seed % 3)
    triples = [(1, 1, 3, "one channel in and out, 3×3"), (3, 128, 3, "the lesson's 3 → 128, 3×3"),
               (32, 64, 3, "32 → 64"), (16, 16, 5, "a 5×5 kernel"), (8, 4, 1, "a 1×1 kernel"),
               (16, 32, (3, 5), "a (3, 5) kernel"), (64, 128, 7, "a 7×7 kernel"),
               (big, big, 3, f"a realistic layer: {big} → {big}, 3×3")]
    cases = [Case(adds, (i, o, k)) for i, o, k, adds in triples]
    run(fn, name, cases, _torch_params, PARAMS_MISTAKES,
        success=f"{name} agrees with torch's layers on 8 cases: channels, kernel sizes, kernel pairs")
