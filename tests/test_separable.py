"""Separable building blocks against torch in float64; SVD factorisation; parameter
counts against torch's layers and MAC counts against torch's FLOP counter.
"""
import doctest

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from conftest import examples, ATOL
from course_lib import separable, shapes, video

pytestmark = pytest.mark.lesson06


def randn(*shape, seed=0):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=examples(40))
@given(c=st.integers(1, 4), m=st.integers(1, 2), c_out=st.integers(1, 4), k=st.integers(1, 3), stride=st.integers(1, 2),
       padding=st.integers(0, 1), dilation=st.integers(1, 2), mode=st.sampled_from(["zeros", "reflect", "circular"]),
       bias=st.booleans(), batched=st.booleans())
def test_depthwise_separable_matches_torch(c, m, c_out, k, stride, padding, dilation, mode, bias, batched):
    x = randn(*((2,) if batched else ()), c, 6, 7)
    dw, pw = randn(c * m, 1, k, k, seed=1), randn(c_out, c * m, 1, 1, seed=2)
    db, pb = (randn(c * m, seed=3), randn(c_out, seed=4)) if bias else (None, None)
    depthwise = torch.nn.Conv2d(c, c * m, k, stride, padding, dilation, groups=c, bias=bias, padding_mode=mode).double()
    params = {"weight": dw, **({"bias": db} if bias else {})}
    hidden = torch.func.functional_call(depthwise, params, (x,))
    got_hidden = separable.depthwise_conv2d(x, dw, db, stride, padding, dilation, padding_mode=mode)
    torch.testing.assert_close(got_hidden, hidden, atol=ATOL, rtol=0)
    torch.testing.assert_close(separable.pointwise_conv2d(hidden, pw, pb), F.conv2d(hidden, pw, pb), atol=ATOL, rtol=0)
    got = separable.depthwise_separable_conv2d(x, dw, pw, db, pb, stride, padding, dilation, padding_mode=mode)
    torch.testing.assert_close(got, F.conv2d(hidden, pw, pb), atol=ATOL, rtol=0)


@settings(max_examples=examples(40))
@given(c=st.integers(1, 3), kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 2), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), dh=st.integers(1, 2), dw=st.integers(1, 2), per_channel=st.booleans(),
       mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
def test_spatially_separable_equals_conv2d_with_the_outer_product(c, kh, kw, sh, sw, ph, pw, dh, dw, per_channel, mode):
    x = randn(2, c, 7, 8)
    column = randn(c, kh, seed=1) if per_channel else randn(kh, seed=1)
    row = randn(c, kw, seed=2) if per_channel else randn(kw, seed=2)
    kernel = (column[..., :, None] * row[..., None, :]).expand(c, kh, kw)[:, None]  # (C, 1, kH, kW)
    layer = torch.nn.Conv2d(c, c, (kh, kw), (sh, sw), (ph, pw), (dh, dw), groups=c, bias=False, padding_mode=mode).double()
    expected = torch.func.functional_call(layer, {"weight": kernel.contiguous()}, (x,))
    got = separable.spatially_separable_conv2d(x, column, row, (sh, sw), (ph, pw), (dh, dw), padding_mode=mode)
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


def test_spatially_separable_same_padding_and_unbatched():
    x, column, row = randn(3, 6, 6), randn(4, seed=1), randn(3, seed=2)
    expected = F.conv2d(x[None], torch.outer(column, row).expand(3, 1, 4, 3), padding="same", groups=3)[0]
    torch.testing.assert_close(separable.spatially_separable_conv2d(x, column, row, padding="same"), expected, atol=ATOL, rtol=0)


@settings(max_examples=examples(50))
@given(kh=st.integers(1, 5), kw=st.integers(1, 5), seed=st.integers(0, 1000))
def test_factorise_recovers_rank_one_kernels(kh, kw, seed):
    column, row = randn(kh, seed=seed), randn(kw, seed=seed + 1)
    kernel = torch.outer(column, row)
    c, r, info = separable.factorise_kernel(kernel)
    assert info.separable and info.rank == 1
    assert c.shape == (kh,) and r.shape == (kw,)
    torch.testing.assert_close(torch.outer(c, r), kernel, atol=1e-12, rtol=0)
    assert info.relative_error < 1e-12
    assert c[c.abs().argmax()] > 0


@settings(max_examples=examples(50))
@given(kh=st.integers(2, 5), kw=st.integers(2, 5), seed=st.integers(0, 1000))
def test_factorise_reports_what_rank_one_loses(kh, kw, seed):
    kernel = randn(kh, kw, seed=seed)
    c, r, info = separable.factorise_kernel(kernel)
    assert info.rank == torch.linalg.matrix_rank(kernel).item()
    assert not info.separable
    direct = (torch.linalg.norm(kernel - torch.outer(c, r)) / torch.linalg.norm(kernel)).item()
    assert abs(info.relative_error - direct) < 1e-12
    torch.testing.assert_close(info.singular_values, torch.linalg.svdvals(kernel), atol=1e-12, rtol=0)
    # Eckart-Young: no rank-1 kernel does better, e.g. not the outer product of the first column and row
    naive_guess = torch.outer(kernel[:, 0], kernel[0] / kernel[0, 0])
    assert direct <= (torch.linalg.norm(kernel - naive_guess) / torch.linalg.norm(kernel)).item() + 1e-12
    assert "NOT separable" in str(info) and "%" in str(info)


def test_factorise_classic_kernels():
    sobel = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype=torch.float64)
    c, r, info = separable.factorise_kernel(sobel)
    torch.testing.assert_close(torch.outer(c, r), sobel, atol=1e-12, rtol=0)
    assert "separable" in str(info) and info.rank == 1
    laplacian = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    assert not separable.factorise_kernel(laplacian)[2].separable
    zero = separable.factorise_kernel(torch.zeros(2, 2))[2]
    assert zero.rank == 0 and zero.separable and zero.relative_error == 0.0
    assert separable.factorise_kernel(torch.tensor([[1.0, 1.0], [1.0, 1.0 + 1e-3]]), rtol=1e-2)[2].separable


def macs_by_torch(fn, *tensors):
    """Multiply-accumulates counted by torch's FLOP counter (it counts 2 FLOPs per MAC)."""
    with FlopCounterMode(display=False) as counter:
        fn(*tensors)
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("c_in, c_out, k, size, m", [(32, 64, 3, 14, 1), (8, 16, (3, 5), (9, 7), 2), (3, 3, 1, 4, 1)])
def test_depthwise_separable_counts_match_torch_layers(c_in, c_out, k, size, m):
    counts = shapes.depthwise_separable_counts(c_in, c_out, k, size, multiplier=m, bias=True)
    full = torch.nn.Conv2d(c_in, c_out, k)
    dw, pw = torch.nn.Conv2d(c_in, c_in * m, k, groups=c_in), torch.nn.Conv2d(c_in * m, c_out, 1)
    assert counts["full"]["params"] == sum(p.numel() for p in full.parameters())
    assert counts["separable"]["params"] == sum(p.numel() for p in [*dw.parameters(), *pw.parameters()])
    kh, kw = (k, k) if isinstance(k, int) else k
    oh, ow = (size, size) if isinstance(size, int) else size
    x = torch.zeros(1, c_in, oh + kh - 1, ow + kw - 1)  # valid padding: output is `size`
    assert counts["full"]["macs"] == macs_by_torch(lambda t: F.conv2d(t, full.weight), x)
    assert counts["separable"]["macs"] == macs_by_torch(lambda t: F.conv2d(F.conv2d(t, dw.weight, groups=c_in), pw.weight), x)
    assert counts["ratio"]["macs"] == counts["separable"]["macs"] / counts["full"]["macs"]


def multiplications_of_a_run(function):
    """Multiplications torch performs in ``function()``: FlopCounterMode counts 2 FLOPs per multiply-accumulate."""
    with FlopCounterMode(display=False) as counter:
        function()
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("c, kernel, size, stride, padding, dilation", [
    (1, (3, 3), (10, 10), 1, 0, 1),     # the classic N = 10, m = 3: 576 against 432
    (4, (3, 5), (10, 12), 1, 0, 1),
    (2, (5, 5), (9, 11), 1, 0, 1),
    (3, (4, 2), (12, 9), (2, 1), (1, 2), (1, 2)),
    (2, (3, 3), (8, 8), 1, "same", 1),
])
def test_spatially_separable_counts_are_what_a_run_multiplies(c, kernel, size, stride, padding, dilation):
    """Count the multiplications of torch's own depthwise convolutions doing the same two passes and the full kernel."""
    x = torch.zeros(1, c, *size)
    counts = shapes.spatially_separable_counts(kernel, size, channels=c, stride=stride, padding=padding, dilation=dilation)
    s, d = (stride, stride) if isinstance(stride, int) else stride, (dilation, dilation) if isinstance(dilation, int) else dilation
    p = padding if isinstance(padding, str) else ((padding, padding) if isinstance(padding, int) else padding)
    full = multiplications_of_a_run(lambda: F.conv2d(x, torch.zeros(c, 1, *kernel), None, s, p, d, groups=c))
    pad_h, pad_w = (p, p) if isinstance(p, str) else ((p[0], 0), (0, p[1]))
    vertical = F.conv2d(x, torch.zeros(c, 1, kernel[0], 1), None, (s[0], 1), pad_h, (d[0], 1), groups=c)
    first = multiplications_of_a_run(lambda: F.conv2d(x, torch.zeros(c, 1, kernel[0], 1), None, (s[0], 1), pad_h, (d[0], 1), groups=c))
    second = multiplications_of_a_run(lambda: F.conv2d(vertical, torch.zeros(c, 1, 1, kernel[1]), None, (1, s[1]), pad_w, (1, d[1]), groups=c))
    assert counts["full"]["macs"] == full
    assert counts["vertical"]["macs"] == first and counts["horizontal"]["macs"] == second
    assert counts["separable"]["macs"] == first + second
    assert counts["full"]["params"] == c * kernel[0] * kernel[1] and counts["separable"]["params"] == c * (kernel[0] + kernel[1])


@given(n=st.integers(7, 40), m=st.integers(1, 7))
@settings(deadline=None)
def test_spatially_separable_counts_for_any_square_size(n, m):
    """N x N input, m x m kernel: the counts are what torch's FLOP counter sees in the full kernel and the two
    passes (shapes only, on the meta device); the often-copied (2N-2)(N-2)m is the m = 3 case of the two passes."""
    counts = shapes.spatially_separable_counts(m, n)
    x = torch.empty(1, 1, n, n, device="meta")
    assert counts["full"]["macs"] == multiplications_of_a_run(lambda: F.conv2d(x, torch.empty(1, 1, m, m, device="meta")))
    vertical = F.conv2d(x, torch.empty(1, 1, m, 1, device="meta"))
    two_passes = multiplications_of_a_run(lambda: F.conv2d(F.conv2d(x, torch.empty(1, 1, m, 1, device="meta")),
                                                           torch.empty(1, 1, 1, m, device="meta")))
    assert counts["separable"]["macs"] == two_passes and vertical.shape[-2:] == (n - m + 1, n)
    if m == 3:
        assert two_passes == (2 * n - 2) * (n - 2) * m


@pytest.mark.parametrize("n_in, n_out, k", [(64, 64, 3), (3, 64, (3, 7, 7)), (128, 256, 3), (16, 8, (5, 3, 3))])
def test_r2plus1d_mid_channels_match_parameters(n_in, n_out, k):
    t, kh, kw = (k, k, k) if isinstance(k, int) else k
    m = shapes.r2plus1d_mid_channels(n_in, n_out, k)
    full = sum(p.numel() for p in torch.nn.Conv3d(n_in, n_out, (t, kh, kw), bias=False).parameters())
    split = lambda mid: mid * n_in * kh * kw + n_out * mid * t  # noqa: E731
    assert split(m) <= full < split(m + 1)  # the largest M that does not exceed the full layer


def test_conv2plus1d_matches_two_torch_conv3d_and_counts():
    x = randn(2, 3, 5, 7, 8)
    m = shapes.r2plus1d_mid_channels(3, 4, 3)
    sw, tw, sb, tb = randn(m, 3, 1, 3, 3, seed=1), randn(4, m, 3, 1, 1, seed=2), randn(m, seed=3), randn(4, seed=4)
    hidden = F.conv3d(x, sw, sb, stride=(1, 2, 1), padding=(0, 1, 1))
    expected = F.conv3d(torch.relu(hidden), tw, tb, stride=(2, 1, 1), padding=(1, 0, 0))
    got = video.conv2plus1d(x, sw, tw, sb, tb, stride=(2, 2, 1), padding=1, activation=torch.relu)
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)
    assert got.shape == F.conv3d(x, randn(4, 3, 3, 3, 3), stride=(2, 2, 1), padding=1).shape
    counts = shapes.conv2plus1d_counts(3, 4, 3, (5, 7, 8), stride=(2, 2, 1), padding=1)
    assert counts["mid_channels"] == m
    x32, sw32, tw32 = x[:1].float(), sw.float(), tw.float()  # counts are per sample
    assert counts["separable"]["macs"] == macs_by_torch(lambda t: video.conv2plus1d(t, sw32, tw32, stride=(2, 2, 1), padding=1), x32)
    assert counts["full"]["macs"] == macs_by_torch(lambda t: F.conv3d(t, torch.zeros(4, 3, 3, 3, 3), stride=(2, 2, 1), padding=1), x32)
    assert counts["separable"]["params"] == sw.numel() + tw.numel()


@pytest.mark.parametrize("module", [separable, video])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize(
    "fn, args, kwargs, error, message",
    [
        (separable.depthwise_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(2, 2, 3, 3)), {}, ValueError, r"weight must be \(C \* multiplier, 1, kH, kW\)"),
        (separable.depthwise_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(3, 1, 3, 3)), {}, ValueError, r"output channels \(3\) must be divisible by groups \(2\)"),
        (separable.depthwise_conv2d, (torch.zeros(2, 5, 5, 5, 5), torch.zeros(2, 1, 3, 3)), {}, ValueError, r"input must be 4-D"),
        (separable.pointwise_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(3, 2, 3, 3)), {}, ValueError, r"weight must be \(C_out, C_in, 1, 1\), got kernel \(3, 3\)"),
        (separable.pointwise_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(3, 2)), {}, ValueError, r"weight must be 4-D"),
        (separable.spatially_separable_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(3, 3), torch.zeros(3)), {}, ValueError, r"column must be \(k,\) for every channel or \(2, k\)"),
        (separable.spatially_separable_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(3), torch.zeros(0)), {}, ValueError, r"row must be \(k,\)"),
        (separable.spatially_separable_conv2d, (torch.zeros(1, 2, 5, 5), torch.zeros(3), [1.0]), {}, TypeError, r"row must be a torch\.Tensor"),
        (separable.factorise_kernel, (torch.zeros(3, 3, 3),), {}, ValueError, r"kernel must be a non-empty 2-D \(kH, kW\) tensor.*weight\[0, 0\]"),
        (separable.factorise_kernel, (torch.zeros(3, 3, dtype=torch.long),), {}, TypeError, r"floating-point"),
        (separable.factorise_kernel, ([[1.0]],), {}, TypeError, r"kernel must be a torch\.Tensor"),
        (shapes.r2plus1d_mid_channels, (0, 4, 3), {}, ValueError, r"in_channels must be >= 1"),
        (shapes.r2plus1d_mid_channels, (4, 4, (3, 3)), {}, ValueError, r"kernel_size needs one value per spatial axis \(3 here\)"),
        (video.conv2plus1d, (torch.zeros(1, 2, 3, 5, 5), torch.zeros(4, 2, 3, 3, 3), torch.zeros(2, 4, 3, 1, 1)), {}, ValueError, r"spatial_weight must be \(M, C_in, 1, kH, kW\)"),
        (video.conv2plus1d, (torch.zeros(1, 2, 3, 5, 5), torch.zeros(4, 2, 1, 3, 3), torch.zeros(2, 4, 3, 3, 1)), {}, ValueError, r"temporal_weight must be \(C_out, M, kT, 1, 1\)"),
        (shapes.depthwise_separable_counts, (4, 4, 3, 0), {}, ValueError, r"output_size must be positive"),
        (shapes.conv2plus1d_counts, (4, 4, 3, (2, 5, 5)), {}, ValueError, r"kernel larger than the padded input"),
    ],
)
def test_bad_input(fn, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        fn(*args, **kwargs)
