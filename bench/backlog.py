"""Backlog drain (issue 17): the services are down for a while as claims keep being filed; how
long until the backlog is cleared once they are back, and how many claims/s they clear meanwhile.

    .venv/bin/python -m bench.backlog                          # 2 minutes down at 50/s: a try
    .venv/bin/python -m bench.backlog --minutes 10 --rate 50   (make bench-backlog)

What "down" means here: the counter stays open. Claims' API keeps answering (a claims process
with CLAIMS_CONSUMERS=none takes the place of the full one, on the same port, its outbox relay on),
so each filing is accepted and its ClaimFiled reaches `claims.filed.v1`; everything behind the
counter is killed with SIGKILL: claims' consumers (verification, decisions, disbursement, timeline),
notifications and enrollment. When they come back (the full claims process again, notifications,
enrollment), their consumer groups start from their committed offsets with the whole backlog in
Kafka. Filing goes on at the same rate from before the outage until `--after` seconds after the
restart: the backlog is drained while new claims keep arriving, as it would be.

Measured, with the events' own times (bench/tracking.py):
- drain time: from the restart to the moment the last claim filed during the outage has its family
  notified (consumers take a partition in offset order, so by then everything older is done too);
- claims/s while draining: the claims whose families were notified in that span, divided by it,
  and per 30 s;
- filed → notified p50/p99 before the outage and for the claims filed after the drain (back to
  normal?); nothing filed may be lost (every claim reaches "family notified").
Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import date

import aiohttp
import asyncpg

from bench.chaos import Operator
from bench.e2e import load_average, target_of
from bench.load import ClaimTracker, Supervisor, enrol, file_claims, percentile, plan_workers
from bench.results import write_section
from bench.stack import BenchStack, Proc, cpu_seconds

BIN_SECONDS = 30


@dataclass
class Outcome:
    rate: float
    minutes: float
    filed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    notified: int = 0
    outage_claims: int = 0
    down_at: float = 0.0
    up_at: float = 0.0  # the restart began
    ready_at: float = 0.0  # every service answering /health again
    drained_at: float = 0.0
    drained_count: int = 0  # claims notified between the restart and drained_at
    bins: list[int] = field(default_factory=list)  # notified per BIN_SECONDS from the restart
    before_p50: float = float("nan")
    before_p99: float = float("nan")
    after_p50: float = float("nan")
    after_p99: float = float("nan")
    after_count: int = 0
    cpu_drain: dict[str, float] = field(default_factory=dict)  # cores used while draining
    load: list[str] = field(default_factory=list)
    operator: dict[str, int] = field(default_factory=dict)  # `unknown` messages an officer settled

    @property
    def drain_seconds(self) -> float:
        return self.drained_at - self.up_at

    @property
    def drain_rate(self) -> float:
        return self.drained_count / self.drain_seconds if self.drain_seconds > 0 else float("nan")


async def _explain_unfinished(stack: BenchStack, claim_ids: list[str]) -> None:
    """Where the claims that never reached "family notified" stopped: their status and messages."""
    if not claim_ids:
        return
    conn = await asyncpg.connect(stack.database_url)
    try:
        claims = await conn.fetch(
            "SELECT status, count(*) FROM claims.claims WHERE claim_id = ANY($1) GROUP BY 1", claim_ids
        )
        messages = await conn.fetch(
            "SELECT about_event, status, count(*) FROM notifications.notifications "
            "WHERE claim_id = ANY($1) GROUP BY 1, 2",
            claim_ids,
        )
    finally:
        await conn.close()
    print(
        f"  {len(claim_ids)} claims not notified, e.g. {claim_ids[:3]}: claims {[tuple(r) for r in claims]}, "
        f"messages {[tuple(r) for r in messages]}",
        flush=True,
    )


def api_only(claims: Proc) -> Proc:
    """A claims process on the full one's port that serves the API and relays its outbox, without consumers."""
    return Proc(
        "claims-api",
        claims.argv,
        {**claims.env, "CLAIMS_CONSUMERS": "none"},
        claims.log.with_name("claims-api.log"),
        claims.port,
    )


async def run(args) -> Outcome:
    out = Outcome(args.rate, args.minutes)
    rng = random.Random(args.seed)
    outage = args.minutes * 60
    after = args.after
    total = math.ceil(args.rate * (args.warmup + outage + after))
    async with BenchStack(partitions=args.partitions) as stack:
        target = target_of(stack)
        connector = aiohttp.TCPConnector(limit=1024)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
            print(f"▶ enrolling {total:,} workers (load average {load_average()})", flush=True)
            workers = plan_workers(total, rng=rng, today=date.today(), taken=set())
            await enrol(workers, target, http)
            # The supervisor handles the reviews; the operator settles the messages a kill left `unknown`
            # (sent or not, the provider cannot be asked) with the family, as an officer does (bench/chaos.py).
            async with (
                ClaimTracker(stack.bootstrap) as tracker,
                Supervisor(target, http, workers),
                Operator(stack) as operator,
            ):
                out.load.append(load_average())
                print(
                    f"▶ filing {total:,} claims at {args.rate:g}/s: {args.warmup:.0f} s normal, {outage:.0f} s "
                    f"down, {after:.0f} s after the restart (load average {out.load[-1]})",
                    flush=True,
                )
                # Filings refused during the swaps (a second or two) are retried by the generator.
                filing_task = asyncio.create_task(
                    file_claims(workers, target, http, tracker, rate=args.rate, retry_seconds=120)
                )
                await asyncio.sleep(args.warmup)

                claims, notifications, enrollment = (
                    stack.services[n][0] for n in ("claims", "notifications", "enrollment")
                )
                out.down_at = time.time()
                for proc in (claims, notifications, enrollment):
                    proc.kill()
                counter = api_only(claims)
                await counter.start()
                print(
                    f"  {time.strftime('%H:%M:%S')} down: claims' consumers, notifications, enrollment killed "
                    f"(-9); claims' API alone on {counter.url}",
                    flush=True,
                )
                await asyncio.sleep(outage - (time.time() - out.down_at))

                out.load.append(load_average())
                out.up_at = time.time()
                counter.kill()
                cpu_before = {n: cpu_seconds(p) for n, p in stack.processes().items()}
                await asyncio.gather(claims.start(), notifications.start(), enrollment.start())
                out.ready_at = time.time()
                print(
                    f"  {time.strftime('%H:%M:%S')} back up ({out.ready_at - out.up_at:.1f} s to ready); "
                    f"load average {load_average()}",
                    flush=True,
                )

                filing = await filing_task
                out.filed, out.errors = len(filing.claim_ids), filing.errors
                outage_ids = [c for c in filing.claim_ids if out.down_at <= tracker.records[c].scheduled_at < out.up_at]
                out.outage_claims = len(outage_ids)

                await tracker.wait_for(outage_ids, args.drain, progress=print)
                records = [tracker.records[c] for c in outage_ids]
                out.drained_at = (
                    max((r.notified_at for r in records), default=out.up_at)
                    if all(r.notified_at for r in records)
                    else float("nan")
                )
                wall = time.time() - out.up_at
                cpu_after = {n: cpu_seconds(p) for n, p in stack.processes().items()}
                out.cpu_drain = {n: (cpu_after[n] - cpu_before.get(n, 0.0)) / wall for n in cpu_after}
                out.load.append(load_average())
                await tracker.wait_for(filing.claim_ids, 300, progress=print)
                out.operator = {"confirmed": operator.confirmed, "resent": operator.resent}
                await _explain_unfinished(stack, [c for c in filing.claim_ids if not tracker.records[c].notified_at])

                every = [tracker.records[c] for c in filing.claim_ids]
                out.notified = sum(1 for r in every if r.notified_at)
                done = [r for r in every if r.notified_at]
                out.drained_count = sum(1 for r in done if out.up_at <= r.notified_at <= out.drained_at)
                span = (out.drained_at if out.drained_at == out.drained_at else time.time()) - out.up_at
                out.bins = [0] * max(1, math.ceil(span / BIN_SECONDS))
                for r in done:
                    if out.up_at <= r.notified_at <= out.up_at + span:
                        out.bins[min(int((r.notified_at - out.up_at) // BIN_SECONDS), len(out.bins) - 1)] += 1
                before = [r.notified_at - r.scheduled_at for r in done if r.notified_at < out.down_at]
                later = [r.notified_at - r.scheduled_at for r in done if r.scheduled_at >= out.drained_at]
                out.before_p50, out.before_p99 = percentile(before, 50), percentile(before, 99)
                out.after_p50, out.after_p99, out.after_count = percentile(later, 50), percentile(later, 99), len(later)
    return out


def render(out: Outcome, command: str) -> str:
    lost = out.filed - out.notified
    lines = [
        f"Latest run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `{command}`",
        "",
        "| | |",
        "|---|---|",
        f"| outage | {out.minutes:g} min: claims' consumers, notifications and enrollment killed (-9); claims' API "
        f"up (consumers off), filing at {out.rate:g} claims/s throughout |",
        f"| claims filed during the outage | {out.outage_claims:,} |",
        f"| restart → every service ready | {out.ready_at - out.up_at:.1f} s |",
        f"| **drain time** (restart → the outage's last claim has its family notified) | "
        f"**{out.drain_seconds:,.0f} s** ({out.drain_seconds / 60:.1f} min) |",
        f"| **claims/s while draining** (families notified in that span ÷ span; new filings keep coming at "
        f"{out.rate:g}/s) | **{out.drain_rate:,.1f}** |",
        f"| notified per {BIN_SECONDS} s after the restart | "
        + ", ".join(f"{b / BIN_SECONDS:.0f}/s" for b in out.bins)
        + " |",
        f"| filed → notified for the claims done before the outage, p50 / p99 | {out.before_p50 * 1000:,.0f} / "
        f"{out.before_p99 * 1000:,.0f} ms |",
        f"| filed → notified for the {out.after_count:,} claims filed after the drain, p50 / p99 | "
        f"{out.after_p50 * 1000:,.0f} / {out.after_p99 * 1000:,.0f} ms |",
        f"| messages a kill left `unknown`, settled by the officer (confirmed with the family / resent) | "
        f"{out.operator.get('confirmed', 0)} / {out.operator.get('resent', 0)} |",
        f"| filed / notified / not notified | {out.filed:,} / {out.notified:,} / {lost:,}"
        + (f" (filing errors {out.errors})" if out.errors else "")
        + " |",
        "| CPU while draining (cores, of 2) | "
        + ", ".join(f"{n} {c:.2f}" for n, c in sorted(out.cpu_drain.items(), key=lambda x: -x[1]) if c >= 0.01)
        + " |",
        f"| load average (1/5/15 min): filing starts / restart / drained | {' · '.join(out.load)} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backlog", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=2, help="how long the services are down (default 2)")
    parser.add_argument("--rate", type=float, default=50, help="claims filed per second throughout (default 50)")
    parser.add_argument("--warmup", type=float, default=30, help="seconds of normal running before the outage")
    parser.add_argument("--after", type=float, default=60, help="seconds filing goes on after the restart (default 60)")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--drain", type=float, default=3600, help="longest wait for the backlog (seconds)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out = asyncio.run(run(args))
    command = shlex.join([".venv/bin/python", "-m", "bench.backlog", *(sys.argv[1:] if argv is None else argv)])
    text = render(out, command)
    print("\n" + text)
    if not args.no_write:
        write_section("backlog", "Backlog drain", text)
    if out.filed != out.notified:
        sys.exit(1)


if __name__ == "__main__":
    main()
