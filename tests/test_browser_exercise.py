"""A learner does an exercise in JupyterLab: opens lesson 01's exercise notebook, sees the task, types code into the
`# YOUR CODE HERE` cell, runs it and the check cell below, and gets the check's explanation, then its ✓.

JupyterLab (started as in test_browser_lab.py, by `browser_support.jupyterlab`) serves a temporary copy of exercises/
on 127.0.0.1, so autosave never touches the repository's notebooks (the test checks the repository's copy is
unchanged). Headless Debian Chromium, driven by Playwright, does what a learner does: it clicks into the solution
cell's editor, selects all and types `output_length` key by key, first with the classic mistake (the missing "+ 1"),
runs the cell and the check cell with Shift+Enter and reads the CheckFailed explanation; then it clicks to the end
of the line, types " + 1", runs both cells again and reads the ✓ line. After each typing the test reads the cell
back from JupyterLab's notebook model: CodeMirror's auto-indent and bracket closing must not have altered the code.

Each step is timed against a stated limit (KERNEL_LIMIT_S, CHECK_LIMIT_S). The page may reach only 127.0.0.1 and
must log no console error. Screenshots go to $BROWSER_SHOTS when set, else to pytest's temporary directory. Without
Chromium or Playwright the test skips, unless REQUIRE_BROWSER=1 (CI): then it fails.
"""
from __future__ import annotations

import json
import pathlib
import time

import pytest
from browser_support import jupyterlab_on_a_copy
from test_browser_lab import (  # noqa: F401 (new_page and shots are fixtures)
    LAB_START_S, ROOT, browser_fixtures, new_page, shots,
)

pytestmark = [pytest.mark.lesson01, pytest.mark.slow]

EXERCISE = "exercises/01_conv1d/01_conv1d_exercises.ipynb"
TASK_HEADING = "Task 1 — the output length"
KERNEL_LIMIT_S = 30.0
"""Most seconds from the notebook's task heading showing until its kernel is started and idle."""
IMPORTS_LIMIT_S = 30.0
"""Most seconds from Shift+Enter on the imports cell (`import torch`, course_lib) to its execution count."""
CHECK_LIMIT_S = 10.0
"""Most seconds from Shift+Enter on the solution cell until the check cell under it shows its ✓ or explanation."""

WRONG = "return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride"
"""The body a learner writes first: the output length without its "+ 1" (the check names that mistake)."""
FIX = " + 1"


# ----------------------------------------------------------------------------
# The exercise notebook, read from the repository (pure: no browser)
# ----------------------------------------------------------------------------


def grade_cells(notebook: pathlib.Path) -> dict[str, int]:
    """The index of each cell by its nbgrader ``grade_id`` (imports, output_length, test_output_length, …)."""
    cells = json.loads(notebook.read_text())["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: i for i, c in enumerate(cells) if "nbgrader" in c["metadata"]}


def stub_header(source: str) -> list[str]:
    """The lines of a solution cell's stub that the learner keeps: those above ``# YOUR CODE HERE``."""
    lines = source.split("\n")
    marker = [i for i, line in enumerate(lines) if line.strip() == "# YOUR CODE HERE"]
    if len(marker) != 1 or lines[marker[0] + 1:] != ["    raise NotImplementedError()"]:
        raise ValueError(f"a solution stub ends with '# YOUR CODE HERE' and 'raise NotImplementedError()', not {source!r}")
    return lines[:marker[0]]


def test_the_exercise_has_the_cells_the_browser_test_uses():
    notebook = ROOT / EXERCISE
    cells = json.loads(notebook.read_text())["cells"]
    index = grade_cells(notebook)
    assert index["imports"] < index["output_length"] == index["test_output_length"] - 1
    assert "".join(cells[index["test_output_length"]]["source"]) == "checks.check_output_length(output_length)"
    assert TASK_HEADING in "".join(cells[index["output_length"] - 1]["source"])
    header = stub_header("".join(cells[index["output_length"]]["source"]))
    assert header[0].startswith("def output_length(length, kernel_size, stride=1, padding=0, dilation=1):")
    with pytest.raises(ValueError, match="YOUR CODE HERE"):
        stub_header("def f():\n    return 1")


# ----------------------------------------------------------------------------
# JupyterLab on a copy of exercises/, and the learner's keystrokes
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exercise_lab(browser, tmp_path_factory):
    """JupyterLab serving a temporary copy of exercises/; yields the URL it prints, which opens EXERCISE."""
    home = tmp_path_factory.mktemp("exercise_lab")
    with jupyterlab_on_a_copy(home, "exercises", EXERCISE, LAB_START_S) as url:
        yield url


MARK_CELLS = """(marks) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    for (const [name, i] of Object.entries(marks)) notebook.widgets[i].node.dataset.exercise = name;
}"""

CELL_SOURCE = """(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()"""


ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
"""An output showing an exception's traceback (or anything else written to stderr)."""


KERNEL_IDLE = """() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'"""
PROMPT_IS = """([node, text]) => node.querySelector('.jp-InputPrompt').innerText.trim() === text"""


def within(page, condition: str, arg, limit_s: float, waiting_for: str) -> None:
    """Wait until the JavaScript ``condition(arg)`` holds; past ``limit_s`` fail, saying what the page shows then."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition, arg=arg, timeout=limit_s * 1000)
    except PlaywrightTimeout:
        state = page.evaluate("""() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const prompts = [...panel.content.node.querySelectorAll('.jp-InputPrompt')].map(p => p.innerText.trim());
            return `kernel ${panel.sessionContext.session?.kernel?.status}, prompts ${prompts.join(' ')}`;
        }""")
        pytest.fail(f"waited {limit_s} s for {waiting_for}: {state}", pytrace=False)


def open_exercise(page, url: str, index: dict[str, int]):
    """Open the URL JupyterLab printed, wait (up to LAB_START_S) until Task 1's heading is visible, and return the
    imports, solution and check cells of Task 1 (marked ``data-exercise="<grade_id>"`` in the page)."""
    page.goto(url)
    heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h2", has_text=TASK_HEADING)
    heading.wait_for(timeout=LAB_START_S * 1000)
    assert heading.is_visible() and heading.inner_text().startswith(TASK_HEADING)
    page.evaluate(MARK_CELLS, index)
    return [page.locator(f'[data-exercise="{name}"]') for name in ("imports", "output_length", "test_output_length")]


def prompt(cell) -> str:
    """The cell's execution count as its prompt shows it: "[3]:", "[*]:" while it runs, "[ ]:" before."""
    return cell.locator(".jp-InputPrompt").inner_text().strip()


def type_function(page, cell, lines: list[str]) -> None:
    """Click into the cell's editor, select all and type ``lines`` key by key, as a learner does: each line without
    its leading spaces, then Enter, leaving the indentation to the editor (typing it too would double it)."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    for number, line in enumerate(lines):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(line.lstrip(" "))


def run_and_check(page, solution, check, expect: str, count: int) -> float:
    """Shift+Enter on the solution cell (JupyterLab then selects the check cell) and Shift+Enter again; returns the
    seconds until the check cell's output shows ``expect`` and its prompt ``[count]`` (the output comes first)."""
    started = time.perf_counter()
    solution.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    check.locator(".jp-OutputArea-output", has_text=expect).first.wait_for(timeout=CHECK_LIMIT_S * 1000)
    left = CHECK_LIMIT_S - (time.perf_counter() - started)
    within(page, PROMPT_IS, [check.element_handle(), f"[{count}]:"], max(left, 0.1), "the check cell to finish")
    return time.perf_counter() - started


def test_learner_types_a_solution_and_gets_the_checks_explanation_then_its_tick(request):
    exercise_lab, new_page, shots = browser_fixtures(request, "exercise_lab", "new_page", "shots")
    repository_copy = (ROOT / EXERCISE).read_bytes()
    index = grade_cells(ROOT / EXERCISE)
    stub = "".join(json.loads(repository_copy)["cells"][index["output_length"]]["source"])
    wrong_lines = stub_header(stub) + ["    " + WRONG]
    seconds = {}

    started = time.perf_counter()
    page = new_page()
    imports, solution, check = open_exercise(page, exercise_lab, index)
    seconds["open"] = time.perf_counter() - started
    assert solution.locator(".cm-content").inner_text() == stub, "the solution cell does not show the stub"
    page.screenshot(path=shots / "exercise_opened.png")

    started = time.perf_counter()
    within(page, KERNEL_IDLE, None, KERNEL_LIMIT_S, "the kernel to start")
    seconds["kernel start"] = time.perf_counter() - started

    started = time.perf_counter()
    imports.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    within(page, PROMPT_IS, [imports.element_handle(), "[1]:"], IMPORTS_LIMIT_S, "the imports cell to run")
    seconds["imports cell"] = time.perf_counter() - started
    assert imports.locator(ERROR_OUTPUT).count() == 0, imports.inner_text()

    type_function(page, solution, wrong_lines)
    typed = page.evaluate(CELL_SOURCE, index["output_length"])
    assert typed == "\n".join(wrong_lines), f"the editor holds {typed!r}"
    seconds["wrong check"] = run_and_check(page, solution, check, "CheckFailed", 3)
    explanation = check.locator(".jp-OutputArea-output").inner_text()
    assert (prompt(solution), prompt(check)) == ("[2]:", "[3]:")
    assert "a missing + 1" in explanation, explanation
    assert solution.locator(".jp-OutputArea-output").count() == 0, solution.inner_text()
    check.scroll_into_view_if_needed()
    page.screenshot(path=shots / "exercise_check_failed.png")

    solution.locator(".cm-line", has_text=WRONG).click()
    page.keyboard.press("End")
    page.keyboard.type(FIX)
    typed = page.evaluate(CELL_SOURCE, index["output_length"])
    assert typed == "\n".join(wrong_lines) + FIX, f"the editor holds {typed!r}"
    seconds["right check"] = run_and_check(page, solution, check, "✓ output_length", 5)
    result = check.locator(".jp-OutputArea-output").inner_text()
    assert (prompt(solution), prompt(check)) == ("[4]:", "[5]:")
    lines = [line for line in result.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("✓ output_length"), f"one ✓ line expected, the check shows {result!r}"
    page.screenshot(path=shots / "exercise_check_passed.png")

    print("exercise in JupyterLab: " + ", ".join(f"{step} {s:.1f} s" for step, s in seconds.items()))
    assert seconds["kernel start"] <= KERNEL_LIMIT_S and seconds["imports cell"] <= IMPORTS_LIMIT_S
    assert seconds["wrong check"] <= CHECK_LIMIT_S and seconds["right check"] <= CHECK_LIMIT_S
    assert (ROOT / EXERCISE).read_bytes() == repository_copy, "the repository's exercise notebook changed"
