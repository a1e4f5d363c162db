"""Small matplotlib helpers for the lessons and the widgets.

- :func:`draw_grid` draws a 1-D or 2-D array as a grid of cells, optionally
  with the numbers written in, some cells outlined (a receptive field, the
  output cell a window produces) and some cells hatched (zero padding).
- :func:`draw_placements` draws where every placement of a 1-D kernel lands on
  the padded input: the picture behind the output-size formula
  (:func:`kernel_placements` lists them).
- :func:`figure_png` renders a figure to PNG bytes.

They draw on an ``Axes`` you pass in, so they work both with ``pyplot``
(``fig, ax = plt.subplots(); draw_grid(ax, x)``) and with a bare
``matplotlib.figure.Figure`` (what the widgets use, so no figure piles up in
pyplot's list of open figures).
"""
from __future__ import annotations

import io

import matplotlib.colors
import matplotlib.patches
import matplotlib.ticker
import numpy as np
import torch

from course_lib import shapes

HIGHLIGHT = "#d62728"  # red: the cells a kernel placement touches
PADDING = "#7f7f7f"  # grey hatching: zero padding
FONTSIZE = 11


def as_array(values) -> np.ndarray:
    """A float64 numpy copy of a tensor, array or nested list."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().to(torch.float64).numpy()
    return np.array(values, dtype=np.float64)


def format_number(value: float, digits: int = 3) -> str:
    """Short text for a cell or a term: ``2``, ``-0.5``, ``0.333``, ``1.2e+03``."""
    value = float(value)
    if value == 0:
        return "0"  # no "-0"
    if value == round(value) and abs(value) < 10**digits:
        return str(int(round(value)))
    return f"{value:.{digits}g}"


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
    """
    grid = as_array(values)
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
                ax.text(c0 + c, r0 + r, format_number(v, digits), ha="center", va="center",
                        fontsize=size, color=_text_colour(colormap(norm(v)))).set_in_layout(False)
    for (mask, style) in zip(masks, ("highlight", "padding")):
        if mask is None:
            continue
        for r, c in zip(*np.nonzero(mask)):
            ax.add_patch(_cell_patch(c0 + c, r0 + r, style, highlight_color)).set_in_layout(False)
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
    mask = as_array(mask).astype(bool)
    if one_row and mask.ndim == 1:
        mask = mask[None, :]
    if mask.shape != shape:
        raise ValueError(f"{name} must have the shape of values {shape}, got {mask.shape}.")
    return mask


def _text_colour(rgba) -> str:
    red, green, blue = rgba[:3]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


def _cell_patch(x, y, style, colour):
    if style == "highlight":
        return matplotlib.patches.Rectangle(
            (x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor=colour, linewidth=3, gid="highlight", zorder=3
        )
    return matplotlib.patches.Rectangle(
        (x - 0.5, y - 0.5), 1, 1, facecolor="none", edgecolor=PADDING, hatch="///", linewidth=0, gid="padding", zorder=2
    )


def kernel_placements(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> list[list[int]]:
    """The input indices each placement of a 1-D kernel reads, with ``padding`` zeros on each side.

    Placement ``j`` starts at padded position ``j*s`` and reads ``k`` cells ``d``
    apart; as input indices that is ``j*s + t*d - p`` for taps ``t = 0..k-1``
    (negative, or ``>= size``: a padding zero). Only placements that fit are
    listed, so there are ``floor((i + 2p - d(k-1) - 1)/s) + 1`` of them (none if
    the kernel does not fit).

    >>> kernel_placements(5, 2, stride=2, padding=1, dilation=2)
    [[-1, 1], [1, 3], [3, 5]]
    """
    count = max(0, shapes.output_length(size, kernel_size, stride, 2 * padding, dilation))
    return [[j * stride + t * dilation - padding for t in range(kernel_size)] for j in range(count)]


def draw_placements(ax, size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    """Draw where each placement of a 1-D kernel lands on the zero-padded input.

    Row ``input`` is the padded input, numbered by original index on the x axis
    (padding cells hatched with a 0, cells no placement reads outlined in red);
    row ``out[j]`` marks the ``k`` cells placement ``j`` reads (see
    :func:`kernel_placements`) with the kernel tap number in each. If not even
    the first placement fits, it is drawn in red, sticking out past the end.

    Returns:
        :func:`kernel_placements` of the arguments. The tap boxes carry
        ``gid="tap"`` and the red outlines ``gid="highlight"``.
    """
    placements = kernel_placements(size, kernel_size, stride, padding, dilation)
    touched = {c for taps in placements for c in taps}
    for c in range(-padding, size + padding):
        in_input = 0 <= c < size
        ax.add_patch(matplotlib.patches.Rectangle(
            (c - 0.5, -0.5), 1, 1, facecolor="white" if in_input else "#dddddd",
            edgecolor="black", linewidth=1, hatch=None if in_input else "///"))
        if not in_input:
            ax.text(c, 0, "0", ha="center", va="center", fontsize=FONTSIZE - 1, zorder=3,
                    bbox=dict(facecolor="white", edgecolor="none", pad=1))
        elif placements and c not in touched:
            ax.add_patch(_cell_patch(c, 0, "highlight", HIGHLIGHT))
    rows = placements or [[t * dilation - padding for t in range(kernel_size)]]
    colour = "#1f77b4" if placements else HIGHLIGHT
    for j, taps in enumerate(rows, start=1):
        ax.plot([taps[0], taps[-1]], [j, j], color=colour, linewidth=1.5, zorder=1)
        for t, c in enumerate(taps):
            ax.add_patch(matplotlib.patches.Rectangle(
                (c - 0.4, j - 0.4), 0.8, 0.8, facecolor=colour, edgecolor="black", zorder=2, gid="tap"))
            ax.text(c, j, str(t), ha="center", va="center", fontsize=FONTSIZE - 1, color="white", zorder=3)
    ax.set_xlim(-padding - 0.6, max(size + padding, rows[-1][-1] + 1) - 0.4)
    ax.set_ylim(len(rows) + 0.6, -0.6)
    ax.set_yticks(range(len(rows) + 1))
    names = [f"out[{j}]" for j in range(len(rows))] if placements else ["does not fit"]
    ax.set_yticklabels(["input"] + names, fontsize=FONTSIZE - 1)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.tick_params(axis="x", labelsize=FONTSIZE - 1)
    ax.set_xlabel("input index (padding at negative indices and past the end)", fontsize=FONTSIZE)
    ax.set_aspect("equal")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return placements


def figure_png(figure, dpi: int = 90) -> bytes:
    """The figure rendered as PNG bytes (works without pyplot)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()
