"""End-to-end benchmark: claims filed → families notified, on a stack of its own.

    .venv/bin/python -m bench.e2e --rate 100 --duration 60 --partitions 3 --instances 1
    .venv/bin/python -m bench.e2e --rate 100,300,500,1000 --duration 60 --ceilings --grid   (make bench-e2e)

Starts Kafka and PostgreSQL (fsync on) on free ports, the SMTP and SMS/WhatsApp stand-ins
and the services as real processes (`--instances` of each consumer service: claims and
notifications share their consumer groups' partitions; the console and grievances too, unless
`--no-console` / `--no-grievances`: they read the claims' topics in production), then for each offered rate: enrols
rate × duration workers with heirs through the bulk import, records their contributions,
waits for the read models, and files their claims open-loop (bench/load.py) while a
scripted supervisor handles the reviews and a tracker follows every claim through the
events. Rates go up until one is not sustained; higher ones are reported as not reached.

`--ceilings` measures PostgreSQL's commit rate (pgbench), Kafka's round trip and
throughput and an empty FastStream handler's rate on the same stack before the load.
`--grid` repeats a shorter run at `--grid-rate` for 1, 3, 6 partitions × 1, 2 instances.
`--profile DIR` runs the services under pyinstrument and leaves their profiles in DIR.
Prints the figures; writes them with the machine and settings to docs/benchmarks.md (its
own section; others' are kept) and the latency plot to docs/img/e2e-latency.png.
Not a test: pytest collects tests/ only.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import resource
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import aiohttp
import asyncpg

from bench import ceilings as ceiling_checks
from bench import cpu_parts, pg_statements
from bench.load import ClaimTracker, Summary, Supervisor, Target, Worker, enrol, file_claims, plan_workers, summarise
from bench.report import describe_machine, write_report
from bench.stack import BenchStack, cpu_seconds, token
from shared.topics import CATALOGUE
from tests.support.kafka_tools import end_offsets

SUSTAINED = 0.95  # a rate is sustained when this share of it reaches "family notified" and all finish
GOALS = {"throughput": 1_000, "p99_at_500": 1.0}


@dataclass
class RateRun:
    offered: float | None  # None: as fast as accepted
    duration: float
    partitions: int
    instances: int
    summary: Summary | None = None
    filed_errors: dict[str, int] = field(default_factory=dict)
    http_p50: float = 0.0
    http_p99: float = 0.0
    max_launch_lag: float = 0.0
    all_notified: bool = False
    enrol_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # cores used per component during the run
    cpu_ms_per_claim: dict[str, float] = field(default_factory=dict)  # CPU time per claim notified
    # Cores each component used with the stack up and nothing filed (heartbeats, polls, fetches),
    # measured just before filing: a run that the shared machine slows down spreads this idle
    # cost over fewer claims per second, so per-claim figures are also given without it.
    idle_cores: dict[str, float] = field(default_factory=dict)
    cpu_ms_per_claim_beyond_idle: dict[str, float] = field(default_factory=dict)
    commits_per_claim: float = 0.0  # transactions, read-only ones included
    wal_fsyncs_per_claim: float = 0.0
    wal_kb_per_claim: float = 0.0
    wal_fpi_per_claim: float = 0.0  # whole pages written to the WAL (first change after a checkpoint)
    records_per_claim: float = 0.0
    wal_files_created: int = 0  # WAL files made (zero-filled) during the run, not recycled ones
    load_average: str = ""
    supervisor: dict[str, int] = field(default_factory=dict)
    duplicates_seen: int = 0
    dispatch_p50: float = float("nan")  # a message's queued → delivered (notifications' own records)
    dispatch_p99: float = float("nan")
    # Inside Kafka's and PostgreSQL's processes, ms a claim by kind (bench/cpu_parts.py).
    kafka_parts_ms: dict[str, float] = field(default_factory=dict)
    postgres_parts_ms: dict[str, float] = field(default_factory=dict)
    # PostgreSQL's backends by the service whose connection each is (bench/cpu_parts.by_application).
    postgres_backends_ms: dict[str, float] = field(default_factory=dict)
    maintenance: dict[str, tuple[int, float]] = field(default_factory=dict)  # table -> autovacuum/analyze runs, ms
    # Kafka's idle cores by JVM thread kind: its JIT compiler may still be at work in the idle window,
    # and moves the idle total by more than what the consumers' fetches cost.
    kafka_idle_parts: dict[str, float] = field(default_factory=dict)

    @property
    def sustained(self) -> bool:
        if self.summary is None or not self.all_notified:
            return False
        return self.offered is None or self.summary.throughput >= SUSTAINED * self.offered


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def target_of(stack: BenchStack) -> Target:
    return Target(
        enrollment_url=stack.urls("enrollment")[0],
        claims_urls=stack.urls("claims"),
        bootstrap=stack.bootstrap,
        database_url=stack.database_url,
        officer_token=token("officer"),
        supervisor_token=token("supervisor"),
    )


async def _applications(database_url: str) -> dict[int, str]:
    """Each client backend's process id and the name its connection gave (a service's pool names
    itself "jaring-<schema>", shared.db.create_pool)."""
    conn = await asyncpg.connect(database_url, server_settings={"application_name": "bench"})
    try:
        rows = await conn.fetch(
            "SELECT pid, application_name FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        return {r["pid"]: r["application_name"] for r in rows}
    finally:
        await conn.close()


async def _recycle_wal(database_url: str) -> None:
    """A checkpoint before the measured minute, so that PostgreSQL writes it into recycled WAL files,
    as a server does once it has run through a checkpoint or two. A fresh cluster (the bench makes
    one per run) has none: its backends create each 16 MB file at commit and fill it with zeros
    first (wal_init_zero), 13 % of PostgreSQL's CPU at 200 claims/s (perf, docs/benchmarks.md,
    round 23), a cost a server pays in its first minutes, not per claim. The checkpoint recycles
    the files the enrolment and the warm-up filled."""
    conn = await asyncpg.connect(database_url, server_settings={"application_name": "bench"})
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def _commits(database_url: str) -> tuple[int, int, int, int, int]:
    """(transactions, WAL fsyncs, WAL bytes, WAL full-page images, WAL files created): every committed transaction,
    read-only ones included; the flushes that made writing ones durable (several commits can share
    one: group commit); what they wrote, and how many whole pages of it were first changes of a
    page after a checkpoint (full_page_writes); and how many WAL files were created (filled with
    zeros first) rather than recycled."""
    conn = await asyncpg.connect(database_url)
    try:
        wal = await conn.fetchrow("SELECT wal_bytes::bigint AS bytes, wal_fpi AS fpi FROM pg_stat_wal")
        return (
            await conn.fetchval("SELECT sum(xact_commit)::bigint FROM pg_stat_database"),
            await conn.fetchval("SELECT coalesce(sum(fsyncs), 0)::bigint FROM pg_stat_io WHERE object = 'wal'"),
            wal["bytes"],
            wal["fpi"],
            await conn.fetchval(
                "SELECT coalesce(sum(writes), 0)::bigint FROM pg_stat_io WHERE object = 'wal' AND context = 'init'"
            ),
        )
    finally:
        await conn.close()


async def _maintenance(database_url: str) -> dict[str, tuple[int, float]]:
    """Each table's autovacuum and autoanalyze runs so far and their time (PostgreSQL 18's
    pg_stat_all_tables; wall time, the cost-based delay's sleeps included): which tables the workers
    counted under "ended" in PostgreSQL's CPU spent their time on. Empty before PostgreSQL 18."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT schemaname || '.' || relname AS name, autovacuum_count + autoanalyze_count AS runs, "
            "total_autovacuum_time + total_autoanalyze_time AS ms FROM pg_stat_all_tables "
            "WHERE autovacuum_count + autoanalyze_count > 0"
        )
    except asyncpg.UndefinedColumnError:
        return {}
    finally:
        await conn.close()
    return {r["name"]: (r["runs"], r["ms"]) for r in rows}


async def _records(bootstrap: str) -> int:
    return sum([sum((await end_offsets(bootstrap, t.name)).values()) for t in CATALOGUE])


async def _dispatch_times(database_url: str, since: float) -> tuple[float, float]:
    """How long messages waited in notifications' queue and were being sent (created → finished),
    from its table: which part of "family messages" is the dispatcher's."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)) AS p50, "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)) AS p99 "
            "FROM notifications.notifications WHERE status = 'delivered' AND created_at >= to_timestamp($1)",
            since,
        )
        return float(row["p50"] or "nan"), float(row["p99"] or "nan")
    finally:
        await conn.close()


GENERATOR = "generator (this process)"
# Processes that stand for systems outside Jaring (the family's phone provider, the mail server, the
# bank, the officers filing): issue 17 counts the services, Kafka and PostgreSQL without them.
OUTSIDE_JARING = {GENERATOR, "provider", "smtp_sink", "bank"}


def _parts_snapshot(stack: BenchStack) -> tuple[cpu_parts.Reading, cpu_parts.Reading]:
    pids = stack.processes()
    kafka, postgres = pids.get("kafka"), pids.get("postgres")  # one broker: a cluster's nodes are not split
    return (
        cpu_parts.jvm_threads(kafka) if kafka else {},
        cpu_parts.postgres_processes(postgres) if postgres else {},
    )


def _cpu_snapshot(stack: BenchStack) -> dict[str, float]:
    found = {name: cpu_seconds(pid) for name, pid in stack.processes().items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    found[GENERATOR] = usage.ru_utime + usage.ru_stime
    return found


async def run_rate(
    stack: BenchStack,
    http: aiohttp.ClientSession,
    tracker: ClaimTracker,
    supervisor: Supervisor,
    rng: random.Random,
    taken: set[str],
    *,
    rate: float | None,
    duration: float,
    max_rate_guess: float,
    drain_seconds: float,
    idle_seconds: float = 0.0,
    after_enrol: Callable[[], Awaitable[None]] | None = None,
    top_statements: int = 0,
    warm_up: float = 0.0,
    recycled_wal: bool = True,
) -> RateRun:
    """`after_enrol`: awaited once the workers are enrolled, before filing (a caller resets its
    statement counters there, so they count the claims and not the bulk import)."""
    target = target_of(stack)
    run = RateRun(rate, duration, stack.partitions, stack.instances)
    count = math.ceil((rate or max_rate_guess) * duration)
    label = f"{rate:,.0f} claims/s" if rate else "as fast as accepted"
    print(
        f"\n▶ {label} for {duration:.0f} s: {count:,} claims, {stack.partitions} partitions, "
        f"{stack.instances} instance(s) per consumer service (load average {load_average()})",
        flush=True,
    )
    started = time.monotonic()
    warming = math.ceil((rate or max_rate_guess) * warm_up)
    workers: list[Worker] = plan_workers(count + warming, rng=rng, today=date.today(), taken=taken)
    await enrol(workers, target, http)
    supervisor.add_workers(workers)
    workers, warm_up_workers = workers[:count], workers[count:]
    run.enrol_seconds = time.monotonic() - started
    if warm_up_workers:
        # Claims filed at the rate, every family told, before anything is measured: what a process
        # pays once (Kafka's JIT compiling its hot paths for minutes after start, first-use costs)
        # is not a claim's. A broker that has run for days pays none of it.
        warmed = await file_claims(warm_up_workers, target, http, tracker, rate=rate)
        all_told = await tracker.wait_for(warmed.claim_ids, drain_seconds, progress=lambda *_: None)
        print(
            f"  warm-up: {len(warmed.claim_ids):,} claims filed in {warmed.seconds:.0f} s, "
            f"{'every family told' if all_told else 'not every family told'}",
            flush=True,
        )
    if recycled_wal:
        await _recycle_wal(stack.database_url)
    if after_enrol is not None:
        await after_enrol()

    if idle_seconds > 0:
        idle_before, idle_started = _cpu_snapshot(stack), time.monotonic()
        idle_parts_before = _parts_snapshot(stack)[0]
        await asyncio.sleep(idle_seconds)
        idle_after, idle_wall = _cpu_snapshot(stack), time.monotonic() - idle_started
        run.idle_cores = {
            name: (idle_after.get(name, 0.0) - before) / idle_wall for name, before in idle_before.items()
        }
        idle_ms = cpu_parts.ms_per_claim(idle_parts_before, _parts_snapshot(stack)[0], 1)
        run.kafka_idle_parts = {kind: ms / 1000 / idle_wall for kind, ms in idle_ms.items()}
    if top_statements:
        await pg_statements.reset(stack.database_url)
    parts_before, maintenance_before = _parts_snapshot(stack), await _maintenance(stack.database_url)
    applications = await _applications(stack.database_url)
    cpu_before, commits_before, records_before = (
        _cpu_snapshot(stack),
        await _commits(stack.database_url),
        await _records(stack.bootstrap),
    )
    wall_before = time.monotonic()
    run.load_average = load_average()
    if rate:
        filing = await file_claims(workers, target, http, tracker, rate=rate)
    else:
        filing = await file_claims(workers, target, http, tracker, rate=None, concurrency=64)
    print(
        f"  filed {len(filing.claim_ids):,} in {filing.seconds:.1f} s "
        f"({len(filing.claim_ids) / filing.seconds:,.0f}/s accepted); errors {filing.errors or 'none'}; "
        f"launch lag max {filing.max_launch_lag * 1000:.0f} ms",
        flush=True,
    )
    run.all_notified = await tracker.wait_for(filing.claim_ids, drain_seconds, progress=print)
    wall = time.monotonic() - wall_before
    cpu_after, parts_after = _cpu_snapshot(stack), _parts_snapshot(stack)
    run.load_average += f" → {load_average()}"
    records = [tracker.records[c] for c in filing.claim_ids]
    run.summary = summarise(records)
    run.filed_errors, run.max_launch_lag = filing.errors, filing.max_launch_lag
    http_times = sorted(filing.http_seconds)
    if http_times:
        run.http_p50, run.http_p99 = http_times[len(http_times) // 2], http_times[int(len(http_times) * 0.99)]
    done = max(run.summary.notified, 1)
    commits_after = await _commits(stack.database_url)
    run.commits_per_claim = (commits_after[0] - commits_before[0]) / done
    run.wal_fsyncs_per_claim = (commits_after[1] - commits_before[1]) / done
    run.wal_kb_per_claim = (commits_after[2] - commits_before[2]) / done / 1024
    run.wal_fpi_per_claim = (commits_after[3] - commits_before[3]) / done
    run.wal_files_created = commits_after[4] - commits_before[4]
    run.records_per_claim = (await _records(stack.bootstrap) - records_before) / done
    run.cpu = {name: (cpu_after.get(name, 0.0) - before) / wall for name, before in cpu_before.items()}
    run.kafka_parts_ms = cpu_parts.ms_per_claim(parts_before[0], parts_after[0], done)
    run.postgres_parts_ms = cpu_parts.ms_per_claim(parts_before[1], parts_after[1], done)
    applications |= await _applications(stack.database_url)
    run.postgres_backends_ms = cpu_parts.ms_per_claim(
        cpu_parts.by_application(parts_before[1], applications),
        cpu_parts.by_application(parts_after[1], applications),
        done,
    )
    maintenance_after = await _maintenance(stack.database_url)
    run.maintenance = {}
    for name, (runs, ms) in maintenance_after.items():
        runs_before, ms_before = maintenance_before.get(name, (0, 0.0))
        if runs > runs_before:
            run.maintenance[name] = (runs - runs_before, ms - ms_before)
    # What a claim costs in CPU, whoever else shares the machine: the figure to compare runs by.
    run.cpu_ms_per_claim = {name: 1000 * cores * wall / done for name, cores in run.cpu.items()}
    run.cpu_ms_per_claim_beyond_idle = {
        name: 1000 * max(cores - run.idle_cores.get(name, 0.0), 0.0) * wall / done for name, cores in run.cpu.items()
    }
    run.dispatch_p50, run.dispatch_p99 = await _dispatch_times(stack.database_url, filing.started_at)
    run.supervisor = dict(supervisor.stats)
    run.duplicates_seen = tracker.duplicates
    print_run(run)
    if top_statements:
        await _print_statements(stack.database_url, done, top_statements)
    return run


# pg_stat_statements for --pg-statements: where PostgreSQL's time goes, statement by statement. The
# extension's own bookkeeping costs CPU, so a run with it is not compared with runs without.
PG_STATEMENTS_SETTINGS = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "pg_stat_statements.track_planning": "on",
}


async def _print_statements(database_url: str, claims: int, top: int) -> None:
    """The statements that took most of PostgreSQL's execution time, per claim notified."""
    found = sorted((await pg_statements.statements(database_url)).values(), key=lambda st: st.total_ms, reverse=True)
    total_ms, total_calls = sum(st.total_ms for st in found), sum(st.calls for st in found)
    plan_ms, plans = sum(st.plan_ms for st in found), sum(st.plans for st in found)
    wal = sum(st.wal_bytes_per_call * st.calls for st in found)
    fpi = sum(st.wal_fpi_per_call * st.calls for st in found)
    print(
        f"  PostgreSQL statements: {total_calls / claims:.1f} a claim, executing {total_ms / claims:.3f} ms a claim, "
        f"planned {plans / claims:.1f} times in {plan_ms / claims:.3f} ms a claim, writing "
        f"{wal / claims / 1024:.1f} KiB of WAL a claim ({fpi / claims:.1f} full pages) ({len(found)} distinct); "
        f"the {top} that took most:"
    )
    for st in found[:top]:
        print(
            f"    {1000 * st.total_ms / claims:7.1f} µs/claim {st.calls / claims:5.2f} calls/claim "
            f"{1000 * st.mean_ms:7.1f} µs/call, planned {st.plans / max(st.calls, 1):4.0%} of calls "
            f"({1000 * st.plan_ms / claims:5.1f} µs/claim), "
            f"WAL {st.wal_bytes_per_call * st.calls / claims / 1024:5.2f} KiB/claim "
            f"({st.wal_fpi_per_call * st.calls / claims:4.2f} full pages)  {st.query[:150]}"
        )


def print_run(run: RateRun) -> None:
    s = run.summary
    lat = s.latency
    print(
        f"  notified {s.notified:,}/{s.filed:,} ({'all' if run.all_notified else 'NOT ALL'}), outcomes "
        f"{s.by_outcome}, end-to-end {s.throughput:,.0f} claims/s "
        f"({'sustained' if run.sustained else 'NOT sustained'})"
    )
    print(
        f"  filed → notified p50 {lat['p50'] * 1000:,.0f} ms, p95 {lat['p95'] * 1000:,.0f} ms, "
        f"p99 {lat['p99'] * 1000:,.0f} ms, max {lat['max'] * 1000:,.0f} ms; dominant step: {s.dominant_step}"
    )
    print(
        "  steps (p50 / mean ms): "
        + ", ".join(f"{n} {s.steps_p50[n] * 1000:,.0f}/{s.steps_mean[n] * 1000:,.0f}" for n in s.steps_mean)
    )
    print(
        f"  of the family messages: queued → delivered (the dispatcher) p50 {run.dispatch_p50 * 1000:,.0f} ms, "
        f"p99 {run.dispatch_p99 * 1000:,.0f} ms"
    )
    print(
        f"  POST /v1/claims p50 {run.http_p50 * 1000:,.0f} ms p99 {run.http_p99 * 1000:,.0f} ms; "
        f"{run.commits_per_claim:.1f} PostgreSQL transactions ({run.wal_fsyncs_per_claim:.1f} WAL fsyncs, "
        f"{run.wal_kb_per_claim:.1f} KiB of WAL, {run.wal_fpi_per_claim:.1f} full pages) and "
        f"{run.records_per_claim:.1f} Kafka records per claim; {run.wal_files_created} WAL files created "
        "(the rest written into recycled ones)"
    )
    print("  CPU (cores): " + ", ".join(f"{n} {c:.2f}" for n, c in sorted(run.cpu.items(), key=lambda x: -x[1])))
    print(
        f"  CPU per claim: {sum(run.cpu_ms_per_claim.values()):.1f} ms ("
        + ", ".join(f"{n} {c:.1f}" for n, c in sorted(run.cpu_ms_per_claim.items(), key=lambda x: -x[1]) if c >= 0.05)
        + ")"
    )
    if run.idle_cores:
        print(
            "  idle (cores, before filing): "
            + ", ".join(f"{n} {c:.3f}" for n, c in sorted(run.idle_cores.items(), key=lambda x: -x[1]) if c >= 0.0005)
        )
        if run.kafka_idle_parts:
            print(
                "  Kafka idle by thread (cores): "
                + ", ".join(
                    f"{k} {v:.3f}" for k, v in sorted(run.kafka_idle_parts.items(), key=lambda x: -x[1]) if v >= 0.0005
                )
            )
        print(
            f"  CPU per claim beyond idle: {sum(run.cpu_ms_per_claim_beyond_idle.values()):.1f} ms ("
            + ", ".join(
                f"{n} {c:.1f}"
                for n, c in sorted(run.cpu_ms_per_claim_beyond_idle.items(), key=lambda x: -x[1])
                if c >= 0.05
            )
            + ")"
        )
    for name, parts in (
        ("Kafka by thread", run.kafka_parts_ms),
        ("PostgreSQL by process", run.postgres_parts_ms),
        ("PostgreSQL's backends by connection", run.postgres_backends_ms),
    ):
        if parts:
            print(
                f"  {name} (ms a claim): "
                + ", ".join(f"{k} {v:.2f}" for k, v in sorted(parts.items(), key=lambda x: -x[1]) if v >= 0.005)
            )
    if run.maintenance:
        busiest = sorted(run.maintenance.items(), key=lambda x: -x[1][1])
        print(
            f"  autovacuum and autoanalyze during the run ({sum(r for r, _ in run.maintenance.values())} runs, "
            f"{sum(ms for _, ms in run.maintenance.values()) / 1000:.1f} s of wall time, cost-delay sleeps included): "
            + ", ".join(f"{name} {runs}× {ms / 1000:.2f} s" for name, (runs, ms) in busiest[:10])
        )
    jit = run.kafka_parts_ms.get(cpu_parts.JIT_COMPILER, 0.0)
    if jit:
        jaring = sum(ms for name, ms in run.cpu_ms_per_claim.items() if name not in OUTSIDE_JARING)
        print(
            f"  services + Kafka + PostgreSQL: {jaring:.1f} ms a claim; {jaring - jit:.1f} without Kafka's JIT "
            f"compiler threads ({jit:.1f}: a broker that has run for hours has compiled its hot paths)"
        )
    print(
        f"  supervisor {run.supervisor}; unexpected outcomes {s.unexpected_outcomes}, failed messages "
        f"{s.failed_messages}; load average {run.load_average}",
        flush=True,
    )


async def run_config(
    partitions: int,
    instances: int,
    rates: list[float | None],
    duration: float,
    *,
    all_rates: bool,
    with_ceilings: bool,
    profile: Path | None,
    seed: int | None,
    drain_seconds: float,
    log_level: str,
    env: dict[str, str],
    idle_seconds: float = 0.0,
    console: bool = True,
    grievances: bool = True,
    top_statements: int = 0,
    warm_up: float = 0.0,
    recycled_wal: bool = True,
) -> tuple[list[RateRun], dict]:
    rng = random.Random(seed)
    taken: set[str] = set()
    runs: list[RateRun] = []
    print(f"\n=== stack: {partitions} partitions, {instances} instance(s) per consumer service", flush=True)
    async with BenchStack(
        partitions=partitions,
        instances=instances,
        profile_dir=profile,
        log_level=log_level,
        service_env=env,
        console=console,
        grievances=grievances,
        postgres_settings=PG_STATEMENTS_SETTINGS if top_statements else {},
    ) as stack:
        figures: dict = {}
        if with_ceilings:
            clients = sum(int(env.get(f"{n.upper()}_DB_POOL_SIZE", 10)) for n, ps in stack.services.items() for _ in ps)
            figures = await ceiling_checks.measure(stack.bootstrap, stack.postgres, partitions, clients)
        figures["environment"] = await describe_machine(stack, log_level, env)
        connector = aiohttp.TCPConnector(limit=512)
        async with (
            aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http,
            ClaimTracker(stack.bootstrap) as tracker,
            Supervisor(target_of(stack), http, []) as supervisor,
        ):
            best = 200.0
            for rate in rates:
                run = await run_rate(
                    stack,
                    http,
                    tracker,
                    supervisor,
                    rng,
                    taken,
                    rate=rate,
                    duration=duration,
                    max_rate_guess=best,
                    drain_seconds=drain_seconds,
                    idle_seconds=idle_seconds,
                    top_statements=top_statements,
                    # Once per stack: the first rate's warm-up warms it for the rates after it.
                    warm_up=warm_up if not runs else 0.0,
                    recycled_wal=recycled_wal,
                )
                runs.append(run)
                if run.sustained:
                    best = max(best, run.summary.throughput)
                elif not all_rates:
                    skipped = [r for r in rates[rates.index(rate) + 1 :]]
                    if skipped:
                        print(f"  {rate:,.0f}/s not sustained: not offering {', '.join(f'{r:,.0f}' for r in skipped)}")
                    break
    return runs, figures


def parse_rates(text: str) -> list[float | None]:
    return [None if part.strip() in ("max", "0") else float(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", default="100", help="offered claims/s, comma-separated ('max': as fast as accepted)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of filing at each rate (default 60)")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--instances", type=int, default=1, help="instances of each consumer service")
    parser.add_argument("--all-rates", action="store_true", help="offer every rate even after one is not sustained")
    parser.add_argument("--ceilings", action="store_true", help="measure PostgreSQL, Kafka, FastStream ceilings")
    parser.add_argument("--grid", action="store_true", help="also run 1/3/6 partitions × 1/2 instances")
    parser.add_argument(
        "--grid-rate",
        default="auto",
        help="offered rate of the grid's runs (auto: the first rate above that was not sustained, "
        "so the grid shows whether more partitions and instances keep up with it)",
    )
    parser.add_argument("--grid-duration", type=float, default=20)
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for the last claims to finish")
    parser.add_argument("--profile", type=Path, default=None, help="run the services under pyinstrument; profiles here")
    parser.add_argument("--log-level", default="WARNING", help="the services' LOG_LEVEL (default WARNING)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every service process, e.g. CLAIMS_CONSUMER_BATCH_SIZE=200",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=10,
        help="seconds of CPU measured with nothing filed, before each rate (0: skip)",
    )
    parser.add_argument("--no-console", action="store_true", help="leave the console out of the stack")
    parser.add_argument("--no-grievances", action="store_true", help="leave the grievances service out of the stack")
    parser.add_argument(
        "--pg-statements",
        type=int,
        default=0,
        metavar="N",
        help="preload pg_stat_statements and print the N statements that took most of PostgreSQL's time "
        "(its bookkeeping costs CPU: compare such runs only with each other)",
    )
    parser.add_argument(
        "--warm-up",
        type=float,
        default=30,
        metavar="SECONDS",
        help="claims filed at the first rate for this long, every family told, before anything is measured "
        "(Kafka's JIT compiles for minutes after it starts; default 30; 0: none)",
    )
    parser.add_argument(
        "--fresh-wal",
        action="store_true",
        help="no checkpoint before measuring: the run creates and zero-fills its WAL files, as a fresh "
        "cluster does in its first minutes (the runs before round 23 measured so)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.set)

    try:
        import uvloop  # the services run on it (uvicorn[standard]); the generator too

        uvloop.install()
    except ImportError:
        pass

    main_runs, figures = asyncio.run(
        run_config(
            args.partitions,
            args.instances,
            parse_rates(args.rate),
            args.duration,
            all_rates=args.all_rates,
            with_ceilings=args.ceilings,
            profile=args.profile,
            seed=args.seed,
            drain_seconds=args.drain,
            log_level=args.log_level,
            env=env,
            idle_seconds=args.idle_seconds,
            console=not args.no_console,
            grievances=not args.no_grievances,
            top_statements=args.pg_statements,
            warm_up=args.warm_up,
            recycled_wal=not args.fresh_wal,
        )
    )
    grid: list[RateRun] = []
    if args.grid:
        grid_rate = args.grid_rate
        if grid_rate == "auto":  # the first rate one instance could not sustain: where scaling should show
            beyond = [r.offered for r in main_runs if r.offered and not r.sustained]
            best = max((r.summary.throughput for r in main_runs if r.sustained), default=100.0)
            grid_rate = str(int(beyond[0]) if beyond else max(50, round(best * 1.5 / 50) * 50))
        for partitions in (1, 3, 6):
            for instances in (1, 2):
                runs, _ = asyncio.run(
                    run_config(
                        partitions,
                        instances,
                        parse_rates(grid_rate),
                        args.grid_duration,
                        all_rates=True,
                        with_ceilings=False,
                        profile=None,
                        seed=args.seed,
                        drain_seconds=args.drain,
                        log_level=args.log_level,
                        env=env,
                        console=not args.no_console,
                        grievances=not args.no_grievances,
                    )
                )
                grid += runs
    command = shlex.join([".venv/bin/python", "-m", "bench.e2e", *(sys.argv[1:] if argv is None else argv)])
    text = write_report(main_runs, grid, figures, command, GOALS, write=not args.no_write)
    print("\n" + text)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
