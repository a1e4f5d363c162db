"""Each lesson's figures, one module per lesson: ``from course_lib.figures import lesson05 as
figures``, then ``figures.scaling_figure(...)``.

- ``lesson01``: window_figure, padding_figure
- ``lesson02``: window_sums_figure
- ``lesson05``: strided_view_figure, matrix_figure, im2col_memory_figure, scaling_figure
- ``lesson06``: group_connections_figure, channel_change_figure, channel_reach_figure,
  kernel_factorisation_figure, block_costs_figure
- ``lesson07``: overlap_counts_figure, crops_figure
- ``lesson08``: sampling_figure
- ``lesson09``: kernels_figure, segmentation_figure, training_figure

Lessons 03 and 04 draw with ``course_lib.draw.draw_slice_rows``, shared with 07 and 08, as 01 and 08
share ``course_lib.draw.signals_figure``. These modules draw with ``course_lib.draw`` and never
import each other.

>>> from course_lib.figures import lesson01 as figures
>>> figures.padding_figure({"zeros": [0, 1, 2, 0]}, 1).axes[0].get_title()
'zeros'
"""
