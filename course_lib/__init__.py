"""course_lib: the helper library of the convolution course.

Modules (read them in this order):

- ``naive``       convolutions as loops, the textbook definition
- ``vectorised``  the same functions as im2col + matmul, fast and differentiable
- ``shapes``      output sizes, parameter and multiply-accumulate counts, receptive fields
- ``padding``     the four padding modes by index arithmetic
- ``args``        argument normalisation and validation shared by every operation

``naive`` and ``vectorised`` expose the same names with the signatures of
``torch.nn.functional``, so either can replace the other, or torch's.
"""
__version__ = "0.1.0"
