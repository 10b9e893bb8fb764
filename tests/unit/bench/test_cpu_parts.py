"""Kafka's CPU by JVM thread and PostgreSQL's by process, read from a /proc tree made by hand: the
kinds the end-to-end run prints, and a process that ends between the two readings counted once."""

import os
from pathlib import Path

import pytest

from bench.cpu_parts import (
    ENDED,
    JIT_COMPILER,
    by_application,
    jvm_thread_kind,
    jvm_threads,
    ms_per_claim,
    postgres_process_kind,
    postgres_processes,
)

TICK = os.sysconf("SC_CLK_TCK")


def stat_line(pid: int, comm: str, ppid: int, utime_s: float, stime_s: float, cutime_s=0.0, cstime_s=0.0) -> str:
    ticks = [round(s * TICK) for s in (utime_s, stime_s, cutime_s, cstime_s)]
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    return f"{pid} ({comm}) S {ppid} 1 1 0 -1 0 0 0 0 0 {ticks[0]} {ticks[1]} {ticks[2]} {ticks[3]} 20 0 1 0\n"


def process(proc: Path, pid: int, comm: str, ppid: int, cpu: tuple[float, ...], title: str | None = None) -> None:
    d = proc / str(pid)
    d.mkdir(parents=True, exist_ok=True)
    (d / "stat").write_text(stat_line(pid, comm, ppid, *cpu))
    (d / "cmdline").write_bytes((title or comm).encode() + b"\0")


def thread(proc: Path, pid: int, tid: int, name: str, cpu: tuple[float, float]) -> None:
    d = proc / str(pid) / "task" / str(tid)
    d.mkdir(parents=True, exist_ok=True)
    (d / "stat").write_text(stat_line(tid, name, 1, *cpu))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("C2 CompilerThre", JIT_COMPILER),
        ("C1 CompilerThre", JIT_COMPILER),
        ("data-plane-kafk", "requests (network and handlers)"),
        ("executor-Fetch", "fetches waiting for records"),
        ("group-coordinat", "group coordinator"),
        ("GC Thread#0", "garbage collector and VM"),
        ("G1 Conc#0", "garbage collector and VM"),
        ("kafka-1-raft-io", "other"),
    ],
)
def test_jvm_threads_by_what_the_broker_spends_them_on(name, kind):
    assert jvm_thread_kind(name) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("postgres: autovacuum worker jaring", "autovacuum"),
        ("postgres: walwriter", "WAL, checkpoints, writes"),
        ("postgres: checkpointer", "WAL, checkpoints, writes"),
        ("postgres: io worker 1", "WAL, checkpoints, writes"),
        ("postgres: autovacuum launcher", "other"),
        ("postgres: jaring jaring [local] idle", "backends (statements)"),
        ("postgres: jaring jaring [local] INSERT", "backends (statements)"),
    ],
)
def test_postgres_processes_by_their_title(title, kind):
    assert postgres_process_kind(title) == kind


def test_a_brokers_compiler_threads_apart_from_its_request_handlers(tmp_path):
    thread(tmp_path, 50, 51, "C2 CompilerThre", (1.0, 0.0))
    thread(tmp_path, 50, 52, "data-plane-kafk", (2.0, 0.5))
    thread(tmp_path, 50, 53, "data-plane-kafk", (1.0, 0.0))
    before = jvm_threads(50, tmp_path)
    thread(tmp_path, 50, 51, "C2 CompilerThre", (1.5, 0.0))  # +0.5 s
    thread(tmp_path, 50, 52, "data-plane-kafk", (3.0, 0.5))  # +1.0 s
    thread(tmp_path, 50, 53, "data-plane-kafk", (1.5, 0.5))  # +1.0 s
    # 3 s over 100 claims: 5 ms and 20 ms a claim
    assert ms_per_claim(before, jvm_threads(50, tmp_path), 100) == pytest.approx(
        {JIT_COMPILER: 5.0, "requests (network and handlers)": 20.0}
    )


def test_a_process_that_ends_between_the_readings_counts_once_in_ended(tmp_path):
    pm = 100
    process(tmp_path, pm, "postgres", 1, (0.2, 0.1, 0.0, 0.0), "/opt/pg/bin/postgres -D /data")
    process(tmp_path, 101, "postgres", pm, (4.0, 1.0), "postgres: jaring jaring [local] idle")
    process(tmp_path, 102, "postgres", pm, (0.3, 0.0), "postgres: autovacuum worker jaring")
    process(tmp_path, 200, "python", 1, (9.0, 9.0), "python -m services.claims")  # not PostgreSQL's
    before = postgres_processes(pm, tmp_path)

    # Meanwhile: the backend used 2 s more, worker 102 used 0.5 s more and ended (reaped with its
    # 0.8 s), worker 103 started and used 0.4 s, a connection opened and closed used 0.1 s.
    process(tmp_path, pm, "postgres", 1, (0.2, 0.1, 0.9, 0.0), "/opt/pg/bin/postgres -D /data")
    process(tmp_path, 101, "postgres", pm, (5.5, 1.5), "postgres: jaring jaring [local] idle")
    (tmp_path / "102" / "stat").unlink()
    process(tmp_path, 103, "postgres", pm, (0.4, 0.0), "postgres: autovacuum worker jaring")
    after = postgres_processes(pm, tmp_path)

    # 10 claims: backends 2 s -> 200 ms; the live worker 0.4 s -> 40 ms; ended: 0.9 s reaped less
    # the 0.3 s worker 102 had used before the first reading -> 0.6 s -> 60 ms; the postmaster 0.
    assert ms_per_claim(before, after, 10) == pytest.approx(
        {"backends (statements)": 200.0, "autovacuum": 40.0, ENDED: 60.0, "postmaster": 0.0}
    )


def test_backends_by_the_service_whose_connection_each_is(tmp_path):
    pm = 100
    process(tmp_path, pm, "postgres", 1, (0.2, 0.1), "/opt/pg/bin/postgres -D /data")
    process(tmp_path, 101, "postgres", pm, (4.0, 1.0), "postgres: jaring jaring [local] idle")
    process(tmp_path, 102, "postgres", pm, (1.0, 0.0), "postgres: jaring jaring [local] idle")
    process(tmp_path, 103, "postgres", pm, (2.0, 0.0), "postgres: jaring jaring [local] idle")
    process(tmp_path, 104, "postgres", pm, (0.3, 0.0), "postgres: autovacuum worker jaring")
    before = postgres_processes(pm, tmp_path)
    # Meanwhile: claims' two connections used 1.0 s and 0.5 s more, the console's 0.25 s; the
    # autovacuum worker (no connection of anyone's) 1 s; a connection opened by notifications used 0.2 s;
    # one without a name 0.05 s.
    process(tmp_path, 101, "postgres", pm, (4.5, 1.5), "postgres: jaring jaring [local] idle")
    process(tmp_path, 102, "postgres", pm, (1.5, 0.0), "postgres: jaring jaring [local] INSERT")
    process(tmp_path, 103, "postgres", pm, (2.25, 0.0), "postgres: jaring jaring [local] idle")
    process(tmp_path, 104, "postgres", pm, (1.3, 0.0), "postgres: autovacuum worker jaring")
    process(tmp_path, 105, "postgres", pm, (0.2, 0.0), "postgres: jaring jaring [local] idle")
    process(tmp_path, 106, "postgres", pm, (0.05, 0.0), "postgres: jaring jaring [local] idle")
    after = postgres_processes(pm, tmp_path)
    names = {101: "jaring-claims", 102: "jaring-claims", 103: "jaring-console", 105: "jaring-notifications", 106: ""}

    # 5 claims: claims 1.5 s -> 300 ms, the console 0.25 s -> 50 ms, notifications 0.2 s -> 40 ms,
    # the nameless 0.05 s -> 10 ms; the autovacuum worker is nobody's backend.
    assert ms_per_claim(by_application(before, names), by_application(after, names), 5) == pytest.approx(
        {"jaring-claims": 300.0, "jaring-console": 50.0, "jaring-notifications": 40.0, "unnamed": 10.0}
    )
