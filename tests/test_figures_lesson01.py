"""Lesson 01's figures, course_lib.figures.lesson01: window_figure, padding_figure."""
from __future__ import annotations

import matplotlib.colors
import matplotlib.figure
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import draw
from course_lib.figures import lesson01 as figures

pytestmark = [pytest.mark.lesson00, pytest.mark.lesson01]

RED = matplotlib.colors.to_rgba("C3")


def _red_points(ax):
    """x positions of the red stem markers on an axes."""
    xs = []
    for line in ax.lines:
        if line.get_marker() not in ("None", None, "") and matplotlib.colors.to_rgba(line.get_color()) == RED:
            xs.extend(np.asarray(line.get_xdata()).tolist())
    return sorted(xs)


@pytest.mark.parametrize("stride, dilation, o", [(1, 1, 3), (2, 1, 1), (1, 2, 1), (2, 3, 0)])
def test_window_figure_marks_the_taps_and_the_output(stride, dilation, o):
    x = torch.tensor([3.0, 1, 4, 1, 5, 9, 2, 6], dtype=torch.float64)
    w = torch.tensor([1.0, 0, -1], dtype=torch.float64)
    out = F.conv1d(x.view(1, 1, -1), w.view(1, 1, -1), stride=stride, dilation=dilation).flatten()
    figure = figures.window_figure(x, w, o, out, stride=stride, dilation=dilation)
    assert isinstance(figure, matplotlib.figure.Figure)
    top, bottom = figure.axes
    assert _red_points(top) == [o * stride + j * dilation for j in range(3)]
    assert _red_points(bottom) == [o]
    assert [t.get_text() for t in top.texts] == ["× w[0] = 1", "× w[1] = 0", "× w[2] = -1"]
    assert top.get_title() and bottom.get_xlabel() == "position along L"
    assert draw.figure_png(figure).startswith(b"\x89PNG")


def test_window_figure_custom_title():
    figure = figures.window_figure([1.0, 2, 3], [1.0, 1], 0, [3.0, 5], title="mine")
    assert figure.axes[0].get_title() == "mine"


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([1.0, 2, 3], [1.0, 1], 2, [3.0, 5]), {}, "o must be an output position 0..1"),
        (([1.0, 2, 3], [1.0, 1], 1, [3.0, 5]), {"dilation": 2}, r"reads x\[3\], past the end"),
        (([[1.0, 2, 3]], [1.0, 1], 0, [3.0, 5]), {}, "x must be a non-empty 1-D signal"),
        (([1.0, 2, 3], [], 0, [3.0, 5]), {}, "w must be a non-empty 1-D signal"),
    ],
)
def test_window_figure_refuses_what_it_cannot_draw(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        figures.window_figure(*args, **kwargs)


def test_padding_figure_colours_the_padding():
    short = torch.tensor([1.0, 2, 3, 4, 5])
    p = 3
    padded = {mode: F.pad(short.view(1, 1, -1), (p, p), mode=mode) for mode in ("constant", "reflect", "replicate", "circular")}
    figure = figures.padding_figure(padded, p, title="four modes")
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == list(padded)
    assert figure.get_suptitle() == "four modes"
    for ax, values in zip(axes, padded.values()):
        bars = sorted(ax.patches, key=lambda bar: bar.get_x())
        assert len(bars) == len(short) + 2 * p
        positions = [round(bar.get_x() + bar.get_width() / 2) for bar in bars]
        assert positions == list(range(-p, len(short) + p))
        assert [bar.get_height() for bar in bars] == values.flatten().tolist()
        colours = {matplotlib.colors.to_hex(bar.get_facecolor()) for bar in bars[:p] + bars[-p:]}
        assert colours == {matplotlib.colors.to_hex("C1")}
    assert draw.figure_png(figure).startswith(b"\x89PNG")


def test_padding_figure_odd_number_of_panels_hides_the_spare_one():
    figure = figures.padding_figure({"a": [0, 1, 0], "b": [1, 1, 1], "c": [2, 1, 2]}, 1)
    assert [ax.get_visible() for ax in figure.axes] == [True, True, True, False]


@pytest.mark.parametrize(
    "padded, p, match",
    [
        ({}, 1, "at least one"),
        ({"a": [0, 1, 0]}, -1, "non-negative int"),
        ({"a": [0, 1, 0], "b": [0, 1, 2, 0]}, 1, "same length"),
        ({"a": [0, 0]}, 1, "more than 2p"),
    ],
)
def test_padding_figure_refuses_bad_input(padded, p, match):
    with pytest.raises(ValueError, match=match):
        figures.padding_figure(padded, p)


def test_the_figures_show_themselves_as_png_and_read_like_a_plain_figure():
    figure = figures.window_figure([1.0, 2, 3], [1.0, 1], 0, [3.0, 5])
    assert isinstance(figure, draw.ShownFigure) and isinstance(figure, matplotlib.figure.Figure)
    assert figure._repr_png_().startswith(b"\x89PNG")
    assert repr(figure) == "<Figure size 900x450 with 2 Axes>"
