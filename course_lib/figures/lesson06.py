"""Lesson 06's figures (grouped and separable convolutions):

- :func:`group_connections_figure`: which channels a grouped weight connects;
- :func:`channel_change_figure`: which output channels a change reaches;
- :func:`channel_reach_figure`: which input channels reach each output, e.g. with and without a
  channel shuffle;
- :func:`kernel_factorisation_figure`: a kernel's SVD, computed by
  ``course_lib.separable.factorise_kernel`` (rank-1 part, what it misses on its own scale, singular
  values);
- :func:`block_costs_figure`: parameters and MACs of several blocks as ratios (points on a log
  axis).

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import matplotlib.ticker
import numpy as np
import torch

from course_lib import draw, separable, shapes, utils


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
    figure = draw.new_figure(3.6 * len(groups) + 0.6, 3.6 * out_channels / in_channels + 1.4)
    axes = figure.subplots(1, len(groups), squeeze=False)[0]
    for ax, g in zip(axes, groups):
        o = np.arange(out_channels)[:, None] // (out_channels // g)
        i = np.arange(in_channels)[None, :] // (in_channels // g)
        connected = (o == i).astype(float)
        ax.imshow(connected, cmap="Blues", vmin=0, vmax=1.25, interpolation="nearest",
                  extent=(-0.5, in_channels - 0.5, out_channels - 0.5, -0.5))
        ax.set_title(f"groups={g}: weight ({out_channels}, {in_channels // g}, k, k)\n"
                     f"{int(connected.sum())} of {in_channels * out_channels} pairs", fontsize=draw.FONTSIZE)
        ax.set_xlabel("input channel")
        ax.set_ylabel("output channel")
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
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
    values = draw.signal_1d("change", change)
    groups = int(groups)
    if groups < 1 or values.size % groups:
        raise ValueError(f"groups must be a positive divisor of the number of channels ({values.size}), got {groups}.")
    size = values.size // groups
    figure = draw.new_figure(9.5, 3.4)
    ax = figure.add_subplot()
    for g in range(groups):
        ax.axvspan(g * size - 0.5, (g + 1) * size - 0.5, color="0.92" if g % 2 else "white", zorder=0)
        ax.text((g + 0.5) * size - 0.5, 1.0, f"group {g}", transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=draw.FONTSIZE - 2)
    for patch in ax.bar(np.arange(values.size), values, color="C3", zorder=2):
        patch.set_gid("bar")
    ax.set_xlim(-0.5, values.size - 0.5)
    ax.set_xlabel("output channel")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=draw.FONTSIZE + 1, pad=18)
    return figure


def channel_reach_figure(reach: dict, *, title: str | None = None):
    """Which input channels reach each output channel, one panel per network.

    A filled cell (output channel ``o``, input channel ``i``) means that output ``o``
    depends on input ``i``: e.g. the non-zero pattern of the network's Jacobian,
    computed by autograd. Two grouped layers leave the blocks of one group; a channel
    shuffle between them fills more.

    Args:
        reach: ``{panel title: (C_out, C_in) boolean tensor or array}``.
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = channel_reach_figure({"one group each": torch.eye(3, dtype=torch.bool)})
    >>> int(figure.axes[0].images[0].get_array().sum()), figure.axes[0].get_title()
    (3, 'one group each\\n3 of 9 pairs')
    """
    if not reach:
        raise ValueError("reach must hold at least one {panel title: (C_out, C_in) boolean matrix} entry.")
    maps = {}
    for label, matrix in reach.items():
        matrix = np.asarray(utils.as_array(matrix))
        if matrix.ndim != 2:
            raise ValueError(f"reach[{label!r}] must be a 2-D (C_out, C_in) matrix, got shape {matrix.shape}.")
        maps[label] = (matrix != 0).astype(float)
    c_out, c_in = next(iter(maps.values())).shape
    figure = draw.new_figure(3.9 * len(maps) + 0.6, 3.9 * c_out / c_in + 1.6)
    axes = figure.subplots(1, len(maps), squeeze=False)[0]
    for ax, (label, filled) in zip(axes, maps.items()):
        rows, cols = filled.shape
        ax.imshow(filled, cmap="Blues", vmin=0, vmax=1.25, interpolation="nearest",
                  extent=(-0.5, cols - 0.5, rows - 0.5, -0.5))
        ax.set_title(f"{label}\n{int(filled.sum())} of {filled.size} pairs", fontsize=draw.FONTSIZE)
        ax.set_xlabel("input channel")
        ax.set_ylabel("output channel")
        ax.set_xticks(range(0, cols, max(1, cols // 6)))
        ax.set_yticks(range(0, rows, max(1, rows // 6)))
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure


def kernel_factorisation_figure(kernels: dict, *, title: str | None = None):
    """For each 2-D kernel: the kernel, its best rank-1 part ``column ⊗ row``, what that misses, its
    singular values.

    Uses :func:`course_lib.separable.factorise_kernel` (the SVD). One row of four
    panels per kernel. The kernel and its rank-1 part share a diverging colour
    scale centred on 0; what the rank-1 part misses is drawn on its **own** scale
    (with a colour bar), so that rounding noise of a separable kernel (about 1e-16
    in float64) is visible as such instead of a blank panel, and its title gives the
    largest entry, marked "rounding" when it is below 1000 float epsilons of the kernel.

    Args:
        kernels: ``{name: (kH, kW) tensor}``.
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = kernel_factorisation_figure({"box": torch.ones(3, 3)})
    >>> len(figure.axes), figure.axes[3].get_title()     # 4 panels and the third one's colour bar
    (5, 'singular values: rank 1')
    """
    if not kernels:
        raise ValueError("kernels must hold at least one {name: 2-D tensor} entry.")
    figure = draw.new_figure(12, 2.8 * len(kernels) + 0.5)
    axes = figure.subplots(len(kernels), 4, squeeze=False, width_ratios=[1, 1, 1.4, 1])
    for row, (name, kernel) in zip(axes, kernels.items()):
        column, vector, info = separable.factorise_kernel(torch.as_tensor(kernel))
        kernel = torch.as_tensor(kernel)
        rank1 = torch.outer(column, vector)
        limit = float(kernel.abs().max()) or 1.0
        missed = kernel - rank1
        largest = float(missed.abs().max())
        rounding = largest <= 1e3 * torch.finfo(kernel.dtype).eps * limit
        for ax, values, label in zip(row, (kernel, rank1), (f"{name}", "column ⊗ row")):
            draw.draw_grid(ax, utils.as_array(values), cmap="RdBu_r", vmin=-limit, vmax=limit, title=label, digits=2,
                           annotate=max(values.shape) <= 4)
        scale = largest or 1.0
        image = draw.draw_grid(row[2], utils.as_array(missed), cmap="RdBu_r", vmin=-scale, vmax=scale, annotate=False,
                               title=f"kernel - column ⊗ row\nmax |entry| {largest:.1e}" + (", rounding" if rounding else ""))
        bar = figure.colorbar(image, ax=row[2], fraction=0.046, pad=0.04,
                              ticks=[-scale, -scale / 2, 0, scale / 2, scale],
                              format=matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.1e}" if v else "0"))
        bar.ax.tick_params(labelsize=draw.FONTSIZE - 1)
        for ax in row[:3]:
            ax.set_xlabel("column", fontsize=draw.FONTSIZE)
            ax.set_ylabel("row", fontsize=draw.FONTSIZE)
        s = info.singular_values.numpy()
        row[3].bar(np.arange(1, s.size + 1), s, color="C0")
        row[3].set_title(f"singular values: rank {info.rank}", fontsize=draw.FONTSIZE)
        row[3].set_xlabel("index", fontsize=draw.FONTSIZE)
        row[3].set_ylabel("singular value", fontsize=draw.FONTSIZE)
        row[3].set_xticks(np.arange(1, s.size + 1))
        row[3].tick_params(labelsize=draw.FONTSIZE - 1)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure


def block_costs_figure(tables: dict, *, title: str | None = None):
    """Parameters and multiply-accumulates of several blocks, as ratios to the first block of each table:
    one point per block on a log axis, labelled with its count and its ratio.

    A point's position on a log axis is its ratio (equal distances are equal factors);
    a bar on a log axis would not be: its length depends on where the axis starts.

    Args:
        tables: ``{table title: {block name: {"params": int, "macs": int}}}``; one row of two
            panels (parameters, MACs) per table, under the table's title. The first block of a
            table is its reference (ratio 1, the dashed line).
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot).

    >>> figure = block_costs_figure({"2-D": {"full": {"params": 100, "macs": 1000}, "half": {"params": 50, "macs": 500}}})
    >>> [t.get_text() for t in figure.axes[0].texts], figure.axes[1].get_title()
    (['1x (100)', '0.5x (50)'], 'multiply-accumulates per sample')
    >>> figure.axes[0].collections[0].get_offsets()[:, 0].tolist()     # the points: ratios
    [1.0, 0.5]
    """
    if not tables or not all(tables.values()):
        raise ValueError("tables must hold at least one non-empty {block: {'params', 'macs'}} table.")
    rows = sum(len(t) for t in tables.values())
    figure = draw.new_figure(12, 0.42 * rows + 1.45 * len(tables) + 0.5)
    parts = figure.subfigures(len(tables), 1, squeeze=False, height_ratios=[len(t) + 3.4 for t in tables.values()])[:, 0]
    for (table_title, table), part in zip(tables.items(), parts):
        names = list(table)
        pair = part.subplots(1, 2)
        part.suptitle(table_title, fontsize=draw.FONTSIZE + 1)
        for ax, key, label in zip(pair, ("params", "macs"), ("parameters", "multiply-accumulates per sample")):
            values = np.array([table[n][key] for n in names], dtype=float)
            if np.any(values <= 0):
                raise ValueError(f"tables[{table_title!r}] must hold positive {key!r} counts, got {values.tolist()}.")
            ratios = values / values[0]
            y = np.arange(len(names))
            low, high = ratios.min() / 3, ratios.max() * 3
            ax.set_xscale("log")
            ax.set_xlim(low, high)
            ax.axvline(1.0, color="0.5", linestyle="--", linewidth=1, zorder=1)
            ax.scatter(ratios, y, s=60, color=[f"C{i}" for i in range(len(names))], zorder=3)
            middle = np.sqrt(low * high)
            for yi, r, v in zip(y, ratios, values):
                right = r <= middle   # label on the side with room
                ax.text(r * (1.25 if right else 0.8), yi, f"{utils.format_number(r)}x ({int(v):,})",
                        va="center", ha="left" if right else "right", fontsize=draw.FONTSIZE - 1,
                        bbox=dict(facecolor="white", edgecolor="none", pad=1))
            ax.set_yticks(y, names)
            ax.set_ylim(len(names) - 0.5, -0.5)
            ax.xaxis.set_major_formatter(lambda x, _: f"{utils.format_number(x)}x")
            ax.set_xlabel(f"ratio to {names[0]} (log scale)", fontsize=draw.FONTSIZE)
            ax.set_title(label, fontsize=draw.FONTSIZE)
            ax.tick_params(labelsize=draw.FONTSIZE - 1)
            ax.grid(True, axis="y", alpha=0.3)
        pair[1].set_yticklabels([])
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure
