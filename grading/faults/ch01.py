"""Faulty submissions for 01_conv1d."""
from grading.faults import Fault

A = "01_conv1d"
FAULTS = [
    Fault(A, "untouched-01", kind="untouched",
          loses=("test_output_length", "test_conv1d_loops", "test_same_padding"), says="is not written yet"),
    Fault(A, "off-by-one-01", "output_length", (("// stride + 1", "// stride"),),
          loses=("test_output_length",), says="a missing + 1"),
    Fault(A, "flipped-kernel-01", "conv1d_loops", (("(window * weight[co])", "(window * weight[co].flip(-1))"),),
          loses=("test_conv1d_loops",), says="a flipped kernel"),
    Fault(A, "no-bias-01", "conv1d_loops", (("out[n, co, i] += bias[co]", "pass"),),
          loses=("test_conv1d_loops",), says="a missing bias"),
    Fault(A, "bias-axis-01", "conv1d_loops",
          (("                if bias is not None:\n                    out[n, co, i] += bias[co]\n", ""),
           ("    return out[0] if unbatched else out", "    if bias is not None:\n        out = out + bias\n    return out[0] if unbatched else out")),
          loses=("test_conv1d_loops",), says="one value per output channel"),
    Fault(A, "unbatched-01", "conv1d_loops", (("    if unbatched:\n        x = x[None]\n", ""),),
          loses=("test_conv1d_loops",), says="unbatched"),
    Fault(A, "dtype-01", "conv1d_loops", (("x.new_zeros(n_batch, c_out, l_out)", "torch.zeros(n_batch, c_out, l_out, dtype=torch.float64)"),),
          loses=("test_conv1d_loops",), says="dtype"),
    Fault(A, "device-01", "conv1d_loops", (("x.new_zeros(n_batch, c_out, l_out)", "torch.zeros(n_batch, c_out, l_out, dtype=x.dtype)"),),
          loses=("test_conv1d_loops",), says="input's device"),
    Fault(A, "calls-torch-01", "conv1d_loops", (("    unbatched = x.dim() == 2\n", "    return F.conv1d(x, weight, bias, stride, padding, dilation)\n"),),
          loses=("test_conv1d_loops",), says="calls F.conv1d"),
    Fault(A, "same-side-01", "same_padding", (("return total // 2, total - total // 2", "return total - total // 2, total // 2"),),
          loses=("test_same_padding",), says="the extra cell on the wrong side"),
    Fault(A, "infinite-loop-01", "conv1d_loops", (("    unbatched = x.dim() == 2\n", "    while True:\n        pass\n"),),
          loses=("test_conv1d_loops",), says="CellTimeoutError"),
    Fault(A, "deleted-test-01", "test_conv1d_loops", kind="delete_test"),
    Fault(A, "edited-test-01", "test_conv1d_loops", (("", "pass"),), kind="edit_test",
          also=(("conv1d_loops", "(window * weight[co])", "(window * weight[co].flip(-1))"),),
          loses=("test_conv1d_loops",), says="a flipped kernel"),
]
