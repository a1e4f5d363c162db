"""The grading sandbox: every submitted notebook's kernel runs under bubblewrap (Debian's `bubblewrap`, `bwrap`).

What the kernel sees and may do:
  - a root of its own: the system's /usr (read-only), the Python environment that runs the course (read-only),
    the installed `course_lib` package (read-only) and nothing else of the course: not solutions/, not the gradebook,
    not other students' folders;
  - a working folder, a temporary folder and a home of its own, each a 512 MiB tmpfs that vanishes with the sandbox; the only
    file it writes that the grader reads is the checks' record, bound into the working folder;
  - its own mount, PID, network, IPC and UTS namespaces: no network at all, loopback included (its loopback is its own);
  - when the grader runs as root, an unprivileged user (`nobody`, uid 65534) for the kernel; otherwise the grader's
    own user inside a user namespace, without privileges;
  - a memory limit (address space, default 4 GiB), a process limit, a file-size limit; `--die-with-parent` and the PID
    namespace end every process it started when the notebook ends.
The grader and the kernel talk over jupyter_client's `ipc` transport: Unix sockets in a folder shared with the
sandbox, so no network is needed. The kernel never sees the gradebook; only the grader, outside, writes it.

`SandboxKernelManager` is the kernel manager nbgrader's executor uses when grading (nbgrader_config.py).

>>> command = bwrap_command(["python", "-m", "ipykernel_launcher"], SandboxPaths("/s/work", "/s/ipc"), root=False)
>>> command[0].endswith("bwrap"), "--unshare-net" in command, command[-3:]
(True, True, ['python', '-m', 'ipykernel_launcher'])
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import pathlib
import platform
import shutil
import signal
import subprocess
import sys
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode

SANDBOX_UID = 65534  # nobody / nogroup on Debian
WORK = "/home/student/work"  # the kernel's working folder, as the kernel sees it
TMP = "/tmp"  # the kernel's temporary folder: a path inside the sandbox's own mounts, a tmpfs of its own
RECORD = ".check-record.jsonl"  # the checks' record (course_lib.checks.record), in the working folder
DEFAULT_MEMORY = "4G"
DEFAULT_PROCESSES = 256
MAX_FILE = 256 * 2**20  # no single file written in the sandbox may exceed this
SCRATCH_BYTES = 512 * 2**20  # each of the sandbox's own folders (temporary, home, working) is a tmpfs this large


@dataclasses.dataclass(frozen=True)
class SandboxPaths:
    """The scratch folders of one kernel, as the grader sees them: `work` (bound at WORK) and `ipc` (bound at the
    same path, for the connection file and the sockets)."""
    work: str
    ipc: str


def parse_size(text: str) -> int:
    """Bytes in a size such as "4G", "512M" or "1000000".

    >>> parse_size("4G"), parse_size("512M"), parse_size("1073741824")
    (4294967296, 536870912, 1073741824)
    """
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    given = str(text)
    text = given.strip().upper().removesuffix("B").removesuffix("I")
    try:
        if text and text[-1] in units:
            value = float(text[:-1]) * units[text[-1]]
        else:
            value = float(text)
    except ValueError:
        raise ValueError(f"MEMORY: expected a size such as 4G or 512M, got {given!r}") from None
    if value < 512 * 2**20:
        raise ValueError(f"MEMORY: {given!r} is too small for a kernel that imports torch; give at least 512M")
    return int(value)


def _course_lib_folder() -> str:
    spec = importlib.util.find_spec("course_lib")
    return str(pathlib.Path(list(spec.submodule_search_locations)[0]).resolve())


def read_only_paths() -> list[str]:
    """What the kernel may read besides /usr: this Python's installation and environment, and course_lib."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), _course_lib_folder()}
    return sorted(p for p in paths if not p.startswith("/usr/") and p != "/usr")


def _with_parents(path: str, made: set) -> list[str]:
    """bwrap arguments that create the parents of `path` as plain 0755 folders (bwrap's own are 0700)."""
    args = []
    parts = pathlib.PurePosixPath(path).parents
    for parent in reversed(list(parts)[:-1]):  # every ancestor except "/"
        if str(parent) not in made:
            made.add(str(parent))
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def bwrap_command(kernel: list[str], paths: SandboxPaths, root: bool | None = None,
                  memory: int = parse_size(DEFAULT_MEMORY), processes: int = DEFAULT_PROCESSES) -> list[str]:
    """The command that runs `kernel` in the sandbox; `root`: whether the grader runs as root (then the kernel
    drops to uid SANDBOX_UID; otherwise a user namespace keeps the grader's own unprivileged user)."""
    root = os.geteuid() == 0 if root is None else root
    bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
    made: set = set()
    args = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try"]
    if not root:
        args += ["--unshare-user"]
    args += ["--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/bin", "/bin",
             "--symlink", "usr/sbin", "/sbin"]
    if os.path.isdir("/usr/lib64"):
        args += ["--symlink", "usr/lib64", "/lib64"]
    for name in ("passwd", "group", "nsswitch.conf", "localtime", "fonts", "ssl/certs"):
        args += _with_parents(f"/etc/{name}", made) + ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    # The sandbox's own folders first, then what is bound into them: a course or a venv that lives under /tmp or
    # /home on the host must not be hidden by the tmpfs mounted there.
    home = str(pathlib.PurePosixPath(WORK).parent)
    args += _with_parents(WORK, made)
    for folder in (TMP, home, WORK):
        made.add(folder)
        args += ["--size", str(SCRATCH_BYTES), "--perms", "1777", "--tmpfs", folder]
    for path in read_only_paths():
        args += _with_parents(path, made) + ["--ro-bind", path, path]
    args += ["--bind", os.path.join(paths.work, RECORD), f"{WORK}/{RECORD}"]  # the one file the grader reads back
    args += _with_parents(paths.ipc, made) + ["--bind", paths.ipc, paths.ipc]
    args += ["--chdir", WORK, "--clearenv"]
    env = {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "TMPDIR": TMP, "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{TMP}/matplotlib", "OMP_NUM_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "COURSE_CHECKS_RECORD": f"{WORK}/{RECORD}"}
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--"]
    if root:
        args += ["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                 "--no-new-privs", "--"]
    args += ["prlimit", f"--as={memory}", f"--nproc={processes}", f"--fsize={MAX_FILE}", "--core=0", "--"]
    return args + list(kernel)


def unavailable_reason() -> str | None:
    """Why no sandbox can be made on this machine, in words; None when one can."""
    if platform.system() != "Linux":
        return f"the grading sandbox needs Linux (bubblewrap and namespaces); this is {platform.system()}"
    if shutil.which("bwrap") is None:
        return ("bubblewrap is not installed: install Debian's package `bubblewrap` "
                "(sudo apt-get install bubblewrap)")
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return f"`{tool}` (util-linux) is not installed"
    with tempfile.TemporaryDirectory() as scratch:
        paths = SandboxPaths(os.path.join(scratch, "work"), os.path.join(scratch, "ipc"))
        prepare(paths)
        probe = bwrap_command([sys.executable, "-c", "import os; print(os.getuid())"], paths)
        try:
            done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not start a sandbox: {error}"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap could not start a sandbox ({detail}); unprivileged user namespaces may be disabled "
                f"(sysctl kernel.unprivileged_userns_clone=1), or run the grader as root")
    return None


def prepare(paths: SandboxPaths) -> None:
    """Create the scratch folders and the (empty) record file, writable by the sandbox's user."""
    for folder in (paths.work, paths.ipc):
        os.makedirs(folder, exist_ok=True)
    record = os.path.join(paths.work, RECORD)
    open(record, "a").close()
    if os.geteuid() == 0:
        for path in (paths.work, paths.ipc, record):
            os.chown(path, SANDBOX_UID, SANDBOX_UID)
    os.chmod(os.path.dirname(paths.work), 0o711)


def descendants(pid: int) -> list[int]:
    """The processes below `pid` that are not bubblewrap's own (read from /proc)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat_line = f.read()
        except OSError:
            continue
        name = stat_line[stat_line.index("(") + 1:stat_line.rindex(")")]
        parent = int(stat_line[stat_line.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(entry))
        names[int(entry)] = name
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        todo += children.get(child, [])
        if names.get(child) != "bwrap":
            found.append(child)
    return found


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts each kernel in its own sandbox (`bwrap_command`), talking over `ipc` sockets.

    With `sandboxed = False` (`make grade UNSAFE=1`) the kernel runs as a plain process, but still in a scratch working
    folder and with the checks' record, so grading works the same way."""

    sandboxed = Bool(True, help="Run the kernel under bubblewrap").tag(config=True)
    memory_limit = Unicode(DEFAULT_MEMORY, help="The kernel's address-space limit, e.g. 4G").tag(config=True)
    process_limit = Integer(DEFAULT_PROCESSES, help="The sandbox user's process limit").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scratch = tempfile.mkdtemp(prefix="course-grade-")
        self.paths = SandboxPaths(os.path.join(self.scratch, "work"), os.path.join(self.scratch, "ipc"))
        prepare(self.paths)
        self.transport = "ipc"
        self.connection_file = os.path.join(self.paths.ipc, "kernel.json")
        self.ip = os.path.join(self.paths.ipc, "k")

    @property
    def record_path(self) -> str:
        """The checks' record as the grader reads it."""
        return os.path.join(self.paths.work, RECORD)

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.sandboxed and os.geteuid() == 0:
            os.chown(self.connection_file, SANDBOX_UID, SANDBOX_UID)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        if not self.sandboxed:
            return command
        return bwrap_command(command, self.paths, memory=parse_size(self.memory_limit), processes=self.process_limit)

    async def _async_launch_kernel(self, kernel_cmd, **kw) -> None:
        kw["cwd"] = self.paths.work if not self.sandboxed else self.scratch
        env = dict(kw.get("env") or os.environ)
        env["COURSE_CHECKS_RECORD"] = self.record_path  # used only when not sandboxed (bwrap sets its own)
        kw["env"] = env
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL  # the kernel's own console: nothing the grader needs
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_signal_kernel(self, signum: int) -> None:
        """Signal the kernel and the processes it started, not bubblewrap itself (an interrupt would end bwrap, and
        with it the kernel, instead of interrupting the cell)."""
        process = getattr(self.provisioner, "process", None)
        if not self.sandboxed or process is None or signum == signal.SIGKILL:
            return await super()._async_signal_kernel(signum)
        for pid in descendants(process.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    def remove_scratch(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
