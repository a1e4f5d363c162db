"""Lesson 06's figures in course_lib.figures.lesson06: group_connections_figure, channel_change_figure,
kernel_factorisation_figure, block_costs_figure."""
import numpy as np
import pytest
import torch

from course_lib.figures import lesson06 as figures

pytestmark = pytest.mark.lesson06


def test_group_connections_fills_the_diagonal_blocks():
    figure = figures.group_connections_figure(8, 4, [1, 2, 4], title="t")
    filled = [ax.images[0].get_array() for ax in figure.axes]
    assert [int(f.sum()) for f in filled] == [32, 16, 8]
    np.testing.assert_array_equal(filled[1][:2, :4], 1)     # output group 0 reads input group 0
    np.testing.assert_array_equal(filled[1][:2, 4:], 0)
    assert figure.axes[2].get_title().startswith("groups=4: weight (4, 2, k, k)")
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="divisible by groups"):
        figures.group_connections_figure(8, 4, [3])
    with pytest.raises(ValueError, match="at least one"):
        figures.group_connections_figure(8, 4, [])


def test_channel_change_bars_and_group_labels():
    figure = figures.channel_change_figure(torch.tensor([0.0, 1.0, 0.0, 0.0, 2.0, 3.0]), 3, title="t")
    ax = figure.axes[0]
    assert [float(p.get_height()) for p in ax.patches if p.get_gid() == "bar"] == [0.0, 1.0, 0.0, 0.0, 2.0, 3.0]
    assert [t.get_text() for t in ax.texts] == ["group 0", "group 1", "group 2"]
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="positive divisor"):
        figures.channel_change_figure(torch.ones(6), 4)


def test_kernel_factorisation_panels():
    kernels = {"sobel": torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype=torch.float64),
               "random": torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))}
    figure = figures.kernel_factorisation_figure(kernels, title="t")
    assert len(figure.axes) == 8
    assert figure.axes[3].get_title() == "singular values: rank 1"
    assert figure.axes[7].get_title() == "singular values: rank 3"
    missed = figure.axes[2].images[0].get_array()
    assert np.all(np.asarray(missed) == 0)                  # exactly separable: nothing missed, noise shown as 0
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="at least one"):
        figures.kernel_factorisation_figure({})


def test_block_costs_labels_and_ratios():
    tables = {"a": {"full": {"params": 1000, "macs": 10_000}, "small": {"params": 250, "macs": 1000}},
              "b": {"x": {"params": 5, "macs": 50}}}
    figure = figures.block_costs_figure(tables, title="t")
    assert len(figure.axes) == 4
    assert [t.get_text() for t in figure.axes[1].texts] == ["10,000 (1x)", "1,000 (0.1x)"]
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["full", "small"]
    assert figure.axes[0].get_xscale() == "log"
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="non-empty"):
        figures.block_costs_figure({"a": {}})
