"""Transposed convolution: every implementation in conftest's table (naive
scatter, vectorised GEMM + col2im, and the zero-insertion, matrix and gradient
views) against torch's conv_transpose1d/2d/3d in float64, for every legal
argument (output_padding up to the dilation, empty batches, unbatched input);
gradients against torch's; a 4-D case against a sum of torch conv_transpose3d
calls; every bad-input rule with its message.
"""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import examples, ATOL, TRANSPOSE_IMPLEMENTATIONS, draw_conv_axes
from course_lib import matrix, naive, vectorised

pytestmark = pytest.mark.lesson07

TORCH = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@st.composite
def transpose_cases(draw, max_n=3, max_size=4):
    """Random valid transposed-convolution calls; output_padding below stride or dilation."""
    n = draw(st.integers(1, max_n))
    groups, c_in, c_out, kernel, stride, dilation = draw_conv_axes(draw, n)
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    sizes = tuple(draw(st.integers(1, max_size)) for _ in range(n))
    # padding may cut at most what leaves one element: (i-1)*s + d*(k-1) + op + 1 - 2p >= 1
    padding = tuple(
        draw(st.integers(0, min(3, ((i - 1) * s + d * (k - 1) + op) // 2)))
        for i, s, d, k, op in zip(sizes, stride, dilation, kernel, output_padding)
    )
    as_int = draw(st.booleans()) and len(set(stride)) == len(set(padding)) == len(set(dilation)) == len(set(output_padding)) == 1
    batched = draw(st.booleans())
    return dict(
        n=n, shape=((draw(st.integers(0, 2)),) if batched else ()) + (c_in, *sizes),  # N = 0: an empty batch
        weight_shape=(c_in, c_out // groups, *kernel), bias=draw(st.booleans()), groups=groups,
        stride=stride[0] if as_int else stride, padding=padding[0] if as_int else padding,
        output_padding=output_padding[0] if as_int else output_padding, dilation=dilation[0] if as_int else dilation,
    )


def make_tensors(case, seed=0, dtype=torch.float64, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(case["shape"], generator=g, dtype=dtype)
    w = torch.randn(case["weight_shape"], generator=g, dtype=dtype)
    b = torch.randn(case["weight_shape"][1] * case["groups"], generator=g, dtype=dtype) if case["bias"] else None
    tensors = [t for t in (x, w, b)]
    if requires_grad:
        for t in tensors:
            if t is not None:
                t.requires_grad_(True)
    return tensors


def keywords(case):
    return {k: case[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}


@pytest.mark.parametrize("impl", TRANSPOSE_IMPLEMENTATIONS, ids=str)
@settings(max_examples=examples(40))
@given(data=st.data())
def test_matches_torch(impl, data):
    case = data.draw(transpose_cases(max_size=impl.max_size))
    assume(impl.supports(case))
    x, w, b = make_tensors(case)
    expected = TORCH[case["n"]](x, w, b, **keywords(case))
    for function in impl.functions(case["n"]):
        got = function(x, w, b, **keywords(case))
        assert got.shape == expected.shape, function.__name__
        torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("impl", [i for i in TRANSPOSE_IMPLEMENTATIONS if i.gradients], ids=str)
@settings(max_examples=examples(30))
@given(data=st.data())
def test_gradients_match_torch(impl, data):
    case = data.draw(transpose_cases(max_size=impl.max_size))
    assume(impl.supports(case))
    x, w, b = make_tensors(case, requires_grad=True)
    expected = TORCH[case["n"]](x, w, b, **keywords(case))
    got = impl.functions(case["n"])[-1](x, w, b, **keywords(case))
    upstream = torch.randn(expected.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    inputs = [t for t in (x, w, b) if t is not None]
    for ours, theirs in zip(torch.autograd.grad(got, inputs, upstream), torch.autograd.grad(expected, inputs, upstream)):
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize("impl", TRANSPOSE_IMPLEMENTATIONS, ids=str)
def test_output_padding_beyond_the_stride_edge_from_torchs_tests(impl):
    """output_padding >= stride is legal when it is below the dilation: the four views must still agree with torch."""
    x, w = torch.randn(1, 1, 4, dtype=torch.float64), torch.randn(1, 1, 3, dtype=torch.float64)
    expected = F.conv_transpose1d(x, w, dilation=2, output_padding=1)
    for function in impl.functions(1):
        torch.testing.assert_close(function(x, w, dilation=2, output_padding=1), expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("impl", [i for i in TRANSPOSE_IMPLEMENTATIONS if i.gradients], ids=str)
def test_gradients_with_output_padding_beyond_the_stride(impl):
    """There col2im's backward (vectorised._Col2im) reads one window more than there were inputs; it must drop it."""
    x, w = torch.randn(2, 2, 4, 3, dtype=torch.float64), torch.randn(2, 3, 3, 2, dtype=torch.float64)
    kwargs = {"stride": (1, 2), "dilation": (2, 3), "output_padding": (1, 2), "padding": (1, 0)}
    grads = []
    for conv in (impl.functions(2)[-1], F.conv_transpose2d):
        xs, ws = x.clone().requires_grad_(), w.clone().requires_grad_()
        out = conv(xs, ws, **kwargs)
        grads.append(torch.autograd.grad(out, [xs, ws], torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))))
    for ours, theirs in zip(*grads):
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


@pytest.mark.parametrize("impl", [i for i in TRANSPOSE_IMPLEMENTATIONS if i.gradients], ids=str)
@settings(max_examples=examples(10))
@given(data=st.data())
def test_second_derivatives_match_torch(impl, data):
    """The gradient of the gradient (create_graph=True) agrees with torch's: col2im's backward is itself differentiable."""
    case = data.draw(transpose_cases(max_size=min(impl.max_size, 5)))
    assume(impl.supports(case))
    x, w, _ = make_tensors(case)
    results = []
    for conv in (impl.functions(case["n"])[-1], TORCH[case["n"]]):
        xs, ws = x.clone().requires_grad_(), w.clone().requires_grad_()
        out = conv(xs, ws, None, **keywords(case))
        upstream = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        (grad_w,) = torch.autograd.grad(out, ws, upstream, create_graph=True)
        results.append(torch.autograd.grad(grad_w.square().sum(), [xs, ws], allow_unused=True, materialize_grads=True))
    for ours, theirs in zip(*results):
        torch.testing.assert_close(ours, theirs, atol=1e-9, rtol=0)


@pytest.mark.parametrize("impl", TRANSPOSE_IMPLEMENTATIONS, ids=str)
def test_empty_batch_edge_from_torchs_tests(impl):
    x, w = torch.randn(0, 4, 5, 5, dtype=torch.float64), torch.randn(4, 3, 3, 3, dtype=torch.float64)
    expected = F.conv_transpose2d(x, w, stride=2)
    for function in impl.functions(2):
        assert function(x, w, stride=2).shape == expected.shape == (0, 3, 11, 11), function.__name__


def test_zero_insertion_gradients_match_torch():
    case = dict(n=2, shape=(2, 4, 3, 4), weight_shape=(4, 3, 3, 2), bias=True, groups=2, stride=(2, 3), padding=(1, 0),
                output_padding=(1, 2), dilation=(1, 2))
    x, w, b = make_tensors(case, requires_grad=True)
    expected = F.conv_transpose2d(x, w, b, **keywords(case))
    got = vectorised.conv_transpose_zero_insertion(x, w, b, **keywords(case))
    for ours, theirs in zip(torch.autograd.grad(got.sum(), (x, w, b)), torch.autograd.grad(expected.sum(), (x, w, b))):
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


def test_padding_larger_than_kernel_reach_crops_the_stretched_input():
    # p > d*(k-1): zero insertion must crop instead of pad
    x, w = torch.randn(1, 2, 6, dtype=torch.float64), torch.randn(2, 3, 2, dtype=torch.float64)
    expected = F.conv_transpose1d(x, w, stride=3, padding=4, output_padding=2)
    for fn in (naive.conv_transpose1d, vectorised.conv_transpose1d, vectorised.conv_transpose_zero_insertion):
        torch.testing.assert_close(fn(x, w, stride=3, padding=4, output_padding=2), expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("module", [naive, vectorised], ids=["naive", "vectorised"])
def test_four_spatial_axes_as_a_sum_of_conv_transpose3d(module):
    """A 4-D transposed convolution: the first axis scatters whole 3-D transposed convolutions."""
    g = torch.Generator().manual_seed(3)
    x = torch.randn(1, 2, 3, 2, 3, 2, generator=g, dtype=torch.float64)
    w = torch.randn(2, 2, 2, 2, 1, 2, generator=g, dtype=torch.float64)
    s, p, d, op = (2, 1, 1, 2), (1, 0, 0, 1), (2, 1, 1, 1), (1, 0, 0, 1)
    got = module.conv_transposend(x, w, stride=s, padding=p, output_padding=op, dilation=d)
    # axis 1 by hand: slice i, kernel offset k lands at i*s + k*d, then crop p[0] and keep op[0]
    full_len = (x.shape[2] - 1) * s[0] + d[0] * (w.shape[2] - 1) + 1 + op[0]
    parts = {}
    for i in range(x.shape[2]):
        for k in range(w.shape[2]):
            y = F.conv_transpose3d(x[:, :, i], w[:, :, k], stride=s[1:], padding=p[1:], output_padding=op[1:], dilation=d[1:])
            parts.setdefault(i * s[0] + k * d[0], []).append(y)
    zero = torch.zeros_like(next(iter(parts.values()))[0])
    full = torch.stack([sum(parts.get(t, [zero])) for t in range(full_len)], dim=2)
    expected = full[:, :, p[0] : full_len - p[0]]
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


def test_benchmark_shape_float32():
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(2, 64, 7, 7, generator=g), torch.randn(64, 32, 4, 4, generator=g)
    torch.testing.assert_close(vectorised.conv_transpose2d(x, w, stride=2, padding=1), F.conv_transpose2d(x, w, stride=2, padding=1), atol=1e-4, rtol=1e-5)


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> == <x, col2im(c)>: col2im is im2col's transpose."""
    g = torch.Generator().manual_seed(4)
    k, s, d = (2, 3), (2, 1), (1, 2)
    x = torch.randn(2, 3, 7, 8, generator=g, dtype=torch.float64)
    windows = vectorised.sliding_windows(x, k, s, d)  # (N, C, O..., k...)
    columns = torch.randn(windows.permute(0, 1, 4, 5, 2, 3).shape, generator=g, dtype=torch.float64)
    lhs = (windows.permute(0, 1, 4, 5, 2, 3) * columns).sum()
    rhs = (x * vectorised.col2im(columns, (7, 8), k, s, d, (0, 0))).sum()
    torch.testing.assert_close(lhs, rhs, atol=ATOL, rtol=0)


X2 = torch.zeros(1, 4, 5, 5)
W2 = torch.zeros(4, 3, 3, 3)
BAD = [
    # (id, function name, args, kwargs, error, message)
    ("input not a tensor", "conv_transpose2d", ([[1.0]], W2), {}, TypeError, r"input must be a torch\.Tensor"),
    ("weight not a tensor", "conv_transpose2d", (X2, 3), {}, TypeError, r"weight must be a torch\.Tensor"),
    ("weight rank", "conv_transpose2d", (X2, W2[0]), {}, ValueError, r"weight must be 4-D \(C_in, C_out/groups, kH, kW\)"),
    ("nd weight rank", "conv_transposend", (X2, W2[0, 0]), {}, ValueError, r"at least one spatial axis"),
    ("input rank", "conv_transpose2d", (X2[0, 0], W2), {}, ValueError, r"input must be 4-D \(N, C, H, W\) or unbatched 3-D"),
    ("layout swapped", "conv_transpose2d", (X2, torch.zeros(3, 4, 3, 3)), {}, ValueError, r"expects 3 .*weight\.transpose\(0, 1\)"),
    ("groups divide", "conv_transpose2d", (X2, W2), {"groups": 3}, ValueError, r"weight\.shape\[0\].*divisible by groups \(3\)"),
    ("groups type", "conv_transpose2d", (X2, W2), {"groups": 1.5}, TypeError, r"groups must be an int"),
    ("groups zero", "conv_transpose2d", (X2, W2), {"groups": 0}, ValueError, r"groups must be >= 1"),
    ("output_padding >= stride and dilation", "conv_transpose2d", (X2, W2), {"output_padding": 1}, ValueError,
     r"output_padding must be smaller than stride or dilation.*output_padding 1 with stride 1 and dilation 1"),
    ("output_padding vs stride 2", "conv_transpose2d", (X2, W2), {"stride": 2, "output_padding": (0, 2)}, ValueError,
     r"output_padding 2 with stride 2 and dilation 1 on spatial axis 1"),
    ("negative output_padding", "conv_transpose2d", (X2, W2), {"output_padding": -1}, ValueError, r"output_padding must be >= 0"),
    ("negative padding", "conv_transpose2d", (X2, W2), {"padding": (0, -1)}, ValueError, r"padding must be >= 0"),
    ("string padding", "conv_transpose2d", (X2, W2), {"padding": "same"}, TypeError, r"no 'same' or 'valid'"),
    ("stride zero", "conv_transpose2d", (X2, W2), {"stride": 0}, ValueError, r"stride must be positive"),
    ("dilation tuple length", "conv_transpose2d", (X2, W2), {"dilation": (1, 1, 1)}, ValueError, r"dilation needs one value per spatial axis \(2 here\)"),
    ("bias shape", "conv_transpose2d", (X2, W2, torch.zeros(4)), {}, ValueError, r"bias must be 1-D with one value per output channel \(3,\)"),
    ("bias dtype", "conv_transpose2d", (X2, W2, torch.zeros(3, dtype=torch.float64)), {}, TypeError, r"bias has dtype torch\.float64"),
    ("weight dtype", "conv_transpose2d", (X2, W2.double()), {}, TypeError, r"weight has dtype torch\.float64 but input has torch\.float32"),
    ("padding eats output", "conv_transpose2d", (X2, W2), {"padding": 4}, ValueError, r"output would be .*Use less padding"),
    ("zero kernel", "conv_transpose2d", (X2, torch.zeros(4, 3, 0, 3)), {}, ValueError, r"zero-sized kernel axis"),
    ("zero output channels", "conv_transpose2d", (X2, torch.zeros(4, 0, 3, 3)), {}, ValueError, r"has no channels to compute with"),
    ("wrong length and negative", "conv_transpose2d", (X2, W2), {"dilation": (-1,)}, ValueError,
     r"dilation needs one value per spatial axis \(2 here\), got 1: \(-1,\); and every value must be positive, got -1"),
]


@pytest.mark.parametrize("impl", TRANSPOSE_IMPLEMENTATIONS, ids=str)
@pytest.mark.parametrize("name, fn, args, kwargs, error, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_message(impl, name, fn, args, kwargs, error, message):
    if impl.function is not None:  # a view has one N-d function: it gets the same checks, but reads the rank from the weight
        if name in ("weight rank", "input rank"):
            pytest.skip(f"{impl.name} is N-d only: the rank of a 2-D call is not fixed, so there is no {name} rule to break")
        fn = impl.function
    with pytest.raises(error, match=message):
        getattr(impl.module, fn)(*args, **kwargs)
