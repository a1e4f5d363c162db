"""The grading sandbox's command line (grading/sandbox.py), without nbgrader: what it mounts, in which order, and
that a kernel started with it can write only its own folders. The full class is graded in tests/test_grading.py."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from grading import sandbox


def test_the_sandbox_folders_are_mounted_before_what_is_bound_into_them(monkeypatch):
    """A course cloned under /tmp (as CI may do) has its venv there: the sandbox's own tmpfs on /tmp must come first,
    or it hides the venv (`prlimit: failed to execute …/.venv/bin/python`)."""
    venv = os.path.join(sandbox.TMP, "clone", ".venv")
    monkeypatch.setattr(sandbox, "read_only_paths", lambda: [venv])
    args = sandbox.bwrap_command(["python"], sandbox.SandboxPaths("/s/work", "/s/ipc"), root=True)
    tmpfs = [i for i, a in enumerate(args) if a == "--tmpfs"]
    bind = args.index("--ro-bind", args.index("/usr") + 1)
    assert [args[i + 1] for i in tmpfs] == [sandbox.TMP, "/home/student", sandbox.WORK]
    assert args[bind + 1] == venv and bind > max(tmpfs)
    made = [args[i + 1] for i, a in enumerate(args) if a == "--dir"]
    assert sandbox.TMP not in made, "re-creating /tmp after its tmpfs would take away its 1777 permissions"


def test_a_sandboxed_process_writes_its_own_folders_and_nothing_of_the_course(tmp_path):
    reason = sandbox.unavailable_reason()
    if reason:
        pytest.skip(reason)
    paths = sandbox.SandboxPaths(str(tmp_path / "work"), str(tmp_path / "ipc"))
    sandbox.prepare(paths)
    probe = ("import os, sys\n"
             "print(os.access(os.environ['TMPDIR'], os.W_OK), os.access(os.environ['HOME'], os.W_OK),"
             " os.access('.', os.W_OK), os.access(sys.prefix, os.W_OK), os.path.exists('solutions'))")
    done = subprocess.run(sandbox.bwrap_command([sys.executable, "-c", probe], paths), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True", "False", "False"]
