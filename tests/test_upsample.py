"""course_lib.upsample against torch: interpolate in every mode and keyword (float64,
and the nearest indices in float32 too), pixel shuffle, max-unpooling, gradients,
empty batches, and every bad-input rule with its message.
"""
import doctest

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, ATOL
from course_lib import upsample

pytestmark = pytest.mark.lesson08

MODE_AXES = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "linear": (1,), "bilinear": (2,), "trilinear": (3,), "bicubic": (2,),
             "area": (1, 2, 3)}
INTERPOLATING = ("linear", "bilinear", "trilinear", "bicubic")
ANTIALIASABLE = ("bilinear", "bicubic")
# Scale factors that are exact in binary, awkward in binary, or random.
FACTORS = st.one_of(
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 1 / 3, 2 / 3, 7 / 3, 1.05, 2.05, 0.3, 0.7, 1.1, 2.9]),
    st.floats(0.2, 4.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def interpolate_cases(draw, max_size=9, empty_batch=True):
    """(shape, kwargs) for F.interpolate: every mode, size or scale_factor (with each recompute_scale_factor),
    align_corners and antialias where the mode takes them, and sometimes an empty batch (N = 0)."""
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
        recompute = draw(st.sampled_from(["absent", None, False, True]))
        if recompute != "absent":
            kwargs["recompute_scale_factor"] = recompute
    if mode in INTERPOLATING:
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    if mode in ANTIALIASABLE and draw(st.booleans()):
        kwargs["antialias"] = True
    batch = draw(st.integers(0 if empty_batch else 1, 2))
    return (batch, draw(st.integers(1, 3)), *sizes), kwargs


def torch_interpolate(x, **kwargs):
    """F.interpolate, but around a quirk of torch's CPU antialias kernel (seen in torch 2.13).

    With antialias=True, an output width of 1 and a resized height (to more than 1 row), torch gives every
    output row the weights of row 0, so the result is no longer the separable filter that it computes for
    every other shape. Transposing H and W gives the separable result, which is what course_lib computes.
    """
    out = F.interpolate(x, **kwargs)
    if kwargs.get("antialias") and out.shape[-1] == 1 and out.shape[-2] not in (1, x.shape[-2]):
        swapped = {k: tuple(v)[::-1] if k in ("size", "scale_factor") and isinstance(v, (tuple, list)) else v for k, v in kwargs.items()}
        out = F.interpolate(x.transpose(-1, -2), **swapped).transpose(-1, -2)
    return out


@settings(max_examples=examples(300))
@given(case=interpolate_cases())
def test_interpolate_matches_torch(case):
    shape, kwargs = case
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = torch_interpolate(x, **kwargs)
    got = upsample.interpolate(x, **kwargs)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


@settings(max_examples=examples(200))
@given(case=interpolate_cases())
def test_nearest_reads_the_same_pixels_in_float32(case):
    """The index arithmetic follows torch's float32 rounding: the same source pixel, exactly."""
    shape, kwargs = case
    if kwargs["mode"] not in ("nearest", "nearest-exact"):
        kwargs = {**kwargs, "mode": "nearest"}
        kwargs.pop("align_corners", None)
        kwargs.pop("antialias", None)
    x = torch.arange(torch.Size(shape).numel(), dtype=torch.float32).reshape(shape)
    assert torch.equal(upsample.interpolate(x, **kwargs), F.interpolate(x, **kwargs))


@pytest.mark.parametrize("mode, shape", [("bilinear", (2, 3, 5, 6)), ("bicubic", (1, 2, 4, 5)), ("trilinear", (1, 2, 3, 4, 2)), ("linear", (2, 2, 7))])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolating_modes_float32(mode, shape, align_corners):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    for kwargs in ({"scale_factor": 2.5}, {"size": tuple(2 * s + 1 for s in shape[2:])}, {"scale_factor": 0.6}):
        expected = F.interpolate(x, mode=mode, align_corners=align_corners, **kwargs)
        torch.testing.assert_close(upsample.interpolate(x, mode=mode, align_corners=align_corners, **kwargs), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mode, kwargs", [("area", {}), ("bilinear", {"antialias": True}), ("bicubic", {"antialias": True}),
                                          ("bilinear", {"antialias": True, "align_corners": True})])
def test_area_and_antialias_float32(mode, kwargs):
    x = torch.randn(2, 3, 11, 13, generator=torch.Generator().manual_seed(4))
    for size in ((4, 5), (3, 17), (23, 6), (11, 2)):
        expected = torch_interpolate(x, size=size, mode=mode, **kwargs)
        torch.testing.assert_close(upsample.interpolate(x, size=size, mode=mode, **kwargs), expected, atol=1e-5, rtol=1e-5)


def test_antialias_widens_the_filter_only_when_downsampling():
    """Downsampling by s reads about 2s inputs per output (bilinear); upsampling reads at most 2, like bilinear."""
    down = upsample.interpolation_matrix(12, 3, "bilinear", antialias=True, dtype=torch.float64)
    assert (down[1] != 0).sum() == 8  # scale 4: the tent has half-width 4
    up = upsample.interpolation_matrix(3, 12, "bilinear", antialias=True, dtype=torch.float64)
    torch.testing.assert_close(up, upsample.interpolation_matrix(3, 12, "bilinear", dtype=torch.float64), atol=1e-12, rtol=0)
    for m in (down, up, upsample.interpolation_matrix(12, 5, "bicubic", antialias=True, dtype=torch.float64)):
        torch.testing.assert_close(m.sum(1), torch.ones(m.shape[0], dtype=torch.float64), atol=1e-12, rtol=0)


def test_antialias_with_output_width_one_is_separable():
    """Where torch's antialias kernel is not separable (output width 1, see torch_interpolate), ours still is:
    it equals torch's H pass followed by torch's W pass, each a call that resizes one axis."""
    x = torch.randn(2, 3, 6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    for mode in ANTIALIASABLE:
        two_passes = F.interpolate(F.interpolate(x, size=(3, 4), mode=mode, antialias=True), size=(3, 1), mode=mode, antialias=True)
        got = upsample.interpolate(x, size=(3, 1), mode=mode, antialias=True)
        torch.testing.assert_close(got, two_passes, atol=ATOL, rtol=0)
        torch.testing.assert_close(got, torch_interpolate(x, size=(3, 1), mode=mode, antialias=True), atol=ATOL, rtol=0)


@pytest.mark.parametrize("kwargs", [{"scale_factor": (0.5, 1.1), "mode": "bicubic", "antialias": True},
                                    {"scale_factor": (1.05, 1.0), "mode": "bicubic"}])
def test_gradient_where_torch_backward_disagrees_with_its_forward(kwargs):
    """An axis that a factor != 1 leaves at its size (2 x 1.1 -> 2): torch's forward and backward disagree there,
    ours follows torch's forward, and our gradient is that forward's transpose."""
    x = torch.randn(1, 2, 6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(7), requires_grad=True)
    assert torch_backward_quirk(x, kwargs)
    got = upsample.interpolate(x, **kwargs)
    torch.testing.assert_close(got, F.interpolate(x, **kwargs), atol=ATOL, rtol=0)
    upstream = torch.randn(got.shape, dtype=torch.float64)
    (ours,) = torch.autograd.grad(got, x, upstream)
    torch.testing.assert_close(ours, (upstream.flatten(2) @ forward_jacobian(x, kwargs)).reshape(x.shape), atol=ATOL, rtol=0)


def test_recompute_scale_factor_changes_the_scale():
    """1.05 on 10 pixels gives 10 pixels: the scale stays 1/1.05 unless recomputed (then a plain copy)."""
    x = torch.randn(1, 2, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    for recompute in (None, False, True):
        got = upsample.interpolate(x, scale_factor=1.05, mode="nearest", recompute_scale_factor=recompute)
        assert torch.equal(got, F.interpolate(x, scale_factor=1.05, mode="nearest", recompute_scale_factor=recompute))
        assert torch.equal(got, x) == bool(recompute)


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
    for mode in ("nearest", "bilinear", "bicubic", "area"):
        torch.testing.assert_close(upsample.interpolate(x, scale_factor=1.7, mode=mode), F.interpolate(x, scale_factor=1.7, mode=mode), atol=ATOL, rtol=0)
    torch.testing.assert_close(upsample.interpolate(x, scale_factor=0.6, mode="bicubic", antialias=True),
                               F.interpolate(x, scale_factor=0.6, mode="bicubic", antialias=True), atol=ATOL, rtol=0)
    y = torch.randn(2, 3, 7, 5, dtype=torch.float64).transpose(2, 3)
    torch.testing.assert_close(upsample.interpolate(y, size=(4, 9), mode="bilinear"), F.interpolate(y, size=(4, 9), mode="bilinear"), atol=ATOL, rtol=0)


def torch_backward_quirk(x, kwargs):
    """True where torch's bicubic or antialias backward disagrees with its own forward (seen in torch 2.13).

    It happens on an axis whose size a scale factor other than 1 leaves unchanged (2 x 1.05 -> 2):
    the antialias forward leaves that axis alone but its backward filters it with the scale
    1 / scale_factor; the bicubic forward uses that scale and its backward does not.
    """
    factor = kwargs.get("scale_factor")
    if not (kwargs.get("antialias") or kwargs["mode"] == "bicubic") or factor is None or kwargs.get("recompute_scale_factor"):
        return False
    factors = tuple(factor) if isinstance(factor, (tuple, list)) else (factor,) * (x.dim() - 2)
    return any(int(s * f) == s and f != 1 for s, f in zip(x.shape[2:], factors))


def forward_jacobian(x, kwargs):
    """The matrix of torch's interpolate on one plane, from its forward pass alone: column i is interpolate(e_i)."""
    plane = x.shape[2:]
    basis = torch.eye(plane.numel(), dtype=x.dtype).reshape(-1, 1, *plane)
    return torch_interpolate(basis, **kwargs).flatten(1).T  # (outputs, inputs)


@settings(max_examples=examples(60))
@given(case=interpolate_cases(max_size=5, empty_batch=False))
def test_interpolate_gradients_match_torch(case):
    """Our gradient is J.T @ upstream for torch's forward J; for the interpolating modes and area also torch's backward.

    (torch's nearest backward uses the 2-D kernel's legacy index rule for every rank, so for 1-D and 3-D
    input with some scale factors it disagrees with torch's own forward, and so do its bicubic and antialias
    backward in the case of torch_backward_quirk; the forward-derived J does not.)
    """
    shape, kwargs = case
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2), requires_grad=True)
    expected = torch_interpolate(x, **kwargs)
    upstream = torch.randn(expected.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    (ours,) = torch.autograd.grad(upsample.interpolate(x, **kwargs), x, upstream)
    true = (upstream.flatten(2) @ forward_jacobian(x, kwargs)).reshape(x.shape)
    torch.testing.assert_close(ours, true, atol=ATOL, rtol=0)
    if kwargs["mode"] in (*INTERPOLATING, "area") and not torch_backward_quirk(x, kwargs):
        (theirs,) = torch.autograd.grad(expected, x, upstream)
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


def test_interpolation_matrix_rows_sum_to_one_and_docstrings():
    for mode, antialias in (("linear", False), ("bicubic", False), ("area", False), ("bilinear", True), ("bicubic", True)):
        for align in (False, True) if mode != "area" else (False,):
            for in_size, out_size in ((5, 12), (12, 5), (7, 1)):
                m = upsample.interpolation_matrix(in_size, out_size, mode, align, dtype=torch.float64, antialias=antialias)
                torch.testing.assert_close(m.sum(1), torch.ones(out_size, dtype=torch.float64), atol=1e-12, rtol=0)
    result = doctest.testmod(upsample)
    assert result.failed == 0 and result.attempted > 0


def test_gradcheck_area_and_antialias():
    x = torch.randn(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    for kwargs in ({"mode": "area", "size": (3, 4)}, {"mode": "bilinear", "size": (2, 9), "antialias": True},
                   {"mode": "bicubic", "scale_factor": 0.6, "antialias": True, "align_corners": True}):
        assert torch.autograd.gradcheck(lambda t: upsample.interpolate(t, **kwargs), (x,))


def torch_pixel_unshuffle(x, r):
    """F.pixel_unshuffle, but with the documented shape for an empty input.

    torch's CPU kernel returns an empty input unchanged, in its own shape (pytorch/pytorch PR #192816);
    its meta and CUDA kernels give (*, C*r*r, H/r, W/r), as for any other input.
    """
    if x.numel():
        return F.pixel_unshuffle(x, r)
    return x.new_zeros(F.pixel_unshuffle(x.to("meta"), r).shape)


@settings(max_examples=examples(60))
@given(lead=st.lists(st.integers(0, 2), max_size=2), c=st.integers(0, 3), r=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4))
def test_pixel_shuffle_and_unshuffle_match_torch(lead, c, r, h, w):
    x = torch.randn(*lead, c * r * r, h, w, dtype=torch.float64)
    shuffled = upsample.pixel_shuffle(x, r)
    assert torch.equal(shuffled, F.pixel_shuffle(x, r))
    assert torch.equal(upsample.pixel_unshuffle(shuffled, r), torch_pixel_unshuffle(shuffled, r))
    assert torch.equal(upsample.pixel_unshuffle(shuffled, r), x)


def test_pixel_shuffle_gradient():
    x = torch.randn(2, 8, 3, 4, dtype=torch.float64, requires_grad=True)
    up = torch.randn(2, 2, 6, 8, dtype=torch.float64)
    (ours,) = torch.autograd.grad(upsample.pixel_shuffle(x, 2), x, up)
    (theirs,) = torch.autograd.grad(F.pixel_shuffle(x, 2), x, up)
    assert torch.equal(ours, theirs)


POOLS = {1: (F.max_pool1d, F.max_unpool1d, upsample.max_unpool1d), 2: (F.max_pool2d, F.max_unpool2d, upsample.max_unpool2d),
         3: (F.max_pool3d, F.max_unpool3d, upsample.max_unpool3d)}


@settings(max_examples=examples(60))
@given(n=st.integers(1, 3), data=st.data())
def test_max_unpool_matches_torch(n, data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    sizes = tuple(data.draw(st.integers(k, 7)) for k in kernel)
    batched = data.draw(st.booleans())
    x = torch.randn(*((data.draw(st.integers(0, 2)),) if batched else ()), 3, *sizes, dtype=torch.float64)
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
    ("unknown mode", (X4,), {"size": 3, "mode": "cubic"}, ValueError, r"mode must be one of 'nearest'.*'area'; got 'cubic'"),
    ("align_corners with area", (X4,), {"size": 3, "mode": "area", "align_corners": False}, ValueError, r"align_corners can only be set .* mode='area'"),
    ("area on 2-D", (X4[0, 0],), {"size": 3, "mode": "area"}, ValueError, r"input must be 3-D \(N, C, L\), 4-D .* got a 2-D tensor"),
    ("antialias with nearest", (X4,), {"size": 3, "antialias": True}, ValueError, r"antialias=True works only with mode='bilinear' or mode='bicubic'.*got mode='nearest'\."),
    ("antialias with nearest-exact", (X4,), {"size": 3, "mode": "nearest-exact", "antialias": True}, ValueError, r"antialias=True .*got mode='nearest-exact'"),
    ("antialias with linear", (X4[0],), {"size": 3, "mode": "linear", "antialias": True}, ValueError, r"antialias=True .*got mode='linear'"),
    ("antialias with trilinear", (X4[None],), {"size": 3, "mode": "trilinear", "antialias": True}, ValueError, r"antialias=True .*got mode='trilinear'"),
    ("antialias with area", (X4,), {"size": 3, "mode": "area", "antialias": True}, ValueError, r"antialias=True .*got mode='area' \(area already averages"),
    ("antialias type", (X4,), {"size": 3, "mode": "bilinear", "antialias": 1}, TypeError, r"antialias must be True or False, got 1 \(int\)"),
    ("recompute with size", (X4,), {"size": 3, "recompute_scale_factor": True}, ValueError, r"recompute_scale_factor=True only applies to scale_factor.*size=3.*pass scale_factor instead"),
    ("recompute type", (X4,), {"scale_factor": 2, "recompute_scale_factor": "yes"}, TypeError, r"recompute_scale_factor must be True, False or None, got 'yes'"),
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


TORCH_REJECTS = ["align_corners with area", "antialias with nearest", "antialias with nearest-exact", "antialias with linear",
                 "antialias with trilinear", "antialias with area", "recompute with size", "area on 2-D"]


@pytest.mark.parametrize("name", TORCH_REJECTS)
def test_torch_rejects_the_same_combinations(name):
    (_, args, kwargs, _, _) = next(b for b in BAD_INTERPOLATE if b[0] == name)
    with pytest.raises((ValueError, NotImplementedError, RuntimeError)):
        F.interpolate(*args, **kwargs)


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
    ("unpool empty spatial axis", upsample.max_unpool2d, (V4[..., :0], I4[..., :0], 3, 2), ValueError, r"input must be non-empty on every spatial axis, got shape \(1, 2, 2, 0\)"),
]
EXTRA = {"unpool output_size": {"output_size": (6, 4)}, "unpool output_size length": {"output_size": (4,)}}


@pytest.mark.parametrize("name, fn, args, error, message", BAD_OTHER, ids=[b[0] for b in BAD_OTHER])
def test_shuffle_and_unpool_bad_input(name, fn, args, error, message):
    with pytest.raises(error, match=message):
        fn(*args, **EXTRA.get(name, {}))


# ----------------------------------------------------------------------------
# Empty batches (N = 0) and empty channel axes (C = 0)
# ----------------------------------------------------------------------------

EMPTY_INTERPOLATE = [(mode, n) for mode, axes in MODE_AXES.items() for n in axes] + [("bilinear-aa", 2), ("bicubic-aa", 2)]


@pytest.mark.parametrize("mode, n", EMPTY_INTERPOLATE)
@pytest.mark.parametrize("resize", [{"scale_factor": 1.5}, {"scale_factor": 0.5, "recompute_scale_factor": True}])
def test_interpolate_empty_batch(mode, n, resize):
    kwargs = {"mode": mode.removesuffix("-aa"), **resize, **({"antialias": True} if mode.endswith("-aa") else {})}
    x = torch.randn(0, 3, *(4,) * n, dtype=torch.float64)
    expected = F.interpolate(x, **kwargs)
    got = upsample.interpolate(x, **kwargs)
    assert got.shape == expected.shape and got.dtype == expected.dtype


@pytest.mark.parametrize("mode, n", EMPTY_INTERPOLATE)
def test_interpolate_empty_channels(mode, n):
    """torch accepts C = 0 only for 1-D and 2-D area (adaptive pooling) and refuses it otherwise; ours returns the empty result for every mode."""
    kwargs = {"mode": mode.removesuffix("-aa"), "size": (3,) * n, **({"antialias": True} if mode.endswith("-aa") else {})}
    for shape in ((2, 0, *(4,) * n), (0, 0, *(4,) * n)):
        x = torch.randn(shape, dtype=torch.float64)
        assert upsample.interpolate(x, **kwargs).shape == (*shape[:2], *(3,) * n)
        if mode == "area" and n < 3:
            assert F.interpolate(x, **kwargs).shape == (*shape[:2], *(3,) * n)


@pytest.mark.parametrize("shape, r", [((0, 4, 2, 3), 2), ((2, 0, 2, 3), 2), ((0, 0, 2, 3), 2), ((0, 2, 9, 1, 1), 3), ((2, 4, 0, 3), 2)])
def test_pixel_shuffle_empty(shape, r):
    x = torch.randn(shape, dtype=torch.float64)
    assert torch.equal(upsample.pixel_shuffle(x, r), F.pixel_shuffle(x, r))
    y = F.pixel_shuffle(x, r)
    assert torch.equal(upsample.pixel_unshuffle(y, r), torch_pixel_unshuffle(y, r))
    assert upsample.pixel_unshuffle(y, r).shape == x.shape


@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_empty_batch(n):
    pool, unpool, ours = POOLS[n]
    values, indices = pool(torch.randn(0, 3, *(5,) * n, dtype=torch.float64), 2, return_indices=True)
    for kwargs in ({}, {"output_size": (5,) * n}):
        expected = unpool(values, indices, 2, **kwargs)
        got = ours(values, indices, 2, **kwargs)
        assert got.shape == expected.shape == (0, 3, *(kwargs.get("output_size") or (4,) * n))
    # unbatched with no channels: torch accepts it too
    v, i = values.reshape(0, *(2,) * n), indices.reshape(0, *(2,) * n)
    assert ours(v, i, 2).shape == unpool(v, i, 2).shape == (0, *(4,) * n)
    # batched with no channels: torch refuses (non-empty non-batch dims); ours returns the empty result
    assert ours(values.reshape(2, 0, *(2,) * n), indices.reshape(2, 0, *(2,) * n), 2).shape == (2, 0, *(4,) * n)
