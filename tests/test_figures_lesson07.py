"""Lesson 07's figures, course_lib.figures.lesson07: overlap_counts_figure and crops_figure."""
import numpy as np
import pytest
import torch

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
    with pytest.raises(ValueError, match=r"panels\[1\] must be a dict with 'values'"):
        figures.overlap_counts_figure([{"values": np.ones((2, 2))}, np.ones((2, 2))])


def test_overlap_counts_figure_draws_the_values_and_their_numbers():
    counts = torch.tensor([[1.0, 2.0], [4.0, 2.0]])
    figure = figures.overlap_counts_figure([{"values": counts, "title": "k=3"}])
    ax = figure.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), counts.numpy())
    assert sorted(text.get_text() for text in ax.texts) == ["1", "2", "2", "4"]
    assert ax.images[0].get_clim() == (1.0, 4.0)        # its own range when not shared


def test_overlap_counts_figure_shared_scale_and_labels():
    panels = [{"values": np.array([[1.0, 2.0], [4.0, 1.0]]), "title": "k=3"},
              {"values": np.full((3, 3), 9.0), "title": "resize"}]
    figure = figures.overlap_counts_figure(panels, shared=True, xlabel="W (input)", ylabel="H (input)",
                                           label="stamps")
    panel_axes, bar_axes = figure.axes[:2], figure.axes[2:]
    assert [ax.images[0].get_clim() for ax in panel_axes] == [(1.0, 9.0), (1.0, 9.0)]
    # equal numbers get equal colours: the 9s of the second panel have the top colour of the first's scale
    assert panel_axes[1].images[0].norm(9.0) == 1.0 and panel_axes[0].images[0].norm(4.0) == pytest.approx(3 / 8)
    assert len(bar_axes) == 1 and bar_axes[0].get_ylabel() == "stamps"
    assert [ax.get_xlabel() for ax in panel_axes] == ["W (input)", "W (input)"]
    assert [ax.get_ylabel() for ax in panel_axes] == ["H (input)", ""]


def test_crops_figure_one_grey_scale_for_every_panel():
    g = torch.Generator().manual_seed(0)
    small = torch.rand(16, 16, generator=g, dtype=torch.float64)
    bright = 1.5 * torch.rand(32, 32, generator=g, dtype=torch.float64)
    figure = figures.crops_figure([{"values": small, "title": "input"}, {"values": bright, "title": "k=3"}],
                                  title="crops", label="brightness")
    panel_axes = figure.axes[:2]
    expected = (0.0, float(bright.max()))        # min(0, lowest) .. highest of all panels
    assert [ax.images[0].get_clim() for ax in panel_axes] == [expected, expected]
    assert all(ax.images[0].get_cmap().name == "gray" for ax in panel_axes)
    np.testing.assert_array_equal(panel_axes[1].images[0].get_array(), bright.numpy())
    assert [ax.get_title() for ax in panel_axes] == ["input", "k=3"] and figure.get_suptitle() == "crops"
    assert figure.axes[2].get_ylabel() == "brightness"
    figure.draw_without_rendering()
    for ax in panel_axes:      # few, whole-number ticks inside the picture: readable at 12 pt
        ticks = [t for t in ax.get_xticks() if -0.5 <= t <= ax.images[0].get_array().shape[1] - 0.5]
        assert 2 <= len(ticks) <= 4 and all(float(t).is_integer() for t in ticks)
    negative = figures.crops_figure([{"values": -np.ones((2, 2)), "title": "neg"}, {"values": np.ones((2, 2))}])
    assert negative.axes[0].images[0].get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match="non-empty list"):
        figures.crops_figure([])
    with pytest.raises(ValueError, match="must be 2-D"):
        figures.crops_figure([{"values": np.ones((3, 2, 2)), "title": "rgb?"}])
