"""Lesson 05's figures in course_lib.figures.lesson05: strided_view_figure, matrix_figure, im2col_memory_figure, scaling_figure."""
import math

import numpy as np
import pytest
import torch

from course_lib import matrix, utils
from course_lib.figures import lesson05 as figures

pytestmark = pytest.mark.lesson05


def grid_texts(ax):
    return [t.get_text() for t in ax.texts]


def outlined(ax):
    """(row, column) of the outlined cells of a draw_grid panel."""
    return sorted((round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax.patches if p.get_gid() == "highlight")


def test_strided_view_labels_each_cell_with_the_storage_offset_it_reads():
    x = torch.arange(12.0)
    view = x[1:].unfold(0, 3, 2)   # storage offset 1, strides (2, 1)
    figure = figures.strided_view_figure(x, view, view_name="x[1:].unfold(0, 3, 2)", highlight_row=2)
    memory, windows = figure.axes
    offsets = windows.images[0].get_array()
    assert offsets.shape == (5, 3)
    np.testing.assert_array_equal(offsets, view.numpy())        # x = arange: the value is the offset
    assert grid_texts(windows)[:3] == ["1", "2", "3"]
    assert outlined(windows) == [(2, 0), (2, 1), (2, 2)]
    assert outlined(memory) == [(0, 5), (0, 6), (0, 7)]       # the storage cells row 2 reads
    assert "stride (2, 1)" in windows.get_title() and windows.get_title().startswith("x[1:].unfold(0, 3, 2)")
    assert "storage[1 + 2*i + 1*j]" in figure._suptitle.get_text()
    assert figure._repr_png_()[:4] == b"\x89PNG"


def test_strided_view_refuses_copies_and_bad_shapes():
    x = torch.arange(6.0)
    with pytest.raises(ValueError, match="same storage"):
        figures.strided_view_figure(x, x.unfold(0, 2, 1).contiguous())
    with pytest.raises(ValueError, match="contiguous 1-D"):
        figures.strided_view_figure(x.view(2, 3), x.unfold(0, 2, 1))
    with pytest.raises(ValueError, match="2-D"):
        figures.strided_view_figure(x, x[:4])
    with pytest.raises(ValueError, match="highlight_row"):
        figures.strided_view_figure(x, x.unfold(0, 2, 1), highlight_row=5)
    figure = figures.strided_view_figure(x, x.unfold(0, 2, 1), highlight_row=None)
    assert all(outlined(ax) == [] for ax in figure.axes)


def test_matrix_figure_leaves_zeros_blank_and_centres_the_colours():
    m = matrix.conv_matrix(torch.tensor([[[[1.0, -3.0], [2.0, 0.5]]]]), 4)   # 9 x 16
    figure = figures.matrix_figure(m, title="M", xlabel="input", ylabel="output")
    ax = figure.axes[0]
    image = ax.images[0]
    shown = image.get_array().filled(np.nan)
    assert shown.shape == (9, 16)
    assert np.isnan(shown).sum() == (m == 0).sum().item()
    assert image.get_clim() == (-3.0, 3.0) and image.get_cmap().name == "RdBu_r"
    assert ax.get_title() == "M" and ax.get_xlabel() == "input" and len(ax.texts) == 36   # 4 taps x 9 rows written
    assert len(figures.matrix_figure(torch.ones(2, 40)).axes[0].texts) == 0                  # wide: not written
    with pytest.raises(ValueError, match="2-D"):
        figures.matrix_figure(torch.ones(3))


def test_im2col_memory_figure_plots_bytes_and_ratios():
    ks = [1, 3, 5]
    cases = {"2-D": (1000, [1000 * k**2 for k in ks]), "3-D": (4000, [4000 * k**3 for k in ks])}
    figure = figures.im2col_memory_figure(ks, cases, block_bytes=2**20, title="memory")
    left, right = figure.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), np.array([1000, 9000, 25000]) / 2**20)
    np.testing.assert_allclose(right.lines[1].get_ydata(), [1, 27, 125])
    assert [t.get_text() for t in right.texts] == ["1x", "9x", "25x", "27x", "125x"]   # "1x" once: both cases have it at k=1
    labels = left.get_legend_handles_labels()[1]
    assert labels == ["2-D: columns", "2-D: input", "3-D: columns", "3-D: input", "one block: 1 MiB"]
    assert left.get_yscale() == right.get_yscale() == "log" and figure._suptitle.get_text() == "memory"
    with pytest.raises(ValueError, match="column bytes per kernel size"):
        figures.im2col_memory_figure(ks, {"2-D": (1000, [1, 2])})
    with pytest.raises(ValueError, match="non-empty"):
        figures.im2col_memory_figure([], {})


def test_scaling_figure_keeps_each_method_in_one_style_and_leaves_gaps():
    panels = [
        {"x": [8, 16, 32], "times": {"naive": [1e-2, 4e-2, None], "torch": [1e-5, 2e-5, 8e-5]}, "xlabel": "H = W",
         "title": "input size"},
        {"x": [3, 5], "times": {"torch": [1e-4, 3e-4], "fft": [2e-4, math.nan]}, "xlabel": "k"},
    ]
    figure = figures.scaling_figure(panels, title="how the cost grows")
    first, second = figure.axes
    assert first.get_xscale() == first.get_yscale() == "log"
    assert [line.get_label() for line in first.lines] == ["naive", "torch"]
    assert np.isnan(first.lines[0].get_ydata()[2])
    assert first.lines[1].get_color() == second.lines[0].get_color()         # torch: one colour everywhere
    assert first.lines[1].get_marker() == second.lines[0].get_marker()
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["naive", "torch", "fft"]
    assert first.get_xlabel() == "H = W" and second.get_xlabel() == "k" and first.get_title() == "input size"
    assert utils.format_seconds(2e-3) == "2 ms" and utils.format_seconds(1e-5) == "10 µs"
    assert figure._repr_png_()[:4] == b"\x89PNG"


def test_scaling_figure_errors():
    with pytest.raises(ValueError, match="at least one panel"):
        figures.scaling_figure([])
    with pytest.raises(ValueError, match="2 values for 3 sizes"):
        figures.scaling_figure([{"x": [1, 2, 3], "times": {"a": [1, 2]}}])
    with pytest.raises(ValueError, match="unknown keys"):
        figures.scaling_figure([{"x": [1], "times": {"a": [1]}, "colour": "red"}])


def test_strided_view_tap_axis_holds_only_the_views_taps():
    x = torch.arange(10.0)
    figure = figures.strided_view_figure(x, x.unfold(0, 3, 2))
    memory, windows = figure.axes
    assert windows.get_xlim() == (-0.5, 2.5)                  # taps 0, 1, 2 only (the issue: 0..9 were drawn)
    assert memory.get_xlim() == (-0.5, 9.5)                   # memory keeps all 10 elements
    assert [t.get_text() for t in windows.get_xticklabels()] == ["0", "1", "2"]


def test_scaling_figure_panels_share_one_y_range_and_each_has_a_y_label():
    panels = [{"x": [1, 2], "times": {"a": [1e-6, 2e-6]}, "xlabel": "n"},
              {"x": [1, 2], "times": {"a": [1e-3, None], "b": [5e-2, math.nan]}, "xlabel": "k"}]
    figure = figures.scaling_figure(panels, ylabel="time per call (log scale)")
    first, second = figure.axes
    assert first.get_ylim() == second.get_ylim()
    low, high = first.get_ylim()
    assert low < 1e-6 < 5e-2 < high and high / low < 1e5 * 3     # every point inside, no runaway margins
    assert first.get_ylabel() == second.get_ylabel() == "time per call (log scale)"
    assert [t.get_text() for t in second.get_yticklabels() if t.get_text()]   # tick labels on every panel
