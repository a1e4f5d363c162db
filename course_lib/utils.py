"""The leaf of the library: small argument checks and the names of tensor layouts.

Every other module may import this one; it imports nothing from ``course_lib``
(as ``torch.nn.modules.utils`` holds ``_single``, ``_pair`` and ``_triple`` for
every layer). Each check raises ``TypeError`` for a wrong type and
``ValueError`` for a wrong value, with a message that names the parameter,
what was given and what would fix it.

>>> as_tuple("stride", 2, 3)
(2, 2, 2)
>>> layout(2), layout(3, batched=False)
('(N, C, H, W)', '(C, D, H, W)')
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

# ----------------------------------------------------------------------------
# Layout names, used in messages and docstrings.
# ----------------------------------------------------------------------------


def spatial_names(n: int) -> tuple[str, ...]:
    """Names of ``n`` spatial axes: L; H, W; D, H, W; then S1, ..., Sn.

    >>> spatial_names(1), spatial_names(4)
    (('L',), ('S1', 'S2', 'S3', 'S4'))
    """
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(n, tuple(f"S{i + 1}" for i in range(n)))


def layout(n: int, batched: bool = True) -> str:
    """The input layout of an ``n``-d convolution, e.g. ``'(N, C, H, W)'``."""
    axes = (("N",) if batched else ()) + ("C",) + spatial_names(n)
    return "(" + ", ".join(axes) + ")"


def shape_of(t: torch.Tensor) -> tuple[int, ...]:
    """``t.shape`` as a plain tuple, which prints as ``(2, 3)`` rather than ``torch.Size([2, 3])``."""
    return tuple(t.shape)


# ----------------------------------------------------------------------------
# Small checks.
# ----------------------------------------------------------------------------


def check_tensor(name: str, value) -> torch.Tensor:
    """Raise ``TypeError`` unless ``value`` is a ``torch.Tensor``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}. "
            f"Convert it first, e.g. torch.as_tensor({name}, dtype=torch.float32)."
        )
    return value


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as an int; ``TypeError`` if it is not one, ``ValueError`` if below ``minimum``.

    >>> check_int("groups", 0, minimum=1)
    Traceback (most recent call last):
        ...
    ValueError: groups must be >= 1, got 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__}).")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return value


def as_tuple(name: str, value, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """Normalise an int or a length-``n`` sequence of ints to an ``n``-tuple.

    A sequence of the wrong length whose values are also out of range gets one
    message that names both problems.

    >>> as_tuple("stride", 2, 3)
    (2, 2, 2)
    >>> as_tuple("dilation", (-1,), 2, minimum=1)
    Traceback (most recent call last):
        ...
    ValueError: dilation needs one value per spatial axis (2 here), got 1: (-1,); and every value must be positive, got -1. Pass a single positive int or a tuple of 2 positive ints.
    """
    what = "positive" if minimum == 1 else f">= {minimum}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list, torch.Size)):
        values = tuple(check_int(f"{name}[{i}]", v) for i, v in enumerate(value))
        if len(values) != n:
            bad = [v for v in values if minimum is not None and v < minimum]
            also = f"; and every value must be {what}, got {', '.join(map(str, bad))}" if bad else ""
            kind = f"{what} " if minimum is not None else ""
            raise ValueError(
                f"{name} needs one value per spatial axis ({n} here), got {len(values)}: {values}{also}. "
                f"Pass a single {kind}int or a tuple of {n} {kind}ints."
            )
    else:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r} ({type(value).__name__}).")
    if minimum is not None and any(v < minimum for v in values):
        raise ValueError(f"{name} must be {what} on every axis, got {value!r}.")
    return values


def check_choice(name: str, value, choices) -> str:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    >>> check_choice("padding_mode", "mirror", ("zeros", "reflect"))
    Traceback (most recent call last):
        ...
    ValueError: padding_mode must be one of 'zeros', 'reflect'; got 'mirror'.
    """
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")
    return value


def agree(ours, reference, tol=1e-12, name=None):
    """True when two tensors have the same shape and differ by less than ``tol`` everywhere.

    The lessons' one-word verdict on "does our function give torch's result?".
    With ``name``, it prints one line instead, ``name`` padded to 52 characters
    and then ``max |diff| < tol: True`` (or ``False``), and returns ``None``
    (lesson 07 lines up its four views of the transposed convolution this way).

    >>> agree(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-15], dtype=torch.float64))
    True
    >>> agree(torch.zeros(2), torch.zeros(3))   # not the same shape
    False
    >>> agree(torch.ones(2), torch.ones(2) + 1e-3, tol=1e-2, name="nearly ones")
    nearly ones                                          max |diff| < 0.01: True
    """
    same = ours.shape == reference.shape and (ours - reference).abs().max().item() < tol
    if name is None:
        return same
    print(f"{name:<52} max |diff| < {tol:g}: {same}")
    return None


# ----------------------------------------------------------------------------
# Tensors as JSON (a widget's spec, course_lib.offline).
# ----------------------------------------------------------------------------

EXACT_ELEMENTS = 4096
"""Tensors up to this many elements keep float64 in :func:`tensor_to_json`; larger ones are stored as float32."""


def tensor_to_json(tensor: torch.Tensor) -> dict:
    """A real tensor as a JSON-able dict: its shape, dtype and zlib-compressed little-endian bytes in
    base64. Up to :data:`EXACT_ELEMENTS` elements it is stored as float64 (exact); a larger one as
    float32.

    >>> spec = tensor_to_json(torch.tensor([[1.0, 2.5]]))
    >>> spec["shape"], spec["dtype"]
    ([1, 2], 'float64')
    >>> tensor_from_json(spec)
    tensor([[1.0000, 2.5000]], dtype=torch.float64)
    """
    import base64
    import zlib

    check_tensor("tensor", tensor)
    dtype = torch.float64 if tensor.numel() <= EXACT_ELEMENTS else torch.float32
    values = tensor.detach().cpu().to(dtype).contiguous().numpy().astype(f"<f{dtype.itemsize}")
    packed = base64.b64encode(zlib.compress(values.tobytes(), 6)).decode("ascii")
    return {"shape": list(tensor.shape), "dtype": str(dtype).removeprefix("torch."), "zlib_base64": packed}


def tensor_from_json(spec: dict) -> torch.Tensor:
    """The tensor that :func:`tensor_to_json` stored (float64 or float32, as stored)."""
    import base64
    import zlib

    import numpy as np

    if not isinstance(spec, dict) or not {"shape", "dtype", "zlib_base64"} <= spec.keys():
        raise ValueError(f"spec must be a dict from tensor_to_json with shape, dtype and zlib_base64; got {spec!r:.80}.")
    dtype = check_choice("spec['dtype']", spec["dtype"], ("float64", "float32"))
    values = np.frombuffer(zlib.decompress(base64.b64decode(spec["zlib_base64"])), dtype=f"<f{8 if dtype == 'float64' else 4}")
    return torch.from_numpy(values.copy()).reshape(spec["shape"])


# ----------------------------------------------------------------------------
# Numbers as the pictures and tables write them.
# ----------------------------------------------------------------------------


def as_array(values) -> np.ndarray:
    """A float64 numpy copy of a tensor, array or nested list (any shape).

    >>> as_array(torch.tensor([[1, 2]]))
    array([[1., 2.]])
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().to(torch.float64).numpy()
    return np.array(values, dtype=np.float64)


def format_number(value: float, digits: int = 3) -> str:
    """Short text for a cell or a term: ``2``, ``-0.5``, ``0.333``, ``1.2e+03``.

    >>> [format_number(v) for v in (2.0, -0.0, -0.5, 1 / 3, 1234.5)]
    ['2', '0', '-0.5', '0.333', '1.23e+03']
    """
    value = float(value)
    if value == 0:
        return "0"  # no "-0"
    if value == round(value) and abs(value) < 10**digits:
        return str(int(round(value)))
    return f"{value:.{digits}g}"


def format_seconds(seconds: float) -> str:
    """A duration with its unit, for tables and time axes.

    >>> format_seconds(0.002), format_seconds(1.5), format_seconds(3.2e-5)
    ('2 ms', '1.5 s', '32 µs')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale * 0.999:
            return f"{format_number(seconds / scale)} {unit}"
    return f"{format_number(seconds / 1e-9)} ns"
