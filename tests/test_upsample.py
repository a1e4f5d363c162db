"""course_lib.upsample against torch: interpolate in every mode (float64, and the
nearest indices in float32 too), pixel shuffle, max-unpooling, gradients, and
every bad-input rule with its message.
"""
import doctest

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ATOL
from course_lib import upsample

MODE_AXES = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "linear": (1,), "bilinear": (2,), "trilinear": (3,), "bicubic": (2,)}
INTERPOLATING = ("linear", "bilinear", "trilinear", "bicubic")
# Scale factors that are exact in binary, awkward in binary, or random.
FACTORS = st.one_of(
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 1 / 3, 2 / 3, 7 / 3, 1.05, 2.05, 0.3, 0.7, 1.1, 2.9]),
    st.floats(0.2, 4.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def interpolate_cases(draw, max_size=9):
    mode = draw(st.sampled_from(list(MODE_AXES)))
    n = draw(st.sampled_from(MODE_AXES[mode]))
    sizes = tuple(draw(st.integers(1, max_size)) for _ in range(n))
    kwargs = {"mode": mode}
    if draw(st.booleans()):
        size = tuple(draw(st.integers(1, 20)) for _ in range(n))
        kwargs["size"] = size[0] if draw(st.booleans()) and len(set(size)) == 1 else size
    else:
        factors = tuple(draw(FACTORS) for _ in range(n))
        sizes = tuple(max(s, int(1 / f) + 1) for s, f in zip(sizes, factors))  # output at least 1
        kwargs["scale_factor"] = factors[0] if len(set(factors)) == 1 and draw(st.booleans()) else factors
    if mode in INTERPOLATING:
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sizes), kwargs


@settings(max_examples=300)
@given(case=interpolate_cases())
def test_interpolate_matches_torch(case):
    shape, kwargs = case
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = F.interpolate(x, **kwargs)
    got = upsample.interpolate(x, **kwargs)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


@settings(max_examples=200)
@given(case=interpolate_cases())
def test_nearest_reads_the_same_pixels_in_float32(case):
    """The index arithmetic follows torch's float32 rounding: the same source pixel, exactly."""
    shape, kwargs = case
    if kwargs["mode"] not in ("nearest", "nearest-exact"):
        kwargs = {**kwargs, "mode": "nearest"}
        kwargs.pop("align_corners", None)
    x = torch.arange(torch.Size(shape).numel(), dtype=torch.float32).reshape(shape)
    assert torch.equal(upsample.interpolate(x, **kwargs), F.interpolate(x, **kwargs))


@pytest.mark.parametrize("mode, shape", [("bilinear", (2, 3, 5, 6)), ("bicubic", (1, 2, 4, 5)), ("trilinear", (1, 2, 3, 4, 2)), ("linear", (2, 2, 7))])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolating_modes_float32(mode, shape, align_corners):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    for kwargs in ({"scale_factor": 2.5}, {"size": tuple(2 * s + 1 for s in shape[2:])}, {"scale_factor": 0.6}):
        expected = F.interpolate(x, mode=mode, align_corners=align_corners, **kwargs)
        torch.testing.assert_close(upsample.interpolate(x, mode=mode, align_corners=align_corners, **kwargs), expected, atol=1e-5, rtol=1e-5)


def test_legacy_nearest_rules_of_the_2d_kernel():
    """torch's 2-D nearest copies for an unchanged size and halves for a doubled one, whatever the factor."""
    x = torch.arange(10.0).reshape(1, 1, 1, 10)
    for factor in (1.05, 2.05):
        expected = F.interpolate(x, scale_factor=(1.0, factor))
        assert torch.equal(upsample.interpolate(x, scale_factor=(1.0, factor)), expected)
    assert upsample.interpolate(x, scale_factor=(1.0, 1.05)).flatten().tolist() == list(range(10))
    # ... while the 1-D kernel computes floor(o / 1.05)
    assert upsample.interpolate(x[0], scale_factor=1.05).flatten().tolist()[:3] == [0.0, 0.0, 1.0]


def test_channels_last_and_non_contiguous_input():
    x = torch.randn(2, 3, 5, 7, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    for mode in ("nearest", "bilinear", "bicubic"):
        torch.testing.assert_close(upsample.interpolate(x, scale_factor=1.7, mode=mode), F.interpolate(x, scale_factor=1.7, mode=mode), atol=ATOL, rtol=0)
    y = torch.randn(2, 3, 7, 5, dtype=torch.float64).transpose(2, 3)
    torch.testing.assert_close(upsample.interpolate(y, size=(4, 9), mode="bilinear"), F.interpolate(y, size=(4, 9), mode="bilinear"), atol=ATOL, rtol=0)


def forward_jacobian(x, kwargs):
    """The matrix of torch's interpolate on one plane, from its forward pass alone: column i is interpolate(e_i)."""
    plane = x.shape[2:]
    basis = torch.eye(plane.numel(), dtype=x.dtype).reshape(-1, 1, *plane)
    return F.interpolate(basis, **kwargs).flatten(1).T  # (outputs, inputs)


@settings(max_examples=40)
@given(case=interpolate_cases(max_size=5))
def test_interpolate_gradients_match_torch(case):
    """Our gradient is J.T @ upstream for torch's forward J; for the interpolating modes also torch's backward.

    (torch's nearest backward uses the 2-D kernel's legacy index rule for every rank, so for 1-D and 3-D
    input with some scale factors it disagrees with torch's own forward; the forward-derived J does not.)
    """
    shape, kwargs = case
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2), requires_grad=True)
    expected = F.interpolate(x, **kwargs)
    upstream = torch.randn(expected.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    (ours,) = torch.autograd.grad(upsample.interpolate(x, **kwargs), x, upstream)
    true = (upstream.flatten(2) @ forward_jacobian(x, kwargs)).reshape(x.shape)
    torch.testing.assert_close(ours, true, atol=ATOL, rtol=0)
    if kwargs["mode"] in INTERPOLATING:
        (theirs,) = torch.autograd.grad(expected, x, upstream)
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


def test_interpolation_matrix_rows_sum_to_one_and_docstrings():
    for mode in ("linear", "bicubic"):
        for align in (False, True):
            m = upsample.interpolation_matrix(5, 12, mode, align, dtype=torch.float64)
            torch.testing.assert_close(m.sum(1), torch.ones(12, dtype=torch.float64), atol=1e-12, rtol=0)
    assert doctest.testmod(upsample).failed == 0


@settings(max_examples=60)
@given(lead=st.lists(st.integers(1, 2), max_size=2), c=st.integers(1, 3), r=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4))
def test_pixel_shuffle_and_unshuffle_match_torch(lead, c, r, h, w):
    x = torch.randn(*lead, c * r * r, h, w, dtype=torch.float64)
    shuffled = upsample.pixel_shuffle(x, r)
    assert torch.equal(shuffled, F.pixel_shuffle(x, r))
    assert torch.equal(upsample.pixel_unshuffle(shuffled, r), F.pixel_unshuffle(shuffled, r))
    assert torch.equal(upsample.pixel_unshuffle(shuffled, r), x)


def test_pixel_shuffle_gradient():
    x = torch.randn(2, 8, 3, 4, dtype=torch.float64, requires_grad=True)
    up = torch.randn(2, 2, 6, 8, dtype=torch.float64)
    (ours,) = torch.autograd.grad(upsample.pixel_shuffle(x, 2), x, up)
    (theirs,) = torch.autograd.grad(F.pixel_shuffle(x, 2), x, up)
    assert torch.equal(ours, theirs)


POOLS = {1: (F.max_pool1d, F.max_unpool1d, upsample.max_unpool1d), 2: (F.max_pool2d, F.max_unpool2d, upsample.max_unpool2d),
         3: (F.max_pool3d, F.max_unpool3d, upsample.max_unpool3d)}


@settings(max_examples=60)
@given(n=st.integers(1, 3), data=st.data())
def test_max_unpool_matches_torch(n, data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(data.draw(st.integers(k, 7)) for k in kernel)
    batched = data.draw(st.booleans())
    x = torch.randn(*((2,) if batched else ()), 3, *sizes, dtype=torch.float64)
    pool, unpool, ours = POOLS[n]
    values, indices = pool(x, kernel, stride, padding, return_indices=True)
    kw = {}
    default = [(o - 1) * s - 2 * p + k for o, s, p, k in zip(values.shape[-n:], stride, padding, kernel)]
    if tuple(default) != sizes or data.draw(st.booleans()):  # the pooling dropped a remainder: give the size back
        kw["output_size"] = sizes if data.draw(st.booleans()) else x.shape[-n - 2 :] if batched else sizes
    got = ours(values, indices, kernel, stride, padding, **kw)
    assert torch.equal(got, unpool(values, indices, kernel, stride, padding, **kw))


def test_max_unpool_default_stride_int_arguments_and_gradient():
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    values.requires_grad_(True)
    got = upsample.max_unpool2d(values, indices, 2)
    expected = F.max_unpool2d(values, indices, 2)
    assert torch.equal(got, expected)
    up = torch.randn(got.shape, dtype=torch.float64)
    assert torch.equal(torch.autograd.grad(got, values, up)[0], torch.autograd.grad(expected, values, up)[0])


X4 = torch.zeros(1, 2, 4, 4)
BAD_INTERPOLATE = [
    ("neither size nor scale", (X4,), {}, ValueError, r"exactly one of size and scale_factor, got neither"),
    ("both size and scale", (X4,), {"size": 3, "scale_factor": 2}, ValueError, r"exactly one of size and scale_factor, got both"),
    ("align_corners with nearest", (X4,), {"size": 3, "align_corners": True}, ValueError, r"align_corners can only be set .* mode='nearest'"),
    ("align_corners with nearest-exact", (X4,), {"size": 3, "mode": "nearest-exact", "align_corners": False}, ValueError, r"align_corners can only be set"),
    ("align_corners type", (X4,), {"size": 3, "mode": "bilinear", "align_corners": 1}, TypeError, r"align_corners must be True, False or None"),
    ("linear on 4-D", (X4,), {"size": 3, "mode": "linear"}, ValueError, r"mode='linear' needs 3-D input \(N, C, L\).*use mode='bilinear or bicubic'"),
    ("bilinear on 3-D", (X4[0],), {"size": 3, "mode": "bilinear"}, ValueError, r"mode='bilinear' needs 4-D input .*add the missing batch axis"),
    ("bicubic on 5-D", (X4[None],), {"size": 3, "mode": "bicubic"}, ValueError, r"mode='bicubic' needs 4-D input"),
    ("trilinear on 4-D", (X4,), {"size": 3, "mode": "trilinear"}, ValueError, r"mode='trilinear' needs 5-D input"),
    ("nearest on 2-D", (X4[0, 0],), {"size": 3}, ValueError, r"input must be 3-D \(N, C, L\), 4-D .* got a 2-D tensor"),
    ("nearest on 6-D", (X4[None, None],), {"size": 3}, ValueError, r"got a 6-D tensor"),
    ("unknown mode", (X4,), {"size": 3, "mode": "area"}, ValueError, r"mode must be one of 'nearest'"),
    ("zero size", (X4,), {"size": 0}, ValueError, r"sizes must be positive .*output \(0, 0\)"),
    ("negative size", (X4,), {"size": (3, -1)}, ValueError, r"sizes must be positive .*output \(3, -1\)"),
    ("size length", (X4,), {"size": (3, 3, 3)}, ValueError, r"size needs one value per spatial axis \(2 here\)"),
    ("size float", (X4,), {"size": 2.5}, TypeError, r"size must be an int or a tuple of 2 ints"),
    ("scale too small", (X4,), {"scale_factor": 0.1}, ValueError, r"sizes must be positive .*floor\(input size x factor\)"),
    ("scale zero", (X4,), {"scale_factor": 0}, ValueError, r"scale_factor must be positive and finite"),
    ("scale negative", (X4,), {"scale_factor": (2, -1.0)}, ValueError, r"scale_factor must be positive and finite"),
    ("scale inf", (X4,), {"scale_factor": float("inf")}, ValueError, r"scale_factor must be positive and finite"),
    ("scale length", (X4,), {"scale_factor": (2, 2, 2)}, ValueError, r"scale_factor needs one value per spatial axis \(2 here\)"),
    ("scale string", (X4,), {"scale_factor": "2"}, TypeError, r"scale_factor must be a number"),
    ("input not tensor", ([[1.0]],), {"size": 2}, TypeError, r"input must be a torch\.Tensor"),
]


@pytest.mark.parametrize("name, args, kwargs, error, message", BAD_INTERPOLATE, ids=[b[0] for b in BAD_INTERPOLATE])
def test_interpolate_bad_input(name, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        upsample.interpolate(*args, **kwargs)


V4, I4 = F.max_pool2d(torch.randn(1, 2, 4, 4), 2, return_indices=True)
BAD_OTHER = [
    ("shuffle channels", upsample.pixel_shuffle, (torch.zeros(1, 3, 2, 2), 2), ValueError, r"input channels \(3\) must be divisible by upscale_factor\*\*2 = 4"),
    ("shuffle rank", upsample.pixel_shuffle, (torch.zeros(4, 2), 2), ValueError, r"at least 3 dims, got a 2-D tensor"),
    ("shuffle factor zero", upsample.pixel_shuffle, (torch.zeros(1, 4, 2, 2), 0), ValueError, r"upscale_factor must be >= 1"),
    ("shuffle factor float", upsample.pixel_shuffle, (torch.zeros(1, 4, 2, 2), 2.0), TypeError, r"upscale_factor must be an int"),
    ("unshuffle size", upsample.pixel_unshuffle, (torch.zeros(1, 1, 3, 2), 2), ValueError, r"height \(3\) and width \(2\) must be divisible by downscale_factor \(2\)"),
    ("unpool index range", upsample.max_unpool2d, (V4, I4 + 100, 2), ValueError, r"indices must lie in 0\.\.15 .* found 10[0-9]"),
    ("unpool negative index", upsample.max_unpool2d, (V4, I4 - 100, 2), ValueError, r"indices must lie in 0\.\.15"),
    ("unpool index dtype", upsample.max_unpool2d, (V4, I4.float(), 2), TypeError, r"indices must be int64"),
    ("unpool index shape", upsample.max_unpool2d, (V4, I4[..., :1], 2), ValueError, r"indices must have the input's shape"),
    ("unpool rank", upsample.max_unpool3d, (V4[0], I4[0], 2), ValueError, r"max_unpool3d: input must be 5-D .* got a 3-D tensor"),
    ("unpool output_size", upsample.max_unpool2d, (V4, I4, 2), ValueError, r"output_size \(6, 4\) is impossible on spatial axis 0.* 3\.\.5 only"),
    ("unpool output_size length", upsample.max_unpool2d, (V4, I4, 2), ValueError, r"output_size must be a sequence of 2 ints"),
    ("unpool kernel", upsample.max_unpool2d, (V4, I4, 0), ValueError, r"kernel_size must be positive"),
]
EXTRA = {"unpool output_size": {"output_size": (6, 4)}, "unpool output_size length": {"output_size": (4,)}}


@pytest.mark.parametrize("name, fn, args, error, message", BAD_OTHER, ids=[b[0] for b in BAD_OTHER])
def test_shuffle_and_unpool_bad_input(name, fn, args, error, message):
    with pytest.raises(error, match=message):
        fn(*args, **EXTRA.get(name, {}))
