"""course_lib.figures.lesson08.sampling_figure (lesson 08: where the outputs of a 1-D resize sit and what they read).

The reads drawn are checked against torch: with x[i] = i, F.interpolate's output is
the weighted sum of the input indices each output reads.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import upsample
from course_lib.figures import lesson08 as figures

pytestmark = pytest.mark.lesson08


def read_lines(ax):
    """(output position, input index, line width) of each drawn read."""
    out = []
    for line in ax.lines:
        if line.get_gid() == "read":
            (c, i), _ = line.get_data()
            out.append((round(float(c), 6), int(round(i)), line.get_linewidth()))
    return out


@pytest.mark.parametrize("align_corners", [False, True])
def test_linear_reads_reproduce_torch(align_corners):
    n_in, n_out = 3, 7
    o = torch.arange(n_out, dtype=torch.float64)
    centres = o * (n_in - 1) / (n_out - 1) if align_corners else (o + 0.5) * n_in / n_out - 0.5
    index, weight = upsample.linear_taps(n_in, n_out, align_corners=align_corners, dtype=torch.float64)
    figure = figures.sampling_figure(n_in, [{"title": "linear", "centres": centres, "index": index, "weight": weight}])
    ax = figure.axes[0]
    # Every drawn line: weight = (width - 0.5) / 2.5; summing weight * input index per output gives torch's output.
    total = {round(float(c), 6): 0.0 for c in centres}
    for c, i, width in read_lines(ax):
        total[c] += (width - 0.5) / 2.5 * i
    x = torch.arange(float(n_in), dtype=torch.float64).reshape(1, 1, n_in)
    reference = F.interpolate(x, size=n_out, mode="linear", align_corners=align_corners).flatten()
    np.testing.assert_allclose([total[round(float(c), 6)] for c in centres], reference.numpy(), atol=1e-12)
    # An output whose two taps read the same (clamped) input is drawn with one line.
    assert len({(c, i) for c, i, _ in read_lines(ax)}) == len(read_lines(ax))
    assert len(ax.patches) == n_in + n_out
    assert ax.get_title() == "linear"
    assert figure._repr_png_()[:4] == b"\x89PNG"


def test_nearest_reads_and_weights_not_written():
    n_in, n_out = 3, 7
    centres = (torch.arange(n_out) + 0.5) * n_in / n_out - 0.5
    index = upsample.nearest_indices(n_in, n_out)
    figure = figures.sampling_figure(n_in, [{"title": "nearest", "centres": centres, "index": index}], title="3 -> 7")
    ax = figure.axes[0]
    assert [i for _, i, _ in read_lines(ax)] == index.tolist()
    assert [t.get_text() for t in ax.texts if t.get_text()[0].isdigit() and "." in t.get_text()] == []  # no weights
    assert figure._suptitle.get_text() == "3 -> 7"


def test_panels_share_the_position_axis():
    centres = torch.tensor([-0.25, 0.25, 0.75, 1.25])
    panel = {"centres": centres, "index": torch.tensor([0, 0, 1, 1])}
    figure = figures.sampling_figure(2, [dict(panel, title="a"), dict(panel, title="b", centres=centres * 2 - 0.5)])
    first, second = figure.axes
    assert first.get_xlim() == second.get_xlim()
    low, high = first.get_xlim()
    assert low < -0.5 - 0.5 and high > 1.5  # every cell is inside the view


@pytest.mark.parametrize("panel, message", [
    ({"centres": torch.zeros(3), "index": torch.zeros(4, dtype=torch.long)}, "4 columns but there are 3 centres"),
    ({"centres": torch.zeros(2), "index": torch.zeros(2, dtype=torch.long), "weight": torch.ones(3)}, "weight has shape"),
    ({"centres": torch.zeros(2), "index": torch.tensor([0, 5])}, r"index must lie in 0..1"),
    ({"centres": torch.zeros(2)}, "needs 'centres' and 'index'"),
    ({"centres": torch.zeros(2), "index": torch.zeros(2, dtype=torch.long), "colour": "red"}, "needs 'centres'"),
])
def test_bad_panels_are_refused(panel, message):
    with pytest.raises(ValueError, match=message):
        figures.sampling_figure(2, [panel])


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="in_size must be a positive int"):
        figures.sampling_figure(0, [{"centres": torch.zeros(1), "index": torch.zeros(1, dtype=torch.long)}])
    with pytest.raises(ValueError, match="at least one panel"):
        figures.sampling_figure(2, [])


# resized_profile_figure: a step edge and its resized versions.

def profile_lines(ax):
    return {line.get_label(): line for line in ax.lines}


def test_profile_draws_the_copying_modes_as_steps_and_the_data_torch_computes():
    step = torch.tensor([0.0] * 4 + [1.0] * 4, dtype=torch.float64)
    position = (torch.arange(32, dtype=torch.float64) + 0.5) * 8 / 32 - 0.5
    outputs = {mode: F.interpolate(step.reshape(1, 1, 1, 8), size=(1, 32), mode=mode).flatten()
               for mode in ("nearest", "nearest-exact", "bilinear", "bicubic")}
    figure = figures.resized_profile_figure(step, position, outputs, title="a step edge")
    ax = figure.axes[0]
    lines = profile_lines(ax)
    assert list(lines) == ["input pixels", "nearest", "nearest-exact", "bilinear", "bicubic"]
    assert [lines[m].get_drawstyle() for m in outputs] == ["steps-mid", "steps-mid", "default", "default"]
    for mode, values in outputs.items():
        np.testing.assert_array_equal(lines[mode].get_xdata(), position.numpy())
        np.testing.assert_array_equal(lines[mode].get_ydata(), values.numpy())
    # the input pixels: dots (no line) at 0 .. 7 with the step's values
    dots = lines["input pixels"]
    assert dots.get_linestyle() == "None" and dots.get_marker() == "o"
    np.testing.assert_array_equal(dots.get_xdata(), np.arange(8))
    np.testing.assert_array_equal(dots.get_ydata(), step.numpy())
    # bicubic overshoots the step: the y range shows it
    low, high = ax.get_ylim()
    assert low < outputs["bicubic"].min().item() < 0 and high > outputs["bicubic"].max().item() > 1
    assert ax.get_title() == "a step edge"
    assert ax.get_xlabel().startswith("position in input pixels") and ax.get_ylabel() == "value"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lines)
    assert figure._repr_png_()[:4] == b"\x89PNG"


def test_profile_steps_are_chosen_by_label():
    position = torch.tensor([-0.25, 0.25, 0.75, 1.25])
    values = torch.tensor([0.0, 0.0, 1.0, 1.0])
    figure = figures.resized_profile_figure(torch.tensor([0.0, 1.0]), position, {"a": values, "b": values},
                                            steps=("b",))
    lines = profile_lines(figure.axes[0])
    assert (lines["a"].get_drawstyle(), lines["b"].get_drawstyle()) == ("default", "steps-mid")


@pytest.mark.parametrize("args, message", [
    ((torch.zeros(2), torch.zeros(4), {"nearest": torch.zeros(3)}), r"outputs\['nearest'\] has 3 values but position has 4"),
    ((torch.zeros(2), torch.zeros(4), {}), "outputs must be a non-empty dict"),
    ((torch.zeros(2, 2), torch.zeros(4), {"a": torch.zeros(4)}), "samples must be a non-empty 1-D signal"),
    ((torch.zeros(2), torch.zeros(0), {"a": torch.zeros(0)}), "position must be a non-empty 1-D signal"),
])
def test_profile_refuses_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        figures.resized_profile_figure(*args)
