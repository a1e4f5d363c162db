"""The scatter stepper (lesson 07): step through a transposed convolution, each input element stamping
the kernel, scaled by its value, into the output. Its state and controls (:class:`ScatterStepper`,
:func:`scatter_stepper`) and its picture (:func:`draw_scatter_stepper`).
"""
from __future__ import annotations

import itertools

import numpy as np
import torch

from course_lib import draw, shapes, utils
import course_lib.widgets.base as base


class ScatterStepper(base.Widget):
    """Step through a transposed convolution one input element at a time. Made by
    :func:`scatter_stepper`.

    Each input element ``x[i]`` adds ``x[i] * w`` to the output, the kernel tap ``k``
    landing on output cell ``i*stride + k*dilation - padding`` (per axis). The
    widget keeps the uncropped output (the *canvas*, ``(i-1)*s + d*(k-1) + 1 +
    output_padding`` cells per axis, indexed from ``-padding``); ``padding`` then
    crops that many cells from each end.

    Controls: ``step``, an ``IntSlider`` over the input elements in row-major order.

    Pure methods: ``element``, ``stamp``, ``accumulated``, ``output``, ``stamp_text``.
    State after each render: ``text``, ``figure``, ``png``.
    """

    def __init__(self, input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1,
                 output_padding=0, render: bool = True):
        utils.check_tensor("input", input)
        utils.check_tensor("weight", weight)
        n = input.dim()
        if n not in (1, 2):
            hint = ("pick one channel and one sample, e.g. input[0, 0]" if n > 2 else "give at least one element")
            raise ValueError(
                f"input must be one channel without a batch axis: (L,) or (H, W); got a {n}-D tensor "
                f"of shape {tuple(input.shape)}; {hint}."
            )
        if weight.dim() != n:
            raise ValueError(
                f"weight must have the same rank as input ({n}-D), got a {weight.dim()}-D tensor of shape "
                f"{tuple(weight.shape)}. For a layer's weight (C_in, C_out, ...) pick one kernel, e.g. weight[0, 0]."
            )
        if 0 in input.shape or 0 in weight.shape:
            raise ValueError(f"input and weight must not be empty, got shapes {tuple(input.shape)} and {tuple(weight.shape)}.")
        base.check_real("input", input)
        base.check_real("weight", weight)
        self.n = n
        self.names = utils.spatial_names(n)
        self.input = input.detach().cpu().to(torch.float64)
        self.weight = weight.detach().cpu().to(torch.float64)
        self.stride = utils.as_tuple("stride", stride, n, minimum=1)
        self.padding = utils.as_tuple("padding", padding, n, minimum=0)
        self.dilation = utils.as_tuple("dilation", dilation, n, minimum=1)
        self.output_padding = shapes.check_output_padding(
            utils.as_tuple("output_padding", output_padding, n, minimum=0), self.stride, self.dilation)
        self.kernel_size = tuple(weight.shape)
        self.canvas_size = tuple(
            (i - 1) * s + d * (k - 1) + 1 + op
            for i, s, d, k, op in zip(self.input.shape, self.stride, self.dilation, self.kernel_size, self.output_padding)
        )
        self.output_size = tuple(c - 2 * p for c, p in zip(self.canvas_size, self.padding))
        if min(self.output_size) < 1:
            raise ValueError(
                f"padding {base.vec(self.padding, n)} crops the whole output: the uncropped output is "
                f"{base.vec(self.canvas_size, n)} cells, and padding removes padding cells from each end. "
                f"Use padding below half of it."
            )
        self.elements = list(itertools.product(*(range(size) for size in self.input.shape)))
        self.step = base.slider("element", 0, 0, len(self.elements) - 1)
        self.step.observe(self._changed, names="value")
        self._final = self.accumulated(len(self.elements) - 1)
        self._build([base.slider_grid([self.step])])
        self._held = not render
        if render:
            self.render()

    # -- the arithmetic --------------------------------------------------------

    def _step(self, step) -> int:
        if step is None:
            return self.step.value
        step = utils.check_int("step", step, minimum=0)
        if step >= len(self.elements):
            raise ValueError(
                f"step must pick an input element 0..{len(self.elements) - 1} (input has {len(self.elements)} "
                f"elements), got {step}."
            )
        return step

    def element(self, step=None) -> tuple[int, ...]:
        """The input index that stamps at ``step`` (row-major order).

        >>> ScatterStepper(torch.ones(2, 3), torch.ones(2, 2), render=False).element(4)
        (1, 1)
        """
        return self.elements[self._step(step)]

    def stamp(self, step=None) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """``(kernel index, canvas index)`` for every kernel tap of the stamp at ``step``.

        Tap ``k`` of input element ``i`` lands on canvas index ``i*s + k*d`` (output index
        ``i*s + k*d - p``) on each axis.

        >>> ScatterStepper(torch.tensor([1.0, 2.0]), torch.tensor([1.0, -1.0]), stride=2, render=False).stamp(1)
        [((0,), (2,)), ((1,), (3,))]
        """
        element = self.element(step)
        return [
            (k, tuple(i * s + kk * d for i, s, kk, d in zip(element, self.stride, k, self.dilation)))
            for k in itertools.product(*(range(size) for size in self.kernel_size))
        ]

    def accumulated(self, step=None) -> torch.Tensor:
        """The uncropped output (canvas) after the stamps of elements ``0..step``.

        >>> ScatterStepper(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0, 1.0]), stride=2, render=False).accumulated(1)
        tensor([1., 1., 3., 2., 2.], dtype=torch.float64)
        """
        step = self._step(step)
        canvas = torch.zeros(self.canvas_size, dtype=torch.float64)
        for t in range(step + 1):
            value = self.input[self.elements[t]]
            for k, cell in self.stamp(t):
                canvas[cell] += value * self.weight[k]
        return canvas

    def kept(self) -> np.ndarray:
        """Boolean mask over the canvas: the cells that stay in the output (``padding`` crops the rest).

        >>> ScatterStepper(torch.ones(2), torch.ones(3), padding=1, render=False).kept()
        array([False,  True,  True, False])
        """
        mask = np.zeros(self.canvas_size, dtype=bool)
        mask[tuple(slice(p, p + o) for p, o in zip(self.padding, self.output_size))] = True
        return mask

    def output(self, step=None) -> torch.Tensor:
        """The output after the stamps of elements ``0..step``: the canvas with ``padding`` cropped from
        each end. After the last stamp it equals
        ``F.conv_transpose1d/2d(input[None, None], weight[None, None], ...)[0, 0]``.

        >>> ScatterStepper(torch.tensor([1.0, 2.0]), torch.ones(3), stride=2, padding=1, render=False).output(1)
        tensor([1., 3., 2.], dtype=torch.float64)
        """
        canvas = self.accumulated(step)
        return canvas[tuple(slice(p, p + o) for p, o in zip(self.padding, self.output_size))]

    def stamp_text(self, step=None, most: int = 9) -> str:
        """What the stamp at ``step`` adds to each output cell and the cell's new value (values to 3
        significant digits; at most ``most`` cells written out); output indices as in the cropped
        output (negative or past the end: cropped by padding).

        >>> s = ScatterStepper(torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0]), stride=2, render=False)
        >>> print(s.stamp_text(1))
        element 1 of 0..1: x[1] = 2 stamps 2*w onto out[2..3]
        out[2] += 2*0.5 -> 1;  out[3] += 2*(-1) -> -2
        """
        step = self._step(step)
        element = self.element(step)
        value = self.input[element].item()
        before = self.accumulated(step - 1) if step > 0 else torch.zeros(self.canvas_size, dtype=torch.float64)
        cells = self.stamp(step)
        first = tuple(c - p for c, p in zip(cells[0][1], self.padding))
        last = tuple(c - p for c, p in zip(cells[-1][1], self.padding))
        span = ", ".join(f"{a}..{b}" for a, b in zip(first, last))
        head = (f"element {step} of 0..{len(self.elements) - 1}: x[{', '.join(map(str, element))}] = "
                f"{utils.format_number(value, 3)} stamps {base.term(value)}*w onto out[{span}]")
        terms = []
        for k, cell in cells:
            product = value * self.weight[k].item()
            index = tuple(c - p for c, p in zip(cell, self.padding))
            total = before[cell].item() + product
            where = ", ".join(map(str, index))
            cropped = any(i < 0 or i >= o for i, o in zip(index, self.output_size))
            terms.append(f"out[{where}] += {base.term(value)}*{base.term(self.weight[k].item())} -> "
                         f"{utils.format_number(total, 3)}" + (" (cropped)" if cropped else ""))
        if len(terms) > most:
            terms = terms[:most - 1] + [f"... ({len(terms) - most + 1} more)"]
        per_line = min(self.kernel_size[-1], 3)  # a kernel row per line, at most 3 terms
        return head + "\n" + "\n".join(";  ".join(terms[i:i + per_line]) for i in range(0, len(terms), per_line))

    def summary(self) -> str:
        return self.stamp_text().splitlines()[0]

    def spec(self) -> dict:
        return {
            "widget": "scatter_stepper",
            "args": {"input": utils.tensor_to_json(self.input), "weight": utils.tensor_to_json(self.weight),
                     "stride": list(self.stride), "padding": list(self.padding), "dilation": list(self.dilation),
                     "output_padding": list(self.output_padding)},
            "state": {"step": self.step.value},
        }

    def controls_note(self) -> str:
        return (
            "Run the cell to get the controls: a slider picks the input element whose stamp x*w is added "
            "(the output shows all stamps up to it), and the text above the picture writes out what the stamp "
            "adds to each output cell. Until then this is a still picture."
        )

    def control_rows(self) -> int:
        return 1

    def render(self) -> None:
        """Draw the current step (called whenever the slider moves)."""
        self._held = False
        self.text = self.stamp_text()
        step = self.step.value
        settings = (f"stride {base.vec(self.stride, self.n)}, padding {base.vec(self.padding, self.n)}, "
                    f"dilation {base.vec(self.dilation, self.n)}, output_padding {base.vec(self.output_padding, self.n)}")
        final = self._final.numpy()
        figure = draw_scatter_stepper(
            self.input, self.weight, self.accumulated(step), self.element(step), self.stamp(step), kept=self.kept(),
            first_index=tuple(-p for p in self.padding), vmin=min(float(final.min()), 0.0),
            vmax=max(float(final.max()), 0.0),
            title=f"stamps of elements 0..{step} (of 0..{len(self.elements) - 1}); {settings}",
        )
        self._show(figure, self.text)


def scatter_stepper(input: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, dilation=1,
                    output_padding=0) -> ScatterStepper:
    """Step through a transposed convolution as scatter-add: each input element stamps the kernel into
    the output.

    A slider picks the input element (row-major order). The picture shows the input
    with that element outlined, the kernel, and the output accumulated over the
    stamps so far, uncropped, with the current stamp outlined and the cells that
    ``padding`` crops hatched; the text writes out what the stamp adds to each output
    cell, e.g. ``out[2, 4] += 3*0.5 -> 2.5`` (the cell's value after the stamp). After the last element
    the output is ``F.conv_transpose1d/2d(input[None, None], weight[None, None], ...)[0, 0]``.

    Args:
        input: ``(L,)`` or ``(H, W)``: one channel, no batch axis.
        weight: ``(kL,)`` or ``(kH, kW)``: the same rank as ``input``.
        stride, dilation: int or one int per axis, >= 1.
        padding: int or one int per axis, >= 0: cells cropped from each end of the output.
        output_padding: int or one int per axis, smaller than stride or dilation: cells added at the
            end.

    Returns:
        A :class:`ScatterStepper`; leave it as the last expression of a cell to show it.

    >>> s = scatter_stepper(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.ones(3, 3), stride=2)
    >>> s.output_size, s.summary()
    ((5, 5), 'element 0 of 0..3: x[0, 0] = 1 stamps 1*w onto out[0..2, 0..2]')
    >>> s.step.value = 3  # move the slider: the text and the picture follow
    >>> s.output()[2]
    tensor([ 4.,  4., 10.,  6.,  6.], dtype=torch.float64)
    """
    return ScatterStepper(input, weight, stride=stride, padding=padding, dilation=dilation,
                          output_padding=output_padding)


# ----------------------------------------------------------------------------
# The picture
# ----------------------------------------------------------------------------


def draw_scatter_stepper(input, weight, canvas, element, stamp, *, kept=None, first_index=None,
                         vmin=None, vmax=None, title: str | None = None):
    """The scatter stepper's picture: one input element of a transposed convolution stamping the kernel.

    Args:
        input: ``(L,)`` or ``(H, W)``: the input of the transposed convolution.
        weight: the kernel, same rank.
        canvas: the output accumulated so far, uncropped (before ``padding`` removes its borders), same
            rank.
        element: the index of the input element that stamps now (outlined on the input).
        stamp: ``[(kernel index, canvas index), ...]``: the cells the current stamp adds to (outlined on
            the canvas).
        kept: boolean mask over ``canvas``: the cells that stay in the output (the rest, cropped by
            ``padding``, are hatched). Default: all kept.
        first_index: the output index of ``canvas[0, ..., 0]`` on each axis (``-padding``), for the tick
            labels.
        vmin, vmax: the canvas's colour range (default: its own), e.g. the final output's range so that
            colours do not shift while stepping.
        title: the figure's title.

    What is drawn: 1-D: four rows (input, kernel, ``x[i]*w`` placed where it lands, output so far).
    2-D: input, kernel and output so far side by side. Outlines have ``gid="highlight"``, cropped cells
    ``gid="padding"``.

    Returns:
        A bare ``Figure``, axes in that order.

    >>> figure = draw_scatter_stepper(np.array([1.0, 2.0]), np.array([1.0, -1.0]), np.array([1.0, -1.0, 0.0]),
    ...                               (0,), [((0,), (0,)), ((1,), (1,))], title="x[0] stamps 1*w")
    >>> [ax.get_title() for ax in figure.axes]
    ['input x', 'kernel w', 'this stamp: x[0] * w', 'output so far']
    """
    x, w, canvas = utils.as_array(input), utils.as_array(weight), utils.as_array(canvas)
    n = x.ndim
    if n not in (1, 2) or w.ndim != n or canvas.ndim != n:
        raise ValueError(
            f"input, weight and canvas must all be 1-D or 2-D with the same rank, got shapes "
            f"{x.shape}, {w.shape} and {canvas.shape}."
        )
    element = tuple(element)
    stamp = [(tuple(k), tuple(c)) for k, c in stamp]
    kept = np.ones(canvas.shape, dtype=bool) if kept is None else utils.as_array(kept).astype(bool)
    first_index = (0,) * n if first_index is None else tuple(first_index)
    outline = np.zeros(canvas.shape, dtype=bool)
    for _, cell in stamp:
        outline[cell] = True
    picked = base.output_mask(x.shape, element)
    limit = float(np.abs(w).max()) or 1.0
    c_range = dict(vmin=float(min(canvas.min(), 0.0)) if vmin is None else vmin,
                   vmax=float(max(canvas.max(), 0.0)) if vmax is None else vmax, cmap="viridis")
    if c_range["vmin"] < 0 < c_range["vmax"]:  # signed: a diverging map centred on 0
        top = max(-c_range["vmin"], c_range["vmax"])
        c_range = dict(vmin=-top, vmax=top, cmap="RdBu_r")
    out_title = "output so far" + ("\n(hatched: cropped by padding)" if not kept.all() else "")
    if n == 1:
        (length,), (size,) = x.shape, canvas.shape
        cell = min(0.5, (draw.MAX_WIDTH - 1.0) / max(size, length))
        annotate = base.fits(x, cell) and base.fits(w, cell) and base.fits(canvas, cell)
        figure = base.widget_figure(cell * max(size, length) + 1.0, 4 * cell + 4.0)
        axes = figure.subplots(4, 1)
        draw.draw_grid(axes[0], x, highlight=picked, annotate=annotate, title="input x", xlabel="input index")
        draw.draw_grid(axes[1], w, annotate=annotate, cmap="coolwarm", vmin=-limit, vmax=limit, title="kernel w",
                       xlabel="kernel index")
        placed = np.full(size, np.nan)
        for (k,), (c,) in stamp:
            placed[c] = x[element] * w[k]
        draw.draw_grid(axes[2], placed, annotate=annotate, cmap="coolwarm", first_index=(0, first_index[0]),
                       vmin=-limit * max(float(np.abs(x).max()), 1e-12), vmax=limit * max(float(np.abs(x).max()), 1e-12),
                       title=f"this stamp: x[{element[0]}] * w", xlabel="output index")
        draw.draw_grid(axes[3], canvas, highlight=outline, padding=~kept, annotate=annotate,
                       first_index=(0, first_index[0]), title=out_title.replace("\n", " "), xlabel="output index", **c_range)
        for ax in axes[:2]:  # input and kernel: cells as wide as the output's, left-aligned
            ax.set_anchor("W")
        axes[2].set_xlim(first_index[0] - 0.5, first_index[0] + size - 0.5)
        axes[3].set_xlim(first_index[0] - 0.5, first_index[0] + size - 0.5)
    else:
        (height, width), (_, kw), (ch, cw) = x.shape, w.shape, canvas.shape
        ratios = [max(width, 3), max(kw, 3), max(cw, 3)]
        cell = min(0.42, (draw.MAX_WIDTH - 2.6) / sum(ratios), 3.0 / max(height, ch))
        figure = base.widget_figure(cell * sum(ratios) + 2.6, cell * max(height, ch) + 1.9)
        grid = figure.add_gridspec(1, 3, width_ratios=ratios)
        axes = [figure.add_subplot(grid[0, i]) for i in range(3)]
        draw.draw_grid(axes[0], x, highlight=picked, annotate=base.fits(x, cell), title="input x", xlabel="W (input index)",
                       ylabel="H (input index)")
        draw.draw_grid(axes[1], w, annotate=base.fits(w, cell), cmap="coolwarm", vmin=-limit, vmax=limit, title="kernel w",
                       xlabel="kW", ylabel="kH")
        draw.draw_grid(axes[2], canvas, highlight=outline, padding=~kept, annotate=base.fits(canvas, cell),
                       first_index=first_index, title=out_title, xlabel="W_out (output index)",
                       ylabel="H_out (output index)", **c_range)
    if title:
        figure.suptitle(title, fontsize=draw.FONTSIZE + 1)
    return figure
