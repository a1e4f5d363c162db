"""Lesson 05's figures (vectorising): :func:`strided_view_figure` (which storage element each element
of a strided view reads), :func:`matrix_figure` (a sparse matrix, zeros blank),
:func:`im2col_memory_figure` (bytes of the column matrix against the kernel size),
:func:`scaling_figure` (log-log time against size).

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import matplotlib.ticker
import numpy as np
import torch

from course_lib import draw, utils


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
    width = max(4.0, min(draw.MAX_WIDTH, 0.55 * max(len(x), cols) + 1.5))
    figure = draw.new_figure(width, 1.6 + 0.5 * rows)
    top, bottom = figure.subplots(2, 1, height_ratios=[1, max(rows, 1.5)])
    memory_mask = np.zeros(len(x), dtype=bool)
    view_mask = np.zeros((rows, cols), dtype=bool)
    if highlight_row is not None:
        memory_mask[offsets[highlight_row]] = True
        view_mask[highlight_row] = True
    draw.draw_grid(top, np.arange(len(x)), highlight=memory_mask, annotate=True, cmap="Blues", vmin=-len(x), vmax=len(x),
                   title=f"x in memory: {len(x)} elements, stride {x.stride()}", xlabel="storage offset")
    draw.draw_grid(bottom, offsets, highlight=view_mask, annotate=True, cmap="Blues", vmin=-len(x), vmax=len(x),
                   title=f"{view_name}: shape {tuple(view.shape)}, stride {view.stride()}; each cell: the offset it reads",
                   xlabel="tap j (+%d in memory)" % view.stride(1), ylabel="window i (+%d)" % view.stride(0))
    top.set_xlim(-0.5, max(len(x), cols) - 0.5)
    bottom.set_xlim(-0.5, cols - 0.5)  # only the view's own taps: no empty tap axis beyond them
    bottom.set_xticks(range(cols))
    bottom.set_yticks(range(rows))
    bottom.set_aspect("equal")
    top.set_aspect("equal")
    figure.suptitle(title or f"[i, j] reads storage[{base} + {view.stride(0)}*i + {view.stride(1)}*j]: no element is copied",
                    fontsize=draw.FONTSIZE + 1)
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
    values = utils.as_array(matrix)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"matrix must be a non-empty 2-D tensor or array, got shape {values.shape}.")
    rows, cols = values.shape
    shown = np.where(values == 0, np.nan, values)
    limit = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
    if annotate is None:
        annotate = cols <= 30
    height = min(9.0, max(2.0, width * rows / cols + 1.0))
    figure = draw.new_figure(width, height)
    ax = figure.add_subplot()
    draw.draw_grid(ax, shown, annotate=annotate, cmap="RdBu_r", vmin=-limit, vmax=limit, title=title, xlabel=xlabel,
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
    figure = draw.new_figure(10, 5.0)
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
            if (k, utils.format_number(r)) in written:  # the same label at the same point: write it once
                continue
            written.add((k, utils.format_number(r)))
            right.annotate(f"{utils.format_number(r)}x", (k, r), textcoords="offset points", xytext=(-6, 7), ha="right",
                           fontsize=draw.FONTSIZE - 2, color=colour)
    if block_bytes:
        left.axhline(block_bytes / mib, color="k", ls=":", lw=1.5, label=f"one block: {utils.format_number(block_bytes / mib)} MiB")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xlabel("kernel size k (k x k, or k x k x k)")
        ax.set_xticks(kernel_sizes)
        ax.grid(True, which="major", alpha=0.3)
    left.set_ylabel("MiB (log scale)")
    left.set_title("bytes of the column matrix (float32)")
    right.set_ylabel("columns / input (log scale)")
    right.set_title("how many times the input")
    left.legend(fontsize=draw.FONTSIZE - 2, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    right.legend(fontsize=draw.FONTSIZE - 2, loc="lower right")
    right.margins(x=0.15, y=0.2)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure


def scaling_figure(panels: list[dict], *, title: str | None = None, ylabel: str = "time per call (log scale)"):
    """Log-log plots of time against a size, one line per method, one panel per dict in ``panels``.

    Each panel is a dict with

    - ``"x"``: the sizes (the x axis);
    - ``"times"``: ``{method: [seconds per size]}``; ``None`` or ``nan`` where a method
      was not timed (too slow, or not applicable), so its line has a gap there;
    - ``"xlabel"``, ``"title"`` (optional).

    The y axis is labelled in s, ms, µs, on every panel, and all panels share one y range, so that a
    height means the same time in each. A method keeps its colour and marker in every panel. On log-log
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
    figure = draw.new_figure(min(draw.MAX_WIDTH + 1, 4.3 * len(panels) + 0.5), 4.2 + (0.4 if title else 0))
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
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: utils.format_number(v)))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlabel(panel.get("xlabel", "size"))
        ax.set_title(panel.get("title", ""), fontsize=draw.FONTSIZE)
    finite = [float(t) for panel in panels for times in panel["times"].values() for t in times
              if t is not None and np.isfinite(float(t)) and float(t) > 0]
    for ax in axes:
        if finite:  # one y range for every panel, a little room above and below (log scale)
            ax.set_ylim(min(finite) / 1.6, max(finite) * 1.6)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: utils.format_seconds(v)))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_ylabel(ylabel)
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    figure.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=len(handles),
                  fontsize=draw.FONTSIZE - 1)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure
