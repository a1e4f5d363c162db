"""Lesson 07's figures (transposed convolution): :func:`overlap_counts_figure`, grids of counts such as
how many kernel stamps land on each output cell, and :func:`crops_figure`, crops of upsampled
pictures on one grey scale. The scatter stepper's picture is in ``course_lib.widgets.scatter``.

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import matplotlib.ticker
import numpy as np

from course_lib import draw, utils


def _panels(panels) -> list[tuple[np.ndarray, str | None]]:
    """``(values, title)`` of each panel dict, the values a 2-D float array."""
    if not isinstance(panels, (list, tuple)) or not panels:
        raise ValueError(f"panels must be a non-empty list of dicts with 'values' and 'title', got {panels!r}.")
    checked = []
    for n, panel in enumerate(panels):
        if not isinstance(panel, dict) or "values" not in panel:
            raise ValueError(f"panels[{n}] must be a dict with 'values' (and 'title'), got {panel!r}.")
        values = utils.as_array(panel["values"])
        if values.ndim != 2:
            raise ValueError(f"each panel's values must be 2-D, got shape {values.shape} ({panel.get('title')!r}).")
        checked.append((values, panel.get("title")))
    return checked


def overlap_counts_figure(panels, *, title: str | None = None, height: float = 3.4, shared: bool = False,
                          xlabel: str = "W_out", ylabel: str = "H_out", label: str | None = None):
    """Grids of counts side by side, the numbers written in: e.g. how many kernel stamps hit each output
    pixel.

    Args:
        panels: a list of dicts with ``"values"`` (a 2-D tensor or array) and ``"title"``.
        title: the figure's title.
        height: figure height in inches; the width follows the number of panels (at most 9.5 inches).
        shared: one colour range (``viridis``, from the lowest to the highest value of all panels) and
            one colour bar for every panel, so equal numbers have equal colours; ``False`` gives each
            panel its own range and no colour bar.
        xlabel, ylabel: the axes' labels (``ylabel`` on the first panel only when ``shared``).
        label: the shared colour bar's label.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as the last expression of a
        cell).

    >>> figure = overlap_counts_figure([{"values": np.ones((3, 3)), "title": "ones"},
    ...                                 {"values": np.eye(3), "title": "eye"}], title="counts")
    >>> [ax.get_title() for ax in figure.axes], figure.get_suptitle()
    (['ones', 'eye'], 'counts')
    >>> figure = overlap_counts_figure([{"values": np.ones((3, 3)), "title": "ones"},
    ...                                 {"values": 4 * np.eye(3), "title": "eye"}], shared=True)
    >>> [ax.images[0].get_clim() for ax in figure.axes[:2]]
    [(0.0, 4.0), (0.0, 4.0)]
    """
    checked = _panels(panels)
    vmin = vmax = None
    if shared:
        vmin = min(float(np.nanmin(values)) for values, _ in checked)
        vmax = max(float(np.nanmax(values)) for values, _ in checked)
        if vmin == vmax:
            vmin, vmax = vmin - 1, vmax + 1
    width = min(draw.MAX_WIDTH, 3.2 * len(checked) + (0.9 if shared else 0.0))
    figure = draw.new_figure(width, height)
    axes = np.atleast_1d(figure.subplots(1, len(checked)))
    for n, (ax, (values, panel_title)) in enumerate(zip(axes, checked)):
        draw.draw_grid(ax, values, annotate=max(values.shape) <= 16, digits=3, title=panel_title, vmin=vmin, vmax=vmax,
                       xlabel=xlabel, ylabel=ylabel if (n == 0 or not shared) else None)
    return _finish(figure, axes, label, title, bar=shared)


def crops_figure(panels, *, title: str | None = None, label: str | None = None, height: float = 3.6,
                 xlabel: str = "W (pixels)", ylabel: str = "H (pixels)"):
    """Pictures side by side on **one** grey scale (from ``min(0, lowest value)`` to the highest value of
    all panels) with one colour bar: the same brightness is the same grey in every panel, so a panel
    that overshoots shows it.

    Args:
        panels: a list of dicts with ``"values"`` (a 2-D tensor or array, e.g. a crop of an upsampled
            photo) and ``"title"``; the panels may differ in size.
        title: the figure's title.
        label: the colour bar's label.
        height: figure height in inches; the width follows the number of panels (at most 9.5 inches).
        xlabel, ylabel: the axes' labels (``ylabel`` on the first panel only).

    Tick labels are whole pixel indices, at most 4 per axis, so they stay apart at 12 pt.

    Returns:
        A ``matplotlib.figure.Figure`` (not registered with pyplot: leave it as the last expression of a
        cell).

    >>> figure = crops_figure([{"values": np.zeros((4, 4)), "title": "dark"},
    ...                        {"values": np.full((8, 8), 2.0), "title": "bright"}], label="brightness")
    >>> [ax.images[0].get_clim() for ax in figure.axes[:2]], figure.axes[2].get_ylabel()
    ([(0.0, 2.0), (0.0, 2.0)], 'brightness')
    """
    checked = _panels(panels)
    low = min(0.0, min(float(np.nanmin(values)) for values, _ in checked))
    high = max(float(np.nanmax(values)) for values, _ in checked)
    if high == low:
        high = low + 1
    figure = draw.new_figure(min(draw.MAX_WIDTH, 2.0 * len(checked) + 1.0), height)
    axes = np.atleast_1d(figure.subplots(1, len(checked)))
    for n, (ax, (values, panel_title)) in enumerate(zip(axes, checked)):
        ax.imshow(values, cmap="gray", vmin=low, vmax=high, interpolation="nearest")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=3, integer=True, steps=[1, 2, 5, 10]))
        ax.tick_params(labelsize=draw.FONTSIZE - 1)
        if panel_title:
            ax.set_title(panel_title, fontsize=draw.FONTSIZE)
        ax.set_xlabel(xlabel, fontsize=draw.FONTSIZE)
        if n == 0:
            ax.set_ylabel(ylabel, fontsize=draw.FONTSIZE)
    return _finish(figure, axes, label, title)


def _finish(figure, axes, label: str | None, title: str | None, bar: bool = True):
    """Add one colour bar for all ``axes`` (from the first panel's image, labelled ``label``) when ``bar``,
    and the figure's ``title``; return the figure."""
    if bar:
        colour_bar = figure.colorbar(axes[0].images[0], ax=list(axes), shrink=0.85)
        colour_bar.ax.tick_params(labelsize=draw.FONTSIZE - 1)
        if label:
            colour_bar.set_label(label, fontsize=draw.FONTSIZE)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure
