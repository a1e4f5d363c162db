"""course_lib.draw's figures that several lessons use: draw_slice_rows (slices of video and volumes: lessons 03, 04, 07,
08; what is drawn, on which colour scale, and the errors) and signals_figure (lessons 01 and 08)."""
import matplotlib.figure
import numpy as np
import pytest
import torch

from course_lib import data, draw

pytestmark = [pytest.mark.lesson01, pytest.mark.lesson03, pytest.mark.lesson04, pytest.mark.lesson07, pytest.mark.lesson08]


def figure():
    return matplotlib.figure.Figure(figsize=(8, 5), layout="constrained")


def colour_bars(fig):
    """The colour-bar axes of a figure (matplotlib marks them with a colorbar attribute)."""
    return [ax for ax in fig.axes if hasattr(ax, "_colorbar")]


def test_rows_of_frames_and_slices_as_in_lesson_03():
    video, volume = data.synthetic_video(), data.synthetic_volume()
    fig = figure()
    axes = draw.draw_slice_rows(fig, [
        {"images": [video[:, t] for t in (0, 5)], "titles": ["frame 0", "frame 5"]},
        {"images": [volume[0, d] for d in (8, 12)], "titles": ["slice 8", "slice 12"], "label": "intensity"},
    ], title="video and volume", xlabel="W (pixels)", ylabel="H (pixels)")
    assert axes.shape == (2, 2)
    rgb = axes[0, 0].images[0].get_array()
    np.testing.assert_allclose(rgb, video[:, 0].permute(1, 2, 0).numpy(), atol=1e-7)   # channels last for imshow
    grey = axes[1, 1].images[0]
    np.testing.assert_allclose(grey.get_array(), volume[0, 12].numpy(), atol=1e-7)
    assert grey.get_cmap().name == "gray" and grey.get_clim() == (0.0, pytest.approx(volume[0, [8, 12]].max().item()))
    assert [ax.get_title() for ax in axes.flat] == ["frame 0", "frame 5", "slice 8", "slice 12"]
    assert axes[1, 0].get_xlabel() == "W (pixels)" and axes[0, 0].get_xlabel() == ""   # x label under the bottom row
    assert axes[0, 0].get_ylabel() == axes[1, 0].get_ylabel() == "H (pixels)" and axes[0, 1].get_ylabel() == ""
    bars = colour_bars(fig)
    assert len(bars) == 1 and bars[0].get_ylabel() == "intensity"   # the RGB row has none
    assert fig._suptitle.get_text() == "video and volume"


def test_signed_rows_are_centred_on_zero_and_rows_may_be_short():
    fig = figure()
    signed = [torch.tensor([[-1.0, 3.0], [0.0, 2.0]]), torch.tensor([[0.5, -2.0], [1.0, 0.0]])]
    axes = draw.draw_slice_rows(fig, [{"images": signed}, {"images": [torch.ones(2, 2)]}])
    assert axes.shape == (2, 2)
    for ax in axes[0]:
        assert ax.images[0].get_cmap().name == "RdBu_r" and ax.images[0].get_clim() == (-3.0, 3.0)
    assert axes[1, 1] not in fig.axes   # unused panel removed
    assert axes[1, 0].images[0].get_clim() == (0.0, 1.0)


def test_own_scales_and_overrides():
    fig = figure()
    images = [torch.rand(3, 4), torch.rand(3, 4) - 0.5]
    axes = draw.draw_slice_rows(fig, [{"images": images, "shared": False, "label": "value"},
                                      {"images": [torch.rand(3, 4)], "cmap": "viridis", "vmin": -1, "vmax": 2,
                                       "xlabel": "time", "ylabel": "row"}])
    assert axes[0, 0].images[0].get_cmap().name == "gray"
    assert axes[0, 1].images[0].get_cmap().name == "RdBu_r"
    low, high = axes[0, 1].images[0].get_clim()
    assert low == -high == pytest.approx(-images[1].abs().max().item())
    assert len(colour_bars(fig)) == 3   # one per image of the first row, one for the second row
    image = axes[1, 0].images[0]
    assert image.get_cmap().name == "viridis" and image.get_clim() == (-1, 2)
    assert axes[1, 0].get_xlabel() == "time" and axes[1, 0].get_ylabel() == "row"


@pytest.mark.parametrize("rows, message", [
    ([], "non-empty list"),
    ([{"titles": ["a"]}], "'images' list"),
    ([{"images": []}], "is empty"),
    ([{"images": [torch.zeros(2, 2)], "titles": ["a", "b"]}], "1 images but 2 titles"),
    ([{"images": [torch.zeros(2, 2, 2)]}], r"rows\[0\]\['images'\]\[0\] must be a 2-D slice"),
    ([{"images": [torch.zeros(2, 2)], "colour": "red"}], "unknown keys"),
])
def test_errors_name_the_problem(rows, message):
    with pytest.raises(ValueError, match=message):
        draw.draw_slice_rows(figure(), rows)


def test_signals_figure_styles_limits_and_layout():
    t = torch.linspace(0, 1, 100, dtype=torch.float64)
    clean = torch.sin(2 * torch.pi * t)
    panels = [
        {"title": "top", "ylabel": "signal",
         "lines": {"noisy": (clean + 0.1, "faint"), "wide": (clean, "wide"), "thin": clean, "clean": (clean, "reference")}},
        {"title": "clipped", "ylabel": "slope", "ylim": (-2, 2), "legend": "upper right",
         "lines": {"custom": (3 * clean, {"color": "C2", "lw": 3})}},
    ]
    figure = draw.signals_figure(t, panels, xlabel="t (s)", title="both")
    top, bottom = figure.axes
    assert [line.get_label() for line in top.lines] == ["noisy", "wide", "thin", "clean"]
    assert [line.get_linewidth() for line in top.lines] == [1, 4, 1.8, 1.5]
    assert top.lines[3].get_linestyle() == "--"
    assert bottom.get_ylim() == (-2, 2) and bottom.get_xlabel() == "t (s)" and top.get_title() == "top"
    assert top.get_ylim()[1] > 1.3  # room made above the data for the one-row legend
    assert figure.get_suptitle() == "both"
    assert draw.figure_png(figure).startswith(b"\x89PNG")


def test_signals_figure_side_by_side():
    t = torch.arange(5.0)
    figure = draw.signals_figure(t, [{"lines": {"a": t}}, {"lines": {"b": -t}}, {"lines": {"c": t * 0}}], ncols=2)
    assert len(figure.axes) == 4 and [ax.get_visible() for ax in figure.axes] == [True, True, True, False]


@pytest.mark.parametrize(
    "panels, kwargs, match",
    [
        ([], {}, "at least one panel"),
        ([{"title": "no lines"}], {}, "needs 'lines'"),
        ([{"lines": {"a": [1.0, 2]}, "colour": "red"}], {}, "needs 'lines'"),
        ([{"lines": {"a": [1.0, 2, 3]}}], {}, "has 3 values but t has 2"),
        ([{"lines": {"a": ([1.0, 2], "bold")}}], {}, "unknown line style 'bold'"),
        ([{"lines": {"a": [1.0, 2]}}], {"ncols": 0}, "ncols must be a positive int"),
    ],
)
def test_signals_figure_refuses_bad_panels(panels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw.signals_figure([0.0, 1.0], panels, **kwargs)
