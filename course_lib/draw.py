"""Drawing primitives and figure plumbing, shared by the lessons' figures and the widgets.

- Colours and sizes: :data:`HIGHLIGHT`, :data:`PADDING`, :data:`FONTSIZE`, :data:`DPI`,
  :data:`PIXEL_RATIO`, :data:`MAX_WIDTH`.
- :func:`draw_grid` draws a 1-D or 2-D array as a grid of cells, optionally
  with the numbers written in, some cells outlined (a receptive field, the
  output cell a window produces) and some cells hatched (zero padding);
  :func:`cell_patch` is one such outline or hatching.
- :func:`new_figure` makes a figure: a :class:`ShownFigure`, a bare ``Figure``
  (not registered with pyplot) that a notebook shows as a PNG when it is the
  last expression of a cell.
- PNG and alternative text: :func:`figure_png` renders a figure to PNG bytes;
  :func:`screen_png` renders it sharp for high-DPI screens and says at which CSS
  size to show it; :func:`figure_description` describes it in a line;
  :func:`text_px` measures its smallest text; :func:`display_bundle` and
  :func:`show` display it in a notebook with that metadata (what the slide decks use).
- Figures several lessons use: :func:`signals_figure` (signals over a shared
  axis, panel by panel: lessons 01 and 08) and :func:`draw_slice_rows` (rows of
  2-D slices of video and volumes: lessons 03, 04, 07 and 08).

Each lesson's own figures are in ``course_lib.figures.lessonNN``; each widget's
picture is in its module of ``course_lib.widgets``. Both draw with these.

The primitives draw on an ``Axes`` you pass in, so they work both with ``pyplot``
(``fig, ax = plt.subplots(); draw.draw_grid(ax, x); draw.show(fig)``) and with a
bare figure from :func:`new_figure` (so no figure piles up in pyplot's list of
open figures).
"""
from __future__ import annotations

import base64
import io

import matplotlib.colors
import matplotlib.figure
import matplotlib.patches
import matplotlib.ticker
import numpy as np
import torch

from course_lib import utils


HIGHLIGHT = "#d62728"  # red: the cells a kernel placement touches


PADDING = "#7f7f7f"  # grey hatching: zero padding


FONTSIZE = 13
"""Points of the pictures' text (titles one more, tick labels one less): at :data:`DPI` 90 CSS pixels per inch the
tick labels are 15 px, readable on a 1280x720 projector (the decks' rule: plot text at least 14 px)."""


DPI = 90
"""CSS pixels per inch of a widget's figure: a figure ``w`` inches wide is shown
``w * DPI`` CSS pixels wide, where its 11-point text is about as large as the notebook's."""


PIXEL_RATIO = 2
"""Device pixels per CSS pixel of a widget's PNG: it is rendered at ``DPI * PIXEL_RATIO``
dots per inch and shown at ``1 / PIXEL_RATIO`` of its pixel size, so it is sharp on
high-DPI screens and no larger than intended on others."""


MAX_WIDTH = 9.5
"""Widest widget figure, inches (855 CSS pixels: the notebook column of a laptop screen)."""


ALT_LENGTH = 250
"""The most characters :func:`figure_description` returns (a longer description ends with an ellipsis)."""


def draw_grid(
    ax,
    values,
    *,
    highlight=None,
    padding=None,
    annotate: bool | None = None,
    digits: int = 2,
    first_index=(0, 0),
    cmap="viridis",
    vmin=None,
    vmax=None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colorbar: bool = False,
    highlight_color: str = HIGHLIGHT,
):
    """Draw ``values`` as a grid of coloured cells.

    Args:
        ax: a matplotlib ``Axes``.
        values: ``(W,)`` (drawn as one row) or ``(H, W)``; tensor or array.
            ``nan`` cells are left blank.
        highlight: boolean mask of ``values``' shape; those cells get a thick outline.
        padding: boolean mask of ``values``' shape; those cells are hatched grey.
        annotate: write each value in its cell (default: when the grid has at
            most 20 columns and 400 cells).
        digits: significant digits of the written values.
        first_index: ``(row, column)`` index of the top-left cell on the tick labels,
            e.g. ``(-p, -p)`` to number a padded input by its original indices.
        cmap, vmin, vmax: colour map and its range (default: the values' range).
        title, xlabel, ylabel: labels (a 1-D grid has no y ticks).
        colorbar: add a colour bar.
        highlight_color: colour of the outlines.

    Returns:
        The ``AxesImage``. Outlines carry ``gid="highlight"``, hatched cells
        ``gid="padding"``, so a test can find them in ``ax.patches``.

    >>> import matplotlib.figure
    >>> ax = matplotlib.figure.Figure().add_subplot()
    >>> image = draw_grid(ax, [0.0, 1.0, 2.0, 0.0], highlight=[0, 1, 1, 0], padding=[1, 0, 0, 1],
    ...                   first_index=(0, -1), title="padded x", xlabel="input index")
    >>> image.get_array().shape, ax.get_title()
    ((1, 4), 'padded x')
    >>> sorted(round(p.get_x() + 0.5) for p in ax.patches if p.get_gid() == "highlight")  # input indices
    [0, 1]
    """
    grid = utils.as_array(values)
    one_row = grid.ndim == 1
    if one_row:
        grid = grid[None, :]
    if grid.ndim != 2:
        raise ValueError(f"values must be 1-D (W,) or 2-D (H, W), got shape {grid.shape}.")
    masks = [_mask(name, m, grid.shape, one_row) for name, m in (("highlight", highlight), ("padding", padding))]
    rows, cols = grid.shape
    r0, c0 = (0, first_index[-1]) if one_row else first_index
    finite = grid[np.isfinite(grid)]
    if vmin is None:
        vmin = finite.min() if finite.size else 0.0
    if vmax is None:
        vmax = finite.max() if finite.size else 1.0
    if vmin == vmax:  # a constant grid: give the colour map some range
        vmin, vmax = vmin - 1, vmax + 1
    colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    colormap = colormap.with_extremes(bad="white")
    extent = (c0 - 0.5, c0 + cols - 0.5, r0 + rows - 0.5, r0 - 0.5)
    image = ax.imshow(grid, cmap=colormap, vmin=vmin, vmax=vmax, extent=extent, interpolation="nearest")
    if annotate is None:
        annotate = cols <= 20 and grid.size <= 400
    if annotate:
        norm = matplotlib.colors.Normalize(vmin, vmax)
        size = FONTSIZE if cols <= 12 else FONTSIZE - 1
        for (r, c), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(c0 + c, r0 + r, utils.format_number(v, digits), ha="center", va="center",
                        fontsize=size, color=_text_colour(colormap(norm(v)))).set_in_layout(False)
    for (mask, style) in zip(masks, ("highlight", "padding")):
        if mask is None:
            continue
        for r, c in zip(*np.nonzero(mask)):
            ax.add_patch(cell_patch(c0 + c, r0 + r, style, highlight_color)).set_in_layout(False)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    if one_row:
        ax.set_yticks([])
    ax.tick_params(labelsize=FONTSIZE - 1)
    if title:
        ax.set_title(title, fontsize=FONTSIZE + 1)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=FONTSIZE)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=FONTSIZE)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=FONTSIZE - 1)
    return image


def _mask(name, mask, shape, one_row):
    if mask is None:
        return None
    mask = utils.as_array(mask).astype(bool)
    if one_row and mask.ndim == 1:
        mask = mask[None, :]
    if mask.shape != shape:
        raise ValueError(f"{name} must have the shape of values {shape}, got {mask.shape}.")
    return mask


def _text_colour(rgba) -> str:
    red, green, blue = rgba[:3]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


def cell_patch(x, y, style, colour):
    if style == "highlight":
        return matplotlib.patches.Rectangle(
            (x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor=colour, linewidth=3, gid="highlight", zorder=3
        )
    return matplotlib.patches.Rectangle(
        (x - 0.5, y - 0.5), 1, 1, facecolor="none", edgecolor=PADDING, hatch="///", linewidth=0, gid="padding", zorder=2
    )


def figure_description(figure) -> str:
    """A short description of a figure, for the alternative text of its picture: its title
    (``suptitle``), else its panels' titles, else its axis labels, else how many panels it has.

    >>> import matplotlib.figure
    >>> figure = matplotlib.figure.Figure()
    >>> left, right = figure.subplots(1, 2)
    >>> figure_description(figure)
    'A figure with 2 panels'
    >>> _ = left.set_xlabel("t (s)"), right.set_title("output")
    >>> figure_description(figure)
    'output'
    >>> _ = figure.suptitle("Smoothing: before and after")
    >>> figure_description(figure)
    'Smoothing: before and after'
    """
    parts = [figure.get_suptitle()]
    if not parts[0]:
        parts = [ax.get_title(loc) for ax in figure.axes for loc in ("left", "center", "right")]
    if not any(parts):
        parts = [label for ax in figure.axes for label in (ax.get_xlabel(), ax.get_ylabel())]
    words = "; ".join(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))
    if not words:
        count = len(figure.axes)
        words = f"A figure with {count} panel{'s' * (count != 1)}"
    return words if len(words) <= ALT_LENGTH else words[: ALT_LENGTH - 1] + "…"


def figure_png(figure, dpi: int = 90) -> bytes:
    """The figure rendered as PNG bytes (works without pyplot), cropped to what is drawn.

    >>> import matplotlib.figure
    >>> figure = matplotlib.figure.Figure(figsize=(2, 1))
    >>> _ = figure.add_subplot().set_title("a title")
    >>> figure_png(figure)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """``(width, height)`` in pixels of PNG bytes, read from the header.

    >>> import matplotlib.figure
    >>> buffer = io.BytesIO()
    >>> matplotlib.figure.Figure(figsize=(2, 1)).savefig(buffer, format="png", dpi=50)
    >>> png_size(buffer.getvalue())
    (100, 50)
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError(f"png must be the bytes of a PNG file, got {png[:16]!r}...")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def screen_png(figure, pixel_ratio: int = PIXEL_RATIO) -> tuple[bytes, int, int]:
    """The figure as a PNG for the screen, and the size to show it at.

    Renders at ``DPI * pixel_ratio`` dots per inch and returns ``(png, css_width,
    css_height)`` with the CSS size = pixel size / ``pixel_ratio`` (rounded): show
    the PNG that wide (``<img width=css_width>``) and it is sharp on a screen with
    ``pixel_ratio`` device pixels per CSS pixel, with text at its intended size.

    >>> figure = new_figure(4, 2)
    >>> _ = figure.add_subplot().set_title("a title")
    >>> png, width, height = screen_png(figure)   # 4 inches at 90 CSS px per inch, cropped to what is drawn
    >>> png_size(png) == (2 * width, 2 * height), 300 < width < 5 * DPI
    (True, True)
    """
    png = figure_png(figure, dpi=DPI * pixel_ratio)
    width, height = png_size(png)
    return png, round(width / pixel_ratio), round(height / pixel_ratio)


class ShownFigure(matplotlib.figure.Figure):
    """A bare ``matplotlib.figure.Figure`` (not registered with pyplot) that a notebook shows as a PNG.

    Jupyter shows a plain bare ``Figure`` as a picture only once pyplot's inline
    backend has registered its display hook (after the notebook's first pyplot
    figure); before that it shows the text ``<Figure ...>``. This one displays
    itself (``_ipython_display_``) whenever it is the last expression of a cell,
    as :func:`show` displays any figure: sharp on high-DPI screens and projectors,
    with its description and its smallest text size in the output's metadata
    (what the slide decks use). Its text form reads like a plain ``Figure``'s.

    >>> figure = ShownFigure(figsize=(2, 1))
    >>> figure._repr_png_()[:4], repr(figure)
    (b'\\x89PNG', '<Figure size 200x100 with 0 Axes>')
    """

    def _repr_png_(self) -> bytes:
        return figure_png(self, dpi=self.dpi)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The PNG and its metadata, as :func:`display_bundle` makes them (for viewers that ask for a
        bundle).

        >>> figure = ShownFigure(figsize=(2, 1))
        >>> _ = figure.suptitle("a title")
        >>> data, metadata = figure._repr_mimebundle_()
        >>> sorted(data), metadata["image/png"]["alt"]
        (['image/png', 'text/plain'], 'a title')
        """
        return display_bundle(self)

    def _ipython_display_(self):
        show(self)

    def __repr__(self) -> str:
        return matplotlib.figure.Figure.__repr__(self).replace(type(self).__name__, "Figure", 1)


def text_px(figure, dpi: float = DPI) -> float | None:
    """The size, in CSS pixels, of the smallest visible text in ``figure`` when it is shown ``dpi`` CSS
    pixels per inch (as :func:`screen_png` shows it): tick labels, legends, titles, labels, numbers in
    cells. ``None`` when the figure has no text. A slide deck enlarges a picture until this is at least
    its plot size (14 px).

    >>> import matplotlib.figure
    >>> figure = matplotlib.figure.Figure()
    >>> ax = figure.add_subplot()
    >>> _ = ax.set_title("t", fontsize=16), ax.tick_params(labelsize=8)
    >>> text_px(figure)  # 8 pt at 90 CSS px per inch
    10.0
    """
    import matplotlib.text

    figure.draw_without_rendering()  # tick labels get their text when the figure is drawn
    sizes = [
        text.get_fontsize()
        for text in figure.findobj(matplotlib.text.Text)
        if text.get_visible() and text.get_text().strip() and (text.axes is None or text.axes.get_visible())
    ]
    return round(min(sizes) * dpi / 72, 2) if sizes else None


def display_bundle(figure) -> tuple[dict, dict]:
    """``(data, metadata)`` to display ``figure`` in a notebook: the PNG of :func:`screen_png` (twice
    the pixel density), its text form, and metadata
    ``{"image/png": {"width": CSS width, "alt": description, "text_px": smallest text}}``
    (:func:`figure_description`, :func:`text_px`).

    >>> import matplotlib.figure
    >>> figure = matplotlib.figure.Figure(figsize=(4, 2))
    >>> _ = figure.add_subplot().set_title("waves", fontsize=12)
    >>> data, metadata = display_bundle(figure)
    >>> abs(png_size(base64.b64decode(data["image/png"]))[0] - 2 * metadata["image/png"]["width"]) <= 1
    True
    >>> metadata["image/png"]["alt"], metadata["image/png"]["text_px"] < 15  # tick labels: 10 pt
    ('waves', True)
    """
    png, width, _ = screen_png(figure)
    metadata = {"width": width, "alt": figure_description(figure)}
    smallest = text_px(figure)
    if smallest is not None:
        metadata["text_px"] = smallest
    data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": repr(figure)}
    return data, {"image/png": metadata}


def show(figure=None) -> None:
    """Display ``figure`` (default: pyplot's current figure) in a notebook, as a :class:`ShownFigure`
    shows
    itself: sharp, described, with its text size recorded for the slide decks; a pyplot figure is then
    closed, so the inline backend does not show it a second time. Use it instead of ``plt.show()``::

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        ...
        draw.show(fig)
    """
    from IPython.display import display

    if figure is None:
        import matplotlib.pyplot as plt

        figure = plt.gcf()
    if not isinstance(figure, matplotlib.figure.Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}; pass fig from plt.subplots().")
    data, metadata = display_bundle(figure)
    display(data, raw=True, metadata=metadata)
    if type(figure) is not ShownFigure:
        import matplotlib.pyplot as plt

        plt.close(figure)


def new_figure(width: float, height: float, dpi: int | None = None) -> ShownFigure:
    return ShownFigure(figsize=(width, height), dpi=dpi, layout="constrained")


def signal_1d(name, values) -> np.ndarray:
    values = utils.as_array(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D signal, got shape {values.shape}.")
    return values


LINE_STYLES = {  # the named line styles signals_figure accepts
    "faint": dict(color="0.7", lw=1),  # raw, noisy data, behind the rest
    "wide": dict(lw=4, alpha=0.8),  # wide, so that a thinner line drawn after it stays visible on it
    "reference": dict(color="black", ls="--", lw=1.5),  # the truth to compare with
}


def signals_figure(t, panels: list[dict], *, xlabel: str = "t", title: str | None = None, ncols: int = 1):
    """Line plots of signals over a shared axis ``t``, one panel per dict in ``panels``.

    Each panel is a dict with

    - ``"lines"``: ``{label: values}`` or ``{label: (values, style)}``, drawn in
      order, each with a legend entry. ``style`` is a name from
      :data:`LINE_STYLES` (``"faint"``: grey and thin, for noisy data; ``"wide"``:
      a wide line that a thinner one drawn after it stays visible on;
      ``"reference"``: black dashed, for the truth) or a dict of ``Axes.plot``
      keyword arguments. Without a style: the next colour, line width 1.8.
    - ``"title"``, ``"ylabel"``: the panel's labels (optional).
    - ``"ylim"``: ``(low, high)`` to clip the y axis (optional; say so in the title).
    - ``"legend"``: where the legend goes, an ``Axes.legend`` ``loc`` (optional;
      default ``"upper center"``, in one row, with room made for it above the data).

    The panels share the x axis, ``ncols`` of them side by side.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as
        the last expression of a cell to show it).

    >>> t = torch.linspace(0, 1, 50)
    >>> figure = signals_figure(t, [{"title": "two lines", "lines": {"t": t, "1 - t": (1 - t, "reference")}}])
    >>> [line.get_label() for line in figure.axes[0].lines], figure.axes[0].lines[1].get_linestyle()
    (['t', '1 - t'], '--')
    """
    if not panels:
        raise ValueError("panels must list at least one panel (a dict with 'lines'), got none.")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}.")
    t = signal_1d("t", t)
    ncols = min(ncols, len(panels))
    rows = -(-len(panels) // ncols)
    figure = new_figure(10 if ncols == 1 else 5 * ncols, 3.25 * rows + (0.4 if title else 0))
    axes = figure.subplots(rows, ncols, sharex=True, squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        unknown = set(panel) - {"lines", "title", "ylabel", "ylim", "legend"}
        if unknown or not panel.get("lines"):
            raise ValueError(
                f"each panel needs 'lines' and may have 'title', 'ylabel', 'ylim', 'legend'; got keys {sorted(panel)}."
            )
        for label, line in panel["lines"].items():
            values, style = line if isinstance(line, tuple) else (line, None)
            values = utils.as_array(values).ravel()
            if len(values) != len(t):
                raise ValueError(f"line {label!r} has {len(values)} values but t has {len(t)}.")
            if isinstance(style, str):
                if style not in LINE_STYLES:
                    raise ValueError(
                        f"unknown line style {style!r} for {label!r}: use one of {sorted(LINE_STYLES)} or a dict."
                    )
                style = LINE_STYLES[style]
            ax.plot(t, values, label=label, **{"lw": 1.8, **(style or {})})
        loc = panel.get("legend", "upper center")
        if "ylim" in panel:
            ax.set_ylim(*panel["ylim"])
        elif loc == "upper center":  # make room above the data for a one-row legend
            low, high = ax.get_ylim()
            ax.set_ylim(low, high + 0.3 * (high - low))
        ax.legend(loc=loc, fontsize=FONTSIZE - 1, ncol=len(panel["lines"]) if loc == "upper center" else 1)
        ax.set_title(panel.get("title", ""))
        ax.set_ylabel(panel.get("ylabel", ""))
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    if title:
        figure.suptitle(title)
    return figure


def draw_slice_rows(figure, rows, *, title: str | None = None, xlabel: str | None = "W", ylabel: str | None = "H"):
    """Draw rows of 2-D slices (frames of a video, depth slices of a volume), one colour scale per row.

    Each row is a dict:

    - ``"images"``: a list of 2-D ``(H, W)`` tensors or arrays, or RGB images
      ``(3, H, W)`` with values in ``[0, 1]`` (channels first, as torch keeps them);
    - ``"titles"`` (optional): one title per image;
    - ``"cmap"`` (optional): colour map of the row's 2-D images. Default: ``"RdBu_r"``
      centred on 0 for signed data (values below and above 0, as the dimension
      slicer draws them), ``"gray"`` otherwise;
    - ``"vmin"``, ``"vmax"`` (optional): the colour range. Default: symmetric about 0
      for signed data, else from ``min(0, lowest value)`` to the highest value;
    - ``"shared"`` (optional, default ``True``): one range and one colour bar for the
      whole row; ``False`` gives each image its own range and colour bar;
    - ``"label"`` (optional): the label of the row's colour bar(s);
    - ``"xlabel"``, ``"ylabel"`` (optional): axis labels for this row, in place of
      the figure-wide ``xlabel`` (under the bottom row) and ``ylabel`` (left of the
      first column).

    RGB images get no colour bar. Rows may hold different numbers of images; unused
    panels are removed.

    Args:
        figure: a matplotlib ``Figure``, e.g. ``plt.figure(figsize=(10, 5), layout="constrained")``.
        rows: the list of row dicts.
        title: the figure's title.
        xlabel, ylabel: axis labels, e.g. ``"W (pixels)"``; ``None`` for none.

    Returns:
        The 2-D numpy array of ``Axes`` (rows x columns).

    >>> import matplotlib.figure
    >>> figure = matplotlib.figure.Figure(figsize=(6, 4), layout="constrained")
    >>> ramp = torch.arange(16.0).reshape(4, 4)
    >>> axes = draw_slice_rows(figure, [{"images": [ramp, ramp.T], "titles": ["ramp", "its transpose"]},
    ...                                 {"images": [ramp - 8], "label": "signed"}], title="two rows")
    >>> axes.shape, axes[0, 1].get_title(), axes[1, 0].images[0].get_cmap().name, axes[1, 0].images[0].get_clim()
    ((2, 2), 'its transpose', 'RdBu_r', (-8.0, 8.0))
    """
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValueError(f"rows must be a non-empty list of dicts with an 'images' list, got {rows!r}.")
    known = {"images", "titles", "cmap", "vmin", "vmax", "shared", "label", "xlabel", "ylabel"}
    prepared = []
    for r, row in enumerate(rows):
        if not isinstance(row, dict) or "images" not in row:
            raise ValueError(f"rows[{r}] must be a dict with an 'images' list, got {row!r}.")
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"rows[{r}] has unknown keys {sorted(unknown)}; the keys are {sorted(known)}.")
        images = [_slice_image(f"rows[{r}]['images'][{c}]", image) for c, image in enumerate(row["images"])]
        if not images:
            raise ValueError(f"rows[{r}]['images'] is empty; give at least one image.")
        titles = list(row.get("titles", [None] * len(images)))
        if len(titles) != len(images):
            raise ValueError(f"rows[{r}] has {len(images)} images but {len(titles)} titles; give one title per image.")
        prepared.append((row, images, titles))
    n_cols = max(len(images) for _, images, _ in prepared)
    axes = figure.subplots(len(prepared), n_cols, squeeze=False)
    for r, (row, images, titles) in enumerate(prepared):
        scalar = [c for c, image in enumerate(images) if image.ndim == 2]
        groups = [scalar] if row.get("shared", True) else [[c] for c in scalar]
        scales = {}
        for group in groups:
            if group:
                scale = _slice_scale([images[c] for c in group], row)
                scales.update((c, scale) for c in group)
        shown = {}
        for c, ax in enumerate(axes[r]):
            if c >= len(images):
                ax.remove()
                continue
            image = images[c]
            if image.ndim == 3:
                ax.imshow(np.clip(image.transpose(1, 2, 0), 0, 1), interpolation="nearest")
            else:
                cmap, vmin, vmax = scales[c]
                shown[c] = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            if titles[c]:
                ax.set_title(titles[c], fontsize=FONTSIZE - 1)
            for axis in (ax.xaxis, ax.yaxis):  # pixel indices: whole numbers only
                axis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
            ax.tick_params(labelsize=FONTSIZE - 2)
            x_text = row["xlabel"] if "xlabel" in row else (xlabel if r == len(prepared) - 1 else None)
            y_text = row.get("ylabel", ylabel) if c == 0 else None
            if x_text:
                ax.set_xlabel(x_text, fontsize=FONTSIZE - 1)
            if y_text:
                ax.set_ylabel(y_text, fontsize=FONTSIZE - 1)
        if not shown:
            continue
        if row.get("shared", True):
            used = [ax for c, ax in enumerate(axes[r]) if c < len(images)]
            bar = figure.colorbar(next(iter(shown.values())), ax=used, shrink=0.85)
            bars = [bar]
        else:
            bars = [figure.colorbar(image, ax=axes[r, c], shrink=0.85) for c, image in shown.items()]
        for bar in bars:
            bar.ax.tick_params(labelsize=FONTSIZE - 2)
            if row.get("label"):
                bar.set_label(row["label"], fontsize=FONTSIZE - 1)
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return axes


def _slice_image(name: str, image) -> np.ndarray:
    """A 2-D image, or an RGB image (3, H, W), as a float64 array."""
    array = utils.as_array(image)
    if array.ndim == 2 or (array.ndim == 3 and array.shape[0] == 3):
        return array
    raise ValueError(
        f"{name} must be a 2-D slice (H, W) or an RGB image (3, H, W), got shape {array.shape}; "
        "index the other axes first, e.g. video[:, t] for frame t of a (C, D, H, W) video."
    )


def _slice_scale(images, row) -> tuple:
    """``(cmap, vmin, vmax)`` for images drawn on one colour scale."""
    low = min(float(np.nanmin(image)) for image in images)
    high = max(float(np.nanmax(image)) for image in images)
    signed = low < 0 < high
    if signed:
        limit = max(-low, high)
        low, high = -limit, limit
    else:
        low = min(low, 0.0)
    if low == high:
        high = low + 1
    cmap = row.get("cmap", "RdBu_r" if signed else "gray")
    return cmap, row.get("vmin", low), row.get("vmax", high)
