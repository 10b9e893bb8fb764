"""Flat as the data grows (issue 17): the same load on an empty database and on one holding N
participants and N past claims, back to back on one stack, and the plans of the hot queries.

    .venv/bin/python -m bench.data_scale                      (make bench-data-scale: N = 1,000,000)
    .venv/bin/python -m bench.data_scale --rows 20000 --duration 20 --no-write    (a quick try)

On a stack of its own (bench/stack.py; PostgreSQL with pg_stat_statements and auto_explain
preloaded), two phases, each: the load of bench/e2e.py (`--rate` claims/s for `--duration` s,
workers enrolled first through the bulk import), then a short sample with auto_explain on
(EXPLAIN ANALYZE, BUFFERS of every statement the services run, `--explain-claims` claims).
Between the phases bench/seed.py writes N participants and N past claims in every service's schema
(set-based SQL) and vacuums. Compared: CPU ms per claim per process (from /proc), filed → notified
p50/p99, and per statement its calls per claim, mean time and shared buffers touched per call
(pg_stat_statements, counted over the filing only): buffers per call is the figure that shows a
statement that grows with the data, whatever else the machine is doing.
Writes its section of docs/benchmarks.md and the plans to docs/benchmarks-plans.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import random
import re
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

from bench import pg_statements
from bench.e2e import RateRun, load_average, run_rate, target_of
from bench.load import ClaimTracker, Supervisor
from bench.report import describe_machine
from bench.results import write_section
from bench.seed import seed
from bench.stack import BenchStack
from tests.support.stack import REPO

PLANS_DOC = REPO / "docs" / "benchmarks-plans.md"
PG_SETTINGS = {
    "shared_preload_libraries": "pg_stat_statements,auto_explain",
    "pg_stat_statements.max": "5000",
    "pg_stat_statements.track": "top",
    # The service that ran a logged plan is its pool's application_name (jaring-claims, …).
    "log_line_prefix": "%m [%p] %a: ",
    # auto_explain.log_min_duration stays at its default (-1, off) until the sampling window turns it
    # on with ALTER SYSTEM: a setting given here on the command line would win over ALTER SYSTEM.
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "off",  # per-node clocks cost more than the statements themselves
    "auto_explain.log_verbose": "on",  # carries the query identifier, to match pg_stat_statements
    "auto_explain.log_format": "json",
    "auto_explain.log_nested_statements": "off",
}
# A pooled connection's reset on release and the transaction brackets: counted, not listed as hot queries.
PLUMBING = re.compile(
    r"^(BEGIN|COMMIT|ROLLBACK|CLOSE ALL|RESET ALL|UNLISTEN \*|SELECT pg_advisory_unlock_all\(\)|SET )"
)
# Tables with more rows than this read by a sequential scan in a claim's statement: a missing index.
SEQ_SCAN_ROWS = 10_000
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_PLAN_START = re.compile(r"^\S+ \S+ \S+ \[\d+\] (?P<app>[^:]*): LOG:  duration: (?P<ms>[\d.]+) ms  plan:$")


@dataclass
class Plan:
    service: str
    queryid: int | None
    query: str
    ms: float
    text: str  # the plan, rendered
    seq_scans: list[str]  # relations read whole


@dataclass
class Phase:
    label: str
    run: RateRun
    statements: dict[int, pg_statements.Statement] = field(default_factory=dict)
    plans: dict[int, Plan] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # schema.table -> rows (estimate)


async def _sizes(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT schemaname || '.' || relname AS name, n_live_tup FROM pg_stat_user_tables "
            "WHERE schemaname IN ('enrollment', 'claims', 'notifications') ORDER BY 2 DESC"
        )
    finally:
        await conn.close()
    return {r["name"]: r["n_live_tup"] for r in rows}


def render_plan(node: dict, depth: int = 0) -> list[str]:
    """One line per node, as EXPLAIN's text format abbreviates it: node, relation or index,
    conditions, actual rows × loops, shared buffers."""
    head = node["Node Type"]
    if node.get("Index Name"):
        head += f" using {node['Index Name']}"
    if node.get("Relation Name"):
        head += f" on {node.get('Schema', '')}.{node['Relation Name']}".replace(" on .", " on ")
    parts = [head]
    for key in ("Index Cond", "Recheck Cond", "Hash Cond", "Filter", "Join Filter"):
        if node.get(key):
            parts.append(f"{key}: {node[key]}")
    if "Rows Removed by Filter" in node and node["Rows Removed by Filter"]:
        parts.append(f"removed by filter: {node['Rows Removed by Filter']}")
    parts.append(f"rows={node.get('Actual Rows', 0):g} loops={node.get('Actual Loops', 0):g}")
    hit, read = node.get("Shared Hit Blocks", 0), node.get("Shared Read Blocks", 0)
    if hit or read:
        parts.append(f"buffers: hit={hit}" + (f" read={read}" if read else ""))
    # A plan inlines its parameters: a 16-digit number (a NIK, even a made-up one) is masked as everywhere.
    line = re.sub(r"\d{16}", lambda m: m[0][:4] + "*" * 12, "  ".join(parts))
    lines = ["  " * depth + ("-> " if depth else "") + line]
    for child in node.get("Plans", []):
        lines += render_plan(child, depth + 1)
    return lines


def _seq_scans(node: dict) -> list[str]:
    found = [f"{node.get('Schema', '')}.{node['Relation Name']}"] if node["Node Type"] == "Seq Scan" else []
    for child in node.get("Plans", []):
        found += _seq_scans(child)
    return found


def parse_plans(log: Path, offset: int) -> dict[int, Plan]:
    """auto_explain's JSON plans logged since `offset`, one per query identifier (the last seen;
    statements without an identifier are keyed by their text)."""
    plans: dict[int, Plan] = {}
    with log.open(errors="replace") as f:
        f.seek(offset)
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        start = _PLAN_START.match(lines[i])
        i += 1
        if not start:
            continue
        body = []
        while i < len(lines) and not _LOG_LINE.match(lines[i]):
            body.append(lines[i])
            i += 1
        try:
            explained = json.loads("\n".join(body))
        except json.JSONDecodeError:
            continue
        query = " ".join(explained.get("Query Text", "").split())
        key = explained.get("Query Identifier") or hash(query)
        plan = explained["Plan"]
        plans[key] = Plan(
            start["app"].removeprefix("jaring-"),
            explained.get("Query Identifier"),
            query,
            float(start["ms"]),
            "\n".join(render_plan(plan)),
            _seq_scans(plan),
        )
    return plans


def _log_size(stack: BenchStack) -> int:
    path = stack.workdir / "pg.log"
    return path.stat().st_size if path.exists() else 0


async def run_phase(label: str, stack: BenchStack, http, tracker, supervisor, rng, taken, args) -> Phase:
    async def reset() -> None:
        await pg_statements.execute(stack.database_url, "SELECT pg_stat_statements_reset()")

    run = await run_rate(
        stack,
        http,
        tracker,
        supervisor,
        rng,
        taken,
        rate=args.rate,
        duration=args.duration,
        max_rate_guess=args.rate,
        drain_seconds=args.drain,
        after_enrol=reset,
    )
    phase = Phase(
        label,
        run,
        statements=await pg_statements.statements(stack.database_url),
        sizes=await _sizes(stack.database_url),
    )

    # The sample of plans: auto_explain on for every statement of a few claims' way through, then off.
    offset = _log_size(stack)

    async def explain_on() -> None:
        await pg_statements.execute(
            stack.database_url, "ALTER SYSTEM SET auto_explain.log_min_duration = 0", "SELECT pg_reload_conf()"
        )

    print(f"  sampling plans: {args.explain_claims} claims with auto_explain on", flush=True)
    await run_rate(
        stack,
        http,
        tracker,
        supervisor,
        rng,
        taken,
        rate=min(args.rate, 20),
        duration=args.explain_claims / min(args.rate, 20),
        max_rate_guess=20,
        drain_seconds=args.drain,
        after_enrol=explain_on,
    )
    await pg_statements.execute(
        stack.database_url, "ALTER SYSTEM SET auto_explain.log_min_duration = -1", "SELECT pg_reload_conf()"
    )
    phase.plans = parse_plans(stack.workdir / "pg.log", offset)
    print(f"  {len(phase.plans)} distinct statements explained", flush=True)
    return phase


async def main_async(args) -> tuple[list[Phase], float, dict, dict]:
    rng = random.Random(args.seed)
    taken: set[str] = set()
    async with BenchStack(partitions=args.partitions, postgres_settings=PG_SETTINGS, log_level="WARNING") as stack:
        await pg_statements.execute(stack.database_url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        environment = await describe_machine(stack, "WARNING", {})
        connector = aiohttp.TCPConnector(limit=512)
        async with (
            aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http,
            ClaimTracker(stack.bootstrap) as tracker,
            Supervisor(target_of(stack), http, []) as supervisor,
        ):
            phases = [await run_phase("empty", stack, http, tracker, supervisor, rng, taken, args)]
            print(
                f"\n▶ seeding {args.rows:,} participants and {args.rows:,} past claims (load average {load_average()})",
                flush=True,
            )
            seconds, written = await seed(stack.database_url, args.rows)
            phases.append(
                await run_phase(
                    f"{args.rows:,} participants and claims", stack, http, tracker, supervisor, rng, taken, args
                )
            )
    return phases, seconds, written, environment


def _short(query: str, width: int = 110) -> str:
    query = query.replace("|", "\\|")
    return query if len(query) <= width else query[: width - 1] + "…"


def _cpu_total(run: RateRun) -> float:
    return sum(run.cpu_ms_per_claim.values())


def render(
    phases: list[Phase], seed_seconds: float, written: dict, environment: dict, command: str, args
) -> tuple[str, str]:
    empty, full = phases
    lines = [f"Latest run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `{command}`", ""]
    lines += [f"- **{k}**: {v}" for k, v in environment.items()]
    total_rows = sum(count for tables in written.values() for count, _ in tables.values())
    lines += [
        "",
        f"Seeding {args.rows:,} participants and {args.rows:,} past claims wrote {total_rows:,} rows in "
        f"{seed_seconds / 60:.1f} min (three schemas side by side, then VACUUM ANALYZE; load average at the "
        f"end {load_average()}):",
        "",
    ]
    lines += ["| schema | table | rows | seconds |", "|---|---|---|---|"]
    for schema, tables in written.items():
        lines += [f"| {schema} | {t} | {c:,} | {s:.0f} |" for t, (c, s) in tables.items()]
    lines += [
        "",
        f"The same load, {args.rate:g} claims/s offered for {args.duration:g} s, back to back on one stack:",
        "",
        "| database | notified / filed | end-to-end /s | p50 ms | p99 ms | CPU ms per claim (all) | "
        "of which claims / notifications / enrollment / postgres / kafka | PostgreSQL transactions per claim | "
        "enrolment of the run's workers (s) | load avg (1/5/15 min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        r, s = phase.run, phase.run.summary
        cpu = r.cpu_ms_per_claim
        split = " / ".join(
            f"{cpu.get(n, 0):.1f}" for n in ("claims-0", "notifications-0", "enrollment-0", "postgres", "kafka")
        )
        lines.append(
            f"| {phase.label} | {s.notified:,} / {s.filed:,} | {s.throughput:,.0f}"
            f"{'' if r.sustained else ' (not sustained)'} | {s.latency['p50'] * 1000:,.0f} | "
            f"{s.latency['p99'] * 1000:,.0f} | {_cpu_total(r):.1f} | {split} | {r.commits_per_claim:.1f} | "
            f"{r.enrol_seconds:.0f} | {r.load_average} |"
        )
    cpu_change = _cpu_total(full.run) / max(_cpu_total(empty.run), 1e-9) - 1
    p99_change = full.run.summary.latency["p99"] / max(empty.run.summary.latency["p99"], 1e-9) - 1
    lines += ["", f"CPU per claim {cpu_change:+.0%}, p99 {p99_change:+.0%} with the data (goal: within ±20 %)."]

    # Statements: the claims' own (calls counted over the filing and its drain only).
    claims = max(full.run.summary.notified, 1)
    plumbing = sum(s.calls for s in full.statements.values() if PLUMBING.match(s.query)) / claims
    hot = sorted((s for s in full.statements.values() if not PLUMBING.match(s.query)), key=lambda s: -s.calls)[
        : args.top
    ]
    lines += [
        "",
        f"The {len(hot)} statements run most often per claim (pg_stat_statements over the filing; a plan "
        "sampled by auto_explain for each in docs/benchmarks-plans.md). Shared buffers per call is what grows "
        "when a statement reads more as the tables grow:",
        "",
        "| statement | service | calls per claim | mean ms empty → seeded | buffers per call empty → seeded | "
        "plan with the data |",
        "|---|---|---|---|---|---|",
    ]
    for st in hot:
        before = empty.statements.get(st.queryid)
        plan = full.plans.get(st.queryid)
        shape = plan.text.splitlines()[0].split("  ")[0] if plan else "not sampled"
        if plan and len(plan.text.splitlines()) > 1:
            shape += " …"
        lines.append(
            f"| `{_short(st.query, 90)}` | {plan.service if plan else '?'} | {st.calls / claims:.2f} | "
            f"{(before.mean_ms if before else float('nan')):.3f} → {st.mean_ms:.3f} | "
            f"{(before.blocks_per_call if before else float('nan')):.1f} → {st.blocks_per_call:.1f} | "
            f"{shape} |"
        )
    lines += [
        "",
        f"Not listed: {plumbing:.1f} statements per claim of transaction brackets and pooled connections' "
        "resets on release (BEGIN, COMMIT, asyncpg's RESET ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all()).",
    ]
    grown = [st for st in full.statements.values() if st.calls >= claims * 0.5 and st.blocks_per_call > 50]
    seq = {
        (p.service, p.query, rel)
        for p in full.plans.values()
        for rel in p.seq_scans
        if full.sizes.get(rel, 0) > SEQ_SCAN_ROWS
    }
    lines += [
        "",
        "Statements run for at least every other claim that touch more than 50 buffers a call with the data: "
        + (", ".join(f"`{_short(s.query, 80)}` ({s.blocks_per_call:.0f})" for s in grown) or "none")
        + ".",
    ]
    lines += [
        "Sequential scans of a table of more than 10,000 rows in a sampled plan: "
        + ("; ".join(f"{svc}: {rel} in `{_short(q, 80)}`" for svc, q, rel in sorted(seq)) or "none")
        + "."
    ]

    plans = [
        "# Plans of the hot queries",
        "",
        f"Written by `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}); read with "
        'docs/benchmarks.md ("Flat as the data grows"). Each plan is one auto_explain sample (EXPLAIN '
        "ANALYZE, BUFFERS, timing off) of the statement as a service ran it during a few claims, on the empty "
        f"database and with {args.rows:,} participants and claims. Rows are actual rows × loops; buffers are "
        "shared buffers hit (read: from disk or the OS cache).",
        "",
    ]
    for st in hot:
        plans += [f"## `{_short(st.query, 160)}`", ""]
        for phase in phases:
            plan = phase.plans.get(st.queryid)
            plans += [
                f"{phase.label} ({plan.service}, {plan.ms:.3f} ms):" if plan else f"{phase.label}: not sampled",
                "",
            ]
            if plan:
                plans += ["```", plan.text, "```", ""]
    return "\n".join(lines), "\n".join(plans) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.data_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="participants and past claims seeded (default 1M)")
    parser.add_argument("--rate", type=float, default=100, help="claims/s offered in each phase (default 100)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of filing in each phase (default 60)")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--explain-claims", type=int, default=100, help="claims filed while plans are sampled")
    parser.add_argument("--top", type=int, default=25, help="statements shown, most called first")
    parser.add_argument("--drain", type=float, default=180, help="seconds to wait for the last claims")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument("--render", type=Path, default=None, help="render a kept run's figures instead of running")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.render:  # a finished run's figures, rendered again (after a change to the report)
        phases, seconds, written, environment = pickle.loads(args.render.read_bytes())
    else:
        phases, seconds, written, environment = asyncio.run(main_async(args))
        saved = Path(tempfile.gettempdir()) / f"jaring-data-scale-{time.strftime('%Y%m%d-%H%M%S')}.pickle"
        saved.write_bytes(pickle.dumps((phases, seconds, written, environment)))
        print(f"figures kept in {saved} (--render {saved} writes the report again)")
    command = shlex.join([".venv/bin/python", "-m", "bench.data_scale", *(sys.argv[1:] if argv is None else argv)])
    section, plans = render(phases, seconds, written, environment, command, args)
    print("\n" + section)
    if not args.no_write:
        write_section("data-scale", "Flat as the data grows", section)
        PLANS_DOC.write_text(plans)
    else:
        Path("/tmp/data_scale_plans.md").write_text(plans)
        print("plans in /tmp/data_scale_plans.md")


if __name__ == "__main__":
    main()
