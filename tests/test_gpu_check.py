"""benchmarks/gpu_check.sh and .py, the prepared GPU check (issue 23), tested as far as a CPU allows: arguments, the
no-GPU message, the device wrapper the exercise checks run through, and a short dry run's report."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
import torch

import course_lib.checks
from course_lib.checks import CheckFailed

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"
spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_check)

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks what happens without a GPU")


def test_arguments_choose_steps_in_their_order():
    opts = gpu_check.parse_args([])
    assert opts.steps == gpu_check.STEPS and opts.report is None and not opts.cpu_dry_run and opts.budget == 480
    opts = gpu_check.parse_args(["--only", "bench,environment,nearest", "--skip", "nearest", "--cpu-dry-run", "r.md"])
    assert opts.steps == ["environment", "bench"] and opts.report == "r.md" and opts.cpu_dry_run


@pytest.mark.parametrize("argv, message", [
    (["--only", "environment,gpu"], "--only: unknown step 'gpu'; the steps are environment, cuda-tests"),
    (["--skip", "lesson5"], "--skip: unknown step 'lesson5'"),
    (["--only", "bench", "--skip", "bench"], "leaves no step to run"),
    (["--budget", "0"], "--budget must be a positive number of seconds, got 0"),
    (["--wheels", "no/such/folder"], "--wheels no/such/folder: no such folder. Fill it with --download-wheels"),
])
def test_bad_arguments_are_named(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        gpu_check.parse_args(argv)
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_report_goes_to_out_when_set(monkeypatch, tmp_path):
    monkeypatch.setenv("OUT", str(tmp_path))
    assert gpu_check.default_report() == tmp_path / "gpu_check.md"
    monkeypatch.delenv("OUT")
    assert gpu_check.default_report() == ROOT / "build" / "gpu_check" / "gpu_check.md"


def test_pytest_summary_is_read():
    assert gpu_check.pytest_counts("..\n=== 3 passed, 2 skipped, 45 deselected in 1.25s ===\n") == {
        "passed": 3, "skipped": 2, "deselected": 45}
    assert gpu_check.pytest_counts("ERROR: file or directory not found\n") == {}


def test_outputs_are_compared_as_nbval_sanitises_them():
    cell = nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("stream", text="at 0x7f12ab34cd56\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Figure size 640x480 with 1 Axes>"})])
    assert gpu_check.outputs_text(cell) == "at 0xADDRESS\n<MATPLOTLIB-OBJECT>"


def test_on_device_moves_cpu_tensors_only_and_counts():
    counter = {"calls": 0, "on_device": 0, "results_on_device": 0}
    seen = []

    def learner(x, sizes=(), meta=None):
        seen.append((x.device.type if isinstance(x, torch.Tensor) else None, meta.device.type if meta is not None else None))
        return x * 2 if isinstance(x, torch.Tensor) else x

    wrapped = gpu_check.on_device(learner, "cpu", counter)
    assert wrapped.__name__ == "learner"  # checks name the learner's function in their messages
    assert torch.equal(wrapped(torch.ones(3), sizes=[torch.zeros(1)]), torch.full((3,), 2.0))
    assert wrapped(5) == 5  # no tensor: called as it is
    wrapped(torch.empty(2, device="meta"), meta=torch.empty(1, device="meta"))  # the checks' own 'meta' cases stay there
    assert seen == [("cpu", None), (None, None), ("meta", "meta")]
    assert counter == {"calls": 3, "on_device": 1, "results_on_device": 1}


def conv1d_by_hand(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """A learner's conv1d (windows as a view, one einsum), for the checks to judge."""
    unbatched = x.dim() == 2
    x = torch.nn.functional.pad(x[None] if unbatched else x, (padding, padding))
    windows = x.unfold(2, dilation * (weight.shape[-1] - 1) + 1, stride)[..., ::dilation]  # (N, C_in, L_out, k)
    out = torch.einsum("nclk,ock->nol", windows, weight)
    out = out if bias is None else out + bias[:, None]
    return out[0] if unbatched else out


def test_checks_run_through_the_wrapper_while_routed(capsys):
    counter = {"calls": 0, "on_device": 0, "results_on_device": 0}
    original = course_lib.checks.check_conv1d
    with gpu_check.checks_on_device("cpu", counter):
        from course_lib.checks import check_conv1d  # a notebook's own import gets the routed check too

        course_lib.checks.check_conv1d(conv1d_by_hand, name="conv1d_by_hand")
        assert "✓ conv1d_by_hand agrees with F.conv1d" in capsys.readouterr().out
        assert counter["calls"] > 0 and 0 < counter["on_device"] <= counter["calls"]
        with pytest.raises(CheckFailed, match="flipped kernel"):  # a wrong answer is still explained
            check_conv1d(lambda x, w, b=None, *a, **k: conv1d_by_hand(x, w.flip(-1), b, *a, **k), name="flipped")
    assert course_lib.checks.check_conv1d is original  # put back afterwards


@no_cuda
def test_without_cuda_it_says_so_and_exits_2(tmp_path, capsys):
    assert gpu_check.main([str(tmp_path / "r.md")]) == 2
    message = "No CUDA device: torch.cuda.is_available() is False"
    assert message in capsys.readouterr().err and message in (tmp_path / "r.md").read_text()


@no_cuda
def test_bench_refuses_cuda_without_a_gpu():
    run = subprocess.run([sys.executable, "benchmarks/run.py", "--device", "cuda"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "--device cuda: no CUDA device here" in run.stderr


def test_shell_script_names_a_missing_interpreter():
    run = subprocess.run(["bash", str(SCRIPT), "--python", "no-such-python3", "--cpu-dry-run"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 3 and "--python no-such-python3: no such interpreter" in run.stderr


@pytest.mark.slow  # runs the bench script end to end
def test_short_dry_run_writes_the_report(tmp_path):
    """Two quick steps through the shell script, each in its own process, as on a GPU machine."""
    report = tmp_path / "report.md"
    env = {k: v for k, v in os.environ.items() if k != "OUT"}
    run = subprocess.run(["bash", str(SCRIPT), "--python", sys.executable, "--cpu-dry-run", "--only", "environment,nearest",
                          str(report)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    text = report.read_text()
    assert text.startswith("# GPU check: cpu (dry run)\n") and "**CPU dry run**" in text
    assert "| step | status | seconds | summary |" in text
    assert "| environment | pass |" in text and "| nearest | skipped |" in text
    assert "## 1. Environment" in text and f"| torch | {torch.__version__} |" in text
    assert "## 2. Nearest-neighbour indices, CPU and CUDA (lesson 08)" in text
    assert "| nearest | 2-D | 3 x 2.1 | [0, 0, 1, 1, 2, 2] | same | skipped | skipped |" in text
    assert "===== nearest:" in report.with_suffix(".log").read_text()


def test_wheels_of_installed_packages_are_left_alone(tmp_path, capsys):
    """--wheels installs only what this Python lacks, so it never shadows the machine's own packages."""
    (tmp_path / "nbformat-0.0.1-py3-none-any.whl").write_bytes(b"not read: nbformat is installed")
    (tmp_path / "torch-0.0.1-py3-none-any.whl").write_bytes(b"not read: torch is installed")
    site, installed = gpu_check.install_wheels(str(tmp_path))
    assert installed == [] and pathlib.Path(site).is_dir() and not any(pathlib.Path(site).iterdir())
    assert "2 already installed, installing 0" in capsys.readouterr().out
