"""Interactive widgets for the lessons (ipywidgets 8 + matplotlib).

Four widgets, each made by one call and shown by leaving it as the last
expression of a notebook cell:

- :func:`dimension_slicer`  pick two axes of a rank 2-6 tensor to see as an
  image, and a slider for every other axis (N, C, D, H, W, ...).
- :func:`kernel_stepper`  move a kernel over a 1-D, 2-D or 3-D input and see
  the cells it reads, the output cell it writes and the dot product.
- :func:`output_size_explorer`  sliders for input size, kernel, stride,
  padding and dilation; the output-size formula with the numbers put in, and
  where every kernel placement lands.
- :func:`scatter_stepper`  (lesson 07) step through a transposed convolution:
  each input element stamps the kernel, scaled by its value, into the output.

One job per module: this one holds the controls, the state and the arithmetic
(which slice, which cells a kernel reads, the dot product, the formula), in
small pure methods that tests check without a browser; the pictures are drawn
by ``course_lib.plots`` (:func:`~course_lib.plots.draw_slice`,
:func:`~course_lib.plots.draw_kernel_stepper`,
:func:`~course_lib.plots.draw_output_size`) from plain data. Each widget keeps
its controls as attributes (``.sliders``, ``.row_axis``, ``.position``, ...);
changing one re-renders: the figure (a bare ``matplotlib.figure.Figure``, so
nothing piles up in pyplot's list of open figures) becomes a PNG shown by an
``ipywidgets.Image``. The latest state is in ``.figure``, ``.png``,
``.css_size``, ``.title`` / ``.text``.

Size: the PNG is rendered at twice the pixel density (``plots.PIXEL_RATIO``)
and shown at half its pixel width (its CSS width, never stretched to the
output area), so it is sharp on high-DPI screens; sliders sit two to a row
with their tracks aligned, and the figures are sized so that a whole widget
(:meth:`estimated_height`) stays within ``HEIGHT_BUDGET`` CSS pixels, the
height of a laptop's notebook view.

Without a running kernel the controls cannot work, so a widget's display data
also holds its current picture: ``text/html`` (the text, the picture at its CSS
width and a line saying how to get the controls) and ``image/png`` (with its
width in the metadata). Which one a viewer shows (checked in JupyterLab 4.6
with jupyterlab_widgets 3.0): a cell run in this session shows the live
controls, no note; the stored outputs of a notebook JupyterLab does not trust
(a fresh clone) show the ``text/html`` picture and note, since the widget view
is not a safe type; a trusted notebook whose widgets are gone (kernel
restarted) shows "Error displaying widget: model not found" until the cell
runs again. ``nbconvert --to html`` (and slides) shows the ``text/html``
picture and note when the notebook stores no widget state
(``metadata.widgets``); with stored state it loads the widget JavaScript from
a CDN instead.
"""
from __future__ import annotations

import base64
import contextlib
import html
import itertools
import math

import ipywidgets
import matplotlib.figure
import numpy as np
import torch

from course_lib import args, plots, shapes, utils, vectorised
from course_lib import padding_modes

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
"""The mime type under which a widget's display data holds its :meth:`~_Widget.spec` (what it is, how it was made
and its controls' values): ``course_lib.offline`` remakes the widget from it without the notebook's kernel, to
draw its pictures for slide decks and web pages. JupyterLab has no renderer for it and ignores it."""

TEXT_STYLE = "font-family: monospace; font-size: 13px; line-height: 18px; white-space: pre-wrap"
NOTE_STYLE = "font-style: italic; color: #555; margin: 4px 0 0 0"


class _Widget:
    """Display machinery shared by the three widgets: controls above, picture below."""

    figure: matplotlib.figure.Figure | None = None
    png: bytes = b""
    css_size: tuple[int, int] = (0, 0)
    """``(width, height)`` in CSS pixels at which the PNG is shown (its pixel size / ``plots.PIXEL_RATIO``)."""
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
        self.png, width, height = plots.screen_png(figure)
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

        >>> output_size_explorer(size=8, stride=2).spec()["state"]
        {'size': 8, 'kernel_size': 3, 'stride': 2, 'padding': 0, 'dilation': 1}
        """
        raise NotImplementedError

    def controls_note(self) -> str:
        """The line shown under the picture when the controls are not live (no running kernel).

        >>> print(dimension_slicer(torch.zeros(2, 3, 4, 5)).controls_note())
        Run the cell to get the controls: a slider for each of N and C, dropdowns that choose the axes shown as rows and columns, and a colour-scale checkbox. Until then this is a still picture.
        """
        raise NotImplementedError

    def control_rows(self) -> int:
        """Rows of controls shown above the text and the picture (sliders sit two to a row).

        >>> kernel_stepper(torch.zeros(4, 5, 5), torch.ones(2, 2, 2)).control_rows()  # 3 sliders
        2
        """
        raise NotImplementedError

    def estimated_height(self) -> int:
        """CSS pixels the live widget takes: control rows, lines of text and the picture at its CSS size.

        An estimate for a notebook column about 760 pixels wide (wider columns wrap the text less);
        it is kept within :data:`HEIGHT_BUDGET`. In JupyterLab 4 (Chromium, 1400x900 window) the
        lessons' widgets measured within 8 pixels of it.

        >>> e = output_size_explorer()
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

        >>> e = output_size_explorer()
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

        >>> e = output_size_explorer()
        >>> data, metadata = e._repr_mimebundle_()
        >>> sorted(data)
        ['application/vnd.course-widget+json', 'application/vnd.jupyter.widget-view+json', 'image/png', 'text/html', 'text/plain']
        >>> metadata["image/png"]["width"] == e.css_size[0] == plots.png_size(e.png)[0] // 2
        True
        """
        data = self.widget._repr_mimebundle_(**kwargs)
        data[SPEC_MIME] = self.spec()
        data["text/html"] = self.fallback_html()
        data["image/png"] = base64.b64encode(self.png).decode("ascii")
        data["text/plain"] = repr(self)
        return data, {"image/png": {"width": self.css_size[0]}}


def _slider(description: str, value: int, low: int, high: int) -> ipywidgets.IntSlider:
    return ipywidgets.IntSlider(value=value, min=low, max=high, description=description, continuous_update=False)


def _slider_grid(sliders, columns: int = 2) -> ipywidgets.GridBox:
    """The sliders ``columns`` to a row, all with one description width so that their tracks line up
    (hidden sliders leave no gap)."""
    label = max(len(s.description) for s in sliders) * 7 + 12  # CSS px: about 7 per character at 13 px
    for s in sliders:
        s.style.description_width = f"{label}px"
        s.layout.width = f"{label + SLIDER_TRACK}px"
    layout = ipywidgets.Layout(grid_template_columns=f"repeat({columns}, max-content)", grid_gap="0px 16px")
    return ipywidgets.GridBox(list(sliders), layout=layout)


def _visible(controls) -> int:
    return sum(c.layout.display != "none" for c in controls)


def _check_real(name: str, tensor: torch.Tensor) -> None:
    if tensor.is_complex():
        raise TypeError(f"{name} must be real, got dtype {tensor.dtype}; show tensor.real or tensor.abs() instead.")


def _names(names) -> str:
    """``'N, C and D'``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ============================================================================
# Dimension slicer
# ============================================================================

DEFAULT_NAMES = {
    2: ("H", "W"),
    3: ("C", "H", "W"),
    4: ("N", "C", "H", "W"),
    5: ("N", "C", "D", "H", "W"),
    6: ("N", "C", "S1", "S2", "S3", "S4"),
}
"""Axis names by rank when none are given: the course's layouts (an image, an
unbatched image, a batch of images, a batch of videos or volumes, a batch for a
4-D convolution, whose spatial axes ``utils.spatial_names`` calls S1..S4)."""


def _axis_names(names, rank: int) -> tuple[str, ...]:
    """Normalise ``names``: ``None``, a string (``"NCDHW"``, or ``"N C S1 S2"`` split
    at spaces/commas) or a sequence of strings, one per axis, all different."""
    if names is None:
        return DEFAULT_NAMES[rank]
    if isinstance(names, str):
        parts = names.replace(",", " ").split()
        names = tuple(parts) if len(parts) > 1 else tuple(names.strip())
    elif isinstance(names, (tuple, list)):
        if not all(isinstance(n, str) and n.strip() for n in names):
            raise TypeError(f"names must be non-empty strings, got {tuple(names)!r}.")
        names = tuple(n.strip() for n in names)
    else:
        raise TypeError(
            f"names must be a string such as 'NCDHW' or a tuple of strings, got {names!r} ({type(names).__name__})."
        )
    if len(names) != rank:
        raise ValueError(
            f"names needs one name per axis: the tensor has {rank} axes, got {len(names)} names {names}. "
            f"E.g. names={''.join(DEFAULT_NAMES[rank])!r}."
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"names must all be different, got {names} (repeated: {', '.join(repeated)}).")
    return names


class DimensionSlicer(_Widget):
    """See a tensor of rank 2-6 one 2-D slice at a time. Made by :func:`dimension_slicer`.

    Controls:
        ``row_axis``, ``col_axis``: dropdowns choosing the axes shown as image rows
        and columns (always different: choosing the other one's axis swaps them).
        ``sliders``: one ``IntSlider`` per axis, in axis order; the two of the shown
        axes are hidden and not used.
        ``same_scale``: checkbox; one colour scale for every slice (the whole
        tensor's range) or each slice's own range.

    State after each render: ``image`` (the 2-D numpy array shown), ``title``,
    ``figure``, ``png``.
    """

    def __init__(self, tensor: torch.Tensor, names=None, title: str | None = None, rows=None, cols=None, index=None):
        utils.check_tensor("tensor", tensor)
        _check_real("tensor", tensor)
        rank = tensor.dim()
        if not 2 <= rank <= 6:
            hint = "add an axis, e.g. tensor[None]" if rank < 2 else "index or flatten some axes first"
            raise ValueError(
                f"tensor must have 2 to 6 axes, got {rank}-D with shape {tuple(tensor.shape)}; {hint}."
            )
        if 0 in tensor.shape:
            raise ValueError(f"tensor has an empty axis (shape {tuple(tensor.shape)}); there is nothing to show.")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a string or None, got {title!r} ({type(title).__name__}).")
        self.names = _axis_names(names, rank)
        self.label = title
        self.shape = tuple(tensor.shape)
        self.data = plots.as_array(tensor)
        options = [(f"{name} (dim {i})", i) for i, name in enumerate(self.names)]
        row = rank - 2 if rows is None else self._axis("rows", rows)
        col = rank - 1 if cols is None else self._axis("cols", cols)
        if row == col:
            raise ValueError(f"rows and cols must be different axes, got {self.names[row]!r} for both.")
        start = self._start(index)
        dropdown = dict(options=options, style={"description_width": "60px"}, layout=ipywidgets.Layout(width="210px"))
        self.row_axis = ipywidgets.Dropdown(value=row, description="rows", **dropdown)
        self.col_axis = ipywidgets.Dropdown(value=col, description="columns", **dropdown)
        self.sliders = tuple(
            _slider(f"{name} (dim {i})", start[i], 0, size - 1) for i, (name, size) in enumerate(zip(self.names, self.shape))
        )
        low, high = float(np.nanmin(self.data)), float(np.nanmax(self.data))
        self.signed = low < 0 < high
        """Signed data (negative and positive values) is drawn with a diverging map centred on 0."""
        self.same_scale = ipywidgets.Checkbox(value=True, description="one colour scale for all slices", indent=False,
                                              layout=ipywidgets.Layout(width="auto", margin="2px 2px 2px 16px"))
        self._swapping = False
        self.row_axis.observe(self._axis_changed, names="value")
        self.col_axis.observe(self._axis_changed, names="value")
        for control in (*self.sliders, self.same_scale):
            control.observe(self._changed, names="value")
        layout = ", ".join(self.names)
        shape_line = ipywidgets.HTML(
            f"<b>{html.escape(title) + ': ' if title else ''}</b>shape {self.shape} = ({html.escape(layout)})"
        )
        self._build([shape_line, ipywidgets.HBox([self.row_axis, self.col_axis, self.same_scale]),
                     _slider_grid(self.sliders)], text=False)
        self.render()

    def _axis(self, name: str, axis) -> int:
        """An axis given by its name (``"T"``) or number (``2``)."""
        if isinstance(axis, str):
            if axis not in self.names:
                raise ValueError(f"{name}={axis!r} is not an axis name; the axes are {self.names}.")
            return self.names.index(axis)
        axis = utils.check_int(name, axis)
        if not -len(self.names) <= axis < len(self.names):
            raise ValueError(f"{name}={axis} is out of range for a {len(self.names)}-D tensor; use 0..{len(self.names) - 1}.")
        return axis % len(self.names)

    def _start(self, index) -> list[int]:
        """The sliders' first values from ``index``, a dict ``{axis name or number: position}``."""
        start = [0] * len(self.names)
        if index is None:
            return start
        if not isinstance(index, dict):
            raise TypeError(f"index must be a dict {{axis: position}}, e.g. {{'{self.names[0]}': 1}}, got {index!r}.")
        for key, value in index.items():
            axis = self._axis("index", key)
            value = utils.check_int(f"index[{key!r}]", value)
            if not 0 <= value < self.shape[axis]:
                raise ValueError(f"index[{key!r}]={value} is outside axis {self.names[axis]} of size {self.shape[axis]}; use 0..{self.shape[axis] - 1}.")
            start[axis] = value
        return start

    # -- what is shown ---------------------------------------------------------

    def _axis_changed(self, change) -> None:
        """Keep the two dropdowns different: picking the other's axis swaps them."""
        if self._swapping:
            return
        other = self.col_axis if change["owner"] is self.row_axis else self.row_axis
        if other.value == change["new"]:
            self._swapping = True
            other.value = change["old"]
            self._swapping = False
        self._changed()

    @property
    def shown_axes(self) -> tuple[int, int]:
        """``(row axis, column axis)`` of the image.

        >>> dimension_slicer(torch.zeros(2, 3, 4, 5), rows="C").shown_axes
        (1, 3)
        """
        return self.row_axis.value, self.col_axis.value

    @property
    def index(self) -> tuple:
        """The index into the tensor: slider values, with ``slice(None)`` at the shown axes.

        >>> dimension_slicer(torch.zeros(2, 3, 4, 5), index={"N": 1}).index
        (1, 0, slice(None, None, None), slice(None, None, None))
        """
        shown = self.shown_axes
        return tuple(slice(None) if axis in shown else s.value for axis, s in enumerate(self.sliders))

    def slice_text(self) -> str:
        """The slice as Python.

        >>> dimension_slicer(torch.zeros(2, 3, 4, 5, 6), rows="D", cols="H", index={"C": 1, "W": 3}).slice_text()
        'x[0, 1, :, :, 3]'
        """
        return "x[" + ", ".join(":" if isinstance(i, slice) else str(i) for i in self.index) + "]"

    def slice_title(self) -> str:
        """The slice and the positions of the other axes, after the title if one was given.

        >>> print(dimension_slicer(torch.zeros(2, 3, 4, 5, 6), title="video", rows="D", cols="H", index={"C": 1, "W": 3}).slice_title())
        video
        x[0, 1, :, :, 3]  (N=0, C=1, W=3)
        """
        fixed = [f"{self.names[a]}={i}" for a, i in enumerate(self.index) if not isinstance(i, slice)]
        text = self.slice_text() + (f"  ({', '.join(fixed)})" if fixed else "")
        return f"{self.label}\n{text}" if self.label else text

    def current_image(self) -> np.ndarray:
        """The 2-D slice shown, a numpy array: rows along ``row_axis``, columns along ``col_axis``.

        >>> x = torch.arange(24.0).reshape(2, 3, 4)
        >>> dimension_slicer(x, rows="W", cols="C").current_image().shape  # x[:, 0, :].T, (W, C)
        (4, 2)
        """
        image = self.data[self.index]
        row, col = self.shown_axes
        return image.T if row > col else image

    def colour_range(self) -> tuple[float, float]:
        """``(vmin, vmax)``: the whole tensor's range, or this slice's if ``same_scale`` is off.

        >>> s = dimension_slicer(torch.arange(24.0).reshape(2, 3, 4))
        >>> s.colour_range()
        (0.0, 23.0)
        >>> s.same_scale.value = False
        >>> s.colour_range()  # x[0] holds 0..11
        (0.0, 11.0)
        """
        values = self.data if self.same_scale.value else self.current_image()
        return float(np.nanmin(values)), float(np.nanmax(values))

    def summary(self) -> str:
        return self.slice_title().replace("\n", ": ")

    def spec(self) -> dict:
        row, col = self.shown_axes
        index = {name: s.value for axis, (name, s) in enumerate(zip(self.names, self.sliders)) if axis not in (row, col)}
        return {
            "widget": "dimension_slicer",
            "args": {"tensor": utils.tensor_to_json(torch.from_numpy(self.data)), "names": list(self.names),
                     "title": self.label, "rows": row, "cols": col, "index": index},
            "state": {"same_scale": self.same_scale.value},
        }

    def controls_note(self) -> str:
        row, col = self.shown_axes
        others = [name for axis, name in enumerate(self.names) if axis not in (row, col)]
        sliders = f"a slider for {'each of ' if len(others) > 1 else ''}{_names(others)}, " if others else ""
        return (
            f"Run the cell to get the controls: {sliders}dropdowns that choose the axes shown as rows and columns, "
            f"and a colour-scale checkbox. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return 2 + math.ceil(_visible(self.sliders) / 2)  # the shape line, the dropdowns, the sliders

    # -- drawing ---------------------------------------------------------------

    def render(self) -> None:
        """Show the current slice (called whenever a control changes)."""
        row, col = self.shown_axes
        for axis, slider in enumerate(self.sliders):
            slider.layout.display = "none" if axis in (row, col) else None
        self.image = self.current_image()
        self.title = self.slice_title()
        vmin, vmax = self.colour_range()
        figure = plots.draw_slice(self.image, title=self.title, xlabel=f"{self.names[col]} (dim {col})",
                                  ylabel=f"{self.names[row]} (dim {row})", vmin=vmin, vmax=vmax, signed=self.signed)
        self._show(figure)


def dimension_slicer(tensor: torch.Tensor, names=None, title: str | None = None, rows=None, cols=None, index=None) -> DimensionSlicer:
    """An interactive view of a tensor of rank 2 to 6, one 2-D slice at a time.

    Two dropdowns choose which axes are the image's rows and columns; every
    other axis gets a slider. The title says which slice is shown, e.g.
    ``x[0, 1, :, :, 3]  (N=0, C=1, W=3)``.

    Args:
        tensor: any real tensor of rank 2..6, e.g. a video batch ``(N, C, D, H, W)``
            or feature maps ``(C, H, W)``.
        names: one name per axis: a string of one letter per axis (``"NCDHW"``),
            a string of space-separated names (``"N C S1 S2 S3 S4"``) or a tuple of
            strings. Default by rank: 2 ``HW``, 3 ``CHW``, 4 ``NCHW``, 5 ``NCDHW``,
            6 ``N C S1 S2 S3 S4`` (pass ``"CDHW"`` for an unbatched video).
        title: shown above the slice, e.g. ``"synthetic video"``.
        rows, cols: the axes shown first as the image's rows and columns, by name
            (``"D"``) or number; default: the last two axes.
        index: the sliders' first positions, ``{axis name or number: position}``;
            default 0 on every axis. Pick a slice that shows what the text says.

    Signed data (with values below and above 0) is drawn with a diverging colour
    map centred on 0; other data with viridis.

    Returns:
        A :class:`DimensionSlicer`; leave it as the last expression of a cell to show it.

    >>> dimension_slicer(torch.zeros(2, 3, 16, 32, 32)).slice_text()
    'x[0, 0, 0, :, :]'
    >>> dimension_slicer(torch.zeros(2, 3, 16, 32, 32), rows="D", cols="W", index={"C": 1, "H": 5}).slice_text()
    'x[0, 1, :, 5, :]'
    """
    return DimensionSlicer(tensor, names=names, title=title, rows=rows, cols=cols, index=index)


# ============================================================================
# Kernel stepper
# ============================================================================


class KernelStepper(_Widget):
    """Step a single-channel kernel over a 1-D, 2-D or 3-D input. Made by :func:`kernel_stepper`.

    Controls: ``position``, one ``IntSlider`` per output axis (for 3-D the first
    is the depth slider).

    Pure methods (``position`` defaults to the sliders' values):
    ``window``, ``receptive_field``, ``terms``, ``value``, ``dot_product_text``.
    Fixed data: ``padded`` (the zero-padded input), ``is_padding``, ``weight``,
    ``output`` (the whole convolution), ``stride``, ``padding`` (``(before,
    after)`` per axis), ``dilation``, ``output_size``.

    State after each render: ``text`` (the dot product), ``detail`` (where the
    window is), ``figure``, ``png``. ``render=False`` skips drawing until
    :meth:`render` is called (for scripts that only need the arithmetic).
    """

    def __init__(self, input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1, render=True):
        utils.check_tensor("input", input)
        utils.check_tensor("weight", weight)
        n = input.dim()
        if not 1 <= n <= 3:
            hint = "pick one sample and one channel first, e.g. x[0, 0]" if n > 3 else "give it at least one axis"
            raise ValueError(
                f"input must be one channel without a batch axis: (L,), (H, W) or (D, H, W); got a {n}-D tensor "
                f"of shape {tuple(input.shape)}; {hint}."
            )
        if weight.dim() != n:
            kernel = ", ".join("k" + s for s in utils.spatial_names(n))
            hint = (
                "For a layer's weight (C_out, C_in, ...) pick one kernel, e.g. weight[0, 0]."
                if weight.dim() > n
                else "If input has a channel axis, e.g. a (C, H, W) image, pick one channel: input[0]."
            )
            raise ValueError(
                f"weight must have the same rank as input ({n}-D: ({kernel})), got a {weight.dim()}-D tensor "
                f"of shape {tuple(weight.shape)}. {hint}"
            )
        _check_real("input", input)
        _check_real("weight", weight)
        x = input.detach().cpu().to(torch.float64)
        w = weight.detach().cpu().to(torch.float64)
        a = args.conv_args("kernel_stepper", x[None, None], w[None, None], None, stride, padding, dilation, 1, "zeros")
        self.n = n
        self.names = utils.spatial_names(n)
        self._padding_arg = padding if isinstance(padding, (int, str)) else [int(p) for p in padding]
        self.input, self.weight = x, w
        self.stride, self.padding, self.dilation = a.stride, a.padding, a.dilation
        self.kernel_size, self.output_size = a.kernel_size, a.output_size
        self.padded = padding_modes.pad(x, self.padding)
        self.is_padding = padding_modes.pad(torch.ones_like(x, dtype=torch.bool), self.padding).numpy() == 0
        self.output = vectorised.convnd(self.padded[None, None], w[None, None], stride=self.stride, dilation=self.dilation)[0, 0]
        self.position = tuple(
            _slider(f"out {name}" + (" (depth)" if n == 3 and axis == 0 else ""), 0, 0, size - 1)
            for axis, (name, size) in enumerate(zip(self.names, self.output_size))
        )
        for slider in self.position:
            slider.observe(self._changed, names="value")
        self._build([_slider_grid(self.position)])
        self._held = not render
        if render:
            self.render()

    # -- the arithmetic --------------------------------------------------------

    def _position(self, position) -> tuple[int, ...]:
        if position is None:
            return tuple(s.value for s in self.position)
        position = utils.as_tuple("position", position, self.n, minimum=0)
        for axis, (p, size) in enumerate(zip(position, self.output_size)):
            if p >= size:
                raise ValueError(
                    f"position must lie inside the output {self.output_size}, got {position} "
                    f"(axis {axis} ({self.names[axis]}) has {size} positions: 0..{size - 1})."
                )
        return position

    def window(self, position=None) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """``(kernel index, padded-input index)`` for every kernel tap at ``position``.

        Tap ``k`` of output ``o`` reads padded index ``o*s + k*d`` on each axis.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.window(1)  # out[1] reads padded cells 1 and 2 (input cells 0 and 1)
        [((0,), (1,)), ((1,), (2,))]
        """
        position = self._position(position)
        return [
            (k, tuple(o * s + kk * d for o, s, kk, d in zip(position, self.stride, k, self.dilation)))
            for k in itertools.product(*(range(size) for size in self.kernel_size))
        ]

    def receptive_field(self, position=None) -> np.ndarray:
        """Boolean mask over ``padded`` (its shape): the cells the kernel reads at ``position``.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.receptive_field(0)  # padded = [0, 1, 2, 3, 0]
        array([ True,  True, False, False, False])
        """
        mask = np.zeros(tuple(self.padded.shape), dtype=bool)
        for _, cell in self.window(position):
            mask[cell] = True
        return mask

    def input_index(self, padded_index) -> tuple[int, ...] | None:
        """The original input index of a padded-input cell, or ``None`` for zero padding.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.input_index((1,)), s.input_index((0,))
        ((0,), None)
        """
        index = tuple(p - before for p, (before, _) in zip(padded_index, self.padding))
        inside = all(0 <= i < size for i, size in zip(index, self.input.shape))
        return index if inside else None

    def terms(self, position=None) -> list[tuple[float, float]]:
        """``(input value, weight value)`` for every tap, in kernel order.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.terms(0)
        [(0.0, 1.0), (1.0, -1.0)]
        """
        return [(self.padded[cell].item(), self.weight[k].item()) for k, cell in self.window(position)]

    def value(self, position=None) -> float:
        """The output at ``position``: the sum of the products of :meth:`terms`.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> [s.value(o) for o in range(s.output_size[0])]  # as F.conv1d(x[None, None], w[None, None], padding=1)
        [-1.0, -1.0, -1.0, 3.0]
        """
        return float(sum(x * w for x, w in self.terms(position)))

    def dot_product_text(self, position=None) -> str:
        """The dot product written out (terms to 3 significant digits).

        >>> s = KernelStepper(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.5, 0.25], [2.0, -1.5]]), render=False)
        >>> s.dot_product_text((0, 0))
        'out[0, 0] = 1*0.5 + 2*0.25 + 3*2 + 4*(-1.5) = 1'
        """
        position = self._position(position)
        products = " + ".join(f"{_term(x)}*{_term(w)}" for x, w in self.terms(position))
        return f"out[{', '.join(map(str, position))}] = {products} = {plots.format_number(self.value(position), 6)}"

    def detail_text(self, position=None) -> str:
        """Where the window lies, in words.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.detail_text(0)
        'out[0]: the 2 window starts at out*stride = 0 in the padded input (input index -1) and reads cells 1 apart (dilation); 1 of its 2 cells is zero padding.'
        >>> s.detail_text(1)
        'out[1]: the 2 window starts at out*stride = 1 in the padded input (input index 0) and reads cells 1 apart (dilation).'
        """
        position = self._position(position)
        window = self.window(position)
        start = window[0][1]
        in_padding = sum(self.input_index(cell) is None for _, cell in window)
        shape = "x".join(map(str, self.kernel_size))
        first = tuple(s - before for s, (before, _) in zip(start, self.padding))
        text = (
            f"out{list(position)}: the {shape} window starts at out*stride = {_vec(start, self.n)} in the padded "
            f"input (input index {_vec(first, self.n)}) and reads cells {_vec(self.dilation, self.n)} apart (dilation)"
        )
        if in_padding:
            verb = "is" if in_padding == 1 else "are"
            text += f"; {in_padding} of its {len(window)} cells {verb} zero padding"
        return text + "."

    def summary(self) -> str:
        return self.dot_product_text()

    def spec(self) -> dict:
        return {
            "widget": "kernel_stepper",
            "args": {"input": utils.tensor_to_json(self.input), "weight": utils.tensor_to_json(self.weight),
                     "stride": list(self.stride), "padding": self._padding_arg, "dilation": list(self.dilation)},
            "state": {"position": [s.value for s in self.position]},
        }

    def controls_note(self) -> str:
        sliders = _names(f"out {name}" for name in self.names)
        return (
            f"Run the cell to get the controls: {'a slider' if self.n == 1 else 'sliders'} for the output position "
            f"({sliders}) {'moves' if self.n == 1 else 'move'} the kernel, and the text above the picture writes out "
            f"each output's dot product. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return math.ceil(self.n / 2)

    # -- drawing ---------------------------------------------------------------

    def render(self) -> None:
        """Draw the current position (called whenever a slider moves)."""
        self._held = False  # after render=False, the first render switches drawing on
        self.text = self.dot_product_text()
        self.detail = self.detail_text()
        settings = (f"stride {_vec(self.stride, self.n)}, padding {_vec([b for b, _ in self.padding], self.n)}, "
                    f"dilation {_vec(self.dilation, self.n)}")
        position = tuple(s.value for s in self.position)
        figure = plots.draw_kernel_stepper(
            self.padded, self.weight, self.output, self.window(position), position, is_padding=self.is_padding,
            first_index=tuple(-before for before, _ in self.padding), title=f"{self.text.split(' = ')[0]} with {settings}",
        )
        self._show(figure, self._shown_dot_product(position) + "\n" + self.detail)

    def _shown_dot_product(self, position, most: int = 27) -> str:
        """:meth:`dot_product_text`, with the products in the middle left out when there are more
        than ``most``."""
        terms = self.terms(position)
        if len(terms) <= most:
            return self.text
        products = [f"{_term(x)}*{_term(w)}" for x, w in terms]
        shown = " + ".join(products[:most - 3]) + " + ... + " + " + ".join(products[-2:])
        return (f"out[{', '.join(map(str, position))}] = {shown} = {plots.format_number(self.value(position), 6)}"
                f"  ({len(terms)} products)")


def _term(value: float) -> str:
    text = plots.format_number(value, 3)
    return f"({text})" if text.startswith("-") else text


def _vec(values, n: int) -> str:
    values = tuple(values)
    return str(values[0]) if n == 1 else "(" + ", ".join(map(str, values)) + ")"


def kernel_stepper(input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1) -> KernelStepper:
    """Move a kernel over a single-channel input and watch each output cell being made.

    Sliders choose the output position (for 3-D input the first one is depth).
    The picture shows the zero-padded input with the cells the kernel reads
    outlined (they respect stride, padding and dilation), the kernel, and the
    output with the cell being produced outlined; the text writes out the dot
    product, e.g. ``out[1, 2] = 1*0.5 + 2*(-1) + ... = 3.25``. The numbers are
    those of ``F.conv1d/2d/3d(input[None, None], weight[None, None], ...)``.

    Args:
        input: ``(L,)``, ``(H, W)`` or ``(D, H, W)``: one channel, no batch axis.
        weight: ``(kL,)``, ``(kH, kW)`` or ``(kD, kH, kW)``: the same rank as ``input``.
        stride, dilation: int or one int per axis, >= 1.
        padding: int or one int per axis (zeros on both sides), ``"valid"`` or ``"same"``.

    Returns:
        A :class:`KernelStepper`; leave it as the last expression of a cell to show it.

    >>> s = kernel_stepper(torch.arange(25.0).reshape(5, 5), torch.ones(2, 2), stride=2, padding=1, dilation=2)
    >>> s.output_size, s.text
    ((3, 3), 'out[0, 0] = 0*1 + 0*1 + 0*1 + 6*1 = 6')
    >>> s.position[1].value = 1  # move the W slider: the text and the picture follow
    >>> s.text
    'out[0, 1] = 0*1 + 0*1 + 6*1 + 8*1 = 14'
    """
    return KernelStepper(input, weight, stride=stride, padding=padding, dilation=dilation)


# ============================================================================
# Output-size explorer
# ============================================================================

_EXPLORER = {  # name: (symbol in the formula, smallest value, largest slider value by default)
    "size": ("i", 1, 16),
    "kernel_size": ("k", 1, 7),
    "stride": ("s", 1, 4),
    "padding": ("p", 0, 4),
    "dilation": ("d", 1, 4),
}


class OutputSizeExplorer(_Widget):
    """Explore ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` on one axis. Made by
    :func:`output_size_explorer`.

    Controls: ``sliders``, a dict of ``IntSlider`` keyed ``size``, ``kernel_size``,
    ``stride``, ``padding``, ``dilation``.

    Pure methods: ``values``, ``output_size`` (``None`` when the kernel does not
    fit), ``formula``, ``placements``, ``unused``.
    State after each render: ``text``, ``figure``, ``png``.
    """

    def __init__(self, size=7, kernel_size=3, stride=1, padding=0, dilation=1):
        given = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        self._given = given
        self.sliders = {}
        for name, (symbol, low, high) in _EXPLORER.items():
            value = utils.check_int(name, given[name], minimum=low)
            self.sliders[name] = _slider(f"{name} {symbol}", value, low, max(high, value))
            self.sliders[name].observe(self._changed, names="value")
        self._build([_slider_grid(list(self.sliders.values()))])
        self.render()

    def values(self) -> dict[str, int]:
        """The sliders' current values.

        >>> output_size_explorer(size=8, stride=2).values()
        {'size': 8, 'kernel_size': 3, 'stride': 2, 'padding': 0, 'dilation': 1}
        """
        return {name: slider.value for name, slider in self.sliders.items()}

    def output_size(self) -> int | None:
        """``shapes.conv_output_size`` of the current values, or ``None`` if the kernel does not fit.

        >>> output_size_explorer(size=8, stride=2).output_size(), output_size_explorer(size=2).output_size()
        (3, None)
        """
        try:
            return shapes.conv_output_size(**self.values())
        except ValueError:
            return None

    def formula(self) -> str:
        """The formula, then with the numbers put in, then its value (or why there is none).

        >>> print(output_size_explorer(size=8, stride=2).formula())
        o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1
          = ⌊(8 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1
          = ⌊5 / 2⌋ + 1 = 2 + 1 = 3
        3 kernel placements, starting every s = 2 cells of the padded input.
        Input cell 7 is never read (outlined in red): the floor drops what is left after the last placement, and dilation can skip cells.
        """
        v = self.values()
        i, k, s, p, d = (v[name] for name in _EXPLORER)
        top = i + 2 * p - d * (k - 1) - 1
        lines = [
            "o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1",
            f"  = ⌊({i} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1",
            f"  = ⌊{top} / {s}⌋ + 1 = {top // s} + 1 = {top // s + 1}",
        ]
        try:
            o = shapes.conv_output_size(**v)
        except ValueError as error:
            lines.append(f"The kernel does not fit, so there is no output: {error}")
        else:
            lines.append(f"{o} kernel placement{'s' if o != 1 else ''}, starting every s = {s} cells of the padded input.")
            unused = self.unused()
            if unused:
                lines.append(
                    f"Input cell{'s' if len(unused) > 1 else ''} {', '.join(map(str, unused))} "
                    f"{'are' if len(unused) > 1 else 'is'} never read (outlined in red): the floor drops "
                    f"what is left after the last placement, and dilation can skip cells."
                )
        return "\n".join(lines)

    def placements(self) -> list[list[int]]:
        """For each placement ``j``, the input indices its taps read (negative or ``>= i``: padding).

        >>> output_size_explorer(size=5, kernel_size=2, stride=2, padding=1, dilation=2).placements()
        [[-1, 1], [1, 3], [3, 5]]
        """
        return plots.kernel_placements(**self.values())

    def unused(self) -> list[int]:
        """Input indices (not padding) that no placement reads.

        >>> output_size_explorer(size=5, kernel_size=2, stride=2, padding=1, dilation=2).unused()
        [0, 2, 4]
        """
        read = {c for taps in self.placements() for c in taps}
        return [c for c in range(self.values()["size"]) if c not in read]

    def spec(self) -> dict:
        return {"widget": "output_size_explorer", "args": dict(self._given), "state": self.values()}

    def summary(self) -> str:
        v = self.values()
        return f"i={v['size']}, k={v['kernel_size']}, s={v['stride']}, p={v['padding']}, d={v['dilation']} -> o={self.output_size()}"

    def controls_note(self) -> str:
        return (
            "Run the cell to get the controls: sliders for the input size i, kernel size k, stride s, padding p "
            "and dilation d, with the formula and the picture following them. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return math.ceil(len(self.sliders) / 2)

    def render(self) -> None:
        """Redraw for the current slider values (called whenever one moves)."""
        self.text = self.formula()
        self._show(plots.draw_output_size(**self.values()), self.text)


def output_size_explorer(size=7, kernel_size=3, stride=1, padding=0, dilation=1) -> OutputSizeExplorer:
    """Sliders for the output-size formula of a 1-D convolution, with a picture.

    Shows ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` with the numbers put in
    (computed by ``course_lib.shapes.conv_output_size``) and, for each kernel
    placement, the padded-input cells it reads. When the kernel does not fit
    it says so instead of failing.

    Args:
        size: input length ``i`` (>= 1).
        kernel_size: ``k`` (>= 1).
        stride: ``s`` (>= 1).
        padding: ``p`` zeros on each side (>= 0).
        dilation: ``d`` (>= 1).

    Returns:
        An :class:`OutputSizeExplorer`; leave it as the last expression of a cell to show it.

    >>> e = output_size_explorer(size=8, kernel_size=3, stride=2, padding=1)
    >>> e.output_size()
    4
    >>> e.sliders["stride"].value = 3  # the formula and the picture follow
    >>> e.summary()
    'i=8, k=3, s=3, p=1, d=1 -> o=3'
    """
    return OutputSizeExplorer(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


# ============================================================================
# Scatter stepper (lesson 07: transposed convolution)
# ============================================================================


class ScatterStepper(_Widget):
    """Step through a transposed convolution one input element at a time. Made by
    :func:`scatter_stepper`.

    Each input element ``x[i]`` adds ``x[i] * w`` to the output, the kernel tap ``k``
    landing on output cell ``i*stride + k*dilation - padding`` (per axis). The
    widget keeps the uncropped output (the *canvas*, ``(i-1)*s + d*(k-1) + 1 +
    output_padding`` cells per axis, indexed from ``-padding``); ``padding`` then
    crops that many cells from each end.

    Controls: ``step``, an ``IntSlider`` over the input elements in row-major order.

    Pure methods: ``element``, ``stamp``, ``accumulated``, ``output``, ``stamp_text``.
    State after each render: ``text``, ``figure``, ``png``.
    """

    def __init__(self, input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1,
                 output_padding=0, render: bool = True):
        utils.check_tensor("input", input)
        utils.check_tensor("weight", weight)
        n = input.dim()
        if n not in (1, 2):
            hint = ("pick one channel and one sample, e.g. input[0, 0]" if n > 2 else "give at least one element")
            raise ValueError(
                f"input must be one channel without a batch axis: (L,) or (H, W); got a {n}-D tensor "
                f"of shape {tuple(input.shape)}; {hint}."
            )
        if weight.dim() != n:
            raise ValueError(
                f"weight must have the same rank as input ({n}-D), got a {weight.dim()}-D tensor of shape "
                f"{tuple(weight.shape)}. For a layer's weight (C_in, C_out, ...) pick one kernel, e.g. weight[0, 0]."
            )
        if 0 in input.shape or 0 in weight.shape:
            raise ValueError(f"input and weight must not be empty, got shapes {tuple(input.shape)} and {tuple(weight.shape)}.")
        _check_real("input", input)
        _check_real("weight", weight)
        self.n = n
        self.names = utils.spatial_names(n)
        self.input = input.detach().cpu().to(torch.float64)
        self.weight = weight.detach().cpu().to(torch.float64)
        self.stride = utils.as_tuple("stride", stride, n, minimum=1)
        self.padding = utils.as_tuple("padding", padding, n, minimum=0)
        self.dilation = utils.as_tuple("dilation", dilation, n, minimum=1)
        self.output_padding = shapes.check_output_padding(
            utils.as_tuple("output_padding", output_padding, n, minimum=0), self.stride, self.dilation)
        self.kernel_size = tuple(weight.shape)
        self.canvas_size = tuple(
            (i - 1) * s + d * (k - 1) + 1 + op
            for i, s, d, k, op in zip(self.input.shape, self.stride, self.dilation, self.kernel_size, self.output_padding)
        )
        self.output_size = tuple(c - 2 * p for c, p in zip(self.canvas_size, self.padding))
        if min(self.output_size) < 1:
            raise ValueError(
                f"padding {_vec(self.padding, n)} crops the whole output: the uncropped output is "
                f"{_vec(self.canvas_size, n)} cells, and padding removes padding cells from each end. "
                f"Use padding below half of it."
            )
        self.elements = list(itertools.product(*(range(size) for size in self.input.shape)))
        self.step = _slider("element", 0, 0, len(self.elements) - 1)
        self.step.observe(self._changed, names="value")
        self._final = self.accumulated(len(self.elements) - 1)
        self._build([_slider_grid([self.step])])
        self._held = not render
        if render:
            self.render()

    # -- the arithmetic --------------------------------------------------------

    def _step(self, step) -> int:
        if step is None:
            return self.step.value
        step = utils.check_int("step", step, minimum=0)
        if step >= len(self.elements):
            raise ValueError(
                f"step must pick an input element 0..{len(self.elements) - 1} (input has {len(self.elements)} "
                f"elements), got {step}."
            )
        return step

    def element(self, step=None) -> tuple[int, ...]:
        """The input index that stamps at ``step`` (row-major order).

        >>> ScatterStepper(torch.ones(2, 3), torch.ones(2, 2), render=False).element(4)
        (1, 1)
        """
        return self.elements[self._step(step)]

    def stamp(self, step=None) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """``(kernel index, canvas index)`` for every kernel tap of the stamp at ``step``.

        Tap ``k`` of input element ``i`` lands on canvas index ``i*s + k*d`` (output index
        ``i*s + k*d - p``) on each axis.

        >>> ScatterStepper(torch.tensor([1.0, 2.0]), torch.tensor([1.0, -1.0]), stride=2, render=False).stamp(1)
        [((0,), (2,)), ((1,), (3,))]
        """
        element = self.element(step)
        return [
            (k, tuple(i * s + kk * d for i, s, kk, d in zip(element, self.stride, k, self.dilation)))
            for k in itertools.product(*(range(size) for size in self.kernel_size))
        ]

    def accumulated(self, step=None) -> torch.Tensor:
        """The uncropped output (canvas) after the stamps of elements ``0..step``.

        >>> ScatterStepper(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0, 1.0]), stride=2, render=False).accumulated(1)
        tensor([1., 1., 3., 2., 2.], dtype=torch.float64)
        """
        step = self._step(step)
        canvas = torch.zeros(self.canvas_size, dtype=torch.float64)
        for t in range(step + 1):
            value = self.input[self.elements[t]]
            for k, cell in self.stamp(t):
                canvas[cell] += value * self.weight[k]
        return canvas

    def kept(self) -> np.ndarray:
        """Boolean mask over the canvas: the cells that stay in the output (``padding`` crops the rest).

        >>> ScatterStepper(torch.ones(2), torch.ones(3), padding=1, render=False).kept()
        array([False,  True,  True, False])
        """
        mask = np.zeros(self.canvas_size, dtype=bool)
        mask[tuple(slice(p, p + o) for p, o in zip(self.padding, self.output_size))] = True
        return mask

    def output(self, step=None) -> torch.Tensor:
        """The output after the stamps of elements ``0..step``: the canvas with ``padding`` cropped from
        each end. After the last stamp it equals
        ``F.conv_transpose1d/2d(input[None, None], weight[None, None], ...)[0, 0]``.

        >>> ScatterStepper(torch.tensor([1.0, 2.0]), torch.ones(3), stride=2, padding=1, render=False).output(1)
        tensor([1., 3., 2.], dtype=torch.float64)
        """
        canvas = self.accumulated(step)
        return canvas[tuple(slice(p, p + o) for p, o in zip(self.padding, self.output_size))]

    def stamp_text(self, step=None, most: int = 9) -> str:
        """What the stamp at ``step`` adds to each output cell and the cell's new value (values to 3
        significant digits; at most ``most`` cells written out); output indices as in the cropped
        output (negative or past the end: cropped by padding).

        >>> s = ScatterStepper(torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0]), stride=2, render=False)
        >>> print(s.stamp_text(1))
        element 1 of 0..1: x[1] = 2 stamps 2*w onto out[2..3]
        out[2] += 2*0.5 -> 1;  out[3] += 2*(-1) -> -2
        """
        step = self._step(step)
        element = self.element(step)
        value = self.input[element].item()
        before = self.accumulated(step - 1) if step > 0 else torch.zeros(self.canvas_size, dtype=torch.float64)
        cells = self.stamp(step)
        first = tuple(c - p for c, p in zip(cells[0][1], self.padding))
        last = tuple(c - p for c, p in zip(cells[-1][1], self.padding))
        span = ", ".join(f"{a}..{b}" for a, b in zip(first, last))
        head = (f"element {step} of 0..{len(self.elements) - 1}: x[{', '.join(map(str, element))}] = "
                f"{plots.format_number(value, 3)} stamps {_term(value)}*w onto out[{span}]")
        terms = []
        for k, cell in cells:
            product = value * self.weight[k].item()
            index = tuple(c - p for c, p in zip(cell, self.padding))
            total = before[cell].item() + product
            where = ", ".join(map(str, index))
            cropped = any(i < 0 or i >= o for i, o in zip(index, self.output_size))
            terms.append(f"out[{where}] += {_term(value)}*{_term(self.weight[k].item())} -> "
                         f"{plots.format_number(total, 3)}" + (" (cropped)" if cropped else ""))
        if len(terms) > most:
            terms = terms[:most - 1] + [f"... ({len(terms) - most + 1} more)"]
        per_line = min(self.kernel_size[-1], 3)  # a kernel row per line, at most 3 terms
        return head + "\n" + "\n".join(";  ".join(terms[i:i + per_line]) for i in range(0, len(terms), per_line))

    def summary(self) -> str:
        return self.stamp_text().splitlines()[0]

    def spec(self) -> dict:
        return {
            "widget": "scatter_stepper",
            "args": {"input": utils.tensor_to_json(self.input), "weight": utils.tensor_to_json(self.weight),
                     "stride": list(self.stride), "padding": list(self.padding), "dilation": list(self.dilation),
                     "output_padding": list(self.output_padding)},
            "state": {"step": self.step.value},
        }

    def controls_note(self) -> str:
        return (
            "Run the cell to get the controls: a slider picks the input element whose stamp x*w is added "
            "(the output shows all stamps up to it), and the text above the picture writes out what the stamp "
            "adds to each output cell. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return 1

    def render(self) -> None:
        """Draw the current step (called whenever the slider moves)."""
        self._held = False
        self.text = self.stamp_text()
        step = self.step.value
        settings = (f"stride {_vec(self.stride, self.n)}, padding {_vec(self.padding, self.n)}, "
                    f"dilation {_vec(self.dilation, self.n)}, output_padding {_vec(self.output_padding, self.n)}")
        final = self._final.numpy()
        figure = plots.draw_scatter_stepper(
            self.input, self.weight, self.accumulated(step), self.element(step), self.stamp(step), kept=self.kept(),
            first_index=tuple(-p for p in self.padding), vmin=min(float(final.min()), 0.0),
            vmax=max(float(final.max()), 0.0),
            title=f"stamps of elements 0..{step} (of 0..{len(self.elements) - 1}); {settings}",
        )
        self._show(figure, self.text)


def scatter_stepper(input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1,
                    output_padding=0) -> ScatterStepper:
    """Step through a transposed convolution as scatter-add: each input element stamps the kernel into
    the output.

    A slider picks the input element (row-major order). The picture shows the input
    with that element outlined, the kernel, and the output accumulated over the
    stamps so far, uncropped, with the current stamp outlined and the cells that
    ``padding`` crops hatched; the text writes out what the stamp adds to each output
    cell, e.g. ``out[2, 4] += 3*0.5 -> 2.5`` (the cell's value after the stamp). After the last element
    the output is ``F.conv_transpose1d/2d(input[None, None], weight[None, None], ...)[0, 0]``.

    Args:
        input: ``(L,)`` or ``(H, W)``: one channel, no batch axis.
        weight: ``(kL,)`` or ``(kH, kW)``: the same rank as ``input``.
        stride, dilation: int or one int per axis, >= 1.
        padding: int or one int per axis, >= 0: cells cropped from each end of the output.
        output_padding: int or one int per axis, smaller than stride or dilation: cells added at the
            end.

    Returns:
        A :class:`ScatterStepper`; leave it as the last expression of a cell to show it.

    >>> s = scatter_stepper(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.ones(3, 3), stride=2)
    >>> s.output_size, s.summary()
    ((5, 5), 'element 0 of 0..3: x[0, 0] = 1 stamps 1*w onto out[0..2, 0..2]')
    >>> s.step.value = 3  # move the slider: the text and the picture follow
    >>> s.output()[2]
    tensor([ 4.,  4., 10.,  6.,  6.], dtype=torch.float64)
    """
    return ScatterStepper(input, weight, stride=stride, padding=padding, dilation=dilation,
                          output_padding=output_padding)
