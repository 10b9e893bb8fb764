"""Bulk enrolment benchmark: how fast a city list goes in with every rule on.

    .venv/bin/python -m bench.enrollment_import --rows 50000      (or: make bench ROWS=50000)

Starts its own PostgreSQL and Kafka on free ports, isolated in temporary directories,
unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set. PostgreSQL runs with fsync,
synchronous_commit and full_page_writes ON — the server's defaults and what production
runs — unlike the test suite's throwaway cluster, which turns them off. The enrollment
app runs in this process with its outbox relay, as a deployed instance would; the CSV
of generated valid workers (tests/support/city_lists.py, the same generator the import
tests use) is POSTed to /v1/imports and the import followed on GET /v1/imports/{id}.

Prints rows/s, wall time, this process's peak RSS and the outbox→Kafka drain time, and
writes them with the machine's description into docs/benchmarks.md.

Target (the import issue): ≥ 2,000 rows/s on the 2-core development machine.
Not a test: pytest collects tests/ only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import platform
import pstats
import random
import resource
import shlex
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import results
from deploy.local.kafka import KAFKA_VERSION
from deploy.local.postgres import PostgresNode, temporary_cluster
from services.enrollment import imports
from services.enrollment.app import build_spec
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today
from shared.topics import PARTICIPANTS
from tests.support.city_lists import city_workers, csv_bytes
from tests.support.kafka_tools import end_offsets
from tests.support.services import infra_settings, running
from tests.support.stack import REPO, free_port, kafka_for_tests

TARGET_ROWS_PER_SECOND = 2_000


@contextmanager
def postgres_for_bench() -> Iterator[tuple[str, PostgresNode | None]]:
    """DATABASE_URL when given, else a fresh cluster with the durable (default) settings."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given, None
        return
    # fast=False: fsync, synchronous_commit and full_page_writes stay on, as in production.
    with temporary_cluster(free_port(), fast=False, prefix="jaring-bench-pg-") as node:
        yield node.url("jaring"), node


@dataclass
class Result:
    rows: int
    csv_mib: float
    enrolled: int = 0
    rejected: int = 0
    existing: int = 0
    import_seconds: float = 0.0  # finished_at - started_at, as the database recorded them
    wall_seconds: float = 0.0  # POST sent → status "finished" seen by polling
    drain_seconds: float = 0.0  # import finished → outbox empty (every event acknowledged by Kafka)
    published_seconds: float = 0.0  # POST sent → outbox empty: the whole list announced on Kafka
    events_on_topic: int = 0
    rss_before_mib: float = 0.0
    peak_rss_mib: float = 0.0
    cpu_seconds: float = 0.0  # this process (app, relay, client), user + system, during the import
    postgres_cpu_seconds: float | None = None  # the cluster's processes, when it is ours
    load_before: float = 0.0  # 1-minute load average: other work on the machine skews the figures
    load_after: float = 0.0
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.import_seconds if self.import_seconds else 0.0


def rss_now_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cluster_cpu_seconds(node: PostgresNode | None) -> float | None:
    """User + system time of the postmaster and its children (backends, WAL writer, checkpointer…)."""
    postmaster = node.pid() if node is not None else None
    if postmaster is None:
        return None
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def run_benchmark(
    rows: int,
    seed: int | None,
    bootstrap: str,
    database_url: str,
    node: PostgresNode | None,
    *,
    profile: Path | None,
    timeout: float,
) -> Result:
    started = time.perf_counter()
    content = csv_bytes(city_workers(rows, random.Random(seed), today=today()))
    gc.collect()  # the generated rows are garbage now: keep them out of the RSS figures
    result = Result(rows=rows, csv_mib=len(content) / 2**20)
    print(f"generated {rows:,} workers ({result.csv_mib:.1f} MiB of CSV) in {time.perf_counter() - started:.1f} s")

    settings = EnrollmentSettings(infra=infra_settings(bootstrap, database_url, log_level="WARNING"))
    async with running(build_spec(settings)) as client:
        pool = client.app.state.runtime.pool
        result.environment = await describe_environment(pool, settings, bootstrap, database_url)
        offsets_before = sum((await end_offsets(bootstrap, PARTICIPANTS.name)).values())
        result.rss_before_mib = rss_now_mib()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()

        result.load_before = os.getloadavg()[0]
        cpu_before, cluster_before = cpu_seconds(), cluster_cpu_seconds(node)
        sent = time.perf_counter()
        answer = await client.post(
            "/v1/imports",
            params={"filename": f"bench-{rows}.csv"},
            content=content,
            headers={"Content-Type": "text/csv"},
        )
        if answer.status_code != 202:
            raise SystemExit(f"POST /v1/imports answered {answer.status_code}: {answer.text[:500]}")
        import_id = answer.json()["import_id"]
        view = await follow_import(client, import_id, sent, deadline=sent + timeout)
        finished = time.perf_counter()
        result.wall_seconds = finished - sent
        result.cpu_seconds = cpu_seconds() - cpu_before
        cluster_after = cluster_cpu_seconds(node)
        if cluster_before is not None and cluster_after is not None:
            result.postgres_cpu_seconds = cluster_after - cluster_before
        result.load_after = os.getloadavg()[0]
        if profiler:
            profiler.disable()

        async with pool.acquire() as conn:
            result.import_seconds = await conn.fetchval(
                "SELECT extract(epoch FROM finished_at - started_at)::float8 FROM imports WHERE import_id = $1",
                import_id,
            )
        result.enrolled, result.rejected, result.existing = (
            view["rows_enrolled"],
            view["rows_rejected"],
            view["rows_existing"],
        )
        if view["status"] != "finished":
            raise SystemExit(f"import {import_id} ended {view['status']}: {view}")

        while await pool.fetchval("SELECT count(*) FROM outbox") > 0:
            if time.perf_counter() > finished + timeout:
                raise SystemExit("the outbox did not drain within the timeout")
            await asyncio.sleep(0.05)
        result.drain_seconds = time.perf_counter() - finished
        result.published_seconds = time.perf_counter() - sent
        result.events_on_topic = sum((await end_offsets(bootstrap, PARTICIPANTS.name)).values()) - offsets_before
        result.peak_rss_mib = peak_rss_mib()

    if profiler and profile:
        profiler.dump_stats(profile)
        print(f"\nprofile of the import written to {profile}; top functions by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return result


async def follow_import(client, import_id: str, sent: float, deadline: float) -> dict:
    """Polls the import's progress (as an officer's screen would), printing it once a second."""
    printed = 0.0
    while True:
        view = (await client.get(f"/v1/imports/{import_id}")).json()
        now = time.perf_counter()
        if view["status"] != "running" or now - printed >= 1.0:
            pending = await client.app.state.runtime.pool.fetchval("SELECT count(*) FROM outbox")
            elapsed = now - sent
            print(
                f"  {elapsed:6.1f} s  {view['rows_done']:>7,}/{view['rows_total']:,} rows "
                f"({view['progress']:.0%})  {view['rows_done'] / elapsed:7,.0f} rows/s  "
                f"outbox pending {pending:,}",
                flush=True,
            )
            printed = now
        if view["status"] != "running":
            return view
        if now > deadline:
            raise SystemExit(f"import {import_id} still running after the timeout: {view}")
        await asyncio.sleep(0.2)


async def describe_environment(pool, settings: EnrollmentSettings, bootstrap: str, database_url: str) -> dict[str, str]:
    async with pool.acquire() as conn:
        pg = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        }
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    return {
        "cpu": f"{os.cpu_count()} × {cpu} (nproc {len(os.sched_getaffinity(0))})",
        "memory": f"{mem_kib / 2**20:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": (
            f"{pg['server_version']} "
            + ("(given DATABASE_URL)" if os.environ.get("DATABASE_URL") else "(embedded, own cluster)")
        ),
        "postgresql settings": (
            f"fsync={pg['fsync']}, synchronous_commit={pg['synchronous_commit']}, "
            f"full_page_writes={pg['full_page_writes']}, shared_buffers={pg['shared_buffers']}"
        ),
        "kafka": "given KAFKA_BOOTSTRAP_SERVERS"
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        else f"{KAFKA_VERSION} (KRaft, single node, own broker)",
        "import settings": (
            f"chunk {imports.CHUNK_ROWS} rows per transaction, outbox relay batch "
            f"{settings.outbox_batch_size}, {settings.infra.kafka_topic_partitions} partitions, "
            f"producer acks=all + idempotence"
        ),
    }


def report(result: Result, command: str) -> str:
    verdict = "meets" if result.rows_per_second >= TARGET_ROWS_PER_SECOND else "is BELOW"
    postgres_cpu = (
        f"; PostgreSQL {result.postgres_cpu_seconds:.1f} s" if result.postgres_cpu_seconds is not None else ""
    )
    lines = [
        f"Latest run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`",
        "",
        "| | |",
        "|---|---|",
        f"| rows | {result.rows:,} valid workers ({result.csv_mib:.1f} MiB CSV), every rule on |",
        f"| outcome | {result.enrolled:,} enrolled, {result.rejected:,} rejected, {result.existing:,} existing |",
        (
            f"| **throughput** | **{result.rows_per_second:,.0f} rows/s** "
            f"(target ≥ {TARGET_ROWS_PER_SECOND:,}: {verdict} it) |"
        ),
        (
            f"| import time | {result.import_seconds:.1f} s in the database (started → finished); "
            f"{result.wall_seconds:.1f} s seen by the client |"
        ),
        (
            f"| outbox → Kafka drain | {result.drain_seconds:.1f} s after the import finished (the relay publishes "
            f"while the import runs), so every event was on Kafka {result.published_seconds:.1f} s after the POST; "
            f"{result.events_on_topic:,} events on {PARTICIPANTS.name} |"
        ),
        (
            f"| peak RSS (this process) | {result.peak_rss_mib:,.0f} MiB (ru_maxrss; {result.rss_before_mib:,.0f} MiB "
            f"before the POST) |"
        ),
        (
            f"| CPU during the import | this process {result.cpu_seconds:.1f} s "
            f"({result.cpu_seconds / result.rows * 1e6:,.0f} µs per row: app, relay, client){postgres_cpu} |"
        ),
        (
            f"| load average (1 min) | {result.load_before:.1f} before, {result.load_after:.1f} after "
            f"(other work on the machine slows the figures above) |"
        ),
        *(f"| {name} | {value} |" for name, value in result.environment.items()),
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    results.write_section("enrollment_import", "Bulk enrolment import", text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.enrollment_import", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="workers in the generated CSV (default 50,000)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the generator (default: random)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a cProfile of the import to this file and print its top functions",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds the import and the drain may take")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {results.DOC.relative_to(REPO)}")
    args = parser.parse_args(argv)

    print("starting PostgreSQL and Kafka (or using DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS)…", flush=True)
    with ExitStack() as stack, ThreadPoolExecutor(2) as starter:
        # Both take seconds to start: start them together; each is stopped on the way out.
        kafka_cm, pg_cm = kafka_for_tests(), postgres_for_bench()
        kafka_future, pg_future = starter.submit(kafka_cm.__enter__), starter.submit(pg_cm.__enter__)
        for cm, future in ((kafka_cm, kafka_future), (pg_cm, pg_future)):
            with contextlib.suppress(Exception):
                future.result()
                stack.push(cm.__exit__)
        bootstrap, (database_url, node) = kafka_future.result(), pg_future.result()
        result = asyncio.run(
            run_benchmark(
                args.rows, args.seed, bootstrap, database_url, node, profile=args.profile, timeout=args.timeout
            )
        )

    command = (
        shlex.join([".venv/bin/python", "-m", "bench.enrollment_import", *sys.argv[1:]])
        if argv is None
        else shlex.join(["python", "-m", "bench.enrollment_import", *argv])
    )
    text = report(result, command)
    print("\n" + text)
    if not args.no_write:
        write_section(text)
        print(f"\nwritten to {results.DOC.relative_to(REPO)}")
    if result.enrolled != result.rows:
        raise SystemExit(f"expected all {result.rows:,} rows enrolled, got {result.enrolled:,}")


if __name__ == "__main__":
    main()
