"""Lesson 06's figures in course_lib.figures.lesson06: group_connections_figure, channel_change_figure,
channel_reach_figure, kernel_factorisation_figure, block_costs_figure."""
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


def test_channel_reach_draws_the_given_pattern():
    no_shuffle = torch.block_diag(*[torch.ones(2, 2)] * 3).bool()                 # 6 channels, 3 groups
    everything = torch.ones(6, 6, dtype=torch.bool)
    figure = figures.channel_reach_figure({"without": no_shuffle, "with": everything}, title="t")
    drawn = [np.asarray(ax.images[0].get_array()) for ax in figure.axes]
    np.testing.assert_array_equal(drawn[0], no_shuffle.numpy().astype(float))
    np.testing.assert_array_equal(drawn[1], 1.0)
    assert [ax.get_title() for ax in figure.axes] == ["without\n12 of 36 pairs", "with\n36 of 36 pairs"]
    assert figure.axes[0].get_xlabel() == "input channel" and figure.axes[0].get_ylabel() == "output channel"
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="at least one"):
        figures.channel_reach_figure({})
    with pytest.raises(ValueError, match=r"reach\['v'\] must be a 2-D"):
        figures.channel_reach_figure({"v": torch.ones(3)})


def test_kernel_factorisation_panels():
    kernels = {"sobel": torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype=torch.float64),
               "random": torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))}
    figure = figures.kernel_factorisation_figure(kernels, title="t")
    panels = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 8 and len(figure.axes) == 10          # one colour bar per "what it misses" panel
    assert panels[3].get_title() == "singular values: rank 1"
    assert panels[7].get_title() == "singular values: rank 3"
    for kernel, missed_panel in zip(kernels.values(), (panels[2], panels[6])):
        u, s, vt = torch.linalg.svd(kernel)                        # the best rank-1 part, computed here
        missed = (kernel - s[0] * torch.outer(u[:, 0], vt[0])).numpy()
        drawn = np.asarray(missed_panel.images[0].get_array())
        np.testing.assert_allclose(drawn, missed, atol=1e-12)
        low, high = missed_panel.images[0].get_clim()              # its own scale: the largest entry
        assert high == pytest.approx(np.abs(drawn).max()) and low == -high
    assert panels[2].get_title().endswith(", rounding")           # Sobel: noise of about 1e-16, said so
    assert float(panels[2].get_title().split("max |entry| ")[1].split(",")[0]) < 1e-14
    assert "rounding" not in panels[6].get_title()                 # random: a real miss
    assert float(panels[6].get_title().split("max |entry| ")[1]) > 0.1
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="at least one"):
        figures.kernel_factorisation_figure({})


def test_block_costs_points_are_the_ratios():
    tables = {"a": {"full": {"params": 1000, "macs": 10_000}, "small": {"params": 250, "macs": 1000}},
              "b": {"x": {"params": 5, "macs": 50}}}
    figure = figures.block_costs_figure(tables, title="t")
    assert len(figure.axes) == 4
    params, macs = figure.axes[0], figure.axes[1]
    np.testing.assert_allclose(params.collections[0].get_offsets()[:, 0], [1.0, 0.25])
    np.testing.assert_allclose(macs.collections[0].get_offsets()[:, 0], [1.0, 0.1])
    assert [t.get_text() for t in macs.texts] == ["1x (10,000)", "0.1x (1,000)"]
    assert [t.get_text() for t in params.get_yticklabels()] == ["full", "small"]
    assert params.get_xscale() == "log" and params.get_xlabel() == "ratio to full (log scale)"
    assert not [p for p in params.patches if p.get_width() > 0]    # no bars: a bar on a log axis has no true length
    assert figure._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="non-empty"):
        figures.block_costs_figure({"a": {}})
    with pytest.raises(ValueError, match="positive 'params'"):
        figures.block_costs_figure({"a": {"full": {"params": 0, "macs": 1}}})
