"""The dimension slicer: pick two axes of a rank 2-6 tensor to see as an image, and a slider for every
other axis. Its state and controls (:class:`DimensionSlicer`, :func:`dimension_slicer`) and its
picture (:func:`draw_slice`).
"""
from __future__ import annotations

import html
import math

import ipywidgets
import numpy as np
import torch

from course_lib import draw, utils
import course_lib.widgets.base as base


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


class DimensionSlicer(base.Widget):
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
        base.check_real("tensor", tensor)
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
        self.data = utils.as_array(tensor)
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
            base.slider(f"{name} (dim {i})", start[i], 0, size - 1) for i, (name, size) in enumerate(zip(self.names, self.shape))
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
                     base.slider_grid(self.sliders)], text=False)
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
        sliders = f"a slider for {'each of ' if len(others) > 1 else ''}{base.join_names(others)}, " if others else ""
        return (
            f"Run the cell to get the controls: {sliders}dropdowns that choose the axes shown as rows and columns, "
            f"and a colour-scale checkbox. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return 2 + math.ceil(base.visible(self.sliders) / 2)  # the shape line, the dropdowns, the sliders

    # -- drawing ---------------------------------------------------------------

    def render(self) -> None:
        """Show the current slice (called whenever a control changes)."""
        row, col = self.shown_axes
        for axis, slider in enumerate(self.sliders):
            slider.layout.display = "none" if axis in (row, col) else None
        self.image = self.current_image()
        self.title = self.slice_title()
        vmin, vmax = self.colour_range()
        figure = draw_slice(self.image, title=self.title, xlabel=f"{self.names[col]} (dim {col})",
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


# ----------------------------------------------------------------------------
# The picture
# ----------------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def draw_slice(image, *, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
               vmin=None, vmax=None, signed: bool = False, height: float = 4.0):
    """The dimension slicer's picture: one 2-D slice as a grid of cells with a colour bar.

    Args:
        image: ``(rows, cols)`` array or tensor, e.g. ``x[0, 1, :, :, 3]``.
        title, xlabel, ylabel: the title (one or two lines) and axis labels.
        vmin, vmax: the colour range (default: the slice's own).
        signed: draw with the diverging map ``RdBu_r`` centred on 0 (the range
            becomes ``-m..m`` with ``m = max(|vmin|, |vmax|)``); otherwise ``viridis``.
        height: figure height in inches; the width follows the slice's aspect
            ratio (4.5 to 9.5 inches). A slice thinner than 1:4 is stretched.

    Values are written into the cells when the slice has at most 10 rows and columns.

    Returns:
        A bare ``Figure``: ``axes[0]`` holds the image, ``axes[1]`` the colour bar.

    >>> figure = draw_slice(np.array([[-1.0, 0.0, 2.0]]), title="x[0, :, :]", xlabel="W (dim 2)",
    ...                     ylabel="H (dim 1)", signed=True)
    >>> ax = figure.axes[0]
    >>> ax.get_title(), ax.get_xlabel(), ax.images[0].get_clim(), ax.images[0].get_cmap().name
    ('x[0, :, :]', 'W (dim 2)', (-2.0, 2.0), 'RdBu_r')
    """
    grid = utils.as_array(image)
    if grid.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {grid.shape}.")
    rows, cols = grid.shape
    finite = grid[np.isfinite(grid)]
    vmin = (float(finite.min()) if finite.size else 0.0) if vmin is None else float(vmin)
    vmax = (float(finite.max()) if finite.size else 1.0) if vmax is None else float(vmax)
    if signed:
        vmax = max(abs(vmin), abs(vmax))
        vmin = -vmax
    width = _clamp(height * cols / rows + 1.8, 4.5, draw.MAX_WIDTH)
    if cols / rows <= 4:  # drawn with square cells: no taller than the image needs, so the colour bar fits it
        height = min(height, (width - 1.8) * rows / cols + 1.2)
    figure = base.widget_figure(width, height)
    ax = figure.add_subplot()
    draw.draw_grid(ax, grid, annotate=max(rows, cols) <= 10, vmin=vmin, vmax=vmax, cmap="RdBu_r" if signed else "viridis",
                   colorbar=True, title=title, xlabel=xlabel, ylabel=ylabel)
    if not 0.25 <= cols / rows <= 4:  # a long thin slice, e.g. C x W: stretch it
        ax.set_aspect("auto")
    return figure
