"""The machinery behind every exercise check: run a learner's function on a battery of cases, compare with torch,
and name the likely mistake.

A check (see `course_lib.checks.conv1d` for the first ones) lists its cases from the smallest up, a reference
that computes the right answer with torch, and the mistakes learners make, each as a function that computes what the
mistaken code would return. `run` calls the learner's function on each case in turn; at the first case that fails it
raises `CheckFailed` with the name of the mistake whose output the learner's matches (or, when none does, with what
the failing case adds to the ones that passed), and the case itself. When every case passes it prints one ✓ line.

While the learner's function runs, `TorchCalls` records the torch functions it calls, so a task that asks for loops can
refuse a solution that calls `F.conv2d` (or `F.unfold`, `F.interpolate`, …) instead.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from course_lib.checks.record import Outcome, Recording, Replay

# Torch's kernels for the 'meta' device (check_device's stand-in for a GPU) import torch._dynamo on first use: about
# 2 s, more on a busy machine. Pay it once here, when the checks are imported, not inside the first graded cell
# (grading gives each cell a time limit).
_ = torch.empty(1, device="meta") + 1

ATOL = 1e-10  # float64 comparisons: the course's loops agree with torch to ~1e-15
RTOL = 1e-10


class CheckFailed(AssertionError):
    """A check found a mistake. The message says which, how to fix it, and the smallest case that shows it.

    It is an AssertionError, so an autograded test cell that raises it scores zero like any failed assert.
    """


def _show_check_failures_briefly() -> None:
    """In Jupyter, show a CheckFailed as its message alone: the explanation is the message, and the traceback through
    the checks' own code (25 lines) would only push it off the screen. Other exceptions keep IPython's traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def show(shell, etype, value, tb, tb_offset=None):
        lines = [f"\x1b[0;31mCheckFailed\x1b[0m: {value}"]
        shell._showtraceback(etype, value, lines)  # IPython leaves the display to the handler (run_code ignores its result)
        return lines

    shell.set_custom_exc((CheckFailed,), show)


_show_check_failures_briefly()


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
        parts = [_show(a) for a in self.args] + [f"{k}={_show(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)


@dataclasses.dataclass
class Mistake:
    """A known mistake: `compute(case)` returns what code with this mistake would return (or None where the
    mistake makes no difference for that case); `explain` says what went wrong and how to fix it."""
    name: str
    compute: Callable[[Case], Any]
    explain: str


def without_bias(compute: Callable, bias_index: int = 2) -> Callable[[Case], Any]:
    """The "missing bias" mistake: what code that forgets the bias returns, `compute(case, bias=None)`; None for a
    case without a bias (`case.args[bias_index]`), where forgetting it makes no difference."""
    return lambda case: None if case.args[bias_index] is None else compute(case, bias=None)


def bias_on_last_axis(compute: Callable, bias_index: int = 2) -> Callable[[Case], Any]:
    """The "bias along the wrong axis" mistake: `out + bias` lines the (C_out,) bias up with the LAST axis of
    (N, C_out, …, W_out) instead of the channels. It only runs where that axis has C_out cells (else None)."""
    def compute_mistake(case: Case):
        bias = case.args[bias_index]
        if bias is None:
            return None
        out = compute(case, bias=None)
        return out + bias if out.shape[-1] == bias.shape[0] else None
    return compute_mistake


def _show(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} ({str(value.dtype).replace('torch.', '')}, {value.device.type})"
    return repr(value)


# The torch functions a "write it yourself" task may not call, by task kind. Tensor methods such as Tensor.unfold
# (a view) and matmul/einsum are always allowed; these are the operations the learner is building.
CONVOLUTIONS = {  # F.conv1d is torch.conv1d (one function, two names), and so on
    F.conv1d: "F.conv1d (torch.conv1d)", F.conv2d: "F.conv2d (torch.conv2d)", F.conv3d: "F.conv3d (torch.conv3d)",
    torch.convolution: "torch.convolution", torch._convolution: "torch._convolution",
    F.conv_transpose1d: "torch.nn.functional.conv_transpose1d",
    F.conv_transpose2d: "torch.nn.functional.conv_transpose2d",
    F.conv_transpose3d: "torch.nn.functional.conv_transpose3d",
}
TRANSPOSED = {f: n for f, n in CONVOLUTIONS.items() if "transpose" in n}
IM2COL = {F.unfold: "torch.nn.functional.unfold", F.fold: "torch.nn.functional.fold"}
INTERPOLATION = {F.interpolate: "torch.nn.functional.interpolate", F.upsample: "torch.nn.functional.upsample",
                 F.grid_sample: "torch.nn.functional.grid_sample"}


class TorchCalls(TorchFunctionMode):
    """Records which of the `forbidden` torch functions are called inside the `with` block.

    >>> with TorchCalls(CONVOLUTIONS) as calls:
    ...     _ = F.conv1d(torch.ones(1, 1, 3), torch.ones(1, 1, 2))
    >>> calls.used
    ['F.conv1d (torch.conv1d)']
    """

    def __init__(self, forbidden: dict):
        super().__init__()
        self.forbidden = forbidden
        self.used: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self.forbidden.get(func)
        if name is not None and name not in self.used:
            self.used.append(name)
        return func(*args, **(kwargs or {}))


def not_written(name: str) -> CheckFailed:
    return CheckFailed(f"`{name}` is not written yet: replace `raise NotImplementedError()` in its cell with your "
                       f"code, run that cell, then run this check again.")


def ok(message: str) -> None:
    """The one line a passing check prints."""
    print(f"✓ {message}")


def check_callable(fn, name: str) -> None:
    if not callable(fn):
        raise CheckFailed(f"check expected your function `{name}`, got {_show(fn)}: pass the function itself, "
                          f"e.g. check({name}), without calling it.")


def invoke(fn, case: Case, forbidden: dict | None = None) -> Outcome:
    """Call the learner's function on `case` and write down what happened: the result or the exception, and the
    forbidden torch functions it called. Nothing is judged here (see `judge`)."""
    with TorchCalls(forbidden or {}) as calls:
        try:
            result = fn(*case.args, **case.kwargs)
        except CheckFailed as error:  # the learner's function ran a check itself
            return Outcome(error=("CheckFailed", str(error)), used=calls.used)
        except Exception as error:  # noqa: BLE001 - any crash of the learner's code is reported, with the case
            return Outcome(error=(type(error).__name__, str(error)), used=calls.used)
    return Outcome(result=result, used=calls.used)


def judge(name: str, case: Case, outcome: Outcome):
    """The learner's result on `case`, or the CheckFailed its outcome deserves: a stub, a crash, a forbidden call."""
    if outcome.error is not None:
        kind, message = outcome.error
        if kind == "NotImplementedError" and not message:
            raise not_written(name)
        if kind == "CheckFailed":
            raise CheckFailed(message)
        raise crashed(name, case, kind, message)
    if outcome.used:
        raise CheckFailed(f"`{name}` calls {', '.join(outcome.used)}: this task asks you to compute the result "
                          f"yourself (torch's function is only the reference the check compares with). "
                          f"Case: {name}({case.describe()}).")
    return outcome.result


NOT_RECORDED = ("the grader has no record of your function's result on this case: the check stopped before it "
                "(the cell ran out of time, or the kernel stopped), or the cell changed how the checks run.")


def call(fn, name: str, case: Case, forbidden: dict | None = None, recording: Recording | None = None):
    """Call the learner's function on `case` (or, for a `Replay`, read what the sandbox recorded) and judge it."""
    if isinstance(fn, Replay):
        outcome = fn.next_outcome()
        if outcome is None:
            raise CheckFailed(f"`{name}`: {NOT_RECORDED}\nCase ({case.adds}): {name}({case.describe()})")
    else:
        outcome = invoke(fn, case, forbidden)
    if recording is not None:
        recording.add(outcome)
    return judge(name, case, outcome)


def crashed(name: str, case: Case, kind: str, message: str) -> CheckFailed:
    hint = f"\nHint: {case.hint}" if case.hint else ""
    return CheckFailed(f"`{name}` raised {kind}: {message}\n"
                       f"on the case that adds {case.adds}: {name}({case.describe()}).{hint}")


def same(got, expected, atol: float = ATOL, rtol: float = RTOL) -> bool:
    """Equal in type, shape and (to float64 precision; float32: 1e-5) value; ints and tuples compare exactly."""
    if isinstance(expected, torch.Tensor):
        if expected.dtype != torch.float64:
            atol, rtol = max(atol, 1e-5), max(rtol, 1e-5)
        return (isinstance(got, torch.Tensor) and got.shape == expected.shape and got.dtype == expected.dtype
                and got.device == expected.device
                and torch.allclose(got.cpu(), expected.cpu(), atol=atol, rtol=rtol, equal_nan=True))
    if isinstance(expected, dict):
        return isinstance(got, dict) and got.keys() == expected.keys() and all(
            same(got[k], expected[k], atol, rtol) for k in expected)
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(same(g, e, atol, rtol) for g, e in zip(got, expected)))
    if isinstance(expected, float):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - expected) <= atol
    if isinstance(expected, int) and not isinstance(expected, bool):  # an int subclass counts, a bool does not
        return isinstance(got, int) and not isinstance(got, bool) and got == expected
    return type(got) is type(expected) and got == expected


def tensor_problem(name: str, got, expected: torch.Tensor) -> str | None:
    """What is wrong with a tensor result apart from its values: type, dtype, device, shape (None: nothing)."""
    if not isinstance(got, torch.Tensor):
        return f"`{name}` returned {_show(got)}; it should return a tensor."
    if got.device != expected.device:
        return (f"the result is on device '{got.device}', the input on '{expected.device}'. Create new tensors on the "
                f"input's device: `x.new_zeros(shape)` or `torch.zeros(shape, dtype=x.dtype, device=x.device)`.")
    if got.dtype != expected.dtype:
        return (f"the result has dtype {got.dtype}, the input {expected.dtype}. Create new tensors with the input's "
                f"dtype: `x.new_zeros(shape)` or `torch.zeros(shape, dtype=x.dtype, device=x.device)`.")
    if got.shape != expected.shape:
        return f"the result has shape {tuple(got.shape)}, torch's has {tuple(expected.shape)}."
    return None


def _values(value, limit: int = 12) -> str:
    if isinstance(value, torch.Tensor):
        flat = value.detach().cpu().flatten()
        shown = ", ".join(f"{v:.4g}" for v in flat[:limit].tolist())
        return f"[{shown}{', …' if flat.numel() > limit else ''}]"
    return repr(value)


def run(fn, name: str, cases: Sequence[Case], reference: Callable[[Case], Any], mistakes: Sequence[Mistake] = (),
        forbidden: dict | None = None, success: str = "", shape_hint: str = "") -> None:
    """Check `fn` on every case (smallest first); raise CheckFailed at the first failure, print ✓ when all pass.

    `reference(case)` is the right answer (computed with torch). On a wrong answer the explanation is, in order:
    the first mistake whose output matches the learner's; a wrong type, device or dtype; a wrong shape (with
    `shape_hint`); otherwise what the failing case adds, with its hint.
    """
    if isinstance(fn, Replay):
        if not fn.start(name):
            raise CheckFailed(f"`{name}` was not checked: {NOT_RECORDED}")
    else:
        check_callable(fn, name)
    with Recording(name) as recording:
        for case in cases:
            if case.device_only:
                check_device(fn, name, case, reference(case), forbidden, recording)
                continue
            got = call(fn, name, case, forbidden, recording)
            expected = reference(case)
            if same(got, expected):
                continue
            raise CheckFailed(explain(name, case, got, expected, mistakes, shape_hint))
    ok(success or f"{name} agrees with torch on {len(cases)} cases")


DEVICE_FIX = ("Create new tensors on the input's device and with its dtype: `x.new_zeros(shape)`, or "
              "`torch.zeros(shape, dtype=x.dtype, device=x.device)`; then your function also runs on a GPU.")


def check_device(fn, name: str, case: Case, expected: torch.Tensor, forbidden: dict | None,
                 recording: Recording | None = None) -> None:
    """Run `fn` on tensors of the 'meta' device (shapes without data, so any machine can test device handling).

    Code that reads values into Python (`.item()`, `float(t)`, `if t > 0`) cannot run on 'meta'; such code is not
    checked here. Code that builds its result on the CPU whatever the input's device fails: that is the mistake.
    """
    try:
        got = call(fn, name, case, forbidden, recording)
    except CheckFailed as failure:
        text = str(failure)
        if "cannot be called on meta tensors" in text or "data-dependent" in text:
            return  # the code reads values into Python; its device handling cannot be seen this way
        if "meta" in text or "same device" in text:
            raise CheckFailed(f"your result is not created on the input's device: with inputs on torch's 'meta' "
                              f"device (it stands in for a GPU) your code stopped, {text.splitlines()[0][len(name) + 3:]}"
                              f"\n{DEVICE_FIX}\nCase ({case.adds}): {name}({case.describe()})") from None
        raise
    if not isinstance(got, torch.Tensor) or got.device != expected.device or got.dtype != expected.dtype \
            or got.shape != expected.shape:
        raise CheckFailed(f"with inputs on torch's 'meta' device (it stands in for a GPU), `{name}` returned "
                          f"{_show(got)}; torch returns {_show(expected)}. {DEVICE_FIX}\n"
                          f"Case ({case.adds}): {name}({case.describe()})")


def explain(name, case, got, expected, mistakes, shape_hint="") -> str:
    where = f"\nSmallest failing case ({case.adds}): {name}({case.describe()})"
    for mistake in mistakes:
        wrong = mistake.compute(case)
        if wrong is not None and not same(wrong, expected) and same(got, wrong):
            return f"Looks like {mistake.name}: {mistake.explain}{where}"
    if isinstance(expected, int) and isinstance(got, float) and got == expected:
        return (f"`{name}` returned the float {got!r}; a size is an int: use floor division `//` "
                f"(`/` always gives a float).{where}")
    if isinstance(expected, torch.Tensor):
        problem = tensor_problem(name, got, expected)
        if problem is not None:
            extra = f" {shape_hint}" if shape_hint and problem.startswith("the result has shape") else ""
            return f"{problem}{extra}{where}"
    hint = f"\nThe cases before this one passed, so look at how your code handles {case.adds}." if case.adds else ""
    more = f" {case.hint}" if case.hint else ""
    return (f"`{name}` gives a wrong result.{hint}{more}{where}\n"
            f"expected {_values(expected)}\n     got {_values(got)}")


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """A float64 tensor of small integers (-3..3) as floats: easy to read in a failing case, exact in sums."""
    return torch.randint(-3, 4, shape, generator=generator).to(torch.float64)
