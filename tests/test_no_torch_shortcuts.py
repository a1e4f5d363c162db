"""The course builds its operations; it never calls torch's own (docs/design.md, the library's contract).

Every implementation in conftest's IMPLEMENTATIONS, the upsampling module (every interpolate mode, pixel shuffle and
unshuffle, max-unpooling) and the layers (all six, forward and backward) run under a guard that records any call of
torch's convolution, im2col/col2im (``F.unfold``/``F.fold``), interpolation or pixel-shuffle functions, at two levels:
the Python functions (a TorchFunctionMode: ``F.conv2d``, ``torch.convolution``, ``F.interpolate``, ...) and the
ATen operators they reach (a TorchDispatchMode: ``aten.convolution``, ``aten.im2col``, ``aten.upsample_*``, ...), so a
shortcut is caught however it is spelt, in forward or in backward. ``Tensor.unfold``, the sliding-window view the
course teaches, is allowed. The last tests plant shortcuts and show the guard catches each one.
"""
import contextlib
import re

import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode, resolve_name
from torch.utils._python_dispatch import TorchDispatchMode

from conftest import IMPLEMENTATIONS
from course_lib import layers, upsample

# conv1d, conv_transpose2d, convolution, _convolution, conv_tbc, mkldnn_convolution, slow_conv3d, ... but not "convert";
# im2col and col2im (what F.unfold and F.fold call); upsample_*, interpolate, grid_sample(r); pixel_(un)shuffle;
# max_unpool*.
FORBIDDEN = re.compile(r"conv(?!ert)|im2col|col2im|interpolate|upsample|grid_sample|pixel_(un)?shuffle|max_unpool")
FORBIDDEN_FUNCTIONS = {"torch.nn.functional.unfold", "torch.nn.functional.fold"}  # Tensor.unfold (a view) is fine


def forbidden_function(func) -> str | None:
    name = resolve_name(func) or getattr(func, "__qualname__", repr(func))
    return name if name in FORBIDDEN_FUNCTIONS or FORBIDDEN.search(name.rsplit(".", 1)[-1]) else None


class FunctionGuard(TorchFunctionMode):
    """Records every forbidden torch function called while it is active."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if (name := forbidden_function(func)) is not None:
            self.calls.append(f"function {name}")
        return func(*args, **(kwargs or {}))


class DispatchGuard(TorchDispatchMode):
    """Records every forbidden ATen operator run while it is active (forward and backward)."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.name()  # e.g. "aten::convolution"
        if FORBIDDEN.search(name.split("::")[-1]):
            self.calls.append(f"operator {name}")
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def guard():
    """Yield the list of forbidden calls made inside the block."""
    calls = []
    with FunctionGuard(calls), DispatchGuard(calls):
        yield calls


def assert_no_shortcut(run, *tensors):
    """``run()`` under the guard, then backward through its result into ``tensors`` (if any): no forbidden call."""
    tensors = [t.requires_grad_() for t in tensors]
    with guard() as calls:
        out = run()
        if tensors:
            out.square().sum().backward()
    assert not calls, f"torch's own implementation called: {sorted(set(calls))}"
    for t in tensors:
        assert t.grad is not None
    return out


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(sum(shape)))


# ----------------------------------------------------------------------------
# Every implementation of conftest's table, every rank it offers, the code paths a call can take.
# ----------------------------------------------------------------------------

CONV_CALLS = [  # (arguments, channels in, channels out): plain, each padding mode, 'same', strided, grouped, depthwise
    (dict(), 2, 3),
    (dict(padding=1, padding_mode="reflect"), 2, 3),
    (dict(padding=1, padding_mode="replicate"), 2, 3),
    (dict(padding=2, padding_mode="circular"), 2, 3),
    (dict(padding="same", dilation=2), 2, 3),
    (dict(stride=2, padding=1, groups=2), 4, 2),
    (dict(groups=3, padding=1), 3, 3),  # depthwise
]
TRANSPOSE_CALLS = [
    (dict(), 2, 3),
    (dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2), 4, 2),
]
GUARDED = [(impl, n) for impl in IMPLEMENTATIONS
           for n in ([impl.fixed["n"]] if "n" in impl.fixed else [1, 2, 3, 4] if impl.function is None else [1, 2, 3])]


@pytest.mark.parametrize("impl, n", GUARDED, ids=[f"{impl}-{impl.kind}-{n}d" for impl, n in GUARDED])
def test_implementations_build_their_own(impl, n):
    size, kernel = (5, (3,) * n) if n <= 2 else (3, (2,) * n)  # small: the loops run every multiply in Python
    kernel = impl.fixed.get("kernel", kernel)
    fixed = {key: value for key, value in impl.fixed.items() if key in ("stride", "dilation", "groups")}
    calls = CONV_CALLS if impl.kind == "conv" else TRANSPOSE_CALLS
    for arguments, c_in, c_out in calls:
        arguments = {**arguments, **fixed}  # e.g. Winograd: stride 1, dilation 1, one group
        groups = arguments.get("groups", 1)
        weight_shape = (c_out, c_in // groups, *kernel) if impl.kind == "conv" else (c_in, c_out // groups, *kernel)
        for function in impl.functions(n):
            x, w, b = randn(1, c_in, *(size,) * n), randn(*weight_shape), randn(c_out)
            assert_no_shortcut(lambda: function(x, w, b, **arguments), *((x, w, b) if impl.gradients else ()))


# ----------------------------------------------------------------------------
# Upsampling: every mode of interpolate, pixel shuffle and unshuffle, max-unpooling.
# ----------------------------------------------------------------------------

INTERPOLATE = [  # (rank, mode, keyword arguments)
    (1, "nearest", dict(scale_factor=2)), (2, "nearest", dict(size=(5, 7))), (3, "nearest", dict(scale_factor=1.5)),
    (2, "nearest-exact", dict(scale_factor=0.5)), (1, "linear", dict(size=9, align_corners=True)),
    (2, "bilinear", dict(scale_factor=2)), (2, "bilinear", dict(size=(3, 2), antialias=True)),
    (3, "trilinear", dict(scale_factor=(2, 1, 2), align_corners=False)),
    (2, "bicubic", dict(scale_factor=2, align_corners=True)), (2, "bicubic", dict(size=(3, 3), antialias=True)),
    (1, "area", dict(size=3)), (2, "area", dict(scale_factor=0.5, recompute_scale_factor=True)),
]


@pytest.mark.parametrize("n, mode, keywords", INTERPOLATE, ids=[f"{n}d-{m}-{sorted(k)}" for n, m, k in INTERPOLATE])
def test_interpolate_builds_its_own(n, mode, keywords):
    x = randn(2, 3, *(6,) * n)
    assert_no_shortcut(lambda: upsample.interpolate(x, mode=mode, **keywords), x)


def test_pixel_shuffle_unshuffle_and_max_unpool_build_their_own():
    x = randn(2, 8, 3, 3)
    assert_no_shortcut(lambda: upsample.pixel_shuffle(x, 2), x)
    y = randn(2, 2, 6, 6)
    assert_no_shortcut(lambda: upsample.pixel_unshuffle(y, 3), y)
    for n in (1, 2, 3):
        pooled, indices = getattr(F, f"max_pool{n}d")(randn(1, 2, *(4,) * n), 2, return_indices=True)
        pooled = pooled.detach()
        assert_no_shortcut(lambda: getattr(upsample, f"max_unpool{n}d")(pooled, indices, 2), pooled)


# ----------------------------------------------------------------------------
# The six layers, forward and backward (input, weight and bias).
# ----------------------------------------------------------------------------

LAYERS = [(name, n) for name in ("Conv", "ConvTranspose") for n in (1, 2, 3)]


@pytest.mark.parametrize("name, n", LAYERS, ids=[f"{name}{n}d" for name, n in LAYERS])
def test_layers_build_their_own(name, n):
    layer = getattr(layers, f"{name}{n}d")(4, 2, 3, stride=2, padding=1, groups=2, dtype=torch.float64)
    x = randn(1, 4, *(5,) * n)
    assert_no_shortcut(lambda: layer(x), x)
    assert layer.weight.grad is not None and layer.bias.grad is not None


# ----------------------------------------------------------------------------
# The guard itself can fail: planted shortcuts, each caught.
# ----------------------------------------------------------------------------


class ConvInBackward(torch.autograd.Function):
    """An honest-looking forward with torch's convolution hidden in its backward."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return torch.nn.grad.conv2d_input(grad.shape, torch.ones(2, 2, 1, 1, dtype=grad.dtype), grad)


SHORTCUTS = {
    "F.conv2d": lambda x: F.conv2d(x, torch.ones(2, 2, 3, 3, dtype=x.dtype)),
    "torch.convolution": lambda x: torch.convolution(x, torch.ones(2, 2, 1, 1, dtype=x.dtype), None,
                                                     [1, 1], [0, 0], [1, 1], False, [0, 0], 1),
    "F.conv_transpose2d": lambda x: F.conv_transpose2d(x, torch.ones(2, 2, 2, 2, dtype=x.dtype), stride=2),
    "F.unfold": lambda x: F.unfold(x, 2),
    "F.fold": lambda x: F.fold(x.flatten(2), (5, 5), 1),
    "F.interpolate": lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "F.pixel_shuffle": lambda x: F.pixel_shuffle(x.repeat(1, 2, 1, 1), 2),
    "torch.nn.grad in backward": lambda x: ConvInBackward.apply(x),
    "F.conv2d without torch functions": lambda x: _without_torch_functions(F.conv2d, x,
                                                                           torch.ones_like(x[:, :, :1, :1])),
}


def _without_torch_functions(function, *args):
    """Call ``function(*args)`` with the Python-level modes off: only the operator-level guard can see it."""
    with torch._C.DisableTorchFunction():
        return function(*args)


@pytest.mark.parametrize("name", SHORTCUTS)
def test_the_guard_catches_a_planted_shortcut(name):
    x = randn(1, 2, 5, 5)
    with pytest.raises(AssertionError, match="torch's own implementation called"):
        assert_no_shortcut(lambda: SHORTCUTS[name](x), x)


def test_the_guard_sees_both_levels_and_allows_the_sliding_window_view():
    x = randn(1, 2, 5, 5)
    with guard() as calls:
        F.conv2d(x, torch.ones(1, 2, 3, 3, dtype=x.dtype))
    assert "function torch.nn.functional.conv2d" in calls and "operator aten::convolution" in calls
    with guard() as calls:
        _without_torch_functions(F.unfold, x, 2)
    assert calls == ["operator aten::im2col"]
    with guard() as calls:
        x.unfold(2, 3, 1).unfold(3, 3, 1).sum().item()
    assert calls == []
