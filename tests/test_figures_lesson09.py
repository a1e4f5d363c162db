"""Lesson 09's figures, course_lib.figures.lesson09: segmentation_figure, kernels_figure, training_figure."""
import pytest
import torch

from course_lib.figures import lesson09 as figures

pytestmark = pytest.mark.lesson09


def test_segmentation_kernels_and_training_figures():
    masks = torch.zeros(3, 1, 8, 8)
    masks[:, :, 2:6, 3:5] = 1
    predictions = masks.clone()
    predictions[:, :, 0] = 1                      # one wrong row: 8 of 64 pixels
    figure = figures.segmentation_figure(torch.randn(3, 1, 8, 8), masks, predictions, title="t")
    assert len(figure.axes) == 10 and figure.axes[2].get_title() == "prediction: 87.5% right"
    assert len(figures.segmentation_figure(torch.randn(2, 8, 8), masks[:2, 0]).axes) == 5
    with pytest.raises(ValueError, match="one shape"):
        figures.segmentation_figure(torch.randn(2, 1, 8, 8), masks)
    figure = figures.kernels_figure(torch.randn(2, 3, 3, 3))
    assert [ax.get_title() for ax in figure.axes[:2]] == ["out 0, in 0", "out 0, in 1"]
    assert figure.axes[0].images[0].get_clim()[0] == -figure.axes[0].images[0].get_clim()[1]
    figure = figures.training_figure([1, 2], [0.5, 0.4])
    assert len(figure.axes) == 1
    assert figure._repr_png_()[:4] == b"\x89PNG"


def test_phase_figure_draws_each_map_minus_its_mean_with_block_lines():
    checker = torch.tensor([[3.0, 1.0], [1.0, 3.0]]).repeat(2, 2)          # mean 2
    figure = figures.phase_figure([{"values": checker, "title": "checker"},
                                   {"values": torch.zeros(4, 4), "title": "flat"}], title="t")
    ax = figure.axes[0]
    assert ax.images[0].get_array().tolist() == (checker - 2).tolist()
    # one shared scale, set by the largest map: the flat one does not widen it
    assert ax.images[0].get_clim() == (-1.0, 1.0) == figure.axes[1].images[0].get_clim()
    flat_first = figures.phase_figure([{"values": torch.zeros(4, 4), "title": "flat"},
                                       {"values": 0.1 * checker, "title": "weak"}])
    assert flat_first.axes[0].images[0].get_clim() == pytest.approx((-0.1, 0.1))
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("W", "H", "checker")
    assert len(ax.lines) == 2                     # one vertical and one horizontal line between the 2x2 blocks
    own = figures.phase_figure([{"values": checker, "title": "a"}, {"values": 5 * checker, "title": "b"}],
                               shared=False)
    assert own.axes[0].images[0].get_clim() == (-1.0, 1.0) and own.axes[1].images[0].get_clim() == (-5.0, 5.0)
    with pytest.raises(ValueError, match="2-D"):
        figures.phase_figure([{"values": torch.zeros(2, 2, 2), "title": "cube"}])


def test_decoder_comparison_figure_draws_a_dot_per_seed_and_the_median():
    results = {"a": {"IoU": [0.8, 0.9, 0.85], "spread": [0.0, 0.0, 0.0]},
               "b": {"IoU": [0.7, 0.75, 0.6], "spread": [0.5, 0.4, 0.3]}}
    figure = figures.decoder_comparison_figure(results, baselines={"IoU": 0.65}, title="t")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.get_xlabel() == "IoU"
    dots, median, dots_b, median_b, baseline = ax.lines
    assert dots.get_xdata().tolist() == [0.8, 0.9, 0.85] and dots_b.get_ydata().tolist() == [1, 1, 1]
    assert median.get_xdata().tolist() == [0.85, 0.85] and median_b.get_xdata().tolist() == [0.7, 0.7]
    assert list(baseline.get_xdata()) == [0.65, 0.65] and figure.axes[1].get_xlabel() == "spread"
    with pytest.raises(ValueError, match="same measures"):
        figures.decoder_comparison_figure({"a": {"IoU": [1]}, "b": {"Dice": [1]}})
