"""Checks for the exercises of lesson 08 (upsampling): where each output sits on the input, linear upsampling of a
signal and bilinear upsampling of an image, with `align_corners` False and True."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from course_lib.checks.calls import INTERPOLATION, allowing_course_lib
from course_lib.checks.cases import Case, Mistake, meta, randn, seeded
from course_lib.checks.core import run

POSITION_RULE = ("output o sits at (o + 0.5)·in/out − 0.5 with align_corners=False (the outer edges line up), at "
                 "o·(in − 1)/(out − 1) with align_corners=True (the corner pixel centres line up; 0 for a single "
                 "output), clamped to 0 … in − 1")


def _arange_positions(out_size: int, in_size: int, align_corners: bool) -> torch.Tensor:
    """The reference: linear interpolation of x[i] = i gives, at each output, the (clamped) position it reads."""
    ramp = torch.arange(in_size, dtype=torch.float64).view(1, 1, -1)
    return F.interpolate(ramp, size=out_size, mode="linear", align_corners=align_corners).flatten()


def _positions(out_size: int, in_size: int, align_corners: bool, rule: str = "", clamp: str = "both") -> torch.Tensor:
    """What a mistaken position formula gives: `rule` "no half" (o·in/out), "inverted" (in and out swapped in the
    scale); `clamp` "both", "start" (only at 0) or "none"."""
    o = torch.arange(out_size, dtype=torch.float64)
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        if rule == "inverted":
            scale = (out_size - 1) / (in_size - 1) if in_size > 1 else 0.0
        position = o * scale
    elif rule == "no half":
        position = o * in_size / out_size
    elif rule == "inverted":
        position = (o + 0.5) * out_size / in_size - 0.5
    else:
        position = (o + 0.5) * in_size / out_size - 0.5
    if clamp == "none":
        return position
    return position.clamp(min=0) if clamp == "start" else position.clamp(0, in_size - 1)


def _position_mistake(rule: str = "", clamp: str = "both"):
    return lambda case: _positions(*case.args, **case.kwargs, rule=rule, clamp=clamp)


def _other_corners(case: Case) -> torch.Tensor:
    return _arange_positions(*case.args, not case.kwargs.get("align_corners", False))


AC_EXPLAIN = "align_corners=False and True are swapped: " + POSITION_RULE + "."

POSITION_MISTAKES = [
    Mistake("align_corners confused", _other_corners, AC_EXPLAIN),
    Mistake("no clamping at the edges", _position_mistake(clamp="none"),
            "an output whose position falls before input 0 or after input in − 1 reads the border input: clamp the "
            "positions to 0 … in − 1 (`position.clamp(0, in_size - 1)`)."),
    Mistake("no clamping at the end", _position_mistake(clamp="start"),
            "positions after the last input read the last input: clamp at in − 1 too, not only at 0."),
    Mistake("o·in/out without the half-pixel shifts", _position_mistake(rule="no half"),
            "with align_corners=False output o's centre is at (o + 0.5)·in/out in input-pixel units measured from the "
            "input's left edge, so its position (input pixel i centred at i) is (o + 0.5)·in/out − 0.5. (o·in/out is "
            "what the legacy 'nearest' mode floors.)"),
    Mistake("the scale upside down (out/in instead of in/out)", _position_mistake(rule="inverted"),
            "outputs are spaced in/out input pixels apart ((in − 1)/(out − 1) with align_corners=True), so "
            "upsampling puts them less than 1 apart."),
    Mistake("a float32 result", lambda case: _arange_positions(*case.args, **case.kwargs).float(),
            "return the positions as float64 (`torch.arange(out_size, dtype=torch.float64)`): float32 rounds them."),
]


def check_source_coordinates(fn, seed: int = 0) -> None:
    """Check `fn(out_size, in_size, align_corners=False) -> tensor (out_size,) float64`: where each output of a linear
    resize sits on the input, clamped to 0 … in_size − 1 (F.interpolate of x[i] = i gives it).

    >>> from course_lib import upsample
    >>> check_source_coordinates(lambda out, n, align_corners=False:
    ...     upsample.interpolate(torch.arange(n, dtype=torch.float64)[None, None], size=out, mode="linear",
    ...                          align_corners=align_corners).flatten())
    ✓ source_coordinates agrees with F.interpolate on 14 cases: align_corners False and True, up, down, same size, one input or output
    """
    sizes = [(4, 2, False, "2 inputs to 4 outputs"), (4, 2, True, "align_corners=True"),
             (7, 3, False, "3 to 7"), (7, 3, True, "3 to 7 with align_corners=True"),
             (3, 7, False, "downsampling 7 to 3"), (3, 7, True, "downsampling with align_corners=True"),
             (5, 5, False, "the same size"), (5, 5, True, "the same size with align_corners=True"),
             (3, 1, False, "a single input"), (1, 4, False, "a single output"),
             (1, 4, True, "a single output with align_corners=True"),
             (2, 6, True, "two outputs with align_corners=True"),
             (9 + seed % 6, 4, False, "another size"), (9 + seed % 6, 4, True, "another size, align_corners=True")]
    cases = [Case(adds, (out, n), {"align_corners": ac},
                  hint="with a single output, align_corners=True puts it at 0 (there is no out − 1 to divide by)."
                  if out == 1 and ac else "")
             for out, n, ac, adds in sizes]
    run(fn, "source_coordinates", cases, lambda case: _arange_positions(*case.args, **case.kwargs),
        POSITION_MISTAKES, shape_hint="Return one position per output: a tensor of out_size values.",
        success=f"source_coordinates agrees with F.interpolate on {len(cases)} cases: align_corners False and True, "
                f"up, down, same size, one input or output")


# --- linear and bilinear upsampling -----------------------------------------------------------------------------

def _lerp(x: torch.Tensor, position: torch.Tensor, reading: str = "") -> torch.Tensor:
    """Linear interpolation along the last axis at `position` (float64), as the code of a `reading` computes it:
    "" right, "swapped" (the weights the wrong way round), "wrap" (floor of an unclamped position, so x[-1] is the
    LAST input), "truncate" (`.long()` of an unclamped position: extrapolates from x[0], x[1])."""
    n = x.shape[-1]
    if reading == "truncate":
        left = position.long().clamp(max=n - 1)
    else:
        left = position.floor().long()
    right = (left + 1).clamp(max=n - 1)
    t = (position - left).to(x.dtype)
    if reading == "swapped":
        return x[..., left] * t + x[..., right] * (1 - t)
    return x[..., left] * (1 - t) + x[..., right] * t


def _resize(x: torch.Tensor, sizes, align_corners: bool, reading: str = "", rule: str = "", clamp: str = "both",
            float32: bool = False):
    """A (possibly mistaken) linear resize of the last len(sizes) axes, one axis at a time (`float32`: with the
    positions rounded to float32)."""
    for axis, size in zip(range(-len(sizes), 0), sizes):
        moved = x.movedim(axis, -1)
        position = _positions(size, moved.shape[-1], align_corners, rule, clamp)
        if float32:
            position = position.float().double()
        x = _lerp(moved, position, reading).movedim(-1, axis)
    return x


def _sizes(case: Case) -> tuple:
    x, size = case.args
    dims = 2 if case.kwargs.get("mode") == "bilinear" else 1
    return (size,) * dims if isinstance(size, int) else tuple(size)


def _interpolate(case: Case, **changes) -> torch.Tensor:
    """The reference: F.interpolate (with a batch axis added for an unbatched input)."""
    x, size = case.args
    options = {"mode": "linear", "align_corners": False, **case.kwargs, **changes}
    if options["mode"].startswith("nearest"):
        options.pop("align_corners")
    unbatched = x.dim() == (3 if case.kwargs.get("mode") == "bilinear" else 2)
    out = F.interpolate(x[None] if unbatched else x, size=options.pop("size", size), **options)
    return out[0] if unbatched else out


def _resize_mistake(**choices):
    def compute(case: Case):
        return _resize(case.args[0], _sizes(case), case.kwargs.get("align_corners", False), **choices)
    return compute


def _swapped_size(case: Case):
    size = _sizes(case)
    return None if size[0] == size[1] else _interpolate(case, size=size[::-1])


RESIZE_MISTAKES = [
    Mistake("align_corners confused",
            lambda case: _interpolate(case, align_corners=not case.kwargs.get("align_corners", False)), AC_EXPLAIN),
    Mistake("nearest instead of linear", lambda case: _interpolate(case, mode="nearest"),
            "linear interpolation mixes the two inputs on either side of the position: "
            "(1 − t)·x[left] + t·x[left + 1], with t = position − left."),
    Mistake("nearest instead of linear", lambda case: _interpolate(case, mode="nearest-exact"),
            "rounding the position copies the nearest input; linear interpolation mixes the two on either side: "
            "(1 − t)·x[left] + t·x[left + 1], with t = position − left."),
    Mistake("the two weights swapped", _resize_mistake(reading="swapped"),
            "the input nearer the position gets the larger weight: (1 − t)·x[left] + t·x[left + 1], "
            "with t = position − left."),
    Mistake("no clamping at the edge", _resize_mistake(reading="wrap", clamp="none"),
            "with align_corners=False the first outputs sit before input 0 (negative positions): floor(−0.25) = −1 "
            "and x[..., -1] is the LAST input in Python. Clamp the positions to 0 … in − 1 first."),
    Mistake("no clamping at the edge", _resize_mistake(reading="truncate", clamp="none"),
            "with align_corners=False the first outputs sit before input 0 (negative positions), and a negative "
            "weight extrapolates past x[0]. Clamp the positions to 0 … in − 1 first."),
    Mistake("o·in/out without the half-pixel shifts", _resize_mistake(rule="no half"),
            "with align_corners=False output o sits at (o + 0.5)·in/out − 0.5 on the input (task 1)."),
    Mistake("the scale upside down (out/in instead of in/out)", _resize_mistake(rule="inverted"),
            "output o sits at (o + 0.5)·in/out − 0.5 (align_corners=False) or o·(in − 1)/(out − 1) (True) (task 1)."),
    Mistake("positions rounded to float32", _resize_mistake(float32=True),
            "compute the positions in float64 (task 1 returns float64); only the weights t take the input's dtype."),
]

BILINEAR_MISTAKES = [
    Mistake("H and W of `size` swapped", _swapped_size,
            "size=(H_out, W_out): the first number is the new height (the second-to-last axis), the second the new "
            "width (the last axis)."),
    *RESIZE_MISTAKES,
]


UNBATCHED = "an unbatched input: work on the last axis (`x[..., index]`) and the batch axes come along."
ONE_OUTPUT = "with a single output, align_corners=True puts it at position 0 (task 1)."


def linear_cases(seed: int = 0) -> list[Case]:
    """The battery for upsample_linear1d, smallest first."""
    g = seeded(seed)
    ac = {"align_corners": True}
    return [
        Case("2 inputs to 4", (randn(g, 1, 1, 2), 4),
             hint="outputs whose position is past the last input read the last input (clamp the right index)."),
        Case("align_corners=True", (randn(g, 1, 1, 2), 4), ac),
        Case("3 to 7, several channels and samples", (randn(g, 2, 3, 3), 7)),
        Case("3 to 7 with align_corners=True", (randn(g, 2, 3, 3), 7), ac),
        Case("downsampling 7 to 3", (randn(g, 1, 2, 7), 3)),
        Case("downsampling with align_corners=True", (randn(g, 1, 2, 7), 3), ac),
        Case("the same size", (randn(g, 1, 2, 5), 5)),
        Case("a single input", (randn(g, 1, 2, 1), 3), hint="with one input every output copies it."),
        Case("a single output with align_corners=True", (randn(g, 1, 2, 4), 1), ac, hint=ONE_OUTPUT),
        Case("another size", (randn(g, 2, 2, 4), 9 + seed % 6)),
        Case("unbatched input (C, L)", (randn(g, 2, 5), 8), hint=UNBATCHED),
        Case("an empty batch (0, C, L)", (randn(g, 0, 2, 5), 8), hint="a batch of 0 samples gives (0, C, size)."),
        Case("float32 input", (randn(g, 1, 2, 5).float(), 8)),
        Case("an input on another device", (meta(2, 3, 5), 8), device_only=True),
    ]


def check_upsample_linear1d(fn, seed: int = 0, name: str = "upsample_linear1d") -> None:
    """Check `fn(x, size, align_corners=False)` against `F.interpolate(x, size=size, mode="linear", ...)`, without it
    calling torch's interpolation.

    >>> from course_lib import upsample
    >>> def linear(x, size, align_corners=False):   # the course's interpolate takes batched input only
    ...     out = upsample.interpolate(x if x.dim() == 3 else x[None], size=size, mode="linear", align_corners=align_corners)
    ...     return out if x.dim() == 3 else out[0]
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_upsample_linear1d(linear)
    ✓ upsample_linear1d agrees with F.interpolate(mode='linear') on 14 cases: align_corners False and True, up, down, same size, unbatched, empty batch, float32, device
    """
    cases = linear_cases(seed)
    run(fn, name, cases, _interpolate, RESIZE_MISTAKES, forbidden=INTERPOLATION,
        shape_hint="The result is (N, C, size): only the last axis changes; an unbatched input gives an unbatched result.",
        success=f"{name} agrees with F.interpolate(mode='linear') on {len(cases)} cases: align_corners False and True, "
                f"up, down, same size, unbatched, empty batch, float32, device")


def bilinear_cases(seed: int = 0) -> list[Case]:
    """The battery for upsample_bilinear2d, smallest first (every case passes mode='bilinear' to the reference only)."""
    g = seeded(seed)
    cases = [
        Case("2×2 to 4×4", (randn(g, 1, 1, 2, 2), (4, 4))),
        Case("align_corners=True", (randn(g, 1, 1, 2, 2), (4, 4)), {"align_corners": True}),
        Case("different heights and widths, (2, 3) to (3, 5)", (randn(g, 1, 1, 2, 3), (3, 5)),
             hint="size=(H_out, W_out): the height changes along axis −2, the width along axis −1."),
        Case("an int size", (randn(g, 1, 1, 3, 2), 4), hint="an int size is the same for H and W."),
        Case("several channels and samples", (randn(g, 2, 3, 3, 3), (5, 4)), {"align_corners": True}),
        Case("downsampling", (randn(g, 1, 2, 6, 7), (4, 3))),
        Case("up along H, down along W, align_corners=True", (randn(g, 1, 2, 3, 6), (5, 4)), {"align_corners": True}),
        Case("a single output row with align_corners=True", (randn(g, 1, 1, 3, 3), (1, 4)), {"align_corners": True},
             hint=ONE_OUTPUT),
        Case("another size", (randn(g, 1, 2, 4, 3), (7 + seed % 4, 6))),
        Case("unbatched input (C, H, W)", (randn(g, 2, 3, 4), (5, 6)), hint=UNBATCHED),
        Case("an empty batch (0, C, H, W)", (randn(g, 0, 2, 3, 3), (5, 5)),
             hint="a batch of 0 samples gives (0, C, H_out, W_out)."),
        Case("float32 input", (randn(g, 1, 2, 3, 4).float(), (5, 7))),
        Case("an input on another device", (meta(2, 3, 4, 4), (6, 5)), device_only=True),
    ]
    return cases


def check_upsample_bilinear2d(fn, seed: int = 0, name: str = "upsample_bilinear2d") -> None:
    """Check `fn(x, size, align_corners=False)` against `F.interpolate(x, size=size, mode="bilinear", ...)`, without
    it calling torch's interpolation.

    >>> from course_lib import upsample
    >>> def bilinear(x, size, align_corners=False):
    ...     out = upsample.interpolate(x if x.dim() == 4 else x[None], size=size, mode="bilinear", align_corners=align_corners)
    ...     return out if x.dim() == 4 else out[0]
    >>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
    ...     check_upsample_bilinear2d(bilinear)
    ✓ upsample_bilinear2d agrees with F.interpolate(mode='bilinear') on 13 cases: align_corners False and True, H ≠ W, int size, up, down, unbatched, empty batch, float32, device
    """
    cases = bilinear_cases(seed)

    def reference(case: Case) -> torch.Tensor:
        return _interpolate(Case(case.adds, case.args, {"mode": "bilinear", **case.kwargs}))

    def with_mode(mistake: Mistake) -> Mistake:
        return Mistake(mistake.name, lambda case: mistake.compute(Case(case.adds, case.args,
                                                                       {"mode": "bilinear", **case.kwargs})),
                       mistake.explain)

    run(fn, name, cases, reference, [with_mode(m) for m in BILINEAR_MISTAKES], forbidden=INTERPOLATION,
        shape_hint="The result is (N, C, H_out, W_out) with (H_out, W_out) = size (an int: the same for both); an "
                   "unbatched input gives an unbatched result.",
        success=f"{name} agrees with F.interpolate(mode='bilinear') on {len(cases)} cases: align_corners False and "
                f"True, H ≠ W, int size, up, down, unbatched, empty batch, float32, device")
