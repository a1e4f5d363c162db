"""The install paths agree: environment.yml (conda / Binder) asks for exactly the learner's set of pyproject.toml
(`dependencies` + the `dev` extra); the grading stack (nbgrader, the `instructor` extra) is in no learner path."""
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from grading_support import NBGRADER_PYTHON, NBGRADER_VERSION, nbgrader_skip_reason

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def normalise(requirement: str) -> str:
    return requirement.replace(" ", "").lower()


def load_project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    """The learner's set: dependencies + dev (less what only older Pythons need); never the instructor extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [r for r in project["optional-dependencies"]["dev"] if "python_version" not in r]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = [r for r in pip_section if not r.startswith("-e")]
    assert sorted(map(normalise, listed)) == sorted(map(normalise, wanted))
    assert "-e ." in pip_section, "environment.yml should install the course itself (-e .)"


def test_torch_is_pinned_everywhere():
    """An unpinned torch pulls gigabytes of CUDA packages: every install path pins 2.13.0."""
    assert "torch==2.13.0" in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch==2.13.0" in (ROOT / "environment.yml").read_text()
    assert '"torch==2.13.0"' in (ROOT / "Makefile").read_text()


def test_python_version_of_environment_is_supported():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    minimum = tuple(int(v) for v in project["requires-python"].lstrip(">=").split("."))
    assert tuple(int(v) for v in python.split("=")[1].split(".")) >= minimum


def test_learner_install_has_no_grading_stack():
    """nbgrader (Python >= 3.11, five JupyterLab extensions) is for instructors: not in dependencies, dev or environment.yml."""
    learner = load_project()["dependencies"] + load_project()["optional-dependencies"]["dev"]
    assert "nbgrader" not in map(name, learner)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "nbgrader" not in map(name, pip_section + [d for d in env["dependencies"] if isinstance(d, str)])


def test_instructor_extra_pins_nbgrader():
    assert load_project()["optional-dependencies"]["instructor"] == [f"nbgrader=={NBGRADER_VERSION}"]


def dry_run(*goals: str) -> str:
    """What make would run for these goals from scratch (-B: as if nothing were installed; -n: run nothing)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "-n", "-B", "--no-print-directory", *goals], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return result.stdout


@pytest.mark.parametrize("goal", ["lab", "test"])
def test_make_lab_and_test_install_only_the_learner_set(goal):
    commands = dry_run(goal)
    installs = [line for line in commands.splitlines() if "pip install" in line]
    assert any('"torch==2.13.0"' in line for line in installs), commands
    assert any('-e ".[dev]"' in line for line in installs), commands
    assert "instructor" not in commands and "nbgrader" not in commands, commands


def test_make_instructor_adds_the_instructor_extra_after_checking_python():
    makefile = (ROOT / "Makefile").read_text()
    rule = makefile.split("$(INSTRUCTOR_STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    check, install = rule.index(f"sys.version_info < {NBGRADER_PYTHON}"), rule.index('-e ".[dev,instructor]"')
    assert check < rule.index("$(MAKE) --no-print-directory $(STAMP)") < install, rule
    assert "make clean && make instructor PYTHON=python3.11" in rule
    assert "instructor: $(INSTRUCTOR_STAMP)" in makefile
    assert f"nbgrader {NBGRADER_VERSION}" in rule


def test_nbgrader_skip_reason_says_why():
    reason = nbgrader_skip_reason((3, 10, 13, "final", 0))
    assert reason == ("nbgrader 0.9.6 needs Python >= 3.11; this is 3.10.13 "
                      "(run `make clean && make instructor PYTHON=python3.11` on 3.11+)")
    assert "not installed" in nbgrader_skip_reason((3, 12, 1, "final", 0), installed="")
    assert "nbgrader 0.9.5 is installed" in nbgrader_skip_reason((3, 12, 1, "final", 0), installed="0.9.5")
    assert nbgrader_skip_reason((3, 11, 7, "final", 0), installed="0.9.6") is None
