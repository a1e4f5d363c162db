"""Interactive widgets for the lessons (ipywidgets 8 + matplotlib).

Three widgets, each made by one call and shown by leaving it as the last
expression of a notebook cell:

- :func:`dimension_slicer`  pick two axes of a rank 2-6 tensor to see as an
  image, and a slider for every other axis (N, C, D, H, W, ...).
- :func:`kernel_stepper`  move a kernel over a 1-D, 2-D or 3-D input and see
  the cells it reads, the output cell it writes and the dot product.
- :func:`output_size_explorer`  sliders for input size, kernel, stride,
  padding and dilation; the output-size formula with the numbers put in, and
  where every kernel placement lands.

How they are built (so that they can be tested without a browser): each
widget keeps its controls as attributes (``.sliders``, ``.row_axis``,
``.position``, ...), computes what to show in small pure methods (the slice
index, the receptive field, the text of the formula or the dot product), and a
``render()`` step draws a ``matplotlib.figure.Figure`` (not a pyplot figure, so
nothing piles up in pyplot's list of open figures) into PNG bytes shown by an
``ipywidgets.Image``. Changing a control re-renders. The latest state is in
``.figure``, ``.png``, ``.title`` / ``.text``.

When displayed, a widget also offers its current picture as a plain PNG, so a
notebook viewer without a running kernel (GitHub, nbconvert, slides) still
shows it.
"""
from __future__ import annotations

import base64
import contextlib
import html
import itertools

import ipywidgets
import matplotlib.figure
import numpy as np
import torch

from course_lib import args, plots, shapes, utils, vectorised
from course_lib import padding as padding_modes

SLIDER_STYLE = {"description_width": "initial"}


class _Widget:
    """Display machinery shared by the three widgets: controls above, picture below."""

    figure: matplotlib.figure.Figure | None = None
    png: bytes = b""
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

    def _build(self, controls, text: bool = True) -> None:
        self.image_widget = ipywidgets.Image(format="png", layout=ipywidgets.Layout(max_width="100%"))
        self.html = ipywidgets.HTML()
        children = list(controls) + ([self.html] if text else []) + [self.image_widget]
        self.widget = ipywidgets.VBox(children)

    def _show(self, figure, text: str = "") -> None:
        self.figure = figure
        self.png = plots.figure_png(figure)
        self.image_widget.value = self.png
        self.html.value = (
            '<div style="font-family: monospace; font-size: 13px; white-space: pre-wrap">' + html.escape(text) + "</div>"
        )

    def summary(self) -> str:
        """One line saying what the widget shows now (its plain-text form)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.summary()}>"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle


def _slider(description: str, value: int, low: int, high: int) -> ipywidgets.IntSlider:
    return ipywidgets.IntSlider(
        value=value, min=low, max=high, description=description, continuous_update=False, style=SLIDER_STYLE
    )


def _check_real(name: str, tensor: torch.Tensor) -> None:
    if tensor.is_complex():
        raise TypeError(f"{name} must be real, got dtype {tensor.dtype}; show tensor.real or tensor.abs() instead.")


def _figure(width: float, height: float) -> matplotlib.figure.Figure:
    return matplotlib.figure.Figure(figsize=(width, height), layout="constrained")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


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
        self.row_axis = ipywidgets.Dropdown(options=options, value=row, description="rows")
        self.col_axis = ipywidgets.Dropdown(options=options, value=col, description="columns")
        self.sliders = tuple(
            _slider(f"{name} (dim {i})", start[i], 0, size - 1) for i, (name, size) in enumerate(zip(self.names, self.shape))
        )
        low, high = float(np.nanmin(self.data)), float(np.nanmax(self.data))
        self.signed = low < 0 < high
        """Signed data (negative and positive values) is drawn with a diverging map centred on 0."""
        self.same_scale = ipywidgets.Checkbox(value=True, description="one colour scale for all slices")
        self._swapping = False
        self.row_axis.observe(self._axis_changed, names="value")
        self.col_axis.observe(self._axis_changed, names="value")
        for control in (*self.sliders, self.same_scale):
            control.observe(self._changed, names="value")
        layout = ", ".join(self.names)
        shape_line = ipywidgets.HTML(
            f"<b>{html.escape(title) + ': ' if title else ''}</b>shape {self.shape} = ({html.escape(layout)})"
        )
        self._build([shape_line, ipywidgets.HBox([self.row_axis, self.col_axis]), *self.sliders, self.same_scale],
                    text=False)
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
        """``(row axis, column axis)`` of the image."""
        return self.row_axis.value, self.col_axis.value

    @property
    def index(self) -> tuple:
        """The index into the tensor: slider values, with ``slice(None)`` at the shown axes."""
        shown = self.shown_axes
        return tuple(slice(None) if axis in shown else s.value for axis, s in enumerate(self.sliders))

    def slice_text(self) -> str:
        """The slice as Python, e.g. ``'x[0, 1, :, :, 3]'``."""
        return "x[" + ", ".join(":" if isinstance(i, slice) else str(i) for i in self.index) + "]"

    def slice_title(self) -> str:
        """E.g. ``'x[0, 1, :, :, 3]  (N=0, C=1, W=3)'``, after the title if one was given."""
        fixed = [f"{self.names[a]}={i}" for a, i in enumerate(self.index) if not isinstance(i, slice)]
        text = self.slice_text() + (f"  ({', '.join(fixed)})" if fixed else "")
        return f"{self.label}\n{text}" if self.label else text

    def current_image(self) -> np.ndarray:
        """The 2-D slice shown: rows along ``row_axis``, columns along ``col_axis``."""
        image = self.data[self.index]
        row, col = self.shown_axes
        return image.T if row > col else image

    def colour_range(self) -> tuple[float, float]:
        """``(vmin, vmax)``: the whole tensor's range, or this slice's if ``same_scale`` is off."""
        values = self.data if self.same_scale.value else self.current_image()
        return float(np.nanmin(values)), float(np.nanmax(values))

    def summary(self) -> str:
        return self.slice_title().replace("\n", ": ")

    # -- drawing ---------------------------------------------------------------

    def render(self) -> None:
        """Show the current slice (called whenever a control changes)."""
        row, col = self.shown_axes
        for axis, slider in enumerate(self.sliders):
            slider.layout.display = "none" if axis in (row, col) else None
        self.image = self.current_image()
        self.title = self.slice_title()
        rows, cols = self.image.shape
        height = 4.5
        width = _clamp(height * cols / rows + 1.8, 5.0, 10.0)
        figure = _figure(width, height)
        ax = figure.add_subplot()
        vmin, vmax = self.colour_range()
        if self.signed:  # a diverging map, white at 0, as everywhere else in the course for signed data
            vmax = max(abs(vmin), abs(vmax))
            vmin = -vmax
        plots.draw_grid(
            ax, self.image, annotate=max(rows, cols) <= 10, vmin=vmin, vmax=vmax, cmap="RdBu_r" if self.signed else "viridis", colorbar=True,
            title=self.title, xlabel=f"{self.names[col]} (dim {col})", ylabel=f"{self.names[row]} (dim {row})",
        )
        if not 0.25 <= cols / rows <= 4:  # a long thin slice, e.g. C x W: stretch it
            ax.set_aspect("auto")
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
        self._build(self.position)
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
        """
        position = self._position(position)
        return [
            (k, tuple(o * s + kk * d for o, s, kk, d in zip(position, self.stride, k, self.dilation)))
            for k in itertools.product(*(range(size) for size in self.kernel_size))
        ]

    def receptive_field(self, position=None) -> np.ndarray:
        """Boolean mask over ``padded``: the cells the kernel reads at ``position``."""
        mask = np.zeros(tuple(self.padded.shape), dtype=bool)
        for _, cell in self.window(position):
            mask[cell] = True
        return mask

    def input_index(self, padded_index) -> tuple[int, ...] | None:
        """The original input index of a padded-input cell, or ``None`` for zero padding."""
        index = tuple(p - before for p, (before, _) in zip(padded_index, self.padding))
        inside = all(0 <= i < size for i, size in zip(index, self.input.shape))
        return index if inside else None

    def terms(self, position=None) -> list[tuple[float, float]]:
        """``(input value, weight value)`` for every tap, in kernel order."""
        return [(self.padded[cell].item(), self.weight[k].item()) for k, cell in self.window(position)]

    def value(self, position=None) -> float:
        """The output at ``position``: the sum of the products of :meth:`terms`."""
        return float(sum(x * w for x, w in self.terms(position)))

    def dot_product_text(self, position=None) -> str:
        """E.g. ``'out[1, 2] = 1*0.5 + 2*(-1) + ... = 3.25'`` (terms to 3 significant digits)."""
        position = self._position(position)
        products = " + ".join(f"{_term(x)}*{_term(w)}" for x, w in self.terms(position))
        return f"out[{', '.join(map(str, position))}] = {products} = {plots.format_number(self.value(position), 6)}"

    def detail_text(self, position=None) -> str:
        """Where the window lies, in words."""
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
            text += f"; {in_padding} of its {len(window)} cells are zero padding"
        return text + "."

    def summary(self) -> str:
        return self.dot_product_text()

    # -- drawing ---------------------------------------------------------------

    def render(self) -> None:
        """Draw the current position (called whenever a slider moves)."""
        self._held = False  # after render=False, the first render switches drawing on
        self.text = self.dot_product_text()
        self.detail = self.detail_text()
        draw = {1: self._draw_1d, 2: self._draw_2d, 3: self._draw_3d}[self.n]
        figure = draw()
        settings = (f"stride {_vec(self.stride, self.n)}, padding {_vec([b for b, _ in self.padding], self.n)}, "
                    f"dilation {_vec(self.dilation, self.n)}")
        figure.suptitle(f"{self.text.split(' = ')[0]} with {settings}", fontsize=plots.FONTSIZE + 1)
        self._show(figure, self.text + "\n" + self.detail)

    def _scales(self):
        x_range = dict(vmin=float(self.padded.min()), vmax=float(self.padded.max()), cmap="viridis")
        top = float(self.weight.abs().max()) or 1.0
        w_range = dict(vmin=-top, vmax=top, cmap="coolwarm")
        y_range = dict(vmin=float(self.output.min()), vmax=float(self.output.max()), cmap="viridis")
        return x_range, w_range, y_range

    def _output_mask(self, shape):
        mask = np.zeros(shape, dtype=bool)
        mask[tuple(s.value for s in self.position)[-len(shape):]] = True
        return mask

    def _draw_1d(self):
        (length,), (before, _) = self.padded.shape, self.padding[0]
        out_length = self.output_size[0]
        x_range, w_range, y_range = self._scales()
        annotate = length <= 24
        figure = _figure(_clamp(0.5 * length + 1.5, 6.0, 14.0), 4.6)
        ratios = [out_length, length - out_length] if length > out_length else [1]
        grid = figure.add_gridspec(3, len(ratios), width_ratios=ratios)
        ax_x, ax_w, ax_y = figure.add_subplot(grid[0, :]), figure.add_subplot(grid[1, :]), figure.add_subplot(grid[2, 0])
        plots.draw_grid(ax_x, self.padded, highlight=self.receptive_field(), padding=self.is_padding[None],
                        first_index=(0, -before), annotate=annotate, title="zero-padded input x (hatched: padding)",
                        xlabel="input index", **x_range)
        placed = np.full(length, np.nan)
        for k, (cell,) in self.window():
            placed[cell] = self.weight[k].item()
        plots.draw_grid(ax_w, placed, first_index=(0, -before), annotate=annotate,
                        title="kernel w, drawn over the cells it reads",
                        xlabel="input index", **w_range)
        plots.draw_grid(ax_y, self.output, highlight=self._output_mask((out_length,))[None], annotate=annotate,
                        title="output out", xlabel="output index", **y_range)
        return figure

    def _draw_2d(self):
        (height, width), (top, _), (left, _) = self.padded.shape, *self.padding
        out_h, out_w = self.output_size
        kh, kw = self.kernel_size
        x_range, w_range, y_range = self._scales()
        ratios = [width, max(kw, 0.3 * width, 3), max(out_w, 3)]
        cell = min(0.42, 11.0 / sum(ratios), 5.0 / height)  # inches per input cell
        figure = _figure(max(8.0, cell * sum(ratios) + 2.5), max(3.6, cell * height + 2.0))
        grid = figure.add_gridspec(1, 3, width_ratios=ratios)
        axes = [figure.add_subplot(grid[0, i]) for i in range(3)]
        plots.draw_grid(axes[0], self.padded, highlight=self.receptive_field(), padding=self.is_padding,
                        first_index=(-top, -left), annotate=width <= 16 and height <= 16,
                        title="zero-padded input x\n(hatched: padding)", xlabel="W (input index)",
                        ylabel="H (input index)", **x_range)
        plots.draw_grid(axes[1], self.weight, annotate=kw <= 9 and kh <= 9,
                        title="kernel w",
                        xlabel="kW", ylabel="kH", **w_range)
        plots.draw_grid(axes[2], self.output, highlight=self._output_mask((out_h, out_w)),
                        annotate=out_w <= 16 and out_h <= 16, title="output out", xlabel="W_out", ylabel="H_out",
                        **y_range)
        return figure

    def _draw_3d(self):
        (_, height, width), (front, _), (top, _), (left, _) = self.padded.shape, *self.padding
        kd, kh, kw = self.kernel_size
        out_d, out_h, out_w = self.output_size
        x_range, w_range, y_range = self._scales()
        annotate = width <= 12 and height <= 12
        depth = self.position[0].value
        figure = _figure(_clamp(0.38 * (kd * width + out_w) + 2.5, 8.0, 16.0), _clamp(0.38 * (height + kh) + 3.2, 5.0, 9.0))
        grid = figure.add_gridspec(2, kd + 1, width_ratios=[width] * kd + [max(out_w, 3)], height_ratios=[height, max(kh, 2)])
        field = self.receptive_field()
        for t in range(kd):
            z = depth * self.stride[0] + t * self.dilation[0]
            where = f"depth {z - front}" + (" (all padding)" if self.is_padding[z].all() else "")
            plots.draw_grid(figure.add_subplot(grid[0, t]), self.padded[z], highlight=field[z], padding=self.is_padding[z],
                            first_index=(-top, -left), annotate=annotate, title=f"padded x, {where}",
                            xlabel="W", ylabel="H" if t == 0 else None, **x_range)
            plots.draw_grid(figure.add_subplot(grid[1, t]), self.weight[t], annotate=kw <= 7 and kh <= 7,
                            title=f"kernel w[{t}]", xlabel="kW", ylabel="kH" if t == 0 else None, **w_range)
        plots.draw_grid(figure.add_subplot(grid[0, kd]), self.output[depth], highlight=self._output_mask((out_h, out_w)),
                        annotate=out_w <= 12 and out_h <= 12, title=f"output, depth {depth}", xlabel="W_out",
                        ylabel="H_out", **y_range)
        return figure


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
    """Explore ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` on one axis. Made by :func:`output_size_explorer`.

    Controls: ``sliders``, a dict of ``IntSlider`` keyed ``size``, ``kernel_size``,
    ``stride``, ``padding``, ``dilation``.

    Pure methods: ``values``, ``output_size`` (``None`` when the kernel does not
    fit), ``formula``, ``placements``, ``unused``.
    State after each render: ``text``, ``figure``, ``png``.
    """

    def __init__(self, size=7, kernel_size=3, stride=1, padding=0, dilation=1):
        given = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        self.sliders = {}
        for name, (symbol, low, high) in _EXPLORER.items():
            value = utils.check_int(name, given[name], minimum=low)
            self.sliders[name] = _slider(f"{name} {symbol}", value, low, max(high, value))
            self.sliders[name].observe(self._changed, names="value")
        self._build(list(self.sliders.values()))
        self.render()

    def values(self) -> dict[str, int]:
        """The sliders' current values."""
        return {name: slider.value for name, slider in self.sliders.items()}

    def output_size(self) -> int | None:
        """``shapes.conv_output_size`` of the current values, or ``None`` if the kernel does not fit."""
        try:
            return shapes.conv_output_size(**self.values())
        except ValueError:
            return None

    def formula(self) -> str:
        """The formula, then with the numbers put in, then its value (or why there is none)."""
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
        """For each placement ``j``, the input indices its taps read (negative or ``>= i``: padding)."""
        return plots.kernel_placements(**self.values())

    def unused(self) -> list[int]:
        """Input indices (not padding) that no placement reads."""
        read = {c for taps in self.placements() for c in taps}
        return [c for c in range(self.values()["size"]) if c not in read]

    def summary(self) -> str:
        v = self.values()
        return f"i={v['size']}, k={v['kernel_size']}, s={v['stride']}, p={v['padding']}, d={v['dilation']} -> o={self.output_size()}"

    def render(self) -> None:
        """Redraw for the current slider values (called whenever one moves)."""
        v = self.values()
        self.text = self.formula()
        o = self.output_size()
        rows = (o or 1) + 1
        padded = v["size"] + 2 * v["padding"]
        span = v["dilation"] * (v["kernel_size"] - 1) + 1
        figure = _figure(_clamp(0.42 * max(padded, span) + 2.2, 6.0, 14.0), _clamp(0.42 * rows + 1.6, 2.6, 9.0))
        ax = figure.add_subplot()
        plots.draw_placements(ax, v["size"], v["kernel_size"], v["stride"], v["padding"], v["dilation"])
        title = f"i={v['size']}, k={v['kernel_size']}, s={v['stride']}, p={v['padding']}, d={v['dilation']}: "
        ax.set_title(title + (f"o = {o}" if o else "the kernel does not fit")
                     + "\nboxes: the cells each placement reads, numbered by kernel tap", fontsize=plots.FONTSIZE + 1)
        self._show(figure, self.text)


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
    """
    return OutputSizeExplorer(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
