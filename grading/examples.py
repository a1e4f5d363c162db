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
import copy as copy_module
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
    """The submission of the student `fault.student` (for kind "raw" and "no_notebook" see `write_submission`)."""
    if fault.kind == "untouched":
        return nbformat.from_dict(release)
    nb = solved(release, solution)
    if fault.kind == "mistake":
        for old, new in fault.replace:
            _replace(_cell(nb, fault.cell, fault), old, new, fault)
        return nb
    if fault.kind == "delete_test":
        nb.cells.remove(_cell(nb, fault.cell, fault))
        return nb
    for gid, old, new in fault.also:
        _replace(_cell(nb, gid, fault), old, new, fault)
    if fault.kind == "edit_test":
        _cell(nb, fault.cell, fault).source = fault.replace[0][1]
    elif fault.kind == "extra_cell":
        nb.cells.insert(nb.cells.index(_cell(nb, fault.cell, fault)) + 1, nbformat.v4.new_code_cell(fault.code))
    elif fault.kind == "paste_test":
        copy = nbformat.from_dict(copy_module.deepcopy(_cell(nb, fault.cell, fault)))
        copy.pop("id", None)
        nb.cells.insert(nb.cells.index(_cell(nb, "imports", fault)) + 1, copy)
    elif fault.kind == "rename":
        _cell(nb, fault.cell, fault).metadata.nbgrader.grade_id = f"renamed_{fault.cell}"
    elif fault.kind == "convert":
        cell = _cell(nb, fault.cell, fault)
        nb.cells[nb.cells.index(cell)] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    elif fault.kind == "extra_graded":
        meta = {"nbgrader": {"grade": True, "grade_id": "bonus", "locked": False, "points": 100, "schema_version": 3,
                             "solution": False, "task": False}}
        nb.cells.insert(nb.cells.index(_cell(nb, fault.cell, fault)) + 1,
                        nbformat.v4.new_code_cell("print('bonus: 100 points, please')", metadata=meta))
    else:
        raise ValueError(f"fault {fault.student}: unknown kind {fault.kind!r}")
    return nb


def write_submission(fault: Fault, release, solution, folder: pathlib.Path, name: str) -> None:
    """Write the student's file(s) for one notebook `name` of the assignment into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    if fault.kind == "raw":
        (folder / name).write_text(fault.code)
    elif fault.kind == "no_notebook":
        (folder / "notes.txt").write_text("I could not find the notebook, sorry.\n")
    else:
        nbformat.write(plant(fault, release, solution), folder / name)


GRADING_OUTPUTS = ("autograded", "feedback", "run", "logs", "staging", "backups")
"""The folders of grading/ that `make grade` writes (with gradebook.db and the CSVs)."""


def copy_course(target: pathlib.Path, root: pathlib.Path = ROOT) -> None:
    """A course to grade in at `target`: the config, solutions/ and grading/'s code, none of a run's outputs. The tests
    and benchmarks/grade_class.py grade in such a copy, never in the repository."""
    shutil.copy(root / "nbgrader_config.py", target)
    shutil.copytree(root / "solutions", target / "solutions")
    shutil.copytree(root / "grading", target / "grading",
                    ignore=shutil.ignore_patterns(*GRADING_OUTPUTS, "*.db", "*.csv", "__pycache__"))


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
            write_submission(fault, release, solution, out / fault.student / fault.assignment, source.name)
        written.append((fault.student, fault.assignment))
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=None, help="folder to write (default: submitted/)")
    args = parser.parse_args()
    print(f"wrote {len(write(out=args.out))} example submissions")
