"""A class on JupyterHub, end to end: `make hub`'s set-up (hub/classroom.py, hub/jupyterhub_config.py) on this
machine, driven through the hub's REST API and proxy, with nbgrader's exchange and the course's sandboxed grading.

One run (the module's fixture) makes a class of real Unix users (an instructor, three students, and one outsider who
is not in the class), starts the hub on 127.0.0.1, and then, as people would:
  - the students log in with their passwords; the admin token makes each user an API token and starts their server;
  - the instructor releases 01_conv1d (`nbgrader release_assignment`, typed in her JupyterLab terminal);
  - the students fetch it through nbgrader's Assignment List API in their own servers; ada saves the solution and
    submits it, ben saves a wrong answer (a flipped kernel) and submits it, cy submits nothing;
  - the students try to read each other's work and the instructor's solutions, as their own Unix user (files)
    and with their own token (other users' servers and the hub's API);
  - the instructor collects, grades with the course's grader (`python -m grading.grade`: every kernel in the
    bubblewrap sandbox) and releases feedback; each student fetches feedback;
  - the hub is stopped, nothing of the class may be left running, and the users are removed (userdel -r).
The tests then check what was seen. It needs root on Linux, node with `npm ci --prefix hub`, bubblewrap and the
instructor and hub extras; otherwise it skips, saying why, unless REQUIRE_HUB=1 (CI): then it fails.
"""
from __future__ import annotations

import csv
import io
import os
import pathlib
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hub"))

import classroom  # noqa: E402
from client import Hub  # noqa: E402

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

ASSIGNMENT = "01_conv1d"
NOTEBOOK = f"{ASSIGNMENT}_exercises.ipynb"
TEACHER, STUDENTS, OUTSIDER = "chub-teacher", ["chub-ada", "chub-ben", "chub-cy"], "chub-outsider"
ADA, BEN, CY = STUDENTS
WRONG = "flipped-kernel-01"  # ben's answer: the planted fault of grading/faults/ch01.py


def hub_skip_reason() -> str | None:
    """Why the hub test cannot run here, or None."""
    return classroom.unavailable_reason()


def as_user(user: str, *command: str) -> subprocess.CompletedProcess:
    """Run `command` as the Unix user `user` (their uid, gid and groups; no capabilities)."""
    entry = pwd.getpwnam(user)
    return subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                           "--reset-env", "--", *command], capture_output=True, text=True, cwd="/")


def free_port_base() -> int:
    """A port p with p, p+1 and p+2 free on 127.0.0.1 (the proxy, its API, the hub)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + 2 >= 65536:
            continue
        try:
            for port in (base, base + 1, base + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no three free ports in a row on 127.0.0.1")


def class_processes(users: list[str]) -> list[str]:
    """`uid args` of every process of the class's users, and any proxy or hub started from this state."""
    uids = {str(pwd.getpwnam(u).pw_uid) for u in users if classroom.ours(u)}
    out = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.split(None, 1)[0] in uids]


def remove_leftovers(users: list[str]) -> None:
    """A crashed earlier run may have left accounts of ours: end their processes and remove them."""
    for user in users:
        if classroom.ours(user):
            uid = pwd.getpwnam(user).pw_uid
            for pid in classroom.processes_of(uid):
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            subprocess.run(["userdel", "--remove", user], stderr=subprocess.DEVNULL)


def submission(fault_name: str | None) -> dict:
    """The notebook a student saves: the solution (fault_name None) or the solution with a planted fault."""
    from grading import examples
    from grading.faults import ALL, Fault
    release = nbformat.read(ROOT / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    fault = Fault(ASSIGNMENT, "solution", kind="mistake") if fault_name is None else \
        next(f for f in ALL if f.student == fault_name)
    return examples.plant(fault, release, solution)


def points(cells: tuple | None = None) -> float:
    """Autograded points of 01_conv1d's solution notebook (of the test cells `cells` only, when given)."""
    nb = nbformat.read(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    meta = [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    return sum(m["points"] for m in meta if c_is_auto(m) and (cells is None or m["grade_id"] in cells))


def c_is_auto(meta: dict) -> bool:
    return not meta.get("solution")  # a graded cell that is not a solution cell is a test cell (autograded)


def save(hub: Hub, user: str, token: str, path: str, nb) -> int:
    return hub.api("PUT", f"/user/{user}/api/contents/{path}", token=token,
                   body={"type": "notebook", "format": "json", "content": nb})[0]


def assignment_action(hub: Hub, user: str, token: str, action: str) -> tuple[int, object]:
    return hub.api("POST", f"/user/{user}/assignments/{action}", token=token,
                   body={"course_id": classroom.COURSE_ID, "assignment_id": ASSIGNMENT})


def listing(hub: Hub, user: str, token: str, path: str) -> list[str]:
    status, answer = hub.api("GET", f"/user/{user}/api/contents/{path}", token=token)
    return sorted(item["name"] for item in answer["content"]) if status == 200 else []


@pytest.fixture(scope="module")
def run() -> dict:
    reason = hub_skip_reason()
    if reason:
        if os.environ.get("REQUIRE_HUB", "") not in ("", "0"):
            pytest.fail(f"{reason}; REQUIRE_HUB=1 needs the hub test to run", pytrace=False)
        pytest.skip(reason)
    users = [TEACHER, *STUDENTS, OUTSIDER]
    remove_leftovers(users)
    base = pathlib.Path(tempfile.mkdtemp(prefix="course-hub-test-"))
    os.chmod(base, 0o711)
    state, exchange = base / "state", base / "exchange"
    passwords = {u: f"pw-{u}-{os.urandom(6).hex()}" for u in users}
    seen: dict = {"exchange": exchange, "passwords": passwords, "checkout_mode_before": stat.S_IMODE(ROOT.stat().st_mode)}
    hub = None
    try:
        info = classroom.up(state, exchange, TEACHER, STUDENTS, free_port_base(), passwords=passwords)
        classroom.make_user(OUTSIDER, passwords[OUTSIDER])  # a Unix user of the machine, not in the class
        seen["info"] = info
        hub = Hub(state)
        hub.start()
        seen["users_listed"] = sorted(u["name"] for u in hub.api("GET", "/hub/api/users")[1])
        # Logging in: the right password, a wrong one, and an account outside the class.
        seen["login"] = {u: hub.login(u, passwords[u]) for u in STUDENTS}
        seen["login_wrong_password"] = hub.login(ADA, passwords[BEN])
        seen["login_outsider"] = hub.login(OUTSIDER, passwords[OUTSIDER])
        tokens = {u: hub.token(u) for u in [TEACHER, *STUDENTS]}
        seen["spawn_seconds"] = {u: hub.start_server(u) for u in [TEACHER, *STUDENTS]}

        # The instructor releases the assignment, from her JupyterLab's terminal.
        seen["release"] = hub.terminal(TEACHER, tokens[TEACHER],
                                       f"cd ~/course && nbgrader release_assignment {ASSIGNMENT}")
        course_folder = exchange / classroom.COURSE_ID
        seen["exchange_modes"] = {name: mode(path) for name, path in (
            ("", exchange), ("course", course_folder), ("outbound", course_folder / "outbound"),
            ("inbound", course_folder / "inbound"))}

        # The students see it in their Assignment List, fetch it, save their answers and submit.
        seen["listed"] = {u: hub.api("GET", f"/user/{u}/assignments?course_id={classroom.COURSE_ID}",
                                     token=tokens[u])[1] for u in STUDENTS}
        seen["fetch"] = {u: assignment_action(hub, u, tokens[u], "fetch")[0] for u in STUDENTS}
        seen["fetched"] = {u: listing(hub, u, tokens[u], ASSIGNMENT) for u in STUDENTS}
        seen["saved"] = {ADA: save(hub, ADA, tokens[ADA], f"{ASSIGNMENT}/{NOTEBOOK}", submission(None)),
                         BEN: save(hub, BEN, tokens[BEN], f"{ASSIGNMENT}/{NOTEBOOK}", submission(WRONG))}
        seen["submit"] = {u: assignment_action(hub, u, tokens[u], "submit") for u in (ADA, BEN)}

        # What a student can reach of others' work, as their own Unix user and with their own token.
        ada_home, teacher_home = pwd.getpwnam(ADA).pw_dir, pwd.getpwnam(TEACHER).pw_dir
        seen["files_ben"] = {
            "ada's notebook": as_user(BEN, "cat", f"{ada_home}/{ASSIGNMENT}/{NOTEBOOK}"),
            "ada's home": as_user(BEN, "ls", ada_home),
            "the exchange's inbound": as_user(BEN, "ls", str(course_folder / "inbound")),
            "ada's submission by name": as_user(BEN, "sh", "-c",
                                               f"cat {course_folder}/inbound/{ADA}+{ASSIGNMENT}+*/{NOTEBOOK}"),
            "the instructor's solutions": as_user(BEN, "cat", f"{teacher_home}/course/solutions/{ASSIGNMENT}/{NOTEBOOK}"),
            "the checkout's solutions": as_user(BEN, "cat", str(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK)),
            "the checkout's git objects": as_user(BEN, "ls", str(ROOT / ".git" / "objects")),
        }
        seen["files_ben_own"] = {
            "his own notebook": as_user(BEN, "cat", f"{pwd.getpwnam(BEN).pw_dir}/{ASSIGNMENT}/{NOTEBOOK}"),
            "the released exercise": as_user(BEN, "cat", str(course_folder / "outbound" / ASSIGNMENT / NOTEBOOK)),
            "course_lib": as_user(BEN, os.path.join(sys.prefix, "bin", "python"), "-c",
                                  "import course_lib.naive; print('ok')"),
        }
        seen["hub_ben"] = {
            "ada's files": hub.api("GET", f"/user/{ADA}/api/contents/{ASSIGNMENT}", token=tokens[BEN])[0],
            "ada's notebook": hub.api("GET", f"/user/{ADA}/api/contents/{ASSIGNMENT}/{NOTEBOOK}",
                                      token=tokens[BEN])[0],
            "the instructor's solutions": hub.api(
                "GET", f"/user/{TEACHER}/api/contents/course/solutions/{ASSIGNMENT}/{NOTEBOOK}", token=tokens[BEN])[0],
            "a terminal in ada's server": hub.api("POST", f"/user/{ADA}/api/terminals", token=tokens[BEN])[0],
            "ada's user record": hub.api("GET", f"/hub/api/users/{ADA}", token=tokens[BEN])[0],
            "stopping ada's server": hub.api("DELETE", f"/hub/api/users/{ADA}/server", token=tokens[BEN])[0],
            "a token for ada": hub.api("POST", f"/hub/api/users/{ADA}/tokens", token=tokens[BEN], body={})[0],
            "the formgrader in his own server": hub.api("GET", f"/user/{BEN}/formgrader", token=tokens[BEN])[0],
        }
        seen["hub_ben_own"] = hub.api("GET", f"/user/{BEN}/api/contents/{ASSIGNMENT}", token=tokens[BEN])[0]

        # The instructor collects, grades in the sandbox and releases the feedback.
        seen["collect"] = hub.terminal(TEACHER, tokens[TEACHER], f"cd ~/course && nbgrader collect {ASSIGNMENT}")
        seen["collected"] = listing(hub, TEACHER, tokens[TEACHER], "course/submitted")
        seen["files_ben"]["ada's collected submission"] = as_user(
            BEN, "cat", f"{teacher_home}/course/submitted/{ADA}/{ASSIGNMENT}/{NOTEBOOK}")
        seen["grade"] = hub.terminal(TEACHER, tokens[TEACHER], "cd ~/course && python -m grading.grade", timeout=900)
        status, report = hub.api("GET", "/user/chub-teacher/api/contents/course/grading/report.csv?content=1&type=file",
                                 token=tokens[TEACHER])
        seen["report"] = list(csv.DictReader(io.StringIO(report["content"]))) if status == 200 else report
        seen["release_feedback"] = hub.terminal(TEACHER, tokens[TEACHER],
                                                f"cd ~/course && nbgrader release_feedback {ASSIGNMENT}")
        seen["files_ben"]["the exchange's feedback"] = as_user(BEN, "ls", str(course_folder / "feedback"))

        # Each student fetches feedback and reads what arrived in their home.
        seen["fetch_feedback"] = {u: assignment_action(hub, u, tokens[u], "fetch_feedback")[0] for u in STUDENTS}
        seen["feedback"] = {}
        for user in STUDENTS:
            pages = []
            for stamp in listing(hub, user, tokens[user], f"{ASSIGNMENT}/feedback"):
                for name in listing(hub, user, tokens[user], f"{ASSIGNMENT}/feedback/{stamp}"):
                    status, page = hub.api("GET", f"/user/{user}/api/contents/{ASSIGNMENT}/feedback/{stamp}/{name}"
                                                  "?content=1&type=file", token=tokens[user])
                    pages.append((name, page["content"] if status == 200 else status))
            seen["feedback"][user] = pages

        # The end: servers stopped through the API, then the hub; nothing of the class may still run.
        for user in [TEACHER, *STUDENTS]:
            hub.stop_server(user)
        seen["hub_exit"] = hub.stop()
        seen["left_running"] = class_processes(users)
        seen["hub_processes"] = [line for line in subprocess.run(["ps", "-eo", "args="], capture_output=True,
                                                                 text=True).stdout.splitlines()
                                 if str(state) in line or f"--port {info['port']}" in line]
    finally:
        if hub is not None:
            try:
                hub.stop()
            except RuntimeError:
                pass
            seen["hub_log"] = hub.log_tail(80)
        remove_leftovers([OUTSIDER])
        classroom.down(state)
        seen["users_after"] = [u for u in users if _exists(u)]
        seen["homes_after"] = [u for u in users if os.path.exists(f"/home/{u}")]
        seen["checkout_mode_after"] = stat.S_IMODE(ROOT.stat().st_mode)
        shutil.rmtree(base, ignore_errors=True)
    return seen


def mode(path: pathlib.Path) -> str | None:
    return oct(stat.S_IMODE(path.stat().st_mode)) if path.exists() else None


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def test_skip_reason_says_why(monkeypatch):
    """Without the proxy's npm packages the test says what to run (the same check make hub makes)."""
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("node") is None:
        pytest.skip("the reason checked here comes after the checks for Linux, root and node")
    monkeypatch.setattr(classroom, "ROOT", pathlib.Path("/nonexistent"))
    assert "npm ci --prefix hub" in classroom.unavailable_reason()


def test_hub_serves_the_class_on_loopback(run):
    assert run["info"]["port"] and run["users_listed"] == sorted([TEACHER, *STUDENTS])
    assert all(seconds > 0 for seconds in run["spawn_seconds"].values())


def test_students_log_in_with_their_password_only(run):
    assert run["login"] == {u: 302 for u in STUDENTS}, run.get("hub_log")
    assert run["login_wrong_password"] == 403
    assert run["login_outsider"] == 403  # a real Unix account with the right password, but not in the class


def test_instructor_releases_and_students_fetch(run):
    assert run["release"][0] == 0, run["release"][1]
    # nbgrader's own modes: the root 777 (sticky here), the course folder and outbound readable, inbound writable
    # and not listable by students (2733)
    assert run["exchange_modes"] == {"": "0o1777", "course": "0o755", "outbound": "0o755", "inbound": "0o2733"}
    for user in STUDENTS:
        assert run["listed"][user]["success"], run["listed"][user]
        assert [(a["assignment_id"], a["status"]) for a in run["listed"][user]["value"]] == [(ASSIGNMENT, "released")]
        assert run["fetch"][user] == 200
        assert run["fetched"][user] == [NOTEBOOK]


def test_two_students_submit(run):
    assert run["saved"] == {ADA: 200, BEN: 200}
    for user in (ADA, BEN):
        status, answer = run["submit"][user]
        assert status == 200 and answer["success"], answer
        assert any(a["status"] == "submitted" for a in answer["value"]), answer
    assert run["collect"][0] == 0, run["collect"][1]
    assert run["collected"] == [ADA, BEN]  # cy submitted nothing


def test_grading_ran_in_the_sandbox_with_the_expected_scores(run):
    assert run["grade"][0] == 0, run["grade"][1][-3000:]
    rows = {r["student"]: r for r in run["report"] if r["assignment"] == ASSIGNMENT}
    assert sorted(rows) == [ADA, BEN], run["report"]
    assert {r["sandboxed"] for r in rows.values()} == {"yes"}
    full = points()
    lost = points(next(f for f in __import__("grading.faults", fromlist=["ALL"]).ALL if f.student == WRONG).loses)
    assert 0 < lost < full
    assert float(rows[ADA]["score"]) == full and rows[ADA]["status"].startswith("graded"), rows[ADA]
    assert float(rows[BEN]["score"]) == full - lost and rows[BEN]["status"].startswith("graded"), rows[BEN]


def test_each_student_fetches_only_their_own_feedback(run):
    assert run["release_feedback"][0] == 0, run["release_feedback"][1]
    assert run["fetch_feedback"] == {u: 200 for u in STUDENTS}
    rows = {r["student"]: r for r in run["report"] if r["assignment"] == ASSIGNMENT}
    for user in (ADA, BEN):
        pages = run["feedback"][user]
        assert [name for name, _ in pages] == [NOTEBOOK.replace(".ipynb", ".html")], pages
        page = pages[0][1]
        score, max_score = float(rows[user]["score"]), float(rows[user]["max_score"])
        assert f"(Score: {score:.1f} / {max_score:.1f})" in page
        other = BEN if user == ADA else ADA
        assert f"(Score: {float(rows[other]['score']):.1f} / {max_score:.1f})" not in page
        assert "BEGIN HIDDEN TESTS" not in page
    assert run["feedback"][CY] == []


def test_students_cannot_reach_others_work_through_the_filesystem(run):
    for what, result in run["files_ben"].items():
        assert result.returncode != 0, f"ben could read {what}: {result.stdout[:200]}"
        assert "Permission denied" in result.stderr or "No such file" in result.stderr, (what, result.stderr)
    for what, result in run["files_ben_own"].items():  # the same commands do work where they should
        assert result.returncode == 0, f"ben could not read {what}: {result.stderr}"


def test_students_cannot_reach_others_work_through_the_hub(run):
    assert run["hub_ben_own"] == 200
    for what, status in run["hub_ben"].items():
        assert status in (403, 404), f"ben's token reached {what}: HTTP {status}"


def test_nothing_is_left_running_and_the_users_are_removed(run):
    assert run["hub_exit"] is not None
    assert run["left_running"] == [], run["left_running"]
    assert run["hub_processes"] == [], run["hub_processes"]
    assert run["users_after"] == [] and run["homes_after"] == []
    assert run["checkout_mode_after"] == run["checkout_mode_before"]  # the checkout's modes are put back
    assert not run["exchange"].exists()
