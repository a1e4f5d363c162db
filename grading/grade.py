"""`make grade`: autograde every submission in submitted/<student>/<assignment>/ with nbgrader.

Steps (all nbgrader's own commands, configured by nbgrader_config.py):
  1. generate_assignment for each assignment in solutions/ (records the source cells, points and hidden tests in
     the gradebook grading/gradebook.db; rewrites exercises/ byte-identically);
  2. autograde each assignment for every student who submitted it (grading/autograded/);
  3. generate_feedback: one HTML page per student and notebook, hidden tests left out (grading/feedback/);
  4. export: grading/grades.csv (one row per student and assignment) and grading/cells.csv (one row per graded cell).
"""
from __future__ import annotations

import csv
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
GRADING = ROOT / "grading"


def nbgrader(*arguments: str, root: pathlib.Path = ROOT, log_level: str = "WARN") -> None:
    """Run one nbgrader command in the course folder `root`, with this interpreter's bin/ on PATH (nbgrader's
    database commands shell out to alembic, which must be found there)."""
    bin_dir = str(pathlib.Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    command = [os.path.join(bin_dir, "nbgrader"), *arguments, f"--log-level={log_level}"]
    subprocess.run(command, cwd=root, env=env, check=True)


def assignments(root: pathlib.Path = ROOT) -> list[str]:
    """The assignments: the folders of solutions/ that hold a notebook."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def submitted(root: pathlib.Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def generate(root: pathlib.Path = ROOT) -> None:
    """`make exercises`: exercises/<assignment>/ from solutions/<assignment>/ for every assignment ("*")."""
    (root / "grading").mkdir(exist_ok=True)
    nbgrader("generate_assignment", "*", "--force", root=root, log_level="ERROR")


def grade(root: pathlib.Path = ROOT, regenerate: bool = True) -> None:
    if regenerate:
        generate(root)
    count = sum(len(submitted(root, a)) for a in assignments(root))
    print(f"autograding {count} submissions of {len(assignments(root))} assignments", flush=True)
    # ERROR: nbgrader warns "checksum ... has changed" for every test cell with hidden tests (it restores them, as it
    # should); a timeout is still reported. An edited test cell is marked in the feedback (grading/restore.py).
    nbgrader("autograde", "*", "--force", root=root, log_level="ERROR")
    nbgrader("generate_feedback", "*", "--force", root=root, log_level="ERROR")
    nbgrader("export", f"--to={root / 'grading' / 'grades.csv'}", root=root)
    write_cells_csv(root)


def cell_scores(root: pathlib.Path = ROOT) -> list[dict]:
    """Every autograded or manually graded cell of every submission: student, assignment, notebook, cell, score,
    max_score, needs_manual_grade."""
    import warnings

    from nbgrader.api import Gradebook

    rows = []
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'grading' / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes while walking nbgrader's relationships
        for assignment in gradebook.assignments:
            for submission in gradebook.assignment_submissions(assignment.name):
                for notebook in submission.notebooks:
                    for g in notebook.grades:
                        rows.append({"student": submission.student_id, "assignment": assignment.name,
                                     "notebook": notebook.name, "cell": g.name, "score": g.score,
                                     "max_score": g.max_score, "needs_manual_grade": g.needs_manual_grade})
    return sorted(rows, key=lambda r: (r["student"], r["assignment"], r["notebook"], r["cell"]))


def write_cells_csv(root: pathlib.Path = ROOT) -> None:
    rows = cell_scores(root)
    with open(root / "grading" / "cells.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote grading/grades.csv and grading/cells.csv ({len(rows)} graded cells); "
          f"feedback in grading/feedback/<student>/<assignment>/")


if __name__ == "__main__":
    generate() if sys.argv[1:] == ["--exercises"] else grade()
