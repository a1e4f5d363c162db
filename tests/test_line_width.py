"""Lines a learner reads in JupyterLab's notebook column fit it: code in the lessons, the library's docstrings.

At 1280x720 with the file browser open, JupyterLab 4's notebook column holds 107 characters of 13 px code
(measured in Chromium: an 846 px editor, 7.83 px a character); the course keeps lines to ``LIMIT`` = 100.
Docstrings are measured as ``help()`` shows them (without their indentation); their doctest lines (``>>>``,
``...`` and the expected output) are exempt. ``course_lib.checks`` is left to its own tests.
"""
import ast
import pathlib

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIMIT = 100
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MODULES = sorted(p for p in (ROOT / "course_lib").rglob("*.py") if "checks" not in p.parts)


def prose_lines(docstring: str):
    """The lines of a cleaned docstring that are not doctest input or expected output."""
    in_example = False
    for line in docstring.splitlines():
        stripped = line.strip()
        if stripped.startswith((">>>", "...")):
            in_example = True
        elif not stripped:
            in_example = False
        if not in_example:
            yield line


def test_prose_lines_leave_doctests_alone():
    doc = "A line.\n\n>>> f(" + "x" * 120 + ")\n" + "y" * 120 + "\n\nMore prose."
    assert list(prose_lines(doc)) == ["A line.", "", "", "More prose."]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT / "course_lib")))
def test_docstring_prose_fits_the_notebook_column(path):
    tree = ast.parse(path.read_text())
    wide = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            for line in prose_lines(doc or ""):
                if len(line) > LIMIT:
                    wide.append(f"{getattr(node, 'name', 'module')}: {len(line)} characters: {line[:60]}...")
    assert not wide, f"{path.name}: docstring lines wider than {LIMIT}:\n" + "\n".join(wide)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_code_lines_fit_the_notebook_column(path):
    nb = nbformat.read(path, as_version=4)
    wide = [f"cell {i}: {len(line)} characters: {line[:60]}..." for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" for line in cell.source.splitlines() if len(line) > LIMIT]
    assert not wide, f"{path.name}: {len(wide)} code lines wider than {LIMIT}:\n" + "\n".join(wide)
