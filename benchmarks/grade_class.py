"""How long `make grade` takes for a class: N students hand in one assignment, graded in the sandbox.

    .venv/bin/python benchmarks/grade_class.py [--students 100] [--assignment 01_conv1d] [--jobs 2]

The class is built, in a temporary copy of the course, from the example students (grading/examples.py): the
full-marks solution and every planted fault of that assignment, repeated under new names (student-001, …) until
there are N. It is graded once with `grading.grade.grade` (the whole of `make grade`: prepare, grade, feedback,
export, report); the script prints the wall time, the time per submission and the report's statuses. A timing,
not a test: the machine's load changes it (the load average is printed with it).
"""
from __future__ import annotations

import argparse
import collections
import os
import pathlib
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading import examples, grade  # noqa: E402
from grading.faults import ALL, Fault  # noqa: E402


def build_class(root: pathlib.Path, assignment: str, students: int) -> None:
    """A course copy at `root` whose submitted/ holds `students` submissions of `assignment`."""
    examples.copy_course(root)
    grade.generate(root)
    kinds = [Fault(assignment, f"solution-{assignment}", kind="mistake")]
    kinds += [f for f in ALL if f.assignment == assignment]
    chosen = [kinds[i % len(kinds)] for i in range(students)]
    renamed = [Fault(**{**f.__dict__, "student": f"student-{i + 1:03d}"}) for i, f in enumerate(chosen)]
    examples.write(root=root, faults=renamed)
    for folder in (root / "submitted").iterdir():
        if folder.name.startswith("solution-"):
            shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignment", default="01_conv1d")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-class-") as folder:
        root = pathlib.Path(folder)
        build_class(root, args.assignment, args.students)
        load = os.getloadavg()[0]
        started = time.monotonic()
        rows = grade.grade(root, jobs=args.jobs, quiet=True)
        seconds = time.monotonic() - started
    statuses = collections.Counter(r["status"].split(";")[0].split(":")[0] for r in rows
                                   if r["assignment"] == args.assignment)
    print(f"{args.students} students, {args.assignment}, {args.jobs} job(s), {os.cpu_count()} cores, "
          f"load average {load:.1f} before and {os.getloadavg()[0]:.1f} after")
    print(f"make grade: {seconds:.0f} s in all ({seconds / 60:.1f} min), {seconds / args.students:.1f} s per submission")
    print("statuses: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))


if __name__ == "__main__":
    main()
