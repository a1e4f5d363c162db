"""Small matplotlib helpers for the lessons and the widgets.

- :func:`draw_grid` draws a 1-D or 2-D array as a grid of cells, optionally
  with the numbers written in, some cells outlined (a receptive field, the
  output cell a window produces) and some cells hatched (zero padding).
- :func:`draw_placements` draws where every placement of a 1-D kernel lands on
  the padded input: the picture behind the output-size formula
  (:func:`kernel_placements` lists them).
- :func:`figure_png` renders a figure to PNG bytes; :func:`screen_png` renders
  it sharp for high-DPI screens and says at which CSS size to show it;
  :func:`figure_description` describes it in a line (its pictures' alternative text).
- The widgets' pictures (``course_lib.widgets`` keeps the controls and the
  arithmetic and draws with these): :func:`draw_slice` (dimension slicer),
  :func:`draw_kernel_stepper` (kernel stepper), :func:`draw_output_size`
  (output-size explorer).
- Lesson 01's figures, each one call returning a bare ``Figure``:
  :func:`window_figure` (the taps a 1-D kernel reads for one output),
  :func:`padding_figure` (what padding adds at each end),
  :func:`signals_figure` (signals over a shared axis, panel by panel).
- :func:`draw_slice_rows` draws rows of 2-D slices of video and volumes (lessons
  03 and 04), one colour scale per row, diverging and centred on 0 for signed data.
- Lesson 02: :func:`window_sums_figure` (one panel per output cell of a small
  2-D convolution: the input cells its window reads and their sum; returns a
  bare ``Figure`` and the sums).
- Lesson 07 (transposed convolution): :func:`draw_scatter_stepper` (the scatter
  stepper's picture), :func:`overlap_counts_figure` (grids of counts, e.g. how many
  kernel stamps hit each output cell).
- Lesson 06 (grouped and separable): :func:`group_connections_figure` (which
  channels a grouped weight connects), :func:`channel_change_figure` (which output
  channels a change reaches), :func:`kernel_factorisation_figure` (a kernel's SVD:
  rank-1 part and singular values), :func:`block_costs_figure` (parameters and MACs
  of several blocks as bars).
- Lesson 05 (vectorising): :func:`strided_view_figure` (which storage element
  each element of a strided view reads), :func:`matrix_figure` (a sparse matrix,
  zeros blank), :func:`im2col_memory_figure` (bytes of the column matrix against
  the kernel size), :func:`scaling_figure` (log-log time against size).
- Lesson 08 (upsampling): :func:`sampling_figure` (where the outputs of a 1-D
  resize sit on the input and which inputs each reads, with what weight).
- Lesson 09 (capstone): :func:`kernels_figure` (a layer's kernels on one
  diverging scale), :func:`segmentation_figure` (input, true mask, prediction),
  :func:`training_figure` (loss and test accuracy against the step).

They draw on an ``Axes`` you pass in, so they work both with ``pyplot``
(``fig, ax = plt.subplots(); draw_grid(ax, x)``) and with a bare
``matplotlib.figure.Figure`` (what the widgets use, so no figure piles up in
pyplot's list of open figures).
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

from course_lib import shapes

HIGHLIGHT = "#d62728"  # red: the cells a kernel placement touches
PADDING = "#7f7f7f"  # grey hatching: zero padding
FONTSIZE = 13
"""Points of the pictures' text (titles one more, tick labels one less): at :data:`DPI` 90 CSS pixels per inch the
tick labels are 15 px, readable on a 1280x720 projector (the decks' rule: plot text at least 14 px)."""


def as_array(values) -> np.ndarray:
    """A float64 numpy copy of a tensor, array or nested list (any shape).

    >>> as_array(torch.tensor([[1, 2]]))
    array([[1., 2.]])
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().to(torch.float64).numpy()
    return np.array(values, dtype=np.float64)


def format_number(value: float, digits: int = 3) -> str:
    """Short text for a cell or a term: ``2``, ``-0.5``, ``0.333``, ``1.2e+03``.

    >>> [format_number(v) for v in (2.0, -0.0, -0.5, 1 / 3, 1234.5)]
    ['2', '0', '-0.5', '0.333', '1.23e+03']
    """
    value = float(value)
    if value == 0:
        return "0"  # no "-0"
    if value == round(value) and abs(value) < 10**digits:
        return str(int(round(value)))
    return f"{value:.{digits}g}"


def format_seconds(seconds: float) -> str:
    """A duration with its unit, for tables and time axes.

    >>> format_seconds(0.002), format_seconds(1.5), format_seconds(3.2e-5)
    ('2 ms', '1.5 s', '32 µs')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale * 0.999:
            return f"{format_number(seconds / scale)} {unit}"
    return f"{format_number(seconds / 1e-9)} ns"


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


def draw_placements(ax, size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                    fontsize: float | None = None):
    """Draw where each placement of a 1-D kernel lands on the zero-padded input.

    Row ``input`` is the padded input, numbered by original index on the x axis
    (padding cells hatched with a 0, cells no placement reads outlined in red);
    row ``out[j]`` marks the ``k`` cells placement ``j`` reads (see
    :func:`kernel_placements`) with the kernel tap number in each. If not even
    the first placement fits, it is drawn in red, sticking out past the end.

    ``fontsize`` (points) is that of the numbers in the cells (default 10).

    Returns:
        :func:`kernel_placements` of the arguments. The tap boxes carry
        ``gid="tap"`` and the red outlines ``gid="highlight"``.

    >>> import matplotlib.figure
    >>> ax = matplotlib.figure.Figure().add_subplot()
    >>> draw_placements(ax, 5, 2, stride=2, padding=1, dilation=2)
    [[-1, 1], [1, 3], [3, 5]]
    >>> sorted(round(p.get_x() + 0.5) for p in ax.patches if p.get_gid() == "highlight")  # never read
    [0, 2, 4]
    """
    fontsize = FONTSIZE - 1 if fontsize is None else fontsize
    placements = kernel_placements(size, kernel_size, stride, padding, dilation)
    touched = {c for taps in placements for c in taps}
    for c in range(-padding, size + padding):
        in_input = 0 <= c < size
        ax.add_patch(matplotlib.patches.Rectangle(
            (c - 0.5, -0.5), 1, 1, facecolor="white" if in_input else "#dddddd",
            edgecolor="black", linewidth=1, hatch=None if in_input else "///"))
        if not in_input:
            ax.text(c, 0, "0", ha="center", va="center", fontsize=fontsize, zorder=3,
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
            ax.text(c, j, str(t), ha="center", va="center", fontsize=fontsize, color="white", zorder=3)
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


WINDOW_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")


def window_sums_figure(input, weight, stride=1, padding=0, dilation=1, *, columns: int | None = None,
                       dpi: int = 80):
    """One small panel per output cell of a single-channel 2-D convolution, showing the cells its window
    reads.

    Lesson 02's worked example of stride, padding and dilation. Panel ``(r, c)``
    shows the zero-padded input, numbered by **input index** as the kernel
    stepper numbers it (padding at negative indices and past the end, hatched),
    with the ``kh * kw`` cells ``out[r, c]`` reads filled and outlined in the
    panel's own colour; its title gives the result and the sum written out
    (the plain sum of the cells when every weight is 1). Windows overlap when
    the stride is smaller than the kernel's span, so each window gets a panel
    of its own and nothing is drawn over anything else. A last panel shows the
    output, each cell outlined in the colour of its panel.

    Args:
        input: ``(H, W)`` tensor (one channel, no batch axis).
        weight: ``(kh, kw)`` tensor.
        stride, padding, dilation: as in ``F.conv2d`` (an int or a pair;
            padding also ``"valid"`` or ``"same"``); zero padding.
        columns: panels per row. Default: the output's width, so panel ``(r, c)`` sits in row
            ``r``, column ``c``, and the output to their right. A number lays the panels and then
            the output out in rows of that many, in reading order: fewer, wider rows for a 16:9
            slide.
        dpi: resolution of the figure.

    Returns:
        ``(figure, sums)``: a ``matplotlib.figure.Figure`` (not registered with
        pyplot: leave it as the last expression of a cell to show it) and the
        ``(H_out, W_out)`` float64 tensor of the panels' results, which equals
        ``F.conv2d(input[None, None], weight[None, None], ...)[0, 0]``.
        At most 25 output cells (5x5): pick a smaller example for more.

    >>> ramp, ones = torch.arange(25.0).reshape(5, 5), torch.ones(2, 2)
    >>> figure, sums = window_sums_figure(ramp, ones, stride=2, padding=1, dilation=2)
    >>> sums
    tensor([[ 6., 14.,  8.],
            [22., 48., 26.],
            [16., 34., 18.]], dtype=torch.float64)
    >>> len(figure.axes), figure.axes[1].get_title()   # 3x3 panels and the output
    (10, 'out[0, 1] = 14\\n0 + 0 + 6 + 8')
    >>> wide, _ = window_sums_figure(ramp, ones, stride=2, padding=1, dilation=2, columns=5)
    >>> spec = wide.axes[-1].get_subplotspec()   # two rows of 5; the output in the last place
    >>> spec.get_geometry()[:2], (spec.rowspan.start, spec.colspan.start)
    ((2, 5), (1, 4))
    """
    import matplotlib.figure

    from course_lib import utils

    utils.check_tensor("input", input)
    utils.check_tensor("weight", weight)
    if input.dim() != 2 or weight.dim() != 2:
        raise ValueError(
            f"input must be (H, W) and weight (kh, kw), got shapes {tuple(input.shape)} and {tuple(weight.shape)}; "
            "pick one channel of one sample, e.g. x[0, 0] and w[0, 0]."
        )
    x = input.detach().cpu().to(torch.float64)
    w = weight.detach().cpu().to(torch.float64)
    kernel = tuple(w.shape)
    stride = utils.as_tuple("stride", stride, 2, minimum=1)
    dilation = utils.as_tuple("dilation", dilation, 2, minimum=1)
    pads = shapes.conv_padding(padding, kernel, stride, dilation)
    out_size = tuple(
        shapes.output_length(i, k, s, before + after, d)
        for i, k, s, (before, after), d in zip(x.shape, kernel, stride, pads, dilation)
    )
    if min(out_size) < 1:
        raise ValueError(
            f"the {kernel[0]}x{kernel[1]} kernel with dilation {dilation} does not fit in the padded "
            f"{tuple(x.shape)} input (padding {pads}): there is no output cell to draw."
        )
    if out_size[0] * out_size[1] > 25:
        raise ValueError(
            f"the output is {out_size[0]}x{out_size[1]}: one panel per output cell would be more than 25 panels. "
            "Use a smaller input or a larger stride."
        )
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int) or columns < 1):
        raise ValueError(f"columns must be a positive int (panels per row) or None, got {columns!r}.")
    (top, bottom), (left, right) = pads
    padded = torch.zeros(x.shape[0] + top + bottom, x.shape[1] + left + right, dtype=torch.float64)
    padded[top:top + x.shape[0], left:left + x.shape[1]] = x
    is_padding = torch.ones_like(padded, dtype=torch.bool)
    is_padding[top:top + x.shape[0], left:left + x.shape[1]] = False
    plain_sum = bool((w == 1).all())

    oh, ow = out_size
    if columns is None:  # panel (r, c) at (r, c), the output to the right of the middle row
        place = {(r, c): (r, c) for r in range(oh) for c in range(ow)} | {"out": (oh // 2, ow)}
        shape = (oh, ow + 1)
    else:  # reading order, in rows of `columns`
        place = {(r, c): divmod(r * ow + c, columns) for r in range(oh) for c in range(ow)}
        place["out"] = divmod(oh * ow, columns)
        shape = (place["out"][0] + 1, min(columns, oh * ow + 1))
    side = 2.3  # inches per panel
    figure = _bare_figure(side * shape[1] + 0.6, (side + 0.45) * shape[0] + 0.9, dpi=dpi)
    grid = figure.add_gridspec(*shape)
    white = matplotlib.colors.ListedColormap(["white"])
    rows_shown, cols_shown = range(-top, x.shape[0] + bottom), range(-left, x.shape[1] + right)
    sums = torch.zeros(out_size, dtype=torch.float64)
    for r in range(oh):
        for c in range(ow):
            colour = WINDOW_COLOURS[(r * ow + c) % len(WINDOW_COLOURS)]
            rows = [r * stride[0] + u * dilation[0] for u in range(kernel[0])]  # padded indices
            cols = [c * stride[1] + v * dilation[1] for v in range(kernel[1])]
            values = padded[rows][:, cols]
            sums[r, c] = (values * w).sum()
            ax = figure.add_subplot(grid[place[r, c]])
            draw_grid(ax, padded, padding=is_padding, first_index=(-top, -left), cmap=white, annotate=True)
            for u, rr in enumerate(rows):
                for v, cc in enumerate(cols):
                    ax.add_patch(matplotlib.patches.Rectangle(
                        (cc - left - 0.5, rr - top - 0.5), 1, 1, facecolor=colour, alpha=0.3, edgecolor="none",
                        zorder=1, gid="window")).set_in_layout(False)
                    ax.add_patch(_cell_patch(cc - left, rr - top, "highlight", colour)).set_in_layout(False)
            if plain_sum:
                written = " + ".join(format_number(v) for v in values.flatten().tolist())
            else:
                written = "sum of x*w (coloured)"
            ax.set_title(f"out[{r}, {c}] = {format_number(sums[r, c].item(), 6)}\n{written}",
                         fontsize=FONTSIZE, color=colour)
            ax.set_xticks(list(cols_shown))
            ax.set_yticks(list(rows_shown))
            ax.tick_params(labelsize=FONTSIZE - 2)
            if (place[r, c][0] + 1, place[r, c][1]) not in place.values():  # no panel below
                ax.set_xlabel("W (input index)", fontsize=FONTSIZE - 1)
            if place[r, c][1] == 0:
                ax.set_ylabel("H (input index)", fontsize=FONTSIZE - 1)
    ax = figure.add_subplot(grid[place["out"]])
    draw_grid(ax, sums, cmap=white, annotate=True, digits=6, title="output out", xlabel="W_out", ylabel="H_out")
    for r in range(oh):
        for c in range(ow):
            colour = WINDOW_COLOURS[(r * ow + c) % len(WINDOW_COLOURS)]
            ax.add_patch(matplotlib.patches.Rectangle(
                (c - 0.5, r - 0.5), 1, 1, facecolor=colour, alpha=0.3, edgecolor="none", zorder=1)).set_in_layout(False)
            ax.add_patch(matplotlib.patches.Rectangle(  # inset, so neighbouring outlines do not touch
                (c - 0.42, r - 0.42), 0.84, 0.84, fill=False, edgecolor=colour, linewidth=3, zorder=3,
                gid="highlight")).set_in_layout(False)
    ax.set_xticks(range(ow))
    ax.set_yticks(range(oh))
    symmetric = all(before == after for before, after in pads)
    padding_text = _pair([before for before, _ in pads]) if symmetric else str(pads)
    settings = f"stride {_pair(stride)}, padding {padding_text}, dilation {_pair(dilation)}"
    figure.suptitle(
        f"{kernel[0]}x{kernel[1]} kernel, {settings}: panel (r, c) shows the cells out[r, c] reads\n"
        "(hatched: zero padding; coordinates are input indices)", fontsize=FONTSIZE + 1)
    return figure, sums


def _pair(values) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else str(values)


ALT_LENGTH = 250
"""The most characters :func:`figure_description` returns (a longer description ends with an ellipsis)."""


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


# ----------------------------------------------------------------------------
# The widgets' pictures: draw_slice (dimension slicer), draw_kernel_stepper
# (kernel stepper), draw_output_size (output-size explorer), and screen_png to
# show them sharp and at their intended size. course_lib.widgets keeps the
# controls, the state and the arithmetic; these take plain data (arrays, index
# tuples, ints) and return a bare Figure (not registered with pyplot), sized so
# that the whole widget fits on a laptop screen.
# ----------------------------------------------------------------------------

DPI = 90
"""CSS pixels per inch of a widget's figure: a figure ``w`` inches wide is shown
``w * DPI`` CSS pixels wide, where its 11-point text is about as large as the notebook's."""

PIXEL_RATIO = 2
"""Device pixels per CSS pixel of a widget's PNG: it is rendered at ``DPI * PIXEL_RATIO``
dots per inch and shown at ``1 / PIXEL_RATIO`` of its pixel size, so it is sharp on
high-DPI screens and no larger than intended on others."""

MAX_WIDTH = 9.5
"""Widest widget figure, inches (855 CSS pixels: the notebook column of a laptop screen)."""


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

    >>> png, width, height = screen_png(draw_output_size(7, 3))
    >>> png_size(png) == (2 * width, 2 * height) or abs(png_size(png)[0] - 2 * width) <= 1
    True
    >>> 300 < width < 9.5 * DPI
    True
    """
    png = figure_png(figure, dpi=DPI * pixel_ratio)
    width, height = png_size(png)
    return png, round(width / pixel_ratio), round(height / pixel_ratio)


def _widget_figure(width: float, height: float):
    return matplotlib.figure.Figure(figsize=(min(width, MAX_WIDTH), height), layout="constrained")


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
    grid = as_array(image)
    if grid.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {grid.shape}.")
    rows, cols = grid.shape
    finite = grid[np.isfinite(grid)]
    vmin = (float(finite.min()) if finite.size else 0.0) if vmin is None else float(vmin)
    vmax = (float(finite.max()) if finite.size else 1.0) if vmax is None else float(vmax)
    if signed:
        vmax = max(abs(vmin), abs(vmax))
        vmin = -vmax
    width = _clamp(height * cols / rows + 1.8, 4.5, MAX_WIDTH)
    if cols / rows <= 4:  # drawn with square cells: no taller than the image needs, so the colour bar fits it
        height = min(height, (width - 1.8) * rows / cols + 1.2)
    figure = _widget_figure(width, height)
    ax = figure.add_subplot()
    draw_grid(ax, grid, annotate=max(rows, cols) <= 10, vmin=vmin, vmax=vmax, cmap="RdBu_r" if signed else "viridis",
              colorbar=True, title=title, xlabel=xlabel, ylabel=ylabel)
    if not 0.25 <= cols / rows <= 4:  # a long thin slice, e.g. C x W: stretch it
        ax.set_aspect("auto")
    return figure


def draw_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    """The output-size explorer's picture: :func:`draw_placements` with a title that gives ``o``.

    Args: as :func:`kernel_placements` (``i, k, s, p, d`` of a 1-D convolution, ints).
    The figure grows with the number of cells and placements up to 9.5 x 5 inches;
    past that the cells (and the tap numbers in them) get smaller.

    Returns:
        A bare ``Figure`` with one ``Axes`` (rows ``input``, ``out[0]``, ``out[1]``, ...).

    >>> figure = draw_output_size(5, 2, stride=2, padding=1, dilation=2)
    >>> print(figure.axes[0].get_title())
    i=5, k=2, s=2, p=1, d=2: o = 3
    boxes: the cells each placement reads, numbered by kernel tap
    >>> [t.get_text() for t in figure.axes[0].get_yticklabels()]
    ['input', 'out[0]', 'out[1]', 'out[2]']
    """
    placements = kernel_placements(size, kernel_size, stride, padding, dilation)
    rows = max(len(placements), 1) + 1
    span = dilation * (kernel_size - 1) + 1
    cols = max(size + 2 * padding, span + (0 if placements else padding)) + 1
    cell = min(0.4, 3.4 / rows, (MAX_WIDTH - 1.6) / cols)  # inches per cell
    figure = _widget_figure(cell * cols + 1.6, cell * rows + 1.5)
    ax = figure.add_subplot()
    draw_placements(ax, size, kernel_size, stride, padding, dilation, fontsize=min(FONTSIZE - 1, 0.6 * 72 * cell))
    title = f"i={size}, k={kernel_size}, s={stride}, p={padding}, d={dilation}: "
    ax.set_title(title + (f"o = {len(placements)}" if placements else "the kernel does not fit")
                 + "\nboxes: the cells each placement reads, numbered by kernel tap", fontsize=FONTSIZE + 1)
    return figure


def draw_kernel_stepper(padded, weight, output, window, position, *, is_padding=None, first_index=None,
                        title: str | None = None):
    """The kernel stepper's picture: one position of a kernel sliding over a 1-D, 2-D or 3-D input.

    Args:
        padded: ``(L,)``, ``(H, W)`` or ``(D, H, W)``: the input with its padding.
        weight: the kernel, same rank: ``(kL,)``, ``(kH, kW)`` or ``(kD, kH, kW)``.
        output: the whole output, same rank.
        window: ``[(kernel index, padded index), ...]``, one pair per tap: the
            cells the kernel reads at ``position`` (``KernelStepper.window()``).
        position: the output index being computed, outlined on the output.
        is_padding: boolean mask over ``padded``, hatched (default: none).
        first_index: the input index of ``padded[0, ..., 0]`` on each axis, for the
            tick labels, e.g. ``(-1, -1)`` for one cell of padding (default: zeros).
        title: the figure's title.

    What is drawn: 1-D: three rows (input, the kernel over the cells it reads,
    output). 2-D: input, kernel, output side by side. 3-D: for each kernel depth
    ``t`` the input slice it reads above the kernel slice ``w[t]``, then the
    output slice at the output's depth. Read cells and the output cell are
    outlined (``gid="highlight"``), padding hatched (``gid="padding"``).

    Returns:
        A bare ``Figure``, axes in that order.

    >>> figure = draw_kernel_stepper(np.arange(5.0), np.array([1.0, -1.0]), np.array([-1.0, -1.0, -1.0, -1.0]),
    ...                              window=[((0,), (1,)), ((1,), (2,))], position=(1,), title="out[1]")
    >>> [ax.get_title() for ax in figure.axes]
    ['input x', 'kernel w, drawn over the cells it reads', 'output out']
    >>> figure.get_suptitle()
    'out[1]'
    """
    padded, weight, output = as_array(padded), as_array(weight), as_array(output)
    n = padded.ndim
    if not 1 <= n <= 3 or weight.ndim != n or output.ndim != n:
        raise ValueError(
            f"padded, weight and output must all be 1-D, 2-D or 3-D with the same rank, got shapes "
            f"{padded.shape}, {weight.shape} and {output.shape}."
        )
    window = [(tuple(k), tuple(cell)) for k, cell in window]
    position = tuple(position)
    is_padding = np.zeros(padded.shape, dtype=bool) if is_padding is None else as_array(is_padding).astype(bool)
    first_index = (0,) * n if first_index is None else tuple(first_index)
    field = np.zeros(padded.shape, dtype=bool)
    for _, cell in window:
        field[cell] = True
    ranges = (
        dict(vmin=float(padded.min()), vmax=float(padded.max()), cmap="viridis"),
        dict(vmin=-(float(np.abs(weight).max()) or 1.0), vmax=float(np.abs(weight).max()) or 1.0, cmap="coolwarm"),
        dict(vmin=float(output.min()), vmax=float(output.max()), cmap="viridis"),
    )
    draw = {1: _stepper_1d, 2: _stepper_2d, 3: _stepper_3d}[n]
    figure = draw(padded, weight, output, window, position, is_padding, first_index, field, ranges)
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
        width, height = figure.get_size_inches()
        figure.set_size_inches(max(width, min(0.08 * len(title) + 0.4, MAX_WIDTH)), height)  # room for the title
    return figure


def _input_title(is_padding) -> str:
    return "zero-padded input x\n(hatched: padding)" if is_padding.any() else "input x"


def _fits(values, cell: float) -> bool:
    """Whether the numbers of ``values``, written as draw_grid writes them, fit in cells ``cell``
    inches wide."""
    widest = max((len(format_number(v, 2)) for v in np.ravel(values) if np.isfinite(v)), default=1)
    return widest * 0.6 * FONTSIZE / 72 <= 0.9 * cell


def _output_mask(shape, position):
    mask = np.zeros(shape, dtype=bool)
    mask[position] = True
    return mask


def _stepper_1d(padded, weight, output, window, position, is_padding, first_index, field, ranges):
    (length,), (out_length,) = padded.shape, output.shape
    x_range, w_range, y_range = ranges
    cell = min(0.5, (MAX_WIDTH - 1.0) / length)
    annotate = _fits(padded, cell) and _fits(weight, cell) and _fits(output, cell)
    figure = _widget_figure(cell * length + 1.0, 3 * cell + 2.9)
    ratios = [out_length, length - out_length] if length > out_length else [1]
    grid = figure.add_gridspec(3, len(ratios), width_ratios=ratios)
    ax_x, ax_w, ax_y = figure.add_subplot(grid[0, :]), figure.add_subplot(grid[1, :]), figure.add_subplot(grid[2, 0])
    start = (0, first_index[0])
    draw_grid(ax_x, padded, highlight=field, padding=is_padding, first_index=start, annotate=annotate,
              title=_input_title(is_padding).replace("\n", " "), xlabel="input index", **x_range)
    placed = np.full(length, np.nan)
    for (k,), (c,) in window:
        placed[c] = weight[k]
    draw_grid(ax_w, placed, first_index=start, annotate=annotate, title="kernel w, drawn over the cells it reads",
              xlabel="input index", **w_range)
    draw_grid(ax_y, output, highlight=_output_mask(output.shape, position), annotate=annotate, title="output out",
              xlabel="output index", **y_range)
    return figure


def _stepper_2d(padded, weight, output, window, position, is_padding, first_index, field, ranges):
    (height, width), (kh, kw), (out_h, out_w) = padded.shape, weight.shape, output.shape
    x_range, w_range, y_range = ranges
    ratios = [width, max(kw, 0.3 * width, 3), max(out_w, 3)]
    cell = min(0.42, (MAX_WIDTH - 2.6) / sum(ratios), 3.6 / height)  # inches per input cell
    figure = _widget_figure(cell * sum(ratios) + 2.6, cell * height + 1.7)
    grid = figure.add_gridspec(1, 3, width_ratios=ratios)
    axes = [figure.add_subplot(grid[0, i]) for i in range(3)]
    kernel_cell = min(cell * ratios[1] / kw, cell * height / kh)  # the kernel keeps square cells in its panel
    draw_grid(axes[0], padded, highlight=field, padding=is_padding, first_index=first_index,
              annotate=_fits(padded, cell), title=_input_title(is_padding),
              xlabel="W (input index)", ylabel="H (input index)", **x_range)
    draw_grid(axes[1], weight, annotate=_fits(weight, kernel_cell), title="kernel w", xlabel="kW", ylabel="kH",
              **w_range)
    draw_grid(axes[2], output, highlight=_output_mask(output.shape, position), annotate=_fits(output, cell),
              title="output out", xlabel="W_out", ylabel="H_out", **y_range)
    return figure


def _thin_ticks(ax, columns: int, rows: int, cell: float) -> None:
    """At most one tick label per 0.3 inch, so that small panels stay readable."""
    for axis, cells in ((ax.xaxis, columns), (ax.yaxis, rows)):
        axis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=max(1, int(cells * cell / 0.3)), integer=True,
                                                             steps=[1, 2, 5, 10]))


def _stepper_3d(padded, weight, output, window, position, is_padding, first_index, field, ranges):
    (_, height, width), (kd, kh, kw), (_, out_h, out_w) = padded.shape, weight.shape, output.shape
    x_range, w_range, y_range = ranges
    columns = kd * width + max(out_w, 3)
    # inches per cell; each panel also needs about 0.45 inch for its tick labels and the gap to the next
    cell = min(0.36, (MAX_WIDTH - 0.45 * (kd + 1) - 0.6) / columns, 2.5 / (height + max(kh, 2)))
    figure = _widget_figure(cell * columns + 0.45 * (kd + 1) + 0.6, cell * (height + max(kh, 2)) + 2.4)
    grid = figure.add_gridspec(2, kd + 1, width_ratios=[width] * kd + [max(out_w, 3)],
                               height_ratios=[height, max(kh, 2)])
    depths = {k[0]: read[0] for k, read in window}  # kernel depth t -> the padded depth it reads
    short = kd > 3  # narrow panels: short titles, the rows named on the left
    for t in range(kd):
        z = depths[t]
        where = f"depth {z + first_index[0]}" + ("\n(all padding)" if is_padding[z].all() else "")
        ax = figure.add_subplot(grid[0, t])
        draw_grid(ax, padded[z], highlight=field[z], padding=is_padding[z], first_index=first_index[1:],
                  annotate=_fits(padded, cell), title=where if short else f"padded x, {where}", xlabel="W",
                  ylabel=("padded x: H" if short else "H") if t == 0 else None, **x_range)
        _thin_ticks(ax, width, height, cell)
        ax = figure.add_subplot(grid[1, t])
        kernel_cell = min(cell * width / kw, cell * max(kh, 2) / kh)
        draw_grid(ax, weight[t], annotate=_fits(weight, kernel_cell), title=f"w[{t}]" if short else f"kernel w[{t}]",
                  xlabel="kW", ylabel=("kernel: kH" if short else "kH") if t == 0 else None, **w_range)
        _thin_ticks(ax, kw, kh, kernel_cell)
    depth = position[0]
    ax = figure.add_subplot(grid[0, kd])
    draw_grid(ax, output[depth], highlight=_output_mask((out_h, out_w), position[1:]), annotate=_fits(output, cell),
              title=f"output, depth {depth}", xlabel="W_out", ylabel="H_out", **y_range)
    _thin_ticks(ax, out_w, out_h, cell)
    return figure


# ----------------------------------------------------------------------------
# Lesson 01's figures: window_figure, padding_figure, signals_figure.
# Each returns a ShownFigure (a matplotlib Figure not registered with pyplot
# that shows itself as a PNG): leave the call as the last expression of a cell.
# ----------------------------------------------------------------------------

LINE_STYLES = {  # the named line styles signals_figure accepts
    "faint": dict(color="0.7", lw=1),  # raw, noisy data, behind the rest
    "wide": dict(lw=4, alpha=0.8),  # wide, so that a thinner line drawn after it stays visible on it
    "reference": dict(color="black", ls="--", lw=1.5),  # the truth to compare with
}


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
        plots.show(fig)
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


def _bare_figure(width: float, height: float, dpi: int | None = None) -> ShownFigure:
    return ShownFigure(figsize=(width, height), dpi=dpi, layout="constrained")


def _signal_1d(name, values) -> np.ndarray:
    values = as_array(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D signal, got shape {values.shape}.")
    return values


def window_figure(x, w, o: int, out, *, stride: int = 1, dilation: int = 1, title: str | None = None):
    """Where a 1-D kernel sits for output ``o``: the input with the taps it reads, and the output.

    Two stem plots sharing the position axis. Top: the input ``x``, with the
    ``k`` elements the kernel reads for output ``o`` (positions
    ``o*stride + j*dilation``) in red, each labelled with the weight ``w[j]`` it
    is multiplied by. Bottom: the output ``out``, element ``o`` in red.
    ``x`` is the input the kernel slides over (already padded, if there is padding).

    Args:
        x: the input, ``(L,)``.
        w: the kernel, ``(k,)``.
        o: the output position to show.
        out: the output, ``(L_out,)``, e.g. from ``F.conv1d`` or a loop.
        stride, dilation: as in ``F.conv1d``.
        title: the top panel's title (default: says which output is shown).

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as
        the last expression of a cell to show it).

    >>> figure = window_figure(torch.arange(6.0), torch.tensor([1.0, -1.0]), 2, torch.full((5,), -1.0))
    >>> [ax.get_ylabel() for ax in figure.axes], [t.get_text() for t in figure.axes[0].texts]
    (['x', 'out'], ['× w[0] = 1', '× w[1] = -1'])
    >>> window_figure(torch.arange(6.0), torch.tensor([1.0, -1.0]), 5, torch.full((5,), -1.0))
    Traceback (most recent call last):
        ...
    ValueError: o must be an output position 0..4 (out has 5 elements), got 5.
    """
    x, w, out = _signal_1d("x", x), _signal_1d("w", w), _signal_1d("out", out)
    if not 0 <= o < len(out):
        raise ValueError(f"o must be an output position 0..{len(out) - 1} (out has {len(out)} elements), got {o}.")
    taps = [o * stride + j * dilation for j in range(len(w))]
    if taps[-1] >= len(x):
        raise ValueError(
            f"the kernel at output {o} reads x[{taps[-1]}], past the end of x (length {len(x)}). "
            f"Check stride={stride} and dilation={dilation}, or pass the padded input as x."
        )
    figure = _bare_figure(9, 4.5)
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.stem(range(len(x)), x, linefmt="C0-", markerfmt="C0o", basefmt="k-")
    top.stem(taps, x[taps], linefmt="C3-", markerfmt="C3o", basefmt="k-")
    for j, tap in enumerate(taps):
        top.annotate(f"× w[{j}] = {format_number(w[j])}", (tap, x[tap]), textcoords="offset points",
                     xytext=(0, 8), ha="center", color="C3", fontsize=FONTSIZE - 1)
    top.set_ylabel("x")
    top.set_title(title or f"the kernel at output position o = {o}: red taps are multiplied by w and summed")
    bottom.stem(range(len(out)), out, linefmt="C0-", markerfmt="C0s", basefmt="k-")
    bottom.stem([o], out[[o]], linefmt="C3-", markerfmt="C3s", basefmt="k-")
    bottom.set_ylabel("out")
    bottom.set_xlabel("position along L")
    top.margins(y=0.3)
    bottom.margins(y=0.3)
    bottom.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return figure


def padding_figure(padded: dict, p: int, *, title: str | None = None):
    """Padded signals, one panel each: the signal's bars in blue, the ``p`` elements added at each end
    in orange.

    Args:
        padded: ``{panel title: values}``, e.g. ``{"zeros": ..., "reflect": ...}``;
            each value a padded 1-D signal of length ``L + 2p`` (any shape with
            that many elements, e.g. ``F.pad``'s ``(1, 1, L + 2p)`` output).
        p: how many elements were added at each end.
        title: the figure's title.

    Positions are numbered by the original signal (``0 .. L-1``), so the padding
    sits at negative positions and past ``L - 1``; dotted lines mark the
    signal's edges. Two panels per row.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as
        the last expression of a cell to show it).

    >>> figure = padding_figure({"zeros": [0, 1, 2, 0], "replicate": [1, 1, 2, 2]}, 1)
    >>> [ax.get_title() for ax in figure.axes]
    ['zeros', 'replicate']
    """
    if not padded:
        raise ValueError("padded must hold at least one padded signal, got an empty dict.")
    if isinstance(p, bool) or not isinstance(p, int) or p < 0:
        raise ValueError(f"p must be a non-negative int (the padding at each end), got {p!r}.")
    signals = {name: as_array(values).ravel() for name, values in padded.items()}
    length = len(next(iter(signals.values())))
    for name, values in signals.items():
        if len(values) != length or length <= 2 * p:
            raise ValueError(
                f"every padded signal needs the same length L + 2p, more than 2p = {2 * p}; "
                f"{name!r} has {len(values)} values (the first one has {length})."
            )
    cols = min(2, len(signals))
    rows = -(-len(signals) // cols)
    figure = _bare_figure(5 * cols, 2.4 * rows + 0.6)
    axes = figure.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    positions = np.arange(-p, length - p)
    inside = (positions >= 0) & (positions < length - 2 * p)
    for ax, (name, values) in zip(axes.flat, signals.items()):
        ax.bar(positions[inside], values[inside], color="C0", label="the signal")
        ax.bar(positions[~inside], values[~inside], color="C1", label=f"added by padding (p = {p})")
        ax.axvline(-0.5, color="k", ls=":")
        ax.axvline(length - 2 * p - 0.5, color="k", ls=":")
        ax.set_title(name)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    for ax in axes.flat[len(signals):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("position (0 .. L-1 is the signal)")
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=FONTSIZE - 1)
    if title:
        figure.suptitle(title)
    return figure


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
    t = _signal_1d("t", t)
    ncols = min(ncols, len(panels))
    rows = -(-len(panels) // ncols)
    figure = _bare_figure(10 if ncols == 1 else 5 * ncols, 3.25 * rows + (0.4 if title else 0))
    axes = figure.subplots(rows, ncols, sharex=True, squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        unknown = set(panel) - {"lines", "title", "ylabel", "ylim", "legend"}
        if unknown or not panel.get("lines"):
            raise ValueError(
                f"each panel needs 'lines' and may have 'title', 'ylabel', 'ylim', 'legend'; got keys {sorted(panel)}."
            )
        for label, line in panel["lines"].items():
            values, style = line if isinstance(line, tuple) else (line, None)
            values = as_array(values).ravel()
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
    array = as_array(image)
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


# ----------------------------------------------------------------------------
# Lesson 05's figures (vectorising): strided_view_figure, matrix_figure,
# im2col_memory_figure, scaling_figure. Each returns a ShownFigure: leave the
# call as the last expression of a cell.
# ----------------------------------------------------------------------------


def strided_view_figure(x, view, *, view_name: str = "the view", highlight_row: int = 1, title: str | None = None):
    """A 1-D tensor's memory and a 2-D view of it: which storage element each view element reads.

    Top: ``x`` as it lies in memory, one cell per element (numbered by storage
    offset). Bottom: ``view`` (e.g. ``x.unfold(0, 3, 2)``), a grid whose element
    ``[i, j]`` is the storage element ``view.storage_offset() + i*stride[0] + j*stride[1]``;
    each cell is labelled with that offset. Row ``highlight_row`` of the view and
    the memory cells it reads are outlined, so the picture shows that a window
    is a place in memory, not a copy.

    Args:
        x: a contiguous 1-D tensor.
        view: a 2-D view of ``x`` (it must share ``x``'s storage).
        view_name: how the bottom panel names the view, e.g. ``"x.unfold(0, 3, 2)"``.
        highlight_row: the row of ``view`` to outline, or ``None``.
        title: the figure's title (default: the view's shape and strides).

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as
        the last expression of a cell to show it).

    >>> x = torch.arange(10.0)
    >>> figure = strided_view_figure(x, x.unfold(0, 3, 2), view_name="x.unfold(0, 3, 2)")
    >>> [ax.get_title().split(":")[0] for ax in figure.axes]
    ['x in memory', 'x.unfold(0, 3, 2)']
    >>> strided_view_figure(x, x.unfold(0, 3, 2).clone())
    Traceback (most recent call last):
        ...
    ValueError: view must be a view of x (the same storage); got a tensor with its own memory (a copy?).
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 1 or not x.is_contiguous() or x.numel() == 0:
        raise ValueError(f"x must be a non-empty contiguous 1-D tensor, got {getattr(x, 'shape', type(x).__name__)}.")
    if not isinstance(view, torch.Tensor) or view.dim() != 2 or view.numel() == 0:
        raise ValueError(f"view must be a non-empty 2-D tensor, got {getattr(view, 'shape', type(view).__name__)}.")
    if view.untyped_storage().data_ptr() != x.untyped_storage().data_ptr():
        raise ValueError("view must be a view of x (the same storage); got a tensor with its own memory (a copy?).")
    rows, cols = view.shape
    if highlight_row is not None and not 0 <= highlight_row < rows:
        raise ValueError(f"highlight_row must be a row of view, 0..{rows - 1}, or None; got {highlight_row}.")
    base = view.storage_offset() - x.storage_offset()
    offsets = base + np.arange(rows)[:, None] * view.stride(0) + np.arange(cols)[None, :] * view.stride(1)
    width = max(4.0, min(MAX_WIDTH, 0.55 * max(len(x), cols) + 1.5))
    figure = _bare_figure(width, 1.6 + 0.5 * rows)
    top, bottom = figure.subplots(2, 1, height_ratios=[1, max(rows, 1.5)])
    memory_mask = np.zeros(len(x), dtype=bool)
    view_mask = np.zeros((rows, cols), dtype=bool)
    if highlight_row is not None:
        memory_mask[offsets[highlight_row]] = True
        view_mask[highlight_row] = True
    draw_grid(top, np.arange(len(x)), highlight=memory_mask, annotate=True, cmap="Blues", vmin=-len(x), vmax=len(x),
              title=f"x in memory: {len(x)} elements, stride {x.stride()}", xlabel="storage offset")
    draw_grid(bottom, offsets, highlight=view_mask, annotate=True, cmap="Blues", vmin=-len(x), vmax=len(x),
              title=f"{view_name}: shape {tuple(view.shape)}, stride {view.stride()}; each cell: the offset it reads",
              xlabel="tap j (+%d in memory)" % view.stride(1), ylabel="window i (+%d)" % view.stride(0))
    top.set_xlim(-0.5, max(len(x), cols) - 0.5)
    bottom.set_xlim(-0.5, max(len(x), cols) - 0.5)
    bottom.set_aspect("equal")
    top.set_aspect("equal")
    figure.suptitle(title or f"[i, j] reads storage[{base} + {view.stride(0)}*i + {view.stride(1)}*j]: no element is copied",
                    fontsize=FONTSIZE + 1)
    return figure


def matrix_figure(matrix, *, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
                  annotate: bool | None = None, width: float = 9.5):
    """A (mostly zero) matrix as a grid: zeros blank, other entries on a diverging scale centred on 0.

    Meant for the matrix of a convolution (``course_lib.matrix.conv_matrix``): the
    blank cells show how sparse it is, the coloured diagonal bands where each
    kernel tap lands.

    Args:
        matrix: a 2-D tensor or array.
        title, xlabel, ylabel: labels.
        annotate: write the values in the cells (default: when there are at most 30 columns).
        width: figure width in inches; the height follows the matrix's shape.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = matrix_figure(torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 2.0]]), title="M")
    >>> image = figure.axes[0].images[0]
    >>> int(np.isnan(image.get_array().filled(np.nan)).sum()), image.get_cmap().name, image.get_clim()
    (2, 'RdBu_r', (-2.0, 2.0))
    """
    values = as_array(matrix)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"matrix must be a non-empty 2-D tensor or array, got shape {values.shape}.")
    rows, cols = values.shape
    shown = np.where(values == 0, np.nan, values)
    limit = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
    if annotate is None:
        annotate = cols <= 30
    height = min(9.0, max(2.0, width * rows / cols + 1.0))
    figure = _bare_figure(width, height)
    ax = figure.add_subplot()
    draw_grid(ax, shown, annotate=annotate, cmap="RdBu_r", vmin=-limit, vmax=limit, title=title, xlabel=xlabel,
              ylabel=ylabel, digits=2)
    ax.set_aspect("equal")
    return figure


def im2col_memory_figure(kernel_sizes, cases: dict, *, block_bytes: int | None = None, title: str | None = None):
    """Bytes of the im2col column matrix against the kernel size, and its size relative to the input.

    Args:
        kernel_sizes: the kernel sizes ``k`` (a ``k x k`` or ``k x k x k`` kernel), the x axis.
        cases: ``{label: (input_bytes, [column bytes for each k])}``, e.g.
            ``{"2-D (1, 64, 56, 56)": (802816, [...]), "3-D ...": (...)}``.
        block_bytes: draw a dotted line at this many bytes (e.g. ``vectorised.COLUMN_BYTES``,
            the block size the library builds at a time), or ``None``.
        title: the figure's title.

    Left panel: column-matrix bytes (MiB, log scale), with each input's bytes as a
    dashed line of the same colour. Right panel: column bytes / input bytes, with
    the values written next to the points.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = im2col_memory_figure([1, 3], {"2-D": (100, [100, 900])}, block_bytes=400)
    >>> [ax.get_ylabel() for ax in figure.axes], [t.get_text() for t in figure.axes[1].texts]
    (['MiB (log scale)', 'columns / input (log scale)'], ['1x', '9x'])
    """
    kernel_sizes = list(kernel_sizes)
    if not kernel_sizes or not cases:
        raise ValueError("kernel_sizes and cases must both be non-empty.")
    for label, case in cases.items():
        if not (isinstance(case, (tuple, list)) and len(case) == 2 and len(case[1]) == len(kernel_sizes)):
            raise ValueError(
                f"cases[{label!r}] must be (input_bytes, [column bytes per kernel size]) with "
                f"{len(kernel_sizes)} column sizes, got {case!r}."
            )
    mib = 2.0**20
    figure = _bare_figure(10, 5.0)
    left, right = figure.subplots(1, 2)
    written = set()
    for index, (label, (input_bytes, column_bytes)) in enumerate(cases.items()):
        colour = f"C{index}"
        columns = np.asarray(column_bytes, dtype=float)
        left.plot(kernel_sizes, columns / mib, "o-", color=colour, label=f"{label}: columns")
        left.axhline(input_bytes / mib, color=colour, ls="--", lw=1.2, label=f"{label}: input")
        ratio = columns / input_bytes
        right.plot(kernel_sizes, ratio, "o-", color=colour, label=label)
        for k, r in zip(kernel_sizes, ratio):
            if (k, format_number(r)) in written:  # the same label at the same point: write it once
                continue
            written.add((k, format_number(r)))
            right.annotate(f"{format_number(r)}x", (k, r), textcoords="offset points", xytext=(-6, 7), ha="right",
                           fontsize=FONTSIZE - 2, color=colour)
    if block_bytes:
        left.axhline(block_bytes / mib, color="k", ls=":", lw=1.5, label=f"one block: {format_number(block_bytes / mib)} MiB")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xlabel("kernel size k (k x k, or k x k x k)")
        ax.set_xticks(kernel_sizes)
        ax.grid(True, which="major", alpha=0.3)
    left.set_ylabel("MiB (log scale)")
    left.set_title("bytes of the column matrix (float32)")
    right.set_ylabel("columns / input (log scale)")
    right.set_title("how many times the input")
    left.legend(fontsize=FONTSIZE - 2, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    right.legend(fontsize=FONTSIZE - 2, loc="lower right")
    right.margins(x=0.15, y=0.2)
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


def scaling_figure(panels: list[dict], *, title: str | None = None, ylabel: str = "time per call (log scale)"):
    """Log-log plots of time against a size, one line per method, one panel per dict in ``panels``.

    Each panel is a dict with

    - ``"x"``: the sizes (the x axis);
    - ``"times"``: ``{method: [seconds per size]}``; ``None`` or ``nan`` where a method
      was not timed (too slow, or not applicable), so its line has a gap there;
    - ``"xlabel"``, ``"title"`` (optional).

    The y axis is labelled in s, ms, µs. A method keeps its colour and marker in every panel. On log-log
    axes a cost that grows like ``size**p`` is a straight line of slope ``p``.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = scaling_figure([{"x": [1, 2, 4], "times": {"a": [1e-3, 4e-3, None]}, "xlabel": "n"}])
    >>> figure.axes[0].get_xscale(), figure.axes[0].get_xlabel(), len(figure.axes[0].lines[0].get_xdata())
    ('log', 'n', 3)
    """
    if not isinstance(panels, (list, tuple)) or not panels:
        raise ValueError("panels must list at least one panel (a dict with 'x' and 'times'), got none.")
    methods = []
    for p, panel in enumerate(panels):
        if not isinstance(panel, dict) or "x" not in panel or not panel.get("times"):
            raise ValueError(f"panels[{p}] must be a dict with 'x' and a non-empty 'times', got {panel!r}.")
        unknown = set(panel) - {"x", "times", "xlabel", "title"}
        if unknown:
            raise ValueError(f"panels[{p}] has unknown keys {sorted(unknown)}; use 'x', 'times', 'xlabel', 'title'.")
        for name, times in panel["times"].items():
            if len(times) != len(panel["x"]):
                raise ValueError(f"panels[{p}]['times'][{name!r}] has {len(times)} values for {len(panel['x'])} sizes.")
            if name not in methods:
                methods.append(name)
    markers = "osD^vP*X"
    style = {name: dict(color=f"C{i % 10}", marker=markers[i % len(markers)]) for i, name in enumerate(methods)}
    figure = _bare_figure(min(MAX_WIDTH + 1, 4.3 * len(panels) + 0.5), 4.2 + (0.4 if title else 0))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        x = np.asarray(panel["x"], dtype=float)
        for name, times in panel["times"].items():
            y = np.array([np.nan if t is None else float(t) for t in times])
            if np.isfinite(y).any():
                ax.plot(x, y, lw=1.6, ms=6, label=name, **style[name])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_number(v)))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlabel(panel.get("xlabel", "size"))
        ax.set_title(panel.get("title", ""), fontsize=FONTSIZE)
    for ax in axes:
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_seconds(v)))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[0].set_ylabel(ylabel)
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    figure.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=len(handles),
                  fontsize=FONTSIZE - 1)
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


# ----------------------------------------------------------------------------
# Lesson 08 (upsampling): sampling_figure
# ----------------------------------------------------------------------------


def sampling_figure(in_size: int, panels: list[dict], *, title: str | None = None):
    """Where the outputs of a 1-D resize sit on the input, and which inputs each one reads.

    All panels share one position axis in input pixel units: input pixel ``i`` is
    centred at ``i`` and covers ``i - 0.5 .. i + 0.5``. In each panel the input pixels
    are the top row of cells, the output pixels the bottom row (each drawn as a cell
    around its sample position), and a line joins every output's sample position to
    each input it reads, as wide as its weight (weights are written on the lines when
    they are not all 1). Dashed lines mark the input's outer edges, dotted lines its
    corner pixel centres (0 and ``in_size - 1``): with ``align_corners=False`` the
    outer edges line up, with ``True`` the corner centres.

    Each panel is a dict:

    - ``"title"``: the panel's title;
    - ``"centres"``: ``(out_size,)`` the output sample positions, in input pixel units
      (e.g. ``(o + 0.5) * in / out - 0.5``);
    - ``"index"``: ``(taps, out_size)`` or ``(out_size,)`` ints: the inputs each output reads
      (e.g. ``upsample.nearest_indices(...)`` or the index of ``upsample.linear_taps(...)``);
    - ``"weight"`` (optional): same shape, the weights of those taps (default 1);
      taps of weight 0 are not drawn;
    - ``"width"`` (optional): the width of one output cell in input pixels (default:
      the spacing of ``centres``).

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as the last
        expression of a cell to show it).

    >>> figure = sampling_figure(2, [{"title": "2 -> 4, nearest", "centres": torch.tensor([-0.25, 0.25, 0.75, 1.25]),
    ...                               "index": torch.tensor([0, 0, 1, 1])}])
    >>> ax = figure.axes[0]
    >>> ax.get_title(), len(ax.patches), len([line for line in ax.lines if line.get_gid() == "read"])
    ('2 -> 4, nearest', 6, 4)
    >>> sampling_figure(2, [{"title": "bad", "centres": torch.zeros(3), "index": torch.zeros(4, dtype=torch.long)}])
    Traceback (most recent call last):
        ...
    ValueError: panels[0]: index has 4 columns but there are 3 centres; give one column per output.
    """
    if isinstance(in_size, bool) or not isinstance(in_size, int) or in_size < 1:
        raise ValueError(f"in_size must be a positive int, got {in_size!r}.")
    if not panels:
        raise ValueError("panels must list at least one panel (a dict with 'title', 'centres', 'index'), got none.")
    figure = _bare_figure(10, 1.9 * len(panels) + (0.4 if title else 0))
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    low, high = -0.5, in_size - 0.5
    for p, (ax, panel) in enumerate(zip(axes, panels)):
        unknown = set(panel) - {"title", "centres", "index", "weight", "width"}
        if unknown or not {"centres", "index"} <= set(panel):
            raise ValueError(
                f"panels[{p}] needs 'centres' and 'index' and may have 'title', 'weight', 'width'; got keys {sorted(panel)}."
            )
        centres = as_array(panel["centres"]).ravel()
        index = np.atleast_2d(as_array(panel["index"])).astype(int)
        weight = np.atleast_2d(as_array(panel["weight"])) if "weight" in panel else np.ones(index.shape)
        if index.shape[1] != len(centres) or weight.shape != index.shape:
            raise ValueError(
                f"panels[{p}]: index has {index.shape[1]} columns but there are {len(centres)} centres; give one "
                f"column per output." if index.shape[1] != len(centres) else
                f"panels[{p}]: weight has shape {weight.shape} but index has {index.shape}; give one weight per tap."
            )
        if index.min() < 0 or index.max() >= in_size:
            raise ValueError(f"panels[{p}]: index must lie in 0..{in_size - 1}, got {index.min()}..{index.max()}.")
        width = float(panel.get("width", (centres[-1] - centres[0]) / (len(centres) - 1) if len(centres) > 1 else 1.0))
        for i in range(in_size):
            ax.add_patch(matplotlib.patches.Rectangle((i - 0.5, 0.75), 1, 0.5, facecolor="#c6dbef", edgecolor="k", lw=1))
            ax.text(i, 1.0, f"x[{i}]", ha="center", va="center", fontsize=FONTSIZE - 1)
        for o, c in enumerate(centres):
            ax.add_patch(matplotlib.patches.Rectangle((c - width / 2, -0.25), width, 0.5, facecolor="#fdd0a2",
                                                      edgecolor="k", lw=1))
            ax.text(c, 0.0, str(o), ha="center", va="center", fontsize=FONTSIZE - 2)
        show_weights = not np.all((weight == 0) | (weight == 1))
        for o, c in enumerate(centres):
            reads = {}  # input -> total weight (a clamped tap may read the same input twice)
            for i, w in zip(index[:, o], weight[:, o]):
                reads[int(i)] = reads.get(int(i), 0.0) + float(w)
            for i, w in reads.items():
                if w == 0:
                    continue
                ax.plot([c, i], [0.25, 0.75], color=HIGHLIGHT, lw=0.5 + 2.5 * abs(w), alpha=0.8, gid="read")
                if show_weights:  # just above the output, on the side of the input it weighs
                    ax.text(c + 0.085 * np.sign(i - c), 0.35, format_number(w, 2), color=HIGHLIGHT, ha="center",
                            va="center", fontsize=FONTSIZE - 2, zorder=5,
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.85})
        for edge in (low, high):
            ax.axvline(edge, color="k", ls="--", lw=1)
        for corner in (0, in_size - 1):
            ax.axvline(corner, color="0.4", ls=":", lw=1)
        ax.set_yticks([0, 1], ["output", "input"])
        ax.set_ylim(-0.4, 1.4)
        ax.set_title(panel.get("title", ""), fontsize=FONTSIZE)
    left = min(low, *(as_array(p["centres"]).min() for p in panels)) - 0.3
    right = max(high, *(as_array(p["centres"]).max() for p in panels)) + 0.3
    axes[-1].set_xlim(left, right)
    axes[-1].set_xlabel("position in input pixels (input pixel i is centred at i; dashed: the input's edges, "
                        "dotted: its corner pixel centres)")
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


# ----------------------------------------------------------------------------
# Lesson 06 (grouped and separable): group_connections_figure,
# channel_change_figure, kernel_factorisation_figure, block_costs_figure.
# ----------------------------------------------------------------------------


def group_connections_figure(in_channels: int, out_channels: int, groups, *, title: str | None = None):
    """Which input channels each output channel reads, for several values of ``groups``: one panel each.

    A cell (output channel ``o``, input channel ``i``) is filled when the weight of a
    convolution with that ``groups`` connects them: ``o`` and ``i`` are in the same group
    (``o // (C_out/g) == i // (C_in/g)``). ``groups = 1`` fills everything; more
    groups leave only blocks on the diagonal.

    Args:
        in_channels, out_channels: of the layer.
        groups: the values of ``groups`` to draw (each must divide both channel counts).
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = group_connections_figure(4, 2, [1, 2])
    >>> [int(ax.images[0].get_array().sum()) for ax in figure.axes]   # connected pairs
    [8, 4]
    """
    groups = [int(g) for g in groups]
    if not groups:
        raise ValueError("groups must name at least one value of groups to draw.")
    for g in groups:
        shapes.conv_params(in_channels, out_channels, (1,), g)  # checks divisibility with a clear message
    figure = _bare_figure(3.6 * len(groups) + 0.6, 3.6 * out_channels / in_channels + 1.4)
    axes = figure.subplots(1, len(groups), squeeze=False)[0]
    for ax, g in zip(axes, groups):
        o = np.arange(out_channels)[:, None] // (out_channels // g)
        i = np.arange(in_channels)[None, :] // (in_channels // g)
        connected = (o == i).astype(float)
        ax.imshow(connected, cmap="Blues", vmin=0, vmax=1.25, interpolation="nearest",
                  extent=(-0.5, in_channels - 0.5, out_channels - 0.5, -0.5))
        ax.set_title(f"groups={g}: weight ({out_channels}, {in_channels // g}, k, k)\n"
                     f"{int(connected.sum())} of {in_channels * out_channels} pairs", fontsize=FONTSIZE)
        ax.set_xlabel("input channel")
        ax.set_ylabel("output channel")
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


def channel_change_figure(change, groups: int, *, title: str | None = None,
                          ylabel: str = "max |change| of the output channel"):
    """A bar per output channel (how much it changed), with the channel groups shaded alternately.

    Args:
        change: ``(C_out,)`` non-negative numbers, e.g. ``(out_after - out_before).abs().amax((1, 2))``.
        groups: the number of groups (must divide ``C_out``); their boundaries are drawn.
        title, ylabel: labels.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = channel_change_figure(torch.tensor([0.0, 0.0, 1.0, 2.0]), 2)
    >>> [float(p.get_height()) for p in figure.axes[0].patches if p.get_gid() == "bar"]
    [0.0, 0.0, 1.0, 2.0]
    """
    values = _signal_1d("change", change)
    groups = int(groups)
    if groups < 1 or values.size % groups:
        raise ValueError(f"groups must be a positive divisor of the number of channels ({values.size}), got {groups}.")
    size = values.size // groups
    figure = _bare_figure(9.5, 3.4)
    ax = figure.add_subplot()
    for g in range(groups):
        ax.axvspan(g * size - 0.5, (g + 1) * size - 0.5, color="0.92" if g % 2 else "white", zorder=0)
        ax.text((g + 0.5) * size - 0.5, 1.0, f"group {g}", transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=FONTSIZE - 2)
    for patch in ax.bar(np.arange(values.size), values, color="C3", zorder=2):
        patch.set_gid("bar")
    ax.set_xlim(-0.5, values.size - 0.5)
    ax.set_xlabel("output channel")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=FONTSIZE + 1, pad=18)
    return figure


def kernel_factorisation_figure(kernels: dict, *, title: str | None = None):
    """For each 2-D kernel: the kernel, its best rank-1 part ``column ⊗ row``, what that misses, its
    singular values.

    Uses :func:`course_lib.separable.factorise_kernel` (the SVD). One row of four
    panels per kernel; the first three share a diverging colour scale centred on 0,
    so a blank third panel means the kernel is exactly separable.

    Args:
        kernels: ``{name: (kH, kW) tensor}``.
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = kernel_factorisation_figure({"box": torch.ones(3, 3)})
    >>> len(figure.axes), figure.axes[3].get_title()
    (4, 'singular values: rank 1')
    """
    from course_lib import separable  # imported here: separable does not need plots

    if not kernels:
        raise ValueError("kernels must hold at least one {name: 2-D tensor} entry.")
    figure = _bare_figure(11, 2.7 * len(kernels) + 0.5)
    axes = figure.subplots(len(kernels), 4, squeeze=False)
    for row, (name, kernel) in zip(axes, kernels.items()):
        column, vector, info = separable.factorise_kernel(torch.as_tensor(kernel))
        kernel = torch.as_tensor(kernel)
        rank1 = torch.outer(column, vector)
        limit = float(kernel.abs().max()) or 1.0
        missed = kernel - rank1
        # rounding noise (far below the kernel's own size) is drawn and written as 0
        missed = torch.where(missed.abs() <= 1e3 * torch.finfo(kernel.dtype).eps * limit, 0.0, missed)
        panels = [(kernel, f"{name}"), (rank1, "column ⊗ row"), (missed, "kernel - column ⊗ row")]
        for ax, (values, label) in zip(row, panels):
            draw_grid(ax, as_array(values), cmap="RdBu_r", vmin=-limit, vmax=limit, title=label, digits=2,
                      annotate=max(values.shape) <= 4)
            ax.set_xlabel("column")
            ax.set_ylabel("row")
        s = info.singular_values.numpy()
        row[3].bar(np.arange(1, s.size + 1), s, color="C0")
        row[3].set_title(f"singular values: rank {info.rank}", fontsize=FONTSIZE)
        row[3].set_xlabel("index")
        row[3].set_ylabel("singular value")
        row[3].set_xticks(np.arange(1, s.size + 1))
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


def block_costs_figure(tables: dict, *, title: str | None = None):
    """Parameters and multiply-accumulates of several blocks, as horizontal bars on log scales.

    Args:
        tables: ``{table title: {block name: {"params": int, "macs": int}}}``; one row of two
            panels (parameters, MACs) per table, under the table's title. Each bar is labelled with its
            value and its ratio to the first block of its table.
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = block_costs_figure({"2-D": {"full": {"params": 100, "macs": 1000}, "half": {"params": 50, "macs": 500}}})
    >>> [t.get_text() for t in figure.axes[0].texts], figure.axes[1].get_title()
    (['100 (1x)', '50 (0.5x)'], 'multiply-accumulates per sample')
    """
    if not tables or not all(tables.values()):
        raise ValueError("tables must hold at least one non-empty {block: {'params', 'macs'}} table.")
    rows = sum(len(t) for t in tables.values())
    figure = _bare_figure(12, 0.42 * rows + 1.4 * len(tables) + 0.6)
    parts = figure.subfigures(len(tables), 1, squeeze=False, height_ratios=[len(t) + 3 for t in tables.values()])[:, 0]
    for (table_title, table), part in zip(tables.items(), parts):
        names = list(table)
        pair = part.subplots(1, 2)
        part.suptitle(table_title, fontsize=FONTSIZE + 1)
        for ax, key, label in zip(pair, ("params", "macs"), ("parameters", "multiply-accumulates per sample")):
            values = np.array([table[n][key] for n in names], dtype=float)
            y = np.arange(len(names))
            ax.barh(y, values, color=[f"C{i}" for i in range(len(names))])
            ax.set_xscale("log")
            ax.set_yticks(y, names)
            ax.invert_yaxis()
            for yi, v in zip(y, values):
                ax.text(v * 1.15, yi, f"{int(v):,} ({format_number(v / values[0])}x)", va="center",
                        fontsize=FONTSIZE - 1)
            ax.set_xlim(values.min() / 3, values.max() * 15)
            ax.set_xlabel(f"{label} (log scale)")
            ax.set_title(label, fontsize=FONTSIZE)
            ax.grid(True, axis="x", which="major", alpha=0.3)
        pair[1].set_yticklabels([])
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


# ----------------------------------------------------------------------------
# Lesson 07 (transposed convolution): draw_scatter_stepper (the scatter
# stepper's picture) and overlap_counts_figure (how many kernel stamps land
# on each output cell).
# ----------------------------------------------------------------------------


def draw_scatter_stepper(input, weight, canvas, element, stamp, *, kept=None, first_index=None,
                         vmin=None, vmax=None, title: str | None = None):
    """The scatter stepper's picture: one input element of a transposed convolution stamping the kernel.

    Args:
        input: ``(L,)`` or ``(H, W)``: the input of the transposed convolution.
        weight: the kernel, same rank.
        canvas: the output accumulated so far, uncropped (before ``padding`` removes its borders), same
            rank.
        element: the index of the input element that stamps now (outlined on the input).
        stamp: ``[(kernel index, canvas index), ...]``: the cells the current stamp adds to (outlined on
            the canvas).
        kept: boolean mask over ``canvas``: the cells that stay in the output (the rest, cropped by
            ``padding``, are hatched). Default: all kept.
        first_index: the output index of ``canvas[0, ..., 0]`` on each axis (``-padding``), for the tick
            labels.
        vmin, vmax: the canvas's colour range (default: its own), e.g. the final output's range so that
            colours do not shift while stepping.
        title: the figure's title.

    What is drawn: 1-D: four rows (input, kernel, ``x[i]*w`` placed where it lands, output so far).
    2-D: input, kernel and output so far side by side. Outlines have ``gid="highlight"``, cropped cells
    ``gid="padding"``.

    Returns:
        A bare ``Figure``, axes in that order.

    >>> figure = draw_scatter_stepper(np.array([1.0, 2.0]), np.array([1.0, -1.0]), np.array([1.0, -1.0, 0.0]),
    ...                               (0,), [((0,), (0,)), ((1,), (1,))], title="x[0] stamps 1*w")
    >>> [ax.get_title() for ax in figure.axes]
    ['input x', 'kernel w', 'this stamp: x[0] * w', 'output so far']
    """
    x, w, canvas = as_array(input), as_array(weight), as_array(canvas)
    n = x.ndim
    if n not in (1, 2) or w.ndim != n or canvas.ndim != n:
        raise ValueError(
            f"input, weight and canvas must all be 1-D or 2-D with the same rank, got shapes "
            f"{x.shape}, {w.shape} and {canvas.shape}."
        )
    element = tuple(element)
    stamp = [(tuple(k), tuple(c)) for k, c in stamp]
    kept = np.ones(canvas.shape, dtype=bool) if kept is None else as_array(kept).astype(bool)
    first_index = (0,) * n if first_index is None else tuple(first_index)
    outline = np.zeros(canvas.shape, dtype=bool)
    for _, cell in stamp:
        outline[cell] = True
    picked = _output_mask(x.shape, element)
    limit = float(np.abs(w).max()) or 1.0
    c_range = dict(vmin=float(min(canvas.min(), 0.0)) if vmin is None else vmin,
                   vmax=float(max(canvas.max(), 0.0)) if vmax is None else vmax, cmap="viridis")
    if c_range["vmin"] < 0 < c_range["vmax"]:  # signed: a diverging map centred on 0
        top = max(-c_range["vmin"], c_range["vmax"])
        c_range = dict(vmin=-top, vmax=top, cmap="RdBu_r")
    out_title = "output so far" + ("\n(hatched: cropped by padding)" if not kept.all() else "")
    if n == 1:
        (length,), (size,) = x.shape, canvas.shape
        cell = min(0.5, (MAX_WIDTH - 1.0) / max(size, length))
        annotate = _fits(x, cell) and _fits(w, cell) and _fits(canvas, cell)
        figure = _widget_figure(cell * max(size, length) + 1.0, 4 * cell + 4.0)
        axes = figure.subplots(4, 1)
        draw_grid(axes[0], x, highlight=picked, annotate=annotate, title="input x", xlabel="input index")
        draw_grid(axes[1], w, annotate=annotate, cmap="coolwarm", vmin=-limit, vmax=limit, title="kernel w",
                  xlabel="kernel index")
        placed = np.full(size, np.nan)
        for (k,), (c,) in stamp:
            placed[c] = x[element] * w[k]
        draw_grid(axes[2], placed, annotate=annotate, cmap="coolwarm", first_index=(0, first_index[0]),
                  vmin=-limit * max(float(np.abs(x).max()), 1e-12), vmax=limit * max(float(np.abs(x).max()), 1e-12),
                  title=f"this stamp: x[{element[0]}] * w", xlabel="output index")
        draw_grid(axes[3], canvas, highlight=outline, padding=~kept, annotate=annotate,
                  first_index=(0, first_index[0]), title=out_title.replace("\n", " "), xlabel="output index", **c_range)
        for ax in axes[:2]:  # input and kernel: cells as wide as the output's, left-aligned
            ax.set_anchor("W")
        axes[2].set_xlim(first_index[0] - 0.5, first_index[0] + size - 0.5)
        axes[3].set_xlim(first_index[0] - 0.5, first_index[0] + size - 0.5)
    else:
        (height, width), (kh, kw), (ch, cw) = x.shape, w.shape, canvas.shape
        ratios = [max(width, 3), max(kw, 3), max(cw, 3)]
        cell = min(0.42, (MAX_WIDTH - 2.6) / sum(ratios), 3.0 / max(height, ch))
        figure = _widget_figure(cell * sum(ratios) + 2.6, cell * max(height, ch) + 1.9)
        grid = figure.add_gridspec(1, 3, width_ratios=ratios)
        axes = [figure.add_subplot(grid[0, i]) for i in range(3)]
        draw_grid(axes[0], x, highlight=picked, annotate=_fits(x, cell), title="input x", xlabel="W (input index)",
                  ylabel="H (input index)")
        draw_grid(axes[1], w, annotate=_fits(w, cell), cmap="coolwarm", vmin=-limit, vmax=limit, title="kernel w",
                  xlabel="kW", ylabel="kH")
        draw_grid(axes[2], canvas, highlight=outline, padding=~kept, annotate=_fits(canvas, cell),
                  first_index=first_index, title=out_title, xlabel="W_out (output index)",
                  ylabel="H_out (output index)", **c_range)
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


def overlap_counts_figure(panels, *, title: str | None = None, height: float = 3.4):
    """Grids of counts side by side, the numbers written in: e.g. how many kernel stamps hit each output
    pixel.

    Args:
        panels: a list of dicts with ``"values"`` (a 2-D tensor or array) and ``"title"``.
        title: the figure's title.
        height: figure height in inches; the width follows the number of panels (at most 9.5 inches).

    Every panel has its own colour range (``viridis``) and its own numbers; axes are labelled
    ``W_out`` and ``H_out``.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as the last expression of a
        cell).

    >>> figure = overlap_counts_figure([{"values": np.ones((3, 3)), "title": "ones"},
    ...                                 {"values": np.eye(3), "title": "eye"}], title="counts")
    >>> [ax.get_title() for ax in figure.axes], figure.get_suptitle()
    (['ones', 'eye'], 'counts')
    """
    if not isinstance(panels, (list, tuple)) or not panels:
        raise ValueError(f"panels must be a non-empty list of dicts with 'values' and 'title', got {panels!r}.")
    figure = _bare_figure(min(MAX_WIDTH, 3.2 * len(panels)), height)
    axes = figure.subplots(1, len(panels))
    axes = np.atleast_1d(axes)
    for ax, panel in zip(axes, panels):
        values = as_array(panel["values"])
        if values.ndim != 2:
            raise ValueError(f"each panel's values must be 2-D, got shape {values.shape} ({panel.get('title')!r}).")
        draw_grid(ax, values, annotate=max(values.shape) <= 16, digits=3, title=panel.get("title"),
                  xlabel="W_out", ylabel="H_out")
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


# ----------------------------------------------------------------------------
# Lesson 09 (capstone): kernels_figure, segmentation_figure, training_figure.
# Each returns a ShownFigure: leave the call as the last expression of a cell.
# ----------------------------------------------------------------------------


def kernels_figure(weight, *, title: str | None = None, ncols: int = 8, labels=None):
    """The kernels of a convolution layer, one small image per (output, input) channel pair.

    All panels share one diverging colour scale centred on 0 (``RdBu_r``: red
    positive, blue negative), so their strengths compare; a colour bar gives the
    scale. Panel ``(o, i)`` is ``weight[o, i]``.

    Args:
        weight: ``(C_out, C_in, kH, kW)``, e.g. ``layer.weight`` of a ``Conv2d``.
        title: the figure's title.
        ncols: panels per row.
        labels: one extra line under each panel's name (a list of strings, one per panel), or ``None``.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = kernels_figure(torch.randn(6, 1, 3, 3), title="first layer", ncols=4)
    >>> len(figure.axes[0].images), figure.axes[0].get_title(), figure.get_suptitle()
    (1, 'kernel 0', 'first layer')
    >>> kernels_figure(torch.randn(2, 1, 3, 3), labels=["a", "b"]).axes[1].get_title()
    'kernel 1\\nb'
    """
    values = as_array(weight)
    if values.ndim != 4 or values.size == 0:
        raise ValueError(f"weight must be a non-empty (C_out, C_in, kH, kW) tensor, got shape {values.shape}.")
    c_out, c_in = values.shape[:2]
    panels = [(o, i) for o in range(c_out) for i in range(c_in)]
    if labels is not None and len(labels) != len(panels):
        raise ValueError(f"labels needs one string per panel ({len(panels)}), got {len(labels)}.")
    ncols = max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    limit = float(np.abs(values).max()) or 1.0
    figure = _bare_figure(min(MAX_WIDTH, 1.3 * ncols + 1.2), (1.45 if labels is None else 1.7) * nrows + 0.6)
    axes = np.atleast_1d(figure.subplots(nrows, ncols)).ravel()
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    image = None
    for number, (ax, (o, i)) in enumerate(zip(axes, panels)):
        image = ax.imshow(values[o, i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        name = f"kernel {o}" if c_in == 1 else f"out {o}, in {i}"
        ax.set_title(name if labels is None else f"{name}\n{labels[number]}", fontsize=FONTSIZE - 1)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="weight")
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


def segmentation_figure(images, masks, predictions=None, *, title: str | None = None,
                        transpose: bool = False):
    """Segmentation examples: one row per image; columns input, true mask and (optionally) the predicted
    mask. ``transpose=True`` gives one column per image instead (wide and low, for a 16:9 slide).

    Args:
        images: ``(N, 1, H, W)`` or ``(N, H, W)`` inputs (grey, shown with their own range).
        masks: the true masks, same shape, values in [0, 1].
        predictions: predicted masks or probabilities in [0, 1], same shape, or ``None``.
            Each prediction panel's title gives the pixel accuracy of ``predictions > 0.5``.
        title: the figure's title.
        transpose: one column per image (input, true mask, prediction downwards) instead of one row.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> masks = torch.zeros(2, 1, 8, 8); masks[:, :, 2:5, 2:5] = 1
    >>> figure = segmentation_figure(torch.randn(2, 1, 8, 8), masks, masks, title="two examples")
    >>> [ax.get_title() for ax in figure.axes[:3]]
    ['input 0', 'true mask', 'prediction: 100.0% right']
    >>> wide = segmentation_figure(torch.randn(2, 1, 8, 8), masks, masks, transpose=True)
    >>> [ax.get_title() for ax in wide.axes[:3]], wide.axes[0].get_subplotspec().get_geometry()[:2]
    (['input 0', 'input 1', 'true mask'], (3, 2))
    """
    columns = [("input", as_array(images)), ("true mask", as_array(masks))]
    if predictions is not None:
        columns.append(("prediction", as_array(predictions)))
    arrays = []
    for name, values in columns:
        if values.ndim == 4 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 3 or values.shape[0] == 0:
            raise ValueError(f"{name} must be (N, 1, H, W) or (N, H, W) with N >= 1, got shape {values.shape}.")
        arrays.append(values)
    if any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError(f"images, masks and predictions need one shape, got {[a.shape for a in arrays]}.")
    rows = arrays[0].shape[0]
    shape = (len(arrays), rows) if transpose else (rows, len(arrays))
    figure = _bare_figure(2.3 * shape[1] + 1.2, 2.2 * shape[0] + 0.5)
    grid = figure.subplots(*shape, squeeze=False)
    axes = grid.T if transpose else grid  # axes[r, c]: image r; c: input, true mask, prediction
    for r in range(rows):
        for c, ((name, _), values) in enumerate(zip(columns, arrays)):
            ax = axes[r, c]
            if c == 0:
                ax.imshow(values[r], cmap="gray")
                ax.set_title(f"input {r}", fontsize=FONTSIZE - 1)
            else:
                mask_image = ax.imshow(values[r], cmap="magma", vmin=0, vmax=1)
                if name == "prediction":
                    right = ((values[r] > 0.5) == (arrays[1][r] > 0.5)).mean()
                    ax.set_title(f"prediction: {100 * right:.1f}% right", fontsize=FONTSIZE - 1)
                else:
                    ax.set_title(name, fontsize=FONTSIZE - 1)
            ax.set_xticks([])
            ax.set_yticks([])
            if (r == 0) if transpose else (c == 0):  # the left column
                ax.set_ylabel("H")
            if (c == len(arrays) - 1) if transpose else (r == rows - 1):  # the bottom row
                ax.set_xlabel("W")
    figure.colorbar(mask_image, ax=list(axes[:, 1:].ravel()), shrink=min(0.9, 0.3 + 0.15 * rows),
                    label="mask" if predictions is None else "mask / probability of 'shape'")
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure


def training_figure(steps, losses, accuracies=None, *, title: str | None = None, baseline: float | None = None):
    """A training run: the loss (log scale) and, optionally, the test accuracy against the step.

    Args:
        steps: the step of each record.
        losses: the training loss at those steps.
        accuracies: test accuracies (fractions) at those steps, or ``None``.
        title: the figure's title.
        baseline: an accuracy drawn as a dashed line to beat (e.g. a simple threshold's), or ``None``.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = training_figure([0, 10, 20], [0.7, 0.3, 0.2], [0.8, 0.9, 0.95], baseline=0.85)
    >>> [ax.get_ylabel() for ax in figure.axes]
    ['training loss (log scale)', 'test pixel accuracy']
    """
    steps, losses = as_array(steps), as_array(losses)
    if steps.ndim != 1 or steps.shape != losses.shape or steps.size == 0:
        raise ValueError(f"steps and losses must be non-empty 1-D and of one length, got {steps.shape} and {losses.shape}.")
    panels = 1 if accuracies is None else 2
    figure = _bare_figure(4.6 * panels, 3.2)
    axes = np.atleast_1d(figure.subplots(1, panels))
    axes[0].plot(steps, losses, color="#1f77b4")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("training loss (log scale)")
    axes[0].set_title("loss", fontsize=FONTSIZE)
    axes[0].grid(True, alpha=0.3)
    if accuracies is not None:
        accuracies = as_array(accuracies)
        if accuracies.shape != steps.shape:
            raise ValueError(f"accuracies must have one value per step, got {accuracies.shape} for {steps.shape}.")
        axes[1].plot(steps, accuracies, color="#2ca02c", marker="o", markersize=3, label="network")
        if baseline is not None:
            axes[1].axhline(baseline, color=PADDING, linestyle="--", label="best single-pixel threshold")
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("test pixel accuracy")
        axes[1].set_title("accuracy on the test images", fontsize=FONTSIZE)
        axes[1].grid(True, alpha=0.3)
        axes[1].legend(loc="lower right", fontsize=FONTSIZE - 2)
    if title:
        figure.suptitle(title, fontsize=FONTSIZE + 1)
    return figure
