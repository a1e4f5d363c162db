"""Lesson 02's figure (2-D convolution): :func:`window_sums_figure`, one panel per output cell of a
small 2-D convolution with the input cells its window reads and their sum (stride, padding and
dilation worked through); :func:`dilation_footprint_figure`, the input pixels that reach one output
cell through stacked dilated layers (gridding, and the mixed rates that cover the field).

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import matplotlib.colors
import matplotlib.patches
import torch

from course_lib import draw, shapes, utils


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
        shapes.output_length(i, k, s, (before, after), d)
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
    figure = draw.new_figure(side * shape[1] + 0.6, (side + 0.45) * shape[0] + 0.9, dpi=dpi)
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
            draw.draw_grid(ax, padded, padding=is_padding, first_index=(-top, -left), cmap=white, annotate=True)
            for u, rr in enumerate(rows):
                for v, cc in enumerate(cols):
                    ax.add_patch(matplotlib.patches.Rectangle(
                        (cc - left - 0.5, rr - top - 0.5), 1, 1, facecolor=colour, alpha=0.3, edgecolor="none",
                        zorder=1, gid="window")).set_in_layout(False)
                    ax.add_patch(draw.cell_patch(cc - left, rr - top, "highlight", colour)).set_in_layout(False)
            if plain_sum:
                written = " + ".join(utils.format_number(v) for v in values.flatten().tolist())
            else:
                written = "sum of x*w (coloured)"
            ax.set_title(f"out[{r}, {c}] = {utils.format_number(sums[r, c].item(), 6)}\n{written}",
                         fontsize=draw.FONTSIZE, color=colour)
            ax.set_xticks(list(cols_shown))
            ax.set_yticks(list(rows_shown))
            ax.tick_params(labelsize=draw.FONTSIZE - 2)
            if (place[r, c][0] + 1, place[r, c][1]) not in place.values():  # no panel below
                ax.set_xlabel("W (input index)", fontsize=draw.FONTSIZE - 1)
            if place[r, c][1] == 0:
                ax.set_ylabel("H (input index)", fontsize=draw.FONTSIZE - 1)
    ax = figure.add_subplot(grid[place["out"]])
    draw.draw_grid(ax, sums, cmap=white, annotate=True, digits=6, title="output out", xlabel="W_out", ylabel="H_out")
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
        "(hatched: zero padding; coordinates are input indices)", fontsize=draw.FONTSIZE + 1)
    return figure, sums


def _pair(values) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else str(values)


def dilation_footprint_figure(rate_sets, kernel_size: int = 3, *, dpi: int = 80):
    """Which input pixels reach one output cell through a stack of dilated convolutions, one panel per
    set of dilation rates.

    Lesson 02's picture of dilation's blind spots ("gridding") and the mixed-rate fix (hybrid dilated
    convolution, Wang et al. 2018). Each panel stacks one ``kernel_size x kernel_size`` layer per rate
    (stride 1, the first rate nearest the input) and counts the paths from each input pixel to the
    central output cell, as autograd finds them for all-ones kernels: along one axis, the offsets one
    layer reaches are ``rate * (-(k//2) ... k//2)``, a stack adds one offset per layer, and a 2-D count
    is the product of the row and column counts, written in each cell. Pixels no path reaches are
    blank, and the output cell's own position is outlined. Every panel spans the widest receptive
    field of the rate sets, ``1 + (k - 1) * sum(rates)`` pixels.

    Args:
        rate_sets: a sequence of tuples of dilation rates (positive ints), one tuple per panel.
        kernel_size: the (odd) kernel size of every layer.
        dpi: resolution of the figure.

    Returns:
        ``(figure, footprints)``: a ``draw.ShownFigure`` and, per rate set, the ``(S, S)`` int64 tensor
        of path counts, centred on the output cell, ``S`` the widest receptive field of all panels.

    >>> figure, footprints = dilation_footprint_figure([(2, 2, 2), (1, 2, 3)])
    >>> [tuple(f.shape) for f in footprints], [int((f > 0).sum()) for f in footprints]
    ([(13, 13), (13, 13)], [49, 169])
    >>> footprints[0][6, 6].item(), footprints[0][6, 7].item()   # the centre; its right neighbour
    (49, 0)
    """
    if isinstance(rate_sets, (str, bytes)) or not hasattr(rate_sets, "__iter__"):
        raise TypeError(f"rate_sets must be a sequence of tuples of dilation rates, got {rate_sets!r}.")
    rate_sets = [tuple(rates) if isinstance(rates, (tuple, list)) else rates for rates in rate_sets]
    for i, rates in enumerate(rate_sets):
        if not isinstance(rates, tuple) or not rates or not all(
                isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in rates):
            raise ValueError(f"rate_sets[{i}] must be a non-empty tuple of positive int rates, e.g. (1, 2, 3), "
                             f"got {rates!r}.")
    if not rate_sets:
        raise ValueError("rate_sets is empty: give at least one tuple of rates, e.g. [(2, 2, 2), (1, 2, 3)].")
    k = utils.check_int("kernel_size", kernel_size, 1)
    if k % 2 == 0:
        raise ValueError(f"kernel_size must be odd (a kernel centred on its output cell), got {k}.")
    fields = [1 + (k - 1) * sum(rates) for rates in rate_sets]
    size = max(fields)
    half = size // 2
    footprints = []
    for rates in rate_sets:
        counts = {0: 1}  # offset -> number of paths, along one axis
        for rate in rates:
            step = {}
            for offset, n in counts.items():
                for tap in range(-(k // 2), k // 2 + 1):
                    step[offset + rate * tap] = step.get(offset + rate * tap, 0) + n
            counts = step
        line = torch.zeros(size, dtype=torch.int64)
        for offset, n in counts.items():
            line[offset + half] = n
        footprints.append(torch.outer(line, line))

    figure = draw.new_figure(5.6 * len(rate_sets), 5.6, dpi=dpi)
    axes = figure.subplots(1, len(rate_sets), squeeze=False)[0]
    centre = torch.zeros(size, size, dtype=torch.bool)
    centre[half, half] = True
    for ax, rates, field, paths in zip(axes, rate_sets, fields, footprints):
        shown = paths.to(torch.float64).masked_fill(paths == 0, float("nan"))
        reached = int((paths > 0).sum())
        title = f"rates {rates}: {reached} of {field * field}\npixels of the {field}x{field} field reach it"
        draw.draw_grid(ax, shown, highlight=centre, first_index=(-half, -half), vmin=0, digits=3, title=title,
                       xlabel="W (column offset)", ylabel="H (row offset)")
    figure.suptitle(f"{_layers(rate_sets)} {k}x{k} dilated layers: the input pixels that reach one output cell\n"
                    "(number: paths from the pixel to it; blank: none; outlined: the output cell's own position)",
                    fontsize=draw.FONTSIZE + 1)
    return figure, footprints


def _layers(rate_sets) -> str:
    depth = {len(rates) for rates in rate_sets}
    return f"{depth.pop()} stacked" if len(depth) == 1 else "Stacked"
