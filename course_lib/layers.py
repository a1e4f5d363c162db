"""The course's convolutions as ``nn.Module`` layers, any rank (lesson 09, the capstone).

:class:`Conv1d`, :class:`Conv2d`, :class:`Conv3d` and :class:`ConvTranspose1d`,
:class:`ConvTranspose2d`, :class:`ConvTranspose3d` take the constructor arguments
of torch's layers of the same names, hold parameters of the same names, shapes and
initialisation (``weight``; ``bias`` or ``None``), and compute their forward pass
with :mod:`course_lib.vectorised` -- plain tensor operations that autograd
differentiates, never torch's own convolution. So a network made of these layers
trains like one made of torch's, and a ``state_dict`` moves from one to the other
unchanged.

As in ``torch.nn.modules.conv``, one base class holds everything the ranks share:
:class:`_ConvNd` (checks, parameters, initialisation, ``repr``) and
:class:`_ConvTransposeNd` (``output_padding`` and ``forward(input, output_size)``).
A rank's class only names its number of spatial axes ``n`` and its function.

Initialisation is torch's (``reset_parameters``): the weight is drawn by
``kaiming_uniform_(a=sqrt(5))``, i.e. uniformly from ``[-1/sqrt(fan_in),
1/sqrt(fan_in)]``, and the bias from the same interval, where ``fan_in`` is
``weight.shape[1] * k1 * ... * kn``. The random numbers are drawn in torch's order,
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

from course_lib import shapes, utils, vectorised
from course_lib.padding_modes import PADDING_MODES


def _check_channels(in_channels, out_channels, groups):
    """``(in_channels, out_channels, groups)`` as ints, both channel counts divisible by ``groups``.

    >>> _check_channels(4, 6, 2)
    (4, 6, 2)
    >>> _check_channels(3, 4, 2)
    Traceback (most recent call last):
        ...
    ValueError: in_channels=3 is not divisible by groups=2: each group needs the same number of channels. Choose groups among the common divisors of in_channels and out_channels.
    """
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


class _ConvNd(nn.Module):
    """What every layer shares: its arguments checked, a weight, an optional bias, torch's initialisation.

    Args (as torch's ``nn.Conv1d``/``2d``/``3d``; a transposed layer takes ``output_padding`` too):
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: int or ``n``-tuple, >= 1.
        padding: int or ``n``-tuple (>= 0, added on both sides), ``"valid"`` or ``"same"``
            (``"same"`` needs stride 1).
        groups: split the channels into this many independent convolutions.
        bias: learn an additive bias per output channel.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.
        device, dtype: where and in which dtype to create the parameters.

    Parameters: ``weight`` of shape ``(out_channels, in_channels / groups, k1, ..., kn)``
    (a transposed layer: ``(in_channels, out_channels / groups, k1, ..., kn)``), ``bias`` of shape
    ``(out_channels,)`` or ``None``. Input ``(N, C_in, S1, ..., Sn)`` or unbatched
    ``(C_in, S1, ..., Sn)``.

    >>> Conv3d(2, 4, (1, 3, 3), padding="same", bias=False)
    Conv3d(2, 4, kernel_size=(1, 3, 3), stride=(1, 1, 1), padding=same, bias=False)
    """

    n: int  # the number of spatial axes, set by each rank's class
    transposed = False

    @staticmethod
    def _function(*args):
        """The course's function a rank's layer calls (vectorised.conv2d, ...)."""
        raise NotImplementedError

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        n = self.n
        self.in_channels, self.out_channels, self.groups = _check_channels(in_channels, out_channels, groups)
        self.kernel_size = utils.as_tuple("kernel_size", kernel_size, n, minimum=1)
        self.stride = utils.as_tuple("stride", stride, n, minimum=1)
        self.dilation = utils.as_tuple("dilation", dilation, n, minimum=1)
        self.padding = self._check_padding(padding)
        self.output_padding = (0,) * n
        self.padding_mode = utils.check_choice("padding_mode", padding_mode, PADDING_MODES)
        channels = (self.in_channels, self.out_channels) if self.transposed else (self.out_channels, self.in_channels)
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(channels[0], channels[1] // self.groups, *self.kernel_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_padding(self, padding):
        if not isinstance(padding, str):
            return utils.as_tuple("padding", padding, self.n, minimum=0)
        utils.check_choice("padding", padding, ("valid", "same"))
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(
                f"padding='same' needs stride 1, got stride={self.stride}: with a larger stride the output "
                f"cannot have the input's size. Give the padding as numbers, e.g. padding={self.kernel_size[0] // 2}."
            )
        return padding

    def reset_parameters(self) -> None:
        """torch's initialisation: weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in),
        1/sqrt(fan_in)), with ``fan_in = weight.shape[1] * k1 * ... * kn``."""
        with torch.no_grad():
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                fan_in = self.weight.shape[1] * math.prod(self.weight.shape[2:])
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        """torch's wording: only the arguments that differ from their defaults after the stride."""
        n = self.n
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self._function(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                              self.groups, self.padding_mode)


class _ConvTransposeNd(_ConvNd):
    """What every transposed layer adds: ``output_padding``, ``forward(input, output_size=None)``.

    ``padding`` is an int or ``n``-tuple: ``dilation * (kernel_size - 1) - padding`` zeros are
    added around the input. ``output_padding`` (int or ``n``-tuple, each below the stride or the
    dilation) adds elements on one side of the output; ``forward``'s ``output_size`` (the ``n``
    spatial sizes, or the whole shape) picks it instead, as torch does. ``padding_mode`` is only
    ``"zeros"``, as in torch.

    >>> ConvTranspose1d(2, 2, 3, stride=2)(torch.ones(1, 2, 4), output_size=(10,)).shape
    torch.Size([1, 2, 10])
    """

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(
                f"padding_mode={padding_mode!r} is not supported by {type(self).__name__} (nor by torch's): "
                "only 'zeros'. Pad the input yourself (course_lib.padding_modes.pad) if you need another mode."
            )
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        output_padding = utils.as_tuple("output_padding", output_padding, self.n, minimum=0)
        self.output_padding = shapes.check_output_padding(output_padding, self.stride, self.dilation)

    def _check_padding(self, padding):
        if isinstance(padding, str):
            raise ValueError(
                f"padding={padding!r} is not defined for {type(self).__name__} (nor for torch's): give the "
                "number of elements removed from each end of each axis, e.g. padding=1."
            )
        return utils.as_tuple("padding", padding, self.n, minimum=0)

    def _output_padding(self, input, output_size):
        """The output padding that makes the output ``output_size`` (torch's rule), or the layer's own."""
        if output_size is None:
            return self.output_padding
        n, sizes = self.n, tuple(int(s) for s in output_size)
        if len(sizes) == input.dim() and input.dim() in (n + 1, n + 2):   # the whole shape: keep the spatial sizes
            sizes = sizes[-n:]
        if len(sizes) != n:
            raise ValueError(
                f"output_size needs the {n} spatial sizes {utils.spatial_names(n)} (or the whole output shape), "
                f"got {tuple(output_size)} for a {input.dim()}-D input."
            )
        smallest = shapes.conv_transpose_output_size(tuple(input.shape[-n:]), self.kernel_size, self.stride,
                                                     self.padding, (0,) * n, self.dilation)
        largest = tuple(low + s - 1 for low, s in zip(smallest, self.stride))  # output_padding below the stride
        if any(not low <= size <= high for low, size, high in zip(smallest, sizes, largest)):
            raise ValueError(
                f"output_size {sizes} cannot be reached from input size {tuple(input.shape[-n:])}: with this "
                f"layer's stride, padding and kernel each axis can be from {smallest} to {largest}."
            )
        return tuple(size - low for size, low in zip(sizes, smallest))

    def forward(self, input: torch.Tensor, output_size=None) -> torch.Tensor:
        return self._function(input, self.weight, self.bias, self.stride, self.padding,
                              self._output_padding(input, output_size), self.groups, self.dilation)


class Conv1d(_ConvNd):
    """``torch.nn.Conv1d``'s interface, :func:`course_lib.vectorised.conv1d` inside.

    Input ``(N, C_in, L)`` or ``(C_in, L)``; weight ``(C_out, C_in / groups, k)``. Arguments as in
    :class:`_ConvNd`. Taught in lesson 09 (capstone).

    >>> _ = torch.manual_seed(0); ours = Conv1d(2, 4, 3, padding="same", padding_mode="circular")
    >>> _ = torch.manual_seed(0); theirs = torch.nn.Conv1d(2, 4, 3, padding="same", padding_mode="circular")
    >>> tuple(ours.weight.shape), torch.equal(ours.weight, theirs.weight), torch.equal(ours.bias, theirs.bias)
    ((4, 2, 3), True, True)
    >>> x = torch.randn(2, 10)                                          # unbatched
    >>> tuple(ours(x).shape), (ours(x) - theirs(x)).abs().max().item() < 1e-5
    ((4, 10), True)
    """

    n = 1
    _function = staticmethod(vectorised.conv1d)


class Conv2d(_ConvNd):
    """``torch.nn.Conv2d``'s interface, :func:`course_lib.vectorised.conv2d` inside.

    Input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; weight ``(C_out, C_in / groups, kH, kW)``.
    Arguments as in :class:`_ConvNd`. Taught in lesson 09 (capstone).

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

    n = 2
    _function = staticmethod(vectorised.conv2d)


class Conv3d(_ConvNd):
    """``torch.nn.Conv3d``'s interface, :func:`course_lib.vectorised.conv3d` inside.

    Input ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``; weight ``(C_out, C_in / groups, kD, kH, kW)``.
    Arguments as in :class:`_ConvNd`. Taught in lesson 09 (capstone).

    >>> _ = torch.manual_seed(0); ours = Conv3d(2, 3, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
    >>> _ = torch.manual_seed(0); theirs = torch.nn.Conv3d(2, 3, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
    >>> x = torch.randn(1, 2, 4, 6, 6)                                  # 4 frames of 6x6
    >>> tuple(ours(x).shape), torch.equal(ours.weight, theirs.weight), (ours(x) - theirs(x)).abs().max().item() < 1e-5
    ((1, 3, 4, 3, 3), True, True)
    """

    n = 3
    _function = staticmethod(vectorised.conv3d)


class ConvTranspose1d(_ConvTransposeNd):
    """``torch.nn.ConvTranspose1d``'s interface, :func:`course_lib.vectorised.conv_transpose1d` inside.

    Input ``(N, C_in, L)`` or ``(C_in, L)``; weight ``(C_in, C_out / groups, k)`` (in and out
    swapped compared with :class:`Conv1d`: it is the weight of the convolution it transposes).
    Arguments as in :class:`_ConvTransposeNd`. Taught in lesson 09 (capstone).

    >>> _ = torch.manual_seed(0); ours = ConvTranspose1d(4, 2, 4, stride=2, padding=1, bias=False)
    >>> _ = torch.manual_seed(0); theirs = torch.nn.ConvTranspose1d(4, 2, 4, stride=2, padding=1, bias=False)
    >>> x = torch.randn(3, 4, 5)
    >>> tuple(ours(x).shape), torch.equal(ours.weight, theirs.weight), (ours(x) - theirs(x)).abs().max().item() < 1e-5
    ((3, 2, 10), True, True)
    """

    n = 1
    _function = staticmethod(vectorised.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """``torch.nn.ConvTranspose2d``'s interface, :func:`course_lib.vectorised.conv_transpose2d` inside.

    Input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; weight ``(C_in, C_out / groups, kH, kW)`` (in
    and out swapped compared with :class:`Conv2d`). Arguments as in :class:`_ConvTransposeNd`.
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

    n = 2
    _function = staticmethod(vectorised.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """``torch.nn.ConvTranspose3d``'s interface, :func:`course_lib.vectorised.conv_transpose3d` inside.

    Input ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``; weight ``(C_in, C_out / groups, kD, kH, kW)``.
    Arguments as in :class:`_ConvTransposeNd`. Taught in lesson 09 (capstone).

    >>> _ = torch.manual_seed(0); ours = ConvTranspose3d(2, 2, (1, 2, 2), stride=(1, 2, 2))
    >>> _ = torch.manual_seed(0); theirs = torch.nn.ConvTranspose3d(2, 2, (1, 2, 2), stride=(1, 2, 2))
    >>> x = torch.randn(2, 3, 4, 4)                                     # unbatched: 3 frames of 4x4
    >>> tuple(ours(x).shape), torch.equal(ours.bias, theirs.bias), (ours(x) - theirs(x)).abs().max().item() < 1e-5
    ((2, 3, 8, 8), True, True)
    """

    n = 3
    _function = staticmethod(vectorised.conv_transpose3d)
