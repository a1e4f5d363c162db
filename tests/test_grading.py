"""Autograding end to end with nbgrader (`make exercises`, `make grade`), in a copy of the course.

One run grades every example submission (grading/examples.py: a full-marks student per assignment and the planted
faults of grading.faults.EXAMPLES: untouched exercises, deleted and edited test cells, an infinite loop, and each kind
of diagnosis once); the tests then read the gradebook, the graded notebooks and the feedback. Every other planted
fault runs in-process in tests/test_exercise_checks.py.
"""
from __future__ import annotations

import pathlib
import shutil

import nbformat
import pytest

from grading import examples, grade
from grading.faults import EXAMPLES

pytestmark = pytest.mark.nbgrader

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDENTS = [f"solution-{a}" for a in grade.assignments(ROOT)] + [f.student for f in EXAMPLES]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> pathlib.Path:
    """A copy of the course's sources, its exercises generated, its example submissions written and graded."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copytree(ROOT / "grading", root / "grading",
                    ignore=shutil.ignore_patterns("autograded", "feedback", "*.db", "*.csv", "__pycache__"))
    grade.generate(root)
    examples.write(root=root)
    grade.grade(root, regenerate=False)
    return root


@pytest.fixture(scope="module")
def scores(course) -> dict:
    return {(r["student"], r["cell"]): (r["score"], r["max_score"]) for r in grade.cell_scores(course)}


def files(folder: pathlib.Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_exercises_are_a_fresh_generation_of_the_solutions(course):
    fresh, stored = files(course / "exercises"), files(ROOT / "exercises")
    assert sorted(fresh) == sorted(stored), "run `make exercises`: the set of exercise notebooks differs"
    stale = [name for name in fresh if fresh[name] != stored[name]]
    assert not stale, f"exercises/ is out of date (edited by hand, or solutions/ changed): {stale}; run `make exercises`"


def test_example_submissions_are_up_to_date(course):
    fresh, stored = files(course / "submitted"), files(ROOT / "submitted")
    assert fresh == stored, "submitted/ differs from grading/examples.py's output: run `make examples`"


def graded_cells(course, student):
    """(grade_id, cell) of every autograded cell in the student's graded notebooks."""
    for path in sorted((course / "grading" / "autograded" / student).rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                yield meta["grade_id"], cell


def error_text(cell) -> str:
    return "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", []) if o.output_type == "error")


@pytest.mark.parametrize("assignment", grade.assignments(ROOT))
def test_the_solution_scores_full_marks(course, scores, assignment):
    student = f"solution-{assignment}"
    cells = list(graded_cells(course, student))
    assert cells, f"no graded cells for {student}"
    for gid, cell in cells:
        assert scores[student, gid][0] == scores[student, gid][1], f"{gid}: {error_text(cell)}"


@pytest.mark.parametrize("fault", EXAMPLES, ids=[f.student for f in EXAMPLES])
def test_a_faulty_submission_loses_exactly_its_points_and_gets_its_explanation(course, scores, fault):
    cells = dict(graded_cells(course, fault.student))
    assert set(fault.loses) <= set(cells), f"unknown cells in loses: {set(fault.loses) - set(cells)}"
    for gid, cell in cells.items():
        score, maximum = scores[fault.student, gid]
        if gid in fault.loses:
            assert score == 0, f"{gid} should score 0, scored {score}/{maximum}"
            assert fault.says in error_text(cell), f"{gid}: expected {fault.says!r} in\n{error_text(cell)}"
        else:
            assert score == maximum, f"{gid} should score {maximum}, scored {score}: {error_text(cell)}"


def test_an_untouched_exercise_fails_with_not_written_yet_not_a_crash(course):
    for fault in [f for f in EXAMPLES if f.kind == "untouched"]:
        for gid, cell in graded_cells(course, fault.student):
            assert error_text(cell).startswith("CheckFailed: ") and "is not written yet" in error_text(cell), gid


def test_a_restored_test_cell_says_so_in_the_feedback(course):
    for fault in [f for f in EXAMPLES if f.kind in ("edit_test", "delete_test")]:
        html = "".join(p.read_text() for p in (course / "grading" / "feedback" / fault.student).rglob("*.html"))
        expected = "The grader restored this test cell" if fault.kind == "edit_test" else "It was added back by nbgrader"
        assert expected in html, fault.student


def notebook_text(path) -> str:
    """Every cell's source and every output's text of a notebook."""
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts += [str(output.get("text", "")), str(output.get("evalue", "")), "\n".join(output.get("traceback", []))]
            parts += [str(v) for v in output.get("data", {}).values()]
    return "\n".join(parts)


def test_no_student_file_shows_the_hidden_tests(course):
    hidden = set()
    for path in (course / "solutions").rglob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if "### BEGIN HIDDEN TESTS" in cell.source:
                block = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
                hidden |= {line.strip() for line in block.splitlines() if line.strip()}
    assert hidden, "the solutions have no hidden tests"
    for folder in ("exercises", "grading/feedback"):
        for path in (course / folder).rglob("*"):
            if path.suffix in (".ipynb", ".html"):
                text = notebook_text(path) if path.suffix == ".ipynb" else path.read_text()
                leaked = [line for line in hidden if line in text or "HIDDEN TESTS" in text]
                assert not leaked, f"{path.relative_to(course)} shows hidden tests: {leaked}"


def test_grade_writes_the_csv_and_a_feedback_page_per_submission(course):
    rows = (course / "grading" / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("assignment,duedate,timestamp,student_id")
    assert {line.split(",")[3] for line in rows[1:]} == set(STUDENTS)
    for student in STUDENTS:
        assert list((course / "grading" / "feedback" / student).rglob("*.html")), student
