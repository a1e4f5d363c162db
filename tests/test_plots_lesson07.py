"""Smoke tests of lesson 07's drawing functions in course_lib.plots."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import plots

pytestmark = pytest.mark.lesson07


def test_draw_scatter_stepper_2d_outlines_the_element_and_the_stamp():
    x = np.arange(4.0).reshape(2, 2)
    canvas = np.zeros((4, 4))
    stamp = [((a, b), (2 + a, 2 + b)) for a in range(2) for b in range(2)]
    figure = plots.draw_scatter_stepper(x, np.ones((2, 2)), canvas, (1, 1), stamp, kept=np.ones((4, 4), bool),
                                        first_index=(0, 0), title="t")
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == ["input x", "kernel w", "output so far"]
    assert len([p for p in axes[0].patches if p.get_gid() == "highlight"]) == 1
    assert len([p for p in axes[2].patches if p.get_gid() == "highlight"]) == 4
    assert figure.get_suptitle() == "t"
    assert all(ax.get_xlabel() for ax in axes)
    assert plt.get_fignums() == []


def test_draw_scatter_stepper_checks_ranks():
    with pytest.raises(ValueError, match="same rank"):
        plots.draw_scatter_stepper(np.zeros(3), np.zeros((2, 2)), np.zeros(4), (0,), [])


def test_overlap_counts_figure_labels_and_checks():
    figure = plots.overlap_counts_figure([{"values": np.ones((5, 5)), "title": "a"}, {"values": np.eye(4), "title": "b"}],
                                         title="counts")
    assert [ax.get_title() for ax in figure.axes] == ["a", "b"]
    assert all(ax.get_xlabel() == "W_out" and ax.get_ylabel() == "H_out" for ax in figure.axes)
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="non-empty list"):
        plots.overlap_counts_figure([])
    with pytest.raises(ValueError, match="must be 2-D"):
        plots.overlap_counts_figure([{"values": np.ones(3), "title": "x"}])
