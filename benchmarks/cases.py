"""The benchmark cases: each compares torch's function with one of course_lib's.

A case is ``Case(name, target, make, torch_fn, ours_fn, ours)``: ``make(device)``
returns the arguments, both functions take them; ``ours`` names the module
timed. ``target`` is the largest acceptable ratio ours / torch on a 2-core CPU.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from course_lib import fourier, winograd
from course_lib import vectorised as V


@dataclass
class Case:
    name: str
    target: float | None  # None: a contrast case with no target (e.g. where Winograd is expected to lose)
    make: Callable
    torch_fn: Callable
    ours_fn: Callable
    ours: str = "vectorised"
    kwargs: dict = field(default_factory=dict)  # the convolution's keyword arguments (stride, padding, groups)


def _conv(x_shape, w_shape, **kwargs):
    def make(device):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(x_shape, generator=g).to(device)
        w = torch.randn(w_shape, generator=g).to(device)
        return x, w

    return make, kwargs


def conv_case(name, target, x_shape, w_shape, torch_fn, ours_fn, ours="vectorised", **kwargs):
    make, kw = _conv(x_shape, w_shape, **kwargs)
    return Case(name, target, make, lambda x, w: torch_fn(x, w, **kw), lambda x, w: ours_fn(x, w, **kw), ours, kw)


CASES = [
    conv_case("conv2d x(8,64,56,56) w(64,64,3,3) p1", 1.5, (8, 64, 56, 56), (64, 64, 3, 3), F.conv2d, V.conv2d, padding=1),
    conv_case("conv2d x(8,256,14,14) w(256,256,3,3) p1", 1.5, (8, 256, 14, 14), (256, 256, 3, 3), F.conv2d, V.conv2d, padding=1),
    conv_case("conv2d x(8,64,56,56) w(128,64,3,3) s2 p1", 1.5, (8, 64, 56, 56), (128, 64, 3, 3), F.conv2d, V.conv2d, stride=2, padding=1),
    conv_case("conv2d 1x1 x(8,256,28,28) w(64,256,1,1)", 1.5, (8, 256, 28, 28), (64, 256, 1, 1), F.conv2d, V.conv2d),
    conv_case("depthwise x(8,128,56,56) w(128,1,3,3) g128 p1", 3.0, (8, 128, 56, 56), (128, 1, 3, 3), F.conv2d, V.conv2d, padding=1, groups=128),
    conv_case("grouped x(8,128,28,28) w(128,16,3,3) g8 p1", 2.0, (8, 128, 28, 28), (128, 16, 3, 3), F.conv2d, V.conv2d, padding=1, groups=8),
    conv_case("conv1d x(16,64,1024) w(64,64,5) p2", 1.5, (16, 64, 1024), (64, 64, 5), F.conv1d, V.conv1d, padding=2),
    conv_case("conv3d x(2,16,16,56,56) w(32,16,3,3,3) p1", 2.0, (2, 16, 16, 56, 56), (32, 16, 3, 3, 3), F.conv3d, V.conv3d, padding=1),
]


# Transposed convolution and upsampling
from course_lib import upsample as U  # noqa: E402


def _one_tensor_case(name, target, shape, torch_fn, ours_fn):
    def make(device):
        g = torch.Generator().manual_seed(0)
        return (torch.randn(shape, generator=g).to(device),)

    return Case(name, target, make, torch_fn, ours_fn, "upsample")


CASES += [
    conv_case("conv_transpose2d x(8,64,28,28) w(64,32,4,4) s2 p1", 1.5, (8, 64, 28, 28), (64, 32, 4, 4),
              F.conv_transpose2d, V.conv_transpose2d, stride=2, padding=1),
    _one_tensor_case("bilinear x2 x(8,64,56,56) align_corners=False", 1.5, (8, 64, 56, 56),
                     lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
                     lambda x: U.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)),
    _one_tensor_case("pixel_shuffle x(8,256,28,28) r2", 1.5, (8, 256, 28, 28),
                     lambda x: F.pixel_shuffle(x, 2), lambda x: U.pixel_shuffle(x, 2)),
]


# The fast paths of lesson 05: FFT for large kernels, Winograd for 3x3.
CASES += [
    conv_case("fft conv2d x(4,16,128,128) w(16,16,15,15) p7", 0.5, (4, 16, 128, 128), (16, 16, 15, 15),
              F.conv2d, fourier.conv2d, ours="fourier", padding=7),
    conv_case("fft conv2d x(4,16,128,128) w(16,16,31,31) p15", 0.1, (4, 16, 128, 128), (16, 16, 31, 31),
              F.conv2d, fourier.conv2d, ours="fourier", padding=15),
    conv_case("winograd x(8,256,14,14) w(256,256,3,3) p1", 1.2, (8, 256, 14, 14), (256, 256, 3, 3),
              F.conv2d, winograd.conv2d, ours="winograd", padding=1),
    conv_case("winograd x(8,64,56,56) w(64,64,3,3) p1", None, (8, 64, 56, 56), (64, 64, 3, 3),
              F.conv2d, winograd.conv2d, ours="winograd", padding=1),
    conv_case("winograd 4x4 x(8,256,14,14) w(256,256,3,3) p1", None, (8, 256, 14, 14), (256, 256, 3, 3),
              F.conv2d, winograd.conv2d_4x4, ours="winograd4x4", padding=1),
    conv_case("winograd 4x4 x(8,64,56,56) w(64,64,3,3) p1", 1.0, (8, 64, 56, 56), (64, 64, 3, 3),
              F.conv2d, winograd.conv2d_4x4, ours="winograd4x4", padding=1),
]
