"""JupyterHub's configuration for a class on one Linux machine (`make hub`; tested by tests/test_hub.py).

The hub runs as root on 127.0.0.1 only and starts each user's JupyterLab as that user's own Unix account
(LocalProcessSpawner: setuid to the user, home as the working folder). Users log in with their Unix password
(PAMAuthenticator, JupyterHub's default); only the class's accounts may log in. The class (its accounts, nbgrader's
exchange, the instructor's course folder) is made by hub/classroom.py, which writes `<state>/class.json`; the hub's
own state (its database, cookie secret, proxy pid) lives in the same state folder, `build/hub/` unless HUB_STATE
names another. Nothing here listens beyond loopback: put HTTPS in front of it before students use it from elsewhere
(see the README's "A class on JupyterHub").
"""
import json
import os
import pathlib
import sys

c = get_config()  # noqa: F821 - JupyterHub injects get_config

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
STATE = pathlib.Path(os.environ.get("HUB_STATE") or ROOT / "build" / "hub").resolve()
CLASS = json.loads((STATE / "class.json").read_text())  # hub/classroom.py up writes it
ENV = pathlib.Path(sys.prefix)  # the hub's environment: the course's .venv (course_lib, JupyterLab, nbgrader)

# Where it listens: loopback only. The proxy's API port is the next one.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = CLASS["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = CLASS["port"] + 2
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{CLASS['port'] + 1}"
# configurable-http-proxy from npm, pinned in hub/package-lock.json (npm ci --prefix hub)
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

# Who may log in: the class's Unix accounts, with their Unix passwords.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {CLASS["instructor"], *CLASS["students"]}

# Each user's server: JupyterLab from the hub's environment, as that user, in that user's home.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.environment = {"PATH": f"{ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# The admin API for scripts (tests/test_hub.py, benchmarks/hub_users.py): a service whose token (in the state folder,
# mode 0600) may manage users, their servers and tokens, but not act in anyone's server.
c.JupyterHub.services = [{"name": "course-admin", "api_token": (STATE / "admin-token").read_text().strip()}]
c.JupyterHub.load_roles = [{"name": "course-admin", "scopes": ["admin:users", "admin:servers", "tokens"],
                            "services": ["course-admin"]}]
