"""course_lib.figures.lesson02.window_sums_figure (lesson 02's stride/padding/dilation figure).

References are torch's: F.conv2d for the sums, autograd for which input cells each
output cell reads, so the test does not repeat the function's own index arithmetic.
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
