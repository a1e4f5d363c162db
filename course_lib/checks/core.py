"""The machinery behind every exercise check: run a learner's function on a battery of cases, compare with torch,
and name the likely mistake.

A check (see `course_lib.checks.conv1d` for the first ones) lists its cases from the smallest up, a reference
that computes the right answer with torch, and the mistakes learners make, each as a function that computes what the
mistaken code would return. `run` computes the right answers first, then calls the learner's function on each case in
turn (on private copies of the case's tensors); at the first case that fails it raises `CheckFailed` with the name of
the mistake whose output the learner's reproduces (or, when none does, with what the failing case adds to the ones that
passed and where the learner's values first differ from torch's), and the case itself. When every case passes it prints
one ✓ line.

Calling the learner's function (`invoke`) and judging what it did (`judge`, `check_device`, `explain`) are separate:
`invoke` writes down everything the verdict needs in an `Outcome` (the result or the exception, the forbidden functions
it called, the inputs it changed in place, the devices it mixed), and the verdict is reached from that alone, so the
grader can reach it outside the learner's process (course_lib.checks.record).

While the learner's function runs, `TorchCalls` records the torch functions it calls, so a task that asks for loops can
refuse a solution that calls `F.conv2d` (or `F.unfold`, `F.interpolate`, …) instead; `CourseCalls` does the same for
the course's own implementations (`course_lib.naive.conv1d`, …).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import inspect
import os
import sys
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode, resolve_name

from course_lib.checks.record import Opaque, Outcome, Recording, Replay, decode_outcome, encode_outcome

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
    if isinstance(value, Opaque):
        text = repr(value)
        return text if len(text) <= 80 else text[:79] + "…"
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

# The course's own implementations: a task that refuses torch's functions (its `forbidden` is not None) refuses these
# too, since `conv1d_loops = course_lib.naive.conv1d` would hand in the course's answer instead of the learner's.
COURSE_MODULES = ("naive", "vectorised", "fourier", "winograd", "upsample", "separable", "matrix", "layers")


class TorchCalls(TorchFunctionMode):
    """Records which of the `forbidden` torch functions are called inside the `with` block, and (with
    `devices=True`) the torch functions that got tensors on two devices at once (`mixed`).

    >>> with TorchCalls(CONVOLUTIONS) as calls:
    ...     _ = F.conv1d(torch.ones(1, 1, 3), torch.ones(1, 1, 2))
    >>> calls.used
    ['F.conv1d (torch.conv1d)']
    >>> with TorchCalls({}, devices=True) as calls:
    ...     out = torch.zeros(2, 3)
    ...     out += torch.empty(2, 3, device="meta")   # a CPU result built from a 'meta' input
    >>> calls.mixed
    ['torch.Tensor.add_ (cpu and meta)']
    """

    def __init__(self, forbidden: dict, devices: bool = False):
        super().__init__()
        self.forbidden = forbidden
        self.devices = devices
        self.used: list[str] = []
        self.mixed: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = self.forbidden.get(func)
        if name is not None and name not in self.used:
            self.used.append(name)
        if self.devices:
            mixed = _mixed_devices(func, args, kwargs)
            if mixed is not None and mixed not in self.mixed:
                self.mixed.append(mixed)
        return func(*args, **kwargs)


def _mixed_devices(func, args, kwargs) -> str | None:
    """'name (cpu and meta)' when `func` got tensors on two devices; None otherwise. A 0-dim CPU tensor mixes with any
    device (torch allows it), and so does the index of `t[index]` (a CPU index may index a GPU tensor)."""
    if getattr(func, "__name__", "") in ("__getitem__", "__setitem__"):
        args = (args[0],) + tuple(args[2:])
    devices = set()

    def visit(value, depth=0):
        if isinstance(value, torch.Tensor):
            if not (value.device.type == "cpu" and value.dim() == 0):
                devices.add(value.device.type)
        elif isinstance(value, (list, tuple)) and depth < 3:
            for item in value:
                visit(item, depth + 1)
        elif isinstance(value, dict) and depth < 3:
            for item in value.values():
                visit(item, depth + 1)

    visit(args)
    visit(kwargs)
    if len(devices) < 2:
        return None
    try:
        where = resolve_name(func) or getattr(func, "__name__", repr(func))
    except Exception:  # noqa: BLE001 - a name is only for the message
        where = getattr(func, "__name__", "a torch function")
    return f"{where} ({' and '.join(sorted(devices))})"


@functools.lru_cache(maxsize=1)
def _course_files() -> dict[str, str]:
    """{source file: module name} of the course's implementations (found without importing them)."""
    files = {}
    for module in COURSE_MODULES:
        spec = importlib.util.find_spec(f"course_lib.{module}")
        if spec is not None and spec.origin:
            files[spec.origin] = module
            files[os.path.realpath(spec.origin)] = module
    return files


class CourseCalls:
    """Records the calls the `with` block makes into the course's own implementations (`COURSE_MODULES`): the
    outermost call of each, as 'course_lib.naive.conv1d'. A profile hook (`sys.setprofile`) sees every Python call;
    the hook in place before is put back at the end.

    >>> from course_lib import naive
    >>> with CourseCalls() as calls:
    ...     _ = naive.conv1d(torch.ones(1, 1, 3), torch.ones(1, 1, 2))
    >>> calls.used
    ['course_lib.naive.conv1d']
    """

    def __init__(self):
        self.used: list[str] = []
        self._previous = None

    def __enter__(self) -> "CourseCalls":
        files, used = _course_files(), self.used

        def profile(frame, event, arg):
            if event != "call":
                return
            code = frame.f_code
            module = files.get(code.co_filename)
            if module is None or code.co_name == "<module>":
                return
            caller = frame.f_back
            if caller is not None and caller.f_code.co_filename in files:
                return  # a call inside the course's code: the outermost one is already recorded
            qualname = getattr(code, "co_qualname", code.co_name)
            if "." in qualname and "self" in frame.f_locals:  # a method is named by the instance's class: an
                qualname = f"{type(frame.f_locals['self']).__name__}.{code.co_name}"  # inherited one too
            name = f"course_lib.{module}.{qualname.removesuffix('.__init__')}"
            if name not in used:
                used.append(name)

        self._previous = sys.getprofile()
        sys.setprofile(profile)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(self._previous)


_COURSE_ALLOWED = [False]


@contextlib.contextmanager
def allowing_course_lib():
    """Inside this block the checks accept the course's own implementations: the library's examples check
    `course_lib.naive.conv1d` and friends this way. An exercise refuses them (its task is to write them)."""
    before = _COURSE_ALLOWED[0]
    _COURSE_ALLOWED[0] = True
    try:
        yield
    finally:
        _COURSE_ALLOWED[0] = before


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


# ---------------------------------------------------------------------------------------------------------------
# Calling the learner's function: everything that needs it to run happens here, and is written into an Outcome
# ---------------------------------------------------------------------------------------------------------------

def _private(value, depth: int = 0):
    """A copy of a case's argument for the learner's function: tensors cloned ('meta' ones too), lists, tuples and
    dicts copied; other values (ints, strings, dtypes) are immutable and shared."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if depth < 4 and isinstance(value, (list, tuple)):
        return type(value)(_private(v, depth + 1) for v in value)
    if depth < 4 and isinstance(value, dict):
        return {k: _private(v, depth + 1) for k, v in value.items()}
    return value


def _layout(value, depth: int = 0):
    """What an in-place change can alter besides a tensor's values: shape, strides, offset and dtype, nested."""
    if isinstance(value, torch.Tensor):
        return (tuple(value.shape), value.stride(), value.storage_offset(), value.dtype)
    if depth < 4 and isinstance(value, (list, tuple)):
        return [_layout(v, depth + 1) for v in value]
    if depth < 4 and isinstance(value, dict):
        return {k: _layout(v, depth + 1) for k, v in value.items()}
    return None


def _differs(original, copy, layout, depth: int = 0) -> bool:
    """Whether the learner's function changed its private `copy` of `original` (whose layout before the call was
    `layout`): another layout, other values ('meta' tensors have no values), another length or other items."""
    if isinstance(original, torch.Tensor):
        if not isinstance(copy, torch.Tensor) or _layout(copy) != layout:
            return True
        return original.device.type != "meta" and not torch.equal(copy.detach(), original)
    if depth < 4 and isinstance(original, (list, tuple)):
        return (type(copy) is not type(original) or len(copy) != len(original)
                or any(_differs(o, c, lay, depth + 1) for o, c, lay in zip(original, copy, layout)))
    if depth < 4 and isinstance(original, dict):
        return (not isinstance(copy, dict) or copy.keys() != original.keys()
                or any(_differs(original[k], copy[k], layout[k], depth + 1) for k in original))
    try:
        return copy is not original and bool(copy != original)  # an item of a list replaced
    except Exception:  # noqa: BLE001 - a value that cannot be compared was put there by the learner's code
        return True


def _argument_names(fn, n_args: int, keywords) -> list[str]:
    """The names of the learner's parameters the case's arguments go to (`x`, `weight`, …), or `argument 3`."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = [p.name for p in parameters
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    names = [positional[i] if i < len(positional) else f"argument {i + 1}" for i in range(n_args)]
    return names + list(keywords)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - an exception whose str() fails is still reported by its type
        return ""


def invoke(fn, case: Case, forbidden: dict | None = None) -> Outcome:
    """Call the learner's function on private copies of `case`'s arguments and write down what happened: the result
    or the exception, the forbidden functions it called (torch's `forbidden` ones and, when `forbidden` is not None,
    the course's own implementations), the arguments it changed in place, and the torch functions that got tensors
    on two devices. Nothing is judged here (see `judge`).

    The Outcome comes back as the grader would read it from a record (`record.encode_outcome` then `decode_outcome`),
    so the checks judge the same values in JupyterLab and when grading.
    """
    args, kwargs = _private(case.args), _private(case.kwargs)
    layouts = _layout((args, kwargs))
    on_devices = any(isinstance(t, torch.Tensor) and t.device.type != "cpu" for t in (*args, *kwargs.values()))
    refuse_course = forbidden is not None and not _COURSE_ALLOWED[0]
    result, error = None, None
    with TorchCalls(forbidden or {}, devices=on_devices) as calls, \
            (CourseCalls() if refuse_course else contextlib.nullcontext()) as course:
        try:
            result = fn(*args, **kwargs)
        except CheckFailed as failure:  # the learner's function ran a check itself
            error = ("CheckFailed", _text(failure))
        except Exception as failure:  # noqa: BLE001 - any crash of the learner's code is reported, with the case
            error = (type(failure).__name__, _text(failure))
    names = _argument_names(fn, len(args), kwargs)
    originals, copies = (*case.args, *case.kwargs.values()), (*args, *kwargs.values())
    all_layouts = (*layouts[0], *layouts[1].values())
    changed = [name for name, original, copy, layout in zip(names, originals, copies, all_layouts)
               if _differs(original, copy, layout)]
    used = (course.used if course is not None else []) + calls.used
    outcome = Outcome(result=result, error=error, used=used, changed=changed, mixed=calls.mixed)
    return decode_outcome(encode_outcome(outcome))


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


NOT_RECORDED = ("the grader has no record of your function's result on this case: the check stopped before it "
                "(the cell ran out of time, or the kernel stopped), or the cell changed how the checks run.")


def fetch(fn, name: str, case: Case, forbidden: dict | None = None, recording: Recording | None = None) -> Outcome:
    """The Outcome of the learner's function on `case`: calling it (`invoke`), or, for a `Replay`, reading what the
    sandbox recorded. Added to `recording`."""
    if isinstance(fn, Replay):
        outcome = fn.next_outcome()
        if outcome is None:
            raise CheckFailed(f"`{name}`: {NOT_RECORDED}\nCase ({case.adds}): {name}({case.describe()})")
    else:
        outcome = invoke(fn, case, forbidden)
    if recording is not None:
        recording.add(outcome)
    return outcome


def call(fn, name: str, case: Case, forbidden: dict | None = None, recording: Recording | None = None):
    """Call the learner's function on `case` (or, for a `Replay`, read what the sandbox recorded) and judge it."""
    return judge(name, case, fetch(fn, name, case, forbidden, recording))


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
    return _show(value)


def value_problem(name: str, got, expected) -> str | None:
    """What is wrong with a result that is not a tensor, apart from its value: its type, length or keys."""
    if isinstance(expected, int) and not isinstance(expected, bool):
        if isinstance(got, float) and got == expected:
            return (f"`{name}` returned the float {got!r}; a size is an int: use floor division `//` "
                    f"(`/` always gives a float).")
        if not isinstance(got, int) or isinstance(got, bool):
            return f"`{name}` returned {_show(got)}; it should return an int."
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"`{name}` returned {_show(got)}; it should return {_kind(expected)}."
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
        wrong = mistake.compute(case)
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


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """A float64 tensor of small integers (-3..3) as floats: easy to read in a failing case, exact in sums."""
    return torch.randint(-3, 4, shape, generator=generator).to(torch.float64)
