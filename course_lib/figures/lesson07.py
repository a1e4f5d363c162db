"""Lesson 07's figure (transposed convolution): :func:`overlap_counts_figure`, grids of counts such as
how many kernel stamps land on each output cell. The scatter stepper's picture is in
``course_lib.widgets.scatter``.

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import numpy as np

from course_lib import draw, utils


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
    figure = draw.new_figure(min(draw.MAX_WIDTH, 3.2 * len(panels)), height)
    axes = figure.subplots(1, len(panels))
    axes = np.atleast_1d(axes)
    for ax, panel in zip(axes, panels):
        values = utils.as_array(panel["values"])
        if values.ndim != 2:
            raise ValueError(f"each panel's values must be 2-D, got shape {values.shape} ({panel.get('title')!r}).")
        draw.draw_grid(ax, values, annotate=max(values.shape) <= 16, digits=3, title=panel.get("title"),
                       xlabel="W_out", ylabel="H_out")
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure
