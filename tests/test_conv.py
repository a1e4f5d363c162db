"""Every convolution implementation in conftest's table against torch, in float64.

The reference is torch's own layer (nn.Conv1d/2d/3d), which handles every
padding_mode and unbatched input; a 4-D convnd is checked against a sum of
torch conv3d calls. Cases include empty batches (N = 0) and unbatched inputs.
"""
import inspect

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import ATOL, CONV_IMPLEMENTATIONS, IMPLEMENTATIONS, draw_conv_axes, examples
from course_lib import naive, vectorised
from course_lib.checks.reference import torch_conv

pytestmark = [getattr(pytest.mark, f"lesson{i:02d}") for i in range(1, 6)]

TORCH_LAYERS = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
FUNCTION_NAMES = {1: "conv1d", 2: "conv2d", 3: "conv3d"}


@st.composite
def conv_cases(draw, max_size=7, max_n=3, n=None, kernel=None, stride=None, dilation=None, groups=None):
    """Random valid convolution calls: shapes, stride, padding (int, tuple, 'same', 'valid'), modes, dilation, groups, bias.

    An implementation that takes only some calls (Winograd: 3x3, stride 1) fixes those arguments.
    """
    n = draw(st.integers(1, max_n)) if n is None else n
    groups, c_in, c_out, kernel, stride, dilation = draw_conv_axes(draw, n, 3, groups, kernel, stride, dilation)
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = (1,) * n if kind == "same" else stride  # torch's 'same' takes stride 1 only
    if kind == "int":
        padding = draw(st.integers(0, 2))
        pads = (padding,) * n
    elif kind == "tuple":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
        pads = padding
    else:
        padding = kind
        pads = tuple((d * (k - 1) + 1) // 2 if kind == "same" else 0 for k, d in zip(kernel, dilation))
    # every axis must hold the dilated kernel, and reflect needs padding < size
    sizes = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p, p + 1), max(max_size, d * (k - 1) + 1, p + 1)))
        for k, d, p in zip(kernel, dilation, pads)
    )
    batched = draw(st.booleans())
    shape = ((draw(st.integers(0, 2)),) if batched else ()) + (c_in, *sizes)  # N = 0: an empty batch
    return dict(
        n=n, shape=shape, weight_shape=(c_out, c_in // groups, *kernel), bias=draw(st.booleans()),
        stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=mode,
    )


def make_tensors(case, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(case["shape"], generator=g, dtype=dtype)
    w = torch.randn(case["weight_shape"], generator=g, dtype=dtype)
    b = torch.randn(case["weight_shape"][0], generator=g, dtype=dtype) if case["bias"] else None
    return x, w, b


def torch_reference(case, x, w, b):
    """torch's layer with our weight and bias: covers padding_mode and 'same' padding."""
    layer = TORCH_LAYERS[case["n"]](
        w.shape[1] * case["groups"], w.shape[0], tuple(w.shape[2:]), stride=case["stride"], padding=case["padding"],
        dilation=case["dilation"], groups=case["groups"], bias=b is not None, padding_mode=case["padding_mode"],
    ).to(x.dtype)
    parameters = {"weight": w} if b is None else {"weight": w, "bias": b}
    return torch.func.functional_call(layer, parameters, (x,))  # differentiable in x, w and b


def call(function, case, x, w, b):
    return function(
        x, w, b, stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
        groups=case["groups"], padding_mode=case["padding_mode"],
    )


@pytest.mark.parametrize("impl", CONV_IMPLEMENTATIONS, ids=str)
@given(data=st.data())
def test_conv_matches_torch(impl, data):
    case = data.draw(conv_cases(max_size=impl.max_size, **impl.fixed))
    assume(impl.supports(case))
    x, w, b = make_tensors(case)
    expected = torch_reference(case, x, w, b).detach()
    for function in impl.functions(case["n"]):
        out = call(function, case, x, w, b)
        assert out.shape == expected.shape, function.__name__
        torch.testing.assert_close(out, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("impl", [i for i in CONV_IMPLEMENTATIONS if i.gradients], ids=str)
@given(data=st.data())
def test_gradients_match_torch(impl, data):
    case = data.draw(conv_cases(max_size=min(impl.max_size, 9), **impl.fixed))
    assume(impl.supports(case))
    x, w, b = make_tensors(case)
    ours_inputs = [t.clone().requires_grad_() for t in (x, w, b) if t is not None]
    ref_inputs = [t.clone().requires_grad_() for t in (x, w, b) if t is not None]
    ours = call(impl.functions(case["n"])[-1], case, *ours_inputs, *([None] if b is None else []))
    ref = torch_reference(case, *ref_inputs, *([None] if b is None else []))
    grad_out = torch.randn(ours.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ours_grads = torch.autograd.grad(ours, ours_inputs, grad_out)
    ref_grads = torch.autograd.grad(ref, ref_inputs, grad_out)
    for name, got, want in zip(["input", "weight", "bias"], ours_grads, ref_grads):
        torch.testing.assert_close(got, want, atol=1e-9, rtol=0, msg=f"gradient of {name}")


FULL_API = [i for i in CONV_IMPLEMENTATIONS if i.function is None]  # conv1d ... convnd


@pytest.mark.parametrize("impl", FULL_API, ids=str)
@given(
    groups=st.integers(1, 2), kernel=st.tuples(*[st.integers(1, 3)] * 4), stride=st.tuples(*[st.integers(1, 2)] * 4),
    padding=st.tuples(*[st.integers(0, 1)] * 4), dilation=st.tuples(*[st.integers(1, 2)] * 4), bias=st.booleans(),
)
def test_convnd_4d_is_a_sum_of_conv3d(impl, groups, kernel, stride, padding, dilation, bias):
    size = min(impl.max_size, 6) - 2
    sizes = [max(size, d * (k - 1) + 1) for k, d in zip(kernel, dilation)]
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 2 * groups, *sizes, generator=g, dtype=torch.float64)
    w = torch.randn(2 * groups, 2, *kernel, generator=g, dtype=torch.float64)
    b = torch.randn(2 * groups, generator=g, dtype=torch.float64) if bias else None
    out = impl.module.convnd(x, w, b, stride, padding, dilation, groups)
    torch.testing.assert_close(out, torch_conv(x, w, b, stride, padding, dilation, groups), atol=ATOL, rtol=0)


@pytest.mark.parametrize("impl", FULL_API, ids=str)
def test_convnd_5d_matches_torch(impl):
    """Five sliding axes, which torch has no convolution for: its conv3d composed twice (checks.reference.torch_conv)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 3, 4, 3, 4, 3, generator=g, dtype=torch.float64)
    w = torch.randn(3, 2, 2, 2, 1, 2, 2, generator=g, dtype=torch.float64)
    b = torch.randn(3, generator=g, dtype=torch.float64)
    kwargs = dict(stride=(1, 2, 1, 1, 2), padding=1, dilation=(1, 1, 1, 2, 1))
    expected = torch_conv(x, w, b, **kwargs)
    assert expected.shape == (1, 3, 4, 3, 5, 4, 2)  # o = (i + 2p - d(k-1) - 1) // s + 1 on each axis, by hand
    torch.testing.assert_close(impl.module.convnd(x, w, b, **kwargs), expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("groups,c_out_per_group", [(1, 4), (4, 1), (2, 2)])
def test_vectorised_keeps_dtype(dtype, groups, c_out_per_group):
    x = torch.randn(2, 4, 9, 9).to(dtype)
    w = torch.randn(groups * c_out_per_group, 4 // groups, 3, 3).to(dtype)
    out = vectorised.conv2d(x, w, padding=1, groups=groups)
    assert out.dtype == dtype and out.device == x.device
    ref = F.conv2d(x.double(), w.double(), padding=1, groups=groups)
    tolerance = {torch.float32: 1e-4, torch.float64: ATOL, torch.bfloat16: 0.3}[dtype]
    torch.testing.assert_close(out.double(), ref, atol=tolerance, rtol=0.02 if dtype == torch.bfloat16 else 0)


def test_vectorised_blocks_of_rows_do_not_change_the_result(monkeypatch):
    x = torch.randn(5, 3, 10, 10, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    expected = F.conv2d(x, w, padding=1)
    torch.testing.assert_close(vectorised.conv2d(x, w, padding=1), expected, atol=ATOL, rtol=0)
    monkeypatch.setattr(vectorised, "COLUMN_BYTES", 1)  # forces one output row per block
    torch.testing.assert_close(vectorised.conv2d(x, w, padding=1), expected, atol=ATOL, rtol=0)


def test_depthwise_with_channel_multiplier():
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    w = torch.randn(6, 1, 3, 3, dtype=torch.float64)  # two outputs per input channel
    torch.testing.assert_close(
        vectorised.conv2d(x, w, padding=1, groups=3), F.conv2d(x, w, padding=1, groups=3), atol=ATOL, rtol=0
    )


@pytest.mark.parametrize("impl", FULL_API, ids=str)
def test_cross_correlation_not_flipped(impl):
    """PyTorch's (and our) convolution does not flip the kernel: a [1, 0, 0] kernel reads the left neighbour."""
    x = torch.arange(5.0, dtype=torch.float64).view(1, 1, 5)
    w = torch.tensor([[[1.0, 0.0, 0.0]]], dtype=torch.float64)
    expected = torch.tensor([0.0, 0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(impl.module.conv1d(x, w, padding=1).flatten(), expected, atol=1e-12, rtol=0)


def test_empty_batch_edge_from_torchs_tests():
    """torch returns an empty (0, 5, 8) for input (0, 4, 10) and weight (5, 4, 3); so must every implementation."""
    x, w = torch.randn(0, 4, 10, dtype=torch.float64), torch.randn(5, 4, 3, dtype=torch.float64)
    assert F.conv1d(x, w).shape == (0, 5, 8)
    for impl in FULL_API:
        for function in impl.functions(1):
            assert function(x, w).shape == (0, 5, 8), (impl.name, function.__name__)


PUBLIC = {
    "conv": ["conv1d", "conv2d", "conv3d", "convnd"],
    "transpose": ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_transposend"],
}


@pytest.mark.parametrize("impl", [i for i in IMPLEMENTATIONS if i.module is not naive], ids=lambda i: f"{i.name} {i.kind}")
def test_same_public_names_and_signatures_as_naive(impl):
    """The README promises that the implementations can stand in for each other: same names, same signatures."""
    names = [impl.function] if impl.function else PUBLIC[impl.kind]
    for name in names:
        reference = PUBLIC[impl.kind][-1] if impl.function else name
        assert hasattr(impl.module, name), f"{impl.module.__name__} lacks {name}"
        ours, theirs = inspect.signature(getattr(impl.module, name)), inspect.signature(getattr(naive, reference))
        assert ours == theirs, f"{impl.module.__name__}.{name}{ours} differs from naive.{reference}{theirs}"


def test_conv_signature_is_torchs():
    """naive (and so every implementation) takes torch.nn.functional's arguments, in its order."""
    names = list(inspect.signature(naive.conv2d).parameters)
    assert names == ["input", "weight", "bias", "stride", "padding", "dilation", "groups", "padding_mode"]
    names = list(inspect.signature(naive.conv_transpose2d).parameters)
    assert names == ["input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@given(case=conv_cases(max_size=10))
def test_vectorised_on_cuda(case):
    x, w, b = (t.cuda() if t is not None else None for t in make_tensors(case))
    out = call(vectorised.convnd, case, x, w, b)
    assert out.device.type == "cuda" and out.dtype == torch.float64
    torch.testing.assert_close(out, torch_reference(case, x, w, b).detach(), atol=1e-9, rtol=0)


@pytest.mark.parametrize("impl", [i for i in CONV_IMPLEMENTATIONS if i.gradients], ids=str)
@given(data=st.data())
@settings(max_examples=examples(15))
def test_second_derivatives_match_torch(impl, data):
    """Double backward (a gradient penalty, Hessian-vector products) through our gradient agrees with torch's.

    im2col's backward is col2im (vectorised._Im2col), written in differentiable operations, so its own
    gradient exists; this compares d/d(x, w) of <grad_x, v> with torch's."""
    case = data.draw(conv_cases(max_size=min(impl.max_size, 7), **impl.fixed))
    assume(impl.supports(case))
    x, w, b = make_tensors(case)
    v = torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    results = []
    for conv in (lambda *t: call(impl.functions(case["n"])[-1], case, *t, None), lambda *t: torch_reference(case, *t, None)):
        xs, ws = x.clone().requires_grad_(), w.clone().requires_grad_()
        out = conv(xs, ws)
        grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        (grad_x,) = torch.autograd.grad(out, xs, grad_out, create_graph=True)
        results.append(torch.autograd.grad((grad_x * v).sum(), [xs, ws], allow_unused=True, materialize_grads=True))
    for name, got, want in zip(["input", "weight"], *results):
        torch.testing.assert_close(got, want, atol=1e-9, rtol=0, msg=f"second derivative w.r.t. {name}")
