"""Lesson 07's figure, course_lib.figures.lesson07.overlap_counts_figure."""
import numpy as np
import pytest

from course_lib.figures import lesson07 as figures

pytestmark = pytest.mark.lesson07


def test_overlap_counts_figure_labels_and_checks():
    figure = figures.overlap_counts_figure([{"values": np.ones((5, 5)), "title": "a"}, {"values": np.eye(4), "title": "b"}],
                                           title="counts")
    assert [ax.get_title() for ax in figure.axes] == ["a", "b"]
    assert all(ax.get_xlabel() == "W_out" and ax.get_ylabel() == "H_out" for ax in figure.axes)
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="non-empty list"):
        figures.overlap_counts_figure([])
    with pytest.raises(ValueError, match="must be 2-D"):
        figures.overlap_counts_figure([{"values": np.ones(3), "title": "x"}])
