"""Faulty submissions for 03_conv3d."""
from grading.faults import Fault

A = "03_conv3d"
ZEROS = "x.new_zeros(n_batch, c_out, d_out, h_out, w_out)"
BIAS = "            if bias is not None:\n                out[n, co] += bias[co]\n"
RETURN = "    return out[0] if unbatched else out"
CLIP = "return frames.permute(1, 0, 2, 3)[None]"
STACK = "torch.stack(outputs, dim=2)"
FAULTS = [
    Fault(A, "untouched-03", kind="untouched",
          loses=("test_conv3d_loops", "test_frames_to_clip", "test_per_frame_conv2d"), says="is not written yet"),
    # conv3d_loops
    Fault(A, "flipped-kernel-03", "conv3d_loops", (("(block * weight[co])", "(block * weight[co].flip(-3, -2, -1))"),),
          loses=("test_conv3d_loops",), says="a flipped kernel"),
    Fault(A, "no-bias-03", "conv3d_loops", (("out[n, co] += bias[co]", "pass"),),
          loses=("test_conv3d_loops",), says="a missing bias"),
    Fault(A, "bias-axis-03", "conv3d_loops",
          ((BIAS, ""), (RETURN, "    if bias is not None:\n        out = out + bias\n" + RETURN)),
          loses=("test_conv3d_loops",), says="a bias added along the wrong axis"),
    Fault(A, "padding-one-side-03", "conv3d_loops",
          (("F.pad(x, (pw, pw, ph, ph, pd, pd))", "F.pad(x, (0, 2 * pw, 0, 2 * ph, 0, 2 * pd))"),),
          loses=("test_conv3d_loops",), says="all the padding on one side"),
    Fault(A, "triple-reversed-03", "conv3d_loops", (("(sd, sh, sw), (pd, ph, pw) =", "(sw, sh, sd), (pw, ph, pd) ="),),
          loses=("test_conv3d_loops",), says="a (D, H, W) triple read in the wrong order"),
    Fault(A, "unbatched-03", "conv3d_loops", (("    if unbatched:\n        x = x[None]\n", ""),),
          loses=("test_conv3d_loops",), says="unbatched"),
    Fault(A, "dtype-03", "conv3d_loops",
          ((ZEROS, "torch.zeros(n_batch, c_out, d_out, h_out, w_out, dtype=torch.float64)"),),
          loses=("test_conv3d_loops",), says="dtype"),
    Fault(A, "device-03", "conv3d_loops", ((ZEROS, "torch.zeros(n_batch, c_out, d_out, h_out, w_out, dtype=x.dtype)"),),
          loses=("test_conv3d_loops",), says="input's device"),
    Fault(A, "calls-torch-03", "conv3d_loops",
          (("    unbatched = x.dim() == 4\n", "    return F.conv3d(x, weight, bias, stride, padding)\n"),),
          loses=("test_conv3d_loops",), says="calls F.conv3d"),
    # frames_to_clip
    Fault(A, "clip-unsqueeze-03", "frames_to_clip", ((CLIP, "return frames[None]"),),
          loses=("test_frames_to_clip",), says="channels and time swapped"),
    Fault(A, "clip-reshape-03", "frames_to_clip",
          ((CLIP, "t, c, h, w = frames.shape\n    return frames.reshape(1, c, t, h, w)"),),
          loses=("test_frames_to_clip",), says="a reshape instead of a permute"),
    Fault(A, "clip-image-fix-03", "frames_to_clip", ((CLIP, "return frames.unsqueeze(2)"),),
          loses=("test_frames_to_clip",), says="one-frame clips"),
    Fault(A, "clip-no-batch-03", "frames_to_clip", ((CLIP, "return frames.permute(1, 0, 2, 3)"),),
          loses=("test_frames_to_clip",), says="the batch axis missing"),
    Fault(A, "clip-new-tensor-03", "frames_to_clip",
          ((CLIP, "t, c, h, w = frames.shape\n    clip = torch.zeros(1, c, t, h, w, dtype=frames.dtype)\n"
                  "    for i in range(t):\n        clip[0, :, i] = frames[i]\n    return clip"),),
          loses=("test_frames_to_clip",), says="input's device"),
    # per_frame_conv2d
    Fault(A, "frames-on-axis-1-03", "per_frame_conv2d", ((STACK, "torch.stack(outputs, dim=1)"),),
          loses=("test_per_frame_conv2d",), says="the frames stacked on the channel axis"),
    Fault(A, "fold-by-reshape-03", "per_frame_conv2d",
          (("    outputs = [F.conv2d(video[:, :, t], weight2d, bias, padding=padding)\n"
            "               for t in range(video.shape[2])]\n"
            "    out = torch.stack(outputs, dim=2)\n",
            "    n, c, t, h, w = video.shape\n"
            "    out = F.conv2d(video.reshape(n * t, c, h, w), weight2d, bias, padding=padding)\n"
            "    out = out.reshape(n, -1, t, *out.shape[2:])\n"),),
          loses=("test_per_frame_conv2d",), says="time folded into the batch by reshape alone"),
    Fault(A, "per-frame-no-bias-03", "per_frame_conv2d", (("weight2d, bias, padding=padding", "weight2d, None, padding=padding"),),
          loses=("test_per_frame_conv2d",), says="a missing bias"),
    Fault(A, "per-frame-time-padding-03", "per_frame_conv2d",
          (("    outputs = [F.conv2d(video[:, :, t], weight2d, bias, padding=padding)\n"
            "               for t in range(video.shape[2])]\n",
            "    p = padding if isinstance(padding, int) else 0\n"
            "    video = F.pad(video, (0, 0, 0, 0, p, p))\n"
            "    outputs = [F.conv2d(video[:, :, t], weight2d, bias, padding=padding)\n"
            "               for t in range(video.shape[2])]\n"),),
          loses=("test_per_frame_conv2d",), says="padding along time too"),
    Fault(A, "per-frame-unbatched-03", "per_frame_conv2d", (("    if unbatched:\n        video = video[None]\n", ""),),
          loses=("test_per_frame_conv2d",), says="unbatched"),
    Fault(A, "per-frame-calls-conv3d-03", "per_frame_conv2d",
          (("    unbatched = video.dim() == 4\n",
            "    ph, pw = (padding, padding) if isinstance(padding, int) else padding\n"
            "    return F.conv3d(video, weight2d[:, :, None], bias, padding=(0, ph, pw))\n"),),
          loses=("test_per_frame_conv2d",), says="calls F.conv3d"),
]
