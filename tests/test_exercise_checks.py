"""The exercises' checks, without nbgrader: every solution passes its checks, every planted fault is caught.

Each solution notebook's code cells run in one namespace, in order, as a learner's kernel would run them (solution
markers are comments, hidden tests included). Each planted fault (grading/faults) runs the same way: the test
cells it names must raise the check's CheckFailed with its explanation, the others must pass. Correct solutions by
other routes (grading/faults/routes.py: Python lists, numpy, einsum, a matrix product, …) must pass every check.
The grader's replay of the same check calls (course_lib.checks.record) must give the same messages. The nbgrader
round trip of the same submissions is tests/test_grading.py (instructor install).
"""
from __future__ import annotations

import ast
import contextlib
import io
import pathlib

import nbformat
import pytest

from course_lib import checks
from course_lib.checks import CheckFailed
from course_lib.checks.record import RECORD_ENV, Replay, read_record
from grading import examples
from grading.faults import ALL, Fault
from grading.faults.routes import FAULTS as ROUTES

pytestmark = [getattr(pytest.mark, f"lesson{i:02d}") for i in range(1, 9)]

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
# Faults that only nbgrader can show: an infinite loop (stopped by its timeout), test cells deleted or edited.
IN_PROCESS = [f for f in ALL if f.kind in ("mistake", "untouched") and "while True" not in str(f.replace)]


def sampled(faults: list[Fault]) -> list:
    """The faults as parameters: the first of each assignment runs in make test-fast, the rest are `slow`."""
    seen: set[str] = set()
    params = []
    for fault in faults:
        first = fault.assignment not in seen
        seen.add(fault.assignment)
        params.append(pytest.param(fault, id=fault.student, marks=() if first else pytest.mark.slow))
    return params


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


def submission(fault: Fault) -> nbformat.NotebookNode:
    """The notebook of the student `fault.student`, with the solution's test cells (hidden tests included)."""
    source = next((ROOT / "solutions" / fault.assignment).glob("*.ipynb"))
    release = nbformat.read(ROOT / "exercises" / fault.assignment / source.name, as_version=4)
    solution = nbformat.read(source, as_version=4)
    # the released exercise lacks the hidden tests: put the solution's test cells back, as the grader does
    tests = {examples.grade_id(c): c.source for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade")}
    nb = examples.plant(fault, release, solution)
    for cell in nb.cells:
        if examples.grade_id(cell) in tests and cell.cell_type == "code":
            cell.source = tests[examples.grade_id(cell)]
    return nb


def check_outcomes(fault: Fault, raised: dict) -> None:
    for gid, error in raised.items():
        if gid in fault.loses:
            assert isinstance(error, CheckFailed), f"{gid} should fail with CheckFailed, got {error!r}"
            assert fault.says in str(error), f"{gid}: expected {fault.says!r} in\n{error}"
        else:
            assert error is None, f"{gid} should pass, raised {error!r}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.parent.name for p in SOLUTIONS])
def test_every_solution_passes_its_checks(path):
    raised = run_cells(nbformat.read(path, as_version=4))
    assert raised, f"{path.name} has no graded test cells"
    assert {gid: repr(e) for gid, e in raised.items() if e is not None} == {}


WIDTH = 100
"""The longest line of an exercise notebook's cells: JupyterLab 4 at 1280 px with its file browser open shows 108
characters of a code cell (7.83 px each in a 846 px editor, measured in Chromium), so 100 fit with room to spare."""


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.parent.name for p in SOLUTIONS])
def test_exercise_lines_fit_the_notebook_column(path):
    released = ROOT / "exercises" / path.parent.name / path.name
    for notebook in (path, released):
        long = [f"{notebook.parent.name} {c.metadata.get('nbgrader', {}).get('grade_id')}: {len(line)}: {line}"
                for c in nbformat.read(notebook, as_version=4).cells for line in c.source.splitlines()
                if len(line) > WIDTH]
        assert long == []


@pytest.mark.parametrize("fault", sampled(IN_PROCESS))
def test_every_planted_mistake_is_caught_and_explained(fault):
    check_outcomes(fault, run_cells(submission(fault)))


@pytest.mark.parametrize("fault", sampled(ROUTES))
def test_every_correct_route_gets_full_marks(fault):
    """A correct solution by another route passes every check of its notebook, visible and hidden seeds."""
    assert fault.loses == ()
    check_outcomes(fault, run_cells(submission(fault)))


# --- the grader's replay gives the learner's messages -------------------------------------------------------------

def check_calls(source: str) -> list[tuple[str, str, dict]]:
    """The check calls of a test cell: (check's name, the learner's function's name, keyword arguments)."""
    calls = []
    for statement in ast.parse(source).body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr.startswith("check_")):
            calls.append((call.func.attr, call.args[0].id, {k.arg: ast.literal_eval(k.value) for k in call.keywords}))
    return calls


def said(check, fn, kwargs: dict) -> str:
    """What a check call shows: its printed ✓ line, or the CheckFailed it raises."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            check(fn, **kwargs)
    except CheckFailed as failure:
        return f"{printed.getvalue()}CheckFailed: {failure}"
    return printed.getvalue()


def live_and_replayed(nb, cells, folder: pathlib.Path, monkeypatch) -> list[tuple[str, str, str]]:
    """Run the notebook's cells in order; for each check call of the test cells `cells`: (call, what it shows in the
    learner's process while recording, what it shows replayed from that record in the grader's way)."""
    namespace: dict = {}
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, f"<cell {meta.get('grade_id')}>", "exec"), namespace)
            except NotImplementedError:
                pass
            continue
        if meta["grade_id"] not in cells:
            continue
        for number, (name, function, kwargs) in enumerate(check_calls(cell.source)):
            record = folder / f"{meta['grade_id']}-{number}.jsonl"
            monkeypatch.setenv(RECORD_ENV, str(record))
            live = said(getattr(checks, name), namespace[function], kwargs)
            monkeypatch.delenv(RECORD_ENV)
            replayed = said(getattr(checks, name), Replay(read_record(record)), kwargs)
            shown.append((f"{meta['grade_id']}: {name}({function}, {kwargs})", live, replayed))
    return shown


REPLAYED = ([Fault(p.parent.name, f"solution-{p.parent.name}") for p in SOLUTIONS] + IN_PROCESS + ROUTES)


@pytest.mark.parametrize("fault", sampled(REPLAYED))
def test_the_replay_shows_what_the_learner_saw(fault, tmp_path, monkeypatch):
    """Every check call of the solutions, the planted mistakes (the cells they fail) and the correct routes shows the
    same ✓ line or the same CheckFailed message when the grader replays its record outside the learner's process."""
    nb = submission(fault)
    cells = fault.loses or {examples.grade_id(c) for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    shown = live_and_replayed(nb, set(cells), tmp_path, monkeypatch)
    assert shown, f"{fault.student}: no check calls in {cells}"
    for call, live, replayed in shown:
        assert live == replayed, f"{call}\nlive:\n{live}\nreplayed:\n{replayed}"
    failures = [live for _, live, _ in shown if live.startswith("CheckFailed")]
    if fault.loses:  # the record carried a failure, not only passes
        assert any(fault.says in live for live in failures), f"{fault.student}: {fault.says!r} not in {failures}"
    else:
        assert not failures
