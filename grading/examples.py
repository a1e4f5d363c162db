"""Write the example submissions: submitted/<student>/<assignment>/<notebook>.ipynb, one student per planted fault.

A submission is what a student hands in: the released exercise (exercises/) with each solution cell filled in.
Here it is filled with the solution's code (the lines between ### BEGIN SOLUTION / ### END SOLUTION, markers
dropped), then the fault (grading/faults) is planted. The students are `solution-<assignment>` (full marks) and
the faults of `grading.faults.EXAMPLES` (every kind of diagnosis once; all faults run in-process in
tests/test_exercise_checks.py).

    python -m grading.examples            # rewrite submitted/ from exercises/, solutions/ and grading/faults
"""
from __future__ import annotations

import argparse
import pathlib
import re
import shutil

import nbformat

from grading.faults import EXAMPLES, Fault
from grading.grade import assignments

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solved(release: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The released notebook with every solution cell replaced by the solution's (markers dropped)."""
    answers = {grade_id(c): MARKERS.sub("", c.source) for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def _replace(cell, old: str, new: str, fault: Fault) -> None:
    if cell.source.count(old) != 1:
        raise ValueError(f"fault {fault.student}: {old!r} occurs {cell.source.count(old)} times in cell "
                         f"{grade_id(cell)}, expected once")
    cell.source = cell.source.replace(old, new)


def _cell(nb, gid: str, fault: Fault):
    for cell in nb.cells:
        if grade_id(cell) == gid:
            return cell
    raise ValueError(f"fault {fault.student}: no cell {gid!r} in {fault.assignment}")


def plant(fault: Fault, release, solution) -> nbformat.NotebookNode:
    """The submission of the student `fault.student`."""
    if fault.kind == "untouched":
        return nbformat.from_dict(release)
    nb = solved(release, solution)
    if fault.kind == "mistake":
        for old, new in fault.replace:
            _replace(_cell(nb, fault.cell, fault), old, new, fault)
    elif fault.kind == "delete_test":
        nb.cells.remove(_cell(nb, fault.cell, fault))
    elif fault.kind == "edit_test":
        for gid, old, new in fault.also:
            _replace(_cell(nb, gid, fault), old, new, fault)
        _cell(nb, fault.cell, fault).source = fault.replace[0][1]
    else:
        raise ValueError(f"fault {fault.student}: unknown kind {fault.kind!r}")
    return nb


def notebooks(root: pathlib.Path, assignment: str) -> list[pathlib.Path]:
    return sorted((root / "solutions" / assignment).glob("*.ipynb"))


def write(root: pathlib.Path = ROOT, out: pathlib.Path | None = None, faults=EXAMPLES) -> list[tuple[str, str]]:
    """Write every example submission under `out` (default: root/submitted, emptied first); returns (student, assignment)."""
    out = root / "submitted" if out is None else out
    if out.exists():
        shutil.rmtree(out)
    students = [Fault(a, f"solution-{a}", kind="mistake") for a in assignments(root)] + list(faults)
    written = []
    for fault in students:
        for source in notebooks(root, fault.assignment):
            release = nbformat.read(root / "exercises" / fault.assignment / source.name, as_version=4)
            solution = nbformat.read(source, as_version=4)
            target = out / fault.student / fault.assignment / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(plant(fault, release, solution), target)
        written.append((fault.student, fault.assignment))
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=None, help="folder to write (default: submitted/)")
    args = parser.parse_args()
    print(f"wrote {len(write(out=args.out))} example submissions")
