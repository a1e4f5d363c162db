"""The output-size explorer: sliders for input size, kernel, stride, padding and dilation; the output-
size formula with the numbers put in, and where every kernel placement lands. Its state and controls
(:class:`OutputSizeExplorer`, :func:`output_size_explorer`) and its picture
(:func:`draw_output_size`, :func:`draw_placements`).
"""
from __future__ import annotations

import math

import matplotlib.patches
import matplotlib.ticker

from course_lib import draw, shapes, utils
import course_lib.widgets.base as base


_EXPLORER = {  # name: (symbol in the formula, smallest value, largest slider value by default)
    "size": ("i", 1, 16),
    "kernel_size": ("k", 1, 7),
    "stride": ("s", 1, 4),
    "padding": ("p", 0, 4),
    "dilation": ("d", 1, 4),
}


class OutputSizeExplorer(base.Widget):
    """Explore ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` on one axis. Made by
    :func:`output_size_explorer`.

    Controls: ``sliders``, a dict of ``IntSlider`` keyed ``size``, ``kernel_size``,
    ``stride``, ``padding``, ``dilation``.

    Pure methods: ``values``, ``output_size`` (``None`` when the kernel does not
    fit), ``formula``, ``placements``, ``unused``.
    State after each render: ``text``, ``figure``, ``png``.
    """

    def __init__(self, size=7, kernel_size=3, stride=1, padding=0, dilation=1):
        given = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        self._given = given
        self.sliders = {}
        for name, (symbol, low, high) in _EXPLORER.items():
            value = utils.check_int(name, given[name], minimum=low)
            self.sliders[name] = base.slider(f"{name} {symbol}", value, low, max(high, value))
            self.sliders[name].observe(self._changed, names="value")
        self._build([base.slider_grid(list(self.sliders.values()))])
        self.render()

    def values(self) -> dict[str, int]:
        """The sliders' current values.

        >>> output_size_explorer(size=8, stride=2).values()
        {'size': 8, 'kernel_size': 3, 'stride': 2, 'padding': 0, 'dilation': 1}
        """
        return {name: slider.value for name, slider in self.sliders.items()}

    def output_size(self) -> int | None:
        """``shapes.conv_output_size`` of the current values, or ``None`` if the kernel does not fit.

        >>> output_size_explorer(size=8, stride=2).output_size(), output_size_explorer(size=2).output_size()
        (3, None)
        """
        try:
            return shapes.conv_output_size(**self.values())
        except ValueError:
            return None

    def formula(self) -> str:
        """The formula, then with the numbers put in, then its value (or why there is none).

        >>> print(output_size_explorer(size=8, stride=2).formula())
        o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1
          = ⌊(8 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1
          = ⌊5 / 2⌋ + 1 = 2 + 1 = 3
        3 kernel placements, starting every s = 2 cells of the padded input.
        Input cell 7 is never read (outlined in red): the floor drops what is left after the last placement, and dilation can skip cells.
        """
        v = self.values()
        i, k, s, p, d = (v[name] for name in _EXPLORER)
        top = i + 2 * p - d * (k - 1) - 1
        lines = [
            "o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1",
            f"  = ⌊({i} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1",
            f"  = ⌊{top} / {s}⌋ + 1 = {top // s} + 1 = {top // s + 1}",
        ]
        try:
            o = shapes.conv_output_size(**v)
        except ValueError as error:
            lines.append(f"The kernel does not fit, so there is no output: {error}")
        else:
            lines.append(f"{o} kernel placement{'s' if o != 1 else ''}, starting every s = {s} cells of the padded input.")
            unused = self.unused()
            if unused:
                lines.append(
                    f"Input cell{'s' if len(unused) > 1 else ''} {', '.join(map(str, unused))} "
                    f"{'are' if len(unused) > 1 else 'is'} never read (outlined in red): the floor drops "
                    f"what is left after the last placement, and dilation can skip cells."
                )
        return "\n".join(lines)

    def placements(self) -> list[list[int]]:
        """For each placement ``j``, the input indices its taps read (negative or ``>= i``: padding).

        >>> output_size_explorer(size=5, kernel_size=2, stride=2, padding=1, dilation=2).placements()
        [[-1, 1], [1, 3], [3, 5]]
        """
        return shapes.kernel_placements(**self.values())

    def unused(self) -> list[int]:
        """Input indices (not padding) that no placement reads.

        >>> output_size_explorer(size=5, kernel_size=2, stride=2, padding=1, dilation=2).unused()
        [0, 2, 4]
        """
        read = {c for taps in self.placements() for c in taps}
        return [c for c in range(self.values()["size"]) if c not in read]

    def spec(self) -> dict:
        return {"widget": "output_size_explorer", "args": dict(self._given), "state": self.values()}

    def summary(self) -> str:
        v = self.values()
        return f"i={v['size']}, k={v['kernel_size']}, s={v['stride']}, p={v['padding']}, d={v['dilation']} -> o={self.output_size()}"

    def controls_note(self) -> str:
        return (
            "Run the cell to get the controls: sliders for the input size i, kernel size k, stride s, padding p "
            "and dilation d, with the formula and the picture following them. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return math.ceil(len(self.sliders) / 2)

    def render(self) -> None:
        """Redraw for the current slider values (called whenever one moves)."""
        self.text = self.formula()
        self._show(draw_output_size(**self.values()), self.text)


def output_size_explorer(size=7, kernel_size=3, stride=1, padding=0, dilation=1) -> OutputSizeExplorer:
    """Sliders for the output-size formula of a 1-D convolution, with a picture.

    Shows ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` with the numbers put in
    (computed by ``course_lib.shapes.conv_output_size``) and, for each kernel
    placement, the padded-input cells it reads. When the kernel does not fit
    it says so instead of failing.

    Args:
        size: input length ``i`` (>= 1).
        kernel_size: ``k`` (>= 1).
        stride: ``s`` (>= 1).
        padding: ``p`` zeros on each side (>= 0).
        dilation: ``d`` (>= 1).

    Returns:
        An :class:`OutputSizeExplorer`; leave it as the last expression of a cell to show it.

    >>> e = output_size_explorer(size=8, kernel_size=3, stride=2, padding=1)
    >>> e.output_size()
    4
    >>> e.sliders["stride"].value = 3  # the formula and the picture follow
    >>> e.summary()
    'i=8, k=3, s=3, p=1, d=1 -> o=3'
    """
    return OutputSizeExplorer(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


# ----------------------------------------------------------------------------
# The picture
# ----------------------------------------------------------------------------


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
    placements = shapes.kernel_placements(size, kernel_size, stride, padding, dilation)
    rows = max(len(placements), 1) + 1
    span = dilation * (kernel_size - 1) + 1
    cols = max(size + 2 * padding, span + (0 if placements else padding)) + 1
    cell = min(0.4, 3.4 / rows, (draw.MAX_WIDTH - 1.6) / cols)  # inches per cell
    figure = base.widget_figure(cell * cols + 1.6, cell * rows + 1.5)
    ax = figure.add_subplot()
    draw_placements(ax, size, kernel_size, stride, padding, dilation, fontsize=min(draw.FONTSIZE - 1, 0.6 * 72 * cell))
    title = f"i={size}, k={kernel_size}, s={stride}, p={padding}, d={dilation}: "
    ax.set_title(title + (f"o = {len(placements)}" if placements else "the kernel does not fit")
                 + "\nboxes: the cells each placement reads, numbered by kernel tap", fontsize=draw.FONTSIZE + 1)
    return figure


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
    fontsize = draw.FONTSIZE - 1 if fontsize is None else fontsize
    placements = shapes.kernel_placements(size, kernel_size, stride, padding, dilation)
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
            ax.add_patch(draw.cell_patch(c, 0, "highlight", draw.HIGHLIGHT))
    rows = placements or [[t * dilation - padding for t in range(kernel_size)]]
    colour = "#1f77b4" if placements else draw.HIGHLIGHT
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
    ax.set_yticklabels(["input"] + names, fontsize=draw.FONTSIZE - 1)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.tick_params(axis="x", labelsize=draw.FONTSIZE - 1)
    ax.set_xlabel("input index (padding at negative indices and past the end)", fontsize=draw.FONTSIZE)
    ax.set_aspect("equal")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return placements
