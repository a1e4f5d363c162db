"""`make grade`: grade every submission in submitted/<student>/<assignment>/, each on its own, in a sandbox.

    python -m grading.grade [--jobs N] [--memory 4G] [--unsafe]      # make grade [JOBS=N] [MEMORY=4G] [UNSAFE=1]
    python -m grading.grade --exercises                               # make exercises

Steps (nbgrader's own commands, configured by nbgrader_config.py):
  0. refuse to start, saying why, when no sandbox can be made (grading/sandbox.py), unless --unsafe; back up the
     gradebook (grading/backups/, the last 5 kept) and check that it is sound;
  1. generate_assignment for every assignment (records the source cells, points and hidden tests in the gradebook;
     written to a scratch folder, so grading never touches exercises/);
  2. for each submission, in parallel (`--jobs`, one per core by default): stage a clean copy of its notebooks
     (`stage`: an unreadable notebook, a pasted or renamed graded cell, a link or a stray file is dealt with here, and
     said), then `nbgrader autograde`, a few submissions per process (`grade_batch`), each notebook's kernel in its
     own sandbox and its test cells judged outside it (grading/execute.py). Whatever one submission does, the others
     are graded;
  3. generate_feedback: one HTML page per student and notebook, hidden tests left out (grading/feedback/);
  4. export: grading/grades.csv (nbgrader's: a row per student and assignment), grading/cells.csv (a row per graded
     cell), and the run report grading/report.csv (a row per student and assignment: score, max, points waiting for
     manual grading, and a status in words), which is also printed.
The exit status is non-zero only when the run as a whole could not proceed, never because of one student.
"""
from __future__ import annotations

import argparse
import ast
import concurrent.futures
import csv
import dataclasses
import datetime
import json
import os
import pathlib
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
BACKUPS_KEPT = 5
MAX_NOTEBOOK_BYTES = 20 * 2**20
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
CELL_LIMIT = 30  # seconds, as nbgrader_config.py's Execute.timeout
BATCH = 4  # submissions of one assignment per nbgrader process at most
STAGING = threading.Lock()


class RunFailed(Exception):
    """The run as a whole cannot proceed (no sandbox, no nbgrader, a damaged gradebook): say why and stop."""


# ---------------------------------------------------------------------------------------------------------------
# nbgrader's commands
# ---------------------------------------------------------------------------------------------------------------

def nbgrader_env() -> dict:
    """This interpreter's bin/ on PATH (nbgrader's database commands shell out to alembic, which must be found there);
    one thread per grader process, since the jobs already use every core."""
    bin_dir = str(pathlib.Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1",
            "PYTHONWARNINGS": "ignore"}


def nbgrader(*arguments: str, root: pathlib.Path = ROOT, log_level: str = "WARN", log=None,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder `root`; its output goes to `log` (a file) when given."""
    command = [os.path.join(os.path.dirname(sys.executable), "nbgrader"), *arguments, f"--log-level={log_level}"]
    if log is None:
        return subprocess.run(command, cwd=root, env=nbgrader_env(), check=True)
    return subprocess.run(command, cwd=root, env=nbgrader_env(), stdout=log, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False)


def assignments(root: pathlib.Path = ROOT) -> list[str]:
    """The assignments: the folders of solutions/ that hold a notebook."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def notebook_names(root: pathlib.Path, assignment: str) -> list[str]:
    return sorted(p.stem for p in (root / "solutions" / assignment).glob("*.ipynb"))


def generate(root: pathlib.Path = ROOT) -> None:
    """`make exercises`: exercises/<assignment>/ from solutions/<assignment>/ for every assignment ("*")."""
    (root / "grading").mkdir(exist_ok=True)
    nbgrader("generate_assignment", "*", "--force", root=root, log_level="ERROR")


# ---------------------------------------------------------------------------------------------------------------
# The gradebook: checked and backed up before anything else
# ---------------------------------------------------------------------------------------------------------------

def gradebook_path(root: pathlib.Path) -> pathlib.Path:
    return root / "grading" / "gradebook.db"


def back_up_gradebook(root: pathlib.Path) -> pathlib.Path | None:
    """Check that the gradebook is a sound SQLite database, copy it to grading/backups/ (keeping the last
    BACKUPS_KEPT copies) and return the copy; None when there is no gradebook yet."""
    path = gradebook_path(root)
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        verdict = str(error)
    if verdict != "ok":
        raise RunFailed(f"the gradebook {path} is damaged ({verdict}); nothing was changed. Restore the newest sound "
                        f"copy from {path.parent / 'backups'} (cp it to {path}) and run make grade again.")
    backups = root / "grading" / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    copy = backups / f"gradebook-{stamp}.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # a consistent copy even if another process has it open
    for old in sorted(backups.glob("gradebook-*.db"))[:-BACKUPS_KEPT]:
        old.unlink()
    return copy


# ---------------------------------------------------------------------------------------------------------------
# Staging: a clean copy of one submission for nbgrader
# ---------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Staged:
    """What staging one submission found: `problem` (it cannot be graded, in words) and `notes` (what was mended)."""
    problem: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)


def _read_regular(path: pathlib.Path, limit: int) -> bytes:
    """The bytes of a regular file, not following a link (a submission's folder is the student's)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > limit:
            raise ValueError(f"{info.st_size / 2**20:.0f} MB, over the {limit / 2**20:.0f} MB limit")
        return f.read(limit + 1)


def source_cells(root: pathlib.Path, assignment: str, notebook: str) -> dict[str, str]:
    """grade_id -> cell type of the instructor's notebook (solutions/)."""
    import nbformat
    nb = nbformat.read(root / "solutions" / assignment / f"{notebook}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.cell_type for c in nb.cells
            if "grade_id" in c.metadata.get("nbgrader", {})}


def mend(nb, known: dict[str, str]) -> list[str]:
    """Make a submitted notebook's nbgrader metadata safe to grade, in place; returns what was done, in words.

    A cell whose grade_id the instructor's notebook does not have (renamed, or an extra graded cell) and every copy
    of a grade_id but the last (a pasted cell: JupyterLab copies its metadata; the last copy runs after everything
    it needs, and is the student's latest answer) lose their nbgrader metadata and run as ordinary cells. nbgrader
    then restores test cells from the gradebook and adds back missing ones."""
    notes, last = [], {}
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(gid, str) or gid not in known:
            notes.append(f"cell {index + 1} had grading metadata for an unknown cell {gid!r} (renamed or added): "
                         f"run as an ordinary cell")
            del cell.metadata["nbgrader"]
        else:
            last[gid] = index
    for index, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid is not None and last[gid] != index:
            notes.append(f"cell {index + 1} was a copy of the graded cell {gid!r}: run as an ordinary cell")
            del cell.metadata["nbgrader"]
    return notes


PATCHABLE = {"torch", "F", "nn", "functional", "checks", "core", "calls", "cases", "mistakes", "reference", "record",
             "course_lib", "builtins", "naive", "vectorised", "np", "numpy", "sys", "os", "importlib"}
GRADER_NAMES = {"setprofile", "settrace", "_disable_torch_function", "DisableTorchFunction",
                "DisableTorchFunctionSubclass", "TorchFunctionMode", "_pop_mode", "_push_mode", "COURSE_CHECKS_RECORD",
                "Recording", "Replay", "_exit", "__builtins__", "allowing_course_lib", "_COURSE_ALLOWED"}


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def review_flags(nb) -> list[str]:
    """What in a submission's code cells an instructor should look at: assignments to attributes of torch, the checks,
    builtins and other modules (monkeypatching), and names of the machinery the checks rely on. The score does not
    depend on them (the judge is outside the sandbox); they say where a submission tried."""
    flags = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        found = set()
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and _dotted(target).split(".")[0] in PATCHABLE:
                    found.add(f"assigns {_dotted(target)}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                    and node.args and _dotted(node.args[0]).split(".")[0] in PATCHABLE:
                found.add(f"calls {node.func.id} on {_dotted(node.args[0])}")
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name in GRADER_NAMES:
                found.add(f"uses {name}")
        flags += [f"review: cell {index + 1} {what}" for what in sorted(found)]
    return flags


def stage(root: pathlib.Path, staging: pathlib.Path, student: str, assignment: str) -> Staged:
    """Copy the submission's notebooks (and timestamp) to staging/<student>/<assignment>/, mended; nothing else is
    copied, no link is followed."""
    import nbformat
    result = Staged()
    source = root / "submitted" / student / assignment
    target = staging / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    expected = notebook_names(root, assignment)
    present = {p.name for p in source.iterdir()}
    for name in expected:
        path = source / f"{name}.ipynb"
        if f"{name}.ipynb" not in present:
            result.missing.append(f"{name}.ipynb")
            continue
        try:
            raw = _read_regular(path, MAX_NOTEBOOK_BYTES)
        except (OSError, ValueError) as error:
            result.problem = f"{name}.ipynb cannot be read: {error}"
            return result
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            result.problem = f"{name}.ipynb is not a notebook: it is not valid JSON ({error})"
            return result
        try:
            if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
                raise ValueError("it has no list of cells")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nbformat's notes on missing cell ids: it adds them
                nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
                nbformat.validate(nb)
        except Exception as error:  # noqa: BLE001 - any way a notebook can be malformed is reported in words
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            result.problem = f"{name}.ipynb is not a valid notebook ({first[:200]})"
            return result
        result.notes += mend(nb, source_cells(root, assignment, name)) + review_flags(nb)
        nbformat.write(nb, target / f"{name}.ipynb")
    if len(result.missing) == len(expected):
        result.problem = "the submission folder holds none of the assignment's notebooks (" + ", ".join(expected) + ")"
        return result
    # nbgrader's exchange writes these two beside the notebooks; release_feedback needs the secret (it names the
    # student's feedback file, so that each student can fetch only their own)
    kept = ("timestamp.txt", "submission_secret.txt")
    extra = sorted(present - {f"{n}.ipynb" for n in expected} - set(kept))
    if extra:
        result.notes.append(f"{len(extra)} other file(s) in the submission were not used: {', '.join(extra[:5])}")
    for name in kept:
        if name in present:
            try:
                text = _read_regular(source / name, 200).decode("utf-8", errors="replace").strip()
                (target / name).write_text(text)
            except (OSError, ValueError):
                result.notes.append(f"{name} was not a small regular file: ignored")
    return result


# ---------------------------------------------------------------------------------------------------------------
# One submission, graded on its own
# ---------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    """How grading one submission went; kept in grading/run/<student>/<assignment>/outcome.json for the report."""
    student: str
    assignment: str
    graded: bool
    problem: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def save(self, root: pathlib.Path) -> None:
        folder = root / "grading" / "run" / self.student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "outcome.json").write_text(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def load(cls, root: pathlib.Path, student: str, assignment: str) -> "Outcome | None":
        path = root / "grading" / "run" / student / assignment / "outcome.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None


def grade_batch(root: pathlib.Path, batch: list[str], assignment: str, options: argparse.Namespace,
                name: str) -> list[Outcome]:
    """Stage and autograde a few submissions of one assignment in one nbgrader process (its start-up, about 6 s, is
    paid once); each is judged on its own and never raises for a student's doing. A submission nbgrader could not
    finish is reported with the reason from the log; when the whole process had to be stopped, the submissions it
    had not finished are graded again one by one."""
    started = time.monotonic()
    staging = root / "grading" / "staging" / name
    shutil.rmtree(staging, ignore_errors=True)
    outcomes, staged = {}, {}
    for student in batch:
        shutil.rmtree(root / "grading" / "run" / student / assignment, ignore_errors=True)
        with STAGING:  # one at a time: CPython 3.11's ast.parse is not safe in threads (gh-106905), and it is quick
            result = stage(root, staging, student, assignment)
        outcomes[student] = Outcome(student, assignment, graded=False, problem=result.problem,
                                    notes=result.notes + [f"{m} was not submitted (scored 0)" for m in result.missing])
        if not result.problem:
            staged[student] = [n for n in notebook_names(root, assignment) if f"{n}.ipynb" not in result.missing]
    if staged:
        log_path = _log(root, name)
        cells = sum(len(source_cells(root, assignment, n)) for n in notebook_names(root, assignment))
        limit = 60 + len(staged) * (60 + 2 * CELL_LIMIT * (cells + 4))  # start-ups, every cell interrupted twice
        arguments = ["autograde", assignment, "--student=*", "--force",
                     f"--CourseDirectory.submitted_directory={staging}",
                     f"--SandboxKernelManager.sandboxed={not options.unsafe}",
                     f"--SandboxKernelManager.memory_limit={options.memory}"]
        with open(log_path, "w") as log:
            try:
                stopped = nbgrader(*arguments, root=root, log_level="ERROR", log=log, timeout=limit).returncode < 0
            except subprocess.TimeoutExpired:
                stopped = True
                log.write(f"\nstopped: grading these submissions took longer than {limit} s\n")
        text = log_path.read_text(errors="replace")
        for student, notebooks in staged.items():
            done = all((root / "grading" / "autograded" / student / assignment / f"{n}.ipynb").exists() and
                       (root / "grading" / "run" / student / assignment / f"{n}.json").exists() for n in notebooks)
            if done:
                outcomes[student].graded = True
            elif stopped and len(batch) > 1:
                outcomes[student] = grade_batch(root, [student], assignment, options, f"{name}-{student}")[0]
            else:
                outcomes[student].problem = "nbgrader could not grade it: " + _reason(text, student)
    shutil.rmtree(staging, ignore_errors=True)
    seconds = (time.monotonic() - started) / len(batch)
    for outcome in outcomes.values():
        outcome.seconds = outcome.seconds or seconds
        outcome.save(root)
    return list(outcomes.values())


def _reason(log: str, student: str | None = None) -> str:
    """The most telling line of a failed nbgrader run's log (of the part about `student`, when given)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    if student is not None:
        mine = [i for i, line in enumerate(lines) if f"/{student}/" in line or f"'{student}'" in line]
        if mine:
            lines = lines[mine[0]:mine[-1] + 1]
    for line in reversed(lines):
        if line.startswith("stopped:"):
            return line[len("stopped: "):]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line)]
    if errors:
        return errors[-1][:300]
    return (lines[-1] if lines else "no message")[:300]


# ---------------------------------------------------------------------------------------------------------------
# The run report
# ---------------------------------------------------------------------------------------------------------------

def gradebook_scores(root: pathlib.Path) -> dict[tuple[str, str], dict]:
    """(student, assignment) -> score, max_score, pending (points of cells waiting for manual grading)."""
    import warnings

    from nbgrader.api import Gradebook

    scores = {}
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{gradebook_path(root)}") as gradebook:
        warnings.simplefilter("ignore")
        for assignment in gradebook.assignments:
            for submission in gradebook.assignment_submissions(assignment.name):
                pending = sum(g.max_score for nb in submission.notebooks for g in nb.grades
                              if g.needs_manual_grade and g.manual_score is None)
                scores[submission.student_id, assignment.name] = {
                    "score": submission.score, "max_score": submission.max_score, "pending": pending}
    return scores


def notebook_status(root: pathlib.Path, student: str, assignment: str) -> dict:
    """What SandboxedExecute wrote about each notebook of the submission, merged."""
    merged = {"timed_out": [], "kernel_stopped": [], "not_run": [], "not_judgeable": []}
    for path in sorted((root / "grading" / "run" / student / assignment).glob("*.json")):
        if path.name == "outcome.json":
            continue
        data = json.loads(path.read_text())
        for key in merged:
            value = data.get(key)
            merged[key] += value if isinstance(value, list) else [value] if value else []
    return merged


def status_words(outcome: Outcome | None, score: dict | None, status: dict) -> str:
    """The report's status, in words."""
    if outcome is None:
        return "removed: no submission now; the gradebook keeps its earlier grades" if score else "not submitted"
    if not outcome.graded:
        return f"could not be graded: {outcome.problem}"
    parts = ["graded"]
    if status["timed_out"]:
        parts.append(f"cells timed out (over {CELL_LIMIT} s): {', '.join(status['timed_out'])}")
    if status["kernel_stopped"]:
        parts.append(f"the kernel stopped in {', '.join(status['kernel_stopped'])}; later cells not run")
    if status["not_judgeable"]:
        parts.append(f"cells the grader cannot judge: {', '.join(status['not_judgeable'])}")
    if score and score["pending"]:
        parts.append(f"written answers pending manual grading ({score['pending']:g} points)")
    if any(note.startswith("review:") for note in outcome.notes):
        parts.append("flagged for review (its code patches modules or the checks' machinery: see notes)")
    return "; ".join(parts)


def write_report(root: pathlib.Path, unsafe: bool) -> list[dict]:
    """The run report from the gradebook and what grading each submission of submitted/ left in grading/run/."""
    scores = gradebook_scores(root)
    found, refused = submissions(root)
    outcomes = refused + [Outcome.load(root, s, a) or Outcome(s, a, False, problem="not graded yet (run make grade)")
                          for s, a in found]
    done = {(o.student, o.assignment): o for o in outcomes}
    students = sorted({s for s, _ in scores} | {o.student for o in outcomes})
    rows = []
    for student in students:
        for assignment in assignments(root):
            outcome, score = done.get((student, assignment)), scores.get((student, assignment))
            status = notebook_status(root, student, assignment) if outcome and outcome.graded else {
                "timed_out": [], "kernel_stopped": [], "not_run": [], "not_judgeable": []}
            graded = outcome is not None and outcome.graded
            rows.append({
                "student": student, "assignment": assignment,
                "score": f"{score['score']:g}" if score and (graded or outcome is None) else "",
                "max_score": f"{score['max_score']:g}" if score else "",
                "pending_manual": f"{score['pending']:g}" if score and graded else "",
                "status": status_words(outcome, score, status),
                "notes": " | ".join(outcome.notes) if outcome else "",
                "sandboxed": "no (UNSAFE)" if unsafe else "yes",
            })
    with open(root / "grading" / "report.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def print_report(rows: list[dict], unsafe: bool, seconds: float | None = None, jobs: int | None = None) -> None:
    shown = [r for r in rows if r["status"] != "not submitted"]
    width = max([len(r["student"]) for r in shown] + [7])
    print(f"\n{'student':<{width}}  {'assignment':<22} {'score':>11}  status")
    for r in shown:
        score = f"{r['score'] or '–'} / {r['max_score'] or '–'}"
        print(f"{r['student']:<{width}}  {r['assignment']:<22} {score:>11}  {r['status']}")
    counts: dict[str, int] = {}
    for r in rows:
        key = r["status"].split(":")[0].split(";")[0]
        counts[key] = counts.get(key, 0) + 1
    print("\n" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + f" ({len(rows)} student × assignment)")
    timing = f"graded in {seconds:.0f} s with {jobs} job(s); " if seconds is not None else ""
    print(timing + ("NOT SANDBOXED (UNSAFE=1): student code ran with your rights" if unsafe
                    else "every kernel in the sandbox"))
    print("wrote grading/report.csv, grading/grades.csv, grading/cells.csv; feedback in grading/feedback/; "
          "nbgrader's logs in grading/logs/")


# ---------------------------------------------------------------------------------------------------------------
# The whole run
# ---------------------------------------------------------------------------------------------------------------

def submissions(root: pathlib.Path) -> tuple[list[tuple[str, str]], list[Outcome]]:
    """(student, assignment) of every submission folder, and the ones refused by name."""
    found, refused = [], []
    known = set(assignments(root))
    folder = root / "submitted"
    if not folder.is_dir():
        return found, refused
    for student_dir in sorted(folder.iterdir()):
        if not student_dir.is_dir() or student_dir.is_symlink() or student_dir.name.startswith("."):
            continue
        for assignment_dir in sorted(student_dir.iterdir()):
            if assignment_dir.name not in known or not assignment_dir.is_dir():
                continue
            if assignment_dir.is_symlink():
                refused.append(Outcome(student_dir.name, assignment_dir.name, False,
                                       problem="the submission folder is a link, not a folder"))
            elif not STUDENT_ID.match(student_dir.name):
                refused.append(Outcome(student_dir.name, assignment_dir.name, False,
                                       problem="the student folder's name is not a valid student ID"))
            else:
                found.append((student_dir.name, assignment_dir.name))
    return found, refused


class Progress:
    """One line that fills as submissions are graded (on a terminal); a line per tenth otherwise."""

    def __init__(self, total: int):
        self.total, self.done, self.lock = total, 0, threading.Lock()
        self.tty = sys.stdout.isatty()
        self.started = time.monotonic()

    def step(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            elapsed = time.monotonic() - self.started
            bar = "#" * (30 * self.done // max(self.total, 1))
            line = (f"[{bar:<30}] {self.done}/{self.total} graded, {elapsed:.0f} s"
                    f"  ({outcome.student} {outcome.assignment}: {'ok' if outcome.graded else 'could not be graded'})")
            if self.tty:
                print("\r" + line[:150].ljust(150), end="", flush=True)
            elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
                print(line, flush=True)
        if self.tty and self.done == self.total:
            print()


def prepare(root: pathlib.Path, unsafe: bool = False, memory: str = "4G") -> None:
    """Before grading: a sandbox can be made (or --unsafe), the gradebook is sound and backed up, and every
    assignment is recorded in it (generate_assignment into a scratch folder: exercises/ is never written)."""
    from grading import sandbox
    sandbox.parse_size(memory)
    reason = sandbox.unavailable_reason()
    if reason and not unsafe:
        raise RunFailed(f"no grading sandbox can be made here: {reason}. Student code is untrusted, so make grade "
                        f"refuses to run it without one. To grade anyway, with student code running with your rights, "
                        f"run: make grade UNSAFE=1")
    (root / "grading").mkdir(exist_ok=True)
    back_up_gradebook(root)
    with tempfile.TemporaryDirectory(prefix="course-release-") as release, open(_log(root, "generate"), "w") as log:
        done = nbgrader("generate_assignment", "*", "--force", f"--CourseDirectory.release_directory={release}",
                        root=root, log_level="ERROR", log=log)
    if done.returncode != 0:
        raise RunFailed("nbgrader could not record the assignments in the gradebook (generate_assignment failed: "
                        f"{_reason(_log(root, 'generate').read_text())}); see grading/logs/generate.log")


def grade_all(root: pathlib.Path, jobs: int, unsafe: bool = False, memory: str = "4G", students=None,
              quiet: bool = False) -> list[Outcome]:
    """Grade every submission (or only those of `students`), `jobs` at a time."""
    found, refused = submissions(root)
    if students:
        found = [(s, a) for s, a in found if s in students]
    for outcome in refused:
        outcome.save(root)
    options = argparse.Namespace(unsafe=unsafe, memory=memory)
    if not quiet:
        print(f"grading {len(found)} submissions with {jobs} job(s)"
              + ("" if not unsafe else " WITHOUT a sandbox (UNSAFE=1)"), flush=True)
    progress = Progress(len(found)) if not quiet else None
    by_assignment: dict[str, list[str]] = {}
    for student, assignment in found:
        by_assignment.setdefault(assignment, []).append(student)
    size = max(1, min(BATCH, -(-len(found) // (2 * jobs))))  # at least two batches a job, to keep every core busy
    batches = [(students[i:i + size], assignment) for assignment, students in sorted(by_assignment.items())
               for i in range(0, len(students), size)]
    outcomes = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_batch, root, students, assignment, options, f"batch-{k}"): (students, assignment)
                   for k, (students, assignment) in enumerate(batches)}
        for future in concurrent.futures.as_completed(futures):
            try:
                batch = future.result()
            except Exception as error:  # noqa: BLE001 - a bug of ours must not stop the class: say so for these
                students, assignment = futures[future]
                batch = [Outcome(s, assignment, False, problem=f"the grader failed on it ({type(error).__name__}: "
                                                                f"{error}); please report this") for s in students]
                for outcome in batch:
                    outcome.save(root)
            for outcome in batch:
                outcomes.append(outcome)
                if progress:
                    progress.step(outcome)
    return outcomes


def finish(root: pathlib.Path, unsafe: bool = False) -> list[dict]:
    """After grading: feedback for every assignment with graded submissions, the CSVs and the run report."""
    graded = sorted({p.name for p in (root / "grading" / "autograded").glob("*/*") if p.is_dir()})
    with open(_log(root, "feedback"), "w") as log:
        for assignment in graded:
            nbgrader("generate_feedback", assignment, "--force", root=root, log_level="ERROR", log=log)
    with open(_log(root, "export"), "w") as log:
        nbgrader("export", f"--to={root / 'grading' / 'grades.csv'}", root=root, log_level="ERROR", log=log)
    write_cells_csv(root)
    return write_report(root, unsafe)


def grade(root: pathlib.Path = ROOT, jobs: int | None = None, unsafe: bool = False, memory: str = "4G",
          quiet: bool = False) -> list[dict]:
    """`make grade`: prepare, grade every submission, finish; return the report's rows. Raises RunFailed when the
    run as a whole cannot proceed."""
    started = time.monotonic()
    jobs = jobs or os.cpu_count() or 1
    prepare(root, unsafe, memory)
    grade_all(root, jobs, unsafe, memory, quiet=quiet)
    rows = finish(root, unsafe)
    if not quiet:
        print_report(rows, unsafe, time.monotonic() - started, jobs)
    return rows


def _log(root: pathlib.Path, name: str) -> pathlib.Path:
    (root / "grading" / "logs").mkdir(parents=True, exist_ok=True)
    return root / "grading" / "logs" / f"{name}.log"


def cell_scores(root: pathlib.Path = ROOT) -> list[dict]:
    """Every autograded or manually graded cell of every submission: student, assignment, notebook, cell, score,
    max_score, needs_manual_grade."""
    import warnings

    from nbgrader.api import Gradebook

    rows = []
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{gradebook_path(root)}") as gradebook:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade every submission in submitted/, each in a sandbox.")
    parser.add_argument("--exercises", action="store_true", help="only regenerate exercises/ from solutions/")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 0) or None,
                        help="sandboxes at once (default: one per core; or JOBS=n)")
    parser.add_argument("--memory", default=os.environ.get("MEMORY") or "4G",
                        help="each kernel's memory limit (default 4G; or MEMORY=...)")
    parser.add_argument("--unsafe", action="store_true", default=os.environ.get("UNSAFE", "") not in ("", "0"),
                        help="grade without a sandbox where none can be made (or UNSAFE=1)")
    parser.add_argument("--step", choices=("all", "prepare", "grade", "finish"), default="all",
                        help="one step only, for grading on several machines (docs/grading.md)")
    parser.add_argument("--students", default="", help="with --step grade: only these students (comma-separated)")
    args = parser.parse_args(argv)
    if args.exercises:
        generate()
        return 0
    if args.jobs is not None and args.jobs < 1:
        print(f"make grade: JOBS must be a positive number of sandboxes, got {args.jobs}", file=sys.stderr)
        return 2
    try:
        if args.step == "all":
            grade(ROOT, jobs=args.jobs, unsafe=args.unsafe, memory=args.memory)
        elif args.step == "prepare":
            prepare(ROOT, args.unsafe, args.memory)
        elif args.step == "grade":
            students = {s for s in args.students.split(",") if s}
            grade_all(ROOT, args.jobs or os.cpu_count() or 1, args.unsafe, args.memory, students=students)
        else:
            print_report(finish(ROOT, args.unsafe), args.unsafe)
    except (RunFailed, ValueError) as error:
        print(f"make grade: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
