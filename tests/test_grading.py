"""Grading a class end to end (`make exercises`, `make grade`), in a copy of the course, every kernel in the sandbox.

One run grades a class that mixes the example students (grading/examples.py: a full-marks student per assignment, the
untouched exercises, deleted and edited test cells, an infinite loop, each kind of diagnosis once) with the hostile and
broken submissions of grading/faults/hostile.py (malformed notebooks, pasted and renamed cells, a kernel that exits or
cannot be interrupted, attacks on the solutions, the gradebook, classmates, the network, the machine, and on the
judging). The tests then read the gradebook, the run report, the graded notebooks and the feedback, and check that
nothing outside each student's folder changed, that no process was left behind and that nothing reached the network.
Every other planted fault runs in-process in tests/test_exercise_checks.py.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import pathlib
import shutil
import socket
import sqlite3
import subprocess
import threading

import nbformat
import pytest

from grading import examples, grade, sandbox
from grading.faults import EXAMPLES, Fault
from grading.faults.hostile import HOSTILE, NETWORK_PORT

pytestmark = [getattr(pytest.mark, f"lesson{i:02d}") for i in range(1, 9)] + [pytest.mark.nbgrader, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDENTS = [f"solution-{a}" for a in grade.assignments(ROOT)] + [f.student for f in EXAMPLES]
AUTO_POINTS = 8  # each assignment: 8 autograded points and a 2-point written answer graded by hand
OUTPUTS = examples.GRADING_OUTPUTS
copy_course = examples.copy_course


def digests(root: pathlib.Path) -> dict:
    """sha256 of every file of the course copy and of course_lib, except what grading writes."""
    found = {}
    for top in (root, ROOT / "course_lib"):
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(top).as_posix()
            if path.is_symlink() or not path.is_file() or "__pycache__" in relative:
                continue
            if top == root and relative.startswith("grading/") and (
                    relative.split("/")[1] in OUTPUTS or relative.endswith((".db", ".csv"))):
                continue
            found[f"{top.name}/{relative}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class Listener:
    """A TCP server on the host's loopback that records every connection (none may come)."""

    def __init__(self, port: int):
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.2)
        self.received: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                self.received.append(connection.recv(1 << 16) or b"(connected)")

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


def sandbox_processes() -> list[str]:
    """Processes of the sandbox's user, or started by a planted daemon."""
    out = subprocess.run(["ps", "-eo", "uid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()
            if line.split(None, 1)[0] == str(sandbox.SANDBOX_UID) or "course-daemon-marker" in line]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """A copy of the course, its exercises generated, the example and hostile students written and graded."""
    reason = sandbox.unavailable_reason()
    if reason:
        pytest.fail(f"the grading sandbox is required for these tests: {reason}")
    root = tmp_path_factory.mktemp("course")
    copy_course(root)
    grade.generate(root)
    examples.write(root=root)
    examples.write(root=root, out=root / "hostile", faults=HOSTILE)
    for student in (root / "hostile").iterdir():
        if student.name.startswith("solution-"):
            shutil.rmtree(student)
        else:
            shutil.move(student, root / "submitted" / student.name)
    shutil.rmtree(root / "hostile")
    before = digests(root)
    listener = Listener(NETWORK_PORT)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            rows = grade.grade(root, jobs=2)
    finally:
        listener.close()
    return {"root": root, "rows": rows, "before": before, "after": digests(root), "network": listener.received,
            "processes": sandbox_processes(), "printed": printed.getvalue()}


@pytest.fixture(scope="module")
def scores(course) -> dict:
    return {(r["student"], r["cell"]): (r["score"], r["max_score"]) for r in grade.cell_scores(course["root"])}


@pytest.fixture(scope="module")
def report(course) -> dict:
    return {(r["student"], r["assignment"]): r for r in course["rows"]}


def files(folder: pathlib.Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_exercises_are_a_fresh_generation_of_the_solutions(course):
    fresh, stored = files(course["root"] / "exercises"), files(ROOT / "exercises")
    assert sorted(fresh) == sorted(stored), "run `make exercises`: the set of exercise notebooks differs"
    stale = [name for name in fresh if fresh[name] != stored[name]]
    assert not stale, f"exercises/ is out of date (edited by hand, or solutions/ changed): {stale}; run `make exercises`"


def test_example_submissions_are_up_to_date(course):
    fresh = {k: v for k, v in files(course["root"] / "submitted").items()
             if k.split("/")[0] not in {f.student for f in HOSTILE}}
    assert fresh == files(ROOT / "submitted"), "submitted/ differs from grading/examples.py's output: run `make examples`"


def graded_cells(root, student):
    """(grade_id, cell) of every autograded cell in the student's graded notebooks."""
    for path in sorted((root / "grading" / "autograded" / student).rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                yield meta["grade_id"], cell


def error_text(cell) -> str:
    return "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", []) if o.output_type == "error")


@pytest.mark.parametrize("assignment", grade.assignments(ROOT))
def test_the_solution_scores_full_marks(course, scores, assignment):
    student = f"solution-{assignment}"
    cells = list(graded_cells(course["root"], student))
    assert cells, f"no graded cells for {student}"
    for gid, cell in cells:
        assert scores[student, gid][0] == scores[student, gid][1], f"{gid}: {error_text(cell)}"


@pytest.mark.parametrize("fault", EXAMPLES, ids=[f.student for f in EXAMPLES])
def test_a_faulty_submission_loses_exactly_its_points_and_gets_its_explanation(course, scores, fault):
    cells = dict(graded_cells(course["root"], fault.student))
    assert set(fault.loses) <= set(cells), f"unknown cells in loses: {set(fault.loses) - set(cells)}"
    for gid, cell in cells.items():
        score, maximum = scores[fault.student, gid]
        if gid in fault.loses:
            assert score == 0, f"{gid} should score 0, scored {score}/{maximum}"
            assert fault.says in error_text(cell), f"{gid}: expected {fault.says!r} in\n{error_text(cell)}"
        else:
            assert score == maximum, f"{gid} should score {maximum}, scored {score}: {error_text(cell)}"


@pytest.mark.parametrize("fault", HOSTILE, ids=[f.student for f in HOSTILE])
def test_a_hostile_or_broken_submission_gets_exactly_its_honest_score_and_a_status_in_words(course, report, fault):
    row = report[fault.student, fault.assignment]
    assert fault.status in row["status"], f"status {row['status']!r} should say {fault.status!r}"
    if row["status"].startswith("could not be graded"):
        assert row["score"] == "" and not list(graded_cells(course["root"], fault.student))
        return
    cells = dict(graded_cells(course["root"], fault.student))
    assert sorted(cells) == ["test_conv1d_loops", "test_output_length", "test_same_padding"]
    points = {"test_output_length": 2, "test_conv1d_loops": 4, "test_same_padding": 2}
    expected = sum(p for gid, p in points.items() if gid not in fault.loses)
    assert float(row["score"]) == expected and float(row["max_score"]) == 10, row
    assert row["pending_manual"] == "2", row  # the written answer waits for the instructor, it is not a 0
    for gid in fault.loses:
        if fault.says:
            assert fault.says in error_text(cells[gid]), f"{gid}: {error_text(cells[gid])}"
    if fault.says and not fault.loses:
        assert fault.says in row["notes"], row["notes"]
    attacks = fault.student.startswith(("patch-", "kernel-exit"))  # monkeypatching, os._exit
    assert ("flagged for review" in row["status"]) == attacks, row["status"]


def test_make_grade_prints_a_progress_bar_and_the_report_and_no_noise(course):
    printed = course["printed"]
    assert "graded, " in printed and "[#" in printed, "no progress"
    assert "student" in printed and "status" in printed and "every kernel in the sandbox" in printed
    noise = [line for line in printed.splitlines()
             if any(word in line for word in ("Warning", "WARNING", "TCP", "Traceback", "[AutogradeApp"))]
    assert noise == [], noise


def test_nothing_outside_the_students_own_folders_changed(course):
    before, after = course["before"], course["after"]
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == [], f"grading changed files it must not touch: {changed[:10]}"


def test_no_process_is_left_behind_and_nothing_reached_the_network(course):
    assert course["processes"] == [], course["processes"]
    assert course["network"] == [], course["network"]


def test_the_gradebook_is_sound_and_holds_no_score_a_submission_wrote(course):
    path = course["root"] / "grading" / "gradebook.db"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0] == 0


def test_the_feedback_never_shows_what_a_submission_stole(course):
    feedback = course["root"] / "grading" / "feedback" / "steal-solutions-01"
    html = "".join(p.read_text() for p in feedback.rglob("*.html"))
    assert html and "HIDDEN TESTS" not in html and "seed=11" not in html


def test_an_untouched_exercise_fails_with_not_written_yet_not_a_crash(course):
    for fault in [f for f in EXAMPLES if f.kind == "untouched"]:
        for gid, cell in graded_cells(course["root"], fault.student):
            assert error_text(cell).startswith("CheckFailed: ") and "is not written yet" in error_text(cell), gid


def test_a_restored_test_cell_says_so_in_the_feedback(course):
    for fault in [f for f in EXAMPLES if f.kind in ("edit_test", "delete_test")]:
        html = "".join(p.read_text() for p in (course["root"] / "grading" / "feedback" / fault.student).rglob("*.html"))
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
    root = course["root"]
    hidden = set()
    for path in (root / "solutions").rglob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if "### BEGIN HIDDEN TESTS" in cell.source:
                block = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
                hidden |= {line.strip() for line in block.splitlines() if line.strip()}
    assert hidden, "the solutions have no hidden tests"
    for folder in ("exercises", "grading/feedback"):
        for path in (root / folder).rglob("*"):
            if path.suffix in (".ipynb", ".html"):
                text = notebook_text(path) if path.suffix == ".ipynb" else path.read_text()
                leaked = [line for line in hidden if line in text or "HIDDEN TESTS" in text]
                assert not leaked, f"{path.relative_to(root)} shows hidden tests: {leaked}"


def test_grade_writes_the_csvs_and_a_feedback_page_per_graded_submission(course):
    root = course["root"]
    rows = list(csv.DictReader(open(root / "grading" / "grades.csv")))
    graded = {r["student"] for r in course["rows"] if r["status"].startswith("graded")}
    assert set(STUDENTS) <= graded and {r["student_id"] for r in rows} >= graded
    for student in graded:
        assert list((root / "grading" / "feedback" / student).rglob("*.html")), student
    report = list(csv.DictReader(open(root / "grading" / "report.csv")))
    assert {r["status"] for r in report} >= {"not submitted"} and all(r["sandboxed"] == "yes" for r in report)


def test_a_rerun_keeps_hand_entered_grades_and_tells_removed_from_not_submitted(tmp_path):
    """Two students: one gets a hand-entered grade, the other's folder is removed; the second run keeps the grade,
    reports the removed one as removed, and the gradebook is backed up before each run."""
    copy_course(tmp_path)
    grade.generate(tmp_path)
    examples.write(root=tmp_path, faults=[Fault("01_conv1d", "flipped-kernel-01", "conv1d_loops",
                                                (("(window * weight[co])", "(window * weight[co].flip(-1))"),))])
    for folder in list((tmp_path / "submitted").iterdir()):
        if folder.name not in ("solution-01_conv1d", "flipped-kernel-01"):
            shutil.rmtree(folder)
    grade.grade(tmp_path, jobs=2, quiet=True)
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tmp_path / 'grading' / 'gradebook.db'}") as gradebook:  # as Formgrader would
        for student in ("solution-01_conv1d", "flipped-kernel-01"):
            gradebook.find_grade("flip_answer", "01_conv1d_exercises", "01_conv1d", student).manual_score = 1.5
        gradebook.db.commit()
    shutil.rmtree(tmp_path / "submitted" / "solution-01_conv1d")
    rows = {(r["student"], r["assignment"]): r for r in grade.grade(tmp_path, jobs=2, quiet=True)}
    removed, kept = rows["solution-01_conv1d", "01_conv1d"], rows["flipped-kernel-01", "01_conv1d"]
    assert removed["status"].startswith("removed") and removed["score"] == "9.5"  # its earlier 8 + the hand grade
    assert kept["score"] == "5.5" and "pending" not in kept["status"]  # 4 autograded + 1.5 by hand, nothing pending
    assert rows["flipped-kernel-01", "02_conv2d"]["status"] == "not submitted"
    backups = sorted((tmp_path / "grading" / "backups").glob("gradebook-*.db"))
    assert len(backups) == 2  # one per run (`make exercises` made the gradebook before the first)
    with sqlite3.connect(backups[-1]) as db:  # the second run's backup holds the hand-entered grades
        assert db.execute("SELECT count(*) FROM grade WHERE manual_score = 1.5").fetchone()[0] == 2


def test_make_grade_refuses_without_a_sandbox_and_says_how_to_opt_out(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "bubblewrap is not installed")
    with pytest.raises(grade.RunFailed, match="bubblewrap is not installed.*make grade UNSAFE=1"):
        grade.grade(tmp_path)
    monkeypatch.setattr(grade, "ROOT", tmp_path)
    assert grade.main([]) == 1
    assert "make grade UNSAFE=1" in capsys.readouterr().err


def test_a_damaged_gradebook_stops_the_run_before_anything_changes(tmp_path):
    (tmp_path / "grading").mkdir()
    (tmp_path / "grading" / "gradebook.db").write_bytes(b"SQLite format 3\x00" + b"garbage" * 500)
    with pytest.raises(grade.RunFailed, match="damaged"):
        grade.back_up_gradebook(tmp_path)
    assert not (tmp_path / "grading" / "backups").exists()


@pytest.mark.parametrize("memory, message", [("lots", "expected a size"), ("10M", "too small")])
def test_a_bad_memory_limit_is_refused_with_the_fix(memory, message):
    with pytest.raises(ValueError, match=message):
        sandbox.parse_size(memory)
