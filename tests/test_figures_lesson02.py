"""course_lib.figures.lesson02: window_sums_figure (lesson 02's stride/padding/dilation figure) and
dilation_footprint_figure (dilation's blind spots).

References are torch's: F.conv2d for the sums, autograd for which input cells each
output cell reads (and along how many paths), so the tests do not repeat the functions' own index arithmetic.
"""
import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import draw
from course_lib.figures import lesson02 as figures

pytestmark = pytest.mark.lesson02

CASES = [
    # (input shape, kernel shape, stride, padding, dilation)
    ((5, 5), (2, 2), 2, 1, 2),  # the lesson's worked example
    ((3, 4), (2, 2), 1, "same", 1),  # asymmetric 'same' padding: (0, 1) on each axis
    ((4, 6), (2, 3), (1, 2), (1, 0), (1, 2)),  # per-axis values
    ((3, 3), (3, 3), 1, 0, 1),  # a single output cell
]


def torch_padding(padding, kernel):
    """F.pad's list and the ((top, bottom), (left, right)) pairs for the lesson's paddings."""
    if padding == "same":
        pairs = [((k - 1) // 2, (k - 1) - (k - 1) // 2) for k in kernel]
    else:
        pads = (padding, padding) if isinstance(padding, int) else padding
        pairs = [(p, p) for p in pads]
    return [pairs[1][0], pairs[1][1], pairs[0][0], pairs[0][1]], pairs


def read_cells(x, w, stride, padding, dilation, position):
    """Input indices (may be negative or past the end: padding) that out[position] depends on, by autograd."""
    flat, ((top, _), (left, _)) = torch_padding(padding, tuple(w.shape))
    padded = F.pad(x.double(), flat).requires_grad_()
    # a weight of ones everywhere, so no tap has a zero gradient by accident
    out = F.conv2d(padded[None, None], torch.ones_like(w, dtype=torch.float64)[None, None], stride=stride, dilation=dilation)
    out[0, 0][position].backward()
    return {(r - top, c - left) for r, c in zip(*np.nonzero(padded.grad.numpy()))}


def outlined_cells(ax):
    return {(round(p.get_y() + p.get_height() / 2), round(p.get_x() + p.get_width() / 2))
            for p in ax.patches if p.get_gid() == "highlight"}


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", CASES)
def test_sums_equal_torch_and_each_panel_outlines_its_window(shape, kernel, stride, padding, dilation):
    torch.manual_seed(0)
    x = torch.randn(shape)
    w = torch.randn(kernel)
    figure, sums = figures.window_sums_figure(x, w, stride=stride, padding=padding, dilation=dilation)
    ref = F.conv2d(x[None, None].double(), w[None, None].double(), stride=stride, padding=padding, dilation=dilation)[0, 0]
    torch.testing.assert_close(sums, ref)
    oh, ow = sums.shape
    assert len(figure.axes) == oh * ow + 1
    for r in range(oh):
        for c in range(ow):
            ax = figure.axes[r * ow + c]
            assert ax.get_title().startswith(f"out[{r}, {c}] = ")
            assert outlined_cells(ax) == read_cells(x, w, stride, padding, dilation, (r, c))
            assert sum(p.get_gid() == "window" for p in ax.patches) == w.numel()
    # the output panel outlines every output cell once
    assert len(outlined_cells(figure.axes[-1])) == oh * ow


def test_worked_example_titles_write_the_sum_and_ticks_are_input_indices():
    ramp, ones = torch.arange(25.0).reshape(5, 5), torch.ones(2, 2)
    figure, sums = figures.window_sums_figure(ramp, ones, stride=2, padding=1, dilation=2)
    assert figure.axes[4].get_title() == "out[1, 1] = 48\n6 + 8 + 16 + 18"
    assert list(figure.axes[0].get_xticks()) == list(range(-1, 6))
    assert list(figure.axes[0].get_yticks()) == list(range(-1, 6))
    assert "stride 2, padding 1, dilation 2" in figure.get_suptitle()
    png = draw.figure_png(figure)
    assert png.startswith(b"\x89PNG")
    assert isinstance(figure, matplotlib.figure.Figure)


def test_padding_cells_are_hatched():
    figure, _ = figures.window_sums_figure(torch.ones(3, 3), torch.ones(2, 2), padding=1)
    hatched = sum(p.get_gid() == "padding" for p in figure.axes[0].patches)
    assert hatched == 5 * 5 - 3 * 3


@pytest.mark.parametrize("x, w, kwargs, match", [
    (torch.ones(1, 5, 5), torch.ones(2, 2), {}, r"input must be \(H, W\)"),
    (torch.ones(5, 5), torch.ones(1, 2, 2), {}, r"weight \(kh, kw\)"),
    (torch.ones(2, 2), torch.ones(3, 3), {}, "does not fit"),
    (torch.ones(8, 8), torch.ones(2, 2), {}, "more than 25 panels"),
    (torch.ones(5, 5), torch.ones(2, 2), {"stride": 0}, "stride"),
    (torch.ones(5, 5), torch.ones(2, 2), {"padding": "same", "stride": 2}, "same"),
])
def test_bad_arguments_are_refused_with_a_message(x, w, kwargs, match):
    with pytest.raises(ValueError, match=match):
        figures.window_sums_figure(x, w, **kwargs)


# --- dilation_footprint_figure: dilation's blind spots and hybrid dilated convolution ---------------------------------

def autograd_paths(rates, k, size):
    """Paths from each input pixel to the central output cell of stacked k x k all-ones dilated convolutions,
    found by autograd (torch's F.conv2d), cropped to size x size around the centre."""
    big = size + 2 * (k - 1) * sum(rates) + 1
    x = torch.zeros(1, 1, big, big, dtype=torch.float64, requires_grad=True)
    y = x
    for d in rates:
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), padding=d * (k // 2), dilation=d)
    y[0, 0, big // 2, big // 2].backward()
    lo = big // 2 - size // 2
    return x.grad[0, 0, lo:lo + size, lo:lo + size]


@pytest.mark.parametrize("rate_sets, k", [
    ([(2, 2, 2), (1, 2, 3)], 3),   # the lesson's pair: same 13x13 field, holes vs full cover
    ([(1,), (1, 2)], 3),           # different depths: padded to the widest field (7)
    ([(3, 5)], 3),                 # no common factor, yet holes
    ([(2, 1)], 5),                 # a 5x5 kernel
])
def test_dilation_footprints_are_autograds_path_counts(rate_sets, k):
    figure, footprints = figures.dilation_footprint_figure(rate_sets, kernel_size=k)
    size = max(1 + (k - 1) * sum(r) for r in rate_sets)
    assert len(footprints) == len(rate_sets)
    for rates, paths in zip(rate_sets, footprints):
        assert tuple(paths.shape) == (size, size)
        torch.testing.assert_close(paths.double(), autograd_paths(rates, k, size), rtol=0, atol=0)


def test_dilation_footprint_figure_draws_the_counts_with_holes_blank():
    figure, footprints = figures.dilation_footprint_figure([(2, 2, 2), (1, 2, 3)])
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == 2
    for ax, rates, paths in zip(panels, [(2, 2, 2), (1, 2, 3)], footprints):
        drawn = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
        expected = autograd_paths(rates, 3, 13).numpy()
        assert np.array_equal(np.isnan(drawn), expected == 0)           # holes are blank
        assert np.array_equal(drawn[expected != 0], expected[expected != 0])
        reached = int((expected != 0).sum())
        assert f"{reached} of 169" in ax.get_title() and str(rates) in ax.get_title()
        assert ax.get_xlabel() == "W (column offset)" and ax.get_ylabel() == "H (row offset)"
        centres = [p for p in ax.patches if p.get_gid() == "highlight"]
        assert [(p.get_x() + 0.5, p.get_y() + 0.5) for p in centres] == [(0.0, 0.0)]  # the output cell
    assert [int((f > 0).sum()) for f in footprints] == [49, 169]
    assert "dilated" in figure.get_suptitle()


@pytest.mark.parametrize("rate_sets, kernel_size, error, words", [
    ([(0, 2)], 3, ValueError, "rate_sets[0] must be a non-empty tuple of positive int rates"),
    ([()], 3, ValueError, "rate_sets[0] must be a non-empty tuple"),
    ([(1, 2.0)], 3, ValueError, "got (1, 2.0)"),
    ([], 3, ValueError, "rate_sets is empty"),
    (3, 3, TypeError, "rate_sets must be a sequence of tuples"),
    ([(1, 2)], 4, ValueError, "kernel_size must be odd"),
    ([(1, 2)], 0, ValueError, "kernel_size"),
])
def test_dilation_footprint_figure_bad_arguments(rate_sets, kernel_size, error, words):
    with pytest.raises(error) as caught:
        figures.dilation_footprint_figure(rate_sets, kernel_size=kernel_size)
    assert words in str(caught.value)
