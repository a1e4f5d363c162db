"""Time course_lib.vectorised against torch, case by case.

    make bench                      # or: python benchmarks/run.py [--threads 2] [--filter conv3d] [--markdown]

For each case: torch's median time, ours, and the ratio ours / torch, measured
in this one process with torch.utils.benchmark (which synchronises CUDA and
picks the number of runs). On CUDA too when a GPU is present. A benchmark, not
a test: the numbers vary from machine to machine and run to run.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

import torch
import torch.utils.benchmark as benchmark

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cases import CASES  # noqa: E402


def median_seconds(fn, inputs, min_run_time: float) -> float:
    for _ in range(3):  # warm-up: first calls pick kernels and grow the allocator's pools
        fn(*inputs)
    timer = benchmark.Timer(stmt="fn(*inputs)", globals={"fn": fn, "inputs": inputs}, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time).median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2, the course's reference machine)")
    parser.add_argument("--filter", default="", help="run only cases whose name contains this text")
    parser.add_argument("--min-run-time", type=float, default=1.0, help="seconds of timing per function and device")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    opts = parser.parse_args()
    torch.set_num_threads(opts.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        for case in CASES:
            if opts.filter not in case.name:
                continue
            inputs = case.make(device)
            with torch.no_grad():
                t_torch = median_seconds(case.torch_fn, inputs, opts.min_run_time)
                t_ours = median_seconds(case.ours_fn, inputs, opts.min_run_time)
            ratio = t_ours / t_torch
            target = case.target if device == "cpu" else None
            verdict = "" if target is None else ("ok" if ratio <= target else "MISS")
            rows.append((device, case.name, t_torch * 1e3, t_ours * 1e3, ratio, target, verdict))
            if not opts.markdown:
                print(f"{device:4} {case.name:48} torch {t_torch * 1e3:8.2f} ms  ours {t_ours * 1e3:8.2f} ms  "
                      f"ratio {ratio:5.2f}  target {target or '-'} {verdict}", flush=True)
    if opts.markdown:
        print(f"torch {torch.__version__}, {opts.threads} threads\n")
        print("| device | case | torch (ms) | vectorised (ms) | ratio | target |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for device, name, tt, to, r, target, verdict in rows:
            print(f"| {device} | {name} | {tt:.2f} | {to:.2f} | {r:.2f} | {'-' if target is None else f'<= {target} {verdict}'} |")


if __name__ == "__main__":
    main()
