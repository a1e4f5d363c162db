"""course_lib.offline: widgets made again from their spec, drawn ahead for every setting, and the page fragment."""
import json
import re

import pytest
import torch

from course_lib import offline, utils, widgets

pytestmark = [pytest.mark.lesson01, pytest.mark.lesson02, pytest.mark.lesson03, pytest.mark.lesson04, pytest.mark.lesson07]


def _made():
    g = torch.Generator().manual_seed(0)
    return [
        widgets.kernel_stepper(torch.randn(7, generator=g), torch.randn(3, generator=g), padding="same", dilation=2),
        widgets.kernel_stepper(torch.randn(5, 5, generator=g), torch.randn(2, 2, generator=g), stride=2, padding=1),
        widgets.output_size_explorer(size=9, kernel_size=4, stride=3, padding=2, dilation=1),
        widgets.dimension_slicer(torch.randn(2, 3, 4, 5, generator=g), names="NCHW", title="maps", rows="C",
                                 cols="W", index={"N": 1, "H": 2}),
        widgets.scatter_stepper(torch.randn(2, 3, generator=g), torch.randn(2, 2, generator=g), stride=2,
                                padding=1, output_padding=1),
    ]


@pytest.mark.parametrize("index", [0] + [pytest.param(i, marks=pytest.mark.slow) for i in range(1, 5)])
def test_a_widget_made_again_from_its_spec_shows_what_the_original_shows(index):
    original = _made()[index]
    if isinstance(original, widgets.ScatterStepper):
        original.step.value = 4
    if isinstance(original, widgets.DimensionSlicer):
        original.same_scale.value = False
    spec = json.loads(json.dumps(original.spec()))  # as the notebook stores it: JSON
    again = offline.from_spec(spec)
    assert type(again) is type(original)
    assert again.summary() == original.summary() and again._text == original._text
    assert again.png == original.png  # the same drawing code on the same data draws the same picture


def test_tensors_keep_float64_when_small_and_float32_when_large():
    small = torch.randn(3, 4, dtype=torch.float64)
    assert torch.equal(utils.tensor_from_json(json.loads(json.dumps(utils.tensor_to_json(small)))), small)
    large = torch.randn(utils.EXACT_ELEMENTS + 1, dtype=torch.float64)
    back = utils.tensor_from_json(utils.tensor_to_json(large))
    assert back.dtype == torch.float32 and torch.equal(back, large.float())
    with pytest.raises(ValueError, match="spec must be a dict from tensor_to_json"):
        utils.tensor_from_json({"shape": [2]})


def test_a_bad_spec_is_refused_with_the_widgets_that_exist():
    with pytest.raises(ValueError, match="spec\\['widget'\\] must name one of the course's widgets.*got 'slider'"):
        offline.from_spec({"widget": "slider", "args": {}})
    with pytest.raises(ValueError, match="spec must be a widget's spec"):
        offline.from_spec([1, 2])


@pytest.mark.slow  # draws many pictures: make test (not test-fast)
def test_every_combination_is_drawn_when_few_and_each_picture_is_the_live_widgets():
    stepper = _made()[1]  # 3x3 output positions: 9 settings
    drawn = offline.frames(stepper)
    assert drawn.mode == "all" and sorted(drawn.pictures) == [f"{a},{b}" for a in range(3) for b in range(3)]
    assert drawn.key == "0,0" and [s.value for s in stepper.position] == [0, 0]  # left at the stored setting
    stepper.position[0].value, stepper.position[1].value = 2, 1
    assert drawn.pictures["2,1"].png == stepper.png and drawn.pictures["2,1"].text == stepper._text
    assert drawn.pictures["2,1"].alt == stepper.summary()


@pytest.mark.slow  # draws many pictures: make test (not test-fast)
def test_many_settings_move_one_slider_at_a_time_from_the_stored_one():
    explorer = _made()[2]
    drawn = offline.frames(explorer)
    assert drawn.mode == "one" and drawn.key == "9,4,3,2,1"
    for key in drawn.pictures:  # every drawn setting differs from the stored one in one slider at most
        assert sum(a != b for a, b in zip(key.split(","), drawn.key.split(","))) <= 1
    assert "14,4,3,2,1" in drawn.pictures and "9,4,1,2,1" in drawn.pictures and "14,4,1,2,1" not in drawn.pictures
    slicer = widgets.dimension_slicer(torch.zeros(6, 7, 8, 3, 3))  # N, C, D: 336 combinations
    drawn = offline.frames(slicer)
    assert drawn.mode == "one" and [c.label for c in drawn.controls] == ["N (dim 0)", "C (dim 1)", "D (dim 2)"]
    assert len(drawn.pictures) == 1 + 5 + 6 + 7
    assert drawn.fixed == ["rows: H (dim 3), columns: W (dim 4); one colour scale for all slices"]


def test_the_fragment_has_a_range_input_per_slider_its_frames_and_no_ipywidgets():
    drawn = offline.frames(_made()[4])
    page = offline.html(drawn)
    assert page.count('type="range"') == 1 and 'min="0" max="5"' in page and 'value="0"' in page
    frames = json.loads(re.search(r'<script type="application/json" class="course-widget-frames">(.*?)</script>',
                                  page, re.S).group(1))
    assert sorted(frames["frames"]) == [str(i) for i in range(6)] and frames["mode"] == "all"
    assert "jupyter-widgets" not in page and "</script" not in page.split("course-widget-frames")[1][:-9]


@pytest.mark.slow  # draws many pictures: make test (not test-fast)
def test_pictures_are_enlarged_until_their_text_is_readable_and_sliders_keep_to_what_fits():
    explorer = widgets.output_size_explorer(size=8, kernel_size=3, stride=2, padding=1)
    drawn = offline.frames(explorer)
    page = offline.html(drawn, min_text_px=20, max_width=2000, max_height=2000, max_scale=1.0)
    shown = drawn.pictures[drawn.key]
    width = int(re.search(r'class="course-widget-picture"[^>]* width="(\d+)"', page).group(1))
    assert width == round(shown.width * 20 / shown.text_px)  # enlarged: its smallest text is now 20 px
    roomy = offline.html(drawn, min_text_px=1, max_width=2000, max_height=2000, max_scale=1.5)
    assert int(re.search(r'class="course-widget-picture"[^>]* width="(\d+)"', roomy).group(1)) == round(shown.width * 1.5)
    small = offline.html(drawn, min_text_px=1, max_width=2000, max_height=500)  # room for short pictures only
    size = re.search(r'aria-label="size i"', small) and re.search(r'min="(\d+)" max="(\d+)" step="1" value="8" '
                                                                  r'aria-label="size i"', small)
    assert size and int(size.group(2)) < 16  # the largest inputs draw pictures too tall for 500 px
