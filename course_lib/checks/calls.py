"""Calling the learner's function: everything that needs it to run happens here, and is written into an `Outcome`
(course_lib.checks.record) that `course_lib.checks.core` judges.

`invoke` calls the function on private copies of a case's arguments and writes down the result or the exception,
the forbidden functions it called, the inputs it changed in place and the devices it mixed. While it runs,
`TorchCalls` records the torch functions it calls, so a task that asks for loops can refuse a solution that calls
`F.conv2d` (or `F.unfold`, `F.interpolate`, …) instead; `CourseCalls` does the same for the course's own
implementations (`course_lib.naive.conv1d`, …). When grading, `fetch` reads the Outcome the sandbox recorded instead.

>>> outcome = invoke(lambda x: F.conv1d(x, x), Case("a case", (torch.ones(1, 1, 3),)), forbidden=CONVOLUTIONS)
>>> outcome.result.tolist(), outcome.used
([[[3.0]]], ['F.conv1d (torch.conv1d)'])
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import os
import sys

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode, resolve_name

from course_lib.checks.cases import Case, CheckFailed
from course_lib.checks.record import Outcome, Recording, Replay, decode_outcome, encode_outcome


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
COURSE_MODULES = ("naive", "vectorised", "fourier", "winograd", "upsample", "shuffle_unpool", "separable", "video",
                  "matrix", "layers")


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
