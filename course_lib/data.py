"""Data for the lessons: a real photo shipped with matplotlib, and synthetic
videos and volumes. Nothing is downloaded.
"""
from __future__ import annotations

import matplotlib.cbook
import matplotlib.image
import torch

from course_lib import utils


def sample_image(size: int | None = 128, gray: bool = False) -> torch.Tensor:
    """The portrait of Grace Hopper that ships with matplotlib.

    Args:
        size: side of the square centre crop after 2x2 averaging steps, or ``None``
            for the full 600x512 photo. Sizes up to 512 work.
        gray: return one luminance channel instead of RGB.

    Returns:
        ``(3, H, W)`` (or ``(1, H, W)`` if ``gray``), float32 in ``[0, 1]``.

    >>> sample_image(64).shape, sample_image(None, gray=True).shape
    (torch.Size([3, 64, 64]), torch.Size([1, 600, 512]))
    """
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = torch.from_numpy(matplotlib.image.imread(path).copy()).permute(2, 0, 1).float() / 255.0
    if size is not None:
        size = utils.check_int("size", size, minimum=1)
        if size > 512:
            raise ValueError(f"size must be at most 512 (the photo is 600x512), got {size}; use size=None for all of it.")
        image = image[:, 44:556, :]  # centre 512x512
        while image.shape[-1] >= 2 * size:  # average 2x2 blocks: a clean way to shrink
            image = image.reshape(3, image.shape[1] // 2, 2, image.shape[2] // 2, 2).mean((2, 4))
        top = (image.shape[1] - size) // 2
        image = image[:, top : top + size, top : top + size]
    if gray:
        image = (0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2]).unsqueeze(0)
    return image.contiguous()


def synthetic_video(frames: int = 16, size: int = 32, channels: int = 3, seed: int = 0) -> torch.Tensor:
    """A bright square moving diagonally over a noisy background.

    Returns:
        ``(C, D, H, W)`` = ``(channels, frames, size, size)``, float32 in ``[0, 1]``;
        add a batch axis with ``[None]`` for ``Conv3d``.

    >>> video = synthetic_video(frames=8, size=16)
    >>> video.shape, video[0, 0, :4, :4].min().item() >= 0.5   # the square starts in the top-left corner
    (torch.Size([3, 8, 16, 16]), True)
    """
    frames = utils.check_int("frames", frames, 1)
    size = utils.check_int("size", size, 8)
    channels = utils.check_int("channels", channels, 1)
    g = torch.Generator().manual_seed(seed)
    video = 0.1 * torch.rand(channels, frames, size, size, generator=g)
    side = size // 4
    for t in range(frames):
        top = round(t * (size - side) / max(frames - 1, 1))
        for c in range(channels):
            video[c, t, top : top + side, top : top + side] = 0.5 + 0.5 * (c + 1) / channels
    return video


def synthetic_volume(size: int = 24, seed: int = 0) -> torch.Tensor:
    """A 3-D scan-like volume: a solid ball and a hollow shell in faint noise.

    Returns:
        ``(1, D, H, W)`` = ``(1, size, size, size)``, float32 in ``[0, 1]``.

    >>> synthetic_volume(16).shape
    torch.Size([1, 16, 16, 16])
    """
    size = utils.check_int("size", size, 8)
    g = torch.Generator().manual_seed(seed)
    axis = torch.linspace(-1, 1, size)
    z, y, x = torch.meshgrid(axis, axis, axis, indexing="ij")
    ball = ((x + 0.35) ** 2 + y**2 + z**2 < 0.3**2).float()
    r = ((x - 0.35) ** 2 + y**2 + z**2).sqrt()
    shell = ((r > 0.2) & (r < 0.35)).float() * 0.7
    return (ball + shell + 0.05 * torch.rand(size, size, size, generator=g)).clamp(0, 1).unsqueeze(0)
