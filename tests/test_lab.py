"""`make lab` serves JupyterLab with the start notebook (checked over its REST API on loopback)."""
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = [pytest.mark.lesson00, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parents[1]
START = "notebooks/00_start_here.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read().decode()


def serve(command: list, log_path: pathlib.Path, port: int, token: str, env=None):
    """Start `jupyter lab` with `command`, wait until it answers on 127.0.0.1:`port` (60 s at most), yield
    (base URL, token), and stop it."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                if server.poll() is not None:
                    pytest.fail(f"jupyter lab exited early:\n{log_path.read_text()}")
                try:
                    get(f"{base}/api/status", token)
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                pytest.fail("jupyter lab did not answer within 60 s")
            yield base, token
        finally:
            server.terminate()
            server.wait(timeout=20)


def test_makefile_lab_target_opens_the_start_notebook():
    makefile = (ROOT / "Makefile").read_text()
    assert f"jupyter lab --ip=127.0.0.1 --no-browser $(LAB_ROOT) --LabApp.default_url=/lab/tree/{START}" in makefile


@pytest.fixture
def lab_server(tmp_path):
    port, token = free_port(), "course-test-token"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}", f"--LabApp.default_url=/lab/tree/{START}",
    ] + (["--allow-root"] if os.geteuid() == 0 else [])  # as the Makefile does
    yield from serve(command, tmp_path / "lab.log", port, token)


def test_lab_serves_jupyterlab_and_the_start_notebook(lab_server):
    base, token = lab_server
    status, page = get(f"{base}/lab/tree/{START}", token)  # the URL `make lab` prints
    assert status == 200 and "JupyterLab" in page
    status, body = get(f"{base}/api/contents/{START}", token)
    notebook = json.loads(body)
    assert status == 200 and notebook["type"] == "notebook"
    assert any(cell["cell_type"] == "code" for cell in notebook["content"]["cells"])


# ---------------------------------------------------------------- make lab: no news question, the learner's copies

LAB_SETTINGS = pathlib.Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def _load_workspace():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lab_workspace", ROOT / "lab" / "workspace.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


workspace = _load_workspace()


def test_make_lab_installs_the_settings_overrides_and_serves_the_learners_copies():
    makefile = (ROOT / "Makefile").read_text()
    assert "lab: $(STAMP) $(LAB_SETTINGS)" in makefile and "--ServerApp.root_dir=$(WORK)" in makefile
    assert "LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json" in makefile
    assert "my-work/" in (ROOT / ".gitignore").read_text().splitlines()
    overrides = json.loads((ROOT / "lab" / "overrides.json").read_text())
    assert overrides == {"@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"}}


@pytest.fixture
def lab_with_overrides(tmp_path):
    """JupyterLab as `make lab` starts it: the venv's overrides.json installed by make, no user settings at all."""
    if not LAB_SETTINGS.is_relative_to(ROOT / ".venv"):
        pytest.skip(f"make lab installs its settings overrides into the course's .venv; this is {sys.prefix}")
    subprocess.run(["make", "-s", str(LAB_SETTINGS.relative_to(ROOT))], cwd=ROOT, check=True)
    port, token = free_port(), "course-test-token"
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    work = tmp_path / "my-work"
    workspace.sync(ROOT, work, log=lambda line: None)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", f"--LabApp.default_url=/lab/tree/{START}",
        "--LabApp.expose_app_in_browser=True",
    ] + (["--allow-root"] if os.geteuid() == 0 else [])
    yield from serve(command, tmp_path / "lab.log", port, token, env=env)


def test_the_news_question_and_the_update_check_are_off_by_the_settings_overrides(lab_with_overrides):
    base, token = lab_with_overrides
    status, body = get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification", token)
    defaults = {k: v.get("default") for k, v in json.loads(body)["schema"]["properties"].items()}
    assert status == 200 and defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
    status, body = get(f"{base}/api/contents/{START}", token)  # the learner's copy, served from my-work/
    assert status == 200 and json.loads(body)["path"] == START


def test_no_news_toast_over_the_start_notebook(lab_with_overrides):
    """In Chromium: the start notebook opens and no "get notified about official Jupyter news?" toast shows."""
    from browser_support import guard_network, launch, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    base, token = lab_with_overrides
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            blocked = guard_network(context)
            page = context.new_page()
            page.goto(f"{base}/lab/tree/{START}?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            page.wait_for_timeout(4000)  # the question, when asked, comes a moment after the notebook
            text = page.evaluate("document.body.innerText")
            assert "official Jupyter news" not in text and "Jupyter news" not in text
            assert page.locator(".Toastify__toast").count() == 0
            assert blocked == []
        finally:
            browser.close()


def _notebook_file(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_the_workspace_copies_updates_untouched_copies_and_keeps_the_learners_work(tmp_path):
    course, work = tmp_path / "course", tmp_path / "course" / "my-work"
    _notebook_file(course / "notebooks" / "01_a.ipynb", "lesson one")
    _notebook_file(course / "notebooks" / "02_b.ipynb", "lesson two")
    _notebook_file(course / "exercises" / "01_a" / "01_a_exercises.ipynb", "exercise one")
    said = []
    assert workspace.sync(course, work, said.append)["copied"] == [
        "notebooks/01_a.ipynb", "notebooks/02_b.ipynb", "exercises/01_a/01_a_exercises.ipynb"]
    assert (work / "exercises" / "01_a" / "01_a_exercises.ipynb").read_text() == (
        course / "exercises" / "01_a" / "01_a_exercises.ipynb").read_text()
    _notebook_file(work / "notebooks" / "01_a.ipynb", "lesson one, run and saved by the learner")
    _notebook_file(course / "notebooks" / "01_a.ipynb", "lesson one, corrected")   # a course update (git pull)
    _notebook_file(course / "notebooks" / "02_b.ipynb", "lesson two, corrected")
    _notebook_file(course / "notebooks" / "03_c.ipynb", "lesson three")
    said.clear()
    done = workspace.sync(course, work, said.append)
    assert done == {"copied": ["notebooks/03_c.ipynb"], "updated": ["notebooks/02_b.ipynb"],
                    "kept": ["notebooks/01_a.ipynb"]}
    assert "run and saved" in (work / "notebooks" / "01_a.ipynb").read_text()          # the learner's work stays
    assert "corrected" in (work / "notebooks" / "02_b.ipynb").read_text()              # an untouched copy follows
    assert any("The course changed notebooks/01_a.ipynb" in line and "move your copy away" in line for line in said)
    assert workspace.sync(course, work, said.append) == {"copied": [], "updated": [], "kept": ["notebooks/01_a.ipynb"]}


def test_a_learner_who_ran_and_saved_the_lessons_can_git_pull(tmp_path):
    """The promise of `make lab`: the learner's saved copies are in my-work/ (ignored), so a pull of a course update
    to the same lesson succeeds, and the learner's work is still there."""
    def git(*args, cwd):
        return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                              env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                                       GIT_COMMITTER_EMAIL="t@t"))
    upstream, learner = tmp_path / "upstream", tmp_path / "learner"
    _notebook_file(upstream / "notebooks" / "01_a.ipynb", "lesson one")
    (upstream / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    git("init", "-q", "-b", "main", cwd=upstream)
    git("add", "-A", cwd=upstream)
    git("commit", "-q", "-m", "course", cwd=upstream)
    git("clone", "-q", str(upstream), str(learner), cwd=tmp_path)
    workspace.sync(learner, learner / "my-work", log=lambda line: None)
    _notebook_file(learner / "my-work" / "notebooks" / "01_a.ipynb", "lesson one, run and saved")
    _notebook_file(upstream / "notebooks" / "01_a.ipynb", "lesson one, corrected")
    git("commit", "-q", "-am", "a correction", cwd=upstream)
    assert git("status", "--porcelain", cwd=learner).stdout == ""  # nothing of the learner's is tracked
    git("pull", "-q", cwd=learner)
    assert "corrected" in (learner / "notebooks" / "01_a.ipynb").read_text()
    assert "run and saved" in (learner / "my-work" / "notebooks" / "01_a.ipynb").read_text()
