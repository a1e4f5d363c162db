"""Faulty submissions for 02_conv2d."""
from grading.faults import Fault

A = "02_conv2d"
ZEROS = "x.new_zeros(n_batch, c_out, h_out, w_out)"
BIAS = "            if bias is not None:\n                out[n, co] += bias[co]\n"
RETURN = "    return out[0] if unbatched else out"
FAULTS = [
    Fault(A, "untouched-02", kind="untouched",
          loses=("test_conv2d_loops", "test_conv2d_params", "test_receptive_field"), says="is not written yet"),
    # conv2d_loops
    Fault(A, "flipped-kernel-02", "conv2d_loops", (("(window * weight[co])", "(window * weight[co].flip(-2, -1))"),),
          loses=("test_conv2d_loops",), says="a flipped kernel"),
    Fault(A, "groups-modulo-02", "conv2d_loops", (("group = co // out_per_group", "group = co % groups"),),
          loses=("test_conv2d_loops",), says="channels mixed across groups"),
    Fault(A, "no-bias-02", "conv2d_loops", (("out[n, co] += bias[co]", "pass"),),
          loses=("test_conv2d_loops",), says="a missing bias"),
    Fault(A, "bias-axis-02", "conv2d_loops",
          ((BIAS, ""), (RETURN, "    if bias is not None:\n        out = out + bias\n" + RETURN)),
          loses=("test_conv2d_loops",), says="a bias added along the wrong axis"),
    Fault(A, "padding-one-side-02", "conv2d_loops",
          (("x = F.pad(x, (pw, pw, ph, ph))", "x = F.pad(x, (0, 2 * pw, 0, 2 * ph))"),),
          loses=("test_conv2d_loops",), says="all the padding on one side"),
    Fault(A, "pairs-swapped-02", "conv2d_loops", (("(sh, sw), (ph, pw), (dh, dw) =", "(sw, sh), (pw, ph), (dw, dh) ="),),
          loses=("test_conv2d_loops",), says="a (rows, columns) pair read in the wrong order"),
    Fault(A, "unbatched-02", "conv2d_loops", (("    if unbatched:\n        x = x[None]\n", ""),),
          loses=("test_conv2d_loops",), says="unbatched"),
    Fault(A, "dtype-02", "conv2d_loops", ((ZEROS, "torch.zeros(n_batch, c_out, h_out, w_out, dtype=torch.float64)"),),
          loses=("test_conv2d_loops",), says="dtype"),
    Fault(A, "device-02", "conv2d_loops", ((ZEROS, "torch.zeros(n_batch, c_out, h_out, w_out, dtype=x.dtype)"),),
          loses=("test_conv2d_loops",), says="input's device"),
    Fault(A, "calls-torch-02", "conv2d_loops",
          (("    unbatched = x.dim() == 3\n", "    return F.conv2d(x, weight, bias, stride, padding, dilation, groups)\n"),),
          loses=("test_conv2d_loops",), says="calls F.conv2d"),
    Fault(A, "input-zeroed-02", "conv2d_loops",  # zeroes its input in place: the result is the bias alone
          (("    unbatched = x.dim() == 3\n", "    x.zero_()\n    unbatched = x.dim() == 3\n"),),
          loses=("test_conv2d_loops",), says="changed its input `x` in place"),
    # conv2d_params
    Fault(A, "params-no-bias-02", "conv2d_params", (("(out_channels if bias else 0)", "0"),),
          loses=("test_conv2d_params",), says="the bias left out"),
    Fault(A, "params-bias-kk-02", "conv2d_params", (("(out_channels if bias else 0)", "(kh * kw if bias else 0)"),),
          loses=("test_conv2d_params",), says="a bias of kh · kw numbers"),
    Fault(A, "params-groups-ignored-02", "conv2d_params", (("(in_channels // groups)", "in_channels"),),
          loses=("test_conv2d_params",), says="groups ignored"),
    Fault(A, "params-groups-twice-02", "conv2d_params",
          (("out_channels * (in_channels // groups)", "(out_channels // groups) * (in_channels // groups)"),),
          loses=("test_conv2d_params",), says="groups dividing both channel counts"),
    Fault(A, "params-k-not-kk-02", "conv2d_params", (("(kernel_size, kernel_size)", "(kernel_size, 1)"),),
          loses=("test_conv2d_params",), says="k instead of k · k"),
    # receptive_field
    Fault(A, "field-no-strides-02", "receptive_field", (("            jump *= s\n", ""),),
          loses=("test_receptive_field",), says="the strides left out"),
    Fault(A, "field-own-stride-02", "receptive_field",
          (("            field += (k - 1) * jump\n            jump *= s\n",
            "            jump *= s\n            field += (k - 1) * jump\n"),),
          loses=("test_receptive_field",), says="a layer's own stride counted"),
    Fault(A, "field-k-not-k-minus-1-02", "receptive_field",
          (("field, jump = 1, 1", "field, jump = 0, 1"), ("field += (k - 1) * jump", "field += k * jump")),
          loses=("test_receptive_field",), says="k instead of k − 1"),
    Fault(A, "field-reversed-02", "receptive_field",
          (("zip(kernel_sizes, strides)", "zip(kernel_sizes[::-1], strides[::-1])"),),
          loses=("test_receptive_field",), says="the layers taken from the output end"),
]
