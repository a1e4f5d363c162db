"""The matrix view: conv_matrix against torch's convolution, its transpose against
torch's transposed convolution, and the gradient view against torch's autograd.
"""
import doctest

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, ATOL, draw_conv_axes
from course_lib import matrix

pytestmark = [pytest.mark.lesson05, pytest.mark.lesson07]

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@st.composite
def conv_cases(draw, max_n=3):
    n = draw(st.integers(1, max_n))
    groups, c_in, c_out, kernel, stride, dilation = draw_conv_axes(draw, n, max_groups=2)
    padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
    size = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 5)) for k, d, p in zip(kernel, dilation, padding))
    return dict(n=n, c_in=c_in, weight_shape=(c_out, c_in // groups, *kernel), size=size, stride=stride,
                padding=padding, dilation=dilation, groups=groups)


def conv_keywords(case):
    return {k: case[k] for k in ("stride", "padding", "dilation", "groups")}


@settings(max_examples=examples(60))
@given(case=conv_cases())
def test_conv_matrix_times_x_is_the_convolution(case):
    g = torch.Generator().manual_seed(0)
    w = torch.randn(case["weight_shape"], generator=g, dtype=torch.float64)
    x = torch.randn(3, case["c_in"], *case["size"], generator=g, dtype=torch.float64)
    m = matrix.conv_matrix(w, case["size"], **conv_keywords(case))
    expected = CONV[case["n"]](x, w, **conv_keywords(case))
    assert m.shape == (expected[0].numel(), x[0].numel())
    torch.testing.assert_close((x.flatten(1) @ m.T).reshape(expected.shape), expected, atol=ATOL, rtol=0)


@settings(max_examples=examples(60))
@given(case=conv_cases(), data=st.data())
def test_transpose_of_the_matrix_is_torchs_transposed_convolution(case, data):
    """M.T @ y is conv_transpose(y): the transposed convolution of torch with the same weight."""
    g = torch.Generator().manual_seed(1)
    w = torch.randn(case["weight_shape"], generator=g, dtype=torch.float64)
    m = matrix.conv_matrix(w, case["size"], **conv_keywords(case))
    out_size = CONV[case["n"]](torch.zeros(1, case["c_in"], *case["size"], dtype=torch.float64), w, **conv_keywords(case)).shape[2:]
    y = torch.randn(2, w.shape[0], *out_size, generator=g, dtype=torch.float64)
    # the output_padding that gives back the original size
    op = tuple(i - ((o - 1) * s - 2 * p + d * (k - 1) + 1) for i, o, s, p, d, k in
               zip(case["size"], out_size, case["stride"], case["padding"], case["dilation"], w.shape[2:]))
    expected = CONV_T[case["n"]](y, w, stride=case["stride"], padding=case["padding"], output_padding=op,
                                 groups=case["groups"], dilation=case["dilation"])
    torch.testing.assert_close((y.flatten(1) @ m).reshape(expected.shape), expected, atol=ATOL, rtol=0)
    kw = dict(stride=case["stride"], padding=case["padding"], output_padding=op, groups=case["groups"], dilation=case["dilation"])
    if all(o < max(s, d) for o, s, d in zip(op, case["stride"], case["dilation"])):  # torch's rule; a larger op is a remainder
        bias = torch.randn(w.shape[1] * case["groups"], generator=g, dtype=torch.float64) if data.draw(st.booleans()) else None
        expected = CONV_T[case["n"]](y, w, bias, **kw)
        torch.testing.assert_close(matrix.conv_transpose_by_matrix(y, w, bias, **kw), expected, atol=ATOL, rtol=0)
        torch.testing.assert_close(matrix.conv_transpose_by_gradient(y, w, bias, **kw), expected, atol=ATOL, rtol=0)
        torch.testing.assert_close(matrix.conv_transpose_by_gradient(y[0], w, bias, **kw), expected[0], atol=ATOL, rtol=0)


def test_gradient_of_a_convolution_is_the_transposed_convolution():
    """torch's own autograd gives the same as M.T @ grad_output."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 7, 6, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 3, 2, generator=g, dtype=torch.float64)
    y = F.conv2d(x, w, stride=2, padding=1)
    upstream = torch.randn(y.shape, generator=g, dtype=torch.float64)
    (grad,) = torch.autograd.grad(y, x, upstream)
    m = matrix.conv_matrix(w, (7, 6), stride=2, padding=1)
    torch.testing.assert_close((upstream.flatten(1) @ m).reshape(x.shape), grad, atol=ATOL, rtol=0)


def test_views_are_differentiable_in_the_weight():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 4, 3, 3, generator=g, dtype=torch.float64)
    w = torch.randn(4, 3, 2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(F.conv_transpose2d(x, w, stride=2, groups=2, output_padding=1).square().sum(), w)
    for fn in (matrix.conv_transpose_by_matrix, matrix.conv_transpose_by_gradient):
        (got,) = torch.autograd.grad(fn(x, w, stride=2, groups=2, output_padding=1).square().sum(), w)
        torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


def test_gradient_view_works_under_no_grad():
    x, w = torch.randn(1, 2, 4, dtype=torch.float64), torch.randn(2, 3, 3, dtype=torch.float64)
    with torch.no_grad():
        got = matrix.conv_transpose_by_gradient(x, w, stride=2)
    torch.testing.assert_close(got, F.conv_transpose1d(x, w, stride=2), atol=ATOL, rtol=0)


def test_matrix_of_same_padding_and_docstring():
    w = torch.randn(2, 1, 4, dtype=torch.float64)
    x = torch.randn(1, 1, 6, dtype=torch.float64)
    m = matrix.conv_matrix(w, 6, padding="same")
    torch.testing.assert_close(m @ x[0].flatten(), F.conv1d(x, w, padding="same").flatten(), atol=ATOL, rtol=0)
    assert doctest.testmod(matrix).failed == 0


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((torch.zeros(2, 1, 3), (4, 4)), {}, ValueError, r"input_size needs one value per spatial axis \(1 here\)"),
        ((torch.zeros(2, 1, 3), 0), {}, ValueError, r"input_size must be positive"),
        ((torch.zeros(2, 1, 3), 2), {}, ValueError, r"kernel larger than the padded input"),
        ((torch.zeros(2, 1, 3), 4.0), {}, TypeError, r"input_size must be an int or a tuple"),
        (([[1.0]], 4), {}, TypeError, r"weight must be a torch\.Tensor"),
        ((torch.zeros(2, 3), 4), {}, ValueError, r"at least one spatial axis"),
        ((torch.zeros(3, 1, 3), 4), {"groups": 2}, ValueError, r"output channels \(3\) must be divisible by groups \(2\)"),
        ((torch.zeros(2, 1, 3), 4), {"padding": "same", "stride": 2}, ValueError, r"padding='same' needs stride 1"),
    ],
)
def test_conv_matrix_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        matrix.conv_matrix(*args, **kwargs)


@pytest.mark.parametrize("fn", [matrix.conv_transpose_by_matrix, matrix.conv_transpose_by_gradient])
def test_views_check_arguments(fn):
    x, w = torch.zeros(1, 2, 4), torch.zeros(2, 3, 3)
    with pytest.raises(ValueError, match=r"output_padding must be smaller than stride or dilation"):
        fn(x, w, output_padding=1)
    with pytest.raises(ValueError, match=r"input has 3 channels but weight .* expects 2"):
        fn(torch.zeros(1, 3, 4), w)
