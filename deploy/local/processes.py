"""Process plumbing shared by the Kafka node and the stack CLI.

Every long-running process is started in its own session (so its pid is also its
process-group id) and stopped by signalling the whole group: a process's children
go with it and nothing is left behind. Liveness reads /proc, so a zombie counts as
gone and a pid reused by an unrelated process can be told apart by its command line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path


def start_process(
    argv: Sequence[str],
    log_file: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start `argv` in a new session with stdout and stderr appended to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab", buffering=0) as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"\n=== {stamp} starting: {' '.join(argv)}\n".encode())
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )


def _parse_stat(path: Path) -> tuple[str, int] | None:
    try:
        raw = path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of `pid` from /proc, or None when there is no such process.
    A leader thread shows "Z" while the JVM's other threads are still exiting: the
    process counts as gone only once every thread is."""
    st = _parse_stat(Path(f"/proc/{pid}/stat"))
    if st is None or st[0] not in ("Z", "X"):
        return st
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return st
    for task in tasks:
        t = _parse_stat(task / "stat")
        if t is not None and t[0] not in ("Z", "X"):
            return t[0], st[1]
    return st


def pid_alive(pid: int | None) -> bool:
    """Alive and not a zombie. Exited children are not reaped here, so a caller holding
    the Popen still gets the real exit code from poll()/wait()."""
    if pid is None:
        return False
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        st = _stat(int(entry.name))
        if st is not None and st[1] == pgid and st[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def processes_with_env(key: str, value: str) -> list[int]:
    """Pids whose environment holds `key=value` (the stack marks everything it starts)."""
    needle = f"{key}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if needle in environ.split(b"\0") and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def stop_process_group(pid: int, timeout: float = 30.0) -> bool:
    """SIGTERM the process group led by `pid`, wait up to `timeout` s for every member
    to exit, then SIGKILL what is left. Returns True if SIGKILL was needed."""

    def signal_group(sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):  # not a group leader: signal the process itself
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def anything_left() -> bool:
        return pid_alive(pid) or bool(group_members(pid))

    if not anything_left():
        return False
    signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not anything_left():
            return False
        time.sleep(0.1)
    signal_group(signal.SIGKILL)
    deadline = time.monotonic() + 5
    while anything_left() and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{pid}\n")


def tail(path: Path, lines: int = 20, *, last_run_only: bool = False) -> str:
    """The last `lines` lines of a log; with `last_run_only`, none from before the latest
    "=== … starting:" header that start_process writes (logs are appended across runs)."""
    try:
        with open(path, errors="replace") as f:
            recent = list(deque(f, maxlen=max(lines, 500) if last_run_only else lines))
    except FileNotFoundError:
        return f"(no log at {path})\n"
    if last_run_only:
        starts = [i for i, line in enumerate(recent) if line.startswith("=== ") and " starting: " in line]
        if starts:
            recent = recent[starts[-1] + 1 :]
    return "".join(recent[-lines:])
