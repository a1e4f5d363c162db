"""Time course_lib against torch, case by case, in a way a noisy machine cannot fool.

    make bench                      # or: python benchmarks/run.py [--threads 2] [--filter conv3d] [--rounds 5] [--markdown]
                                    #     [--device all|cpu|cuda]

For each case, torch's function and ours are timed in interleaved rounds in this
one process (torch, ours, torch, ours, ...; each a torch.utils.benchmark
measurement after warm-up, which synchronises CUDA): the ratio ours / torch is
taken within each round, and the table shows the median of those per-round
ratios with their min-max. On a shared VM that drifts by +-30 % between runs,
the per-round ratio moves far less than either time. On CUDA too when a GPU is
present. A benchmark, not a test: the numbers vary from machine to machine.

Two more things it does, both explained in docs/benchmarks.md: it first fixes
glibc's malloc thresholds (course_lib.timing.steady_allocator), so that large
tensors come from memory the process keeps instead of fresh pages whose cost
depends on what ran before; and it gives each side's
peak memory during one call (course_lib.timing.peak_memory: bytes allocated
beyond the inputs, output included), measured after all the timings, so that
the profiler it runs touches none of them. (PyTorch 2.13's profiler writes a
'USDT: ... profiler_start' and a '... profiler_stop' line to the error stream
for each measurement: ignore them.)
"""
from __future__ import annotations

import argparse
import datetime
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cases import CASES  # noqa: E402

from course_lib import timing  # noqa: E402


def measured_memory(case, inputs) -> tuple[float, float]:
    """Peak memory (MiB) of torch's function and ours during one call each."""
    with torch.no_grad():
        return tuple(timing.peak_memory(fn, *inputs) / 2**20 for fn in (case.torch_fn, case.ours_fn))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2, the course's reference machine)")
    parser.add_argument("--filter", default="", help="run only cases whose name contains this text")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case (default 5)")
    parser.add_argument("--min-run-time", type=float, default=0.3, help="seconds of timing per function and round")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                        help="all (default): the CPU, then CUDA when a GPU is present; or only one of them")
    opts = parser.parse_args()
    if opts.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device here (torch.cuda.is_available() is False); "
                     "use --device cpu, or run on a machine with an NVIDIA GPU")
    torch.set_num_threads(opts.threads)
    steady = timing.steady_allocator()  # before any tensor: large tensors from the heap, not fresh mappings
    devices = {"cpu": ["cpu"], "cuda": ["cuda"], "all": ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])}[opts.device]
    rows, timed = [], []
    for device in devices:
        for case in CASES:
            if opts.filter not in case.name:
                continue
            timed.append((device, case))
            inputs = case.make(device)
            with torch.no_grad():
                result = timing.compare({"torch": case.torch_fn, case.ours: case.ours_fn}, *inputs, label=case.name,
                                        rounds=opts.rounds, min_run_time=opts.min_run_time)
            ratio, low, high = result.ratio(case.ours)
            target = case.target if device == "cpu" else None
            verdict = "" if target is None else ("ok" if ratio <= target else "MISS")
            rows.append((device, case.name, case.ours, result.median("torch") * 1e3, result.median(case.ours) * 1e3,
                         ratio, low, high, target, verdict))
            if not opts.markdown:
                print(f"{device:4} {case.name:52} torch {rows[-1][3]:8.2f} ms  {case.ours:11} {rows[-1][4]:8.2f} ms  "
                      f"ratio {ratio:5.2f} ({low:.2f}-{high:.2f})  target {target or '-'} {verdict}", flush=True)
    # Peak memory after every timing: the profiler allocates memory of its own, and no timing should follow it.
    for index, (device, case) in enumerate(timed):
        rows[index] += measured_memory(case, case.make(device))
        if not opts.markdown:
            print(f"{device:4} {case.name:52} peak memory: torch {rows[index][-2]:6.1f} MiB, {case.ours} {rows[index][-1]:6.1f} MiB")
    env = "; ".join(timing.environment(device) for device in devices)
    env += "; glibc malloc thresholds fixed" if steady else "; allocator as found (no glibc)"
    if "cuda" in devices:  # cuDNN may run torch's float32 convolutions in TF32; ours are matmuls (TF32 off by default)
        env += (f"; CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, TF32 for convolutions "
                f"{torch.backends.cudnn.allow_tf32}, for matmul {torch.backends.cuda.matmul.allow_tf32}")
    if opts.markdown:
        print(f"{datetime.date.today()}, {env}, median of {opts.rounds} interleaved rounds\n")
        print("| device | case | ours | torch (ms) | ours (ms) | ratio (median) | min-max | target | peak MiB torch | peak MiB ours |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for device, name, ours, tt, to, r, low, high, target, verdict, mem_torch, mem_ours in rows:
            goal = "-" if target is None else f"<= {target} {verdict}"
            print(f"| {device} | {name} | {ours} | {tt:.2f} | {to:.2f} | {r:.2f} | {low:.2f}-{high:.2f} | {goal} "
                  f"| {mem_torch:.1f} | {mem_ours:.1f} |")
    else:
        print(f"({env}; ratio = median of {opts.rounds} per-round ratios ours / torch, with min-max)")


if __name__ == "__main__":
    main()
