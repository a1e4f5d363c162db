"""Lesson 01's figures (1-D convolution): :func:`window_figure` (the taps a 1-D kernel reads for one
output) and :func:`padding_figure` (what padding adds at each end). Signals over a shared axis are
``course_lib.draw.signals_figure``.

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import matplotlib.ticker
import numpy as np
import torch

from course_lib import draw, shapes, utils


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
    x, w, out = draw.signal_1d("x", x), draw.signal_1d("w", w), draw.signal_1d("out", out)
    if not 0 <= o < len(out):
        raise ValueError(f"o must be an output position 0..{len(out) - 1} (out has {len(out)} elements), got {o}.")
    taps = [shapes.window_position(o, j, stride, dilation) for j in range(len(w))]
    if taps[-1] >= len(x):
        raise ValueError(
            f"the kernel at output {o} reads x[{taps[-1]}], past the end of x (length {len(x)}). "
            f"Check stride={stride} and dilation={dilation}, or pass the padded input as x."
        )
    figure = draw.new_figure(9, 4.5)
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.stem(range(len(x)), x, linefmt="C0-", markerfmt="C0o", basefmt="k-")
    top.stem(taps, x[taps], linefmt="C3-", markerfmt="C3o", basefmt="k-")
    for j, tap in enumerate(taps):
        top.annotate(f"× w[{j}] = {utils.format_number(w[j])}", (tap, x[tap]), textcoords="offset points",
                     xytext=(0, 8), ha="center", color="C3", fontsize=draw.FONTSIZE - 1)
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
    signals = {name: utils.as_array(values).ravel() for name, values in padded.items()}
    length = len(next(iter(signals.values())))
    for name, values in signals.items():
        if len(values) != length or length <= 2 * p:
            raise ValueError(
                f"every padded signal needs the same length L + 2p, more than 2p = {2 * p}; "
                f"{name!r} has {len(values)} values (the first one has {length})."
            )
    cols = min(2, len(signals))
    rows = -(-len(signals) // cols)
    figure = draw.new_figure(5 * cols, 2.4 * rows + 0.6)
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
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=draw.FONTSIZE - 1)
    if title:
        figure.suptitle(title)
    return figure
