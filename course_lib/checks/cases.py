"""What a check is made of: the cases it calls the learner's function on, the mistakes it knows, and the
`CheckFailed` it raises.

A case's tensors hold small integers as float64 (`randn`): easy to read in a failing case, exact in sums. A case
`device_only` has its tensors on torch's 'meta' device (`meta`), which stands in for a GPU on any machine.

>>> g = seeded(0)
>>> case = Case("stride 2", (randn(g, 1, 2, 5), meta(3, 2, 3)), {"stride": 2})
>>> case.describe()
'tensor of shape (1, 2, 5) (float64, cpu), tensor of shape (3, 2, 3) (float64, meta), stride=2'
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import torch

from course_lib.checks.record import Opaque


class CheckFailed(AssertionError):
    """A check found a mistake. The message says which, how to fix it, and the smallest case that shows it.

    It is an AssertionError, so an autograded test cell that raises it scores zero like any failed assert.

    >>> isinstance(CheckFailed("Looks like a missing bias"), AssertionError)
    True
    """


@dataclasses.dataclass
class Case:
    """One call of the learner's function.

    `args`/`kwargs` are passed as given; `adds` says what this case adds to the earlier (smaller) ones, e.g.
    "stride 2", and is used in the explanation when no known mistake matches.
    """
    adds: str
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    hint: str = ""  # what to do when this case is the first to fail and no known mistake matches
    device_only: bool = False  # inputs on the 'meta' device: only the result's device, dtype and shape are checked

    def describe(self) -> str:
        """The call, with tensors shown by shape and dtype: `x (1, 2, 5) float64, w (3, 2, 3) float64, stride=2`."""
        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)


@dataclasses.dataclass
class Mistake:
    """A known mistake: `compute(case)` returns what code with this mistake would return (or None where the
    mistake makes no difference for that case); `explain` says what went wrong and how to fix it.
    `course_lib.checks.mistakes` builds the ones several lessons share."""
    name: str
    compute: Callable[[Case], Any]
    explain: str


def show(value) -> str:
    """A value as a message shows it: a tensor by shape, dtype and device, anything else by its (short) repr.

    >>> show(torch.zeros(2, 3)), show((1, 2))
    ('tensor of shape (2, 3) (float32, cpu)', '(1, 2)')
    """
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} ({str(value.dtype).replace('torch.', '')}, {value.device.type})"
    if isinstance(value, Opaque):
        text = repr(value)
        return text if len(text) <= 80 else text[:79] + "…"
    return repr(value)


def seeded(seed: int) -> torch.Generator:
    """The random generator of a battery of cases: `seed` picks other cases (the hidden tests use other seeds)."""
    return torch.Generator().manual_seed(seed)


def randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """A float64 tensor of small integers (-3..3) as floats: easy to read in a failing case, exact in sums.

    >>> randn(seeded(0), 2, 3).dtype
    torch.float64
    """
    return torch.randint(-3, 4, shape, generator=generator).to(torch.float64)


def meta(*shape: int) -> torch.Tensor:
    """A float64 tensor of `shape` on torch's 'meta' device (shapes without data): a device case's input.

    >>> meta(2, 3).device
    device(type='meta')
    """
    return torch.empty(*shape, device="meta", dtype=torch.float64)
