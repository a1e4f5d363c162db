"""environment.yml (conda / Binder) must ask for exactly what pyproject.toml asks for."""
import pathlib
import sys

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def normalise(requirement: str) -> str:
    return requirement.replace(" ", "").lower()


def test_environment_yml_matches_pyproject():
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
