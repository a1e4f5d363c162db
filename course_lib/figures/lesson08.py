"""Lesson 08's figures (upsampling): :func:`sampling_figure`, where the outputs of a 1-D resize sit on
the input and which inputs each reads, with what weight; :func:`resized_profile_figure`, a row of
pixels and its resized versions on one position axis (the copying modes drawn as steps).

Each function returns a ``course_lib.draw.ShownFigure``: leave the call as the last expression of a
cell.
"""
from __future__ import annotations

import matplotlib.patches
import numpy as np
import torch

from course_lib import draw, utils


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
    figure = draw.new_figure(10, 1.9 * len(panels) + (0.4 if title else 0))
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    low, high = -0.5, in_size - 0.5
    for p, (ax, panel) in enumerate(zip(axes, panels)):
        unknown = set(panel) - {"title", "centres", "index", "weight", "width"}
        if unknown or not {"centres", "index"} <= set(panel):
            raise ValueError(
                f"panels[{p}] needs 'centres' and 'index' and may have 'title', 'weight', 'width'; got keys {sorted(panel)}."
            )
        centres = utils.as_array(panel["centres"]).ravel()
        index = np.atleast_2d(utils.as_array(panel["index"])).astype(int)
        weight = np.atleast_2d(utils.as_array(panel["weight"])) if "weight" in panel else np.ones(index.shape)
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
            ax.text(i, 1.0, f"x[{i}]", ha="center", va="center", fontsize=draw.FONTSIZE - 1)
        for o, c in enumerate(centres):
            ax.add_patch(matplotlib.patches.Rectangle((c - width / 2, -0.25), width, 0.5, facecolor="#fdd0a2",
                                                      edgecolor="k", lw=1))
            ax.text(c, 0.0, str(o), ha="center", va="center", fontsize=draw.FONTSIZE - 2)
        show_weights = not np.all((weight == 0) | (weight == 1))
        for o, c in enumerate(centres):
            reads = {}  # input -> total weight (a clamped tap may read the same input twice)
            for i, w in zip(index[:, o], weight[:, o]):
                reads[int(i)] = reads.get(int(i), 0.0) + float(w)
            for i, w in reads.items():
                if w == 0:
                    continue
                ax.plot([c, i], [0.25, 0.75], color=draw.HIGHLIGHT, lw=0.5 + 2.5 * abs(w), alpha=0.8, gid="read")
                if show_weights:  # just above the output, on the side of the input it weighs
                    ax.text(c + 0.085 * np.sign(i - c), 0.35, utils.format_number(w, 2), color=draw.HIGHLIGHT, ha="center",
                            va="center", fontsize=draw.FONTSIZE - 2, zorder=5,
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.85})
        for edge in (low, high):
            ax.axvline(edge, color="k", ls="--", lw=1)
        for corner in (0, in_size - 1):
            ax.axvline(corner, color="0.4", ls=":", lw=1)
        ax.set_yticks([0, 1], ["output", "input"])
        ax.set_ylim(-0.4, 1.4)
        ax.set_title(panel.get("title", ""), fontsize=draw.FONTSIZE)
    left = min(low, *(utils.as_array(p["centres"]).min() for p in panels)) - 0.3
    right = max(high, *(utils.as_array(p["centres"]).max() for p in panels)) + 0.3
    axes[-1].set_xlim(left, right)
    axes[-1].set_xlabel("position in input pixels (input pixel i is centred at i; dashed: the input's edges, "
                        "dotted: its corner pixel centres)")
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure


COPYING_MODES = ("nearest", "nearest-exact")
"""The modes that copy one input per output: :func:`resized_profile_figure` draws them as steps."""


def resized_profile_figure(samples, position, outputs: dict, *, steps=COPYING_MODES, title: str | None = None):
    """A row of input pixels and its resized versions, on one position axis in input pixels.

    The input pixel ``i`` (value ``samples[i]``) is a black dot at ``i``. Each entry of ``outputs``
    is a line over ``position``, the outputs' sample positions (e.g. ``(o + 0.5) * in / out - 0.5``).
    An output whose label is in ``steps`` (by default ``"nearest"`` and ``"nearest-exact"``, which
    copy one input each) is drawn as steps (``drawstyle="steps-mid"``): each value held across its
    own output pixel, as the picture shows it; the others as lines through their samples.

    Args:
        samples: ``(in_size,)`` the input row.
        position: ``(out_size,)`` where each output sits, in input pixels.
        outputs: ``{label: (out_size,) values}``, drawn in order.
        steps: the labels drawn as steps.
        title: the panel's title.

    Returns:
        A ``course_lib.draw.ShownFigure``.

    >>> figure = resized_profile_figure(torch.tensor([0.0, 1.0]), torch.tensor([-0.25, 0.25, 0.75, 1.25]),
    ...                                 {"nearest": torch.tensor([0.0, 0.0, 1.0, 1.0]),
    ...                                  "linear": torch.tensor([0.0, 0.25, 0.75, 1.0])}, title="2 -> 4")
    >>> [(line.get_label(), line.get_drawstyle()) for line in figure.axes[0].lines]
    [('input pixels', 'default'), ('nearest', 'steps-mid'), ('linear', 'default')]
    >>> resized_profile_figure(torch.zeros(2), torch.zeros(4), {"nearest": torch.zeros(3)})
    Traceback (most recent call last):
        ...
    ValueError: outputs['nearest'] has 3 values but position has 4; give one value per output.
    """
    samples = draw.signal_1d("samples", samples)
    position = draw.signal_1d("position", position)
    if not isinstance(outputs, dict) or not outputs:
        raise ValueError(f"outputs must be a non-empty dict {{label: values}}, got {outputs!r}.")
    figure = draw.new_figure(10, 3.4)
    ax = figure.subplots()
    ax.plot(np.arange(len(samples)), samples, "o", color="black", ms=7, label="input pixels", zorder=5)
    for label, values in outputs.items():
        values = utils.as_array(values).ravel()
        if len(values) != len(position):
            raise ValueError(
                f"outputs[{label!r}] has {len(values)} values but position has {len(position)}; "
                f"give one value per output."
            )
        ax.plot(position, values, lw=1.8, label=label, drawstyle="steps-mid" if label in steps else "default")
    ax.set_xlabel("position in input pixels (input pixel i is centred at i)")
    ax.set_ylabel("value")
    if title:
        ax.set_title(title, fontsize=draw.FONTSIZE)
    ax.legend(loc="upper left", fontsize=draw.FONTSIZE - 1)
    ax.grid(alpha=0.3)
    return figure
