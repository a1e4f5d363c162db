"""The mistakes several lessons share, built once: each builder returns a `Mistake` whose `compute(case)` is what
code with that mistake returns (None where the mistake makes no difference to the case), so a lesson's check
declares each of its mistakes in one line, with its own explanation.

A builder that takes a `reference` calls it as `reference(case, weight=…)` or `reference(case, bias=None)`: the
lesson's right answer with one argument replaced (`course_lib.checks.reference.conv` for most). The ones without
work on `reference.conv`, torch's convolution of any rank.

>>> from course_lib.checks.cases import randn, seeded
>>> from course_lib.checks.reference import conv
>>> g = seeded(0)
>>> case = Case("a bias", (randn(g, 1, 2, 5), randn(g, 3, 2, 3), randn(g, 3)))
>>> mistake = missing_bias(conv)
>>> mistake.name, torch.equal(mistake.compute(case), conv(case, bias=None))
('a missing bias', True)
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from course_lib.checks.cases import Case, Mistake
from course_lib.checks.reference import conv, per_axis, torch_conv

# An output-size formula per axis, (size, kernel, stride, padding, dilation) -> size, with one slip each.
SIZE_SLIPS = {
    "no + 1": lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s,
    "rounded up": lambda i, k, s, p, d: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1,
    "padding once": lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1,
    "no dilation": lambda i, k, s, p, d: (i + 2 * p - (k - 1) - 1) // s + 1,
    "no padding": lambda i, k, s, p, d: (i - d * (k - 1) - 1) // s + 1,
}


def right_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """The output size along one axis: floor((i + 2p − d(k − 1) − 1) / s) + 1 (the slips of SIZE_SLIPS aside).

    >>> right_size(7, 3, 2, 1), SIZE_SLIPS["no + 1"](7, 3, 2, 1, 1)
    (4, 3)
    """
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def from_args(rule: Callable) -> Callable[[Case], object]:
    """A mistake's compute for an arithmetic task: `rule(*case.args)`.

    >>> from_args(SIZE_SLIPS["padding once"])(Case("padding 2", (5, 3, 1, 2, 1)))
    5
    """
    return lambda case: rule(*case.args)


def missing_plus_one(compute_with: Callable, rule: str) -> Mistake:
    """An output size without its + 1: `compute_with(slip)` applies a size rule to a case (e.g. `from_args`), and
    `rule` is the right formula, as the lesson writes it.

    >>> missing_plus_one(from_args, "L_out = …").compute(Case("the plain case", (5, 3, 1, 0, 1)))
    2
    """
    return Mistake("a missing + 1", compute_with(SIZE_SLIPS["no + 1"]), f"the first window counts too: {rule}.")


def rounding_up(compute_with: Callable) -> Mistake:
    """An output size rounded up (a last window that runs past the end counted); see `missing_plus_one`."""
    return Mistake("rounding up instead of down", compute_with(SIZE_SLIPS["rounded up"]),
                   "a window that would run past the end is not used, so round down (floor division `//`).")


def without_bias(reference: Callable, bias_index: int = 2) -> Callable[[Case], object]:
    """What code that forgets the bias returns, `reference(case, bias=None)`; None for a case without a bias
    (`case.args[bias_index]`), where forgetting it makes no difference."""
    return lambda case: None if case.args[bias_index] is None else reference(case, bias=None)


BIAS_PER_CHANNEL = "add bias[co] to every output position of output channel co."


def missing_bias(reference: Callable, explain: str = BIAS_PER_CHANNEL, bias_index: int = 2) -> Mistake:
    """The bias forgotten (see the module's example)."""
    return Mistake("a missing bias", without_bias(reference, bias_index), explain)


def bias_on_last_axis(reference: Callable, explain: str, bias_index: int = 2) -> Mistake:
    """`out + bias` on (N, C_out, …, W_out): the (C_out,) bias lined up with the LAST axis instead of the channels.
    It only runs where that axis has C_out cells.

    >>> from course_lib.checks.cases import randn, seeded
    >>> g = seeded(0)
    >>> case = Case("a bias", (randn(g, 1, 2, 5), randn(g, 3, 2, 3), randn(g, 3)))   # output length 3 = C_out
    >>> mistake = bias_on_last_axis(conv, "add bias[co] to out[n, co, :].")
    >>> torch.equal(mistake.compute(case), conv(case, bias=None) + case.args[2])
    True
    """
    def compute(case: Case):
        bias = case.args[bias_index]
        if bias is None:
            return None
        out = reference(case, bias=None)
        return out + bias if out.shape[-1] == bias.shape[0] else None
    return Mistake("a bias added along the wrong axis", compute, explain)


def flipped_kernel(reference: Callable, explain: str, name: str = "a flipped kernel (a true convolution)") -> Mistake:
    """The kernel reversed along every sliding axis (axes 2, 3, … of `case.args[1]`): a true convolution instead of
    torch's cross-correlation.

    >>> x, w = torch.arange(5.)[None, None], torch.tensor([[[1., 0., -1.]]])
    >>> flipped_kernel(conv, "…").compute(Case("", (x, w, None))).tolist()
    [[[2.0, 2.0, 2.0]]]
    """
    def compute(case: Case):
        w = case.args[1]
        return reference(case, weight=w.flip(list(range(2, w.dim()))))
    return Mistake(name, compute, explain)


def padding_on_one_side(explain: str) -> Mistake:
    """All 2·padding zeros after the input on each sliding axis (e.g. `xp[:, :, :H, :W] = x`).

    >>> x, w = torch.arange(3.)[None, None], torch.ones(1, 1, 2)
    >>> padding_on_one_side("…").compute(Case("padding 1", (x, w, None), {"padding": 1})).tolist()
    [[[1.0, 3.0, 2.0, 0.0]]]
    """
    def compute(case: Case):
        n = case.args[1].dim() - 2
        padding = per_axis(case.kwargs.get("padding", 0), n)
        if not any(padding):
            return None
        x = F.pad(case.args[0], [v for p in reversed(padding) for v in (0, 2 * p)])
        return conv(case, x=x, padding=0)
    return Mistake("all the padding on one side", compute, explain)


def per_axis_swapped(name: str, explain: str) -> Mistake:
    """A per-axis tuple read backwards (e.g. (rows, columns) as (columns, rows)), where that makes a difference and
    the swapped setting fits the input.

    >>> x, w = torch.ones(1, 1, 5, 5), torch.ones(1, 1, 1, 1)
    >>> per_axis_swapped("a pair read backwards", "…").compute(Case("", (x, w, None), {"stride": (1, 2)})).shape
    torch.Size([1, 1, 3, 5])
    """
    def compute(case: Case):
        swapped = {k: tuple(reversed(v)) for k, v in case.kwargs.items()
                   if k in ("stride", "padding", "dilation") and not isinstance(v, int) and tuple(v) != tuple(v)[::-1]}
        if not swapped:
            return None
        try:
            return conv(case, **swapped)
        except RuntimeError:  # the swapped setting does not fit the input
            return None
    return Mistake(name, compute, explain)


def groups_by_modulo(explain: str) -> Mistake:
    """Channels mixed across groups: output channel co given the input group co % groups instead of
    co // (C_out / groups). Only shows with groups > 1 and several output channels per group.

    >>> x, w = torch.arange(2.).view(1, 2, 1), torch.ones(4, 1, 1)
    >>> groups_by_modulo("…").compute(Case("groups=2", (x, w, None), {"groups": 2})).flatten().tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    def compute(case: Case):
        groups = case.kwargs.get("groups", 1)
        x, w, b = case.args
        if groups == 1 or w.shape[0] == groups:  # one output channel per group: co % groups == co // 1
            return None
        rest = {k: v for k, v in case.kwargs.items() if k != "groups"}
        unbatched = x.dim() == w.dim() - 1
        xb = x[None] if unbatched else x
        per_group = w.shape[1]
        outs = [torch_conv(xb[:, (co % groups) * per_group:(co % groups + 1) * per_group], w[co:co + 1],
                           None if b is None else b[co:co + 1], **rest) for co in range(w.shape[0])]
        out = torch.cat(outs, dim=1)
        return out[0] if unbatched else out
    return Mistake("channels mixed across groups", compute, explain)
