"""Widgets that move without a kernel: their pictures for every setting, drawn ahead, and a page
that switches them.

In JupyterLab a widget (``course_lib.widgets``) redraws in Python whenever a slider moves. A slide
deck or a web page has no Python, so this module draws the pictures ahead, with the widget's own
drawing code, and writes an HTML fragment whose plain ``<input type="range">`` sliders switch
between them in the browser:

1. A widget's display data holds its spec (``widgets.SPEC_MIME``: which widget, its arguments, its
   controls' values); :func:`from_spec` makes the widget again in any Python process (no notebook
   kernel).
2. :func:`frames` moves its sliders through their settings and keeps each picture (a PNG at twice
   the pixel density), its text and its description. When the sliders have at most ``max_frames``
   settings together, every combination is drawn (mode ``"all"``); otherwise each slider moves on
   its own from the stored setting (mode ``"one"``: moving one slider puts the others back, and the
   fragment says so).
3. :func:`html` writes the fragment: the sliders, the text and the picture, with the frames as JSON;
   the page needs :data:`PLAYER_JS` once (and :data:`PLAYER_CSS`), which wires every fragment on the
   page.

Controls that cannot move without Python (the dimension slicer's axis dropdowns and colour-scale
checkbox) are written as plain text, not drawn as controls. The arrow keys move a focused slider,
not the slide (reveal.js leaves keys to a focused ``<input>``, and the player stops them from
reaching the page).

>>> import torch
>>> from course_lib import widgets
>>> stepper = widgets.kernel_stepper(torch.arange(5.0), torch.ones(2))
>>> spec = stepper.spec()
>>> drawn = frames(from_spec(spec))
>>> drawn.mode, [c.label for c in drawn.controls], sorted(drawn.pictures)
('all', ['out L'], ['0', '1', '2', '3'])
>>> drawn.pictures["2"].text.splitlines()[0]
'out[2] = 2*1 + 3*1 = 5'
"""
from __future__ import annotations

import base64
import dataclasses
import html as html_text
import itertools
import json
import math

import torch

from course_lib import draw, utils, widgets

MAX_FRAMES = 64
"""Most pictures drawn for every combination of a widget's sliders; beyond it each slider moves on its own."""

MAX_SINGLE_FRAMES = 120
"""Most pictures of a widget in all: a slider with more settings than fit shows every ``n``-th one."""


@dataclasses.dataclass
class Control:
    """One slider of a widget: its label, the values it takes and the value the notebook stored."""

    label: str
    values: list[int]
    value: int


@dataclasses.dataclass
class Picture:
    """One setting's picture: PNG bytes (twice the pixel density), its CSS size, the widget's text, a
    description and the smallest text in the picture in CSS pixels (``draw.text_px``)."""

    png: bytes
    width: int
    height: int
    text: str
    alt: str
    text_px: float | None


@dataclasses.dataclass
class Frames:
    """A widget drawn ahead: its sliders, the fixed settings (as words), the mode (``"all"``
    combinations or ``"one"`` slider at a time) and the pictures keyed by the sliders' values joined by
    commas (``"2,0"``)."""

    widget: str
    controls: list[Control]
    fixed: list[str]
    mode: str
    pictures: dict[str, Picture]

    @property
    def key(self) -> str:
        """The key of the stored setting (the picture the notebook shows)."""
        return ",".join(str(c.value) for c in self.controls)


# ----------------------------------------------------------------------------------------------- specs


def from_spec(spec: dict):
    """The widget a spec describes (``widget.spec()``, stored in its display data), made again and set
    to the stored values of its controls.

    >>> from course_lib import widgets
    >>> explorer = from_spec(widgets.output_size_explorer(size=9, stride=2).spec())
    >>> explorer.summary()
    'i=9, k=3, s=2, p=0, d=1 -> o=4'
    """
    if not isinstance(spec, dict) or "widget" not in spec:
        raise ValueError(f"spec must be a widget's spec() dict with a 'widget' key, got {spec!r:.80}.")
    kind, args, state = spec["widget"], dict(spec.get("args", {})), spec.get("state", {})
    for name in ("tensor", "input", "weight"):
        if name in args:
            args[name] = utils.tensor_from_json(args[name])
    if kind == "dimension_slicer":
        widget = widgets.dimension_slicer(**args)
        with widget.hold():
            widget.same_scale.value = bool(state.get("same_scale", True))
    elif kind == "kernel_stepper":
        widget = widgets.KernelStepper(**{k: _tuple(v) for k, v in args.items()}, render=False)
        for slider, value in zip(widget.position, state.get("position", [])):
            slider.value = value
        widget.render()
    elif kind == "output_size_explorer":
        widget = widgets.output_size_explorer(**args)
        with widget.hold():
            for name, value in state.items():
                widget.sliders[name].value = value
    elif kind == "scatter_stepper":
        widget = widgets.ScatterStepper(**{k: _tuple(v) for k, v in args.items()}, render=False)
        widget.step.value = state.get("step", 0)
        widget.render()
    else:
        raise ValueError(
            f"spec['widget'] must name one of the course's widgets (dimension_slicer, kernel_stepper, "
            f"output_size_explorer, scatter_stepper), got {kind!r}."
        )
    return widget


def _tuple(value):
    return tuple(value) if isinstance(value, list) else value


# ---------------------------------------------------------------------------------------------- frames


def _sliders(widget) -> tuple[list, list[str]]:
    """The widget's sliders that move in a page (in order), and its other settings as words."""
    if isinstance(widget, widgets.DimensionSlicer):
        row, col = widget.shown_axes
        sliders = [s for axis, s in enumerate(widget.sliders) if axis not in (row, col)]
        scale = "one colour scale for all slices" if widget.same_scale.value else "each slice on its own colour scale"
        fixed = [f"rows: {widget.names[row]} (dim {row}), columns: {widget.names[col]} (dim {col}); {scale}"]
        return sliders, fixed
    if isinstance(widget, widgets.KernelStepper):
        return list(widget.position), []
    if isinstance(widget, widgets.OutputSizeExplorer):
        return list(widget.sliders.values()), []
    if isinstance(widget, widgets.ScatterStepper):
        return [widget.step], []
    raise TypeError(f"widget must be one of course_lib.widgets' widgets, got {type(widget).__name__}.")


def _picture(widget) -> Picture:
    return Picture(png=widget.png, width=widget.css_size[0], height=widget.css_size[1], text=widget._text,
                   alt=widget.summary(), text_px=draw.text_px(widget.figure))


def _thin(values: list[int], stored: int, most: int) -> list[int]:
    """At most ``most`` of ``values`` (evenly spread), always keeping the first, the last and
    ``stored``."""
    if len(values) <= most:
        return values
    step = math.ceil((len(values) - 1) / (most - 1))
    return sorted(set(values[::step]) | {values[0], values[-1], stored})


def frames(widget, max_frames: int = MAX_FRAMES) -> Frames:
    """Draw ``widget`` at its sliders' settings (see the module's text for which) and return them as
    :class:`Frames`. The widget is left at its stored setting.

    >>> from course_lib import widgets
    >>> drawn = frames(widgets.output_size_explorer(size=8, kernel_size=3, stride=2, padding=1))
    >>> drawn.mode, drawn.key, len(drawn.pictures)  # 16 + 7 + 4 + 5 + 4 settings, the stored one shared
    ('one', '8,3,2,1,1', 32)
    """
    sliders, fixed = _sliders(widget)
    stored = [s.value for s in sliders]
    controls = [Control(s.description, list(range(s.min, s.max + 1)), s.value) for s in sliders]
    if math.prod(len(c.values) for c in controls) <= max_frames:
        mode, settings = "all", list(itertools.product(*(c.values for c in controls)))
    else:
        mode, settings = "one", [tuple(stored)]
        per_slider = max(2, MAX_SINGLE_FRAMES // max(1, len(controls)))
        for i, control in enumerate(controls):
            control.values = _thin(control.values, control.value, per_slider)
            settings += [tuple(stored[:i]) + (v,) + tuple(stored[i + 1:]) for v in control.values if v != stored[i]]
    pictures = {}
    try:
        for setting in settings:
            with widget.hold():
                for slider, value in zip(sliders, setting):
                    slider.value = value
            pictures[",".join(map(str, setting))] = _picture(widget)
    finally:
        with widget.hold():
            for slider, value in zip(sliders, stored):
                slider.value = value
    return Frames(widget=type(widget).__name__, controls=controls, fixed=fixed, mode=mode, pictures=pictures)


# ------------------------------------------------------------------------------------------------ HTML

PLAYER_CSS = """
.course-widget { font-size: 18px; line-height: 1.3; }
.course-widget-fixed, .course-widget-hint { font-size: 18px; color: #555; margin: 0 0 4px 0; }
.course-widget-controls { display: flex; flex-wrap: wrap; gap: 2px 28px; margin: 0 0 6px 0; }
.course-widget-control { display: inline-flex; align-items: center; gap: 10px; font-family: monospace;
    font-size: 18px; }
.course-widget-control input[type=range] { width: 200px; height: 28px; margin: 0; accent-color: #1f77b4;
    cursor: pointer; }
.course-widget-control output { min-width: 2.2em; font-weight: bold; }
.course-widget-text { font-family: monospace; font-size: 18px; line-height: 1.3; white-space: pre-wrap;
    overflow-wrap: break-word; margin: 0 0 6px 0; padding: 0; background: none; box-shadow: none; }
.course-widget-stage { text-align: center; }
.course-widget-stage img { max-width: 100%; height: auto; }
"""
"""The fragments' look: 18 px text and controls (the decks' code size), the picture centred."""

PLAYER_JS = r"""
(function () {
  "use strict";
  function wire(root) {
    var data = JSON.parse(root.querySelector("script.course-widget-frames").textContent);
    var inputs = Array.prototype.slice.call(root.querySelectorAll("input[type=range]"));
    var picture = root.querySelector("img.course-widget-picture");
    var text = root.querySelector(".course-widget-text");
    var stored = inputs.map(function (input) { return input.value; });
    function show(moved) {
      if (data.mode === "one") {
        inputs.forEach(function (input, i) { if (input !== moved) { input.value = stored[i]; } });
      }
      inputs.forEach(function (input) { input.nextElementSibling.textContent = input.value; });
      var key = data.slots.map(function (slot) {
        return slot.input === null ? slot.value : inputs[slot.input].value;
      }).join(",");
      var frame = data.frames[key];
      if (!frame) { return; }
      picture.src = "data:image/png;base64," + frame.png;
      picture.width = frame.width;
      picture.alt = frame.alt;
      if (frame.text_px) {
        picture.setAttribute("data-text-px", frame.text_px);
        picture.setAttribute("data-css-width", frame.css_width);
      }
      if (text) { text.textContent = frame.text; }
      root.setAttribute("data-shown", key);
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", function () { show(input); });
      // keys on a focused slider move the slider, never the page (reveal.js or anything else listening)
      input.addEventListener("keydown", function (event) { event.stopPropagation(); });
    });
  }
  function wireAll() {
    var roots = document.querySelectorAll(".course-widget:not([data-wired])");
    Array.prototype.forEach.call(roots, function (root) { root.setAttribute("data-wired", "1"); wire(root); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wireAll); }
  else { wireAll(); }
})();
"""
"""The player: wires every ``.course-widget`` fragment of the page (include it once, after the fragments or
anywhere: it waits for the page)."""

def _within(drawn: Frames, fits) -> Frames:
    """``drawn`` keeping only the settings whose picture ``fits``: in mode ``"one"`` each slider's range
    shrinks to the values around the stored one that fit (a slider of one value is dropped); in mode
    ``"all"`` nothing is dropped (a test of the page finds a picture that does not fit)."""
    if drawn.mode != "one":
        return drawn
    stored = [c.value for c in drawn.controls]
    controls = []
    for i, control in enumerate(drawn.controls):
        def key(v):
            return ",".join(map(str, stored[:i] + [v] + stored[i + 1:]))
        at = control.values.index(control.value)
        low = at
        while low > 0 and fits(drawn.pictures[key(control.values[low - 1])]):
            low -= 1
        high = at
        while high < len(control.values) - 1 and fits(drawn.pictures[key(control.values[high + 1])]):
            high += 1
        controls.append(Control(control.label, control.values[low:high + 1], control.value))
    kept = {",".join(map(str, stored))} | {
        ",".join(map(str, stored[:i] + [v] + stored[i + 1:])) for i, c in enumerate(controls) for v in c.values}
    return dataclasses.replace(drawn, controls=controls,
                               pictures={k: p for k, p in drawn.pictures.items() if k in kept})


HINT_ONE = "One slider at a time: moving one puts the others back to the lesson's values."


def html(drawn: Frames, min_text_px: float = 14.0, max_width: int = 1232, max_height: int = 640,
         chars_per_line: int = 110, max_scale: float = 1.5) -> str:
    """The HTML fragment that shows ``drawn`` (from :func:`frames`) with working sliders (needs
    :data:`PLAYER_JS` and :data:`PLAYER_CSS` on the page).

    Every picture is shown ``scale`` times its CSS size: as large as fits ``max_width`` and
    ``max_height`` (the
    whole fragment: controls, text and picture, in CSS pixels) up to ``max_scale`` (the PNG has twice
    the pixels, so 1.5 stays sharp), and never so small that the stored picture's smallest text is under
    ``min_text_px``. The picture's box is as tall as the tallest frame and the text's as tall as the
    longest text (wrapped at ``chars_per_line``), so moving a slider never moves what is below.

    >>> from course_lib import widgets
    >>> page = html(frames(widgets.kernel_stepper(torch.arange(5.0), torch.ones(2))))
    >>> page.count('type="range"'), 'data-mode="all"' in page
    (1, True)
    """
    shown = drawn.pictures[drawn.key]
    lines = max(sum(max(1, math.ceil(len(line) / chars_per_line)) for line in p.text.splitlines() or [""])
                for p in drawn.pictures.values())
    others = (math.ceil(len(drawn.controls) / 3) * 36 + len(drawn.fixed) * 28 + (28 if drawn.mode == "one" else 0)
              + (lines * 23.4 + 8 if any(p.text for p in drawn.pictures.values()) else 0))
    room = (max_width, max_height - others)
    scale = min(max_scale, room[0] / shown.width, room[1] / shown.height)
    if shown.text_px:
        scale = max(scale, min_text_px / shown.text_px)
    drawn = _within(drawn, lambda p: p.width * scale <= room[0] + 0.5 and p.height * scale <= room[1] + 0.5)
    tallest = max(p.height for p in drawn.pictures.values())
    movable = [c for c in drawn.controls if len(c.values) > 1]
    data = {
        "mode": drawn.mode,
        # the key of a picture names every slider's value; a slider with one value left is text, not a control
        "slots": [{"input": movable.index(c) if c in movable else None, "value": c.value} for c in drawn.controls],
        "frames": {
            key: {"png": base64.b64encode(p.png).decode("ascii"), "width": round(p.width * scale), "text": p.text,
                  "alt": p.alt, "css_width": p.width, "text_px": p.text_px}
            for key, p in drawn.pictures.items()
        },
    }
    parts = [f'<div class="course-widget" data-widget="{drawn.widget}" data-mode="{drawn.mode}" '
             f'data-shown="{drawn.key}">']
    fixed = drawn.fixed + [f"{c.label} = {c.value}" for c in drawn.controls if c not in movable]
    parts += [f'<p class="course-widget-fixed">{html_text.escape(line)}</p>' for line in fixed]
    parts.append('<div class="course-widget-controls">')
    for control in movable:
        label = html_text.escape(control.label)
        parts.append(
            f'<label class="course-widget-control"><span>{label}</span>'
            f'<input type="range" min="{control.values[0]}" max="{control.values[-1]}" step="1" '
            f'value="{control.value}" aria-label="{label}"><output>{control.value}</output></label>'
        )
    parts.append("</div>")
    if drawn.mode == "one" and len(movable) > 1:
        parts.append(f'<p class="course-widget-hint">{HINT_ONE}</p>')
    if any(p.text for p in drawn.pictures.values()):
        parts.append(f'<pre class="course-widget-text" style="min-height: {lines * 1.3:.1f}em">'
                     f"{html_text.escape(shown.text)}</pre>")
    text_px = "" if shown.text_px is None else f' data-text-px="{shown.text_px}" data-css-width="{shown.width}"'
    parts.append(
        f'<div class="course-widget-stage" style="min-height: {math.ceil(tallest * scale)}px">'
        f'<img class="course-widget-picture" src="data:image/png;base64,{base64.b64encode(shown.png).decode("ascii")}"'
        f' width="{round(shown.width * scale)}" alt="{html_text.escape(shown.alt)}"{text_px}></div>'
    )
    # "</" cannot end the script early: JSON escapes "/" as "\/" where it follows "<".
    parts.append('<script type="application/json" class="course-widget-frames">'
                 + json.dumps(data).replace("</", "<\\/") + "</script>")
    parts.append("</div>")
    return "\n".join(parts)
