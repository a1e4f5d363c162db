"""widgets.scatter_stepper (lesson 07) without a browser: the stamps add up to torch's transposed convolution."""
import base64
import html
import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import ATOL
from course_lib import draw, widgets
from course_lib.widgets import scatter

pytestmark = pytest.mark.lesson07

TORCH_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}

CASES = [  # input shape, kernel shape, stride, padding, dilation, output_padding
    ((4,), (3,), 1, 0, 1, 0),
    ((5,), (3,), 2, 1, 1, 1),
    ((4,), (3,), 2, 1, 2, 1),
    ((3,), (2,), 1, 0, 3, 2),  # output_padding >= stride: legal, below the dilation
    ((3, 3), (3, 3), 2, 0, 1, 0),
    ((3, 4), (3, 2), (2, 1), (1, 0), (1, 2), (1, 1)),
    ((2, 3), (2, 2), 3, 1, 1, 2),
]


def reference(x, w, stride, padding, dilation, output_padding):
    return TORCH_T[x.dim()](x[None, None], w[None, None], stride=stride, padding=padding, dilation=dilation,
                            output_padding=output_padding)[0, 0]


@pytest.mark.parametrize("shape, kshape, stride, padding, dilation, output_padding", CASES)
def test_all_stamps_add_up_to_torch(shape, kshape, stride, padding, dilation, output_padding):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, dtype=torch.float64, generator=g)
    w = torch.randn(kshape, dtype=torch.float64, generator=g)
    s = widgets.scatter_stepper(x, w, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding)
    expected = reference(x, w, stride, padding, dilation, output_padding)
    last = x.numel() - 1
    assert s.output_size == tuple(expected.shape)
    torch.testing.assert_close(s.output(last), expected, atol=ATOL, rtol=0)
    s.step.value = last  # the slider: the widget's state follows
    torch.testing.assert_close(s.output(), expected, atol=ATOL, rtol=0)
    assert s.summary().startswith(f"element {x.numel() - 1} of 0..{x.numel() - 1}")  # the slider reads the same


def test_each_stamp_adds_its_element_times_the_kernel():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
    s = widgets.scatter_stepper(x, w, stride=2, padding=1)
    previous = torch.zeros(s.canvas_size, dtype=torch.float64)
    for step in range(4):
        added = s.accumulated(step) - previous
        i, j = s.element(step)
        expected = torch.zeros(s.canvas_size, dtype=torch.float64)
        expected[2 * i:2 * i + 2, 2 * j:2 * j + 2] = x[i, j] * w
        torch.testing.assert_close(added, expected)
        assert {cell for _, cell in s.stamp(step)} == {(2 * i + a, 2 * j + b) for a, b in itertools.product(range(2), range(2))}
        previous = s.accumulated(step)


def test_stamp_text_by_hand_and_the_picture_follows_the_slider():
    s = widgets.scatter_stepper(torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0]), stride=2)
    assert s.text == "element 0 of 0..1: x[0] = 1 stamps 1*w onto out[0..1]\nout[0] += 1*0.5 -> 0.5;  out[1] += 1*(-1) -> -1"
    png = s.png
    s.step.value = 1
    assert s.text.startswith("element 1 of 0..1: x[1] = 2 stamps 2*w onto out[2..3]")
    assert s.png != png
    canvas_ax = s.figure.axes[-1]
    outlined = {round(p.get_x() + 0.5) for p in canvas_ax.patches if p.get_gid() == "highlight"}
    assert outlined == {2, 3}


def test_padding_crops_and_is_hatched():
    s = widgets.scatter_stepper(torch.ones(3, 3), torch.ones(3, 3), stride=2, padding=1)
    assert s.canvas_size == (7, 7) and s.output_size == (5, 5)
    assert int((~s.kept()).sum()) == 7 * 7 - 5 * 5
    hatched = [p for p in s.figure.axes[2].patches if p.get_gid() == "padding"]
    assert len(hatched) == 7 * 7 - 5 * 5
    assert "(cropped)" in s.stamp_text(0)  # the first stamp lands partly on the cropped border


@pytest.mark.parametrize(
    "x, w, kwargs, error, message",
    [
        (torch.zeros(1, 1, 3, 3), torch.ones(2, 2), {}, ValueError, r"input must be one channel without a batch axis"),
        (torch.zeros(2, 2, 2), torch.ones(2, 2, 2), {}, ValueError, r"\(L,\) or \(H, W\); got a 3-D tensor"),
        (torch.zeros(3, 3), torch.ones(3), {}, ValueError, r"weight must have the same rank as input \(2-D\)"),
        (torch.zeros(3), torch.ones(2), {"stride": 0}, ValueError, r"stride"),
        (torch.zeros(3), torch.ones(2), {"output_padding": 2, "stride": 2}, ValueError, r"output_padding must be smaller than stride or dilation"),
        (torch.zeros(2), torch.ones(2), {"padding": 2}, ValueError, r"padding 2 crops the whole output"),
        (torch.zeros(3), torch.ones(2), {"padding": 1.5}, TypeError, r"padding"),
        (torch.zeros(3, dtype=torch.complex64), torch.ones(2), {}, TypeError, r"input must be real"),
        (torch.zeros(0), torch.ones(2), {}, ValueError, r"must not be empty"),
    ],
)
def test_bad_input(x, w, kwargs, error, message):
    with pytest.raises(error, match=message):
        widgets.scatter_stepper(x, w, **kwargs)


def test_step_argument_is_checked():
    s = widgets.scatter_stepper(torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError, match=r"step must pick an input element 0..2 \(input has 3 elements\), got 3"):
        s.output(3)


def test_display_bundle_png_and_fallback_like_the_other_widgets():
    open_figures = plt.get_fignums()
    s = widgets.scatter_stepper(torch.arange(9.0).reshape(3, 3), torch.ones(3, 3), stride=2, padding=1, output_padding=1)
    bundle, metadata = s._repr_mimebundle_()
    assert sorted(bundle) == [widgets.SPEC_MIME, "application/vnd.jupyter.widget-view+json", "image/png", "text/html",
                              "text/plain"]
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == s.widget.model_id
    assert base64.b64decode(bundle["image/png"]) == s.png and s.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert metadata == {"image/png": {"width": s.css_size[0]}}
    px_width, px_height = draw.png_size(s.png)
    assert abs(2 * s.css_size[0] - px_width) <= 1 and abs(2 * s.css_size[1] - px_height) <= 1
    page = bundle["text/html"]
    note = s.controls_note()
    assert note.startswith("Run the cell to get the controls: ") and html.escape(note, quote=False) in page
    assert page.index("<img") < page.index(note)
    assert html.escape(s.text.splitlines()[0], quote=False) in page
    assert bundle["text/plain"] == repr(s) and s.summary() in repr(s)
    assert "Run the cell" not in " ".join(c.value for c in s.widget.children if hasattr(c, "value") and isinstance(c.value, str))
    assert plt.get_fignums() == open_figures


@pytest.mark.parametrize("make", [
    lambda: widgets.scatter_stepper(torch.randn(8, 8), torch.randn(4, 4), stride=2, padding=1),
    lambda: widgets.scatter_stepper(torch.randn(3, 3), torch.randn(3, 3), stride=2, padding=1, output_padding=1),
    lambda: widgets.scatter_stepper(torch.randn(12), torch.randn(5), stride=3, padding=2, dilation=2, output_padding=1),
])
def test_fits_a_laptop_screen(make):
    s = make()
    assert s.estimated_height() <= widgets.HEIGHT_BUDGET
    assert s.css_size[0] <= (draw.MAX_WIDTH + 0.5) * draw.DPI


def test_draw_scatter_stepper_2d_outlines_the_element_and_the_stamp():
    x = np.arange(4.0).reshape(2, 2)
    canvas = np.zeros((4, 4))
    stamp = [((a, b), (2 + a, 2 + b)) for a in range(2) for b in range(2)]
    figure = scatter.draw_scatter_stepper(x, np.ones((2, 2)), canvas, (1, 1), stamp, kept=np.ones((4, 4), bool),
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
        scatter.draw_scatter_stepper(np.zeros(3), np.zeros((2, 2)), np.zeros(4), (0,), [])
