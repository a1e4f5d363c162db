"""Every bad input gets a clear error: the parameter, what was given, what would fix it.

One table, run against every convolution implementation in conftest's table.
"""
import pytest
import torch

from conftest import CONV_IMPLEMENTATIONS

pytestmark = [pytest.mark.lesson01, pytest.mark.lesson02, pytest.mark.lesson03, pytest.mark.lesson04]

x1, w1 = torch.randn(2, 4, 10), torch.randn(6, 4, 3)
x2, w2 = torch.randn(2, 4, 8, 8), torch.randn(6, 4, 3, 3)
x3, w3 = torch.randn(2, 3, 4, 8, 8), torch.randn(5, 3, 3, 3, 3)

# (id, function name, args, kwargs, exception, regex the message must match)
CASES = [
    # wrong input rank
    ("image batch into conv3d", "conv3d", (torch.randn(2, 3, 8, 8), w3), {}, ValueError,
     r"read as unbatched \(C, D, H, W\).*batch \(N, C, H, W\).*input\.unsqueeze\(2\) gives \(N, C, D, H, W\)"),
    ("single image into conv3d", "conv3d", (torch.randn(3, 8, 8), w3), {}, ValueError,
     r"conv3d: input must be 5-D \(N, C, D, H, W\) or unbatched 4-D \(C, D, H, W\), got a 3-D tensor of shape \(3, 8, 8\).*input\[None, :, None\]"),
    ("video into conv2d", "conv2d", (x3, w2), {}, ValueError,
     r"conv2d: input must be 4-D \(N, C, H, W\).*got a 5-D tensor.*fold it into the batch with input\.flatten\(0, 1\)"),
    ("vector into conv1d", "conv1d", (torch.randn(10), w1), {}, ValueError, r"input must be 3-D \(N, C, L\) or unbatched 2-D \(C, L\), got a 1-D"),
    ("weight rank", "conv2d", (x2, w1), {}, ValueError, r"weight must be 4-D \(C_out, C_in/groups, kH, kW\), got a 3-D tensor"),
    ("convnd weight rank", "convnd", (x1, torch.randn(6, 4)), {}, ValueError, r"at least one spatial axis, got a 2-D"),
    # channels and groups
    ("channel mismatch", "conv2d", (x2, torch.randn(6, 3, 3, 3)), {}, ValueError, r"input has 4 channels but weight expects 3"),
    ("in channels not divisible by groups", "conv2d", (x2, torch.randn(6, 1, 3, 3)), {"groups": 3}, ValueError,
     r"input channels \(4\) must be divisible by groups \(3\)"),
    ("out channels not divisible by groups", "conv2d", (x2, torch.randn(5, 2, 3, 3)), {"groups": 2}, ValueError,
     r"output channels \(5\) must be divisible by groups \(2\)"),
    ("groups zero", "conv2d", (x2, w2), {"groups": 0}, ValueError, r"groups must be >= 1, got 0"),
    ("groups float", "conv2d", (x2, w2), {"groups": 1.5}, TypeError, r"groups must be an int, got 1\.5"),
    # sizes
    ("kernel larger than padded input", "conv2d", (torch.randn(1, 4, 2, 8), w2), {}, ValueError,
     r"conv2d: kernel larger than the padded input on spatial axis 0 \(H\): kernel spans 3, padded input has 2.*more padding"),
    ("dilated kernel too large", "conv1d", (x1, w1), {"dilation": 5}, ValueError, r"kernel spans 11, padded input has 10 \(span = dilation 5 x \(kernel 3 - 1\) \+ 1; padded = size 10 \+ padding 0\+0\)"),
    ("stride zero", "conv2d", (x2, w2), {"stride": 0}, ValueError, r"stride must be positive on every axis, got 0"),
    ("stride tuple with zero", "conv2d", (x2, w2), {"stride": (1, 0)}, ValueError, r"stride must be positive on every axis, got \(1, 0\)"),
    ("dilation zero", "conv1d", (x1, w1), {"dilation": 0}, ValueError, r"dilation must be positive"),
    ("stride float", "conv2d", (x2, w2), {"stride": 1.5}, TypeError, r"stride must be an int or a tuple of 2 ints, got 1\.5"),
    ("tuple of wrong length", "conv3d", (x3, w3), {"stride": (1, 2)}, ValueError,
     r"stride needs one value per spatial axis \(3 here\), got 2: \(1, 2\)\. Pass a single positive int or a tuple of 3 positive ints"),
    ("padding tuple of wrong length", "conv2d", (x2, w2), {"padding": (1, 1, 1)}, ValueError, r"padding needs one value per spatial axis \(2 here\)"),
    # padding
    ("negative padding", "conv2d", (x2, w2), {"padding": -1}, ValueError, r"padding must be >= 0 on every axis, got -1.*slice the input"),
    ("unknown padding string", "conv2d", (x2, w2), {"padding": "full"}, ValueError, r"padding must be one of 'valid', 'same'; got 'full'"),
    ("same with stride", "conv2d", (x2, w2), {"padding": "same", "stride": 2}, ValueError,
     r"padding='same' needs stride 1 on every axis.*got stride=\(2, 2\)"),
    ("unknown padding mode", "conv2d", (x2, w2), {"padding_mode": "mirror"}, ValueError,
     r"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; got 'mirror'"),
    ("reflect padding too large", "conv1d", (torch.randn(1, 4, 3), w1), {"padding": 3, "padding_mode": "reflect"}, ValueError,
     r"padding_mode='reflect' needs padding < input size.*padding 3 on spatial axis 0 of size 3"),
    ("circular padding too large", "conv1d", (torch.randn(1, 4, 3), w1), {"padding": 4, "padding_mode": "circular"}, ValueError,
     r"padding_mode='circular' needs padding <= input size"),
    # bias and types
    ("bias wrong length", "conv2d", (x2, w2, torch.randn(4)), {}, ValueError, r"bias must be 1-D with one value per output channel \(6,\), got shape \(4,\)"),
    ("bias 2-D", "conv2d", (x2, w2, torch.randn(6, 1)), {}, ValueError, r"got shape \(6, 1\)"),
    ("input not a tensor", "conv2d", (x2.tolist(), w2), {}, TypeError, r"input must be a torch\.Tensor, got list\. Convert it first"),
    ("weight dtype", "conv2d", (x2, w2.double()), {}, TypeError, r"weight has dtype torch\.float64 but input has torch\.float32.*weight\.to\(input\.dtype\)"),
    # edges torch's own tests reach
    ("zero output channels", "conv2d", (x2, torch.randn(0, 4, 3, 3)), {}, ValueError,
     r"conv2d: weight \(C_out, C_in/groups, \.\.\.\) has no channels to compute with, shape \(0, 4, 3, 3\)"),
    ("zero kernel axis", "conv2d", (x2, torch.randn(6, 4, 0, 3)), {}, ValueError, r"zero-sized kernel axis, shape \(6, 4, 0, 3\)"),
    ("wrong length and negative", "conv2d", (x2, w2), {"dilation": (-1,)}, ValueError,
     r"dilation needs one value per spatial axis \(2 here\), got 1: \(-1,\); and every value must be positive, got -1"),
    ("wrong length and negative stride", "conv1d", (x1, w1), {"stride": (0, -2)}, ValueError,
     r"stride needs one value per spatial axis \(1 here\), got 2: \(0, -2\); and every value must be positive, got 0, -2"),
]


@pytest.mark.parametrize("impl", CONV_IMPLEMENTATIONS, ids=str)
@pytest.mark.parametrize("name,fn,args,kwargs,error,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_message(impl, name, fn, args, kwargs, error, message):
    if impl.function is not None and fn != impl.function:
        pytest.skip(f"{impl.name} has only {impl.function}")
    with pytest.raises(error, match=message):
        getattr(impl.module, fn)(*args, **kwargs)


@pytest.mark.parametrize("impl", [i for i in CONV_IMPLEMENTATIONS if i.function is None], ids=str)
def test_convnd_accepts_what_conv3d_rejects(impl):
    """The rank rules belong to conv1d/2d/3d; convnd reads the number of axes from the weight."""
    out = impl.module.convnd(torch.randn(1, 2, 3, 3, 3, 3), torch.randn(1, 2, 2, 2, 2, 2))
    assert out.shape == (1, 1, 2, 2, 2, 2)
