"""What the browser tests share: find Debian's Chromium, skip (or fail) without it, launch it, keep it on loopback.

Browser tests drive the system Chromium (Debian package `chromium`) with Playwright for Python; Playwright's own
browser downloads are never used (`launch` passes `executable_path`). Without a usable Chromium or Playwright a
browser test skips with the reason, unless the environment sets ``REQUIRE_BROWSER=1`` (CI does, in `.ci/run`):
then it fails, so a missing browser can never turn CI green by skipping. Use it as::

    from browser_support import console_errors, guard_network, launch, require_browser

    def test_something():
        require_browser()                      # skip, or fail under REQUIRE_BROWSER=1
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context()
            blocked = guard_network(context)   # everything but loopback, file:, data: and blob: is aborted
            page = context.new_page()
            errors = console_errors(page)
            ...
            assert blocked == [] and errors == []

The environment variable ``CHROMIUM`` names another Chromium binary (``CHROMIUM=/nonexistent`` shows the skip).
`jupyterlab` serves a folder (a temporary copy of the course's notebooks) with JupyterLab on 127.0.0.1, offline.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from typing import Iterator
from urllib.parse import urlsplit

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

LAUNCH_ARGS = [
    "--no-sandbox",  # CI and containers run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces for `guard_network`: no host name but loopback resolves, whatever Chromium itself fetches.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
"""Chromium's flags: headless on a machine without a display, a GPU or a network."""


def chromium_path() -> str | None:
    """The Chromium binary to drive: ``$CHROMIUM`` when set (even if it does not exist), else Debian's
    ``/usr/bin/chromium`` or ``chromium`` on the PATH; None when there is none."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    if os.path.exists(DEFAULT_CHROMIUM):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def _playwright_installed() -> bool:
    return importlib.util.find_spec("playwright") is not None


def browser_skip_reason(chromium: str | None = "", playwright: bool | None = None) -> str | None:
    """Why a browser test cannot run here, or None when Chromium and Playwright are usable.

    ``chromium`` is the binary to check ("" means `chromium_path()`); ``playwright`` whether Playwright for Python
    is importable (None: look it up).
    """
    if chromium == "":
        chromium = chromium_path()
    if playwright is None:
        playwright = _playwright_installed()
    if not playwright:
        return "Playwright for Python is not installed (it comes with the dev extra: make test installs it)"
    if chromium is None:
        return "no Chromium found (install the Debian package `chromium`, or set CHROMIUM=/path/to/chromium)"
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        return f"Chromium {chromium!r} is not an executable file (check CHROMIUM, or install the Debian package `chromium`)"
    return None


def browser_required(environ=os.environ) -> bool:
    """Whether a missing browser must fail the tests (``REQUIRE_BROWSER=1``, as CI sets) instead of skipping them."""
    return environ.get("REQUIRE_BROWSER") == "1"


def require_browser() -> None:
    """Call first in a browser test: skips it when the browser is missing, or fails it under ``REQUIRE_BROWSER=1``."""
    reason = browser_skip_reason()
    if reason is None:
        return
    if browser_required():
        pytest.fail(f"{reason} and REQUIRE_BROWSER=1", pytrace=False)
    pytest.skip(reason)


def launch(playwright):
    """Headless Debian Chromium (never a Playwright-downloaded browser) with :data:`LAUNCH_ARGS`."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)


def allowed_url(url: str) -> bool:
    """Whether the browser may load ``url``: http(s) and ws(s) to 127.0.0.1 or localhost, and file:, data:, blob:.

    >>> allowed_url("http://127.0.0.1:8888/lab"), allowed_url("https://cdn.jsdelivr.net/npm/reveal.js")
    (True, False)
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # raises ValueError for a port out of range
    except ValueError:  # a malformed URL (e.g. a bad port) is not loopback
        return False
    scheme = parts.scheme.lower()
    if scheme in ("file", "data", "blob", "about"):
        return scheme != "about" or url in ("about:blank", "about:srcdoc")
    return scheme in ("http", "https", "ws", "wss") and host in LOOPBACK_HOSTS and "@" not in parts.netloc


def guard_network(context) -> list[str]:
    """Abort every request of ``context`` that :func:`allowed_url` refuses (HTTP(S) and web sockets alike).

    Returns the list the refused URLs are appended to: tests assert it stays empty.
    """
    blocked: list[str] = []

    def check(route):
        url = route.request.url
        if allowed_url(url):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    def refuse_socket(socket):
        blocked.append(socket.url)
        socket.close()

    context.route("**/*", check)
    # Loopback sockets (the kernel's channels) are not routed at all, so they keep their speed.
    context.route_web_socket(lambda url: not allowed_url(url), refuse_socket)
    return blocked


def console_errors(page) -> list[str]:
    """Collect the page's console errors and uncaught exceptions into the returned list (as they happen)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors


# ----------------------------------------------------------------------------
# JupyterLab on 127.0.0.1, as `make lab` starts it, kept off the network
# ----------------------------------------------------------------------------

OFFLINE = [  # what `make lab` does not pass: keep the test's JupyterLab from reaching the network
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def printed_url(log: pathlib.Path) -> str | None:
    """The URL with its token that JupyterLab prints for the user to open, as `make lab` shows it."""
    found = re.search(r"http://127\.0\.0\.1:\d+/\S*\?token=[0-9a-f]+", log.read_text())
    return found and found.group(0)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: pathlib.Path) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 (a free port) by Python's http.server, in a thread; yields its URL (with a
    trailing slash) and stops the server afterwards."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()


@contextlib.contextmanager
def jupyterlab(home: pathlib.Path, open_path: str, start_s: float = 60) -> Iterator[str]:
    """Serve the folder ``home`` (a temporary copy: autosave writes there) with JupyterLab on 127.0.0.1, with
    `make lab`'s command line, :data:`OFFLINE`, no news toast and ``window.jupyterapp`` exposed; yields the URL it
    prints, which opens ``open_path`` (relative to ``home``). Fails the test when no URL comes within ``start_s``."""
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no "get notified about Jupyter news?" toast over the notebook
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    command = [
        sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", "--no-browser", f"--port={free_port()}",
        f"--LabApp.default_url=/lab/tree/{open_path}", f"--ServerApp.root_dir={home}",
        "--LabApp.expose_app_in_browser=True", *OFFLINE,
    ] + (["--allow-root"] if os.geteuid() == 0 else [])
    log_path = home / "lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + start_s
            while (url := printed_url(log_path)) is None:
                if server.poll() is not None:
                    pytest.fail(f"jupyter lab exited early:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab printed no URL within {start_s} s:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()  # it shuts its kernels down
            server.wait(timeout=30)


@contextlib.contextmanager
def jupyterlab_on_a_copy(home: pathlib.Path, folder: str, open_path: str, start_s: float = 60) -> Iterator[str]:
    """:func:`jupyterlab` serving ``home``, into which the course's ``folder`` (e.g. ``"notebooks"``) is copied
    first, so that autosave never writes to the checkout; yields the URL JupyterLab prints."""
    shutil.copytree(ROOT / folder, home / folder)
    with jupyterlab(home, open_path, start_s) as url:
        yield url
