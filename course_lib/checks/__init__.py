"""Instant feedback for the exercises: call a check on your function and get a ✓ or the likely mistake.

    from course_lib.checks import check_conv1d
    check_conv1d(conv1d_loops)

Each check runs your function on a battery of cases, smallest first, compares with PyTorch in float64, and at the
first wrong answer raises `CheckFailed` naming the likely mistake (a flipped kernel, a missing + 1, padding on the
wrong side, …) when that mistake reproduces your result, and otherwise where your values first differ from torch's,
with the smallest case that shows it. Your function gets its own copies of the inputs: changing them in place is
reported, and so is calling torch's function (or the course's own, `course_lib.naive.conv1d` and the like) in a task
that asks you to compute the result yourself. Any correct route passes (loops, Python lists, numpy, einsum, …). The
graded test cells of the exercises call the same checks.

One module per lesson holds its checks (`conv1d` … `upsampling`); no lesson module imports another. They are built on:
`cases` (Case, Mistake, CheckFailed), `reference` (torch's answers: its convolution for any rank, per-axis settings),
`mistakes` (the mistakes several lessons share: a flipped kernel, a missing bias, padding on one side, …), `calls`
(calling your function and recording what it did) and `core` (judging that and explaining it); `record` writes it
down for the grader. Importing the checks changes nothing: the first check that runs prepares the display
(`core.prepare`).

>>> from course_lib import naive
>>> from course_lib.checks.calls import allowing_course_lib
>>> with allowing_course_lib():   # an exercise refuses the course's own functions: there you write them
...     check_conv1d(naive.conv1d, name="naive.conv1d")
✓ naive.conv1d agrees with F.conv1d on 13 cases: channels, bias, stride, padding, dilation, unbatched, empty batch, float32, device
"""
from course_lib.checks.cases import CheckFailed
from course_lib.checks.conv1d import check_conv1d, check_output_length, check_same_padding
from course_lib.checks.conv2d import check_conv2d, check_conv2d_params, check_receptive_field
from course_lib.checks.conv3d import check_conv3d, check_frames_to_clip, check_per_frame_conv2d
from course_lib.checks.convnd import check_conv4d_by_conv3d, check_conv_output_shape, check_convnd
from course_lib.checks.vectorising import check_conv2d_im2col, check_im2col, check_im2col_bytes
from course_lib.checks.grouped import check_depthwise_conv2d, check_depthwise_separable_conv2d, check_separable_params
from course_lib.checks.transposed import (check_conv_transpose1d_scatter, check_conv_transpose1d_zero_insertion,
                                          check_conv_transpose_output_length)
from course_lib.checks.upsampling import check_source_coordinates, check_upsample_bilinear2d, check_upsample_linear1d

__all__ = [name for name in dir() if name.startswith("check_")] + ["CheckFailed"]
