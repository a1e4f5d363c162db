"""What the four widgets share: the display machinery (:class:`Widget`: controls above, picture below,
a still picture and a spec for viewers without a kernel), slider helpers, the height budget, and the
small helpers their pictures use (:func:`widget_figure`, :func:`fits`, :func:`output_mask`).

>>> vec((2, 2), 2), term(-0.5), join_names(["N", "C", "D"])
('(2, 2)', '(-0.5)', 'N, C and D')
"""
from __future__ import annotations

import base64
import contextlib
import html
import math

import ipywidgets
import matplotlib.figure
import numpy as np
import torch

from course_lib import draw, utils

HEIGHT_BUDGET = 700
"""Most CSS pixels a widget may take (controls, text and picture): a laptop's notebook view shows about 780."""

ROW_HEIGHT = 32
"""CSS pixels of one row of controls (a 28-pixel ipywidgets control and its margins)."""

LINE_HEIGHT = 18
"""CSS pixels of one line of the widgets' monospace text."""

MARGIN = 8
"""CSS pixels around a widget's controls and picture (the margins of its box and of the picture)."""

CHARS_PER_LINE = 90
"""Characters of monospace text per line in a narrow (about 760-pixel) notebook column, for the height estimate."""

SLIDER_TRACK = 230
"""CSS pixels of a slider beyond its description: the track and the number after it."""

SPEC_MIME = "application/vnd.course-widget+json"
"""The mime type under which a widget's display data holds its :meth:`~Widget.spec` (what it is, how it was made
and its controls' values): ``course_lib.offline`` remakes the widget from it without the notebook's kernel, to
draw its pictures for slide decks and web pages. JupyterLab has no renderer for it and ignores it."""

TEXT_STYLE = "font-family: monospace; font-size: 13px; line-height: 18px; white-space: pre-wrap"
NOTE_STYLE = "font-style: italic; color: #555; margin: 4px 0 0 0"


class Widget:
    """Display machinery shared by the widgets: controls above, picture below (one subclass per widget)."""

    figure: matplotlib.figure.Figure | None = None
    png: bytes = b""
    css_size: tuple[int, int] = (0, 0)
    """``(width, height)`` in CSS pixels at which the PNG is shown (its pixel size / ``draw.PIXEL_RATIO``)."""
    _text = ""  # the text shown between the controls and the picture
    _held = False

    def render(self) -> None:
        raise NotImplementedError

    def _changed(self, change=None) -> None:
        if not self._held:
            self.render()

    @contextlib.contextmanager
    def hold(self):
        """Change several controls, then render once::

            with widget.hold():
                widget.sliders["size"].value = 5
                widget.sliders["stride"].value = 2
        """
        self._held = True
        try:
            yield self
        finally:
            self._held = False
            self.render()

    def _build(self, rows, text: bool = True) -> None:
        """The widget: ``rows`` of controls, then the text (if any), then the picture."""
        # A set width (the PNG's CSS width, in _show) stops the VBox from stretching the picture to the
        # output area's width; max-width lets it shrink, keeping its aspect ratio, in a narrower one.
        self.image_widget = ipywidgets.Image(format="png", layout=ipywidgets.Layout(max_width="100%", height="auto"))
        self.html = ipywidgets.HTML()
        children = list(rows) + ([self.html] if text else []) + [self.image_widget]
        self.widget = ipywidgets.VBox(children)

    def _show(self, figure, text: str = "") -> None:
        self.figure = figure
        self.png, width, height = draw.screen_png(figure)
        self.css_size = (width, height)
        self.image_widget.value = self.png
        self.image_widget.layout.width = f"{width}px"
        self._text = text
        self.html.value = f'<div style="{TEXT_STYLE}">{html.escape(text)}</div>'

    def summary(self) -> str:
        """One line saying what the widget shows now (its plain-text form)."""
        raise NotImplementedError

    def spec(self) -> dict:
        """What the widget is, how to make it again and its controls' values, as JSON-able data:
        ``{"widget": function name, "args": {its arguments}, "state": {control: value}}``, tensors as
        :func:`course_lib.utils.tensor_to_json` stores them. ``course_lib.offline.from_spec`` makes it
        again.

        >>> from course_lib import widgets
        >>> widgets.output_size_explorer(size=8, stride=2).spec()["state"]
        {'size': 8, 'kernel_size': 3, 'stride': 2, 'padding': 0, 'dilation': 1}
        """
        raise NotImplementedError

    def controls_note(self) -> str:
        """The line shown under the picture when the controls are not live (no running kernel).

        >>> from course_lib import widgets
        >>> print(widgets.dimension_slicer(torch.zeros(2, 3, 4, 5)).controls_note())
        Run the cell to get the controls: a slider for each of N and C, dropdowns that choose the axes shown as rows and columns, and a colour-scale checkbox. Until then this is a still picture.
        """
        raise NotImplementedError

    def control_rows(self) -> int:
        """Rows of controls shown above the text and the picture (sliders sit two to a row).

        >>> from course_lib import widgets
        >>> widgets.kernel_stepper(torch.zeros(4, 5, 5), torch.ones(2, 2, 2)).control_rows()  # 3 sliders
        2
        """
        raise NotImplementedError

    def estimated_height(self) -> int:
        """CSS pixels the live widget takes: control rows, lines of text and the picture at its CSS size.

        An estimate for a notebook column about 760 pixels wide (wider columns wrap the text less);
        it is kept within :data:`HEIGHT_BUDGET`. In JupyterLab 4 (Chromium, 1400x900 window) the
        lessons' widgets measured within 8 pixels of it.

        >>> from course_lib import widgets
        >>> e = widgets.output_size_explorer()
        >>> e.control_rows(), len(e.text.splitlines())  # 5 sliders two to a row, the formula's lines
        (3, 4)
        >>> e.estimated_height() == 3 * ROW_HEIGHT + 4 * LINE_HEIGHT + e.css_size[1] + MARGIN <= HEIGHT_BUDGET
        True
        """
        lines = sum(max(1, math.ceil(len(line) / CHARS_PER_LINE)) for line in self._text.splitlines())
        return self.control_rows() * ROW_HEIGHT + lines * LINE_HEIGHT + self.css_size[1] + MARGIN

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.summary()}>"

    def fallback_html(self) -> str:
        """What a viewer without the live controls shows: the text, the picture at its CSS width, and
        :meth:`controls_note` under it (an HTML string).

        >>> from course_lib import widgets
        >>> e = widgets.output_size_explorer()
        >>> page = e.fallback_html()
        >>> f'width="{e.css_size[0]}"' in page, "Run the cell to get the controls" in page
        (True, True)
        """
        picture = base64.b64encode(self.png).decode("ascii")
        text = f'<div style="{TEXT_STYLE}">{html.escape(self._text, quote=False)}</div>\n' if self._text else ""
        return (
            f"<div>\n{text}"
            f'<img src="data:image/png;base64,{picture}" width="{self.css_size[0]}" '
            f'style="max-width: 100%; height: auto" alt="{html.escape(self.summary())}">\n'
            f'<p style="{NOTE_STYLE}">{html.escape(self.controls_note(), quote=False)}</p>\n</div>'
        )

    def _repr_mimebundle_(self, **kwargs):
        """The widget view, and for viewers that cannot show it (no kernel holds the widget) the picture:
        ``text/html`` (text, picture and a note on how to get the controls) and ``image/png``, both at
        the picture's CSS width. Returns ``(data, metadata)`` as IPython accepts it.

        >>> from course_lib import widgets
        >>> e = widgets.output_size_explorer()
        >>> data, metadata = e._repr_mimebundle_()
        >>> sorted(data)
        ['application/vnd.course-widget+json', 'application/vnd.jupyter.widget-view+json', 'image/png', 'text/html', 'text/plain']
        >>> metadata["image/png"]["width"] == e.css_size[0] == draw.png_size(e.png)[0] // 2
        True
        """
        data = self.widget._repr_mimebundle_(**kwargs)
        data[SPEC_MIME] = self.spec()
        data["text/html"] = self.fallback_html()
        data["image/png"] = base64.b64encode(self.png).decode("ascii")
        data["text/plain"] = repr(self)
        return data, {"image/png": {"width": self.css_size[0]}}


def slider(description: str, value: int, low: int, high: int) -> ipywidgets.IntSlider:
    """An integer slider that renders when released (not while it is dragged)."""
    return ipywidgets.IntSlider(value=value, min=low, max=high, description=description, continuous_update=False)


def slider_grid(sliders, columns: int = 2) -> ipywidgets.GridBox:
    """The sliders ``columns`` to a row, all with one description width so that their tracks line up
    (hidden sliders leave no gap)."""
    label = max(len(s.description) for s in sliders) * 7 + 12  # CSS px: about 7 per character at 13 px
    for s in sliders:
        s.style.description_width = f"{label}px"
        s.layout.width = f"{label + SLIDER_TRACK}px"
    layout = ipywidgets.Layout(grid_template_columns=f"repeat({columns}, max-content)", grid_gap="0px 16px")
    return ipywidgets.GridBox(list(sliders), layout=layout)


def visible(controls) -> int:
    """How many of ``controls`` are shown (not ``display: none``)."""
    return sum(c.layout.display != "none" for c in controls)


def check_real(name: str, tensor: torch.Tensor) -> None:
    """Refuse a complex tensor: a picture shows real numbers."""
    if tensor.is_complex():
        raise TypeError(f"{name} must be real, got dtype {tensor.dtype}; show tensor.real or tensor.abs() instead.")


def join_names(names) -> str:
    """``'N, C and D'``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def term(value: float) -> str:
    """A number as a term of a written-out sum: negative ones in brackets."""
    text = utils.format_number(value, 3)
    return f"({text})" if text.startswith("-") else text


def vec(values, n: int) -> str:
    """One value per axis as text: ``2`` for one axis, ``(2, 1)`` for more."""
    values = tuple(values)
    return str(values[0]) if n == 1 else "(" + ", ".join(map(str, values)) + ")"


def widget_figure(width: float, height: float) -> matplotlib.figure.Figure:
    """A widget's figure: :func:`course_lib.draw.new_figure`, at most ``draw.MAX_WIDTH`` wide."""
    return draw.new_figure(min(width, draw.MAX_WIDTH), height)


def fits(values, cell: float) -> bool:
    """Whether the numbers of ``values``, written as draw_grid writes them, fit in cells ``cell``
    inches wide."""
    widest = max((len(utils.format_number(v, 2)) for v in np.ravel(values) if np.isfinite(v)), default=1)
    return widest * 0.6 * draw.FONTSIZE / 72 <= 0.9 * cell


def output_mask(shape, position):
    """A boolean mask of ``shape``, True at ``position`` only (the output cell being made)."""
    mask = np.zeros(shape, dtype=bool)
    mask[position] = True
    return mask
