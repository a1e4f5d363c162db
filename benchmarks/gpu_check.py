"""On a machine with an NVIDIA GPU: run every GPU part of the course once and write what it shows as one Markdown report.

    bash benchmarks/gpu_check.sh [REPORT.md]          # or: make gpu-check  (picks the interpreter, then runs this file)
    python benchmarks/gpu_check.py --cpu-dry-run      # no GPU here: run what the CPU can, to test this script

Steps (each in its own process, so a CUDA error in one cannot poison the next; each with a time limit, all of them
within --budget seconds, 480 by default):

  environment  device, driver, CUDA and cuDNN versions, torch, TF32 flags
  cuda-tests   pytest -m cuda (the test files that use the marker)
  library      vectorised, fourier, winograd, matrix, upsample on the device in float64, against torch in float64
               on the CPU (and torch on the device), gradients too
  precision    float32 and TF32 errors against float64: torch, vectorised, fourier, winograd
  nearest      the nearest-neighbour indices of torch and course_lib at scale 2.1 (and 1.2, 2.0) on CPU and CUDA
  checks       every solution notebook's exercise checks, the learner's functions called on CUDA tensors
  lesson05     notebooks/05_vectorising.ipynb executed on the device (kept next to the report), compared with its
               stored outputs; the GPU section's outputs copied into the report
  bench        benchmarks/run.py --device cuda --markdown: the CUDA table of `make bench`

The report goes to REPORT (default: $OUT/gpu_check.md where $OUT is set, else build/gpu_check/gpu_check.md); it is
rewritten after every step, so a run cut short still leaves what it measured. Exit status: 0 when every step passed
(or was skipped in a dry run), 1 when a step failed or broke, 2 when there is no CUDA device and no --cpu-dry-run.

Nothing here installs anything except --wheels (the project's own dependencies, carried as wheels to a machine with no
package index; see benchmarks/gpu_check.sh) and --download-wheels (fetches those wheels where PyPI is reachable).
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime
import functools
import io
import json
import os
import pathlib
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[1]
STEPS = ["environment", "cuda-tests", "library", "precision", "nearest", "checks", "lesson05", "bench"]
TITLES = {
    "environment": "Environment",
    "cuda-tests": "CUDA tests (pytest -m cuda)",
    "library": "course_lib on the device, float64, against torch",
    "precision": "float32 and TF32 errors against float64",
    "nearest": "Nearest-neighbour indices, CPU and CUDA (lesson 08)",
    "checks": "Exercise checks on CUDA inputs",
    "lesson05": "Lesson 05 executed on the device",
    "bench": "make bench on CUDA",
}
LIMITS = {  # seconds each step may take at most (the whole run also stops at --budget)
    "environment": 60, "cuda-tests": 150, "library": 90, "precision": 60, "nearest": 45, "checks": 150,
    "lesson05": 180, "bench": 240,
}
NOTEBOOK = ROOT / "notebooks" / "05_vectorising.ipynb"
# What the lesson's execution needs beyond torch, numpy and matplotlib, with the wheels --download-wheels fetches.
NOTEBOOK_PACKAGES = ["nbclient", "nbformat", "ipykernel"]


# ----------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; exits with a message naming the argument on a bad one."""
    parser = argparse.ArgumentParser(prog="gpu_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", nargs="?", default=None,
                        help="where to write the Markdown report (default: $OUT/gpu_check.md, else build/gpu_check/gpu_check.md)")
    parser.add_argument("--cpu-dry-run", action="store_true",
                        help="no GPU: run every step the CPU can (CUDA-only parts are skipped, saying so)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated steps to run (default: all): {','.join(STEPS)}")
    parser.add_argument("--skip", default="", help="comma-separated steps to leave out")
    parser.add_argument("--budget", type=float, default=480.0,
                        help="seconds for the whole run (default 480: the 8 minutes the issue allows)")
    parser.add_argument("--wheels", default=None, metavar="DIR",
                        help="install the wheels in DIR that this Python lacks into a temporary folder first "
                             "(a machine with no package index; see benchmarks/gpu_check.sh)")
    parser.add_argument("--download-wheels", default=None, metavar="DIR",
                        help="fetch the wheels --wheels needs (for CPython 3.12, Linux x86-64) into DIR, then stop")
    parser.add_argument("--python-version", default="3.12",
                        help="with --download-wheels: the target machine's Python (default 3.12)")
    parser.add_argument("--run-step", choices=STEPS, default=None, help=argparse.SUPPRESS)  # internal: one step
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda", help=argparse.SUPPRESS)
    parser.add_argument("--result", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--artifacts", default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    opts.steps = select_steps(parser, opts.only, opts.skip)
    if opts.budget <= 0:
        parser.error(f"--budget must be a positive number of seconds, got {opts.budget:g}")
    if opts.wheels is not None and not pathlib.Path(opts.wheels).is_dir():
        parser.error(f"--wheels {opts.wheels}: no such folder. Fill it with --download-wheels {opts.wheels} on a "
                     f"machine that reaches PyPI, or leave --wheels out where the packages are installed")
    return opts


def select_steps(parser: argparse.ArgumentParser, only: str | None, skip: str) -> list[str]:
    """The steps to run, in their fixed order: --only (default all) minus --skip; unknown names are errors."""
    def names(flag: str, text: str) -> list[str]:
        chosen = [s.strip() for s in text.split(",") if s.strip()]
        unknown = [s for s in chosen if s not in STEPS]
        if unknown:
            parser.error(f"{flag}: unknown step {', '.join(map(repr, unknown))}; the steps are {', '.join(STEPS)}")
        return chosen

    wanted = names("--only", only) if only is not None else list(STEPS)
    dropped = set(names("--skip", skip))
    steps = [s for s in STEPS if s in wanted and s not in dropped]
    if not steps:
        parser.error(f"--only {only!r} --skip {skip!r} leaves no step to run")
    return steps


def default_report() -> pathlib.Path:
    out = os.environ.get("OUT")
    return pathlib.Path(out) / "gpu_check.md" if out else ROOT / "build" / "gpu_check" / "gpu_check.md"


# ----------------------------------------------------------------------------
# The orchestrator: runs each step in a child process, writes the report
# ----------------------------------------------------------------------------

class Run:
    """One run of the check: the steps' results so far and the report they make."""

    def __init__(self, opts, report: pathlib.Path, device: str, pythonpath: str):
        self.opts, self.report, self.device = opts, report, device
        self.pythonpath = pythonpath
        self.results: dict[str, dict] = {}
        self.started = time.monotonic()
        self.log = report.with_suffix(".log")
        self.log.write_text("")
        self.artifacts = report.parent
        self.notes: list[str] = []  # lines for the report's head (what --wheels installed)

    def env(self) -> dict:
        return dict(os.environ, PYTHONPATH=self.pythonpath, PYTHONUNBUFFERED="1")

    def left(self) -> float:
        return self.opts.budget - (time.monotonic() - self.started)

    def run_command(self, name: str, command: list[str], limit: float) -> tuple[int | None, str, float]:
        """Run `command` in its own process group; stop the whole group after `limit` s. (returncode or None, output, s)."""
        start = time.monotonic()
        with open(self.log, "a") as log:  # the output goes to the log as it comes: a run cut short keeps it
            log.write(f"\n===== {name}: {shlex.join(command)}\n")
            log.flush()
            offset = log.tell()
            proc = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                code = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the step and its children (a Jupyter kernel exits with its parent)
                proc.wait()
                code = None
        with open(self.log, errors="replace") as log:
            log.seek(offset)
            output = log.read()
        return code, output, time.monotonic() - start

    def step(self, name: str) -> None:
        limit = min(LIMITS[name], self.left())
        if limit < 5:
            self.results[name] = {"status": "error", "summary": f"not run: the {self.opts.budget:g} s budget was spent",
                                  "markdown": "", "seconds": 0.0}
            return
        print(f"[gpu_check] {name} (up to {limit:.0f} s) ...", flush=True)
        if name == "cuda-tests":
            result = self.cuda_tests(limit)
        elif name == "bench":
            result = self.bench(limit)
        else:
            result = self.child_step(name, limit)
        self.results[name] = result
        print(f"[gpu_check] {name}: {result['status']} in {result['seconds']:.0f} s: {result['summary']}", flush=True)
        self.write()

    def child_step(self, name: str, limit: float) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            result_path = pathlib.Path(tmp) / "result.json"
            command = [sys.executable, str(pathlib.Path(__file__).resolve()), "--run-step", name, "--device",
                       self.device, "--result", str(result_path), "--artifacts", str(self.artifacts)]
            code, output, seconds = self.run_command(name, command, limit)
            if result_path.exists():
                result = json.loads(result_path.read_text())
            elif code is None:
                result = {"status": "error", "summary": f"stopped after {limit:.0f} s (time limit)",
                          "markdown": tail_block(output)}
            else:
                result = {"status": "error", "summary": f"the step's process exited with {code} and no result",
                          "markdown": tail_block(output)}
        result["seconds"] = seconds
        return result

    def cuda_tests(self, limit: float) -> dict:
        files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py")
                       if "mark.cuda" in p.read_text())
        if not files:
            return {"status": "FAIL", "summary": "no test file uses @pytest.mark.cuda", "markdown": "", "seconds": 0.0}
        # -o addopts= : the project's addopts turn on nbval, which these tests do not need (and a bare machine lacks)
        command = [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-rs", "-q",
                   "-m", "cuda", *files]
        code, output, seconds = self.run_command("cuda-tests", command, limit)
        counts = pytest_counts(output)
        shown = ", ".join(f"{n} {word}" for word, n in counts.items()) or "no summary line"
        md = f"`{shlex.join(['python', *command[1:]])}`\n\n{tail_block(output, 40)}"
        if code is None:
            status, summary = "error", f"stopped after {limit:.0f} s (time limit)"
        elif code == 0 and counts.get("passed", 0) == 0:
            status = "skipped" if self.device == "cpu" else "FAIL"
            summary = f"{shown}: every CUDA test skipped" + (" (no CUDA device: dry run)" if self.device == "cpu" else "")
        elif code == 0:
            status, summary = "pass", shown
        else:
            status, summary = "FAIL", f"pytest exited with {code}: {shown}"
        return {"status": status, "summary": summary, "markdown": md, "seconds": seconds}

    def bench(self, limit: float) -> dict:
        if self.device == "cuda":
            command = [sys.executable, "benchmarks/run.py", "--device", "cuda", "--markdown"]
            note = "The CUDA rows of `make bench` (`benchmarks/run.py --device cuda --markdown`, its default rounds)."
        else:
            command = [sys.executable, "benchmarks/run.py", "--device", "cpu", "--filter", "pixel_shuffle",
                       "--rounds", "2", "--min-run-time", "0.01", "--markdown"]
            note = ("Dry run, no CUDA device: the CUDA table needs a GPU. To test this step, one CPU case ran with 2 "
                    "short rounds: not a measurement.")
        code, output, seconds = self.run_command("bench", command, limit)
        kept = [line for line in output.splitlines() if line.startswith("|") or re.match(r"^\d{4}-\d\d-\d\d", line)]
        table = "\n".join(line + ("\n" if line[:1] != "|" else "") for line in kept)  # a blank line after the header
        rows = sum(1 for line in table.splitlines() if line.startswith(f"| {self.device} |"))
        md = f"{note}\n\n`{shlex.join(['python', *command[1:]])}`\n\n{table or tail_block(output)}"
        if code is None:
            return {"status": "error", "summary": f"stopped after {limit:.0f} s (time limit)",
                    "markdown": md + "\n\n" + tail_block(output), "seconds": seconds}
        if code != 0 or rows == 0:
            return {"status": "FAIL", "summary": f"run.py exited with {code}, {rows} rows",
                    "markdown": md + "\n\n" + tail_block(output), "seconds": seconds}
        status = "pass" if self.device == "cuda" else "skipped"
        summary = f"{rows} {self.device} rows" + ("" if self.device == "cuda" else " (dry run: no CUDA table)")
        return {"status": status, "summary": summary, "markdown": md, "seconds": seconds}

    def write(self) -> None:
        env = self.results.get("environment", {}).get("facts", {})
        mode = ("CUDA" if self.device == "cuda" else
                "**CPU dry run**: CUDA-only parts are skipped, and the CPU numbers only test the script")
        lines = [f"# GPU check: {env.get('device', self.device)}", "",
                 f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, mode: {mode}.", "",
                 f"Command: `{shlex.join(sys.argv)}`; budget {self.opts.budget:g} s, "
                 f"{time.monotonic() - self.started:.0f} s used.", "", *(f"{note}\n" for note in self.notes),
                 "| step | status | seconds | summary |", "| --- | --- | ---: | --- |"]
        for name in self.opts.steps:
            r = self.results.get(name)
            if r is None:
                lines.append(f"| {name} | not run yet | | |")
            else:
                lines.append(f"| {name} | {r['status']} | {r['seconds']:.0f} | {r['summary'].replace('|', '/')} |")
        for number, name in enumerate(self.opts.steps, 1):
            r = self.results.get(name)
            if r is not None:
                lines += ["", f"## {number}. {TITLES[name]}", "", f"**{r['status']}**: {r['summary']}", ""]
                if r.get("markdown"):
                    lines.append(r["markdown"].rstrip())
        self.report.write_text("\n".join(lines) + "\n")

    def exit_code(self) -> int:
        return 1 if any(r["status"] in ("FAIL", "error") for r in self.results.values()) else 0


def tail_block(text: str, lines: int = 25) -> str:
    kept = "\n".join((text or "").rstrip().splitlines()[-lines:])
    return f"```\n{kept}\n```" if kept else ""


def pytest_counts(output: str) -> dict[str, int]:
    """{'passed': 3, 'skipped': 2, ...} from pytest's last summary line ('3 passed, 2 skipped in 1.2s')."""
    for line in reversed(output.splitlines()):
        found = re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)", line)
        if found and re.search(r" in [\d.]+s", line):
            return {word: int(n) for n, word in found}
    return {}


def install_wheels(folder: str) -> tuple[str, list[str]]:
    """Install the wheels in `folder` that this Python lacks into a temporary folder; return it (for PYTHONPATH) and
    the names installed.

    Only distributions not already installed are installed (--no-deps: the folder holds their dependencies), so the
    machine's own torch, numpy and the rest are never shadowed.
    """
    import importlib.metadata as metadata

    wheels, present = [], []
    for wheel in sorted(pathlib.Path(folder).glob("*.whl")):
        name = wheel.name.split("-")[0]
        try:
            metadata.version(name)
            present.append(name)
        except metadata.PackageNotFoundError:
            wheels.append(str(wheel))
    target = tempfile.mkdtemp(prefix="gpu_check_site_")
    atexit.register(shutil.rmtree, target, ignore_errors=True)  # for this run only
    print(f"[gpu_check] --wheels {folder}: {len(present)} already installed, installing {len(wheels)} into {target}",
          flush=True)
    if wheels and subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                                  "--no-compile", "--no-cache-dir", "--target", target, *wheels]).returncode != 0:
        sys.exit(f"gpu_check: --wheels {folder}: pip could not install them for this Python ({platform.python_version()}); "
                 f"fetch them for it with --download-wheels DIR --python-version {platform.python_version_tuple()[0]}."
                 f"{platform.python_version_tuple()[1]}")
    return target, [pathlib.Path(w).name.split("-")[0] for w in wheels]


def download_wheels(folder: str, python_version: str) -> int:
    """Fetch (from PyPI) the wheels of what lesson 05's execution needs, at this machine's versions, with their
    dependencies, for CPython `python_version` on Linux x86-64: the set --wheels installs where nothing can be fetched."""
    import importlib.metadata as metadata

    pins = [f"{name}=={metadata.version(name)}" for name in NOTEBOOK_PACKAGES]
    platforms = [f"--platform={p}" for p in ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                                               "manylinux2014_x86_64", "manylinux1_x86_64")]
    command = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", f"--python-version={python_version}",
               "--implementation=cp", *platforms, "-d", folder, *pins]
    print("[gpu_check]", shlex.join(command), flush=True)
    code = subprocess.run(command).returncode
    size = sum(p.stat().st_size for p in pathlib.Path(folder).glob("*.whl"))
    print(f"[gpu_check] {folder}: {len(list(pathlib.Path(folder).glob('*.whl')))} wheels, {size / 2**20:.1f} MiB", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.download_wheels:
        return download_wheels(opts.download_wheels, opts.python_version)
    if opts.run_step:
        return run_step(opts)
    pythonpath, installed = [str(ROOT)], None  # course_lib from this checkout, installed or not
    if opts.wheels:
        site, installed = install_wheels(opts.wheels)
        pythonpath.insert(0, site)
    if os.environ.get("PYTHONPATH"):
        pythonpath.append(os.environ["PYTHONPATH"])
    import torch

    cuda = torch.cuda.is_available()
    report = pathlib.Path(opts.report) if opts.report else default_report()
    report.parent.mkdir(parents=True, exist_ok=True)
    if not cuda and not opts.cpu_dry_run:
        message = (f"No CUDA device: torch.cuda.is_available() is False (torch {torch.__version__}, "
                   f"{'built with CUDA ' + torch.version.cuda if torch.version.cuda else 'a CPU-only build'}). "
                   f"This script checks the course on an NVIDIA GPU: run it on a machine with one, or pass "
                   f"--cpu-dry-run to test the script itself on the CPU.")
        report.write_text(f"# GPU check: not run\n\n{message}\n")
        print(f"gpu_check: {message}\n(written to {report})", file=sys.stderr)
        return 2
    run = Run(opts, report, "cuda" if cuda and not opts.cpu_dry_run else "cpu", os.pathsep.join(pythonpath))
    if installed is not None:
        run.notes.append(f"Installed from `--wheels {opts.wheels}` for this run (this Python lacked them): "
                         f"{', '.join(installed) or 'nothing'}.")
    if cuda and opts.cpu_dry_run:
        print("[gpu_check] --cpu-dry-run: a CUDA device is present but not used", flush=True)
    for name in opts.steps:
        run.step(name)
    run.write()
    print(f"[gpu_check] report: {report}  (log: {run.log})", flush=True)
    return run.exit_code()


# ----------------------------------------------------------------------------
# The steps that run in a child process: each returns {status, summary, markdown, ...}
# ----------------------------------------------------------------------------

def run_step(opts) -> int:
    step = {"environment": step_environment, "library": step_library, "precision": step_precision,
            "nearest": step_nearest, "checks": step_checks, "lesson05": step_lesson05}[opts.run_step]
    try:
        result = step(opts.device, pathlib.Path(opts.artifacts or tempfile.gettempdir()))
    except Exception:  # noqa: BLE001 - a broken step is reported, with its traceback, and the run goes on
        result = {"status": "error", "summary": "the step raised: " + traceback.format_exc().strip().splitlines()[-1],
                  "markdown": f"```\n{traceback.format_exc()}\n```"}
    pathlib.Path(opts.result).write_text(json.dumps(result))
    return 0


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def step_environment(device: str, artifacts: pathlib.Path) -> dict:
    import torch

    pinned = re.search(r'"torch==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    facts = {"device": "cpu (dry run)", "torch": torch.__version__, "torch pinned by pyproject.toml":
             pinned.group(1) if pinned else "?", "CUDA (torch built with)": torch.version.cuda or "none (CPU build)",
             "cuDNN": str(torch.backends.cudnn.version()) if torch.backends.cudnn.is_available() else "not available",
             "Python": platform.python_version(), "platform": platform.platform(), "CPU cores": os.cpu_count()}
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        facts.update({"device": torch.cuda.get_device_name(0), "compute capability": f"{props.major}.{props.minor}",
                      "GPU memory": f"{props.total_memory / 2**30:.1f} GiB",
                      "multiprocessors": props.multi_processor_count})
        try:
            smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=20)
            facts["driver"] = smi.stdout.strip() or smi.stderr.strip()
        except (OSError, subprocess.TimeoutExpired) as error:
            facts["driver"] = f"nvidia-smi: {error}"
        x = torch.ones(256, 256, device="cuda")
        facts["a matmul on the device"] = "ok" if (x @ x)[0, 0].item() == 256 else "WRONG"
    facts["TF32 (defaults)"] = tf32_flags()
    status = "pass" if facts.get("a matmul on the device", "ok") == "ok" else "FAIL"
    summary = f"{facts['device']}, torch {facts['torch']}, CUDA {facts['CUDA (torch built with)']}, cuDNN {facts['cuDNN']}"
    notes = []
    if pinned and not torch.__version__.startswith(pinned.group(1)):
        notes.append(f"torch is {torch.__version__}, not the {pinned.group(1)} that pyproject.toml pins: the numbers "
                     f"below are this torch's.")
    md = table(["what", "value"], [[k, v] for k, v in facts.items()]) + ("\n\n" + "\n".join(notes) if notes else "")
    return {"status": status, "summary": summary, "markdown": md, "facts": {k: str(v) for k, v in facts.items()}}


def tf32_flags() -> str:
    import torch

    text = (f"cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}, "
            f"cuda.matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}")
    with contextlib.suppress(Exception):  # the newer spelling (torch >= 2.9)
        text += (f"; cudnn.conv.fp32_precision={torch.backends.cudnn.conv.fp32_precision}, "
                 f"cuda.matmul.fp32_precision={torch.backends.cuda.matmul.fp32_precision}")
    return text


def relative_error(out, reference) -> float:
    """max |out - reference| / max |reference|, on the CPU in float64 (the lessons' measure)."""
    out, reference = out.detach().cpu().double(), reference.detach().cpu().double()
    scale = reference.abs().max().item() or 1.0
    return (out - reference).abs().max().item() / scale


def step_library(device: str, artifacts: pathlib.Path) -> dict:
    """Each fast path's device branch in float64 against torch in float64 on the CPU (and torch on the device)."""
    import torch
    import torch.nn.functional as F

    from course_lib import fourier, matrix, naive, upsample, vectorised, winograd

    g = torch.Generator().manual_seed(0)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    x1, w1, b1 = r(2, 4, 17), r(6, 2, 3), r(6)
    x2, w2, b2 = r(2, 4, 11, 13), r(6, 2, 3, 3), r(6)
    x3, w3 = r(1, 2, 6, 7, 8), r(4, 2, 3, 2, 3)
    xd, wd = r(2, 8, 12, 12), r(8, 1, 3, 3)
    xw, ww, bw = r(2, 5, 7, 9), r(3, 5, 3, 3), r(3)
    xt, wt, bt = r(2, 4, 6, 7), r(4, 3, 3, 3), r(6)
    x4, w4 = r(1, 2, 4, 4, 5, 5), r(3, 2, 2, 2, 3, 3)
    xs = r(2, 8, 6, 6)
    pooled, indices = F.max_pool2d(r(2, 3, 8, 10), 2, return_indices=True)
    cases = [  # name, ours(*device tensors), torch's reference(*tensors), inputs
        ("vectorised.conv1d stride 2, padding 1, dilation 2, groups 2",
         lambda x, w, b: vectorised.conv1d(x, w, b, 2, 1, 2, 2), lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2), (x1, w1, b1)),
        ("vectorised.conv2d 'same', reflect, groups 2",
         lambda x, w, b: vectorised.conv2d(x, w, b, 1, "same", 1, 2, "reflect"),
         lambda x, w, b: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), w, b, 1, 0, 1, 2), (x2, w2, b2)),
        ("vectorised.conv2d depthwise (groups = channels)",
         lambda x, w: vectorised.conv2d(x, w, padding=1, groups=8), lambda x, w: F.conv2d(x, w, padding=1, groups=8), (xd, wd)),
        ("vectorised.conv3d stride (1, 2, 2), circular",
         lambda x, w: vectorised.conv3d(x, w, stride=(1, 2, 2), padding=1, padding_mode="circular"),
         lambda x, w: F.conv3d(F.pad(x, (1,) * 6, mode="circular"), w, stride=(1, 2, 2)), (x3, w3)),
        ("vectorised.convnd 4-D (reference: naive on the CPU)",
         lambda x, w: vectorised.convnd(x, w, padding=1), lambda x, w: naive.convnd(x.cpu(), w.cpu(), padding=1), (x4, w4)),
        ("vectorised.conv_transpose2d stride 2, output_padding 1, groups 2, dilation 2",
         lambda x, w, b: vectorised.conv_transpose2d(x, w, b, 2, 1, 1, 2, 2),
         lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2, 2), (xt, wt, bt)),
        ("vectorised.conv_transpose_zero_insertion stride 2",
         lambda x, w: vectorised.conv_transpose_zero_insertion(x, w, stride=2, padding=1),
         lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), (xt, wt[:, :3])),
        ("fourier.conv1d stride 2, dilation 2, groups 2",
         lambda x, w, b: fourier.conv1d(x, w, b, 2, 1, 2, 2), lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2), (x1, w1, b1)),
        ("fourier.conv2d 'same', groups 2, bias",
         lambda x, w, b: fourier.conv2d(x, w, b, padding="same", groups=2),
         lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), (x2, w2, b2)),
        ("fourier.conv3d stride (1, 2, 2), circular",
         lambda x, w: fourier.conv3d(x, w, stride=(1, 2, 2), padding=1, padding_mode="circular"),
         lambda x, w: F.conv3d(F.pad(x, (1,) * 6, mode="circular"), w, stride=(1, 2, 2)), (x3, w3)),
        ("winograd.conv2d odd size 7x9, padding 1, bias",
         lambda x, w, b: winograd.conv2d(x, w, b, padding=1), lambda x, w, b: F.conv2d(x, w, b, padding=1), (xw, ww, bw)),
        ("winograd.conv2d padding 0",
         lambda x, w: winograd.conv2d(x, w), lambda x, w: F.conv2d(x, w), (xw, ww)),
        ("matrix.conv_matrix(w, (11, 13), stride 2) @ x",
         lambda x, w: (matrix.conv_matrix(w[:, :2], (11, 13), stride=2) @ x[0, :2].flatten()),
         lambda x, w: F.conv2d(x[:1, :2], w[:, :2], stride=2).flatten(), (x2, w2)),
    ]
    for mode, kwargs, shape in [("nearest", {"scale_factor": 1.7}, (2, 3, 9)), ("nearest", {"scale_factor": 1.7}, (2, 3, 9, 11)),
                                ("nearest", {"size": (4, 5, 6)}, (1, 2, 3, 4, 5)),
                                ("nearest-exact", {"scale_factor": 2.1}, (2, 3, 9, 11)),
                                ("linear", {"scale_factor": 2.1}, (2, 3, 9)),
                                ("linear", {"size": 5, "align_corners": True}, (2, 3, 9)),
                                ("bilinear", {"scale_factor": 2, "align_corners": False}, (2, 3, 9, 11)),
                                ("bilinear", {"size": (4, 20), "align_corners": True}, (2, 3, 9, 11)),
                                ("bicubic", {"scale_factor": 1.5, "align_corners": False}, (2, 3, 9, 11)),
                                ("bicubic", {"size": (5, 6), "align_corners": False, "antialias": True}, (2, 3, 9, 11)),
                                ("bilinear", {"size": (4, 5), "align_corners": False, "antialias": True}, (2, 3, 9, 11)),
                                ("trilinear", {"scale_factor": 1.5, "align_corners": False}, (1, 2, 3, 4, 5)),
                                ("area", {"size": (4, 5)}, (2, 3, 9, 11))]:
        cases.append((f"upsample.interpolate {mode} {kwargs} on {shape}",
                      functools.partial(lambda x, m, k: upsample.interpolate(x, mode=m, **k), m=mode, k=kwargs),
                      functools.partial(lambda x, m, k: F.interpolate(x, mode=m, **k), m=mode, k=kwargs), (r(*shape),)))
    cases += [
        ("upsample.pixel_shuffle 2", lambda x: upsample.pixel_shuffle(x, 2), lambda x: F.pixel_shuffle(x, 2), (xs,)),
        ("upsample.pixel_unshuffle 3", lambda x: upsample.pixel_unshuffle(x, 3), lambda x: F.pixel_unshuffle(x, 3), (xs,)),
        ("upsample.max_unpool2d 2", lambda x, i: upsample.max_unpool2d(x, i, 2), lambda x, i: F.max_unpool2d(x, i, 2),
         (pooled, indices)),
    ]
    rows, worst = [], 0.0
    for name, ours, theirs, inputs in cases:
        on_device = [t.to(device) for t in inputs]
        out = ours(*on_device)
        error_cpu = relative_error(out, theirs(*inputs))
        error_dev = relative_error(out, theirs(*on_device)) if "naive" not in name else float("nan")
        where = "ok" if out.device.type == device and out.dtype == torch.float64 else f"{out.device} {out.dtype}"
        worst = max(worst, error_cpu, 0.0 if error_dev != error_dev else error_dev)
        rows.append([name, f"{error_cpu:.1e}", "-" if error_dev != error_dev else f"{error_dev:.1e}", where])
    # gradients through the device branches
    for name, fn in [("vectorised.conv2d", vectorised.conv2d), ("fourier.conv2d", fourier.conv2d),
                     ("winograd.conv2d", winograd.conv2d)]:
        x, w = (t.detach().clone().to(device).requires_grad_() for t in (xw, ww))
        fn(x, w, padding=1).square().sum().backward()
        xr, wr = (t.detach().clone().requires_grad_() for t in (xw, ww))
        F.conv2d(xr, wr, padding=1).square().sum().backward()
        error = max(relative_error(x.grad, xr.grad), relative_error(w.grad, wr.grad))
        worst = max(worst, error)
        rows.append([f"gradient of {name} (input and weight)", f"{error:.1e}", "-", "ok" if x.grad.device.type == device else str(x.grad.device)])
    bad = [row[0] for row in rows if row[3] != "ok"]
    status = "pass" if worst < 1e-10 and not bad else "FAIL"
    summary = (f"{len(rows)} cases on {device}, largest relative error {worst:.1e} (limit 1e-10)"
               + (f"; wrong device/dtype: {', '.join(bad)}" if bad else ""))
    md = (f"Each function runs on `{device}` in float64; the error is max |ours - torch| / max |torch|, against torch "
          f"on the CPU and against torch on `{device}`.\n\n"
          + table(["case", "vs torch CPU", f"vs torch {device}", "result device, dtype"], rows))
    return {"status": status, "summary": summary, "markdown": md}


def step_precision(device: str, artifacts: pathlib.Path) -> dict:
    """float32 (TF32 off and on) errors against a float64 reference, for torch's conv2d and the course's."""
    import torch
    import torch.nn.functional as F

    from course_lib import fourier, vectorised, winograd

    def data(shape_x, shape_w, scale, seed):
        g = torch.Generator().manual_seed(seed)
        return torch.randn(*shape_x, generator=g, dtype=torch.float64), torch.randn(*shape_w, generator=g, dtype=torch.float64) / scale

    cases = [("x(2,64,32,32) w(64,64,3,3) p1 (lesson 05's case)", *data((2, 64, 32, 32), (64, 64, 3, 3), 24, 1), 1),
             ("x(2,256,16,16) w(256,256,3,3) p1", *data((2, 256, 16, 16), (256, 256, 3, 3), 48, 2), 1),
             ("x(2,16,64,64) w(16,16,15,15) p7", *data((2, 16, 64, 64), (16, 16, 15, 15), 60, 3), 7)]
    impls = [("torch", F.conv2d), ("vectorised", vectorised.conv2d), ("fourier", fourier.conv2d),
             ("winograd", winograd.conv2d)]
    settings = [("CUDA float64", torch.float64, False), ("CUDA float32, TF32 off", torch.float32, False),
                ("CUDA float32, TF32 on", torch.float32, True), ("CUDA float32, defaults", torch.float32, None)]
    defaults = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    flags = tf32_flags()
    rows, problems = [], []
    try:
        for case, x, w, padding in cases:
            reference = F.conv2d(x, w, padding=padding)
            for name, fn in impls:
                if name == "winograd" and w.shape[-1] != 3:
                    continue
                row = [case, name, f"{relative_error(fn(x.float(), w.float(), padding=padding), reference):.1e}"]
                for label, dtype, tf32 in settings:
                    if device != "cuda":
                        row.append("skipped")
                        continue
                    if tf32 is None:
                        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = defaults
                    else:
                        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = tf32
                    out = fn(x.to("cuda", dtype), w.to("cuda", dtype), padding=padding)
                    error = relative_error(out, reference)
                    row.append(f"{error:.1e}")
                    if dtype == torch.float64 and error > 1e-12:
                        problems.append(f"{name} float64 on CUDA: {error:.1e} > 1e-12")
                    if label == "CUDA float32, TF32 off" and error > 1e-4:
                        problems.append(f"{name} strict float32 on CUDA: {error:.1e} > 1e-4")
                rows.append(row)
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = defaults
    header = ["case", "function", "CPU float32"] + [s[0] for s in settings]
    md = ("max |out - float64 reference| / max |reference|; the reference is torch's conv2d in float64 on the CPU. "
          "'TF32 on' sets `torch.backends.cudnn.allow_tf32` and `torch.backends.cuda.matmul.allow_tf32` to True, "
          "'off' both to False, 'defaults' keeps torch's defaults "
          f"({flags}). float32 machine epsilon: {torch.finfo(torch.float32).eps:.1e}; "
          f"TF32 keeps 10 mantissa bits (rounding up to {2 ** -11:.0e}).\n\n" + table(header, rows))
    if device != "cuda":
        return {"status": "skipped", "summary": f"dry run: CPU float32 only ({len(rows)} rows); the CUDA columns need a GPU",
                "markdown": md}
    tf32 = {row[1]: (float(row[4]), float(row[5])) for row in rows if row[0] == cases[0][0]}
    summary = "; ".join(f"{n} {off:.0e} -> {on:.0e}" for n, (off, on) in tf32.items())
    return {"status": "FAIL" if problems else "pass",
            "summary": ("; ".join(problems) if problems else f"lesson 05's case, TF32 off -> on: {summary}"),
            "markdown": md}


def step_nearest(device: str, artifacts: pathlib.Path) -> dict:
    """Which input each output copies in nearest-neighbour upsampling: torch and course_lib, CPU and CUDA."""
    import torch
    import torch.nn.functional as F

    from course_lib import upsample

    devices = ["cpu"] + (["cuda"] if device == "cuda" else [])
    cases = [(3, 2.1), (5, 2.1), (10, 2.1), (3, 1.2), (4, 2.0), (7, 0.6)]
    rows, mismatches, differ = [], [], []
    for mode in ("nearest", "nearest-exact"):
        for length, scale in cases:
            for dims in (1, 2, 3):
                x = torch.arange(float(length)).reshape((1, 1) + (1,) * (dims - 1) + (length,))
                factor = scale if dims == 1 else (1.0,) * (dims - 1) + (scale,)
                row = [mode, f"{dims}-D", f"{length} x {scale}"]
                seen = {}
                for dev in devices:
                    theirs = F.interpolate(x.to(dev), scale_factor=factor, mode=mode).flatten().long().tolist()
                    ours = upsample.interpolate(x.to(dev), scale_factor=factor, mode=mode).flatten().long().tolist()
                    seen[dev] = theirs
                    row += [str(theirs), "same" if ours == theirs else str(ours)]
                    if ours != theirs:
                        mismatches.append(f"{mode} {dims}-D {length}x{scale} on {dev}: torch {theirs}, course_lib {ours}")
                if device != "cuda":
                    row += ["skipped", "skipped"]
                elif seen["cpu"] != seen["cuda"]:
                    differ.append(f"{mode} {dims}-D {length}x{scale}")
                rows.append(row)
    header = ["mode", "input", "length x scale", "torch CPU reads", "course_lib CPU", "torch CUDA reads", "course_lib CUDA"]
    md = ("x[i] = i, so each output value is the index it copies. 'same': course_lib reads the indices torch reads on "
          "that device. Lesson 08 reproduces torch's CPU kernels (its 2-D nearest copies when the size is unchanged and "
          "takes o // 2 when it doubles, whatever the scale factor).\n\n" + table(header, rows))
    if differ:
        md += "\n\ntorch's CPU and CUDA kernels read different indices for: " + "; ".join(differ) + "."
    if mismatches:
        md += "\n\ncourse_lib differs from torch: " + "; ".join(mismatches) + "."
    if device != "cuda":
        status = "FAIL" if mismatches else "skipped"
        summary = (f"{len(mismatches)} CPU mismatches" if mismatches else
                   f"CPU: course_lib reads torch's indices in all {len(rows)} cases; the CUDA comparison needs a GPU")
    else:
        status = "FAIL" if mismatches else "pass"
        summary = (f"torch CPU vs CUDA differ in {len(differ)} of {len(rows)} cases"
                   + (f" ({differ[0]}{', ...' if len(differ) > 1 else ''})" if differ else "")
                   + f"; course_lib differs from torch in {len(mismatches)}")
    return {"status": status, "summary": summary, "markdown": md}


def on_device(fn, device: str, counter: dict):
    """`fn` called with its CPU tensors moved to `device`, its tensor results moved back: the check compares on the CPU
    what the learner's code computed on the device. Tensors on 'meta' (the checks' own device cases) stay where they are."""
    import torch

    def move(value, to):
        if isinstance(value, torch.Tensor):
            return value.to(to) if value.device.type == ("cpu" if to != "cpu" else device) else value
        if type(value) in (tuple, list):
            return type(value)(move(v, to) for v in value)
        if type(value) is dict:
            return {k: move(v, to) for k, v in value.items()}
        return value

    def tensors(value):
        if isinstance(value, torch.Tensor):
            return [value]
        if type(value) in (tuple, list):
            return [t for v in value for t in tensors(v)]
        if type(value) is dict:
            return [t for v in value.values() for t in tensors(v)]
        return []

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        counter["calls"] += 1
        if not any(t.device.type == "cpu" for t in tensors((args, kwargs))):
            return fn(*args, **kwargs)  # no tensor, or tensors on 'meta': nothing to move
        counter["on_device"] += 1
        result = fn(*move(args, device), **move(kwargs, device))
        if any(t.device.type == device for t in tensors(result)):
            counter["results_on_device"] += 1
        return move(result, "cpu")

    return wrapped


@contextlib.contextmanager
def checks_on_device(device: str, counter: dict):
    """While inside, every `course_lib.checks.check_*` hands the check the learner's function wrapped by `on_device`
    (however a notebook reaches it: `checks.check_x(...)` or `from course_lib.checks import check_x`)."""
    import course_lib.checks as checks

    originals = {name: getattr(checks, name) for name in checks.__all__ if name.startswith("check_")}

    def routed(check):
        @functools.wraps(check)
        def run(fn, *args, **kwargs):
            return check(on_device(fn, device, counter), *args, **kwargs)
        return run

    try:
        for name, check in originals.items():
            setattr(checks, name, routed(check))
        yield checks
    finally:
        for name, check in originals.items():
            setattr(checks, name, check)


def step_checks(device: str, artifacts: pathlib.Path) -> dict:
    """Run each solution notebook's cells in order (as tests/test_exercise_checks.py does), its checks calling the
    learner's functions on `device`."""
    import matplotlib

    matplotlib.use("Agg")
    import nbformat

    rows, failures, total = [], [], {"calls": 0, "on_device": 0, "results_on_device": 0}
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        counter = {"calls": 0, "on_device": 0, "results_on_device": 0}
        namespace: dict = {"__name__": "__main__"}
        graded, passed = 0, 0
        start = time.perf_counter()
        with checks_on_device(device, counter):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type != "code":
                    continue
                meta = cell.metadata.get("nbgrader", {})
                error = None
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        exec(compile(cell.source, f"<{path.name} {meta.get('grade_id')}>", "exec"), namespace)
                except Exception as exception:  # noqa: BLE001 - a failing check cell is what this step looks for
                    error = exception
                if meta.get("grade"):
                    graded += 1
                    passed += error is None
                    if error is not None:
                        failures.append(f"{path.parent.name} {meta.get('grade_id')}: {type(error).__name__}: "
                                        f"{str(error).splitlines()[0] if str(error) else ''}")
                elif error is not None and not isinstance(error, NotImplementedError):
                    failures.append(f"{path.parent.name} cell {meta.get('grade_id')}: {type(error).__name__}: {error}")
        for key in total:
            total[key] += counter[key]
        rows.append([path.parent.name, f"{passed}/{graded}", counter["calls"], counter["on_device"],
                     counter["results_on_device"], f"{time.perf_counter() - start:.1f}"])
    md = (f"Each solution notebook's code cells run in order in one namespace; every `check_*` call hands the check "
          f"a wrapper that moves the CPU tensors of each case to `{device}`, calls the solution there and moves the "
          f"result back, so the check compares in float64 what was computed on `{device}`. Calls without tensors "
          f"(sizes, counts) and the checks' own 'meta'-device cases run unchanged.\n\n"
          + table(["assignment", "graded cells passed", "calls of the learner's functions", f"with tensors moved to {device}",
                   f"results computed on {device}", "seconds"], rows))
    if failures:
        md += "\n\nFailures:\n\n" + "\n".join(f"- {f}" for f in failures)
    summary = (f"{sum(int(r[1].split('/')[0]) for r in rows)}/{sum(int(r[1].split('/')[1]) for r in rows)} graded cells "
               f"passed; {total['on_device']} of {total['calls']} calls ran on {device}")
    status = "FAIL" if failures or total["on_device"] == 0 else "pass"
    if device != "cuda" and status == "pass":
        status, summary = "skipped", summary + " (dry run: on the CPU, so this tests the plumbing only)"
    return {"status": status, "summary": summary, "markdown": md}


def outputs_text(cell) -> str:
    """A code cell's text outputs as nbval compares them (streams, text/plain results, errors), sanitised as
    tests/nbval_sanitize.cfg says."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data") and "text/plain" in out.get("data", {}):
            if "image/png" not in out.data:  # a figure's repr is compared only through the sanitiser in nbval
                parts.append(out.data["text/plain"])
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    text = "".join(parts)
    config = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    for regex, replace in re.findall(r"regex: (.*)\nreplace: (.*)", config):
        text = re.sub(regex, replace, text)
    return text


def step_lesson05(device: str, artifacts: pathlib.Path) -> dict:
    """Execute lesson 05 where the kernel sees the device; compare with the stored outputs; keep the GPU section."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    stored = nbformat.read(NOTEBOOK, as_version=4)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=170, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as exception:
        error = str(exception).strip().splitlines()[-1]
    seconds = time.perf_counter() - start
    saved = artifacts / f"05_vectorising.{device}.ipynb"
    nbformat.write(nb, saved)
    differ, gpu_section, in_gpu_section = [], [], False
    for index, (new, old) in enumerate(zip(nb.cells, stored.cells)):
        if new.cell_type != "code":
            continue
        in_gpu_section = in_gpu_section or "timing.pick_device()" in new.source
        ignored = "nbval-ignore-output" in new.metadata.get("tags", [])
        if not ignored and outputs_text(new) != outputs_text(old):
            old_lines, new_lines = outputs_text(old).splitlines(), outputs_text(new).splitlines()
            first = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b), min(len(old_lines), len(new_lines)))
            differ.append(f"cell {index}: stored {old_lines[first] if first < len(old_lines) else '(nothing)'!r}, "
                          f"now {new_lines[first] if first < len(new_lines) else '(nothing)'!r}")
        if in_gpu_section:
            gpu_section.append(f"In [{index}]:\n{outputs_text(new).rstrip()}")
    md = (f"`{NOTEBOOK.relative_to(ROOT)}` executed with nbclient in {seconds:.0f} s (kernel on `{device}`); saved as "
          f"`{saved.name}` next to this report. Cells without the `nbval-ignore-output` tag compared with the stored "
          f"outputs (as nbval does): {len(differ)} differ.\n")
    if error:
        md += f"\nExecution stopped: `{error}`\n"
    if differ:
        md += "\n" + "\n".join(f"- {d}" for d in differ) + "\n"
    md += "\nThe GPU section's outputs (from `timing.pick_device()` on):\n\n```\n" + "\n\n".join(gpu_section) + "\n```"
    status = "FAIL" if error or differ else "pass"
    summary = (f"stopped: {error}" if error else f"ran in {seconds:.0f} s; {len(differ)} stored outputs differ")
    if device == "cuda" and not any("cuda (" in block for block in gpu_section):
        status, summary = "FAIL", summary + "; the GPU cells did not run on CUDA"
    return {"status": status, "summary": summary, "markdown": md}


if __name__ == "__main__":
    sys.exit(main())
