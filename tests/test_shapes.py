"""course_lib.shapes against what torch actually produces and counts."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from course_lib import shapes

pytestmark = [pytest.mark.lesson01, pytest.mark.lesson02, pytest.mark.lesson04]


@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_conv_output_size_matches_torch(i, k, s, p, d):
    if i + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError, match="kernel larger than the padded input"):
            shapes.conv_output_size(i, k, s, p, d)
        return
    out = F.conv1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d)
    assert shapes.conv_output_size(i, k, s, p, d) == out.shape[-1]


@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 4), d=st.integers(1, 2))
def test_same_and_valid_padding(h, w, k, d):
    x, weight = torch.zeros(1, 1, h, w), torch.zeros(1, 1, k, k)
    assert shapes.conv_output_size((h, w), k, padding="same", dilation=d) == (h, w)
    if min(h, w) >= d * (k - 1) + 1:
        assert shapes.conv_output_size((h, w), (k, k), padding="valid", dilation=d) == tuple(F.conv2d(x, weight, dilation=d).shape[2:])


@given(i=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 2), op=st.integers(0, 2), d=st.integers(1, 2))
def test_conv_transpose_output_size_matches_torch(i, k, s, p, op, d):
    if op >= max(s, d):
        with pytest.raises(ValueError, match="output_padding must be smaller than stride or dilation"):
            shapes.conv_transpose_output_size(i, k, s, p, op, d)
        return
    expected = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
    if expected < 1:
        with pytest.raises(ValueError, match="Use less padding"):
            shapes.conv_transpose_output_size(i, k, s, p, op, d)
        return
    out = F.conv_transpose1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p, output_padding=op, dilation=d)
    assert shapes.conv_transpose_output_size(i, k, s, p, op, d) == out.shape[-1]


def test_tuple_in_tuple_out():
    assert shapes.conv_output_size((5, 5), (2, 2), stride=2, padding=1, dilation=2) == (3, 3)
    assert shapes.conv_output_size(5, (2, 3)) == (4, 3)
    assert isinstance(shapes.conv_output_size(5, 2), int)


@given(c_in=st.integers(1, 4), c_out=st.integers(1, 4), g=st.integers(1, 3), k=st.tuples(st.integers(1, 4), st.integers(1, 4)), bias=st.booleans())
def test_conv_params_matches_nn_conv2d(c_in, c_out, g, k, bias):
    c_in, c_out = c_in * g, c_out * g
    layer = torch.nn.Conv2d(c_in, c_out, k, groups=g, bias=bias)
    assert shapes.conv_params(c_in, c_out, k, groups=g, bias=bias) == sum(p.numel() for p in layer.parameters())


@pytest.mark.parametrize("dims, layer", [(1, torch.nn.Conv1d), (2, torch.nn.Conv2d), (3, torch.nn.Conv3d)])
@given(k=st.integers(1, 5), bias=st.booleans())
def test_conv_params_with_an_int_kernel_and_dims_matches_the_layer(dims, layer, k, bias):
    """nn.ConvNd(256, 32, k) reads an int kernel as k on every axis; conv_params(..., k, dims=n) must count the same."""
    expected = sum(p.numel() for p in layer(256, 32, k, bias=bias).parameters())
    assert shapes.conv_params(256, 32, k, dims=dims, bias=bias) == expected
    assert shapes.conv_params(256, 32, (k,) * dims, bias=bias) == expected


def test_the_classic_bottleneck_numbers():
    """nn.Conv2d(256, 32, 5) has 204,800 weights (a widely copied write-up prints 201,800)."""
    assert shapes.conv_params(256, 32, 5, dims=2, bias=False) == 204_800 == torch.nn.Conv2d(256, 32, 5, bias=False).weight.numel()


@pytest.mark.parametrize("call", [
    lambda: shapes.conv_params(256, 32, 5),
    lambda: shapes.conv_macs(256, 32, 5, 28),
    lambda: shapes.receptive_field([(3, 1), (3, 1)]),
])
def test_an_int_kernel_without_dims_is_refused_with_both_spellings(call):
    with pytest.raises(ValueError, match=r"is ambiguous here: nn\.Conv2d\(\.\.\., (5|3)\) has a (5x5|3x3) kernel.*=\((5, 5|3, 3)\).*dims=2"):
        call()


@pytest.mark.parametrize("n", [1, 2, 3])
@given(c=st.integers(1, 3), g=st.integers(1, 2), k=st.integers(1, 3), size=st.integers(3, 6))
def test_conv_macs_match_torch_flop_counter(n, c, g, k, size):
    """torch's FlopCounterMode counts 2 FLOPs (a multiply and an add) per multiply-accumulate."""
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    x, w = torch.zeros(1, c * g, *[size] * n), torch.zeros(2 * g, c, *[k] * n)
    with FlopCounterMode(display=False) as counter:
        out = conv(x, w, groups=g)
    macs = shapes.conv_macs(c * g, 2 * g, (k,) * n, tuple(out.shape[2:]), groups=g)
    assert 2 * macs == counter.get_total_flops()


@given(layers=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 2)), min_size=1, max_size=4))
def test_receptive_field_matches_gradient_support(layers):
    """The receptive field is the set of inputs an output's gradient reaches through a stack of convolutions."""
    (field,), (jump,) = shapes.receptive_field(layers, dims=1)
    assert shapes.receptive_field([((k, k), (s, s), (d, d)) for k, s, d in layers]) == ((field, field), (jump, jump))
    size = field + 3 * jump + 40
    x = torch.zeros(1, 1, size, requires_grad=True)
    y = x
    for k, s, d in layers:
        y = F.conv1d(y, torch.ones(1, 1, k), stride=s, dilation=d)
    y[0, 0, 0].backward()
    touched = (x.grad[0, 0] != 0).nonzero().flatten()
    assert touched.max().item() - touched.min().item() + 1 == field
    if y.shape[-1] > 1:  # the next output starts `jump` inputs later
        x.grad = None
        y2 = x
        for k, s, d in layers:
            y2 = F.conv1d(y2, torch.ones(1, 1, k), stride=s, dilation=d)
        y2[0, 0, 1].backward()
        assert (x.grad[0, 0] != 0).nonzero().min().item() == jump


@pytest.mark.parametrize("call,error,message", [
    (lambda: shapes.conv_output_size(0, 3), ValueError, r"size must be positive"),
    (lambda: shapes.conv_output_size(5, 3, stride=0), ValueError, r"stride must be positive"),
    (lambda: shapes.conv_output_size(5, 3, padding=-1), ValueError, r"padding must be >= 0"),
    (lambda: shapes.conv_output_size((5, 5), (3, 3, 3)), ValueError, r"one value per spatial axis"),
    (lambda: shapes.conv_output_size(5, 3, padding="same", stride=2), ValueError, r"padding='same' needs stride 1"),
    (lambda: shapes.conv_output_size(2, 3), ValueError, r"kernel larger than the padded input"),
    (lambda: shapes.conv_transpose_output_size(5, 3, stride=2, output_padding=2), ValueError, r"output_padding must be smaller"),
    (lambda: shapes.conv_params(3, 4, (3, 3), groups=2), ValueError, r"must both be divisible by groups \(2\); choose groups that divides both, e.g. .*, 1\."),
    (lambda: shapes.conv_params(3.0, 4, (3, 3)), TypeError, r"in_channels must be an int"),
    (lambda: shapes.conv_params(3, 4, (3, 3), dims=3), ValueError, r"kernel_size=\(3, 3\) has 2 axes but dims=3"),
    (lambda: shapes.conv_params(3, 4, 3, dims=0), ValueError, r"dims must be >= 1, got 0"),
    (lambda: shapes.conv_macs(3, 4, (3, 3), (5, 5, 5)), ValueError, r"output_size needs one value per spatial axis \(2 here\)"),
    (lambda: shapes.receptive_field([(3,)]), ValueError, r"layers\[0\] must be \(kernel_size, stride\)"),
    (lambda: shapes.receptive_field([(3, 0)], dims=1), ValueError, r"layers\[0\] stride must be positive on every axis, got 0"),
    (lambda: shapes.receptive_field(3), TypeError, r"layers must be a sequence"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
