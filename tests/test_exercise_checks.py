"""The exercises' checks, without nbgrader: every solution passes its checks, every planted fault is caught.

Each solution notebook's code cells run in one namespace, in order, as a learner's kernel would run them (solution
markers are comments, hidden tests included). Each planted fault (grading/faults) runs the same way: the test
cells it names must raise the check's CheckFailed with its explanation, the others must pass. The nbgrader
round trip of the same submissions is tests/test_grading.py (instructor install).
"""
from __future__ import annotations

import contextlib
import io
import pathlib

import nbformat
import pytest

from course_lib.checks import CheckFailed
from grading import examples
from grading.faults import ALL

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
# Faults that only nbgrader can show: an infinite loop (stopped by its timeout), test cells deleted or edited.
IN_PROCESS = [f for f in ALL if f.kind in ("mistake", "untouched") and "while True" not in str(f.replace)]


def run_cells(nb) -> dict:
    """Run the code cells in order; {grade_id of each test cell: the exception it raised, or None}."""
    namespace: dict = {}
    raised = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, f"<cell {meta.get('grade_id')}>", "exec"), namespace)
            error = None
        except Exception as exception:  # noqa: BLE001 - a test cell's failure is what we look at
            error = exception
        if meta.get("grade"):
            raised[meta["grade_id"]] = error
        elif error is not None and not isinstance(error, NotImplementedError):
            raise AssertionError(f"cell {meta.get('grade_id')} raised {error!r}") from error
    return raised


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.parent.name for p in SOLUTIONS])
def test_every_solution_passes_its_checks(path):
    raised = run_cells(nbformat.read(path, as_version=4))
    assert raised, f"{path.name} has no graded test cells"
    assert {gid: repr(e) for gid, e in raised.items() if e is not None} == {}


@pytest.mark.parametrize("fault", IN_PROCESS, ids=[f.student for f in IN_PROCESS])
def test_every_planted_mistake_is_caught_and_explained(fault):
    source = next((ROOT / "solutions" / fault.assignment).glob("*.ipynb"))
    release = nbformat.read(ROOT / "exercises" / fault.assignment / source.name, as_version=4)
    solution = nbformat.read(source, as_version=4)
    # the released exercise lacks the hidden tests: put the solution's test cells back, as the grader does
    tests = {examples.grade_id(c): c.source for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade")}
    nb = examples.plant(fault, release, solution)
    for cell in nb.cells:
        if examples.grade_id(cell) in tests and cell.cell_type == "code":
            cell.source = tests[examples.grade_id(cell)]
    raised = run_cells(nb)
    for gid, error in raised.items():
        if gid in fault.loses:
            assert isinstance(error, CheckFailed), f"{gid} should fail with CheckFailed, got {error!r}"
            assert fault.says in str(error), f"{gid}: expected {fault.says!r} in\n{error}"
        else:
            assert error is None, f"{gid} should pass, raised {error!r}"
