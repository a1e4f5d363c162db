"""course_lib.widgets without a browser: set the controls, check what is drawn and written.

References are independent of the widgets' own arithmetic: torch's convolutions
(values, output sizes), torch autograd (which input cells an output depends on)
and torch indexing after a permute (which slice a tensor view shows).
"""
import base64
import html
import itertools
import math
import re

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, ATOL
from course_lib import draw, naive, shapes, utils, widgets
from course_lib.widgets import explorer, slicer, stepper

pytestmark = [pytest.mark.lesson01, pytest.mark.lesson02, pytest.mark.lesson03, pytest.mark.lesson04]

TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def torch_conv(x, w, stride=1, padding=0, dilation=1):
    """torch's convolution of one single-channel input with one kernel, in float64."""
    conv = TORCH_CONV[x.dim()]
    return conv(x[None, None].double(), w[None, None].double(), stride=stride, padding=padding, dilation=dilation)[0, 0]


def depends_on(x, w, stride, padding, dilation, position):
    """Mask over the zero-padded input: the cells out[position] depends on (by autograd)."""
    n = x.dim()
    pads = (padding,) * n if isinstance(padding, int) else padding
    flat = [p for pair in reversed(pads) for p in (pair, pair)]  # F.pad lists the last axis first
    padded = F.pad(x.double(), flat).requires_grad_()
    out = TORCH_CONV[n](padded[None, None], w[None, None].double(), stride=stride, dilation=dilation)[0, 0]
    out[tuple(position)].backward()
    return (padded.grad != 0).numpy()


def outlined(ax, gid="highlight"):
    """(row, column) of the cells outlined on ``ax``, in the axes' data coordinates (tick labels)."""
    return {
        (round(p.get_y() + p.get_height() / 2), round(p.get_x() + p.get_width() / 2))
        for p in ax.patches
        if p.get_gid() == gid
    }


def last_number(text):
    return float(text.rsplit(" = ", 1)[1])


def nonzero_kernel(*shape, seed=0):
    """Random weights bounded away from 0, so every tap shows up in a gradient."""
    g = torch.Generator().manual_seed(seed)
    signs = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0)
    return (signs * (0.5 + torch.rand(shape, generator=g))).double()


# ============================================================================
# dimension_slicer
# ============================================================================


@pytest.mark.parametrize(
    "rank, names",
    [(2, "HW"), (3, "CHW"), (4, "NCHW"), (5, "NCDHW"), (6, ("N", "C", "S1", "S2", "S3", "S4"))],
)
def test_slicer_default_names_follow_the_course_layouts(rank, names):
    s = widgets.dimension_slicer(torch.zeros((2,) * rank))
    assert s.names == tuple(names)
    assert s.shown_axes == (rank - 2, rank - 1)  # the last two axes (H, W) by default
    assert [d.value for d in (s.row_axis, s.col_axis)] == [rank - 2, rank - 1]
    assert len(s.sliders) == rank


def test_slicer_shows_the_indexed_slice_and_says_which():
    t = torch.randn(2, 3, 4, 5, 6, dtype=torch.float64)
    s = widgets.dimension_slicer(t, title="video batch")
    assert s.title == "video batch\nx[0, 0, 0, :, :]  (N=0, C=0, D=0)"
    s.sliders[0].value, s.sliders[1].value, s.sliders[2].value = 1, 2, 3
    np.testing.assert_array_equal(s.image, t[1, 2, 3].numpy())
    assert s.title == "video batch\nx[1, 2, 3, :, :]  (N=1, C=2, D=3)"
    ax = s.figure.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), t[1, 2, 3].numpy())  # what is drawn
    assert ax.get_title() == s.title
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("H (dim 3)", "W (dim 4)")
    assert len(s.figure.axes) == 2  # the image and its colour bar


def test_slicer_rerenders_when_a_slider_moves():
    t = torch.randn(3, 4, 5)
    s = widgets.dimension_slicer(t)
    png, image = s.png, s.image
    s.sliders[0].value = 2
    assert s.png != png and s.image_widget.value == s.png
    assert not np.array_equal(s.image, image)
    np.testing.assert_allclose(s.image, t[2].double().numpy(), atol=ATOL)


def test_slicer_dropdowns_stay_distinct_and_transpose():
    t = torch.randn(2, 3, 4, 5, 6, dtype=torch.float64)
    s = widgets.dimension_slicer(t)
    s.sliders[0].value, s.sliders[1].value, s.sliders[2].value = 1, 2, 3
    s.row_axis.value = 4  # the columns' axis: the two swap
    assert s.shown_axes == (4, 3)
    np.testing.assert_array_equal(s.image, t[1, 2, 3].T.numpy())
    assert s.title == "x[1, 2, 3, :, :]  (N=1, C=2, D=3)"
    s.col_axis.value = 1  # rows W, columns C; H is now a slider (still at 0)
    assert s.shown_axes == (4, 1)
    np.testing.assert_array_equal(s.image, t[1, :, 3, 0, :].T.numpy())
    assert s.title == "x[1, :, 3, 0, :]  (N=1, D=3, H=0)"
    hidden = [axis for axis, slider in enumerate(s.sliders) if slider.layout.display == "none"]
    assert hidden == [1, 4]
    s.col_axis.value = 4  # the rows' axis: swap back to rows C, columns W
    assert s.shown_axes == (1, 4)
    np.testing.assert_array_equal(s.image, t[1, :, 3, 0, :].numpy())


@st.composite
def slicer_cases(draw):
    rank = draw(st.integers(2, 5))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    row, col = draw(st.permutations(range(rank)))[:2]
    values = [draw(st.integers(0, size - 1)) for size in shape]
    return shape, row, col, values


@settings(max_examples=examples(10))
@given(slicer_cases())
def test_slicer_image_is_the_permuted_tensor_indexed(case):
    shape, row, col, values = case
    t = torch.randn(shape, dtype=torch.float64)
    s = widgets.dimension_slicer(t)
    with s.hold():
        s.row_axis.value, s.col_axis.value = row, col  # may swap on the way; set again below
        s.row_axis.value, s.col_axis.value = row, col
        for slider, v in zip(s.sliders, values):
            slider.value = v
    others = [a for a in range(len(shape)) if a not in (row, col)]
    expected = t.permute(*others, row, col)[tuple(values[a] for a in others)]
    assert s.shown_axes == (row, col)
    np.testing.assert_array_equal(s.image, expected.numpy())
    np.testing.assert_array_equal(s.figure.axes[0].images[0].get_array(), expected.numpy())


def test_slicer_colour_scale_whole_tensor_or_slice():
    t = torch.arange(24.0).reshape(2, 3, 4)
    s = widgets.dimension_slicer(t)
    assert s.figure.axes[0].images[0].get_clim() == (0.0, 23.0)
    s.same_scale.value = False
    assert s.figure.axes[0].images[0].get_clim() == (0.0, 11.0)  # x[0] holds 0..11
    s.sliders[0].value = 1
    assert s.figure.axes[0].images[0].get_clim() == (12.0, 23.0)


@pytest.mark.parametrize(
    "names, expected",
    [
        ("CDHW", ("C", "D", "H", "W")),
        (("C", "D", "H", "W"), ("C", "D", "H", "W")),
        ("batch time H W", ("batch", "time", "H", "W")),
        ("N, C, H, W", ("N", "C", "H", "W")),
    ],
)
def test_slicer_names(names, expected):
    s = widgets.dimension_slicer(torch.zeros(2, 3, 4, 5), names=names)
    assert s.names == expected
    assert s.figure.axes[0].get_xlabel() == f"{expected[3]} (dim 3)"
    assert [d.description for d in s.sliders][:2] == [f"{expected[0]} (dim 0)", f"{expected[1]} (dim 1)"]


@pytest.mark.parametrize(
    "tensor, kwargs, error, message",
    [
        (torch.zeros(3), {}, ValueError, r"2 to 6 axes, got 1-D .*tensor\[None\]"),
        (torch.zeros((1,) * 7), {}, ValueError, r"2 to 6 axes, got 7-D"),
        (torch.zeros(2, 3), {"names": "NCH"}, ValueError, r"names needs one name per axis: the tensor has 2 axes, got 3"),
        (torch.zeros(2, 3, 4), {"names": "CHH"}, ValueError, r"names must all be different.*repeated: H"),
        (torch.zeros(2, 3), {"names": 5}, TypeError, r"names must be a string such as 'NCDHW'"),
        (torch.zeros(2, 3), {"names": ("H", "")}, TypeError, r"names must be non-empty strings"),
        (np.zeros((2, 3)), {}, TypeError, r"tensor must be a torch.Tensor, got ndarray"),
        (torch.zeros(2, 3, dtype=torch.complex64), {}, TypeError, r"tensor must be real"),
        (torch.zeros(2, 0, 3), {}, ValueError, r"empty axis"),
        (torch.zeros(2, 3), {"title": 3}, TypeError, r"title must be a string"),
    ],
)
def test_slicer_bad_input(tensor, kwargs, error, message):
    with pytest.raises(error, match=message):
        widgets.dimension_slicer(tensor, **kwargs)


# ============================================================================
# kernel_stepper
# ============================================================================

STEPPER_CASES = [
    # (input shape, kernel shape, stride, padding, dilation)
    ((9,), (3,), 1, 0, 1),
    ((9,), (3,), 2, 1, 2),
    ((8,), (2,), 3, 2, 1),
    ((5, 5), (2, 2), 2, 1, 2),
    ((6, 7), (3, 2), (1, 2), (1, 0), (2, 1)),
    ((5, 6), (3, 3), 1, "same", 1),
    ((5, 6), (2, 4), 1, "same", 1),  # even kernels: torch pads more after than before
    ((4, 5, 5), (3, 3, 3), 1, 1, 1),
    ((5, 4, 6), (2, 3, 2), (2, 1, 2), (1, 0, 1), (1, 1, 2)),
]


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", STEPPER_CASES)
def test_stepper_agrees_with_torch_at_every_position(shape, kernel, stride, padding, dilation):
    x, w = torch.randn(shape, dtype=torch.float64), torch.randn(kernel, dtype=torch.float64)
    s = widgets.kernel_stepper(x, w, stride=stride, padding=padding, dilation=dilation)
    expected = torch_conv(x, w, stride, padding, dilation)
    assert s.output_size == tuple(expected.shape)
    torch.testing.assert_close(s.output, expected, atol=ATOL, rtol=0)
    by_loops = naive.convnd(x[None, None], w[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]
    torch.testing.assert_close(s.output, by_loops, atol=ATOL, rtol=0)
    for position in itertools.product(*(range(o) for o in expected.shape)):
        assert abs(s.value(position) - expected[position].item()) < ATOL
        text = s.dot_product_text(position)
        assert text.startswith(f"out[{', '.join(map(str, position))}] = ")
        assert last_number(text) == pytest.approx(expected[position].item(), rel=1e-5, abs=1e-6)
        assert len(s.terms(position)) == int(np.prod(kernel))


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", [c for c in STEPPER_CASES if c[3] != "same"])
def test_stepper_receptive_field_is_what_the_output_depends_on(shape, kernel, stride, padding, dilation):
    x, w = torch.randn(shape, dtype=torch.float64), nonzero_kernel(*kernel)
    s = widgets.kernel_stepper(x, w, stride=stride, padding=padding, dilation=dilation)
    for position in itertools.product(*(range(o) for o in s.output_size)):
        np.testing.assert_array_equal(s.receptive_field(position), depends_on(x, w, stride, padding, dilation, position))


def test_stepper_dot_product_text_by_hand():
    s = widgets.kernel_stepper(torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, -1.0]))
    assert s.text == "out[0] = 1*1 + 2*(-1) = -1"
    s.position[0].value = 2
    assert s.text == "out[2] = 3*1 + 4*(-1) = -1"
    s = widgets.kernel_stepper(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.5, 0.25], [2.0, -1.5]]), padding=1)
    # out[0, 0] sees padding except x[0, 0] = 1 under w[1, 1] = -1.5
    assert s.text == "out[0, 0] = 0*0.5 + 0*0.25 + 0*2 + 1*(-1.5) = -1.5"
    assert "3 of its 4 cells are zero padding" in s.detail


def test_stepper_2d_draws_the_window_and_the_output_cell():
    x, w = torch.arange(25.0).reshape(5, 5), nonzero_kernel(2, 2)
    s = widgets.kernel_stepper(x, w, stride=2, padding=1, dilation=2)
    ax_x, ax_w, ax_y = s.figure.axes
    before = s.text
    s.position[0].value, s.position[1].value = 1, 2
    assert s.text != before and s.text.startswith("out[1, 2] = ")
    ax_x, ax_w, ax_y = s.figure.axes
    # padded index = input index + 1; the tick labels are input indices
    expected = {(r - 1, c - 1) for r, c in zip(*np.nonzero(depends_on(x, w, 2, 1, 2, (1, 2))))}
    assert outlined(ax_x) == expected == {(1, 3), (1, 5), (3, 3), (3, 5)}
    assert outlined(ax_y) == {(1, 2)}
    assert outlined(ax_x, "padding") == {(r, c) for r in range(-1, 6) for c in range(-1, 6)} - {
        (r, c) for r in range(5) for c in range(5)
    }
    np.testing.assert_array_equal(ax_x.images[0].get_array(), s.padded.numpy())
    np.testing.assert_array_equal(ax_w.images[0].get_array(), w.numpy())
    np.testing.assert_allclose(ax_y.images[0].get_array(), torch_conv(x, w, 2, 1, 2).numpy(), atol=ATOL)
    assert s.figure.get_suptitle() == "out[1, 2] with stride (2, 2), padding (1, 1), dilation (2, 2)"


def test_stepper_1d_draws_kernel_over_the_cells_it_reads():
    x, w = torch.arange(1.0, 10.0), torch.tensor([1.0, -1.0, 0.5])
    s = widgets.kernel_stepper(x, w, stride=2, padding=1, dilation=2)
    s.position[0].value = 2
    ax_x, ax_w, ax_y = s.figure.axes
    expected = {(0, c - 1) for (c,) in zip(*np.nonzero(depends_on(x, w, 2, 1, 2, (2,))))}
    assert outlined(ax_x) == expected
    assert outlined(ax_y) == {(0, 2)}
    placed = ax_w.images[0].get_array()[0]
    drawn = {c - 1: v for c, v in enumerate(placed) if not np.ma.is_masked(v) and np.isfinite(v)}
    assert drawn == {c: w[t].item() for t, (_, c) in enumerate(sorted(expected))}
    assert last_number(s.text) == torch_conv(x, w, 2, 1, 2)[2].item()


def test_stepper_3d_depth_slider_picks_the_slices():
    x, w = torch.randn(5, 4, 4, dtype=torch.float64), nonzero_kernel(2, 2, 2)
    s = widgets.kernel_stepper(x, w, stride=(2, 1, 1), padding=(1, 0, 0), dilation=(2, 1, 1))
    assert s.position[0].description == "out D (depth)"
    with s.hold():
        s.position[0].value, s.position[1].value, s.position[2].value = 1, 2, 1
    field = depends_on(x, w, (2, 1, 1), (1, 0, 0), (2, 1, 1), (1, 2, 1))
    depths = sorted({z for z in np.nonzero(field)[0]})  # padded depths 2 and 4 = input depths 1 and 3
    inputs = s.figure.axes[0:4:2]  # input slices on top, their kernel slices below
    assert [ax.get_title() for ax in inputs] == [f"padded x, depth {z - 1}" for z in depths]
    for ax, z in zip(inputs, depths):
        assert outlined(ax) == {(r, c) for r, c in zip(*np.nonzero(field[z]))}
        np.testing.assert_array_equal(ax.images[0].get_array(), x[z - 1].numpy())
    ax_y = s.figure.axes[4]
    assert outlined(ax_y) == {(2, 1)}
    np.testing.assert_allclose(ax_y.images[0].get_array(), torch_conv(x, w, (2, 1, 1), (1, 0, 0), (2, 1, 1))[1], atol=ATOL)


@st.composite
def stepper_cases(draw):
    n = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
    shape = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7)) for k, d, p in zip(kernel, dilation, padding)
    )
    return shape, kernel, stride, padding, dilation, draw(st.integers(0, 2**16))


@settings(max_examples=examples(40))
@given(stepper_cases())
def test_stepper_random_cases_agree_with_torch(case):
    shape, kernel, stride, padding, dilation, seed = case
    g = torch.Generator().manual_seed(seed)
    x, w = torch.randn(shape, generator=g, dtype=torch.float64), nonzero_kernel(*kernel, seed=seed)
    s = widgets.KernelStepper(x, w, stride=stride, padding=padding, dilation=dilation, render=False)
    expected = torch_conv(x, w, stride, padding, dilation)
    position = tuple(int(torch.randint(o, (1,), generator=g)) for o in expected.shape)
    assert abs(s.value(position) - expected[position].item()) < ATOL
    np.testing.assert_array_equal(s.receptive_field(position), depends_on(x, w, stride, padding, dilation, position))


@pytest.mark.parametrize(
    "x, w, kwargs, error, message",
    [
        (torch.tensor(1.0), torch.tensor(1.0), {}, ValueError, r"input must be one channel .* got a 0-D"),
        (torch.zeros(1, 1, 5, 5), torch.zeros(3, 3), {}, ValueError, r"got a 4-D tensor of shape \(1, 1, 5, 5\); pick one sample and one channel first, e\.g\. x\[0, 0\]"),
        (torch.zeros(5, 5), torch.zeros(3), {}, ValueError, r"weight must have the same rank as input \(2-D: \(kH, kW\)\), got a 1-D"),
        (torch.zeros(5, 5), torch.zeros(1, 1, 3, 3), {}, ValueError, r"got a 4-D tensor .* pick one kernel, e\.g\. weight\[0, 0\]"),
        (torch.zeros(3, 5, 5), torch.zeros(3, 3), {}, ValueError, r"\(3-D: \(kD, kH, kW\)\), got a 2-D .* \(C, H, W\) image, pick one channel: input\[0\]"),
        (torch.zeros(4), torch.zeros(6), {}, ValueError, r"kernel larger than the padded input"),
        (torch.zeros(4), torch.zeros(3), {"dilation": 2}, ValueError, r"kernel spans 5.*padded input has 4"),
        (torch.zeros(4), torch.zeros(3), {"stride": 0}, ValueError, r"stride must be positive"),
        (torch.zeros(4), torch.zeros(3), {"padding": -1}, ValueError, r"padding must be >= 0"),
        (torch.zeros(4), torch.zeros(3), {"padding": "full"}, ValueError, r"padding must be one of 'valid', 'same'"),
        (torch.zeros(4), torch.zeros(2), {"padding": "same", "stride": 2}, ValueError, r"padding='same' needs stride 1"),
        (torch.zeros(4, 4), torch.zeros(2, 2), {"stride": (1, 2, 3)}, ValueError, r"stride needs one value per spatial axis"),
        ([1.0, 2.0], torch.zeros(1), {}, TypeError, r"input must be a torch.Tensor"),
        (torch.zeros(3), [1.0], {}, TypeError, r"weight must be a torch.Tensor"),
        (torch.zeros(3, dtype=torch.complex64), torch.zeros(1), {}, TypeError, r"input must be real"),
    ],
)
def test_stepper_bad_input(x, w, kwargs, error, message):
    with pytest.raises(error, match=message):
        widgets.kernel_stepper(x, w, **kwargs)


def test_stepper_position_argument_is_checked():
    s = widgets.kernel_stepper(torch.zeros(4, 5), torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"position must lie inside the output \(3, 4\), got \(3, 0\)"):
        s.value((3, 0))
    with pytest.raises(ValueError, match=r"position needs one value per spatial axis \(2 here\)"):
        s.value((1,))
    with pytest.raises(ValueError, match=r"position must be >= 0"):
        s.window((0, -1))


def test_stepper_render_false_draws_nothing_until_asked():
    s = widgets.KernelStepper(torch.arange(5.0), torch.ones(2), render=False)
    s.position[0].value = 3
    assert s.figure is None and s.png == b""
    s.render()
    assert s.text == "out[3] = 3*1 + 4*1 = 7"
    s.position[0].value = 1
    assert s.text == "out[1] = 1*1 + 2*1 = 3" and outlined(s.figure.axes[2]) == {(0, 1)}


def test_stepper_accepts_other_dtypes():
    x = torch.arange(6, dtype=torch.int64).reshape(2, 3)
    s = widgets.kernel_stepper(x, torch.ones(2, 2, dtype=torch.float32))
    assert s.value((0, 1)) == 1 + 2 + 4 + 5


# ============================================================================
# output_size_explorer
# ============================================================================


def torch_length(size, k, s, p, d):
    """Output length of torch's conv1d, or None where torch refuses."""
    try:
        return F.conv1d(torch.ones(1, 1, size), torch.ones(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
    except RuntimeError:
        return None


GRID = list(itertools.product(range(1, 8), range(1, 5), range(1, 4), range(0, 3), range(1, 4)))


def test_kernel_placements_match_torch_on_a_grid():
    for size, k, s, p, d in GRID:
        placements = shapes.kernel_placements(size, k, s, p, d)
        expected = torch_length(size, k, s, p, d)
        assert len(placements) == (expected or 0), (size, k, s, p, d)
        if expected:  # spot-check the taps of the last placement by autograd
            field = depends_on(torch.randn(size), nonzero_kernel(k), s, p, d, (expected - 1,))
            assert placements[-1] == [c - p for c in np.nonzero(field)[0]], (size, k, s, p, d)


def test_explorer_formula_and_picture():
    e = widgets.output_size_explorer()
    assert e.values() == {"size": 7, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1}
    lines = e.text.splitlines()
    assert lines[0] == "o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1"
    assert lines[1] == "  = ⌊(7 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1"
    assert int(lines[2].rsplit(" = ", 1)[1]) == e.output_size() == torch_length(7, 3, 1, 0, 1)
    ax = e.figure.axes[0]
    assert len(outlined(ax, "tap")) == e.output_size() * 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["input"] + [f"out[{j}]" for j in range(e.output_size())]


def test_explorer_classic_example_and_unused_cells():
    e = widgets.output_size_explorer()
    with e.hold():  # the classic worked example: a 5-long input, kernel 2, stride 2, padding 1, dilation 2
        for name, value in dict(size=5, kernel_size=2, stride=2, padding=1, dilation=2).items():
            e.sliders[name].value = value
    assert e.output_size() == torch_length(5, 2, 2, 1, 2)
    assert "  = ⌊(5 + 2·1 − 2·(2 − 1) − 1) / 2⌋ + 1" in e.text
    used = {c for taps in e.placements() for c in taps}
    assert e.unused() == [c for c in range(5) if c not in used]
    ax = e.figure.axes[0]
    assert outlined(ax) == {(0, c) for c in e.unused()}
    assert outlined(ax, "tap") == {(j + 1, c) for j, taps in enumerate(e.placements()) for c in taps}
    assert f"Input cells {', '.join(map(str, e.unused()))} are never read" in e.text


@pytest.mark.parametrize("size, k, s, p, d", [(7, 3, 1, 0, 1), (8, 3, 3, 0, 1), (6, 2, 2, 2, 3), (1, 1, 4, 4, 1)])
def test_explorer_slider_changes_follow_torch(size, k, s, p, d):
    e = widgets.output_size_explorer(size=3, kernel_size=1)
    png = e.png
    with e.hold():
        for name, value in zip(("size", "kernel_size", "stride", "padding", "dilation"), (size, k, s, p, d)):
            e.sliders[name].value = value
    assert e.png != png
    assert e.output_size() == torch_length(size, k, s, p, d)
    assert e.summary() == f"i={size}, k={k}, s={s}, p={p}, d={d} -> o={e.output_size()}"


def test_explorer_says_when_the_kernel_does_not_fit():
    e = widgets.output_size_explorer(size=2, kernel_size=3, dilation=2)
    assert torch_length(2, 3, 1, 0, 2) is None  # torch refuses too
    assert e.output_size() is None and e.placements() == []
    assert "The kernel does not fit" in e.text and "kernel spans 5, padded input has 2" in e.text
    assert [t.get_text() for t in e.figure.axes[0].get_yticklabels()] == ["input", "does not fit"]
    e.sliders["padding"].value = 2  # now it fits
    assert e.output_size() == torch_length(2, 3, 1, 2, 2) and "does not fit" not in e.text


def test_explorer_sliders_reach_the_initial_values():
    e = widgets.output_size_explorer(size=40, kernel_size=9, stride=6, padding=7, dilation=5)
    assert e.values() == {"size": 40, "kernel_size": 9, "stride": 6, "padding": 7, "dilation": 5}
    assert e.output_size() == torch_length(40, 9, 6, 7, 5)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"size": 0}, ValueError, r"size must be >= 1, got 0"),
        ({"kernel_size": 0}, ValueError, r"kernel_size must be >= 1"),
        ({"stride": 0}, ValueError, r"stride must be >= 1"),
        ({"padding": -1}, ValueError, r"padding must be >= 0"),
        ({"dilation": 0}, ValueError, r"dilation must be >= 1"),
        ({"stride": 1.5}, TypeError, r"stride must be an int, got 1.5"),
        ({"padding": "same"}, TypeError, r"padding must be an int"),
    ],
)
def test_explorer_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        widgets.output_size_explorer(**kwargs)


# ============================================================================
# display
# ============================================================================


@pytest.mark.parametrize(
    "make",
    [
        lambda: widgets.dimension_slicer(torch.zeros(2, 3, 4)),
        lambda: widgets.kernel_stepper(torch.zeros(5), torch.ones(2)),
        lambda: widgets.output_size_explorer(),
    ],
)
def test_widgets_display_themselves_and_leave_pyplot_alone(make):
    open_figures = plt.get_fignums()
    w = make()
    bundle, metadata = w._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == w.widget.model_id
    assert base64.b64decode(bundle["image/png"]) == w.png and w.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert bundle["text/plain"] == repr(w) and w.summary() in repr(w)
    assert w.image_widget in w.widget.children
    assert plt.get_fignums() == open_figures


def test_draw_grid_checks_mask_shapes():
    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match=r"highlight must have the shape of values \(2, 3\), got \(3, 2\)"):
            draw.draw_grid(ax, np.zeros((2, 3)), highlight=np.zeros((3, 2), dtype=bool))
        with pytest.raises(ValueError, match=r"values must be 1-D \(W,\) or 2-D \(H, W\), got shape \(1, 2, 3\)"):
            draw.draw_grid(ax, np.zeros((1, 2, 3)))
    finally:
        plt.close(fig)


@pytest.mark.parametrize("value, text", [(0.0, "0"), (-0.0, "0"), (2.0, "2"), (-0.5, "-0.5"), (1 / 3, "0.333"), (1234.5, "1.23e+03")])
def test_format_number(value, text):
    assert utils.format_number(value) == text


# ============================================================================
# size on screen, the fallback for viewers without a kernel, the drawing functions
# ============================================================================

# The widgets of the lessons (as the notebooks call them) and the largest pictures their sliders and inputs reach.
SHOWN = {
    "stepper 1-D (lesson 01)": lambda: widgets.kernel_stepper(torch.tensor([3.0, 1, 4, 1, 5, 9, 2, 6]), torch.tensor([1.0, 0, -1]), padding=1),
    "stepper 1-D, long": lambda: widgets.kernel_stepper(torch.randn(40), torch.randn(7), stride=2, padding=3, dilation=2),
    "stepper 2-D (lesson 02)": lambda: widgets.kernel_stepper(torch.arange(25.0).reshape(5, 5), torch.ones(2, 2), stride=2, padding=1, dilation=2),
    "stepper 2-D, large": lambda: widgets.kernel_stepper(torch.randn(24, 24), torch.randn(7, 7), padding=3),
    "stepper 2-D, tall": lambda: widgets.kernel_stepper(torch.randn(30, 4), torch.randn(3, 3), padding=1),
    "stepper 3-D": lambda: widgets.kernel_stepper(torch.randn(4, 5, 5), torch.randn(3, 3, 3), padding=1),
    "stepper 3-D, large": lambda: widgets.kernel_stepper(torch.randn(8, 12, 12), torch.randn(5, 5, 5), padding=2),
    "explorer (lesson 01)": lambda: widgets.output_size_explorer(size=8, kernel_size=3, stride=2, padding=1),
    "slicer NCHW (lesson 02)": lambda: widgets.dimension_slicer(torch.randn(3, 5, 128, 128), names="NCHW", title="feature maps"),
    "slicer NCDHW, D x W (lesson 03)": lambda: widgets.dimension_slicer(torch.rand(2, 3, 16, 32, 32), names="NCDHW", title="video batch (N, C, D, H, W)", rows="D", cols="W"),
    "slicer rank 6, T x H (lesson 04)": lambda: widgets.dimension_slicer(torch.rand(1, 1, 5, 16, 16, 16), names=("N", "C", "T", "D", "H", "W"), title="moving volume", rows="T", cols="H"),
    "slicer, thin C x W": lambda: widgets.dimension_slicer(torch.randn(2, 3, 200), names="NCW", rows="C", cols="W"),
    "slicer, tall": lambda: widgets.dimension_slicer(torch.randn(100, 3)),
}


def text_lines(text, chars_per_line=widgets.CHARS_PER_LINE):
    return sum(max(1, math.ceil(len(line) / chars_per_line)) for line in text.splitlines())


def sliders_of(w):
    return [c for c in w.widget.children if isinstance(c, ipywidgets.GridBox)][0].children


@pytest.mark.parametrize("name", SHOWN)
def test_picture_is_shown_at_half_its_pixel_size_never_stretched(name):
    """A 2x PNG (for high-DPI screens) shown at its CSS width: pixel size / 2, as wide as the figure at draw.DPI."""
    w = SHOWN[name]()
    px_width, px_height = draw.png_size(w.png)
    css_width, css_height = w.css_size
    assert draw.PIXEL_RATIO == 2
    assert abs(2 * css_width - px_width) <= 1 and abs(2 * css_height - px_height) <= 1
    assert w.image_widget.layout.width == f"{css_width}px"  # not stretched to the output area
    assert w.image_widget.layout.max_width == "100%" and w.image_widget.layout.height == "auto"  # may only shrink
    inches = w.figure.get_size_inches()
    assert css_width <= (inches[0] + 0.5) * draw.DPI  # the figure at DPI CSS pixels per inch (+ margins, tick labels)
    assert css_width <= (draw.MAX_WIDTH + 0.5) * draw.DPI <= 900  # fits a laptop's notebook column
    _, metadata = w._repr_mimebundle_()
    assert metadata == {"image/png": {"width": css_width}}  # the stored image/png is shown at that width too


@pytest.mark.parametrize("name", SHOWN)
def test_widget_fits_a_laptop_screen(name):
    """Controls, text and picture within HEIGHT_BUDGET CSS pixels, estimated from the figure's height in inches x DPI."""
    w = SHOWN[name]()
    rows = w.control_rows()
    picture = (w.figure.get_size_inches()[1] + 0.3) * draw.DPI  # the figure, its 0.1 in margins and a little spill
    estimate = rows * widgets.ROW_HEIGHT + text_lines(w._text) * widgets.LINE_HEIGHT + picture + widgets.MARGIN
    assert estimate <= widgets.HEIGHT_BUDGET <= 700, (name, rows, picture, estimate)
    assert w.estimated_height() <= estimate
    assert w.css_size[1] <= picture


@pytest.mark.parametrize("size, kernel_size, stride, padding, dilation", list(itertools.product((1, 16), (1, 7), (1, 4), (0, 4), (1, 4))))
def test_explorer_fits_a_laptop_screen_at_every_slider_extreme(size, kernel_size, stride, padding, dilation):
    e = widgets.output_size_explorer(size, kernel_size, stride, padding, dilation)
    assert e.control_rows() == 3  # five sliders, two to a row
    picture = (e.figure.get_size_inches()[1] + 0.3) * draw.DPI
    assert 3 * widgets.ROW_HEIGHT + text_lines(e.text) * widgets.LINE_HEIGHT + picture + widgets.MARGIN <= widgets.HEIGHT_BUDGET
    assert e.css_size[0] <= (draw.MAX_WIDTH + 0.5) * draw.DPI


def test_slider_rows_and_aligned_tracks():
    """Sliders sit two to a row; within a widget they share one description width, so their tracks line up."""
    cases = [
        (widgets.output_size_explorer(), 5, 3),
        (widgets.kernel_stepper(torch.zeros(4, 5, 5), torch.ones(2, 2, 2)), 3, 2),
        (widgets.kernel_stepper(torch.zeros(5, 5), torch.ones(2, 2)), 2, 1),
        (widgets.dimension_slicer(torch.zeros(1, 2, 3, 4, 5, 6)), 6, 2 + 2),  # 4 sliders shown, plus title and dropdowns
    ]
    for w, count, rows in cases:
        sliders = sliders_of(w)
        assert len(sliders) == count and w.control_rows() == rows
        assert len({s.style.description_width for s in sliders}) == 1
        assert len({s.layout.width for s in sliders}) == 1
        label = int(sliders[0].style.description_width.removesuffix("px"))
        assert label >= 7 * max(len(s.description) for s in sliders)  # wide enough for the longest description


def test_slicer_hidden_sliders_leave_no_row():
    s = widgets.dimension_slicer(torch.zeros(2, 3, 4, 5, 6))  # N, C, D sliders shown
    assert s.control_rows() == 2 + 2
    s.col_axis.value = 2  # rows H, columns D: W now a slider, D hidden
    assert s.control_rows() == 2 + 2
    assert [sl.layout.display for sl in s.sliders] == [None, None, "none", "none", None]


@pytest.mark.parametrize("name", SHOWN)
def test_fallback_for_viewers_without_a_kernel_says_how_to_get_the_controls(name):
    """text/html: the text, the picture at its CSS width and the note; the live view has no note."""
    w = SHOWN[name]()
    bundle, _ = w._repr_mimebundle_()
    page = bundle["text/html"]
    note = w.controls_note()
    assert note.startswith("Run the cell to get the controls: ") and html.escape(note, quote=False) in page
    assert page.index("<img") < page.index(note)  # under the picture
    source = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(source) == w.png
    assert f'width="{w.css_size[0]}"' in page
    if w._text:
        assert html.escape(w._text.splitlines()[0], quote=False) in page
    live_text = " ".join(c.value for c in w.widget.children if isinstance(c, ipywidgets.HTML))
    assert "Run the cell" not in live_text


def test_controls_note_names_the_controls():
    assert "a slider for the output position (out L) moves the kernel" in widgets.kernel_stepper(torch.zeros(5), torch.ones(2)).controls_note()
    assert "sliders for the output position (out D, out H and out W) move" in widgets.kernel_stepper(torch.zeros(3, 4, 4), torch.ones(2, 2, 2)).controls_note()
    assert "a slider for each of N, C and D," in widgets.dimension_slicer(torch.zeros(2, 3, 4, 5, 6)).controls_note()
    assert "a slider for C," in widgets.dimension_slicer(torch.zeros(2, 4, 5)).controls_note()
    assert "controls: dropdowns that choose" in widgets.dimension_slicer(torch.zeros(4, 5)).controls_note()
    assert "input size i, kernel size k, stride s, padding p and dilation d" in widgets.output_size_explorer().controls_note()


def labelled(figure):
    """The axes of a figure other than colour bars, each with its title and labels."""
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]


@pytest.mark.parametrize(
    "padded, weight, output, window, position, titles",
    [
        (np.arange(5.0), np.array([1.0, -1.0]), np.full(4, -1.0), [((0,), (1,)), ((1,), (2,))], (1,),
         ["input x", "kernel w, drawn over the cells it reads", "output out"]),
        (np.ones((4, 4)), np.ones((2, 2)), np.full((3, 3), 4.0), [((0, 0), (1, 1)), ((0, 1), (1, 2)), ((1, 0), (2, 1)), ((1, 1), (2, 2))],
         (1, 1), ["input x", "kernel w", "output out"]),
        (np.ones((3, 3, 3)), np.ones((2, 2, 2)), np.full((2, 2, 2), 8.0),
         [((a, b, c), (1 + a, b, c)) for a in range(2) for b in range(2) for c in range(2)], (1, 0, 0),
         ["padded x, depth 1", "kernel w[0]", "padded x, depth 2", "kernel w[1]", "output, depth 1"]),
    ],
)
def test_draw_kernel_stepper_from_plain_data(padded, weight, output, window, position, titles):
    figure = stepper.draw_kernel_stepper(padded, weight, output, window, position, title="a step")
    axes = labelled(figure)
    assert [ax.get_title() for ax in axes] == titles
    assert all(ax.get_xlabel() for ax in axes) and figure.get_suptitle() == "a step"
    read = {cell for _, cell in window}
    if padded.ndim == 2:
        assert outlined(axes[0]) == read and outlined(axes[2]) == {position}
    assert plt.get_fignums() == []  # a bare figure


def test_drawing_functions_label_everything():
    """Each picture of the widgets has a title and labelled axes."""
    figures = [
        slicer.draw_slice(np.random.rand(4, 6), title="x[0]", xlabel="W (dim 2)", ylabel="H (dim 1)"),
        explorer.draw_output_size(7, 3, 2, 1, 1),
        explorer.draw_output_size(2, 5),  # does not fit
        *(SHOWN[name]().figure for name in SHOWN),
    ]
    for figure in figures:
        for ax in labelled(figure):
            assert ax.get_title(), figure
            assert ax.get_xlabel(), (figure, ax.get_title())
        first = labelled(figure)[0]
        one_row = bool(first.images) and first.images[0].get_array().shape[0] == 1  # a 1-D grid: its title names it
        assert first.get_ylabel() or one_row or [t.get_text() for t in first.get_yticklabels()][0] == "input"
    assert explorer.draw_output_size(2, 5).axes[0].get_title().startswith("i=2, k=5, s=1, p=0, d=1: the kernel does not fit")


def test_draw_slice_signed_data_is_centred_on_zero():
    figure = slicer.draw_slice(np.array([[-1.0, 3.0]]), signed=True, title="t", xlabel="x", ylabel="y")
    image = figure.axes[0].images[0]
    assert image.get_clim() == (-3.0, 3.0) and image.get_cmap().name == "RdBu_r"
    figure = slicer.draw_slice(np.array([[1.0, 3.0]]), title="t", xlabel="x", ylabel="y")
    assert figure.axes[0].images[0].get_clim() == (1.0, 3.0) and figure.axes[0].images[0].get_cmap().name == "viridis"
    with pytest.raises(ValueError, match=r"image must be 2-D \(rows, cols\), got shape \(3,\)"):
        slicer.draw_slice(np.zeros(3))


def test_draw_kernel_stepper_checks_ranks():
    with pytest.raises(ValueError, match=r"same rank, got shapes \(5,\), \(2, 2\) and \(4,\)"):
        stepper.draw_kernel_stepper(np.zeros(5), np.zeros((2, 2)), np.zeros(4), [], (0,))


def test_png_size_and_screen_png():
    w = widgets.output_size_explorer()
    png, width, height = draw.screen_png(w.figure)
    assert draw.png_size(png) == draw.png_size(w.png) and (width, height) == w.css_size
    png1, width1, _ = draw.screen_png(w.figure, pixel_ratio=1)  # text is laid out a little differently at 1x
    assert abs(width1 - width) <= 0.03 * width and width1 == draw.png_size(png1)[0]
    with pytest.raises(ValueError, match="png must be the bytes of a PNG file"):
        draw.png_size(b"GIF89a" + bytes(20))
