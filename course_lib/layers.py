"""The course's convolutions as ``nn.Module`` layers (lesson 09, the capstone).

:class:`Conv2d` and :class:`ConvTranspose2d` take the constructor arguments of
``torch.nn.Conv2d`` and ``torch.nn.ConvTranspose2d``, hold parameters of the
same names, shapes and initialisation (``weight``; ``bias`` or ``None``), and
compute their forward pass with :func:`course_lib.vectorised.conv2d` and
:func:`course_lib.vectorised.conv_transpose2d` -- plain tensor operations that
autograd differentiates, never torch's own convolution. So a network made of
these layers trains like one made of torch's, and a ``state_dict`` moves from
one to the other unchanged.

Initialisation is torch's (``reset_parameters``): the weight is drawn by
``kaiming_uniform_(a=sqrt(5))``, i.e. uniformly from ``[-1/sqrt(fan_in),
1/sqrt(fan_in)]``, and the bias from the same interval, where ``fan_in`` is
``weight.shape[1] * kH * kW``. The random numbers are drawn in torch's order,
so under the same seed a layer here starts with exactly the weights of torch's.

>>> import torch
>>> ours, theirs = Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
>>> [(name, tuple(p.shape)) for name, p in ours.named_parameters()]
[('weight', (8, 3, 3, 3)), ('bias', (8,))]
>>> [name for name, _ in theirs.named_parameters()]
['weight', 'bias']
>>> ours.load_state_dict(theirs.state_dict())
<All keys matched successfully>
"""
from __future__ import annotations

import math

import torch
from torch import nn

from course_lib import utils, vectorised

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_channels(in_channels, out_channels, groups):
    in_channels = utils.check_int("in_channels", in_channels, minimum=1)
    out_channels = utils.check_int("out_channels", out_channels, minimum=1)
    groups = utils.check_int("groups", groups, minimum=1)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(
                f"{name}={value} is not divisible by groups={groups}: each group needs the same number of channels. "
                f"Choose groups among the common divisors of in_channels and out_channels."
            )
    return in_channels, out_channels, groups


class _ConvBase(nn.Module):
    """What both layers share: a weight of a given shape, an optional bias, torch's initialisation."""

    def _make_parameters(self, weight_shape, bias, out_channels, device, dtype):
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(weight_shape, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in),
        1/sqrt(fan_in))."""
        with torch.no_grad():
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                fan_in = self.weight.shape[1] * math.prod(self.weight.shape[2:])
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * 2:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * 2:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0, 0)) != (0,) * 2:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvBase):
    """A 2-D convolution layer: ``torch.nn.Conv2d``'s interface, ``vectorised.conv2d`` inside.

    Args (as ``torch.nn.Conv2d``):
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: int or pair.
        padding: int, pair, ``"valid"`` or ``"same"`` (``"same"`` needs stride 1).
        groups: split the channels into this many independent convolutions.
        bias: learn an additive bias per output channel.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.
        device, dtype: where and in which dtype to create the parameters.

    Parameters: ``weight`` of shape ``(out_channels, in_channels / groups, kH, kW)``,
    ``bias`` of shape ``(out_channels,)`` (or ``None``).

    Taught in lesson 09 (capstone).

    >>> _ = torch.manual_seed(0); ours = Conv2d(4, 6, (3, 5), groups=2)
    >>> _ = torch.manual_seed(0); theirs = torch.nn.Conv2d(4, 6, (3, 5), groups=2)
    >>> ours
    Conv2d(4, 6, kernel_size=(3, 5), stride=(1, 1), groups=2)
    >>> tuple(ours.weight.shape), torch.equal(ours.weight, theirs.weight), torch.equal(ours.bias, theirs.bias)
    ((6, 2, 3, 5), True, True)
    >>> x = torch.randn(1, 4, 8, 8)
    >>> (ours(x) - theirs(x)).abs().max().item() < 1e-5
    True
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels, self.groups = _check_channels(in_channels, out_channels, groups)
        self.kernel_size = utils.as_tuple("kernel_size", kernel_size, 2, minimum=1)
        self.stride = utils.as_tuple("stride", stride, 2, minimum=1)
        self.dilation = utils.as_tuple("dilation", dilation, 2, minimum=1)
        if isinstance(padding, str):
            utils.check_choice("padding", padding, ("valid", "same"))
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride 1, got stride={self.stride}: with a larger stride the output "
                    f"cannot have the input's size. Give the padding as numbers, e.g. padding={self.kernel_size[0] // 2}."
                )
        else:
            padding = utils.as_tuple("padding", padding, 2, minimum=0)
        self.padding = padding
        self.padding_mode = utils.check_choice("padding_mode", padding_mode, PADDING_MODES)
        self._make_parameters((self.out_channels, self.in_channels // self.groups, *self.kernel_size), bias,
                              self.out_channels, device, dtype)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return vectorised.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                                 self.groups, self.padding_mode)


class ConvTranspose2d(_ConvBase):
    """A 2-D transposed convolution layer: ``torch.nn.ConvTranspose2d``'s interface,
    ``vectorised.conv_transpose2d`` inside.

    Args (as ``torch.nn.ConvTranspose2d``):
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: int or pair.
        padding: int or pair: ``dilation * (kernel_size - 1) - padding`` zeros are added around the
            input.
        output_padding: int or pair, extra rows/columns on one side of the output (each below stride or
            dilation).
        groups, bias: as in :class:`Conv2d`.
        padding_mode: only ``"zeros"``, as in torch.
        device, dtype: where and in which dtype to create the parameters.

    Parameters: ``weight`` of shape ``(in_channels, out_channels / groups, kH, kW)`` (in and out swapped
    compared with :class:`Conv2d`: it is the weight of the convolution it transposes), ``bias`` of shape
    ``(out_channels,)`` (or ``None``). ``forward(input, output_size=None)`` picks the output padding
    that gives ``output_size`` when one is given, as torch does.

    Taught in lesson 09 (capstone).

    >>> _ = torch.manual_seed(0); ours = ConvTranspose2d(8, 4, 4, stride=2, padding=1)
    >>> _ = torch.manual_seed(0); theirs = torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)
    >>> tuple(ours.weight.shape), torch.equal(ours.weight, theirs.weight), torch.equal(ours.bias, theirs.bias)
    ((8, 4, 4, 4), True, True)
    >>> x = torch.randn(1, 8, 5, 5)
    >>> tuple(ours(x).shape), (ours(x) - theirs(x)).abs().max().item() < 1e-5     # 5x5 -> 10x10
    ((1, 4, 10, 10), True)
    >>> tuple(ours(x, output_size=(11, 11)).shape)
    (1, 4, 11, 11)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels, self.groups = _check_channels(in_channels, out_channels, groups)
        self.kernel_size = utils.as_tuple("kernel_size", kernel_size, 2, minimum=1)
        self.stride = utils.as_tuple("stride", stride, 2, minimum=1)
        self.padding = utils.as_tuple("padding", padding, 2, minimum=0)
        self.output_padding = utils.as_tuple("output_padding", output_padding, 2, minimum=0)
        self.dilation = utils.as_tuple("dilation", dilation, 2, minimum=1)
        if padding_mode != "zeros":
            raise ValueError(
                f"padding_mode={padding_mode!r} is not supported by ConvTranspose2d (nor by torch's): "
                "only 'zeros'. Pad the input yourself (course_lib.padding.pad) if you need another mode."
            )
        self.padding_mode = padding_mode
        self._make_parameters((self.in_channels, self.out_channels // self.groups, *self.kernel_size), bias,
                              self.out_channels, device, dtype)

    def _output_padding(self, input, output_size):
        """The output padding that makes the output ``output_size`` (torch's rule), or the layer's
        own."""
        if output_size is None:
            return self.output_padding
        output_size = tuple(int(s) for s in output_size)[-2:]
        if len(output_size) != 2:
            raise ValueError(f"output_size needs the 2 spatial sizes (H, W), got {output_size}.")
        padding = []
        for axis, size in enumerate(output_size):
            smallest = ((input.shape[axis - 2] - 1) * self.stride[axis] - 2 * self.padding[axis]
                        + self.dilation[axis] * (self.kernel_size[axis] - 1) + 1)
            largest = smallest + self.stride[axis] - 1  # torch's range: output_padding below the stride
            if not smallest <= size <= largest:
                raise ValueError(
                    f"output_size {output_size} cannot be reached from input size {tuple(input.shape[-2:])}: "
                    f"axis {axis} can be {smallest} to {largest} with this layer's stride, padding and kernel."
                )
            padding.append(size - smallest)
        return tuple(padding)

    def forward(self, input: torch.Tensor, output_size=None) -> torch.Tensor:
        return vectorised.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                           self._output_padding(input, output_size), self.groups, self.dilation)
