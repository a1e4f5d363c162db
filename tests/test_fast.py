"""The fast paths of lesson 05: Winograd's limits and float32 error, the FFT's transform lengths, and the timing helpers.

(Both convolutions also run every property, gradient, bad-input and OpInfo test through conftest's table.)
"""
import bisect
import platform
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from course_lib import fourier, timing, winograd

pytestmark = pytest.mark.lesson05


@pytest.mark.parametrize("kwargs, message", [
    ({"weight": torch.zeros(4, 3, 5, 5)}, r"kernel \(5, 5\) \(needs 3x3\)"),
    ({"stride": 2}, r"stride \(2, 2\) \(needs 1\)"),
    ({"dilation": (1, 2)}, r"dilation \(1, 2\) \(needs 1\)"),
    ({"weight": torch.zeros(6, 1, 3, 3), "groups": 3}, r"groups 3 \(needs 1\).*Use course_lib\.vectorised\.conv2d"),
])
def test_winograd_says_what_it_cannot_do(kwargs, message):
    call = {"input": torch.zeros(1, 3, 8, 8), "weight": torch.zeros(4, 3, 3, 3), **kwargs}
    with pytest.raises(ValueError, match=message):
        winograd.conv2d(**call)


def test_winograd_transforms_are_the_published_matrices():
    """B^T d B, G g G^T and A^T m A as matrix products give what the additions give, and together a 3x3 correlation."""
    g = torch.Generator().manual_seed(0)
    d, kernel = torch.randn(4, 4, generator=g, dtype=torch.float64), torch.randn(3, 3, generator=g, dtype=torch.float64)
    b_t, g_m, a_t = (torch.tensor(m, dtype=torch.float64) for m in (winograd.B_T, winograd.G, winograd.A_T))
    torch.testing.assert_close(winograd.input_transform(d), b_t @ d @ b_t.T, atol=1e-14, rtol=0)
    torch.testing.assert_close(winograd.kernel_transform(kernel[None, None])[0, 0], g_m @ kernel @ g_m.T, atol=1e-14, rtol=0)
    y = winograd.output_transform(winograd.kernel_transform(kernel[None, None])[0, 0] * winograd.input_transform(d))
    torch.testing.assert_close(y, F.conv2d(d[None, None], kernel[None, None])[0, 0], atol=1e-12, rtol=0)


@pytest.mark.parametrize("m, conv", [(2, winograd.conv2d), (4, winograd.conv2d_4x4)], ids=["F(2x2)", "F(4x4)"])
@pytest.mark.parametrize("size", [(18, 18), (18, 15)], ids=["16x16 out", "16x13 out: tiles rounded up"])
def test_winograd_multiplication_counts_are_what_torch_counts(size, m, conv):
    """The direct count is torch's for F.conv2d, the Winograd count torch's for our conv2d's channel sum (bmm);
    torch's FlopCounterMode counts a multiply-add as 2 FLOPs. The input transform is a bmm too (one
    (a*a, a*a) @ (a*a, tiles) product per input channel, a = m + 2), so its known share is taken off."""
    x, w = torch.randn(1, 32, *size), torch.randn(16, 32, 3, 3)
    with FlopCounterMode(display=False) as direct:
        out = F.conv2d(x, w)
    with FlopCounterMode(display=False) as ours:
        conv(x, w)
    counts = winograd.multiplication_counts(16, 32, tuple(out.shape[2:]), m=m)
    a, tiles = m + 2, -(-out.shape[2] // m) * -(-out.shape[3] // m)
    input_transform = a**4 * 32 * tiles
    assert counts["direct"] == direct.get_total_flops() // 2
    assert counts["winograd"] == ours.get_flop_counts()["Global"][torch.ops.aten.bmm] // 2 - input_transform
    assert counts["ratio"] == counts["direct"] / counts["winograd"]
    if size == (18, 18):
        assert counts["ratio"] == {2: 2.25, 4: 4.0}[m]  # 36/16 and 144/36, the published savings, tiles covering the output


def test_winograd_4x4_float32_error_is_what_the_docs_say():
    """F(4x4, 3x3) loses accuracy in float32 (its transforms hold 4, 5, 8, 1/6, 1/24): its error against float64
    is larger than F(2x2)'s and more than 10x torch's, yet under 40x (its docstring states 16 to 35 times, measured on
    the two benchmark layers; these are the same layers, scaled down)."""
    g = torch.Generator().manual_seed(0)
    for shape, channels in [((2, 64, 28, 28), 64), ((2, 256, 14, 14), 256)]:
        x, w = torch.randn(shape, generator=g), torch.randn(channels, channels, 3, 3, generator=g) / (9 * channels) ** 0.5
        exact = F.conv2d(x.double(), w.double(), padding=1)
        error = {name: ((fn(x, w, padding=1).double() - exact).abs().max() / exact.abs().max()).item()
                 for name, fn in [("torch", F.conv2d), ("2x2", winograd.conv2d), ("4x4", winograd.conv2d_4x4)]}
        assert error["2x2"] < 10 * error["torch"] < error["4x4"] < 40 * error["torch"], error


def test_winograd_float32_error_stays_within_a_few_roundings():
    """In float32 Winograd's transforms add rounding error; it stays within 10x of a direct convolution's (both vs float64)."""
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(2, 64, 14, 14, generator=g), torch.randn(64, 64, 3, 3, generator=g)
    exact = F.conv2d(x.double(), w.double(), padding=1)
    scale = exact.abs().max()
    direct = ((F.conv2d(x, w, padding=1).double() - exact).abs().max() / scale).item()
    ours = ((winograd.conv2d(x, w, padding=1).double() - exact).abs().max() / scale).item()
    assert 1e-8 < direct < 1e-5 and 1e-8 < ours < 1e-5
    assert ours < 10 * direct


# Every 7-smooth number up to 2**14, built from its exponents (fast_length searches and divides instead).
SMOOTH = sorted(
    2**a * 3**b * 5**c * 7**d for a in range(15) for b in range(9) for c in range(6) for d in range(5)
    if 2**a * 3**b * 5**c * 7**d <= 2**14
)


@given(st.integers(0, 5000))
def test_fast_length_is_the_next_7_smooth_number(size):
    assert fourier.fast_length(size) == SMOOTH[bisect.bisect_left(SMOOTH, max(size, 1))]


def test_fft_rejects_integer_input():
    with pytest.raises(TypeError, match=r"needs a floating-point input, got torch\.int64; use input\.float\(\)"):
        fourier.conv1d(torch.ones(1, 1, 5, dtype=torch.long), torch.ones(1, 1, 3, dtype=torch.long))


def test_timing_compare_reports_where_and_ratios():
    """The timing helpers' bookkeeping (not any speed): rounds, baseline, environment line."""
    x = torch.ones(64)
    c = timing.compare({"add": lambda: x + x, "mul": lambda: x * x}, label="tiny", rounds=3, min_run_time=0.001)
    assert list(c.seconds) == ["add", "mul"] and all(len(v) == 3 for v in c.seconds.values())
    assert c.ratios("add") == [1.0, 1.0, 1.0]
    low, high = min(c.ratios("mul")), max(c.ratios("mul"))
    assert c.ratio("mul")[1:] == (low, high)
    table = c.table()
    assert f"torch {torch.__version__}" in table and f"{torch.get_num_threads()} threads" in table and "3 interleaved rounds" in table
    assert "round 0" in c.compare_table()
    with pytest.raises(ValueError, match=r"baseline must be one of \['add'\], got 'x'"):
        timing.compare({"add": lambda: x + x}, baseline="x")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_timing_without_cuda_says_so_once(capsys):
    timing._told_no_cuda = False
    assert timing.pick_device() == torch.device("cpu") and timing.pick_device() == torch.device("cpu")
    assert capsys.readouterr().out.count("No CUDA device found") == 1
    with pytest.raises(RuntimeError, match="needs a CUDA device"):
        timing.cuda_event_times(lambda: None)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fast_paths_on_cuda():
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(2, 8, 16, 16, generator=g, dtype=torch.float64).cuda(), torch.randn(4, 8, 3, 3, generator=g, dtype=torch.float64).cuda()
    expected = F.conv2d(x, w, padding=1)
    for fn in (fourier.conv2d, winograd.conv2d):
        out = fn(x, w, padding=1)
        assert out.device.type == "cuda"
        torch.testing.assert_close(out, expected, atol=1e-10, rtol=0)
    assert len(timing.cuda_event_times(fourier.conv2d, x, w, repeats=2)) == 2


def test_peak_memory_counts_temporaries_and_the_output():
    """A temporary freed before the call returns still counts at its peak; the inputs do not."""
    x = torch.ones(256, 1024)  # 1 MiB of float32
    assert timing.peak_memory(lambda t: (t * 2).sum(), x) >= 2**20  # the 1 MiB product, freed by sum's end
    assert timing.peak_memory(lambda t: t.view(-1), x) == 0  # a view allocates nothing
    assert timing.peak_memory(torch.clone, x) == 2**20  # exactly its output


IN_HEAP = """
import sys, torch
from course_lib import timing
applied = timing.steady_allocator() if sys.argv[1] == "steady" else None
tensor = torch.empty(6 * 2**20)  # 24 MiB
heap = next(line for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]")).split()[0]
low, high = (int(bound, 16) for bound in heap.split("-"))
print(applied, low <= tensor.data_ptr() < high)
"""


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"), reason="glibc only")
def test_steady_allocator_serves_large_tensors_from_the_heap():
    """In a fresh process glibc maps a 24 MiB block straight from the kernel (its mmap threshold starts at 128 KiB),
    so freeing it hands the pages back; after steady_allocator() the same tensor comes from the heap, whose freed
    memory stays in the process. Each case in a process of its own: the test run's earlier allocations would have
    moved glibc's dynamic threshold."""
    def run(mode):
        return subprocess.run([sys.executable, "-c", IN_HEAP, mode], capture_output=True, text=True, check=True).stdout.split()

    assert run("default") == ["None", "False"]
    assert run("steady") == ["True", "True"]
