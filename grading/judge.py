"""The grader's verdict on a test cell, reached outside the student's process.

A graded test cell of the course holds check calls only, such as

    checks.check_conv1d(conv1d_loops)
    ### BEGIN HIDDEN TESTS
    checks.check_conv1d(conv1d_loops, seed=11)
    ### END HIDDEN TESTS

In the sandbox the student's kernel runs the cell; each check writes what the student's function did into the record
(course_lib.checks.record). The grader then runs the same check calls here, in its own process, on a `Replay` of that
record: the cell's source comes from the instructor's copy (nbgrader restores it), the cases and the references are
computed here, and the outputs the student's feedback shows are the ones computed here. Whatever the submission did to
its own process (patched the checks, torch, builtins; skipped a check) it can only change the record of its own
function's results, never how they are judged.

>>> check_calls("checks.check_conv1d(conv1d_loops)\\nchecks.check_conv1d(conv1d_loops, seed=11)")
[('check_conv1d', {}), ('check_conv1d', {'seed': 11})]
"""
from __future__ import annotations

import ast
import contextlib
import io

from nbformat import NotebookNode
from nbformat.v4 import new_output

from course_lib import checks
from course_lib.checks.record import Replay


class NotJudgeable(ValueError):
    """A test cell the grader cannot replay: it holds something other than check calls (an instructor's mistake)."""


def check_calls(source: str) -> list[tuple[str, dict]]:
    """The check calls of a test cell, in order: (check's name, its keyword arguments other than the function).

    Every statement must be `checks.check_…(function, keyword=literal, …)`."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise NotJudgeable(f"the test cell does not parse: {error}") from None
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "checks"
                and func.attr.startswith("check_") and hasattr(checks, func.attr)):
            raise NotJudgeable(f"line {statement.lineno} of the test cell is not a call of a course check "
                               f"(checks.check_…(function, …)): the grader can only replay check calls")
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Name):
            raise NotJudgeable(f"line {statement.lineno}: a check takes the learner's function by name as its "
                               f"only positional argument")
        if any(k.arg is None for k in call.keywords):
            raise NotJudgeable(f"line {statement.lineno}: no **arguments in a check call")
        try:
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except ValueError:
            raise NotJudgeable(f"line {statement.lineno}: a check's keyword arguments must be literals") from None
        calls.append((func.attr, kwargs))
    return calls


def verdict(source: str, runs: list[dict]) -> tuple[list[NotebookNode], bool]:
    """The outputs the test cell gets and whether it passed: its check calls replayed, in order, on `runs` (the record
    lines the sandbox wrote while the cell ran). Like a cell, it stops at the first check that fails."""
    replay = Replay(runs)
    printed = io.StringIO()
    for name, kwargs in check_calls(source):
        try:
            with contextlib.redirect_stdout(printed):
                getattr(checks, name)(replay, **kwargs)
        except checks.CheckFailed as failure:
            return _outputs(printed.getvalue(), failure), False
    return _outputs(printed.getvalue(), None), True


def _outputs(text: str, failure: checks.CheckFailed | None) -> list[NotebookNode]:
    outputs = [new_output("stream", name="stdout", text=text)] if text else []
    if failure is not None:
        outputs.append(error_output("CheckFailed", str(failure)))
    return outputs


def error_output(name: str, message: str) -> NotebookNode:
    """An error output as a failed cell shows it (nbgrader scores a cell with one as 0)."""
    return new_output("error", ename=name, evalue=message, traceback=[f"\x1b[0;31m{name}\x1b[0m: {message}"])
