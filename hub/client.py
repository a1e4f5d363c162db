"""Driving the class's hub from a script (tests/test_hub.py, benchmarks/hub_users.py): start and stop it, call its
REST API, log in with a password, and run a command in a user's terminal, all through the hub's proxy.

    hub = Hub(state)                 # state: the folder `hub/classroom.py up` filled
    hub.start()
    token = hub.api("POST", "/hub/api/users/alice/tokens", body={"expires_in": 3600})[1]["token"]
    hub.start_server("alice")        # seconds until her JupyterLab answers
    hub.api("GET", "/user/alice/api/contents", token=token)
    hub.terminal("alice", token, "ls ~")  # (exit status, what the terminal printed)
    hub.stop()
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import pathlib
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Hub:
    """The hub of the class in `state` (hub/classroom.py's state folder): its process, its API, its users' servers."""

    def __init__(self, state: pathlib.Path):
        self.state = pathlib.Path(state)
        self.info = json.loads((self.state / "class.json").read_text())
        self.base = f"http://127.0.0.1:{self.info['port']}"
        self.admin = (self.state / "admin-token").read_text().strip()
        self.process: subprocess.Popen | None = None
        self.log = self.state / "jupyterhub.log"

    # -- the process -------------------------------------------------------------------------------------------
    def start(self, timeout: float = 120) -> None:
        """Start JupyterHub with hub/jupyterhub_config.py and wait until its API answers."""
        env = {**os.environ, "HUB_STATE": str(self.state)}
        command = [os.path.join(os.path.dirname(sys.executable), "jupyterhub"), "-f",
                   str(HERE / "jupyterhub_config.py")]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=self.state, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.api("GET", "/hub/api/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"JupyterHub did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 60) -> int | None:
        """Stop the hub (SIGTERM: it stops every user's server and the proxy first, as cleanup_servers asks);
        returns its exit status."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise RuntimeError(f"JupyterHub did not stop within {timeout} s after SIGTERM (killed)")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    # -- the REST API ------------------------------------------------------------------------------------------
    def api(self, method: str, path: str, token: str | None = None, body=None, raw: bool = False,
            timeout: float = 120) -> tuple[int, object]:
        """(HTTP status, the JSON answer, or its text when `raw` or not JSON) of a request through the proxy, with
        `token` (default: the admin service's). Never follows a redirect."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        path = urllib.parse.quote(path, safe="/?&=%:+,@")  # a feedback folder's name holds spaces
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"token {token or self.admin}", "Content-Type": "application/json"})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        if raw:
            return status, text
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def token(self, user: str, note: str = "script") -> str:
        """A new API token of `user`, made with the admin token (expires in an hour)."""
        status, answer = self.api("POST", f"/hub/api/users/{user}/tokens", body={"note": note, "expires_in": 3600})
        if status != 201:
            raise RuntimeError(f"could not make a token for {user}: {status} {answer}")
        return answer["token"]

    def start_server(self, user: str, timeout: float = 180) -> float:
        """Start `user`'s server with the admin token; returns the seconds until the hub says it is ready."""
        started = time.monotonic()
        status, answer = self.api("POST", f"/hub/api/users/{user}/server", body={})
        if status not in (201, 202):
            raise RuntimeError(f"could not start {user}'s server: {status} {answer}\n{self.log_tail()}")
        while time.monotonic() - started < timeout:
            status, answer = self.api("GET", f"/hub/api/users/{user}")
            if answer["servers"].get("", {}).get("ready"):
                return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"{user}'s server was not ready within {timeout} s\n{self.log_tail()}")

    def stop_server(self, user: str, timeout: float = 60) -> None:
        status, answer = self.api("DELETE", f"/hub/api/users/{user}/server")
        if status not in (202, 204):
            raise RuntimeError(f"could not stop {user}'s server: {status} {answer}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.api("GET", f"/hub/api/users/{user}")[1]["servers"]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{user}'s server did not stop within {timeout} s")

    # -- logging in with a password ------------------------------------------------------------------------------
    def login(self, user: str, password: str) -> int:
        """Log in on the hub's login page; returns the HTTP status of the form's answer (302 to the user's page
        when the password is right)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        with opener.open(self.base + "/hub/login", timeout=60) as response:
            page = response.read().decode()
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page)
        form = {"username": user, "password": password, **({"_xsrf": xsrf.group(1)} if xsrf else {})}
        request = urllib.request.Request(self.base + "/hub/login?next=", method="POST",
                                         data=urllib.parse.urlencode(form).encode())
        try:
            with opener.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    # -- a user's terminal ---------------------------------------------------------------------------------------
    def terminal(self, user: str, token: str, command: str, timeout: float = 600) -> tuple[int, str]:
        """Run `command` in a new terminal of `user`'s JupyterLab (bash, as that user, in their home), the way a
        person types it; returns (exit status, everything the terminal printed)."""
        status, answer = self.api("POST", f"/user/{user}/api/terminals", token=token)
        if status != 200:
            raise RuntimeError(f"could not open a terminal for {user}: {status} {answer}")
        name = answer["name"]
        try:
            return asyncio.run(self._type(f"/user/{user}/terminals/websocket/{name}", token, command, timeout))
        finally:
            self.api("DELETE", f"/user/{user}/api/terminals/{name}", token=token)

    async def _type(self, path: str, token: str, command: str, timeout: float) -> tuple[int, str]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        marker = secrets.token_hex(6)
        connection = await websocket_connect(HTTPRequest(self.base.replace("http", "ws", 1) + path,
                                                         headers={"Authorization": f"token {token}"}))
        try:
            connection.write_message(json.dumps(["stdin", f"{command}; echo {marker}-exit=$?-\r"]))
            printed, deadline = "", time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{command!r} did not finish within {timeout} s; it printed:\n{printed[-3000:]}")
                message = await asyncio.wait_for(connection.read_message(), left)
                if message is None:
                    raise RuntimeError(f"the terminal closed; it printed:\n{printed[-3000:]}")
                kind, *content = json.loads(message)
                if kind == "stdout":
                    printed += content[0]
                found = re.search(marker + r"-exit=(\d+)-", printed)
                if found:
                    return int(found.group(1)), printed[:found.start()]
        finally:
            connection.close()
