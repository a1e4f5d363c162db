"""The right answers the checks compare with, computed by torch: its convolution for any number of sliding axes (the
course's one N-d torch reference, also used by tests/test_conv.py), per-axis settings, and a convolution of a case
with some of its arguments replaced (what most mistakes compute).

>>> x, w = torch.ones(1, 1, 5, dtype=torch.float64), torch.ones(1, 1, 3, dtype=torch.float64)
>>> conv(Case("stride 2", (x, w, None), {"stride": 2})).tolist()
[[[3.0, 3.0]]]
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from course_lib.checks.cases import Case


def per_axis(value, n: int) -> tuple:
    """A per-axis setting as a tuple of `n` values: an int is the same on every axis.

    >>> per_axis(2, 3), per_axis((1, 2), 2), pair(3)
    ((2, 2, 2), (1, 2), (3, 3))
    """
    return (value,) * n if isinstance(value, int) else tuple(value)


def pair(value) -> tuple:
    """A (rows, columns) setting: `per_axis(value, 2)`."""
    return per_axis(value, 2)


def torch_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """torch's convolution with n = w.dim() − 2 sliding axes: F.conv1d/2d/3d, and for n ≥ 4 a sum of lower ones.

    x (N, C_in, S1, …, Sn) or unbatched (C_in, S1, …, Sn), w (C_out, C_in / groups, k1, …, kn), b (C_out,) or None
    -> (N, C_out, O1, …, On), with int or per-axis stride, padding (zeros) and dilation, as F.conv2d takes them.

    For n ≥ 4 the first sliding axis is split off: output step t of it is Σ_j conv_(n−1)(x[:, :, t·s + j·d], w[:, :, j])
    on the input zero-padded along that axis (lesson 04), so every value still comes from F.conv3d.

    >>> from course_lib import naive
    >>> x, w = torch.randn(1, 2, 3, 4, 3, 4, dtype=torch.float64), torch.randn(4, 1, 2, 3, 2, 2, dtype=torch.float64)
    >>> kwargs = dict(stride=(2, 1, 1, 2), padding=(1, 0, 1, 1), dilation=(1, 1, 2, 1), groups=2)
    >>> torch_conv(x, w, **kwargs).shape
    torch.Size([1, 4, 2, 2, 3, 3])
    >>> torch.allclose(torch_conv(x, w, **kwargs), naive.convnd(x, w, **kwargs))
    True
    """
    n = w.dim() - 2
    if n <= 3:
        return (F.conv1d, F.conv2d, F.conv3d)[n - 1](x, w, b, stride, padding, dilation, groups)
    if x.dim() == n + 1:  # unbatched
        return torch_conv(x[None], w, b, stride, padding, dilation, groups)[0]
    (s, *stride), (p, *padding), (d, *dilation) = (per_axis(v, n) for v in (stride, padding, dilation))
    x = F.pad(x, [0, 0] * (n - 1) + [p, p])
    k = w.shape[2]
    steps = (x.shape[2] - d * (k - 1) - 1) // s + 1
    out = [sum(torch_conv(x[:, :, t * s + j * d], w[:, :, j], None, stride, padding, dilation, groups)
               for j in range(k)) for t in range(steps)]
    out = torch.stack(out, dim=2)
    return out if b is None else out + b.view(-1, *[1] * n)


def conv(case: Case, weight=None, bias="given", x=None, **changes) -> torch.Tensor:
    """torch's convolution of a case (x, weight, bias) with its keyword arguments, with `x`, `weight`, `bias`
    (None: no bias) or keyword arguments (`stride=…`, `groups=…`) replaced: the reference of a convolution check,
    and what many of its mistakes compute."""
    x0, w, b = case.args
    x = x0 if x is None else x
    w = w if weight is None else weight
    b = b if bias == "given" else bias
    return torch_conv(x, w, b, **{**case.kwargs, **changes})


def on_cpu(reference):
    """`reference` for a 'meta'-device case computed on CPU zeros of the same shapes, its result moved to 'meta':
    torch's meta versions of F.unfold and F.conv2d load its compiler stack on first use (seconds), CPU takes ms.

    >>> from course_lib.checks.cases import meta
    >>> unfold = on_cpu(lambda case: F.unfold(*case.args))
    >>> result = unfold(Case("meta", (meta(1, 1, 4, 4), 2), device_only=True))
    >>> result.shape, result.device
    (torch.Size([1, 4, 9]), device(type='meta'))
    """
    def compute(case: Case):
        if not case.device_only:
            return reference(case)
        zeros = tuple(torch.zeros(a.shape, dtype=a.dtype) if isinstance(a, torch.Tensor) else a for a in case.args)
        return reference(dataclasses.replace(case, args=zeros)).to("meta")
    return compute
