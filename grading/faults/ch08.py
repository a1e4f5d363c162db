"""Faulty submissions for 08_upsampling.

upsample_linear1d uses source_coordinates, and upsample_bilinear2d uses upsample_linear1d (as the tasks ask), so a
mistake in an earlier task also costs the later tasks built on it: `loses` lists every test cell it reaches.
"""
from grading.faults import Fault

A = "08_upsampling"
POSITIONS, LINEAR, BILINEAR = "test_source_coordinates", "test_upsample_linear1d", "test_upsample_bilinear2d"
FAULTS = [
    Fault(A, "untouched-08", kind="untouched", loses=(POSITIONS, LINEAR, BILINEAR), says="is not written yet"),
    # task 1: positions (used by tasks 2 and 3)
    Fault(A, "align-corners-08", "source_coordinates", (("    if align_corners:\n", "    if not align_corners:\n"),),
          loses=(POSITIONS, LINEAR, BILINEAR), says="align_corners confused"),
    Fault(A, "no-clamp-08", "source_coordinates",
          (("return position.clamp(0, in_size - 1)", "return position"),),
          loses=(POSITIONS, LINEAR, BILINEAR), says="no clamping at the edge"),
    Fault(A, "no-half-pixel-08", "source_coordinates",
          (("(o + 0.5) * (in_size / out_size) - 0.5", "o * (in_size / out_size)"),),
          loses=(POSITIONS, LINEAR, BILINEAR), says="without the half-pixel shifts"),
    Fault(A, "float32-positions-08", "source_coordinates",
          (("torch.arange(out_size, dtype=torch.float64)", "torch.arange(out_size, dtype=torch.float32)"),),
          loses=(POSITIONS, LINEAR, BILINEAR), says="float32"),
    # task 2: linear (used by task 3)
    Fault(A, "weights-swapped-08", "upsample_linear1d",
          (("x[..., left] * (1 - t) + x[..., right] * t", "x[..., left] * t + x[..., right] * (1 - t)"),),
          loses=(LINEAR, BILINEAR), says="the two weights swapped"),
    Fault(A, "nearest-08", "upsample_linear1d",
          (("    return x[..., left] * (1 - t) + x[..., right] * t",
            "    return x[..., (position + 0.5).floor().long()]"),),
          loses=(LINEAR, BILINEAR), says="nearest instead of linear"),
    Fault(A, "dtype-08", "upsample_linear1d", (("t = (position - left).to(x.dtype)", "t = position - left"),),
          loses=(LINEAR, BILINEAR), says="dtype"),
    Fault(A, "device-08", "upsample_linear1d", ((".to(x.device)", ""),),
          loses=(LINEAR, BILINEAR), says="input's device"),
    # task 3: bilinear
    Fault(A, "size-swapped-08", "upsample_bilinear2d",
          (("(size, size) if isinstance(size, int) else size", "(size, size) if isinstance(size, int) else size[::-1]"),),
          loses=(BILINEAR,), says="H and W of `size` swapped"),
    Fault(A, "unbatched-08", "upsample_bilinear2d", (("x.transpose(-1, -2), h_out", "x.transpose(2, 3), h_out"),),
          loses=(BILINEAR,), says="unbatched"),
    Fault(A, "calls-torch-08", "upsample_bilinear2d",
          (("    h_out, w_out =", "    return F.interpolate(x, size, mode='bilinear', align_corners=align_corners)\n    h_out, w_out ="),),
          loses=(BILINEAR,), says="calls torch.nn.functional.interpolate"),
    Fault(A, "deleted-test-08", LINEAR, kind="delete_test"),
    Fault(A, "edited-test-08", LINEAR, (("", "pass"),), kind="edit_test",
          also=(("upsample_linear1d", "x[..., left] * (1 - t) + x[..., right] * t", "x[..., left] * t + x[..., right] * (1 - t)"),),
          loses=(LINEAR, BILINEAR), says="the two weights swapped"),
]
