"""course_lib: the helper library of the convolution course.

Modules (read them in this order):

- ``naive``       convolutions and transposed convolutions as loops, the textbook definitions
- ``vectorised``  the same functions as im2col + matmul (and col2im), fast and differentiable
- ``shapes``      output sizes, the window position o*s + k*d, parameter and multiply-accumulate
                  counts (of separable and video blocks too), receptive fields
- ``fourier``     the same convolutions by FFT: fast for large kernels (lesson 05)
- ``winograd``    3x3 stride-1 conv2d by Winograd F(2x2, 3x3): 2.25x fewer multiplies (lesson 05)
- ``timing``      timing done right on CPU and GPU, on torch.utils.benchmark (lesson 05)
- ``matrix``      a convolution as a dense matrix; its transpose is the transposed convolution
- ``separable``   depthwise, pointwise, depthwise-separable, spatially separable (SVD): 2-D forms
- ``video``       (2+1)-D and channel-separated (CSN) video blocks
- ``upsample``    interpolate (nearest ... bicubic, area, antialias); re-exports pixel shuffle and
                  max-unpooling
- ``shuffle_unpool`` pixel shuffle and unshuffle, max-unpooling: upsampling that moves values
- ``padding_modes`` the four padding modes by index arithmetic
- ``args``        the arguments of a convolution and a transposed convolution, checked once (used
                  by every implementation)
- ``utils``       the leaf: small argument checks, layout names and ``agree`` (the lessons'
                  comparison with torch), imported by every other module
- ``layers``      Conv1d/2d/3d and ConvTranspose1d/2d/3d as nn.Module layers on one N-d base, as
                  torch's, over the course's own functions (lesson 09)
- ``data``        a photo shipped with matplotlib, synthetic videos and volumes
- ``widgets``     dimension slicer, kernel stepper, output-size explorer, scatter stepper
                  (ipywidgets; one module per widget: its state, controls and picture)
- ``offline``     the widgets without a kernel: their pictures drawn ahead, and a page that switches
                  them (slide decks, web pages)
- ``draw``        drawing primitives, colours, figures as PNG with alt text, and the figures
                  several lessons use
- ``figures``     each lesson's figures, one module per lesson: ``figures.lesson05``, ...
- ``checks``      the exercises' checks: run your function against torch and name the likely
                  mistake (a package: one module per lesson declares its checks over ``cases``,
                  ``reference``, ``mistakes``, ``calls`` and ``core``; ``record`` serves the grader)

``naive`` and ``vectorised`` expose the same names with the signatures of
``torch.nn.functional``, so either can replace the other, or torch's.
"""
__version__ = "0.1.0"
