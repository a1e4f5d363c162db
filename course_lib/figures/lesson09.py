"""Lesson 09's figures (capstone): :func:`kernels_figure` (a layer's kernels on one diverging scale),
:func:`segmentation_figure` (input, true mask, prediction) and :func:`training_figure` (loss and
test accuracy against the step), :func:`phase_figure` (maps minus their mean, a grid on every 2x2
block: the phase pattern of an upsampler) and :func:`decoder_comparison_figure` (scores of several
decoders, a dot per seed).

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator
import torch

from course_lib import draw, utils


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
    values = utils.as_array(weight)
    if values.ndim != 4 or values.size == 0:
        raise ValueError(f"weight must be a non-empty (C_out, C_in, kH, kW) tensor, got shape {values.shape}.")
    c_out, c_in = values.shape[:2]
    panels = [(o, i) for o in range(c_out) for i in range(c_in)]
    if labels is not None and len(labels) != len(panels):
        raise ValueError(f"labels needs one string per panel ({len(panels)}), got {len(labels)}.")
    ncols = max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    limit = float(np.abs(values).max()) or 1.0
    figure = draw.new_figure(min(draw.MAX_WIDTH, 1.3 * ncols + 1.2), (1.45 if labels is None else 1.7) * nrows + 0.6)
    axes = np.atleast_1d(figure.subplots(nrows, ncols)).ravel()
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    image = None
    for number, (ax, (o, i)) in enumerate(zip(axes, panels)):
        image = ax.imshow(values[o, i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        name = f"kernel {o}" if c_in == 1 else f"out {o}, in {i}"
        ax.set_title(name if labels is None else f"{name}\n{labels[number]}", fontsize=draw.FONTSIZE - 1)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="weight")
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
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
    columns = [("input", utils.as_array(images)), ("true mask", utils.as_array(masks))]
    if predictions is not None:
        columns.append(("prediction", utils.as_array(predictions)))
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
    figure = draw.new_figure(2.3 * shape[1] + 1.2, 2.2 * shape[0] + 0.5)
    grid = figure.subplots(*shape, squeeze=False)
    axes = grid.T if transpose else grid  # axes[r, c]: image r; c: input, true mask, prediction
    for r in range(rows):
        for c, ((name, _), values) in enumerate(zip(columns, arrays)):
            ax = axes[r, c]
            if c == 0:
                ax.imshow(values[r], cmap="gray")
                ax.set_title(f"input {r}", fontsize=draw.FONTSIZE - 1)
            else:
                mask_image = ax.imshow(values[r], cmap="magma", vmin=0, vmax=1)
                if name == "prediction":
                    right = ((values[r] > 0.5) == (arrays[1][r] > 0.5)).mean()
                    ax.set_title(f"prediction: {100 * right:.1f}% right", fontsize=draw.FONTSIZE - 1)
                else:
                    ax.set_title(name, fontsize=draw.FONTSIZE - 1)
            ax.set_xticks([])
            ax.set_yticks([])
            if (r == 0) if transpose else (c == 0):  # the left column
                ax.set_ylabel("H")
            if (c == len(arrays) - 1) if transpose else (r == rows - 1):  # the bottom row
                ax.set_xlabel("W")
    figure.colorbar(mask_image, ax=list(axes[:, 1:].ravel()), shrink=min(0.9, 0.3 + 0.15 * rows),
                    label="mask" if predictions is None else "mask / probability of 'shape'")
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
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
    steps, losses = utils.as_array(steps), utils.as_array(losses)
    if steps.ndim != 1 or steps.shape != losses.shape or steps.size == 0:
        raise ValueError(f"steps and losses must be non-empty 1-D and of one length, got {steps.shape} and {losses.shape}.")
    panels = 1 if accuracies is None else 2
    figure = draw.new_figure(4.6 * panels, 3.2)
    axes = np.atleast_1d(figure.subplots(1, panels))
    axes[0].plot(steps, losses, color="#1f77b4")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("training loss (log scale)")
    axes[0].set_title("loss", fontsize=draw.FONTSIZE)
    axes[0].grid(True, alpha=0.3)
    if accuracies is not None:
        accuracies = utils.as_array(accuracies)
        if accuracies.shape != steps.shape:
            raise ValueError(f"accuracies must have one value per step, got {accuracies.shape} for {steps.shape}.")
        axes[1].plot(steps, accuracies, color="#2ca02c", marker="o", markersize=3, label="network")
        if baseline is not None:
            axes[1].axhline(baseline, color=draw.PADDING, linestyle="--", label="best single-pixel threshold")
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("test pixel accuracy")
        axes[1].set_title("accuracy on the test images", fontsize=draw.FONTSIZE)
        axes[1].grid(True, alpha=0.3)
        axes[1].legend(loc="lower right", fontsize=draw.FONTSIZE - 2)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure


def phase_figure(panels, *, title: str | None = None, shared: bool = True,
                 label: str = "value minus its mean"):
    """Small maps side by side, each drawn minus its mean on a diverging scale (``RdBu_r``), with a
    thin grid around every 2x2 block: a period-2 pattern (a checkerboard, or any pattern that repeats
    every 2 pixels) shows as the same colours in every block.

    Args:
        panels: a list of dicts with ``"values"`` (a 2-D tensor or array, e.g. a crop of a layer's
            output on a constant input) and ``"title"``.
        title: the figure's title.
        shared: one colour scale for all panels (their strengths compare) or one per panel.
        label: the colour bar's label.

    Returns:
        A ``course_lib.draw.ShownFigure``; axes labelled ``W`` and ``H``.

    >>> checker = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).repeat(3, 3)
    >>> figure = phase_figure([{"values": checker, "title": "checker"},
    ...                        {"values": torch.ones(6, 6), "title": "flat"}], title="phases")
    >>> [ax.get_title() for ax in figure.axes[:2]], figure.axes[0].images[0].get_array()[0, :2].tolist()
    (['checker', 'flat'], [0.5, -0.5])
    """
    if not isinstance(panels, (list, tuple)) or not panels:
        raise ValueError(f"panels must be a non-empty list of dicts with 'values' and 'title', got {panels!r}.")
    arrays = []
    for panel in panels:
        values = utils.as_array(panel["values"]).astype(float)
        if values.ndim != 2 or values.size == 0:
            raise ValueError(f"each panel's values must be a non-empty 2-D array, got shape {values.shape} "
                             f"({panel.get('title')!r}).")
        arrays.append(values - values.mean())
    limits = [float(np.abs(a).max()) for a in arrays]
    if shared:
        limits = [max(limits)] * len(arrays)
    limits = [limit or 1.0 for limit in limits]   # an all-flat map: any scale shows it white
    figure = draw.new_figure(min(draw.MAX_WIDTH, 2.6 * len(panels) + (1.2 if shared else 0.6 * len(panels))),
                             3.4 if title else 3.0)
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    for ax, panel, values, limit in zip(axes, panels, arrays, limits):
        image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
        rows, columns = values.shape
        for x in range(2, columns, 2):
            ax.axvline(x - 0.5, color="#444444", linewidth=0.8)
        for y in range(2, rows, 2):
            ax.axhline(y - 0.5, color="#444444", linewidth=0.8)
        ax.set_xticks(range(0, columns, 2))
        ax.set_yticks(range(0, rows, 2))
        ax.set_xlabel("W")
        ax.set_ylabel("H")
        ax.set_title(panel.get("title"), fontsize=draw.FONTSIZE - 1)
        if not shared:
            figure.colorbar(image, ax=ax, shrink=0.8, label=label if ax is axes[-1] else None)
    if shared:
        figure.colorbar(image, ax=list(axes), shrink=0.8, label=label)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure


def decoder_comparison_figure(results: dict, *, title: str | None = None, baselines: dict | None = None):
    """One row per decoder, one panel per measure (e.g. test accuracy, IoU, phase spread): a dot per run
    (seed) and a bar at their median, so the spread between seeds shows next to the differences between
    decoders.

    Args:
        results: ``{decoder name: {measure name: [one value per seed]}}``; every decoder has the same
            measures.
        title: the figure's title.
        baselines: ``{measure name: value}`` drawn as a dashed vertical line (e.g. a baseline's IoU).

    Returns:
        A ``course_lib.draw.ShownFigure``.

    >>> figure = decoder_comparison_figure({"a": {"IoU": [0.8, 0.9]}, "b": {"IoU": [0.7, 0.75]}})
    >>> [t.get_text() for t in figure.axes[0].get_yticklabels()], figure.axes[0].get_xlabel()
    (['a', 'b'], 'IoU')
    """
    if not isinstance(results, dict) or not results:
        raise ValueError(f"results must be a non-empty dict {{decoder: {{measure: values}}}}, got {results!r}.")
    names = list(results)
    measures = list(results[names[0]])
    if not measures or any(list(results[n]) != measures for n in names):
        raise ValueError(f"every decoder needs the same measures, got {[list(results[n]) for n in names]}.")
    figure = draw.new_figure(min(draw.MAX_WIDTH, 2.2 + 2.6 * len(measures)), 0.75 + 0.45 * len(names))
    axes = np.atleast_1d(figure.subplots(1, len(measures), sharey=True))
    for ax, measure in zip(axes, measures):
        for row, name in enumerate(names):
            values = utils.as_array(results[name][measure]).astype(float).ravel()
            ax.plot(values, [row] * len(values), "o", color="#1f77b4", alpha=0.75, markersize=6)
            ax.plot([np.median(values)] * 2, [row - 0.3, row + 0.3], color="black", linewidth=2)
        if baselines and measure in baselines:
            ax.axvline(baselines[measure], color=draw.PADDING, linestyle="--")
        ax.set_xlabel(measure)
        ax.xaxis.set_major_locator(MaxNLocator(3, steps=[1, 2, 5, 10]))   # few ticks, apart
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(names)))
    axes[0].set_yticklabels(names)
    axes[0].set_ylim(len(names) - 0.5, -0.5)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure
