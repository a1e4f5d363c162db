"""The grader's judge (grading/judge.py): which test cells it can replay, and that its verdict is the check's.

The judge replays a test cell's check calls outside the student's process, so every graded test cell of solutions/
must consist of check calls only (no assert: an assert would have to run the student's code to be decided).
The replay's messages equal the learner's in-process ones for every planted fault (tests/test_exercise_checks.py).
"""
from __future__ import annotations

import pathlib
import re

import nbformat
import pytest

from course_lib.checks import record
from grading import judge

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEST_CELLS = [(p.parent.name, c.metadata["nbgrader"]["grade_id"], c.source)
              for p in sorted((ROOT / "solutions").glob("*/*.ipynb"))
              for c in nbformat.read(p, as_version=4).cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def test_there_are_test_cells():
    assert len(TEST_CELLS) == 24


@pytest.mark.parametrize("assignment, gid, source", TEST_CELLS, ids=[f"{a}-{g}" for a, g, _ in TEST_CELLS])
def test_every_graded_test_cell_is_a_list_of_check_calls_with_hidden_ones(assignment, gid, source):
    calls = judge.check_calls(source)
    assert len(calls) >= 2, "a visible check and at least one hidden one"
    assert {name for name, _ in calls} == {calls[0][0]}, "the hidden tests call the visible test's check"
    assert len({repr(kwargs) for _, kwargs in calls}) == len(calls), "each call has its own seed"


@pytest.mark.parametrize("source, message", [
    ("assert f(1) == 2", "line 1 of the test cell is not a call of a course check"),
    ("checks.check_conv1d(f)\nprint('x')", "line 2 of the test cell is not a call of a course check"),
    ("checks.check_nothing(f)", "not a call of a course check"),
    ("checks.check_conv1d(f, g)", "only positional argument"),
    ("checks.check_conv1d(f, seed=len('ab'))", "keyword arguments must be literals"),
    ("checks.check_conv1d(f, **options)", "no **arguments"),
    ("checks.check_conv1d(f", "does not parse"),
])
def test_a_cell_the_judge_cannot_replay_is_refused_in_words(source, message):
    with pytest.raises(judge.NotJudgeable, match=re.escape(message)):
        judge.check_calls(source)


def flipped(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """conv1d by loops with the kernel flipped (a true convolution): the check's first case already shows it."""
    import torch
    k = weight.shape[-1]
    length = (x.shape[-1] + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    x = torch.nn.functional.pad(x, (padding, padding))
    w = weight.flip(-1)
    out = x.new_zeros(x.shape[0], weight.shape[0], length)
    for i in range(length):
        window = x[:, None, :, i * stride:i * stride + dilation * (k - 1) + 1:dilation]
        out[..., i] = (window * w[None]).sum(dim=(-1, -2))
    return out if bias is None else out + bias[:, None]


def test_the_verdict_comes_from_the_record_not_from_the_kernel(tmp_path, monkeypatch):
    """A flipped kernel, recorded as the sandbox would: the judge fails the cell with the check's own diagnosis,
    and a cell whose checks wrote no record fails too."""
    path = tmp_path / "record.jsonl"
    monkeypatch.setenv(record.RECORD_ENV, str(path))
    from course_lib import checks
    with pytest.raises(checks.CheckFailed):
        checks.check_conv1d(flipped)
    runs = record.read_record(path)
    outputs, passed = judge.verdict("checks.check_conv1d(conv1d_loops)", runs)
    assert not passed and outputs[-1].ename == "CheckFailed" and "a flipped kernel" in outputs[-1].evalue
    outputs, passed = judge.verdict("checks.check_conv1d(conv1d_loops)", [])
    assert not passed and "no record" in outputs[-1].evalue


@pytest.mark.parametrize("module", ["grading.judge", "grading.sandbox"])
def test_the_graders_worked_examples_run(module):
    import doctest
    import importlib
    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failures == 0
