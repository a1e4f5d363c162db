"""How close can im2col + matmul get? The matrix product alone, against torch's whole convolution.

    python benchmarks/gemm_floor.py [--rounds 5] [--threads 2]

For each im2col case of ``make bench``, the columns are built once, outside the
timing, and only the matrix product that ``vectorised`` then runs is timed
(``weight @ columns``, shapes exactly as ``vectorised`` uses them, the whole
input at once), next to torch's convolution, in interleaved rounds. If that ratio
is already above a case's target, no arrangement of im2col + one matrix product
with torch's CPU matrix multiply (MKL) can meet it: the arithmetic alone costs
more than torch's whole call (oneDNN's direct kernels). A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cases import CASES  # noqa: E402

from course_lib import args, padding_modes, timing, vectorised  # noqa: E402

IM2COL_CASES = ("conv2d x(8,64,56,56)", "conv2d x(8,256,14,14)", "conv2d x(8,64,56,56) w(128", "grouped", "conv1d", "conv3d")


def product_of(case, x, w):
    """The matrix product ``vectorised`` runs for this call, and its operands, built once."""
    settings = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **case.kwargs}  # the call's, defaults filled in
    a = args.conv_args("gemm_floor", x, w, None, padding_mode="zeros", **settings)  # checked, as vectorised gets them
    padded = padding_modes.pad(a.input, a.padding)
    columns = vectorised.im2col(padded, a.kernel_size, a.stride, a.dilation, a.groups)  # (N, g, K, P)
    flat = a.weight.reshape(a.groups, a.weight.shape[0] // a.groups, -1)  # (g, C_out/g, K)
    return lambda: flat @ columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    torch.set_num_threads(opts.threads)
    timing.steady_allocator()
    print("| case | torch (ms) | matrix product alone (ms) | product / torch (median) | min-max | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with torch.no_grad():
        for case in CASES:
            if case.ours != "vectorised" or not any(case.name.startswith(p) for p in IM2COL_CASES):
                continue
            x, w = case.make("cpu")
            result = timing.compare({"torch": lambda: case.torch_fn(x, w), "product": product_of(case, x, w)},
                                    rounds=opts.rounds, min_run_time=0.3)
            ratio, low, high = result.ratio("product")
            print(f"| {case.name} | {result.median('torch') * 1e3:.2f} | {result.median('product') * 1e3:.2f} | "
                  f"{ratio:.2f} | {low:.2f}-{high:.2f} | {case.target} |", flush=True)
    print(f"\n({timing.environment('cpu')}; median of {opts.rounds} interleaved rounds)")


if __name__ == "__main__":
    main()
