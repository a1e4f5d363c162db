"""`make hub`'s set-up of a class on this machine, run as root: Unix users, nbgrader's exchange, the instructor's course.

    python hub/classroom.py up   [--state build/hub] [--exchange /srv/nbgrader/exchange]
                                 [--instructor instructor] [--students student1,student2,student3]
    python hub/classroom.py down [--state build/hub]      # undoes `up`: users (userdel -r), exchange, modes, state

`up` makes, and writes into `<state>/class.json` (read by hub/jupyterhub_config.py):
  - a Unix user for the instructor and for each student (`useradd --create-home`, home mode 0700, a random password
    set with chpasswd and written to `<state>/passwords.txt`, mode 0600); each account carries the comment MARK, and
    only accounts with that comment are ever reused or removed;
  - nbgrader's exchange: the root mode 1777 and owned by root (nbgrader's release_assignment asks for 777; the sticky
    bit keeps anyone but its owner from renaming or deleting the course's folder), and the course's folder in it
    made now, owned by the instructor, 0755, so that no student can create it first; nbgrader itself then makes
    outbound/ (0755), inbound/ (2733: students write, cannot list) and feedback/ (0711) when the instructor
    releases;
  - the instructor's course folder, ~instructor/course (the config, solutions/, exercises/ and grading/'s code:
    the same copy `make grade`'s tests grade in), owned by the instructor;
  - each user's ~/.jupyter/nbgrader_config.py (course id, exchange) and, for students, the formgrader turned off;
  - the users' way to the hub's Python: every folder above this interpreter and above the checkout gets o+x
    (traverse, never list), and in the checkout itself only .venv/ and course_lib/ stay open to other users; the
    rest (solutions/, submitted/, grading/, .git/, ...) is closed to them (o-rwx). `down` puts every mode back.
An admin token for the hub's API (the `course-admin` service) is written to `<state>/admin-token` (0600).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import pwd
import secrets
import shutil
import stat
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARK = "convolution course hub"  # the comment (GECOS) of every account this script makes
COURSE_ID = "convolutions-in-pytorch"  # nbgrader_config.py's CourseDirectory.course_id
OPEN = {".venv", "course_lib"}  # what the users' servers need of the checkout


def unavailable_reason() -> str | None:
    """Why a class cannot be set up on this machine, in words; None when it can."""
    if sys.platform != "linux":
        return f"a class on JupyterHub is set up on Linux; this is {sys.platform}"
    if os.geteuid() != 0:
        return "the hub makes Unix users and runs each user's server as that user: run it as root"
    for tool in ("useradd", "userdel", "chpasswd"):
        if shutil.which(tool) is None:
            return f"`{tool}` (Debian's passwd package) is not installed"
    if shutil.which("node") is None:
        return "node is not installed (JupyterHub's proxy, configurable-http-proxy, runs on node)"
    if not (ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return "configurable-http-proxy is not installed: run `npm ci --prefix hub` (make hub does)"
    try:
        import jupyterhub  # noqa: F401
        import nbgrader  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed in {sys.prefix}: run `make hub` (it installs the hub and instructor extras)"
    from grading import sandbox
    reason = sandbox.unavailable_reason()
    return f"the grading sandbox cannot be made: {reason}" if reason else None


# ---------------------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------------------

def ours(name: str) -> bool:
    """Whether the account `name` exists and was made by this script."""
    try:
        return pwd.getpwnam(name).pw_gecos == MARK
    except KeyError:
        return False


def make_user(name: str, password: str) -> pwd.struct_passwd:
    """A Unix user with its own home (0700) and this password; an account of ours is reused, anyone else's refused."""
    try:
        existing = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", "--comment", MARK, name],
                       check=True)
    else:
        if existing.pw_gecos != MARK:
            raise SystemExit(f"hub/classroom.py: the user {name!r} exists and was not made for the hub "
                             f"(comment {existing.pw_gecos!r}); pick other names (--instructor, --students)")
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    user = pwd.getpwnam(name)
    os.chmod(user.pw_dir, 0o700)
    return user


def processes_of(uid: int) -> list[int]:
    """The processes running as `uid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except FileNotFoundError:
                continue
    return found


def remove_user(name: str) -> None:
    """userdel --remove (home and mail spool) for an account of ours; refuses while it still runs processes."""
    if not ours(name):
        return
    uid = pwd.getpwnam(name).pw_uid
    left = processes_of(uid)
    if left:
        raise RuntimeError(f"{name} still runs processes {left}: stop the hub first")
    subprocess.run(["userdel", "--remove", name], check=True, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------------------------
# Modes: what other users may reach
# ---------------------------------------------------------------------------------------------------------------

def _set_mode(path: pathlib.Path, mode: int, changed: dict) -> None:
    old = stat.S_IMODE(path.lstat().st_mode)
    if old != mode:
        changed.setdefault(str(path), old)
        os.chmod(path, mode)


def open_for_users(changed: dict) -> None:
    """Other users may reach this Python and the checkout: o+x on every folder above them (traverse, never list);
    in the checkout only OPEN stays readable, the rest is closed to other users (o-rwx)."""
    targets = [pathlib.Path(os.path.realpath(sys.base_prefix)), pathlib.Path(os.path.realpath(sys.prefix)), ROOT]
    for target in targets:
        for folder in reversed(target.parents):
            mode = stat.S_IMODE(folder.stat().st_mode)
            if not mode & stat.S_IXOTH:
                _set_mode(folder, mode | stat.S_IXOTH, changed)
    _set_mode(ROOT, (stat.S_IMODE(ROOT.stat().st_mode) & ~0o006) | 0o001, changed)
    for entry in ROOT.iterdir():
        if entry.name not in OPEN and not entry.is_symlink():
            _set_mode(entry, stat.S_IMODE(entry.lstat().st_mode) & ~0o007, changed)


def restore_modes(changed: dict) -> None:
    for path, mode in changed.items():
        if os.path.lexists(path):
            os.chmod(path, mode)


# ---------------------------------------------------------------------------------------------------------------
# The class
# ---------------------------------------------------------------------------------------------------------------

def nbgrader_config(exchange: pathlib.Path) -> str:
    return (f"# Written by hub/classroom.py: the course and nbgrader's exchange on this hub.\n"
            f"c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n")


def write_owned(path: pathlib.Path, text: str, user: pwd.struct_passwd, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chown(path.parent, user.pw_uid, user.pw_gid)
    path.write_text(text)
    os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, mode)


def chown_tree(top: pathlib.Path, user: pwd.struct_passwd) -> None:
    for folder, dirs, files in os.walk(top):
        for name in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
            os.lchown(name, user.pw_uid, user.pw_gid)


def copy_course(target: pathlib.Path, user: pwd.struct_passwd) -> None:
    """The instructor's course folder: what `make grade` grades in (grading.examples.copy_course) and exercises/."""
    from grading import examples
    if target.exists():
        return  # the instructor's own work (gradebook, submissions) is kept
    target.mkdir()
    examples.copy_course(target)
    shutil.copytree(ROOT / "exercises", target / "exercises")
    chown_tree(target, user)
    os.chmod(target, 0o700)


def up(state: pathlib.Path, exchange: pathlib.Path, instructor: str, students: list[str], port: int = 8000,
       passwords: dict | None = None) -> dict:
    """Set the class up (see the module's docstring); returns what class.json holds. `passwords`: name -> password
    (random ones otherwise)."""
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"hub/classroom.py: {reason}")
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    path = state / "class.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    changed = old.get("modes", {})
    open_for_users(changed)
    passwords = dict(passwords or {})
    for name in [instructor, *students]:
        passwords.setdefault(name, secrets.token_urlsafe(12))
    users = {name: make_user(name, passwords[name]) for name in [instructor, *students]}
    teacher = users[instructor]
    made_exchange = old.get("made_exchange", not exchange.exists())
    exchange.mkdir(parents=True, exist_ok=True)
    os.chown(exchange, 0, 0)
    os.chmod(exchange, 0o1777)
    course_folder = exchange / COURSE_ID
    course_folder.mkdir(exist_ok=True)
    os.chown(course_folder, teacher.pw_uid, teacher.pw_gid)
    os.chmod(course_folder, 0o755)
    course = pathlib.Path(teacher.pw_dir) / "course"
    copy_course(course, teacher)
    for name, user in users.items():
        # a terminal in JupyterLab is a login shell, whose /etc/profile resets PATH: put the course's first
        profile = pathlib.Path(user.pw_dir) / ".profile"
        line = f'PATH="{pathlib.Path(sys.prefix) / "bin"}:$PATH"  # the course\'s environment (hub/classroom.py)\n'
        text = profile.read_text() if profile.exists() else ""
        if line not in text:
            write_owned(profile, text + line, user)
        jupyter = pathlib.Path(user.pw_dir) / ".jupyter"
        write_owned(jupyter / "nbgrader_config.py", nbgrader_config(exchange)
                    + (f"c.CourseDirectory.root = {str(course)!r}\n" if name == instructor else ""), user)
        if name != instructor:  # students get the Assignment List, not the instructor's Formgrader
            write_owned(jupyter / "jupyter_server_config.json", json.dumps(
                {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}, indent=1),
                user)
    token_file = state / "admin-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_hex(32))
    os.chmod(token_file, 0o600)
    with open(state / "passwords.txt", "w") as f:
        os.chmod(f.name, 0o600)
        f.writelines(f"{name} {passwords[name]}\n" for name in users)
    info = {"instructor": instructor, "students": students, "exchange": str(exchange), "course": str(course),
            "course_id": COURSE_ID, "port": port, "state": str(state), "modes": changed,
            "made_exchange": made_exchange}
    path.write_text(json.dumps(info, indent=1))
    os.chmod(path, 0o600)
    return info


def down(state: pathlib.Path) -> None:
    """Undo `up`: remove the class's users (home included), the exchange it made, the hub's state; restore modes."""
    path = state / "class.json"
    if not path.exists():
        return
    info = json.loads(path.read_text())
    for name in [info["instructor"], *info["students"]]:
        remove_user(name)
    if info.get("made_exchange"):
        shutil.rmtree(info["exchange"], ignore_errors=True)
    restore_modes(info.get("modes", {}))
    shutil.rmtree(state, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("up", "down", "check"))
    parser.add_argument("--state", default=os.environ.get("HUB_STATE") or str(ROOT / "build" / "hub"))
    parser.add_argument("--exchange", default=os.environ.get("HUB_EXCHANGE") or "/srv/nbgrader/exchange")
    parser.add_argument("--instructor", default=os.environ.get("HUB_INSTRUCTOR") or "instructor")
    parser.add_argument("--students", default=os.environ.get("HUB_STUDENTS") or "student1,student2,student3")
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT") or 8000))
    args = parser.parse_args(argv)
    state = pathlib.Path(args.state).resolve()
    if args.action == "check":
        reason = unavailable_reason()
        print(reason or "ok")
        return 1 if reason else 0
    if args.action == "down":
        down(state)
        print(f"removed the class of {state}")
        return 0
    students = [s for s in args.students.split(",") if s]
    info = up(state, pathlib.Path(args.exchange).resolve(), args.instructor, students, args.port)
    print(f"class ready: instructor {info['instructor']} (course in {info['course']}), students "
          f"{', '.join(students)}; exchange {info['exchange']}; passwords in {state / 'passwords.txt'}")
    if info["modes"]:
        print("modes changed so the users can reach the hub's Python and nothing else of the checkout "
              "(python hub/classroom.py down puts them back): "
              + ", ".join(f"{p} {oct(m)}" for p, m in info["modes"].items()))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
