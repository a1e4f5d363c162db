"""Interactive widgets for the lessons (ipywidgets 8 + matplotlib).

Four widgets, each made by one call and shown by leaving it as the last
expression of a notebook cell:

- :func:`dimension_slicer`  pick two axes of a rank 2-6 tensor to see as an
  image, and a slider for every other axis (N, C, D, H, W, ...).
- :func:`kernel_stepper`  move a kernel over a 1-D, 2-D or 3-D input and see
  the cells it reads, the output cell it writes and the dot product.
- :func:`output_size_explorer`  sliders for input size, kernel, stride,
  padding and dilation; the output-size formula with the numbers put in, and
  where every kernel placement lands.
- :func:`scatter_stepper`  (lesson 07) step through a transposed convolution:
  each input element stamps the kernel, scaled by its value, into the output.

One module per widget (``slicer``, ``stepper``, ``explorer``, ``scatter``) holds
its state, its controls and its picture; ``base`` holds what they share (the
display machinery, the slider helpers, the height budget). The arithmetic
(which slice, which cells a kernel reads, the dot product, the formula) sits in
small pure methods that tests check without a browser; each picture is drawn
from plain data by a function of the widget's module (``slicer.draw_slice``,
``stepper.draw_kernel_stepper``, ``explorer.draw_output_size``,
``scatter.draw_scatter_stepper``) with ``course_lib.draw``. Each widget keeps
its controls as attributes (``.sliders``, ``.row_axis``, ``.position``, ...);
changing one re-renders: the figure (a bare ``matplotlib.figure.Figure``, so
nothing piles up in pyplot's list of open figures) becomes a PNG shown by an
``ipywidgets.Image``. The latest state is in ``.figure``, ``.png``,
``.css_size``, ``.title`` / ``.text``.

Size: the PNG is rendered at twice the pixel density (``course_lib.draw.PIXEL_RATIO``)
and shown at half its pixel width (its CSS width, never stretched to the
output area), so it is sharp on high-DPI screens; sliders sit two to a row
with their tracks aligned, and the figures are sized so that a whole widget
(:meth:`estimated_height`) stays within ``HEIGHT_BUDGET`` CSS pixels, the
height of a laptop's notebook view.

Without a running kernel the controls cannot work, so a widget's display data
also holds its current picture: ``text/html`` (the text, the picture at its CSS
width and a line saying how to get the controls) and ``image/png`` (with its
width in the metadata). Which one a viewer shows (checked in JupyterLab 4.6
with jupyterlab_widgets 3.0): a cell run in this session shows the live
controls, no note; the stored outputs of a notebook JupyterLab does not trust
(a fresh clone) show the ``text/html`` picture and note, since the widget view
is not a safe type; a trusted notebook whose widgets are gone (kernel
restarted) shows "Error displaying widget: model not found" until the cell
runs again. ``nbconvert --to html`` (and slides) shows the ``text/html``
picture and note when the notebook stores no widget state
(``metadata.widgets``); with stored state it loads the widget JavaScript from
a CDN instead.

>>> import torch
>>> kernel_stepper(torch.arange(5.0), torch.ones(2)).text
'out[0] = 0*1 + 1*1 = 1'
"""
from __future__ import annotations

from course_lib.widgets.base import (CHARS_PER_LINE, HEIGHT_BUDGET, LINE_HEIGHT, MARGIN, ROW_HEIGHT, SLIDER_TRACK,
                                     SPEC_MIME, Widget)
from course_lib.widgets.explorer import OutputSizeExplorer, output_size_explorer
from course_lib.widgets.scatter import ScatterStepper, scatter_stepper
from course_lib.widgets.slicer import DEFAULT_NAMES, DimensionSlicer, dimension_slicer
from course_lib.widgets.stepper import KernelStepper, kernel_stepper

__all__ = [
    "dimension_slicer", "kernel_stepper", "output_size_explorer", "scatter_stepper",
    "DimensionSlicer", "KernelStepper", "OutputSizeExplorer", "ScatterStepper", "Widget",
    "CHARS_PER_LINE", "DEFAULT_NAMES", "HEIGHT_BUDGET", "LINE_HEIGHT", "MARGIN", "ROW_HEIGHT", "SLIDER_TRACK",
    "SPEC_MIME",
]
