"""Timing done right, on top of ``torch.utils.benchmark`` (no timer of our own).

Three rules, each handled here so that a lesson can call one function:

1. **Warm up.** The first calls of a function pick kernels, fill caches and
   grow the allocator's pools (on a GPU, cuDNN may also try several
   algorithms when ``torch.backends.cudnn.benchmark`` is on); they are not
   timed.
2. **Synchronise.** A CUDA call returns before the GPU has finished: timing it
   with ``time.perf_counter()`` alone measures the launch. ``torch.utils.benchmark``
   synchronises before and after; :func:`cuda_event_times` shows the other
   correct way, CUDA events recorded on the GPU's own clock.
3. **Repeat and compare fairly.** One number on a shared machine means
   little: :func:`compare` runs the functions in interleaved rounds (A, B, A, B,
   ...) in one process and reports the median of the per-round ratios with their
   spread, so a slow moment of the machine hits both sides of a ratio.

Every table says where it was measured (:func:`environment`): device, dtype,
torch version and thread count. Without CUDA, :func:`pick_device` says so once
and the CPU is timed. Taught in lesson 05.
"""
from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from typing import Callable

import torch

from course_lib import utils


def _import_benchmark():
    """``torch.utils.benchmark``, imported without the 'No CUDA runtime is found' line that a CUDA build
    of torch logs on a machine without a GPU (it comes from the C++-extension loader, which timing never
    uses)."""
    loader_log = logging.getLogger("torch.utils.cpp_extension")
    level = loader_log.level
    loader_log.setLevel(logging.ERROR)
    try:
        import torch.utils.benchmark as benchmark
    finally:
        loader_log.setLevel(level)
    return benchmark


benchmark = _import_benchmark()

_told_no_cuda = False


def pick_device(prefer: str = "cuda") -> torch.device:
    """``cuda`` when asked for and present, else ``cpu``; says once when there is no GPU.

    >>> pick_device("cpu")
    device(type='cpu')
    """
    global _told_no_cuda
    if prefer == "cuda" and torch.cuda.is_available():
        return torch.device("cuda")
    if prefer == "cuda" and not _told_no_cuda:
        print("No CUDA device found: timing the CPU instead.")
        _told_no_cuda = True
    return torch.device("cpu")


def environment(device="cpu", dtype=torch.float32) -> str:
    """Where a measurement was taken: device (with the GPU's name), dtype, torch version, CPU threads.

    >>> environment("cpu", torch.float64).startswith("cpu, torch.float64, torch ")
    True
    """
    device = torch.device(device)
    where = f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "cpu"
    threads = torch.get_num_threads()
    return f"{where}, {dtype}, torch {torch.__version__}, {threads} thread{'s' if threads != 1 else ''}"


def time_it(fn: Callable, *args, label: str = "", sub_label: str = "", description: str = "",
            min_run_time: float = 0.2, warmup: int = 3) -> benchmark.Measurement:
    """Time ``fn(*args)``: ``warmup`` untimed calls, then ``torch.utils.benchmark``'s
    ``blocked_autorange``.

    The Timer synchronises CUDA before and after each block of runs and picks
    how many runs a block needs. Returns its ``Measurement`` (``.median``,
    ``.iqr``, ``.times`` in seconds).

    >>> m = time_it(torch.add, torch.ones(10), torch.ones(10), min_run_time=0.01)
    >>> m.median > 0
    True
    """
    for _ in range(warmup):
        fn(*args)
    timer = benchmark.Timer(
        stmt="fn(*args)", globals={"fn": fn, "args": args}, label=label, sub_label=sub_label,
        description=description, num_threads=torch.get_num_threads(),
    )
    return timer.blocked_autorange(min_run_time=min_run_time)


def cuda_event_times(fn: Callable, *args, repeats: int = 10, warmup: int = 3) -> list[float]:
    """Seconds per call of ``fn(*args)`` measured with CUDA events (the GPU's own clock), one per
    repeat.

    ``start.record()`` and ``end.record()`` put markers in the GPU's queue;
    ``end.synchronize()`` waits until the GPU has passed the end marker, and
    ``start.elapsed_time(end)`` is the GPU time between them. Needs CUDA.
    """
    if not torch.cuda.is_available():
        raise RuntimeError("cuda_event_times needs a CUDA device; use time_it, which times the CPU too.")
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1000)  # elapsed_time is in milliseconds
    return times


@dataclass
class Comparison:
    """The result of :func:`compare`: medians, per-round ratios against the baseline, and torch's
    table."""

    label: str
    environment: str
    baseline: str
    seconds: dict[str, list[float]] = field(default_factory=dict)  # per function: its median time in each round
    measurements: list = field(default_factory=list)

    def median(self, name: str) -> float:
        """Median over rounds of ``name``'s per-round median time, in seconds."""
        return statistics.median(self.seconds[name])

    def ratios(self, name: str) -> list[float]:
        """``name``'s time divided by the baseline's, round by round (measured next to each other)."""
        return [ours / base for ours, base in zip(self.seconds[name], self.seconds[self.baseline])]

    def ratio(self, name: str) -> tuple[float, float, float]:
        """``(median, min, max)`` of :meth:`ratios`."""
        r = self.ratios(name)
        return statistics.median(r), min(r), max(r)

    def table(self) -> str:
        """A plain-text table: one row per function, with median time and ratio (median, min-max)."""
        lines = [f"{self.label}  [{self.environment}, {len(self.seconds[self.baseline])} interleaved rounds]"]
        lines.append(f"{'function':28} {'median':>11} {'ratio to ' + self.baseline:>24}")
        for name in self.seconds:
            mid, low, high = self.ratio(name)
            lines.append(f"{name:28} {utils.format_seconds(self.median(name)):>11} {mid:9.2f}x ({low:.2f}-{high:.2f})")
        return "\n".join(lines)

    def compare_table(self) -> str:
        """``torch.utils.benchmark.Compare``'s own table of every measurement."""
        table = benchmark.Compare(self.measurements)
        table.trim_significant_figures()
        return str(table)

    def __str__(self) -> str:
        return self.table()


def compare(functions: dict[str, Callable], *args, label: str = "", baseline: str | None = None,
            rounds: int = 5, min_run_time: float = 0.1, device=None) -> Comparison:
    """Time several functions of the same arguments in interleaved rounds; ratios against ``baseline``.

    Each round times every function once (``time_it``), in the order given, so
    that each ratio compares two measurements taken moments apart. ``baseline``
    defaults to the first function.

    >>> c = compare({"add": torch.add, "mul": torch.mul}, torch.ones(100), torch.ones(100), rounds=2, min_run_time=0.01)
    >>> sorted(c.seconds), len(c.ratios("mul")), c.ratio("add")[0]
    (['add', 'mul'], 2, 1.0)
    """
    baseline = baseline or next(iter(functions))
    if baseline not in functions:
        raise ValueError(f"baseline must be one of {list(functions)}, got {baseline!r}.")
    tensor = next((a for a in args if isinstance(a, torch.Tensor)), None)
    device = device or (tensor.device if tensor is not None else "cpu")
    dtype = tensor.dtype if tensor is not None else torch.get_default_dtype()
    result = Comparison(label, environment(device, dtype), baseline, {name: [] for name in functions})
    for round_index in range(rounds):
        for name, fn in functions.items():
            m = time_it(fn, *args, label=label, sub_label=f"round {round_index}", description=name,
                        min_run_time=min_run_time, warmup=3 if round_index == 0 else 1)
            result.seconds[name].append(m.median)
            result.measurements.append(m)
    return result


def peak_memory(fn: Callable, *args) -> int:
    """Bytes ``fn(*args)`` holds at its busiest, beyond what existed before the call (output included).

    On a CPU, ``torch.profiler`` with ``profile_memory=True`` records every
    allocation and free during one call; the peak of their running sum is the
    answer. On CUDA, the allocator's own peak counter
    (``torch.cuda.max_memory_allocated``) after a reset. One untimed call first, so
    one-off buffers of a first call are not counted.

    >>> peak_memory(torch.ones, 1024)   # its output: 1024 float32 numbers
    4096
    """
    tensor = next((a for a in args if isinstance(a, torch.Tensor)), None)
    fn(*args)
    if tensor is not None and tensor.device.type == "cuda":
        torch.cuda.synchronize(tensor.device)
        before = torch.cuda.memory_allocated(tensor.device)
        torch.cuda.reset_peak_memory_stats(tensor.device)
        out = fn(*args)
        torch.cuda.synchronize(tensor.device)
        del out
        return torch.cuda.max_memory_allocated(tensor.device) - before
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        out = fn(*args)
        del out
    # prof.profiler.kineto_results: the profiler's raw events; '[memory]' ones carry +bytes (alloc) or -bytes (free).
    events = sorted((e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_ns())
    held = peak = 0
    for event in events:
        held += event.nbytes()
        peak = max(peak, held)
    return peak


def steady_allocator(mmap_threshold: int = 32 * 2**20, trim_threshold: int = 2**30) -> bool:
    """Serve large tensors from memory the process keeps, instead of fresh pages (Linux with glibc only).

    glibc's ``malloc`` hands a block larger than its *mmap threshold* straight to
    the kernel (``mmap``) and gives it back on ``free``; the next tensor of that size
    gets fresh pages, and the first touch of each 4 KiB page is a page fault
    (microseconds each on a virtual machine: about 6,000 faults, several
    milliseconds, for two 12 MiB buffers). The threshold is *dynamic*: it starts
    at 128 KiB, rises to the size of each such block freed (up to 32 MiB), and
    the heap is given back to the kernel when more than twice the threshold is
    free at its top. So whether a call pays those faults depends on what the
    process did before it: that is how torch's depthwise convolution measured
    2 ms in one benchmark run and 20 ms in another. Fixing both thresholds with
    ``mallopt`` (which also switches the dynamic rule off) puts every block up to
    32 MiB on the heap, which is never given back, so later measurements no longer
    depend on that history. ``make bench`` calls it first. It is not a guarantee
    of reuse: torch asks for 64-byte-aligned blocks, and a freed block can be just
    too small for the next aligned request of the same size (a loop of 12 MiB
    tensors alone still paid page faults on most calls with it, and sometimes without).

    Returns True where it applied, False where there is no glibc (nothing changed).

    >>> steady_allocator() in (True, False)
    True
    """
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, mmap_threshold)) and bool(libc.mallopt(m_trim_threshold, trim_threshold))
