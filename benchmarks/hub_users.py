"""What one hub serves on this machine: spawn time and memory per user for N users (default 10), `make hub`'s set-up.

    sudo .venv/bin/python benchmarks/hub_users.py [--users 10] [--kernel]

Makes a class of N student accounts (hub/classroom.py, in a temporary state folder, removed at the end with the users),
starts the hub (hub/jupyterhub_config.py), then starts each user's server one after the other through the REST API
and times it (from the API call until the hub says the server is ready). With all N running it measures each user's
memory: the PSS (proportional set size: shared pages split between the processes that share them, so the numbers
add up) and the RSS of every process of that user's Unix account (their JupyterLab server, and with --kernel a
Python kernel that has imported torch and course_lib, as a learner's first lesson cell does), read from
/proc/<pid>/smaps_rollup. Then it stops everything. A measurement, not a test: the machine's load changes it (the
load average is printed with it).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import pwd
import shutil
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hub"))

import classroom  # noqa: E402
from client import Hub  # noqa: E402


def memory_of(uid: int | None = None, pids: list[int] | None = None) -> tuple[int, int, int]:
    """(PSS bytes, RSS bytes, processes) of every process of `uid` (or of the processes `pids`)."""
    pss = rss = count = 0
    for pid in classroom.processes_of(uid) if pids is None else pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
            count += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pss, rss, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--kernel", action="store_true", help="also start a kernel per user that imports torch")
    args = parser.parse_args()
    reason = classroom.unavailable_reason()
    if reason:
        print(f"hub_users.py: {reason}", file=sys.stderr)
        return 1
    students = [f"bench-{i:02d}" for i in range(1, args.users + 1)]
    base = pathlib.Path(tempfile.mkdtemp(prefix="course-hub-bench-"))
    os.chmod(base, 0o711)
    state = base / "state"
    hub = None
    try:
        classroom.up(state, base / "exchange", "bench-teacher", students, 18600)
        hub = Hub(state)
        hub.start()
        load = os.getloadavg()[0]
        spawn, tokens = {}, {}
        for user in students:
            spawn[user] = hub.start_server(user)
            tokens[user] = hub.token(user)
        if args.kernel:
            for user in students:
                status, kernel = hub.api("POST", f"/user/{user}/api/kernels", token=tokens[user], body={})
                code = "import torch, course_lib.naive, course_lib.checks"
                _run_in_kernel(hub, user, tokens[user], kernel["id"], code)
        time.sleep(3)
        memory = {u: memory_of(pwd.getpwnam(u).pw_uid) for u in students}
        from grading.sandbox import descendants
        own = [p for p in [hub.process.pid, *descendants(hub.process.pid)] if os.stat(f"/proc/{p}").st_uid == 0]
        hub_pss = memory_of(pids=own)[0]  # the hub and its proxy (root's), not the users' servers it started
        times = sorted(spawn.values())
        pss = [m[0] / 2**20 for m in memory.values()]
        rss = [m[1] / 2**20 for m in memory.values()]
        print(f"{args.users} users on {os.cpu_count()} cores, load average {load:.1f} before and "
              f"{os.getloadavg()[0]:.1f} after; servers started one after the other"
              + ("; each with a kernel that imported torch and course_lib" if args.kernel else ""))
        print(f"spawn time (API call to ready): median {statistics.median(times):.1f} s, "
              f"min {times[0]:.1f} s, max {times[-1]:.1f} s; all {args.users} in {sum(times):.0f} s")
        print(f"memory per user (every process of the account): PSS median {statistics.median(pss):.0f} MiB "
              f"(min {min(pss):.0f}, max {max(pss):.0f}), RSS median {statistics.median(rss):.0f} MiB; "
              f"processes per user: {sorted({m[2] for m in memory.values()})}")
        print(f"all users together: PSS {sum(pss):.0f} MiB (the hub and its proxy: {hub_pss / 2**20:.0f} MiB)")
        for user in students:
            hub.stop_server(user)
    finally:
        if hub is not None:
            hub.stop()
        classroom.down(state)
        shutil.rmtree(base, ignore_errors=True)
    return 0


def _run_in_kernel(hub: Hub, user: str, token: str, kernel_id: str, code: str, timeout: float = 300) -> None:
    """Execute `code` in the kernel over its websocket (Jupyter's messaging protocol) and wait until it is idle."""
    import asyncio
    import json
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def go():
        url = hub.base.replace("http", "ws", 1) + f"/user/{user}/api/kernels/{kernel_id}/channels"
        connection = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {token}"}))
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": user, "session": uuid.uuid4().hex, "msg_type": "execute_request",
                       "version": "5.3"}, "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        while True:
            message = json.loads(await asyncio.wait_for(connection.read_message(), timeout))
            if (message.get("parent_header", {}).get("msg_id") == msg_id and message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"):
                break
        connection.close()

    asyncio.run(go())


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
