"""Tests that need the grading stack (nbgrader, the `instructor` extra) skip, saying why, where it is not there.

The learner's install (`make lab`, `make test`, environment.yml) leaves nbgrader out, and nbgrader 0.9.6 needs
Python >= 3.11, so grading tests run only in an instructor's .venv (`make instructor`). Mark such a test
`@pytest.mark.nbgrader`; tests/conftest.py skips it with the reason from `nbgrader_skip_reason()`.
"""
from __future__ import annotations

import importlib.metadata
import sys

NBGRADER_VERSION = "0.9.6"  # the pin of the instructor extra in pyproject.toml (tests/test_environment.py checks it)
NBGRADER_PYTHON = (3, 11)  # nbgrader 0.9.6's Requires-Python


def nbgrader_skip_reason(version_info=sys.version_info, installed=None) -> str | None:
    """Why a grading test cannot run here, or None when nbgrader 0.9.6 is installed.

    `installed` is nbgrader's installed version (None: look it up; "" stands for not installed).
    """
    python = ".".join(map(str, tuple(version_info)[:3]))
    needs = ".".join(map(str, NBGRADER_PYTHON))
    if tuple(version_info)[:2] < NBGRADER_PYTHON:
        return (f"nbgrader {NBGRADER_VERSION} needs Python >= {needs}; this is {python} "
                f"(run `make clean && make instructor PYTHON=python{needs}` on {needs}+)")
    if installed is None:
        try:
            installed = importlib.metadata.version("nbgrader")
        except importlib.metadata.PackageNotFoundError:
            installed = ""
    if not installed:
        return "nbgrader is not installed: the learner's install leaves the grading stack out (run `make instructor`)"
    if installed != NBGRADER_VERSION:
        return f"nbgrader {installed} is installed, the course pins {NBGRADER_VERSION} (run `make instructor`)"
    return None
