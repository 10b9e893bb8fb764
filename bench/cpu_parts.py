"""Where Kafka's and PostgreSQL's CPU goes inside their processes, for the end-to-end run.

`bench.stack.cpu_seconds` gives one figure a process. That hid two things a claim does not cost a
deployment that has run for hours: a broker's JVM still compiling its hot paths (its C1/C2
compiler threads; the run's 30 s warm-up is not enough for it), and which of PostgreSQL's
processes work (backends, autovacuum, the WAL writer...). Both are read from /proc: a JVM's
threads under /proc/PID/task (Linux shows the first 15 characters of a thread's name), and
PostgreSQL's processes by the title each sets (`postgres: autovacuum worker`, `postgres: walwriter`,
`postgres: USER DB [local] idle`...). A process that ended between two readings (an autovacuum
worker, a closed connection) is counted in the postmaster's reaped children, under "ended".
"""

from __future__ import annotations

import os
import re
from pathlib import Path

JIT_COMPILER = "JIT compiler"
# A JVM thread's name (as Linux shows it, 15 characters) -> what the broker spends it on.
_JVM_THREADS: list[tuple[str, str]] = [
    (r"^C[12] CompilerThre", JIT_COMPILER),
    (r"^(GC Thread|G1 |VM Thread|VM Periodic)", "garbage collector and VM"),
    (r"^data-plane-kafk", "requests (network and handlers)"),
    (r"^executor-Fetch|^ExpirationReape", "fetches waiting for records"),
    (r"^group-coordinat|^executor-group", "group coordinator"),
]
ENDED = "ended during the run (autovacuum workers, closed connections)"
BACKENDS = "backends (statements)"
_POSTGRES_TITLES: list[tuple[str, str]] = [
    (r"^postgres: autovacuum worker", "autovacuum"),
    (r"^postgres: (walwriter|checkpointer|background writer|io worker|walsummarizer)", "WAL, checkpoints, writes"),
    (r"^postgres: (autovacuum launcher|logical replication launcher|archiver|stats)", "other"),
    (r"^postgres: \S+ \S+ ", BACKENDS),
]


def jvm_thread_kind(name: str) -> str:
    for pattern, kind in _JVM_THREADS:
        if re.search(pattern, name):
            return kind
    return "other"


def postgres_process_kind(title: str) -> str:
    for pattern, kind in _POSTGRES_TITLES:
        if re.search(pattern, title):
            return kind
    return "other"


def parse_stat(raw: str) -> tuple[int, float, float]:
    """A /proc stat line's parent pid, its own CPU seconds (utime + stime) and its reaped children's
    (cutime + cstime). The fields are counted after `(comm)`, which may itself hold spaces."""
    fields = raw[raw.rindex(")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


Reading = dict[str, tuple[str, float]]  # a thread's or process's id -> (kind, CPU seconds so far)


def jvm_threads(pid: int, proc: Path = Path("/proc")) -> Reading:
    """CPU seconds of each live thread of the process, with its kind."""
    found: Reading = {}
    for task in (proc / str(pid) / "task").iterdir():
        try:
            line = (task / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = line[line.index("(") + 1 : line.rindex(")")]
        found[task.name] = (jvm_thread_kind(name), parse_stat(line)[1])
    return found


def postgres_processes(postmaster: int, proc: Path = Path("/proc")) -> Reading:
    """CPU seconds of the postmaster and each of its live children, with its kind, and of its reaped
    children together (`ENDED`)."""
    found: Reading = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, own, reaped = parse_stat((entry / "stat").read_text())
            if int(entry.name) == postmaster:
                found["postmaster"] = ("postmaster", own)
                found["reaped"] = (ENDED, reaped)
            elif parent == postmaster:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found[entry.name] = (postgres_process_kind(title), own)
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
    return found


def by_application(reading: Reading, applications: dict[int, str]) -> Reading:
    """The backends of a `postgres_processes` reading, each under the name its connection gave
    (pg_stat_activity.application_name: "jaring-claims" for claims' pool, shared.db): whose statements
    PostgreSQL's CPU went to. A process title does not carry that name, so the bench reads it from
    the server. A connection closed between two readings is left out (its CPU is in `ENDED`)."""
    return {
        key: (applications.get(int(key)) or "unnamed", seconds)
        for key, (kind, seconds) in reading.items()
        if kind == BACKENDS and key.isdigit()
    }


def ms_per_claim(before: Reading, after: Reading, claims: int) -> dict[str, float]:
    """Milliseconds a claim of each kind between two readings. One that started meanwhile counts
    from zero. A PostgreSQL process gone by the end counts in `ENDED` (the postmaster reaped it with
    all its CPU), less what it had used by the first reading. A JVM thread gone by the end is lost
    (its CPU is the process's, no thread's): the broker's threads live as long as it does."""
    used: dict[str, float] = {}
    for key, (kind, seconds) in after.items():
        used[kind] = used.get(kind, 0.0) + seconds - before.get(key, (kind, 0.0))[1]
    if ENDED in used:
        used[ENDED] -= sum(seconds for key, (_, seconds) in before.items() if key not in after)
    done = max(claims, 1)
    return {kind: 1000 * max(seconds, 0.0) / done for kind, seconds in used.items()}
