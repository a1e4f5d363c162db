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
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # up to 60 s to start
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited early:\n{(tmp_path / 'lab.log').read_text()}")
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
        log.close()


def test_lab_serves_jupyterlab_and_the_start_notebook(lab_server):
    base, token = lab_server
    status, page = get(f"{base}/lab/tree/{START}", token)  # the URL `make lab` prints
    assert status == 200 and "JupyterLab" in page
    status, body = get(f"{base}/api/contents/{START}", token)
    notebook = json.loads(body)
    assert status == 200 and notebook["type"] == "notebook"
    assert any(cell["cell_type"] == "code" for cell in notebook["content"]["cells"])
