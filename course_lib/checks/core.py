"""Judging what a learner's function did, and explaining it: the engine every exercise check runs on.

A check (see `course_lib.checks.conv1d` for the first ones) lists its cases from the smallest up
(`course_lib.checks.cases`), a reference that computes the right answer with torch (`course_lib.checks.reference`),
and the mistakes learners make, each as a function that computes what the mistaken code would return
(`course_lib.checks.mistakes`). `run` computes the right answers first, then has the learner's function called on each
case in turn (`course_lib.checks.calls`, on private copies of the case's tensors); at the first case that fails it
raises `CheckFailed` with the name of the mistake whose output the learner's reproduces (or, when none does, with what
the failing case adds to the ones that passed and where the learner's values first differ from torch's), and the case
itself. When every case passes it prints one ✓ line.

Calling the learner's function and judging what it did (`judge`, `check_device`, `explain`) are separate: the call
writes down everything the verdict needs in an `Outcome`, and the verdict is reached from that alone, so the grader can
reach it outside the learner's process (course_lib.checks.record).

>>> cases = [Case("one number", (2,)), Case("a negative number", (-3,))]
>>> run(lambda n: n * n, "square", cases, lambda case: case.args[0] ** 2)
✓ square agrees with torch on 2 cases
>>> run(abs, "square", cases, lambda case: case.args[0] ** 2, [Mistake("abs", lambda case: abs(case.args[0]), "square it.")])
Traceback (most recent call last):
...
course_lib.checks.cases.CheckFailed: Looks like abs: square it.
Smallest failing case (one number): square(2)
"""
from __future__ import annotations

import contextlib
import functools
import io
from typing import Any, Callable, Sequence

import torch

from course_lib.checks.calls import COURSE_MODULES, NOT_RECORDED, fetch
from course_lib.checks.cases import Case, CheckFailed, Mistake, show
from course_lib.checks.record import Opaque, Outcome, Recording, Replay

ATOL = 1e-10  # float64 comparisons: the course's loops agree with torch to ~1e-15
RTOL = 1e-10


@functools.lru_cache(maxsize=1)
def prepare() -> None:
    """Run once, by the first check of a process (not on import: importing the checks changes nothing).

    - In Jupyter, a CheckFailed shows as its message alone: the explanation is the message, and the traceback through
      the checks' own code (25 lines) would only push it off the screen. Other exceptions keep IPython's traceback.
    - Torch's kernels for the 'meta' device (`check_device`'s stand-in for a GPU) import torch._dynamo on first use:
      about 2 s, more on a busy machine. It is paid here, once, before the first check's cases are timed by nothing
      but the cell's limit.

    >>> prepare()   # outside IPython: only the warm-up
    """
    _ = torch.empty(1, device="meta") + 1
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def show_briefly(shell, etype, value, tb, tb_offset=None):
        lines = [f"\x1b[0;31mCheckFailed\x1b[0m: {value}"]
        shell._showtraceback(etype, value, lines)  # IPython leaves the display to the handler (run_code ignores its result)
        return lines

    shell.set_custom_exc((CheckFailed,), show_briefly)



def not_written(name: str) -> CheckFailed:
    return CheckFailed(f"`{name}` is not written yet: replace `raise NotImplementedError()` in its cell with your "
                       f"code, run that cell, then run this check again.")


def ok(message: str) -> None:
    """The one line a passing check prints."""
    print(f"✓ {message}")


def check_callable(fn, name: str) -> None:
    if not callable(fn):
        raise CheckFailed(f"check expected your function `{name}`, got {show(fn)}: pass the function itself, "
                          f"e.g. check({name}), without calling it.")


# ---------------------------------------------------------------------------------------------------------------
# Judging an Outcome: from the Outcome and the case alone (the grader does this outside the learner's process)
# ---------------------------------------------------------------------------------------------------------------

def refused(name: str, case: Case, used: Sequence[str]) -> CheckFailed:
    if any(u.startswith("course_lib.") for u in used):
        why = (f"this task asks you to compute the result yourself. The course's own implementations (course_lib."
               f"{', '.join(COURSE_MODULES)}) are worked answers, refused here just like torch's functions")
    else:
        why = ("this task asks you to compute the result yourself (torch's function is only the reference the check "
               "compares with)")
    return CheckFailed(f"`{name}` calls {', '.join(used)}: {why}. Case: {name}({case.describe()}).")


def changed_in_place(name: str, case: Case, changed: Sequence[str]) -> CheckFailed:
    listed = " and ".join(f"`{c}`" for c in changed)
    first = changed[0]
    return CheckFailed(
        f"`{name}` changed its input{'s' if len(changed) > 1 else ''} {listed} in place: the caller's `{first}` is "
        f"not what it was before the call. Leave the inputs as they are: writing into `{first}` (`{first}[...] = …`, "
        f"`{first} += …`, `{first}.zero_()`, any method ending in `_`) changes the caller's tensor. Build the result "
        f"in a new tensor instead (`{first}.new_zeros(…)`, `F.pad({first}, …)` and `{first} + …` make one), or work "
        f"on `{first}.clone()`.\n"
        f"Case ({case.adds}): {name}({case.describe()})")


def judge(name: str, case: Case, outcome: Outcome):
    """The learner's result on `case`, or the CheckFailed its outcome deserves: a stub, a check the learner's code
    ran itself, a forbidden call, an input changed in place, a crash."""
    if outcome.error is not None:
        kind, message = outcome.error
        if kind == "NotImplementedError" and not message:
            raise not_written(name)
        if kind == "CheckFailed":
            raise CheckFailed(message)
    if outcome.used:
        raise refused(name, case, outcome.used)
    if outcome.changed:
        raise changed_in_place(name, case, outcome.changed)
    if outcome.error is not None:
        raise crashed(name, case, *outcome.error)
    return outcome.result



def crashed(name: str, case: Case, kind: str, message: str) -> CheckFailed:
    hint = f"\nHint: {case.hint}" if case.hint else ""
    return CheckFailed(f"`{name}` raised {kind}: {message}\n"
                       f"on the case that adds {case.adds}: {name}({case.describe()}).{hint}")


def _tolerances(dtype: torch.dtype, atol: float = ATOL, rtol: float = RTOL) -> tuple[float, float]:
    return (atol, rtol) if dtype == torch.float64 else (max(atol, 1e-5), max(rtol, 1e-5))


def same(got, expected, atol: float = ATOL, rtol: float = RTOL) -> bool:
    """Equal in type, shape and (to float64 precision; float32: 1e-5) value; ints and tuples compare exactly."""
    if isinstance(expected, torch.Tensor):
        atol, rtol = _tolerances(expected.dtype, atol, rtol)
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
    if isinstance(got, Opaque) and got.type_name.startswith("a tensor on device"):
        return (f"the result is {got.type_name[2:]}, the input on '{expected.device}'. Create new tensors on the "
                f"input's device: `x.new_zeros(shape)` or `torch.zeros(shape, dtype=x.dtype, device=x.device)`.")
    if not isinstance(got, torch.Tensor):
        return f"`{name}` returned {show(got)}; it should return a tensor."
    if got.device != expected.device:
        return (f"the result is on device '{got.device}', the input on '{expected.device}'. Create new tensors on the "
                f"input's device: `x.new_zeros(shape)` or `torch.zeros(shape, dtype=x.dtype, device=x.device)`.")
    if got.dtype != expected.dtype:
        return (f"the result has dtype {got.dtype}, the input {expected.dtype}. Create new tensors with the input's "
                f"dtype: `x.new_zeros(shape)` or `torch.zeros(shape, dtype=x.dtype, device=x.device)`.")
    if got.shape != expected.shape:
        return f"the result has shape {tuple(got.shape)}, torch's has {tuple(expected.shape)}."
    return None


def _kind(value) -> str:
    """What sort of answer `value` is, in words: 'an int', 'a tuple of 3 values', …"""
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return "an int"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} value{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return f"a dict with the keys {', '.join(repr(k) for k in value)}"
    return show(value)


def value_problem(name: str, got, expected) -> str | None:
    """What is wrong with a result that is not a tensor, apart from its value: its type, length or keys."""
    if isinstance(expected, int) and not isinstance(expected, bool):
        if isinstance(got, float) and got == expected:
            return (f"`{name}` returned the float {got!r}; a size is an int: use floor division `//` "
                    f"(`/` always gives a float).")
        if not isinstance(got, int) or isinstance(got, bool):
            return f"`{name}` returned {show(got)}; it should return an int."
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"`{name}` returned {show(got)}; it should return {_kind(expected)}."
        if len(got) != len(expected):
            return f"`{name}` returned {_kind(got)}; it should return {_kind(expected)}."
    if isinstance(expected, dict):
        if not isinstance(got, dict) or got.keys() != expected.keys():
            return f"`{name}` returned {_kind(got)}; it should return {_kind(expected)}."
    return None


def _format(values: Sequence[float], digits: int) -> list[str]:
    return [f"{v:.{digits}g}" if isinstance(v, float) else str(v) for v in values]


def first_difference(got: torch.Tensor, expected: torch.Tensor, context: int = 3, width: int = 10) -> str:
    """Where two tensors of one shape first differ (beyond the check's tolerance), with the values around it along
    the last axis, printed with enough digits to tell them apart.

    >>> print(first_difference(torch.tensor([[1., 2., 3.], [4., 5., 6.]]), torch.tensor([[1., 2., 3.], [4., 7., 6.]])))
    1 of 6 values differ; the first at [1, 1]. Along the last axis there, [1, 0:3]:
      torch: [4, 7, 6]
      yours: [4, 5, 6]
    """
    g, e = got.detach().cpu(), expected.detach().cpu()
    atol, rtol = _tolerances(expected.dtype)
    wrong = ~torch.isclose(g, e, atol=atol, rtol=rtol, equal_nan=True) if e.is_floating_point() or \
        e.is_complex() else g != e
    count = int(wrong.sum())
    if count == 0:
        return ""
    index = tuple(int(i) for i in wrong.nonzero()[0])
    if e.dim() == 0:
        e_row, g_row, start, stop, where = e.reshape(1), g.reshape(1), 0, 1, "[]"
        label = "the value"
    else:
        e_row, g_row = e[index[:-1]], g[index[:-1]]
        start = max(0, index[-1] - context)
        stop = min(e_row.numel(), start + width)
        where = f"[{', '.join(map(str, index))}]"
        label = f"[{', '.join(map(str, index[:-1]))}{', ' if len(index) > 1 else ''}{start}:{stop}]"
    e_vals, g_vals = e_row[start:stop].tolist(), g_row[start:stop].tolist()
    at = (index[-1] - start) if e.dim() else 0
    digits = 4
    while digits < 17 and _format([e_vals[at]], digits) == _format([g_vals[at]], digits):
        digits += 1
    e_text, g_text = _format(e_vals, digits), _format(g_vals, digits)
    widths = [max(len(a), len(b)) for a, b in zip(e_text, g_text)]
    more = "…" if stop < e_row.numel() else ""
    before = "…, " if start > 0 else ""

    def row(texts):
        return "[" + before + ", ".join(t.rjust(w) for t, w in zip(texts, widths)) + (", " + more if more else "") + "]"

    head = (f"{count} of {e.numel()} values differ; the first at {where}. Along the last axis there, {label}:"
            if e.dim() else f"{label} differs:")
    return f"{head}\n  torch: {row(e_text)}\n  yours: {row(g_text)}"


def run(fn, name: str, cases: Sequence[Case], reference: Callable[[Case], Any], mistakes: Sequence[Mistake] = (),
        forbidden: dict | None = None, success: str = "", shape_hint: str = "") -> None:
    """Check `fn` on every case (smallest first); raise CheckFailed at the first failure, print ✓ when all pass.

    `reference(case)` is the right answer (computed with torch), computed for every case before the learner's
    function runs (which gets private copies of the case's tensors). `forbidden`: the torch functions the task
    refuses; when it is not None (even empty) the course's own implementations are refused too. On a wrong answer the
    explanation is, in order: the first mistake whose output reproduces the learner's; a wrong type, device or dtype;
    a wrong shape (with `shape_hint`); otherwise what the failing case adds, with its hint, and where the values differ.
    """
    prepare()
    if isinstance(fn, Replay):
        if not fn.start(name):
            raise CheckFailed(f"`{name}` was not checked: {NOT_RECORDED}")
    else:
        check_callable(fn, name)
    expected = [reference(case) for case in cases]  # before the learner's function runs at all
    with Recording(name) as recording:
        for case, want in zip(cases, expected):
            outcome = fetch(fn, name, case, forbidden, recording)
            if case.device_only:
                check_device(name, case, outcome, want)
                continue
            got = judge(name, case, outcome)
            if same(got, want):
                continue
            raise CheckFailed(explain(name, case, got, want, mistakes, shape_hint))
    ok(success or f"{name} agrees with torch on {len(cases)} cases")


DEVICE_FIX = ("Create new tensors on the input's device and with its dtype: `x.new_zeros(shape)`, or "
              "`torch.zeros(shape, dtype=x.dtype, device=x.device)`; then your function also runs on a GPU.")
META = "with inputs on torch's 'meta' device (it stands in for a GPU)"
# What torch says when one operation gets tensors on two devices (the 'meta' input and a tensor made on the CPU)
MIXING_ERRORS = ("is not on the expected device", "Expected all tensors to be on the same device",
                 "expected to be in the same device", "found at least two devices")


def check_device(name: str, case: Case, outcome: Outcome, expected: torch.Tensor) -> None:
    """Judge the outcome of a case whose inputs are on the 'meta' device (shapes without data, so any machine can test
    device handling). It concludes only what the outcome shows:

    - the code combined the 'meta' inputs with a tensor it made on the CPU (`outcome.mixed`, or torch's error saying
      so), or returned a tensor on another device: its result is built on the CPU whatever the input's device;
    - it returned a tensor of the wrong dtype or shape.

    Code that reads values (`.tolist()`, `.item()`, `.cpu()`, numpy, `if t > 0`) cannot run on 'meta' at all; it is
    not judged here (the other cases checked its values).
    """
    where = f"\nCase ({case.adds}): {name}({case.describe()})"
    if outcome.error is not None and outcome.error[0] == "CheckFailed" or outcome.used or outcome.changed:
        judge(name, case, outcome)  # raises: the learner's own check failed, a forbidden call, an input changed
    if outcome.mixed:
        raise CheckFailed(f"your result is not created on the input's device: {META}, your code combined them with "
                          f"a tensor made on another device, in {outcome.mixed[0]}.\n{DEVICE_FIX}{where}")
    if outcome.error is not None:
        kind, message = outcome.error
        if any(text in message for text in MIXING_ERRORS):
            raise CheckFailed(f"your result is not created on the input's device: {META}, your code stopped, "
                              f"{kind}: {message.splitlines()[0] if message else ''}\n{DEVICE_FIX}{where}")
        return  # it reads values into Python (or uses an operation 'meta' lacks): nothing to conclude
    got = outcome.result
    if isinstance(got, torch.Tensor) and got.device != expected.device:
        raise CheckFailed(f"your result is not created on the input's device: {META}, `{name}` returned a tensor on "
                          f"'{got.device}'. {DEVICE_FIX}{where}")
    problem = tensor_problem(name, got, expected)
    if problem is not None:
        raise CheckFailed(f"{META}: {problem}{where}")


def explain(name, case, got, expected, mistakes, shape_hint="") -> str:
    where = f"\nSmallest failing case ({case.adds}): {name}({case.describe()})"
    for mistake in mistakes:
        try:
            wrong = mistake.compute(case)
        except RuntimeError:  # the mistaken code could not run on this case (e.g. a reshape of an empty batch)
            wrong = None
        if wrong is not None and not same(wrong, expected) and same(got, wrong):
            return f"Looks like {mistake.name}: {mistake.explain}{where}"
    if isinstance(expected, torch.Tensor):
        problem = tensor_problem(name, got, expected)
        if problem is not None:
            extra = f" {shape_hint}" if shape_hint and problem.startswith("the result has shape") else ""
            return f"{problem}{extra}{where}"
    else:
        problem = value_problem(name, got, expected)
        if problem is not None:
            return f"{problem}{where}"
    hint = f"\nThe cases before this one passed, so look at how your code handles {case.adds}." if case.adds else ""
    more = f" {case.hint}" if case.hint else ""
    if isinstance(expected, torch.Tensor):
        shown = first_difference(got, expected)
    else:
        shown = f"expected {expected!r}\n     got {got!r}"
    return f"`{name}` gives a wrong result.{hint}{more}{where}\n{shown}"



def blame_helper(fn, name: str, helper: str, check_helper, failure: CheckFailed) -> CheckFailed:
    """The failure to report for `fn`: when `fn` calls the learner's own `helper` (a function of an earlier task,
    found in `fn`'s globals) and that helper fails `check_helper`, say so (with the helper's diagnosis) instead,
    since fixing the helper comes first. Otherwise `failure` itself.

    >>> def half(n):
    ...     raise NotImplementedError()
    >>> def quarter(n):
    ...     return half(half(n))
    >>> def check_half(fn):
    ...     run(fn, "half", [Case("an even number", (4,))], lambda case: case.args[0] // 2)
    >>> print(blame_helper(quarter, "quarter", "half", check_half, CheckFailed("quarter is wrong")))
    `quarter` calls your `half`, which does not pass its own check yet: fix `half` first (run its check cell). Its check says:
    `half` is not written yet: replace `raise NotImplementedError()` in its cell with your code, run that cell, then run this check again.
    """
    if isinstance(fn, Replay):  # grading: the sandbox recorded the helper's check right after this one, if it ran
        found = fn if fn.next_run_is(helper) else None
    else:
        found = getattr(fn, "__globals__", {}).get(helper)
        code = getattr(fn, "__code__", None)
        if code is None or helper not in code.co_names:
            found = None
    if found is None:
        return failure
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check_helper(found)
    except CheckFailed as helper_failure:
        return CheckFailed(f"`{name}` calls your `{helper}`, which does not pass its own check yet: fix `{helper}` "
                           f"first (run its check cell). Its check says:\n{helper_failure}")
    return failure
