"""The end-to-end benchmark's section of docs/benchmarks.md and its latency plot."""

from __future__ import annotations

import os
import platform
import sysconfig
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from bench import results
from deploy.local.kafka import KAFKA_VERSION
from tests.support.stack import REPO

if TYPE_CHECKING:
    from bench.e2e import RateRun
    from bench.stack import BenchStack

PLOT = REPO / "docs" / "img" / "e2e-latency.png"


async def describe_machine(stack: BenchStack, log_level: str, env: dict[str, str]) -> dict[str, str]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        pg = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        }
    finally:
        await conn.close()
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
    from importlib.metadata import version

    return {
        "machine": f"{os.cpu_count()} × {cpu}, {mem_kib / 2**20:.0f} GiB, {platform.platform()}",
        "software": (
            f"Python {platform.python_version()} ({sysconfig.get_config_var('BINDIR')}), "
            f"Kafka {KAFKA_VERSION} (KRaft, one node, heap 512 MB), "
            f"PostgreSQL {pg['server_version']} (embedded), FastStream {version('faststream')}, "
            f"aiokafka {version('aiokafka')}, asyncpg {version('asyncpg')}"
        ),
        "PostgreSQL": (
            f"fsync={pg['fsync']}, synchronous_commit={pg['synchronous_commit']}, "
            f"full_page_writes={pg['full_page_writes']}, shared_buffers={pg['shared_buffers']}"
            + (", reached through its Unix socket" if "host=/" in stack.database_url else "")
        ),
        "services": (
            f"real processes (uvicorn + uvloop), LOG_LEVEL={log_level}, defaults of shared/settings.py"
            + (f" with {', '.join(f'{k}={v}' for k, v in env.items())}" if env else "")
            + "; the SMTP sink and the SMS/WhatsApp stand-in as processes; the generator in its own"
        ),
    }


def _ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:,.0f}"


def _rate(run: RateRun) -> str:
    return f"{run.offered:,.0f}" if run.offered else "as fast as accepted"


def plot(runs: list[RateRun], path: Path = PLOT) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return None
    points = [r for r in runs if r.offered and r.summary and r.summary.notified]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    xs = [r.offered for r in points]
    for key, style in (("p50", "o-"), ("p95", "s-"), ("p99", "^-"), ("max", "x--")):
        ax.plot(xs, [r.summary.latency[key] * 1000 for r in points], style, label=key)
    ax.axhline(1000, color="grey", linewidth=0.8, linestyle=":", label="goal: p99 < 1 s at 500/s")
    for r in points:
        if not r.sustained:
            ax.annotate(
                "not sustained",
                (r.offered, r.summary.latency["p50"] * 1000),
                textcoords="offset points",
                xytext=(-10, -18),
                ha="right",
                fontsize=8,
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(xs, [f"{x:,.0f}" for x in xs])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("offered rate (claims/s, open loop)")
    ax.set_ylabel("filed → family notified (ms)")
    ax.set_title(
        f"Jaring end to end, {points[0].partitions} partitions, {points[0].instances} instance(s) per consumer service"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def render(runs: list[RateRun], grid: list[RateRun], figures: dict, command: str, goals: dict) -> str:
    env = figures.get("environment", {})
    lines = [f"Latest run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`", ""]
    lines += [f"- **{k}**: {v}" for k, v in env.items()]
    lines += [
        "- **mix**: 30 % JKM with full papers, 10 % JKM within 3 months of joining (needs_review → "
        "approved by the scripted supervisor), 10 % JKK death, 30 % JKK accident, 10 % missing documents "
        "(needs_review → the supervisor adds them → approved), 10 % lapsed coverage (rejected; the family "
        "is told). Heirs: a spouse by WhatsApp, 60 % also a child by WhatsApp or email.",
        "- **filed → notified**: from the moment the generator was scheduled to file the claim (open loop) "
        "to the last NotificationDelivered of the claim's final event (PayoutRecorded, or ClaimRejected), "
        "every heir and channel; times are the events' `occurred_at`, read by a tracker consuming the topics.",
        "",
    ]
    best = max((r.summary.throughput for r in runs if r.sustained), default=0.0)
    overloaded = [r for r in runs if not r.sustained and r.summary and r.summary.notified and r.offered]
    peak = max(overloaded, key=lambda r: r.summary.throughput, default=None)
    at500 = next((r for r in runs if r.offered == 500 and r.summary and r.summary.notified), None)
    lines += [
        "| goal | reached |",
        "|---|---|",
        f"| ≥ {goals['throughput']:,} claims/s end to end | {best:,.0f} claims/s sustained "
        f"({'met' if best >= goals['throughput'] else 'not met'})"
        + (
            f"; {peak.summary.throughput:,.0f} claims/s reached at {peak.offered:,.0f}/s offered, with the "
            f"backlog growing"
            if peak
            else ""
        )
        + " |",
        f"| p99 < {goals['p99_at_500']:.0f} s at 500 claims/s | "
        + (
            f"p99 {_ms(at500.summary.latency['p99'])} ms"
            + (" (met)" if at500.sustained and at500.summary.latency["p99"] < goals["p99_at_500"] else " (not met)")
            if at500
            else "500/s not offered (a lower rate was not sustained)"
        )
        + " |",
        "",
    ]
    lines += [
        "### Latency at fixed offered rates",
        "",
        f"{runs[0].partitions if runs else '?'} partitions, {runs[0].instances if runs else '?'} instance(s) "
        f"of each consumer service, {runs[0].duration if runs else 0:.0f} s of filing per rate. "
        "![latency percentiles against offered rate](img/e2e-latency.png)",
        "",
        "| offered /s | filed | notified | end-to-end /s | p50 ms | p95 ms | p99 ms | max ms | dominant step "
        "(mean) | POST p99 ms | load avg (1/5/15 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        s = r.summary
        lines.append(
            f"| {_rate(r)} | {s.filed:,} | {s.notified:,}{'' if r.all_notified else ' (not all)'} | "
            f"{s.throughput:,.0f}{'' if r.sustained else ' (not sustained)'} | {_ms(s.latency['p50'])} | "
            f"{_ms(s.latency['p95'])} | {_ms(s.latency['p99'])} | {_ms(s.latency['max'])} | "
            f"{s.dominant_step} ({_ms(s.steps_mean[s.dominant_step]) if s.dominant_step else '–'} ms) | "
            f"{_ms(r.http_p99)} | {r.load_average} |"
        )
    offered = {r.offered for r in runs}
    for rate in (100, 300, 500, 1000):
        if rate not in offered:
            lines.append(f"| {rate:,} | not offered: a lower rate was not sustained | | | | | | | | | |")
    lines += [
        "",
        "Where each claim's time goes (mean ms per step, claims that finished):",
        "",
        "| offered /s | " + " | ".join(runs[0].summary.steps_mean) + " |" if runs else "",
        "|---|" + "---|" * (len(runs[0].summary.steps_mean) if runs else 0),
    ]
    for r in runs:
        lines.append(f"| {_rate(r)} | " + " | ".join(_ms(v) for v in r.summary.steps_mean.values()) + " |")
    lines += ["", "Where the CPU goes (cores busy during the run, of 2), and the work per claim:", ""]
    for r in runs:
        top = ", ".join(f"{n} {c:.2f}" for n, c in sorted(r.cpu.items(), key=lambda x: -x[1]) if c >= 0.01)
        lines.append(
            f"- {_rate(r)}/s: {top}; {sum(r.cpu_ms_per_claim.values()):.1f} ms of CPU per claim; "
            f"{r.commits_per_claim:.1f} PostgreSQL transactions (read-only ones included), "
            f"{r.wal_fsyncs_per_claim:.1f} WAL fsyncs and "
            f"{r.records_per_claim:.1f} Kafka records per claim; supervisor {r.supervisor}"
        )
    if "pg_commits_1" in figures:
        rtt, tp = figures["kafka_rtt"], figures["kafka_throughput"]
        sustained = [r for r in runs if r.sustained] or runs
        commits = sustained[-1].commits_per_claim if sustained else 0
        records = sustained[-1].records_per_claim if sustained else 0
        lines += [
            "",
            "### Ceilings, same run, same machine",
            "",
            "| part | measured | what it allows end to end |",
            "|---|---|---|",
            f"| PostgreSQL single-row INSERT commits (pgbench, fsync on), 1 client | "
            f"{figures['pg_commits_1']:,.0f}/s | |",
            f"| the same, {figures['pg_clients']} clients (the services' pool sizes added up) | "
            f"{figures['pg_commits_n']:,.0f}/s | ≈ {figures['pg_commits_n'] / commits:,.0f} claims/s at "
            f"{commits:.1f} transactions per claim (read-only ones counted too: a lower bound) |"
            if commits
            else "",
            f"| Kafka produce → consume round trip (acks=all, idempotent, linger 5 ms) | p50 "
            f"{_ms(rtt['p50'])} ms, p99 {_ms(rtt['p99'])} ms | each of a claim's ~4 hops costs at least this |",
            f"| Kafka throughput, {ceiling_bytes()}-byte records, one producer / one consumer | "
            f"{tp['produce']:,.0f}/s produced, {tp['consume']:,.0f}/s consumed | ≈ "
            f"{tp['produce'] / records:,.0f} claims/s at {records:.1f} records per claim |"
            if records
            else "",
            f"| FastStream empty handler, one record at a time | {figures['faststream_single']:,.0f}/s | |",
            f"| FastStream empty handler, batches of 100 (the services' setting) | "
            f"{figures['faststream_batch']:,.0f}/s | |",
        ]
        lines = lines[:-7] + [line for line in lines[-7:] if line]  # rows without a per-claim figure
    if grid:
        lines += [
            "",
            f"### Scaling: partitions × instances ({grid[0].duration:.0f} s runs, shorter than the "
            "60 s above to fit the grid in one sitting)",
            "",
            "| partitions | instances per consumer service | offered /s | end-to-end /s | p50 ms | p99 ms | "
            "max ms | dominant step | load avg |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in grid:
            s = r.summary
            lines.append(
                f"| {r.partitions} | {r.instances} | {_rate(r)} | {s.throughput:,.0f}"
                f"{'' if r.sustained else ' (not sustained)'} | {_ms(s.latency['p50'])} | "
                f"{_ms(s.latency['p99'])} | {_ms(s.latency['max'])} | {s.dominant_step} | {r.load_average} |"
            )
    return "\n".join(lines)


def ceiling_bytes() -> int:
    from bench.ceilings import EVENT_BYTES

    return EVENT_BYTES


def write_report(
    runs: list[RateRun], grid: list[RateRun], figures: dict, command: str, goals: dict, *, write: bool
) -> str:
    text = render(runs, grid, figures, command, goals)
    if write:
        plot(runs)
        results.write_section("e2e", "End to end: filed → family notified", text)
        print(f"written to {results.DOC.relative_to(REPO)} and {PLOT.relative_to(REPO)}")
    return text
