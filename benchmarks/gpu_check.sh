#!/usr/bin/env bash
# The course's GPU check: on a machine with an NVIDIA GPU, run every GPU part of the course once and write what it
# shows as one Markdown report (issue 23). The steps and the report are benchmarks/gpu_check.py's; this script picks
# the Python that runs them.
#
#   bash benchmarks/gpu_check.sh [REPORT.md]                 # make gpu-check [GPU_CHECK_ARGS="..."]
#   bash benchmarks/gpu_check.sh --cpu-dry-run [REPORT.md]   # no GPU: run what the CPU can, to test the script
#   bash benchmarks/gpu_check.sh --help                      # every option (--only, --skip, --budget, ...)
#
# Steps, within about 8 minutes (--budget 480): environment (device, driver, CUDA, cuDNN, torch, TF32 flags);
# pytest -m cuda; course_lib's device branches in float64 against torch; float32 and TF32 errors against float64
# (torch, vectorised, fourier, winograd); nearest-neighbour indices on CPU and CUDA (scale 2.1 and others, lesson 08);
# the exercise checks with the solutions run on CUDA tensors; lesson 05 executed on the GPU (saved next to the report);
# `make bench`'s CUDA table. Report: REPORT, else $OUT/gpu_check.md where $OUT is set, else
# build/gpu_check/gpu_check.md; a .log beside it holds every step's output.
# Exit status: 0 all passed, 1 a step failed, 2 no CUDA device (and no --cpu-dry-run), 3 no Python to run it.
#
# What it assumes, and installs:
# - An NVIDIA GPU with a working driver, and a Python whose torch is a CUDA build.
# - The Python: --python PY (or $GPU_CHECK_PYTHON) when given; else the project's own install, .venv, made (or
#   refreshed when pyproject.toml changed) by `make .venv/.installed`, exactly as `make lab` and `make bench` do: that
#   needs PyPI, and on Linux PyPI's torch==2.13.0 is a CUDA build. Nothing else is installed.
# - A machine that reaches no package index (such as this workplace's lent GPU machines: their python3 already
#   holds a CUDA torch, numpy, matplotlib, pytest and hypothesis, and the 64 MiB that travel with the working tree
#   cannot hold a .venv) runs it with that python3 and the few packages lesson 05's execution needs (nbclient,
#   nbformat, ipykernel and their dependencies, about 17 MiB of wheels) carried along:
#       here, where PyPI answers:  .venv/bin/python benchmarks/gpu_check.py --download-wheels build/gpu_wheels
#       there:                     bash benchmarks/gpu_check.sh --python python3 --wheels build/gpu_wheels "$OUT/gpu_check.md"
#   (with the device tool: carry ["build/gpu_wheels"], timeout_s 540). --wheels installs only the wheels whose
#   packages that Python lacks, into a temporary folder on PYTHONPATH; course_lib is imported from this checkout.
#   Such a machine's torch may differ from the pinned one: the report says which torch it measured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python="${GPU_CHECK_PYTHON:-}"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --python) [ $# -ge 2 ] || { echo "gpu_check.sh: --python needs an interpreter, e.g. --python python3" >&2; exit 3; }
                  python="$2"; shift 2 ;;
        --python=*) python="${1#--python=}"; shift ;;
        *) args+=("$1"); shift ;;
    esac
done

if [ -z "$python" ]; then
    # The project's own install (the same rule as make lab / make bench: re-installs only when pyproject.toml changed).
    make -s --no-print-directory .venv/.installed >&2 || {
        echo "gpu_check.sh: could not make the project's .venv (it needs PyPI). Where torch with CUDA is installed" \
             "already, name that Python: bash benchmarks/gpu_check.sh --python python3 (see this script's header)." >&2
        exit 3; }
    python=.venv/bin/python
fi
command -v "$python" >/dev/null 2>&1 || { echo "gpu_check.sh: --python $python: no such interpreter" >&2; exit 3; }
"$python" -c 'import torch' 2>/dev/null || {
    echo "gpu_check.sh: $python cannot import torch; name a Python that has the course's torch (--python)" >&2; exit 3; }

exec "$python" benchmarks/gpu_check.py ${args[@]+"${args[@]}"}
