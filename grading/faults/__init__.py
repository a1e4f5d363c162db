"""Planted faulty submissions: each is a solution notebook with one known mistake, and the points it must lose.

`make grade` grades them as example students (`grading/examples.py` writes them into submitted/), and
tests/test_grading.py checks that each loses exactly the points in `loses` and that the failing check's output
says `says`. One module per chapter (`ch01.py`, …) defines `FAULTS`; `ALL` collects them.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil


@dataclasses.dataclass(frozen=True)
class Fault:
    """A submission = the solution with `replace` applied to the solution cell `cell`.

    `replace` holds (old, new) pairs for `str.replace` on that cell's source, once each (old must occur).
    `loses` names the test cells (grade_ids) that must score 0; every other autograded cell must score full marks.
    `says` must appear in the error output of each cell in `loses`.
    `kind` is "mistake" (the default), or one of: "untouched" (the released exercise as is), "delete_test" (the test
    cell `cell` removed), "edit_test" (the test cell `cell` replaced by `new` of the first pair, after the
    solution's own replacements in `also`). The hostile kinds (grading/faults/hostile.py) also apply `also`:
    "extra_cell" (a code cell `code` inserted after the cell `cell`), "raw" (the file's text is `code`),
    "no_notebook" (the notebook left out; the folder holds a stray file), "paste_test" (a copy of the test cell
    `cell`, metadata included, pasted after the imports), "rename" (the cell `cell` gets another grade_id),
    "convert" (the cell `cell` becomes a markdown cell), "extra_graded" (a graded cell worth 100 points added).
    `status` must appear in the student's row of the run report (grading/report.csv).
    """
    assignment: str
    student: str
    cell: str = ""
    replace: tuple = ()
    loses: tuple = ()
    says: str = ""
    kind: str = "mistake"
    also: tuple = ()  # (cell, old, new) replacements in other solution cells, for kind="edit_test" and hostile kinds
    code: str = ""  # the inserted cell's code (kind="extra_cell") or the file's text (kind="raw")
    status: str = ""  # a phrase of the run report's status for this submission


def _load() -> list[Fault]:
    faults = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("ch"):
            faults.extend(importlib.import_module(f"{__name__}.{info.name}").FAULTS)
    return faults


ALL = _load()
"""Every chapter's planted mistakes (honest mistakes, run in-process and graded)."""

# The students of submitted/ besides the full-marks ones: every fault that is not an ordinary mistake (untouched,
# deleted or edited test cells, an infinite loop), and one ordinary mistake for each kind of diagnosis the checks
# make. `make grade` grades them through nbgrader (tests/test_grading.py too); every fault in ALL, these included,
# is also run in-process by tests/test_exercise_checks.py.
ROUND_TRIP = {
    "flipped-kernel-01", "off-by-one-01", "same-side-01", "infinite-loop-01",  # flipped kernel, size, 'same' side, timeout
    "no-bias-02", "bias-axis-03",                                             # missing / mis-broadcast bias
    "groups-modulo-02", "channels-mixed-06",                                  # channels mixed across groups
    "swapped-weight-07", "align-corners-08",                                  # transposed weight layout, align_corners
    "calls-torch-02", "calls-unfold-05",                                      # a "naive" task calling torch
    "nd-dtype-04", "device-05", "unbatched-06",                               # dtype, device, unbatched input
    "course-naive-01", "input-zeroed-02",                                     # the course's own code, input changed
}
EXAMPLES = [f for f in ALL if f.kind != "mistake" or f.student in ROUND_TRIP]
