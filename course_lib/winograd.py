"""Winograd's minimal filtering F(2x2, 3x3): a 3x3 convolution with 2.25x fewer multiplications.

A 2x2 block of outputs of a 3x3 kernel reads a 4x4 tile of input. Computed
directly that is 4 x 9 = 36 multiplications per channel pair; Winograd's
algorithm gets it with 16, by multiplying *transformed* tiles element-wise::

    U = G g G^T          the 3x3 kernel g  -> 4x4   (once per kernel)
    V = B^T d B          the 4x4 input tile d -> 4x4 (additions only)
    M = sum over C_in of U * V                       (16 products per tile and channel pair)
    Y = A^T M A          4x4 -> the 2x2 outputs      (additions only)

with the small constant matrices :data:`B_T`, :data:`G` and :data:`A_T` below.
36 / 16 = 2.25 is the saving in multiplications. The price: the transforms
touch every tile several times (memory traffic, not arithmetic), so Winograd
wins where the channel sum dominates (many channels, small images) and loses
where the transforms do (few channels, large images). The transforms also add
float32 rounding steps; for F(2x2, 3x3), whose matrices hold only 0, +-1 and
+-1/2, the error stays of the same order as a direct convolution's (lesson 05
measures both; larger tiles such as F(4x4, 3x3) lose more accuracy).

:func:`input_transform`, :func:`kernel_transform` and :func:`output_transform`
write the transforms out for one tile (or a few), as the additions they are.
The layer applies them to all tiles of a block of samples at once (:data:`BLOCK_BYTES`)
as three small matrix products with Kronecker products of the same matrices
(:func:`kronecker_transforms`), and the
16 element-wise products, summed over input channels, are one batched matrix
product: for each of the 16 positions of the 4x4 tile, ``(C_out, C_in) @ (C_in, tiles)``.
(Applying :func:`input_transform` and :func:`output_transform` themselves to all
tiles gives the same result 1.2 to 1.5 times slower on a CPU, at 64 channels of
56x56: the Kronecker form streams each transform as one matrix product.) Only
3x3 kernels, stride 1, dilation 1 and groups 1: other calls get a ``ValueError``
that says what to use instead.
``conv2d`` has the signature of ``naive.conv2d``. :func:`conv2d_4x4` is the same
layer with F(4x4, 3x3) (:data:`B_T_4X4`, :data:`G_4X4`, :data:`A_T_4X4`): 6x6 input
tiles, 36 products for 16 outputs, 4x fewer multiplications than direct, and a
larger float32 error. Taught in lesson 05.
"""
from __future__ import annotations

import torch

from course_lib import args, padding_modes

B_T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
"""Input transform: ``V = B_T d B_T^T`` for a 4x4 input tile ``d``."""
G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
"""Kernel transform: ``U = G g G^T`` for a 3x3 kernel ``g``."""
A_T = [[1, 1, 1, 0], [0, 1, -1, -1]]
"""Output transform: ``Y = A_T M A_T^T`` gives the 2x2 outputs of a tile."""

B_T_4X4 = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
           [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
"""F(4x4, 3x3)'s input transform, for a 6x6 input tile (Lavin and Gray, 2016; points 0, +-1, +-2 and infinity)."""
G_4X4 = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
         [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
"""F(4x4, 3x3)'s kernel transform: a 3x3 kernel -> 6x6."""
A_T_4X4 = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
"""F(4x4, 3x3)'s output transform: 6x6 -> the 4x4 outputs of a tile."""

MATRICES = {2: (B_T, G, A_T), 4: (B_T_4X4, G_4X4, A_T_4X4)}
"""``{m: (B_T, G, A_T)}`` for F(m x m, 3x3): the output tile is ``m x m``, the input tile ``(m + 2) x (m + 2)``."""

BLOCK_BYTES = 2 * 2**20
"""Target size (bytes) of the transformed input of one block of samples.

Samples are transformed, multiplied and transformed back a block at a time, as
many per block as keep the transformed tiles of the block within about this
many bytes (at least one sample): small enough that each step's result is
likely still in the processor's cache when the next step reads it (2 MiB: the
level-2 cache of the 2-core machine the course was measured on, 1 MiB per core,
beside its 32 MiB level-3 cache)."""


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3x3, stride-1 2-D convolution by Winograd F(2x2, 3x3).

    Same arguments and result as :func:`course_lib.naive.conv2d`, for ``weight``
    ``(C_out, C_in, 3, 3)``, ``stride=1``, ``dilation=1``, ``groups=1`` (any padding
    and padding mode). Taught in lesson 05 (vectorising).

    >>> x = torch.arange(16, dtype=torch.float64).view(1, 1, 4, 4)
    >>> conv2d(x, torch.ones(1, 1, 3, 3, dtype=torch.float64))   # sums of 3x3 windows
    tensor([[[[45., 54.],
              [81., 90.]]]], dtype=torch.float64)
    """
    a = args.conv_args("winograd.conv2d", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    _check_supported(a, "winograd.conv2d", 2)
    x = padding_modes.pad(a.input, a.padding, a.padding_mode)  # (N, C_in, H, W), padded
    return a.finish(_winograd(x, a.weight, a.output_size, m=2))  # + bias; unbatched in, unbatched out


def conv2d_4x4(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """3x3, stride-1 2-D convolution by Winograd F(4x4, 3x3): 36 products per 16 outputs (4x fewer).

    Same arguments, limits and result as :func:`conv2d` (F(2x2, 3x3)), with 6x6
    input tiles 4 apart. Its transforms hold larger numbers (4, 5, 8, 1/6, 1/24), so in
    float32 it is less accurate: on the two benchmark layers (64 channels at 56x56, 256 at
    14x14; three seeds) its largest error against float64 was 7e-6 to 9e-6 of the largest
    output, 16 to 35 times torch's (2.5e-7 to 4.4e-7), where :func:`conv2d` stays within 2
    times. Taught in lesson 05 (vectorising).

    >>> x = torch.arange(36, dtype=torch.float64).view(1, 1, 6, 6)
    >>> conv2d_4x4(x, torch.ones(1, 1, 3, 3, dtype=torch.float64))   # sums of 3x3 windows
    tensor([[[[ 63.,  72.,  81.,  90.],
              [117., 126., 135., 144.],
              [171., 180., 189., 198.],
              [225., 234., 243., 252.]]]], dtype=torch.float64)
    """
    a = args.conv_args("winograd.conv2d_4x4", input, weight, bias, stride, padding, dilation, groups, padding_mode, n=2)
    _check_supported(a, "winograd.conv2d_4x4", 4)
    x = padding_modes.pad(a.input, a.padding, a.padding_mode)  # (N, C_in, H, W), padded
    return a.finish(_winograd(x, a.weight, a.output_size, m=4))  # + bias; unbatched in, unbatched out


def kernel_transform(weight: torch.Tensor) -> torch.Tensor:
    """``U = G g G^T`` for every 3x3 kernel: ``(C_out, C_in, 3, 3)`` -> ``(C_out, C_in, 4, 4)``.

    >>> kernel_transform(torch.ones(1, 1, 3, 3))[0, 0]   # the 4x4 that replaces a 3x3 kernel of ones
    tensor([[1.0000, 1.5000, 0.5000, 1.0000],
            [1.5000, 2.2500, 0.7500, 1.5000],
            [0.5000, 0.7500, 0.2500, 0.5000],
            [1.0000, 1.5000, 0.5000, 1.0000]])
    """
    g = weight.new_tensor(G)
    return g @ weight @ g.T


def input_transform(d: torch.Tensor) -> torch.Tensor:
    """``V = B^T d B`` for 4x4 tiles ``d`` (the first two axes; any axes after them), written as the
    additions it is.

    Rows first (``B^T d``: four sums or differences of rows), then columns (``(.) B``).

    >>> d, b_t = torch.arange(16.).view(4, 4), torch.tensor(B_T, dtype=torch.float32)
    >>> torch.equal(input_transform(d), b_t @ d @ b_t.T)   # the same as the matrix products
    True
    """
    r = torch.stack([d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]])  # B^T d
    return torch.stack([r[:, 0] - r[:, 2], r[:, 1] + r[:, 2], r[:, 2] - r[:, 1], r[:, 1] - r[:, 3]], dim=1)


def output_transform(m: torch.Tensor) -> torch.Tensor:
    """``Y = A^T M A`` for 4x4 ``M`` (the first two axes) -> 2x2, as additions.

    >>> m, a_t = torch.arange(16.).view(4, 4), torch.tensor(A_T, dtype=torch.float32)
    >>> torch.equal(output_transform(m), a_t @ m @ a_t.T)
    True
    """
    r = torch.stack([m[0] + m[1] + m[2], m[1] - m[2] - m[3]])  # A^T M
    return torch.stack([r[:, 0] + r[:, 1] + r[:, 2], r[:, 1] - r[:, 2] - r[:, 3]], dim=1)


def multiplication_counts(out_channels: int, in_channels: int, output_size, m: int = 2) -> dict:
    """Multiplications of a direct 3x3 convolution and of F(m x m, 3x3), one sample, transforms excluded.

    Direct: 9 per output element and input channel. Winograd: ``(m + 2)**2`` per
    ``m x m`` tile and channel pair: for F(2x2, 3x3) 16 per 4 outputs, 9 / 4 = 2.25x
    fewer; for F(4x4, 3x3) 36 per 16 outputs, 4x fewer. Tiles that stick out of
    the output (when ``m`` does not divide its size) count in full.

    >>> multiplication_counts(64, 64, (56, 56))
    {'direct': 115605504, 'winograd': 51380224, 'ratio': 2.25}
    >>> multiplication_counts(64, 64, (56, 56), m=4)["ratio"]
    4.0
    """
    if m not in MATRICES:
        raise ValueError(f"m must be one of {sorted(MATRICES)} (the output tile sizes this module has matrices for), got {m!r}.")
    height, width = output_size
    tiles = -(-height // m) * -(-width // m)
    direct = out_channels * in_channels * height * width * 9
    winograd = out_channels * in_channels * tiles * (m + 2) ** 2
    return {"direct": direct, "winograd": winograd, "ratio": direct / winograd}


def _check_supported(a: args.ConvArgs, name: str, m: int) -> None:
    problems = []
    if a.kernel_size != (3, 3):
        problems.append(f"kernel {a.kernel_size} (needs 3x3)")
    if a.stride != (1, 1):
        problems.append(f"stride {a.stride} (needs 1)")
    if a.dilation != (1, 1):
        problems.append(f"dilation {a.dilation} (needs 1)")
    if a.groups != 1:
        problems.append(f"groups {a.groups} (needs 1)")
    if problems:
        raise ValueError(
            f"{name} computes F({m}x{m}, 3x3): 3x3 kernels, stride 1, dilation 1, groups 1; got "
            + ", ".join(problems) + ". Use course_lib.vectorised.conv2d (or fourier.conv2d) for this call."
        )


def kronecker_transforms(dtype=torch.float32, device=None, m: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three transforms of F(m x m, 3x3) for all tiles at once: ``kron(B^T, B^T)``, ``kron(G, G)``,
    ``kron(A^T, A^T)`` (for m = 2: 16x16, 16x9, 4x16; for m = 4: 36x36, 36x9, 16x36).

    A 4x4 tile flattened row by row to 16 numbers transforms as ``vec(B^T d B) =
    kron(B^T, B^T) @ vec(d)``; so with the tiles as the 16 rows of one matrix
    ``(16, tiles)``, each transform is a single small-by-wide matrix product, the
    fastest way torch has to stream every tile through the same additions.

    >>> kb, kg, ka = kronecker_transforms(torch.float64)
    >>> d = torch.arange(16, dtype=torch.float64).view(4, 4)
    >>> torch.equal((kb @ d.reshape(16)).view(4, 4), input_transform(d))
    True
    """
    b_t, g, a_t = (torch.tensor(rows, dtype=dtype, device=device) for rows in MATRICES[m])
    return torch.kron(b_t, b_t), torch.kron(g, g), torch.kron(a_t, a_t)


def _winograd(x: torch.Tensor, weight: torch.Tensor, output_size, m: int) -> torch.Tensor:
    """F(m x m, 3x3): ``x`` ``(N, C_in, H, W)`` already padded, ``weight`` ``(C_out, C_in, 3, 3)`` ->
    ``(N, C_out, *output_size)``, a block of samples at a time (:data:`BLOCK_BYTES`)."""
    batch, in_channels = x.shape[:2]
    out_channels = weight.shape[0]
    height, width = output_size
    a = m + 2  # input tile: a x a, tiles m apart
    tiles_h, tiles_w = -(-height // m), -(-width // m)  # m x m output tiles, rounded up
    extra = (m * tiles_h + 2 - x.shape[2], m * tiles_w + 2 - x.shape[3])
    if any(extra):  # zeros at the bottom and right so that every tile is whole
        x = padding_modes.pad(x, ((0, extra[0]), (0, extra[1])))
    tiles = x.unfold(2, a, m).unfold(3, a, m)  # (N, C_in, tiles_h, tiles_w, a, a), a view
    kron_b, kron_g, kron_a = kronecker_transforms(x.dtype, x.device, m)
    # U = G g G^T for every kernel: (C_out, C_in, 3, 3) -> reshape -> (C_out*C_in, 9) -> .T -> (9, C_out*C_in);
    # kron(G, G) @ that -> (a*a, C_out*C_in) -> view -> (a*a, C_out, C_in)
    u = (kron_g @ weight.reshape(out_channels * in_channels, 9).T).view(a * a, out_channels, in_channels)
    out = x.new_empty(batch, out_channels, m * tiles_h, m * tiles_w)
    per_sample = in_channels * a * a * tiles_h * tiles_w * x.element_size()  # bytes of one sample's V
    block = max(1, BLOCK_BYTES // max(1, per_sample))
    for first in range(0, max(batch, 1), block):  # at least once: an empty batch still gets an output autograd knows
        part = tiles[first : first + block]
        samples = part.shape[0]
        count = samples * tiles_h * tiles_w  # tiles in this block
        # Each tile's a*a numbers as a column, one copy: (n, C_in, th, tw, a, a) -> (C_in, a, a, n, th, tw) -> (C_in, a*a, tiles)
        d = part.permute(1, 4, 5, 0, 2, 3).reshape(in_channels, a * a, count)
        v = kron_b @ d  # V = B^T d B for every tile: (C_in, a*a, tiles), one (a*a, a*a) @ (a*a, tiles) per channel
        # The a*a products summed over C_in: for each tile position, (C_out, C_in) @ (C_in, tiles).
        products = torch.bmm(u, v.transpose(0, 1))  # (a*a, C_out, tiles); v.transpose is a view
        # Y = A^T M A: kron(A^T, A^T) @ (a*a, C_out*tiles) -> (m*m, C_out*tiles) -> view -> (m, m, C_out, n, th, tw)
        y = (kron_a @ products.view(a * a, out_channels * count)).view(m, m, out_channels, samples, tiles_h, tiles_w)
        # (m, m, C_out, n, th, tw) -> permute -> (n, C_out, th, m, tw, m): each tile's outputs in place
        out[first : first + samples].view(samples, out_channels, tiles_h, m, tiles_w, m).copy_(y.permute(3, 2, 4, 0, 5, 1))
    return out[:, :, :height, :width]
