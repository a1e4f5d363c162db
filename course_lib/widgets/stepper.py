"""The kernel stepper: move a kernel over a 1-D, 2-D or 3-D input and see the cells it reads, the
output cell it writes and the dot product. Its state and controls (:class:`KernelStepper`,
:func:`kernel_stepper`) and its picture (:func:`draw_kernel_stepper`).
"""
from __future__ import annotations

import itertools
import math

import matplotlib.ticker
import numpy as np
import torch

from course_lib import args, draw, padding_modes, shapes, utils, vectorised
import course_lib.widgets.base as base


class KernelStepper(base.Widget):
    """Step a single-channel kernel over a 1-D, 2-D or 3-D input. Made by :func:`kernel_stepper`.

    Controls: ``position``, one ``IntSlider`` per output axis (for 3-D the first
    is the depth slider).

    Pure methods (``position`` defaults to the sliders' values):
    ``window``, ``receptive_field``, ``terms``, ``value``, ``dot_product_text``.
    Fixed data: ``padded`` (the zero-padded input), ``is_padding``, ``weight``,
    ``output`` (the whole convolution), ``stride``, ``padding`` (``(before,
    after)`` per axis), ``dilation``, ``output_size``.

    State after each render: ``text`` (the dot product), ``detail`` (where the
    window is), ``figure``, ``png``. ``render=False`` skips drawing until
    :meth:`render` is called (for scripts that only need the arithmetic).
    """

    def __init__(self, input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1, render=True):
        utils.check_tensor("input", input)
        utils.check_tensor("weight", weight)
        n = input.dim()
        if not 1 <= n <= 3:
            hint = "pick one sample and one channel first, e.g. x[0, 0]" if n > 3 else "give it at least one axis"
            raise ValueError(
                f"input must be one channel without a batch axis: (L,), (H, W) or (D, H, W); got a {n}-D tensor "
                f"of shape {tuple(input.shape)}; {hint}."
            )
        if weight.dim() != n:
            kernel = ", ".join("k" + s for s in utils.spatial_names(n))
            hint = (
                "For a layer's weight (C_out, C_in, ...) pick one kernel, e.g. weight[0, 0]."
                if weight.dim() > n
                else "If input has a channel axis, e.g. a (C, H, W) image, pick one channel: input[0]."
            )
            raise ValueError(
                f"weight must have the same rank as input ({n}-D: ({kernel})), got a {weight.dim()}-D tensor "
                f"of shape {tuple(weight.shape)}. {hint}"
            )
        base.check_real("input", input)
        base.check_real("weight", weight)
        x = input.detach().cpu().to(torch.float64)
        w = weight.detach().cpu().to(torch.float64)
        a = args.conv_args("kernel_stepper", x[None, None], w[None, None], None, stride, padding, dilation, 1, "zeros")
        self.n = n
        self.names = utils.spatial_names(n)
        self._padding_arg = padding if isinstance(padding, (int, str)) else [int(p) for p in padding]
        self.input, self.weight = x, w
        self.stride, self.padding, self.dilation = a.stride, a.padding, a.dilation
        self.kernel_size, self.output_size = a.kernel_size, a.output_size
        self.padded = padding_modes.pad(x, self.padding)
        self.is_padding = padding_modes.pad(torch.ones_like(x, dtype=torch.bool), self.padding).numpy() == 0
        self.output = vectorised.convnd(self.padded[None, None], w[None, None], stride=self.stride, dilation=self.dilation)[0, 0]
        self.position = tuple(
            base.slider(f"out {name}" + (" (depth)" if n == 3 and axis == 0 else ""), 0, 0, size - 1)
            for axis, (name, size) in enumerate(zip(self.names, self.output_size))
        )
        for slider in self.position:
            slider.observe(self._changed, names="value")
        self._build([base.slider_grid(self.position)])
        self._held = not render
        if render:
            self.render()

    # -- the arithmetic --------------------------------------------------------

    def _position(self, position) -> tuple[int, ...]:
        if position is None:
            return tuple(s.value for s in self.position)
        position = utils.as_tuple("position", position, self.n, minimum=0)
        for axis, (p, size) in enumerate(zip(position, self.output_size)):
            if p >= size:
                raise ValueError(
                    f"position must lie inside the output {self.output_size}, got {position} "
                    f"(axis {axis} ({self.names[axis]}) has {size} positions: 0..{size - 1})."
                )
        return position

    def window(self, position=None) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """``(kernel index, padded-input index)`` for every kernel tap at ``position``.

        Tap ``k`` of output ``o`` reads padded index ``o*s + k*d`` on each axis.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.window(1)  # out[1] reads padded cells 1 and 2 (input cells 0 and 1)
        [((0,), (1,)), ((1,), (2,))]
        """
        position = self._position(position)
        return [
            (k, tuple(shapes.window_position(o, kk, s, d)
                      for o, s, kk, d in zip(position, self.stride, k, self.dilation)))
            for k in itertools.product(*(range(size) for size in self.kernel_size))
        ]

    def receptive_field(self, position=None) -> np.ndarray:
        """Boolean mask over ``padded`` (its shape): the cells the kernel reads at ``position``.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.receptive_field(0)  # padded = [0, 1, 2, 3, 0]
        array([ True,  True, False, False, False])
        """
        mask = np.zeros(tuple(self.padded.shape), dtype=bool)
        for _, cell in self.window(position):
            mask[cell] = True
        return mask

    def input_index(self, padded_index) -> tuple[int, ...] | None:
        """The original input index of a padded-input cell, or ``None`` for zero padding.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.input_index((1,)), s.input_index((0,))
        ((0,), None)
        """
        index = tuple(p - before for p, (before, _) in zip(padded_index, self.padding))
        inside = all(0 <= i < size for i, size in zip(index, self.input.shape))
        return index if inside else None

    def terms(self, position=None) -> list[tuple[float, float]]:
        """``(input value, weight value)`` for every tap, in kernel order.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.terms(0)
        [(0.0, 1.0), (1.0, -1.0)]
        """
        return [(self.padded[cell].item(), self.weight[k].item()) for k, cell in self.window(position)]

    def value(self, position=None) -> float:
        """The output at ``position``: the sum of the products of :meth:`terms`.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> [s.value(o) for o in range(s.output_size[0])]  # as F.conv1d(x[None, None], w[None, None], padding=1)
        [-1.0, -1.0, -1.0, 3.0]
        """
        return float(sum(x * w for x, w in self.terms(position)))

    def dot_product_text(self, position=None) -> str:
        """The dot product written out (terms to 3 significant digits).

        >>> s = KernelStepper(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.5, 0.25], [2.0, -1.5]]), render=False)
        >>> s.dot_product_text((0, 0))
        'out[0, 0] = 1*0.5 + 2*0.25 + 3*2 + 4*(-1.5) = 1'
        """
        position = self._position(position)
        products = " + ".join(f"{base.term(x)}*{base.term(w)}" for x, w in self.terms(position))
        return f"out[{', '.join(map(str, position))}] = {products} = {utils.format_number(self.value(position), 6)}"

    def detail_text(self, position=None) -> str:
        """Where the window lies, in words.

        >>> s = KernelStepper(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]), padding=1, render=False)
        >>> s.detail_text(0)
        'out[0]: the 2 window starts at out*stride = 0 in the padded input (input index -1) and reads cells 1 apart (dilation); 1 of its 2 cells is zero padding.'
        >>> s.detail_text(1)
        'out[1]: the 2 window starts at out*stride = 1 in the padded input (input index 0) and reads cells 1 apart (dilation).'
        """
        position = self._position(position)
        window = self.window(position)
        start = window[0][1]
        in_padding = sum(self.input_index(cell) is None for _, cell in window)
        shape = "x".join(map(str, self.kernel_size))
        first = tuple(s - before for s, (before, _) in zip(start, self.padding))
        text = (
            f"out{list(position)}: the {shape} window starts at out*stride = {base.vec(start, self.n)} in the padded "
            f"input (input index {base.vec(first, self.n)}) and reads cells {base.vec(self.dilation, self.n)} apart (dilation)"
        )
        if in_padding:
            verb = "is" if in_padding == 1 else "are"
            text += f"; {in_padding} of its {len(window)} cells {verb} zero padding"
        return text + "."

    def summary(self) -> str:
        return self.dot_product_text()

    def spec(self) -> dict:
        return {
            "widget": "kernel_stepper",
            "args": {"input": utils.tensor_to_json(self.input), "weight": utils.tensor_to_json(self.weight),
                     "stride": list(self.stride), "padding": self._padding_arg, "dilation": list(self.dilation)},
            "state": {"position": [s.value for s in self.position]},
        }

    def controls_note(self) -> str:
        sliders = base.join_names(f"out {name}" for name in self.names)
        return (
            f"Run the cell to get the controls: {'a slider' if self.n == 1 else 'sliders'} for the output position "
            f"({sliders}) {'moves' if self.n == 1 else 'move'} the kernel, and the text above the picture writes out "
            f"each output's dot product. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return math.ceil(self.n / 2)

    # -- drawing ---------------------------------------------------------------

    def render(self) -> None:
        """Draw the current position (called whenever a slider moves)."""
        self._held = False  # after render=False, the first render switches drawing on
        self.text = self.dot_product_text()
        self.detail = self.detail_text()
        settings = (f"stride {base.vec(self.stride, self.n)}, padding {base.vec([b for b, _ in self.padding], self.n)}, "
                    f"dilation {base.vec(self.dilation, self.n)}")
        position = tuple(s.value for s in self.position)
        figure = draw_kernel_stepper(
            self.padded, self.weight, self.output, self.window(position), position, is_padding=self.is_padding,
            first_index=tuple(-before for before, _ in self.padding), title=f"{self.text.split(' = ')[0]} with {settings}",
        )
        self._show(figure, self._shown_dot_product(position) + "\n" + self.detail)

    def _shown_dot_product(self, position, most: int = 27) -> str:
        """:meth:`dot_product_text`, with the products in the middle left out when there are more
        than ``most``."""
        terms = self.terms(position)
        if len(terms) <= most:
            return self.text
        products = [f"{base.term(x)}*{base.term(w)}" for x, w in terms]
        shown = " + ".join(products[:most - 3]) + " + ... + " + " + ".join(products[-2:])
        return (f"out[{', '.join(map(str, position))}] = {shown} = {utils.format_number(self.value(position), 6)}"
                f"  ({len(terms)} products)")


def kernel_stepper(input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1) -> KernelStepper:
    """Move a kernel over a single-channel input and watch each output cell being made.

    Sliders choose the output position (for 3-D input the first one is depth).
    The picture shows the zero-padded input with the cells the kernel reads
    outlined (they respect stride, padding and dilation), the kernel, and the
    output with the cell being produced outlined; the text writes out the dot
    product, e.g. ``out[1, 2] = 1*0.5 + 2*(-1) + ... = 3.25``. The numbers are
    those of ``F.conv1d/2d/3d(input[None, None], weight[None, None], ...)``.

    Args:
        input: ``(L,)``, ``(H, W)`` or ``(D, H, W)``: one channel, no batch axis.
        weight: ``(kL,)``, ``(kH, kW)`` or ``(kD, kH, kW)``: the same rank as ``input``.
        stride, dilation: int or one int per axis, >= 1.
        padding: int or one int per axis (zeros on both sides), ``"valid"`` or ``"same"``.

    Returns:
        A :class:`KernelStepper`; leave it as the last expression of a cell to show it.

    >>> s = kernel_stepper(torch.arange(25.0).reshape(5, 5), torch.ones(2, 2), stride=2, padding=1, dilation=2)
    >>> s.output_size, s.text
    ((3, 3), 'out[0, 0] = 0*1 + 0*1 + 0*1 + 6*1 = 6')
    >>> s.position[1].value = 1  # move the W slider: the text and the picture follow
    >>> s.text
    'out[0, 1] = 0*1 + 0*1 + 6*1 + 8*1 = 14'
    """
    return KernelStepper(input, weight, stride=stride, padding=padding, dilation=dilation)


# ----------------------------------------------------------------------------
# The picture
# ----------------------------------------------------------------------------


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
    padded, weight, output = utils.as_array(padded), utils.as_array(weight), utils.as_array(output)
    n = padded.ndim
    if not 1 <= n <= 3 or weight.ndim != n or output.ndim != n:
        raise ValueError(
            f"padded, weight and output must all be 1-D, 2-D or 3-D with the same rank, got shapes "
            f"{padded.shape}, {weight.shape} and {output.shape}."
        )
    window = [(tuple(k), tuple(cell)) for k, cell in window]
    position = tuple(position)
    is_padding = np.zeros(padded.shape, dtype=bool) if is_padding is None else utils.as_array(is_padding).astype(bool)
    first_index = (0,) * n if first_index is None else tuple(first_index)
    field = np.zeros(padded.shape, dtype=bool)
    for _, cell in window:
        field[cell] = True
    ranges = (
        dict(vmin=float(padded.min()), vmax=float(padded.max()), cmap="viridis"),
        dict(vmin=-(float(np.abs(weight).max()) or 1.0), vmax=float(np.abs(weight).max()) or 1.0, cmap="coolwarm"),
        dict(vmin=float(output.min()), vmax=float(output.max()), cmap="viridis"),
    )
    draw_rank = {1: _stepper_1d, 2: _stepper_2d, 3: _stepper_3d}[n]
    figure = draw_rank(padded, weight, output, window, position, is_padding, first_index, field, ranges)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
        width, height = figure.get_size_inches()
        figure.set_size_inches(max(width, min(0.08 * len(title) + 0.4, draw.MAX_WIDTH)), height)  # room for the title
    return figure


def _input_title(is_padding) -> str:
    return "zero-padded input x\n(hatched: padding)" if is_padding.any() else "input x"


def _stepper_1d(padded, weight, output, window, position, is_padding, first_index, field, ranges):
    (length,), (out_length,) = padded.shape, output.shape
    x_range, w_range, y_range = ranges
    cell = min(0.5, (draw.MAX_WIDTH - 1.0) / length)
    annotate = base.fits(padded, cell) and base.fits(weight, cell) and base.fits(output, cell)
    figure = base.widget_figure(cell * length + 1.0, 3 * cell + 2.9)
    ratios = [out_length, length - out_length] if length > out_length else [1]
    grid = figure.add_gridspec(3, len(ratios), width_ratios=ratios)
    ax_x, ax_w, ax_y = figure.add_subplot(grid[0, :]), figure.add_subplot(grid[1, :]), figure.add_subplot(grid[2, 0])
    start = (0, first_index[0])
    draw.draw_grid(ax_x, padded, highlight=field, padding=is_padding, first_index=start, annotate=annotate,
                   title=_input_title(is_padding).replace("\n", " "), xlabel="input index", **x_range)
    placed = np.full(length, np.nan)
    for (k,), (c,) in window:
        placed[c] = weight[k]
    draw.draw_grid(ax_w, placed, first_index=start, annotate=annotate, title="kernel w, drawn over the cells it reads",
                   xlabel="input index", **w_range)
    draw.draw_grid(ax_y, output, highlight=base.output_mask(output.shape, position), annotate=annotate, title="output out",
                   xlabel="output index", **y_range)
    return figure


def _stepper_2d(padded, weight, output, window, position, is_padding, first_index, field, ranges):
    (height, width), (kh, kw), (_, out_w) = padded.shape, weight.shape, output.shape
    x_range, w_range, y_range = ranges
    ratios = [width, max(kw, 0.3 * width, 3), max(out_w, 3)]
    cell = min(0.42, (draw.MAX_WIDTH - 2.6) / sum(ratios), 3.6 / height)  # inches per input cell
    figure = base.widget_figure(cell * sum(ratios) + 2.6, cell * height + 1.7)
    grid = figure.add_gridspec(1, 3, width_ratios=ratios)
    axes = [figure.add_subplot(grid[0, i]) for i in range(3)]
    kernel_cell = min(cell * ratios[1] / kw, cell * height / kh)  # the kernel keeps square cells in its panel
    draw.draw_grid(axes[0], padded, highlight=field, padding=is_padding, first_index=first_index,
                   annotate=base.fits(padded, cell), title=_input_title(is_padding),
                   xlabel="W (input index)", ylabel="H (input index)", **x_range)
    draw.draw_grid(axes[1], weight, annotate=base.fits(weight, kernel_cell), title="kernel w", xlabel="kW", ylabel="kH",
                   **w_range)
    draw.draw_grid(axes[2], output, highlight=base.output_mask(output.shape, position), annotate=base.fits(output, cell),
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
    cell = min(0.36, (draw.MAX_WIDTH - 0.45 * (kd + 1) - 0.6) / columns, 2.5 / (height + max(kh, 2)))
    figure = base.widget_figure(cell * columns + 0.45 * (kd + 1) + 0.6, cell * (height + max(kh, 2)) + 2.4)
    grid = figure.add_gridspec(2, kd + 1, width_ratios=[width] * kd + [max(out_w, 3)],
                               height_ratios=[height, max(kh, 2)])
    depths = {k[0]: read[0] for k, read in window}  # kernel depth t -> the padded depth it reads
    short = kd > 3  # narrow panels: short titles, the rows named on the left
    for t in range(kd):
        z = depths[t]
        where = f"depth {z + first_index[0]}" + ("\n(all padding)" if is_padding[z].all() else "")
        ax = figure.add_subplot(grid[0, t])
        draw.draw_grid(ax, padded[z], highlight=field[z], padding=is_padding[z], first_index=first_index[1:],
                       annotate=base.fits(padded, cell), title=where if short else f"padded x, {where}", xlabel="W",
                       ylabel=("padded x: H" if short else "H") if t == 0 else None, **x_range)
        _thin_ticks(ax, width, height, cell)
        ax = figure.add_subplot(grid[1, t])
        kernel_cell = min(cell * width / kw, cell * max(kh, 2) / kh)
        draw.draw_grid(ax, weight[t], annotate=base.fits(weight, kernel_cell), title=f"w[{t}]" if short else f"kernel w[{t}]",
                       xlabel="kW", ylabel=("kernel: kH" if short else "kH") if t == 0 else None, **w_range)
        _thin_ticks(ax, kw, kh, kernel_cell)
    depth = position[0]
    ax = figure.add_subplot(grid[0, kd])
    draw.draw_grid(ax, output[depth], highlight=base.output_mask((out_h, out_w), position[1:]), annotate=base.fits(output, cell),
                   title=f"output, depth {depth}", xlabel="W_out", ylabel="H_out", **y_range)
    _thin_ticks(ax, out_w, out_h, cell)
    return figure
