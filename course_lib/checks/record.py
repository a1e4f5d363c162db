"""What a learner's function did, written down in the grading sandbox and read back by the grader outside it.

A check calls the learner's function once per case. Each call's `Outcome` (the result or the exception, the forbidden
functions it used, the arguments it changed in place) is all the check needs to reach its verdict. In JupyterLab the
check judges the outcomes at once, in the learner's process. When grading, the same check runs in the sandbox with
`COURSE_CHECKS_RECORD` naming a file: each `run` of a check appends one line of JSON to it, with its outcomes. The
grader then runs the same check again in its own process on a `Replay` of those lines, so the verdict, the score and
the message are computed by code the submission never ran in: patching the checks, torch or builtins from a solution
cell changes what the sandbox wrote, never how it is judged.

The file is written by untrusted code, so it is read as plain JSON (no pickle) and every value is rebuilt from its
parts: tensors from their dtype, shape and raw bytes; anything that is not a tensor, number, string, None, tuple, list
or dict comes back as an `Opaque` value that equals nothing.

>>> outcome = Outcome(result=(torch.ones(2, dtype=torch.float64), 3, {"full": 4}))
>>> back = decode_outcome(json.loads(json.dumps(encode_outcome(outcome))))
>>> back.result[0].dtype, back.result[1], back.result[2]
(torch.float64, 3, {'full': 4})
"""
from __future__ import annotations

import base64
import dataclasses
import json
import numbers
import os
import stat
from typing import Any

import torch

RECORD_ENV = "COURSE_CHECKS_RECORD"
"""The environment variable that names the record file: set by the grader's sandbox, unset in JupyterLab."""

MAX_TENSOR_BYTES = 16 * 2**20  # a check's cases are small; a bigger result is recorded as too large
MAX_TEXT = 2000  # characters kept of an error message or a repr

DTYPES = {str(d).replace("torch.", ""): d for d in (
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.complex128, torch.complex64,
    torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool)}


@dataclasses.dataclass
class Outcome:
    """One call of the learner's function: what it returned (`result`) or raised (`error`: the exception's type name
    and message), which forbidden functions it called (`used`), which arguments it changed in place (`changed`) and
    which torch functions got tensors on two devices at once (`mixed`, e.g. 'torch.Tensor.add (cpu and meta)')."""
    result: Any = None
    error: tuple[str, str] | None = None
    used: list[str] = dataclasses.field(default_factory=list)
    changed: list[str] = dataclasses.field(default_factory=list)
    mixed: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Opaque:
    """A value that was neither a tensor nor a plain Python value (a numpy array, a generator, …): it is shown by its
    type and repr, and equals nothing."""
    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"{self.type_name} {self.text}" if self.text else self.type_name

    def __eq__(self, other) -> bool:
        return False

    __hash__ = None


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able description of `value`: tensors by dtype, shape, device and bytes; plain values tagged by type."""
    if isinstance(value, torch.Tensor):
        try:
            return _encode_tensor(value)
        except Exception:  # noqa: BLE001 - a tensor that cannot be read (a learner's subclass, …) is described
            return {"opaque": f"a tensor of type {_type_name(value)} that could not be read", "text": ""}
    if value is None or type(value) in (bool, str):
        return {"plain": value}
    if type(value) is int or isinstance(value, numbers.Integral) and not isinstance(value, bool):  # numpy ints too
        return {"int": str(int(value))}  # JSON numbers lose big ints in other readers; a string does not
    if type(value) is float or isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy floats too
        return {"float": repr(float(value))}
    if depth < 8 and type(value) in (tuple, list) or isinstance(value, torch.Size):
        kind = "list" if type(value) is list else "tuple"
        return {kind: [encode(v, depth + 1) for v in value]}
    if depth < 8 and type(value) is dict and all(type(k) is str for k in value):
        return {"dict": {k: encode(v, depth + 1) for k, v in value.items()}}
    return {"opaque": _type_name(value), "text": _repr(value)}


def decode(data: Any) -> Any:
    """The value `encode` described; anything malformed comes back as an `Opaque`."""
    try:
        return _decode(data)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError):
        return Opaque("an unreadable record", "")


def _decode(data: dict) -> Any:
    if "plain" in data:
        value = data["plain"]
        if value is None or type(value) in (bool, str):
            return value
        raise ValueError("not a plain value")
    if "int" in data:
        return int(data["int"])
    if "float" in data:
        return float(data["float"])
    if "tuple" in data:
        return tuple(_decode(v) for v in data["tuple"])
    if "list" in data:
        return [_decode(v) for v in data["list"]]
    if "dict" in data:
        return {str(k): _decode(v) for k, v in data["dict"].items()}
    if "tensor" in data:
        return _decode_tensor(data["tensor"])
    if "opaque" in data:
        return Opaque(str(data["opaque"])[:200], str(data.get("text", ""))[:MAX_TEXT])
    raise ValueError("unknown record")


def _encode_tensor(t: torch.Tensor) -> dict:
    dtype = str(t.dtype).replace("torch.", "")
    described = {"dtype": dtype, "shape": list(t.shape), "device": t.device.type}
    if t.device.type == "meta":
        return {"tensor": described}
    if dtype not in DTYPES:
        return {"opaque": f"a tensor of dtype {dtype}", "text": ""}
    if t.numel() * t.element_size() > MAX_TENSOR_BYTES:
        return {"opaque": f"a tensor of shape {tuple(t.shape)} (too large to record)", "text": ""}
    data = torch.Tensor.contiguous(torch.Tensor.cpu(torch.Tensor.detach(t)))
    raw = data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b""  # reshape: 0-dim too
    return {"tensor": {**described, "data": base64.b64encode(raw).decode("ascii")}}


def _decode_tensor(data: dict) -> torch.Tensor:
    dtype, shape = DTYPES[data["dtype"]], [int(s) for s in data["shape"]]
    if data["device"] == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    raw = bytearray(base64.b64decode(data["data"]))
    flat = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
    out = flat.view(dtype).reshape(shape) if raw else torch.empty(shape, dtype=dtype)
    if data["device"] != "cpu":  # the checks' cases are on the CPU or 'meta'; a result elsewhere is described only
        return Opaque(f"a tensor on device '{data['device']}'", f"of shape {tuple(out.shape)}")
    return out


def _type_name(value) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    return f"{module}.{kind.__qualname__}" if module not in ("builtins", "") else kind.__qualname__


def _repr(value) -> str:
    try:
        return repr(value)[:MAX_TEXT]
    except Exception:  # noqa: BLE001 - a learner's object whose repr fails is still described by its type
        return ""


def encode_outcome(outcome: Outcome) -> dict:
    error = None if outcome.error is None else [str(outcome.error[0])[:200], str(outcome.error[1])[:MAX_TEXT]]
    return {"result": encode(outcome.result), "error": error, "used": [str(u) for u in outcome.used],
            "changed": [str(c) for c in outcome.changed], "mixed": [str(m) for m in outcome.mixed]}


def decode_outcome(data: dict) -> Outcome:
    try:
        error = data.get("error")
        error = None if error is None else (str(error[0])[:200], str(error[1])[:MAX_TEXT])
        return Outcome(result=decode(data.get("result", {"plain": None})), error=error,
                       used=[str(u) for u in data.get("used", [])][:20],
                       changed=[str(c) for c in data.get("changed", [])][:20],
                       mixed=[str(m) for m in data.get("mixed", [])][:20])
    except (TypeError, IndexError, AttributeError, KeyError):
        return Outcome(error=("an unreadable record", ""))


# ---------------------------------------------------------------------------------------------------------------
# In the sandbox: write each run of a check as one line
# ---------------------------------------------------------------------------------------------------------------

class Recording:
    """The outcomes of one `run` of a check, written as one JSON line when the run ends (passed or failed).

    Outside grading (`COURSE_CHECKS_RECORD` unset) nothing is written.
    """

    def __init__(self, name: str):
        self.name = name
        self.outcomes: list[Outcome] = []
        self.path = os.environ.get(RECORD_ENV)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, *exc) -> None:
        if not self.path:
            return
        line = json.dumps({"check": self.name, "outcomes": [encode_outcome(o) for o in self.outcomes]})
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


# ---------------------------------------------------------------------------------------------------------------
# In the grader: give a check the recorded outcomes instead of calling the learner's function
# ---------------------------------------------------------------------------------------------------------------

class Replay:
    """The learner's function as the sandbox recorded it: a check given a `Replay` takes each case's outcome from the
    record instead of calling anything. `runs` are the record's lines for one test cell, in the order written."""

    def __init__(self, runs: list[dict]):
        self.runs = list(runs)
        self.current: list[Outcome] | None = None

    def __call__(self, *args, **kwargs):
        raise TypeError("a Replay is read by the checks, not called")

    def start(self, name: str) -> bool:
        """Begin the next recorded run of the check of `name`; False when the record has none."""
        while self.runs:
            run = self.runs.pop(0)
            if isinstance(run, dict) and run.get("check") == name and isinstance(run.get("outcomes"), list):
                self.current = [decode_outcome(o) if isinstance(o, dict) else Outcome(error=("an unreadable record", ""))
                                for o in run["outcomes"]]
                return True
        self.current = None
        return False

    def next_outcome(self) -> Outcome | None:
        """The next call's outcome, or None when the sandbox recorded no more (the run stopped early there)."""
        if not self.current:
            return None
        return self.current.pop(0)

    def next_run_is(self, name: str) -> bool:
        return bool(self.runs) and isinstance(self.runs[0], dict) and self.runs[0].get("check") == name


MAX_RECORD = 64 * 2**20  # bytes of a record read at once


def read_record(path, offset: int = 0) -> list[dict]:
    """The lines of a record file from byte `offset` on that parse as JSON objects (others are skipped)."""
    return read_from(path, offset)[0]


def read_from(path, offset: int = 0) -> tuple[list[dict], int]:
    """The JSON objects written to the record file since byte `offset`, and the offset after them. The file is
    written by untrusted code: it is opened without following a link, only a regular file is read, at most
    MAX_RECORD bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return [], offset
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size < offset:
            return [], offset
        f.seek(offset)
        data = f.read(MAX_RECORD)
    runs = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            runs.append(value)
    return runs, offset + len(data)
