"""Checks for the exercises of lesson 03 (conv3d): a conv3d by loops, frame-first frames to a clip, a per-frame conv2d."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course_lib.checks.calls import CONVOLUTIONS, allowing_course_lib
from course_lib.checks.cases import Case, Mistake, meta, randn, seeded
from course_lib.checks.core import run
from course_lib.checks.mistakes import (bias_on_last_axis, flipped_kernel, missing_bias, padding_on_one_side,
                                        per_axis_swapped)
from course_lib.checks.reference import conv, pair

SIZE_RULE = "D_out = floor((D + 2·padding_d − kd) / stride_d) + 1, and the same for H and W"

CONV3D_MISTAKES = [
    flipped_kernel(conv, "PyTorch's conv3d does not flip the kernel: out[d, i, j] = Σ x[d·sd + a, i·sh + u, j·sw + v] "
                         "· w[a, u, v] (a cross-correlation). Index the kernel with a, u, v, not kd − 1 − a, …"),
    missing_bias(conv),
    bias_on_last_axis(conv, "the bias has one value per output channel: add bias[co] to out[n, co], e.g. "
                            "`out + bias[:, None, None, None]`, not `out + bias` (which lines the bias up with the W "
                            "axis)."),
    padding_on_one_side("zero padding puts `padding` zeros on EACH side of D, H and W: F.pad(x, (pw, pw, ph, ph, pd, "
                        "pd)) (F.pad lists the last axis first)."),
    per_axis_swapped("a (D, H, W) triple read in the wrong order",
                     "a triple such as stride=(1, 2, 3) follows the axes of x: (D, H, W). The first value is for D "
                     "(depth or time), the last for W. (Only F.pad lists the last axis first.)"),
]


def conv3d_cases(seed: int = 0) -> list[Case]:
    """The battery for a conv3d with stride and padding (int or triple), smallest first."""
    g = seeded(seed)
    unbatched = ("an unbatched input (C_in, D, H, W): add a batch axis first (`x[None]`) and remove it from the "
                 "result.")
    return [
        Case("one channel", (randn(g, 1, 1, 3, 4, 4), randn(g, 1, 1, 2, 2, 2), None)),
        Case("a batch of 2 and several input and output channels",
             (randn(g, 2, 2, 3, 4, 4), randn(g, 3, 2, 2, 2, 2), None),
             hint="out[n, co, d, i, j] sums over every input channel ci and every tap of the (kd, kh, kw) kernel, "
                  "for each sample n."),
        Case("a bias (its length 3 equals the output width) and a 2 x 2 x 3 kernel",
             (randn(g, 1, 2, 3, 4, 5), randn(g, 3, 2, 2, 2, 3), randn(g, 3)),
             hint="bias[co] is added to every position of output channel co: out[n, co] += bias[co]."),
        Case("a kernel one frame deep, (1, 3, 3)", (randn(g, 1, 2, 3, 5, 5), randn(g, 3, 2, 1, 3, 3), randn(g, 3)),
             hint="weight is (C_out, C_in, kd, kh, kw): kd along D, kh along H, kw along W."),
        Case("stride 2", (randn(g, 1, 2, 5, 5, 5), randn(g, 2, 2, 3, 3, 3), randn(g, 2)), {"stride": 2},
             hint="output (d, i, j) reads the block whose first corner is (d·stride, i·stride, j·stride)."),
        Case("padding 1", (randn(g, 1, 2, 3, 4, 4), randn(g, 2, 2, 3, 3, 3), randn(g, 2)), {"padding": 1},
             hint="zero padding adds `padding` zeros before and after the input along D, H and W."),
        Case("a triple per axis: stride (1, 2, 1), padding (0, 1, 2)",
             (randn(g, 1, 2, 4, 5, 4), randn(g, 2, 2, 2, 3, 3), randn(g, 2)),
             {"stride": (1, 2, 1), "padding": (0, 1, 2)},
             hint="a triple is (D, H, W): the first value is for D, the last for W."),
        Case("unbatched input (C_in, D, H, W)", (randn(g, 2, 3, 4, 4), randn(g, 2, 2, 2, 2, 2), randn(g, 2)),
             {"padding": 1}, hint=unbatched),
        Case("an empty batch (0, C_in, D, H, W)", (randn(g, 0, 2, 3, 4, 4), randn(g, 2, 2, 2, 2, 2), randn(g, 2)),
             hint="a batch of 0 samples gives a (0, C_out, D_out, H_out, W_out) result."),
        Case("float32 input", (randn(g, 1, 2, 3, 4, 4).float(), randn(g, 2, 2, 2, 2, 2).float(),
                               randn(g, 2).float()), {"stride": 2}),
        Case("inputs on another device", (meta(1, 2, 3, 3, 3), meta(2, 2, 2, 2, 2), meta(2)), {"padding": 1},
             device_only=True),
    ]


def check_conv3d(fn, seed: int = 0, name: str = "conv3d_loops") -> None:
    """Check `fn(x, weight, bias=None, stride=1, padding=0)` against `F.conv3d`, without it calling torch's
    convolution.

    >>> from course_lib import naive
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_conv3d(naive.conv3d, name="naive.conv3d")
    ✓ naive.conv3d agrees with F.conv3d on 11 cases: channels, bias, kernel shapes, stride, padding, triples, unbatched, empty batch, float32, device
    """
    cases = conv3d_cases(seed)
    run(fn, name, cases, conv, CONV3D_MISTAKES, forbidden=CONVOLUTIONS,
        shape_hint=f"The output size is {SIZE_RULE}; an unbatched input gives an unbatched result.",
        success=f"{name} agrees with F.conv3d on {len(cases)} cases: channels, bias, kernel shapes, stride, padding, "
                f"triples, unbatched, empty batch, float32, device")


def _clip(case: Case) -> torch.Tensor:
    return case.args[0].permute(1, 0, 2, 3)[None]


def _reshaped(case: Case) -> torch.Tensor:
    t, c, h, w = case.args[0].shape
    return case.args[0].reshape(1, c, t, h, w)


CLIP_MISTAKES = [
    Mistake("channels and time swapped (a plain unsqueeze)", lambda case: case.args[0][None],
            "`frames[None]` (or `unsqueeze(0)`) gives (1, T, C, H, W): Conv3d would read the T frames as channels "
            "and the C colours as time. Move the channel axis in front of time first: `frames.permute(1, 0, 2, 3)`, "
            "then add the batch axis."),
    Mistake("a reshape instead of a permute", _reshaped,
            "`reshape(1, C, T, H, W)` has the right shape but pours the numbers in storage order, so a 'frame' "
            "becomes a mix of colours and frames. `permute(1, 0, 2, 3)` moves the axes and keeps every frame whole."),
    Mistake("a batch of one-frame clips (the fix for images)", lambda case: case.args[0].unsqueeze(2),
            "`unsqueeze(2)` makes (T, C, 1, H, W): T separate one-frame clips, so a temporal kernel sees no motion. "
            "The T frames are ONE clip: (1, C, T, H, W)."),
    Mistake("the batch axis missing", lambda case: case.args[0].permute(1, 0, 2, 3),
            "(C, T, H, W) is one unbatched sample; Conv3d accepts it, but the task asks for the batched clip "
            "(1, C, T, H, W): add the batch axis in front (`[None]`)."),
]


def check_frames_to_clip(fn, seed: int = 0) -> None:
    """Check `fn(frames) -> clip`: frames (T, C, H, W), frame-first as video readers give them, to the one-clip batch
    (1, C, T, H, W) that Conv3d wants, with every frame kept whole.

    >>> check_frames_to_clip(lambda frames: frames.transpose(0, 1).unsqueeze(0))
    ✓ frames_to_clip gives the (1, C, T, H, W) clip on 6 cases (T ≠ C, T == C, one frame, grey, float32, device)
    """
    g = seeded(seed)
    t = 4 + seed % 3
    clips = [("4 RGB frames of 5 x 6", (4, 3, 5, 6)), ("as many frames as channels (T == C == 3)", (3, 3, 4, 4)),
             ("a single frame", (1, 3, 4, 5)), (f"{t} grey frames (C = 1)", (t, 1, 4, 4))]
    cases = [Case(adds, (randn(g, *shape),)) for adds, shape in clips]
    cases.append(Case("float32 frames", (randn(g, 5, 3, 2, 3).float(),)))
    cases.append(Case("frames on another device", (meta(4, 3, 5, 6),), device_only=True))
    run(fn, "frames_to_clip", cases, _clip, CLIP_MISTAKES,
        shape_hint="frames (T, C, H, W) become (1, C, T, H, W): channels before time, a batch of one in front.",
        success=f"frames_to_clip gives the (1, C, T, H, W) clip on {len(cases)} cases (T ≠ C, T == C, one frame, "
                f"grey, float32, device)")


FRAME_ONLY = {f: name for f, name in CONVOLUTIONS.items() if f is not F.conv2d}  # F.conv2d is the tool here


def _per_frame_reference(case: Case) -> torch.Tensor:
    """F.conv3d with the 2-D kernel as a (1, kh, kw) kernel and no padding along time."""
    video, w, b = case.args
    return F.conv3d(video, w[:, :, None], b, padding=(0, *pair(case.kwargs.get("padding", 0))))


def _frame_first(case: Case):
    """What code returns that stacks the per-frame outputs on axis 1: (N, T, C_out, H_out, W_out)."""
    out = _per_frame_reference(case)
    return out.transpose(-4, -3)


def _folded_by_reshape(case: Case):
    """What code returns that folds T into the batch with reshape, without moving C and T first (and back)."""
    video, w, b = case.args
    unbatched = video.dim() == 4
    v = video[None] if unbatched else video
    n, c, t, h, width = v.shape
    padding = case.kwargs.get("padding", 0)
    y = F.conv2d(v.reshape(n * t, c, h, width), w, b, padding=padding)
    y = y.reshape(n, y.shape[1], t, *y.shape[2:])
    return y[0] if unbatched else y


def _time_padded(case: Case):
    """What code returns that pads time too (F.conv3d with an int padding on all three axes)."""
    video, w, b = case.args
    padding = case.kwargs.get("padding", 0)
    if not isinstance(padding, int) or padding == 0:
        return None
    return F.conv3d(video, w[:, :, None], b, padding=padding)


PER_FRAME_MISTAKES = [
    Mistake("the frames stacked on the channel axis", _frame_first,
            "the result is (N, C_out, T, H_out, W_out), like the video: stack the per-frame outputs on axis 2 "
            "(`torch.stack(outputs, dim=2)`), or permute back after folding time into the batch."),
    Mistake("time folded into the batch by reshape alone", _folded_by_reshape,
            "`video.reshape(N * T, C, H, W)` mixes channels and frames, because C comes before T in memory: "
            "move T next to N first (`video.transpose(1, 2)`), then reshape; undo both at the end."),
    missing_bias(lambda case, bias: _per_frame_reference(Case("", case.args[:2] + (None,), case.kwargs)),
                 "pass the bias to F.conv2d for every frame (or add bias[co] to every position of output channel co)."),
    Mistake("padding along time too", _time_padded,
            "padding is for H and W only: a per-frame conv2d adds no frames. (F.conv3d with an int padding would pad "
            "time as well: frames made of the bias alone.)"),
]


def check_per_frame_conv2d(fn, seed: int = 0) -> None:
    """Check `fn(video, weight2d, bias=None, padding=0)`, a conv2d run on every frame of a video (N, C, T, H, W),
    against F.conv3d with the (1, kh, kw) kernel `weight2d[:, :, None]` (and without it calling F.conv3d).

    >>> def per_frame(video, weight2d, bias=None, padding=0):
    ...     frames = [F.conv2d(video[..., t, :, :], weight2d, bias, padding=padding) for t in range(video.shape[-3])]
    ...     return torch.stack(frames, dim=-3)
    >>> check_per_frame_conv2d(per_frame)
    ✓ per_frame_conv2d equals F.conv3d with a (1, kh, kw) kernel on 11 cases: channels, bias, batch, padding, unbatched, empty batch, one frame, float32, device
    """
    g = seeded(seed)
    t = 3 + seed % 3
    unbatched = "an unbatched video (C, T, H, W): add a batch axis first (`video[None]`) and remove it at the end."
    cases = [
        Case("one channel, 3 frames", (randn(g, 1, 1, 3, 5, 5), randn(g, 1, 1, 3, 3), None),
             hint="frame t of the video is video[:, :, t] (N, C, H, W); its output is out[:, :, t]."),
        Case("several input and output channels", (randn(g, 1, 2, 4, 5, 5), randn(g, 3, 2, 3, 3), None),
             hint="the video is (N, C, T, H, W): channels on axis 1, time on axis 2."),
        Case("a bias", (randn(g, 1, 2, 4, 5, 5), randn(g, 3, 2, 3, 3), randn(g, 3))),
        Case(f"a batch of 2 clips of {t} frames and a 2 x 3 kernel",
             (randn(g, 2, 2, t, 5, 6), randn(g, 3, 2, 2, 3), randn(g, 3))),
        Case("padding 1", (randn(g, 1, 2, 3, 4, 4), randn(g, 2, 2, 3, 3), randn(g, 2)), {"padding": 1},
             hint="padding is for H and W only; the number of frames stays T."),
        Case("padding (1, 0)", (randn(g, 1, 2, 3, 4, 4), randn(g, 2, 2, 3, 3), randn(g, 2)), {"padding": (1, 0)},
             hint="a pair is (rows, columns) of every frame."),
        Case("many frames, few channels (T = 6, C_out = 2)", (randn(g, 1, 3, 6, 4, 4), randn(g, 2, 3, 3, 3),
                                                               randn(g, 2))),
        Case("unbatched video (C, T, H, W)", (randn(g, 2, 3, 4, 4), randn(g, 2, 2, 3, 3), randn(g, 2)),
             {"padding": 1}, hint=unbatched),
        Case("an empty batch (0, C, T, H, W)", (randn(g, 0, 2, 3, 4, 4), randn(g, 2, 2, 3, 3), randn(g, 2)),
             hint="a batch of 0 clips gives a (0, C_out, T, H_out, W_out) result."),
        Case("a single frame (T = 1), float32", (randn(g, 1, 2, 1, 4, 4).float(), randn(g, 2, 2, 3, 3).float(),
                                                 randn(g, 2).float())),
        Case("a video on another device", (meta(1, 2, 3, 4, 4), meta(2, 2, 3, 3), meta(2)), {"padding": 1},
             device_only=True),
    ]
    run(fn, "per_frame_conv2d", cases, _per_frame_reference, PER_FRAME_MISTAKES, forbidden=FRAME_ONLY,
        shape_hint="A per-frame conv2d keeps the T frames: (N, C, T, H, W) -> (N, C_out, T, H_out, W_out).",
        success=f"per_frame_conv2d equals F.conv3d with a (1, kh, kw) kernel on {len(cases)} cases: channels, bias, "
                f"batch, padding, unbatched, empty batch, one frame, float32, device")
