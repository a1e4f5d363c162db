"""Correct solutions by other routes than the worked solutions: each must get full marks (`loses=()`).

A check compares results, not methods: Python lists, numpy, einsum, a matrix product, `as_strided`, `index_add_` all
reach the right answer, and none may lose points (e.g. to a device message for code that cannot run on the 'meta'
device because it reads values). Each route is the solution notebook with the route's function put in front of the
worked one, which is renamed `_solution_<name>` and left unused. tests/test_exercise_checks.py runs them in-process,
visible and hidden checks alike.
"""
from grading.faults import Fault


def route(assignment: str, student: str, cell: str, code: str) -> Fault:
    """The solution of `assignment` with `code` (which defines the function `cell`) put in front of the worked
    function of that name in the cell `cell`, which becomes `_solution_<cell>`."""
    return Fault(assignment, student, cell, ((f"def {cell}(", f"{code.strip()}\n\n\ndef _solution_{cell}("),),
                 loses=(), says="")


FAULTS = [
    # 01: conv1d by Python lists (.tolist() in, torch.tensor(..., dtype=x.dtype) out), by numpy; the length by math
    route("01_conv1d", "route-lists-01", "conv1d_loops", '''
def conv1d_loops(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """By Python lists: the values out with .tolist(), the result back with torch.tensor(..., dtype=x.dtype)."""
    unbatched = x.dim() == 2
    samples = [x.tolist()] if unbatched else x.tolist()
    kernels = weight.tolist()
    biases = bias.tolist() if bias is not None else [0.0] * len(kernels)
    c_out, c_in, k = weight.shape
    l_out = (x.shape[-1] + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    out = []
    for sample in samples:
        padded = [[0.0] * padding + row + [0.0] * padding for row in sample]
        out.append([[biases[co] + sum(padded[ci][i * stride + j * dilation] * kernels[co][ci][j]
                                      for ci in range(c_in) for j in range(k))
                     for i in range(l_out)] for co in range(c_out)])
    result = torch.tensor(out, dtype=x.dtype).reshape(len(samples), c_out, l_out)
    return result[0] if unbatched else result
'''),
    route("01_conv1d", "route-numpy-01", "conv1d_loops", '''
import numpy as np


def conv1d_loops(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """By numpy: the windows by fancy indexing, then one einsum."""
    values = np.asarray(x.detach().cpu())
    unbatched = values.ndim == 2
    if unbatched:
        values = values[None]
    kernels = np.asarray(weight.detach().cpu())
    k = kernels.shape[-1]
    values = np.pad(values, ((0, 0), (0, 0), (padding, padding)))
    l_out = (values.shape[-1] - dilation * (k - 1) - 1) // stride + 1
    taps = np.arange(l_out)[:, None] * stride + np.arange(k)[None, :] * dilation  # (L_out, k)
    out = np.einsum("nclk,ock->nol", values[:, :, taps], kernels)
    if bias is not None:
        out = out + np.asarray(bias.detach().cpu())[:, None]
    out = torch.from_numpy(np.ascontiguousarray(out)).to(x.dtype)
    return out[0] if unbatched else out
'''),
    route("01_conv1d", "route-math-01", "output_length", '''
import math


def output_length(length, kernel_size, stride=1, padding=0, dilation=1):
    """By math.floor of a true division (an int in Python 3)."""
    return math.floor((length + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
'''),
    # 02: conv2d by einsum on Tensor.unfold windows, one group at a time; counts by math.prod; the field backwards
    route("02_conv2d", "route-einsum-02", "conv2d_loops", '''
def conv2d_loops(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """By einsum on the windows (Tensor.unfold views), one group at a time."""
    unbatched = x.dim() == 3
    if unbatched:
        x = x[None]
    (sh, sw), (ph, pw), (dh, dw) = [(v, v) if isinstance(v, int) else tuple(v) for v in (stride, padding, dilation)]
    c_out, c_group, kh, kw = weight.shape
    x = F.pad(x, (pw, pw, ph, ph))
    windows = x.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)[..., ::dh, ::dw]
    per_group = c_out // groups
    out = torch.cat([torch.einsum("nchwij,ocij->nohw", windows[:, g * c_group:(g + 1) * c_group],
                                  weight[g * per_group:(g + 1) * per_group]) for g in range(groups)], dim=1)
    if bias is not None:
        out = out + bias[:, None, None]
    return out[0] if unbatched else out
'''),
    route("02_conv2d", "route-math-02", "conv2d_params", '''
import math


def conv2d_params(in_channels, out_channels, kernel_size, groups=1, bias=True):
    """By math.prod of the kernel's sizes."""
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    return out_channels * (in_channels // groups) * math.prod(kernel) + out_channels * int(bool(bias))
'''),
    route("02_conv2d", "route-backwards-02", "receptive_field", '''
def receptive_field(kernel_sizes, strides):
    """From the output back to the input: a field of f cells below a layer (k, s) is (f − 1)·s + k cells."""
    def one_axis(sizes, steps):
        field = 1
        for k, s in zip(reversed(sizes), reversed(steps)):
            field = (field - 1) * s + k
        return field

    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    if all(isinstance(v, int) for v in list(kernel_sizes) + list(strides)):
        return one_axis(list(kernel_sizes), list(strides))
    return tuple(one_axis([pair(k)[a] for k in kernel_sizes], [pair(s)[a] for s in strides]) for a in (0, 1))
'''),
    # 03: conv3d by a matrix product; frames to a clip by Python lists; per frame by folding time into the batch
    route("03_conv3d", "route-matmul-03", "conv3d_loops", '''
def conv3d_loops(x, weight, bias=None, stride=1, padding=0):
    """By a matrix product: every (kd, kh, kw) block as a row (Tensor.unfold views) times the flattened weight."""
    unbatched = x.dim() == 4
    if unbatched:
        x = x[None]
    (sd, sh, sw), (pd, ph, pw) = [(v,) * 3 if isinstance(v, int) else tuple(v) for v in (stride, padding)]
    c_out, c_in, kd, kh, kw = weight.shape
    x = F.pad(x, (pw, pw, ph, ph, pd, pd))
    blocks = x.unfold(2, kd, sd).unfold(3, kh, sh).unfold(4, kw, sw)  # (N, C, D_out, H_out, W_out, kd, kh, kw)
    n, _, d_out, h_out, w_out = blocks.shape[:5]
    rows = blocks.permute(0, 2, 3, 4, 1, 5, 6, 7).reshape(n * d_out * h_out * w_out, c_in * kd * kh * kw)
    out = (rows @ weight.reshape(c_out, c_in * kd * kh * kw).T).reshape(n, d_out, h_out, w_out, c_out)
    out = out.permute(0, 4, 1, 2, 3)
    if bias is not None:
        out = out + bias.view(-1, 1, 1, 1)
    return out[0] if unbatched else out
'''),
    route("03_conv3d", "route-lists-03", "frames_to_clip", '''
def frames_to_clip(frames):
    """By Python lists: the frames' values regrouped channel by channel."""
    t, c = frames.shape[:2]
    values = frames.tolist()  # [t][c][h][w]
    return torch.tensor([[[values[i][ch] for i in range(t)] for ch in range(c)]], dtype=frames.dtype)
'''),
    route("03_conv3d", "route-fold-03", "per_frame_conv2d", '''
def per_frame_conv2d(video, weight2d, bias=None, padding=0):
    """One F.conv2d call: the frames moved next to the batch, folded into it, and unfolded afterwards."""
    unbatched = video.dim() == 4
    if unbatched:
        video = video[None]
    n, c, t, h, w = video.shape
    out = F.conv2d(video.transpose(1, 2).reshape(n * t, c, h, w), weight2d, bias, padding=padding)
    out = out.reshape(n, t, *out.shape[1:]).transpose(1, 2)
    return out[0] if unbatched else out
'''),
    # 04: the shape with numpy integers; N-d by numpy's sliding windows; 4-D by one F.conv3d per step
    route("04_convnd", "route-numpy-shape-04", "conv_output_shape", '''
import numpy as np


def conv_output_shape(input_shape, weight_shape, stride=1, padding=0, dilation=1):
    """By numpy arrays: every axis at once (the sizes are numpy integers)."""
    n = len(weight_shape) - 2
    i, k = np.array(input_shape[-n:]), np.array(weight_shape[2:])
    s, p, d = (np.broadcast_to(np.array(v), (n,)) for v in (stride, padding, dilation))
    sizes = (i + 2 * p - d * (k - 1) - 1) // s + 1
    return tuple(input_shape[:-n - 1]) + (weight_shape[0],) + tuple(sizes)
'''),
    route("04_convnd", "route-numpy-04", "convnd_loops", '''
import numpy as np


def convnd_loops(x, weight, bias=None, stride=1, padding=0):
    """By numpy: sliding_window_view windows, every stride-th kept, then one tensordot."""
    n = weight.dim() - 2
    values, kernels = x.detach().cpu().numpy(), weight.detach().cpu().numpy()
    unbatched = values.ndim == n + 1
    if unbatched:
        values = values[None]
    stride, padding = [(v,) * n if isinstance(v, int) else tuple(v) for v in (stride, padding)]
    values = np.pad(values, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    windows = np.lib.stride_tricks.sliding_window_view(values, kernels.shape[2:], axis=tuple(range(2, n + 2)))
    windows = windows[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)]
    out = np.tensordot(windows, kernels, axes=([1] + list(range(n + 2, 2 * n + 2)), list(range(1, n + 2))))
    out = np.moveaxis(out, -1, 1)  # (N, O1, …, On, C_out) -> (N, C_out, O1, …, On)
    if bias is not None:
        out = out + bias.detach().cpu().numpy().reshape(-1, *[1] * n)
    out = torch.from_numpy(np.ascontiguousarray(out)).to(x.dtype)
    return out[0] if unbatched else out
'''),
    route("04_convnd", "route-stacked-04", "conv4d_by_conv3d", '''
def conv4d_by_conv3d(x, weight, bias=None):
    """One F.conv3d per output step: the kT input steps it reads stacked as channels, the kernel's kT slices too."""
    n, c_in, t = x.shape[:3]
    c_out, _, k_t = weight.shape[:3]
    w = weight.reshape(c_out, c_in * k_t, *weight.shape[3:])  # channel ci·kT + j is slice j of channel ci
    steps = [F.conv3d(x[:, :, s:s + k_t].reshape(n, c_in * k_t, *x.shape[3:]), w, bias) for s in range(t - k_t + 1)]
    return torch.stack(steps, dim=2)
'''),
    # 05: im2col by as_strided and by advanced indexing; the conv by einsum; the bytes with numpy integers
    route("05_vectorising", "route-as-strided-05", "im2col", '''
def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """By Tensor.as_strided: all the windows as one strided view of the padded input."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(kernel_size), pair(stride), pair(padding), pair(dilation)
    unbatched = x.dim() == 3
    if unbatched:
        x = x[None]
    x = F.pad(x, (pw, pw, ph, ph)).contiguous()
    n, c, h, w = x.shape
    h_out, w_out = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    sn, sc, sy, sx = x.stride()
    windows = x.as_strided((n, c, kh, kw, h_out, w_out), (sn, sc, dh * sy, dw * sx, sh * sy, sw * sx))
    columns = windows.reshape(n, c * kh * kw, h_out * w_out)
    return columns[0] if unbatched else columns
'''),
    route("05_vectorising", "route-indexing-05", "im2col", '''
def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """By advanced indexing: row and column index grids pick every window's taps at once."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(kernel_size), pair(stride), pair(padding), pair(dilation)
    unbatched = x.dim() == 3
    if unbatched:
        x = x[None]
    x = F.pad(x, (pw, pw, ph, ph))
    n, c, h, w = x.shape
    h_out, w_out = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    rows = torch.arange(h_out, device=x.device)[:, None] * sh + torch.arange(kh, device=x.device) * dh  # (H_out, kh)
    cols = torch.arange(w_out, device=x.device)[:, None] * sw + torch.arange(kw, device=x.device) * dw  # (W_out, kw)
    windows = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, H_out, W_out, kh, kw)
    columns = windows.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, h_out * w_out)
    return columns[0] if unbatched else columns
'''),
    route("05_vectorising", "route-einsum-05", "conv2d_im2col", '''
def conv2d_im2col(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """im2col, then einsum instead of @, then the positions unflattened by the sizes torch would give."""
    c_out, c_in, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    columns = im2col(x, (kh, kw), stride, padding, dilation)  # (N, C_in·kh·kw, L) or (C_in·kh·kw, L)
    out = torch.einsum("ok,...kl->...ol", weight.reshape(c_out, c_in * kh * kw), columns)
    h_out = (x.shape[-2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    w_out = (x.shape[-1] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = out.unflatten(-1, (h_out, w_out))
    return out if bias is None else out + bias[:, None, None]
'''),
    route("05_vectorising", "route-numpy-05", "im2col_bytes", '''
import numpy as np


def im2col_bytes(input_shape, kernel_size, stride=1, padding=0, dilation=1, dtype=torch.float32):
    """By numpy: both axes at once; np.prod gives a numpy integer."""
    k, s, p, d = (np.array(pair(v)) for v in (kernel_size, stride, padding, dilation))
    *batch, c, h, w = input_shape
    out = (np.array([h, w]) + 2 * p - d * (k - 1) - 1) // s + 1
    return (batch[0] if batch else 1) * c * np.prod(k) * np.prod(out) * torch.empty(0, dtype=dtype).element_size()
'''),
    # 06: depthwise by shift and add; the pointwise step as a matrix product
    route("06_grouped_separable", "route-shift-add-06", "depthwise_conv2d", '''
def depthwise_conv2d(x, weight, bias=None, stride=1, padding=0):
    """Shift and add: one strided slice of the padded input per kernel tap, times that tap of every channel."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    kh, kw = weight.shape[2:]
    padded = F.pad(x, (pw, pw, ph, ph))
    h_out, w_out = (padded.shape[-2] - kh) // sh + 1, (padded.shape[-1] - kw) // sw + 1
    out = 0
    for u in range(kh):
        for v in range(kw):
            tap = padded[..., u:u + sh * (h_out - 1) + 1:sh, v:v + sw * (w_out - 1) + 1:sw]
            out = out + tap * weight[:, 0, u, v].view(-1, 1, 1)
    return out if bias is None else out + bias.view(-1, 1, 1)
'''),
    route("06_grouped_separable", "route-matmul-06", "depthwise_separable_conv2d", '''
def depthwise_separable_conv2d(x, depthwise_weight, pointwise_weight, bias=None, padding=0):
    """The pointwise step as a matrix product: (C_out, C) times (C, H·W) for every sample."""
    hidden = depthwise_conv2d(x, depthwise_weight, padding=padding)
    c_out, c = pointwise_weight.shape[:2]
    out = pointwise_weight.reshape(c_out, c) @ hidden.flatten(-2)  # (..., C_out, H·W)
    out = out.unflatten(-1, hidden.shape[-2:])
    return out if bias is None else out + bias[:, None, None]
'''),
    # 07: the scatter as a matrix product, and by index_add_; zero insertion by stacking zeros
    route("07_transposed", "route-matmul-07", "conv_transpose1d_scatter", '''
def conv_transpose1d_scatter(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """By a matrix product: the stamp of every (input position, tap) is sent to its output cell by a 0/1 matrix."""
    unbatched = x.dim() == 2
    if unbatched:
        x = x[None]
    n, c_in, length = x.shape
    _, c_out, k = weight.shape
    full_length = (length - 1) * stride + dilation * (k - 1) + 1 + output_padding
    stamps = torch.einsum("nci,cok->noik", x, weight).reshape(n, c_out, length * k)
    target = torch.arange(length, device=x.device)[:, None] * stride + torch.arange(k, device=x.device) * dilation
    place = x.new_zeros(length * k, full_length)
    place[torch.arange(length * k, device=x.device), target.reshape(-1)] = 1
    out = (stamps @ place)[:, :, padding:full_length - padding]
    if bias is not None:
        out = out + bias[:, None]
    return out[0] if unbatched else out
'''),
    route("07_transposed", "route-index-add-07", "conv_transpose1d_scatter", '''
def conv_transpose1d_scatter(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """By index_add_: for each tap j, every input position's stamp is added at i·stride + j·dilation at once."""
    unbatched = x.dim() == 2
    if unbatched:
        x = x[None]
    n, c_in, length = x.shape
    _, c_out, k = weight.shape
    full = x.new_zeros(n, c_out, (length - 1) * stride + dilation * (k - 1) + 1 + output_padding)
    starts = torch.arange(length, device=x.device) * stride
    for j in range(k):
        full.index_add_(2, starts + j * dilation, torch.einsum("nci,co->noi", x, weight[:, :, j]))
    out = full[:, :, padding:full.shape[-1] - padding]
    if bias is not None:
        out = out + bias[:, None]
    return out[0] if unbatched else out
'''),
    route("07_transposed", "route-stacked-zeros-07", "conv_transpose1d_zero_insertion", '''
def conv_transpose1d_zero_insertion(x, weight, bias=None, stride=1, padding=0, output_padding=0):
    """The zeros inserted by stacking each input with stride − 1 zeros and cutting the trailing ones off."""
    k, length = weight.shape[-1], x.shape[-1]
    zeros = x.new_zeros(*x.shape, stride - 1)
    stretched = torch.cat([x[..., None], zeros], dim=-1).flatten(-2)[..., :(length - 1) * stride + 1]
    before = k - 1 - padding  # negative: F.pad crops
    padded = F.pad(stretched, (before, before + output_padding))
    return F.conv1d(padded, weight.flip(-1).transpose(0, 1), bias)
'''),
    # 08: positions by numpy; linear and bilinear by numpy's np.interp
    route("08_upsampling", "route-numpy-positions-08", "source_coordinates", '''
import numpy as np


def source_coordinates(out_size, in_size, align_corners=False):
    """By numpy: the positions as an array, clipped, then torch.from_numpy (float64)."""
    o = np.arange(out_size, dtype=np.float64)
    if align_corners:
        position = o * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros(out_size)
    else:
        position = (o + 0.5) * in_size / out_size - 0.5
    return torch.from_numpy(np.clip(position, 0, in_size - 1))
'''),
    route("08_upsampling", "route-numpy-08", "upsample_linear1d", '''
import numpy as np


def upsample_linear1d(x, size, align_corners=False):
    """By numpy: np.interp along the last axis, one row at a time, then back to x's dtype."""
    values = x.detach().cpu().numpy().astype(np.float64)
    position = source_coordinates(size, x.shape[-1], align_corners).numpy()
    grid = np.arange(x.shape[-1])
    rows = [np.interp(position, grid, row) for row in values.reshape(-1, x.shape[-1])]
    out = np.array(rows, dtype=np.float64).reshape(*x.shape[:-1], size)
    return torch.from_numpy(out).to(x.dtype)
'''),
    route("08_upsampling", "route-numpy-bilinear-08", "upsample_bilinear2d", '''
import numpy as np


def upsample_bilinear2d(x, size, align_corners=False):
    """By numpy: np.interp along W, then along H (on the swapped axes), then back to x's dtype."""
    h_out, w_out = (size, size) if isinstance(size, int) else size

    def along_last(values, n_out):
        position = source_coordinates(n_out, values.shape[-1], align_corners).numpy()
        grid = np.arange(values.shape[-1])
        rows = [np.interp(position, grid, row) for row in values.reshape(-1, values.shape[-1])]
        return np.array(rows, dtype=np.float64).reshape(*values.shape[:-1], n_out)

    along_w = along_last(x.detach().cpu().numpy().astype(np.float64), w_out)
    out = np.swapaxes(along_last(np.swapaxes(along_w, -1, -2), h_out), -1, -2)
    return torch.from_numpy(np.ascontiguousarray(out)).to(x.dtype)
'''),
]
