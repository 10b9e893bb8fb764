"""The chaos run: claims filed at a steady rate while a fault script breaks the stack, then
a check, from the databases, the topics and the stand-ins' records, that nothing was lost
and nothing was done twice.

    .venv/bin/python -m bench.chaos                       # make chaos: several minutes
    .venv/bin/python -m bench.chaos --rate 2 --outage 8   # the short version make test runs
    .venv/bin/python -m bench.chaos --brokers 3           # against a three-node KRaft cluster

The fault script, on the schedule it prints: kill -9 each service process in turn (and
restart it), kill -9 the Kafka broker and restart it (with --brokers 3: kill -9 the node leading
the claims topics, twice, one at a time), kill -9 PostgreSQL and restart it, make the
SMS/WhatsApp stand-in answer 500 for a while, take the bank down for a while (every bank
notification is delivered twice throughout, a fifth of the accounts answer after claims has given
up: bench/chaos_bank.py). Then it waits for quiet and checks:
- every filed claim reached a final state (payout recorded or rejected);
- each claim has at most one PayoutRecorded event id, and its cash ledger sums to what the
  regulation gives for what was filed (bench/expected_payouts.py: restated apart from the
  claims domain, from the load generator's own plan);
- each (claim event, recipient, channel) has exactly one message, and the family received it
  once: every request the SMS/WhatsApp stand-in accepted and every mail the sink took is
  counted (neither provider deduplicates, so a resend is a second message on the phone),
  per channel. A message whose answer a kill cut off, where the provider cannot be asked
  (WhatsApp, email), ends `unknown` for an operator: reported, and a failure only if the
  family never got it;
- no event is left in an outbox, nothing is on a dead-letter topic.
- from the bank's own ledger: each ledger line paid by exactly one successful transfer.
It prints a table and exits non-zero if anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import aiohttp
import asyncpg
import httpx

from bench import chaos_bank, results
from bench.e2e import load_average
from bench.expected_payouts import NotInTheMix, expected_cash
from bench.load import ClaimRecord, ClaimTracker, Supervisor, Target, Worker, enrol, file_claims, plan_workers
from bench.stack import BenchStack, Proc, token
from deploy.local.kafka import KafkaCluster
from shared.topics import CATALOGUE, CLAIM_DECISIONS, CLAIMS_FILED, PAYOUTS
from tests.support.kafka_tools import read_all

INTRO = (
    "Claims filed at a steady rate on an isolated stack (fsync on) while each service is killed with "
    "`kill -9` and restarted, the Kafka broker and PostgreSQL are killed with SIGKILL and restarted, the "
    "SMS/WhatsApp stand-in answers 500 and the bank stand-in goes down (every bank notification "
    "delivered twice, {slow} "
    "of the accounts answering after claims gave up); then every claim, payout, message, outbox and "
    "dead-letter topic is checked, and every ledger line against the bank's own ledger. "
    '"Recovery" is the time from the end of a fault to the next message delivered to a family (a claim\'s '
    "news or its money sent, so it is measured while the bank transfers go on after every claim has its "
    "outcome); the next fault waits "
    "for it (up to `--recovery-wait`, 120 s; — where none came), so no fault's recovery spans the next "
    "fault. A shorter run "
    "(1 claim/s, 6 s outages) is part of `make test` (tests/e2e/test_chaos.py)."
)

CLUSTER_INTRO = (
    "The same run against three Kafka nodes on this machine (KRaft, each broker and controller, "
    "topics with replication factor 3 and `min.insync.replicas=2`): the node leading most partitions "
    "of the claims topics is killed with SIGKILL and brought back after the outage, then the node "
    'leading them next. "New leaders" is the time from the kill until every claims partition is '
    "led by a live node; recovery for these faults counts from the kill, since the two other nodes "
    "carry on without the dead one. A shorter version is part of `make test` "
    "(tests/e2e/test_kafka_leader_crash.py: the services in the test's process against a three-node "
    "cluster, a claim filed after each kill)."
)

# Jaring's own settings for a run where parts die: short leases and retries so recovery is
# seen within the run; every guarantee is the same as in production.
CHAOS_SERVICE_ENV = {
    "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "5",
    "NOTIFICATIONS_DELIVERY_SEND_TIMEOUT_SECONDS": "3",  # a send must end inside its lease
    "NOTIFICATIONS_DELIVERY_RETRY_BASE_SECONDS": "1",
    "NOTIFICATIONS_DELIVERY_RETRY_CAP_SECONDS": "5",
    "NOTIFICATIONS_DELIVERY_MAX_ATTEMPTS": "40",
    # "Claim received" goes out at once, as in the suite: held 600 s, the first messages of the run
    # would all be sent after the faults were over, and the check would wait ten minutes for them.
    "NOTIFICATIONS_FIRST_MESSAGE_HOLD_SECONDS": "0",
}

# A family message not settled yet: waiting for its (next) attempt, or leased and being sent (an SMS
# whose answer was lost stays `sending` until the gateway is asked about it).
UNSETTLED = ("pending", "sending")


@dataclass
class Fault:
    name: str
    started: float = 0.0
    ended: float = 0.0
    recovered_after: float | None = None  # seconds from the fault's end to the next message delivered to a family
    # A replicated Kafka node's crash: the rest go on without it, so recovery counts from the kill.
    from_start: bool = False
    leaders_after: float | None = None  # seconds from the kill to every claims partition led again
    # Of the claims filed between the kill and the new leaders: seconds from filed to family notified.
    filed_before_leaders: list[float] = field(default_factory=list)

    @property
    def recovery_from(self) -> float:
        return self.started if self.from_start else self.ended


@dataclass
class ChaosReport:
    faults: list[Fault] = field(default_factory=list)
    filed: int = 0
    not_accepted: int = 0
    completed: int = 0
    lost: int = 0
    duplicated_payouts: int = 0
    # One incident filed as two claims: a filing retried after its first attempt's answer was lost
    # and that claim was already rejected (the incident check spares rejected claims: a family may
    # file again): the family hears of it twice.
    incidents_filed_twice: int = 0
    wrong_amounts: int = 0
    duplicated_messages: int = 0  # what the families saw twice, all channels
    duplicates_by_channel: dict[str, int] = field(default_factory=dict)
    undelivered_messages: int = 0  # ended failed (or cancelled), or `delivered` with no provider or mailbox having it
    # Still pending or being sent when the check gave up waiting (`settle_seconds`): neither lost nor doubled
    # yet, but the run could not show they were neither.
    still_pending: int = 0
    settle_seconds: float = 0.0
    unknown_messages: int = 0  # still `unknown` at the end: the answer was lost and the provider cannot be asked
    unknown_never_received: int = 0  # of those, the provider never got: the family was not told
    operator_confirmed: int = 0  # `unknown`, the family had it: the officer confirmed it (audited)
    operator_resent: int = 0  # `unknown`, the family never had it: the officer resent it (audited)
    outbox_left: int = 0
    dead_letters: int = 0
    problems: list[str] = field(default_factory=list)
    bank: chaos_bank.BankReport | None = None
    # What the filing sustained (open loop: each claim launched at its time, retried through outages).
    offered_rate: float = 0.0
    filing_seconds: float = 0.0  # first launch to last answer
    max_launch_lag: float = 0.0
    load: list[tuple[str, str]] = field(default_factory=list)  # (moment, load average 1/5/15 min)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated_payouts
            or self.incidents_filed_twice
            or self.wrong_amounts
            or self.duplicated_messages
            or self.undelivered_messages
            or self.still_pending
            or self.unknown_never_received
            or self.outbox_left
            or self.dead_letters
            or self.not_accepted
            or (self.bank is not None and not self.bank.ok)
        )

    def table(self) -> str:
        rows = [
            ("faults injected", ", ".join(f.name for f in self.faults)),
            ("claims filed (accepted)", self.filed),
            (
                "filing: offered / accepted over the filing (first launch to last answer)",
                f"{self.offered_rate:g}/s / "
                + (
                    f"{self.filed / self.filing_seconds:.1f}/s over {self.filing_seconds:.0f} s"
                    if self.filing_seconds
                    else "—"
                )
                + f" (generator at most {self.max_launch_lag:.1f} s behind its schedule)",
            ),
            ("claims not accepted", self.not_accepted),
            ("completed (family notified)", self.completed),
            ("lost", self.lost),
            ("duplicated payouts", self.duplicated_payouts),
            ("incidents filed as two claims (a retried filing)", self.incidents_filed_twice),
            ("ledger totals off", self.wrong_amounts),
            (
                "messages a family got twice (every request counted)",
                f"{self.duplicated_messages} ("
                + ", ".join(f"{channel} {n}" for channel, n in sorted(self.duplicates_by_channel.items()))
                + ")",
            ),
            ("messages not delivered", self.undelivered_messages),
            (f"messages still pending after {self.settle_seconds:.0f} s of waiting", self.still_pending),
            (
                "answer lost, provider cannot be asked (unknown): the officer asked the family",
                f"{self.operator_confirmed + self.operator_resent + self.unknown_messages} (had it, confirmed: "
                f"{self.operator_confirmed}; never had it, resent: {self.operator_resent}; still unknown: "
                f"{self.unknown_messages}, of which never received: {self.unknown_never_received})",
            ),
            ("events left in outboxes", self.outbox_left),
            ("dead letters", self.dead_letters),
        ]
        rows += self.bank.rows() if self.bank else []
        rows += [
            (
                f"recovery after {f.name}" + (" (from the kill)" if f.from_start else ""),
                "—" if f.recovered_after is None else f"{f.recovered_after:.1f} s",
            )
            for f in self.faults
        ]
        rows += [
            (f"new leaders after {f.name}", f"{f.leaders_after:.1f} s")
            for f in self.faults
            if f.leaders_after is not None
        ]
        rows += [
            (
                "claims filed between that kill and its new leaders: filed → family notified",
                f"{len(took)} claims, median {statistics.median(took):.1f} s, max {max(took):.1f} s"
                if (took := f.filed_before_leaders)
                else "none filed",
            )
            for f in self.faults
            if f.leaders_after is not None
        ]
        if self.load:
            rows.append(
                ("load average (1/5/15 min)", " · ".join(f"{moment} {figures}" for moment, figures in self.load))
            )
        width = max(len(str(k)) for k, _ in rows)
        lines = [f"| {'what'.ljust(width)} | result |", f"|{'-' * (width + 2)}|--------|"]
        lines += [f"| {str(k).ljust(width)} | {v} |" for k, v in rows]
        lines += [f"| problem | {p} |" for p in (self.problems + (self.bank.problems if self.bank else []))[:20]]
        return "\n".join(lines)


# --- the fault script ---------------------------------------------------------------------------


async def _restart(proc: Proc) -> None:
    proc.kill()
    # A loaded machine and the generator's queue of filings: ready in 10-20 s, seen past 90 s.
    await proc.start(timeout=240)


# The kinds of fault, in the order the script injects them (`--faults` picks some). Kafka,
# PostgreSQL and the provider first: at scale the filing (10,000 claims at 50/s, 200 s) is shorter
# than the whole script, and once it is over the pipeline drains in a minute or two, so a later
# provider outage found no message to fail (2026-11-29, 21:38 run). The kills come after: they still
# find the claims process paying the bank and notifications telling families of the transfers.
FAULT_KINDS = ("kafka", "postgres", "provider", "kills", "bank")


async def run_faults(
    stack: BenchStack,
    outage: float,
    gap: float,
    say=print,
    kills: int = 1,
    provider_seconds: float | None = None,
    kinds: Sequence[str] = FAULT_KINDS,
    recovered: Callable[[float], Awaitable[float | None]] | None = None,
) -> list[Fault]:
    """Each fault in turn, `gap` seconds apart; outages last `outage` seconds. Every service process
    (grievances and the console too when the stack runs them) is killed `kills` times, in rounds; the SMS/WhatsApp
    stand-in fails for `provider_seconds` (default three outages). Only the `kinds` of fault given run.
    `recovered(moment)`: seconds from `moment` to the next family message delivered (None: none within its
    deadline), awaited after each fault before the next one's gap, so a fault's recovery is never
    counted across the next fault (the SMS/WhatsApp outage after PostgreSQL's made PostgreSQL's
    72.8 s at scale: no family can be notified while their SMS and WhatsApp fail)."""
    provider_seconds = outage * 3 if provider_seconds is None else provider_seconds
    faults: list[Fault] = []

    async def fault(name: str, action, from_start: bool = False) -> None:
        await asyncio.sleep(gap)
        record = Fault(name, started=time.time(), from_start=from_start)
        say(f"  [{time.strftime('%H:%M:%S')}] fault: {name}")
        outcome = await action()
        if from_start:
            record.leaders_after = outcome[0]
        record.ended = time.time()
        say(f"  [{time.strftime('%H:%M:%S')}] over: {name} ({record.ended - record.started:.1f} s)")
        faults.append(record)
        if recovered is not None:
            record.recovered_after = await recovered(record.recovery_from)
            seen = "none notified" if record.recovered_after is None else f"{record.recovered_after:.1f} s"
            say(f"  [{time.strftime('%H:%M:%S')}] recovery after {name}: {seen}")

    async def kafka_outage() -> None:
        # SIGKILL, a crash: no controlled shutdown, nothing flushed beyond what fsync'd.
        stack.kafka.kill()
        await asyncio.sleep(outage)
        stack.kafka.start(stack.workdir / "kafka.log")
        await stack.kafka.wait_ready(120)

    async def postgres_outage() -> None:
        # SIGKILL of the postmaster and every backend: the restart recovers by WAL replay, past
        # the postmaster.pid the crash left behind.
        await asyncio.to_thread(stack.postgres.kill)
        await asyncio.sleep(outage)
        await asyncio.to_thread(stack.postgres.start, stack.workdir / "pg.log")
        await stack.postgres.wait_ready(60)

    async def provider_errors() -> None:
        async with httpx.AsyncClient(base_url=stack.provider.url) as client:
            await client.post("/_control/fail", json={"status": 500, "times": -1})
            await asyncio.sleep(provider_seconds)
            await client.post("/_control/fail", json={"status": 500, "times": 0})

    if "kafka" not in kinds:
        pass
    elif isinstance(stack.kafka, KafkaCluster):
        for _ in range(2):  # the leader of the claims topics, then whichever leads them next
            await fault(
                "Kafka leader of the claims topics kill -9",
                lambda: leader_crash(stack.kafka, outage, say),
                from_start=True,
            )
    else:
        await fault(f"Kafka kill -9, down {outage:.0f} s", kafka_outage)
    if "postgres" in kinds:
        await fault(f"PostgreSQL kill -9, down {outage:.0f} s", postgres_outage)
    if "provider" in kinds:
        await fault(f"SMS/WhatsApp answers 500 for {provider_seconds:.0f} s", provider_errors)
    for round_ in range(kills if "kills" in kinds else 0):
        for name in ("enrollment", "claims", "notifications", "grievances", "console"):
            for proc in stack.services.get(name, []):
                label = f"kill -9 {proc.name}" + (f" (#{round_ + 1})" if kills > 1 else "")
                await fault(label, lambda p=proc: _restart(p))
    if "bank" in kinds:
        await fault(f"bank down {outage:.0f} s", lambda: chaos_bank.bank_down(stack, outage))
    return faults


CLAIMS_TOPICS = [t.name for t in (CLAIMS_FILED, CLAIM_DECISIONS, PAYOUTS)]


async def leader_crash(cluster: KafkaCluster, outage: float, say=print) -> tuple[float, float]:
    """SIGKILL the node leading most claims partitions; the others elect new leaders (min ISR 2
    of 3: writes go on). After `outage` s it comes back and catches up. Returns (seconds to new
    leaders, seconds until it is in sync again after its restart)."""
    victim = await cluster.leading_node(CLAIMS_TOPICS)
    cluster.kill(victim)
    to_leaders = await cluster.wait_for_new_leaders(CLAIMS_TOPICS, {victim})
    say(f"    node {victim} killed; every claims partition led elsewhere after {to_leaders:.1f} s")
    await asyncio.sleep(max(outage - to_leaders, 0))
    cluster.restart(victim)
    in_sync = await cluster.wait_in_sync(CLAIMS_TOPICS)
    say(f"    node {victim} back, in sync after {in_sync:.1f} s")
    return to_leaders, in_sync


# --- the checks ------------------------------------------------------------------------------------


def outbox_schemas(stack: BenchStack) -> list[str]:
    """The schemas of the services that publish through an outbox, of those the stack runs."""
    return [name for name in ("enrollment", "claims", "notifications", "grievances") if name in stack.services]


async def check(stack: BenchStack, claim_ids: list[str], workers: Sequence[Worker], report: ChaosReport) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        await _check_claims(conn, stack, claim_ids, workers, report)
        await _check_messages(conn, stack, claim_ids, report)
        for schema in outbox_schemas(stack):
            report.outbox_left += await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox")
    finally:
        await conn.close()
    for topic in CATALOGUE:
        dead = await read_all(stack.bootstrap, topic.dlq)
        report.dead_letters += len(dead)
        for record in dead[:5]:
            reason = dict(record.headers).get("dlq_reason", b"").decode()
            report.problems.append(f"dead letter on {topic.dlq}: {reason[:160]}")


async def _check_claims(
    conn: asyncpg.Connection, stack: BenchStack, claim_ids: list[str], workers: Sequence[Worker], report: ChaosReport
) -> None:
    rows = await conn.fetch("SELECT claim_id, status FROM claims.claims WHERE claim_id = ANY($1)", claim_ids)
    final = {r["claim_id"] for r in rows if r["status"] in ("payout_recorded", "rejected")}
    lost = [c for c in claim_ids if c not in final]
    report.lost = len(lost)
    report.problems += [f"claim {c} not final" for c in lost[:5]]

    payout_events: dict[str, set[str]] = {}
    for record in await read_all(stack.bootstrap, PAYOUTS.name):
        envelope = json.loads(record.value)
        if envelope["type"] == "PayoutRecorded":
            payout_events.setdefault(envelope["correlation_id"], set()).add(envelope["event_id"])
    report.duplicated_payouts = sum(1 for c in claim_ids if len(payout_events.get(c, ())) > 1)
    await _check_incidents(conn, workers, report)

    await _check_ledger(conn, claim_ids, workers, report)


async def _check_incidents(conn: asyncpg.Connection, workers: Sequence[Worker], report: ChaosReport) -> None:
    """Each worker of the run filed one claim for one incident: a second claim of theirs for the same
    incident is a filing done twice, whatever the first one's fate (the generator retries a filing
    whose answer it did not get, as an officer at the counter does)."""
    rows = await conn.fetch(
        "SELECT participant_id, fingerprint, array_agg(claim_id || ' ' || status ORDER BY filed_at) AS claims "
        "FROM claims.claims WHERE participant_id = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1",
        [w.participant_id for w in workers],
    )
    report.incidents_filed_twice = len(rows)
    report.problems += [
        f"participant {r['participant_id']}: one incident, claims {', '.join(r['claims'])}" for r in rows[:5]
    ]


async def _check_ledger(
    conn: asyncpg.Connection, claim_ids: list[str], workers: Sequence[Worker], report: ChaosReport
) -> None:
    """Each paid claim's cash ledger against bench/expected_payouts.py: the figures restated from
    what the load generator filed (its worker's income, membership and days off work), not
    recomputed by the claims domain under test."""
    by_participant = {w.participant_id: w for w in workers}
    rows = await conn.fetch(
        "SELECT c.claim_id, c.participant_id, c.claim_type, c.incident_date, c.incapacity_days, "
        "       (SELECT coalesce(sum(l.amount), 0) FROM claims.payout_ledger l "
        "         WHERE l.claim_id = c.claim_id AND l.kind = 'cash') AS recorded "
        "FROM claims.claims c WHERE c.claim_id = ANY($1) AND c.status = 'payout_recorded'",
        claim_ids,
    )
    for row in rows:
        worker = by_participant.get(row["participant_id"])
        if worker is None:
            report.wrong_amounts += 1
            report.problems.append(f"claim {row['claim_id']}: paid to a participant the run did not enrol")
            continue
        try:
            expected = expected_cash(
                worker.claim_type,
                monthly_income=int(worker.row["monthly_income"]),
                member_since=date.fromisoformat(worker.row["member_since"]),
                incident_date=row["incident_date"],
                incapacity_days=worker.incapacity_days,
            )
        except NotInTheMix as exc:
            expected = None
            report.problems.append(f"claim {row['claim_id']}: {exc}")
        if row["claim_type"] != worker.claim_type or row["recorded"] != expected:
            report.wrong_amounts += 1
            report.problems.append(
                f"claim {row['claim_id']} ({row['claim_type']}): ledger {row['recorded']} != expected {expected}"
            )


def received_by_channel(stack: BenchStack, keys: set[str] | None = None) -> dict[str, Counter[str]]:
    """What the families received, per channel and idempotency key: every request the
    SMS/WhatsApp stand-in accepted, every mail the sink took (neither deduplicates)."""
    received: dict[str, Counter[str]] = {"whatsapp": Counter(), "sms": Counter(), "email": Counter()}
    if stack.provider_requests.exists():
        for line in stack.provider_requests.read_text().splitlines():
            entry = json.loads(line)
            key = entry.get("idempotency_key")
            if key and (keys is None or key in keys) and 200 <= entry.get("status", 0) < 300:
                received[entry["channel"]][key] += 1
    index = stack.mail_dir / "index.jsonl"
    if index.exists():
        for line in index.read_text().splitlines():
            key = json.loads(line).get("idempotency_key")
            if key and (keys is None or key in keys):
                received["email"][key] += 1
    return received


class Operator:
    """The officer's part of the run: every few seconds, the `unknown` messages (a kill cut off
    the answer and the provider cannot be asked) are checked with the family — here, the
    stand-ins' records — and confirmed or resent through the notifications API, as an officer
    does it (audited). Counted in the report; a family never hears a message twice for it."""

    def __init__(self, stack: BenchStack, every: float = 2.0):
        self.stack, self.every = stack, every
        self.confirmed = self.resent = 0
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Operator:
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            with contextlib.suppress(Exception):  # a service or the database may be down mid-fault
                await self.round()

    async def round(self) -> None:
        conn = await asyncpg.connect(self.stack.database_url)
        try:
            rows = await conn.fetch(
                "SELECT notification_id, event_id, heir_id, channel FROM "
                "notifications.notifications WHERE status = 'unknown'"
            )
        finally:
            await conn.close()
        if not rows:
            return
        received = received_by_channel(self.stack)
        headers = {"Authorization": f"Bearer {token('officer')}"}
        async with httpx.AsyncClient(base_url=self.stack.urls("notifications")[0], headers=headers) as client:
            for r in rows:
                had_it = received[r["channel"]][f"{r['event_id']}:{r['heir_id']}:{r['channel']}"] > 0
                answer = await client.post(
                    f"/v1/notifications/{r['notification_id']}/{'confirm' if had_it else 'resend'}"
                )
                if answer.status_code == 200:
                    if had_it:
                        self.confirmed += 1
                    else:
                        self.resent += 1


async def _check_messages(
    conn: asyncpg.Connection, stack: BenchStack, claim_ids: list[str], report: ChaosReport
) -> None:
    rows = await conn.fetch(
        "SELECT claim_id, about_event, heir_id, channel, event_id, status FROM notifications.notifications "
        "WHERE claim_id = ANY($1)",
        claim_ids,
    )
    per_message = Counter((r["claim_id"], r["about_event"], r["heir_id"], r["channel"]) for r in rows)
    queued_twice = sum(n - 1 for n in per_message.values() if n > 1)
    status_of = {f"{r['event_id']}:{r['heir_id']}:{r['channel']}": r["status"] for r in rows}
    received = received_by_channel(stack, set(status_of))
    report.duplicates_by_channel = {
        channel: sum(n - 1 for n in by_key.values() if n > 1) for channel, by_key in received.items()
    }
    report.duplicated_messages = queued_twice + sum(report.duplicates_by_channel.values())
    got = Counter({key: n for by_key in received.values() for key, n in by_key.items()})
    unknown = [key for key, status in status_of.items() if status == "unknown"]
    report.unknown_messages = len(unknown)
    report.unknown_never_received = sum(1 for key in unknown if not got[key])
    pending = [key for key, status in status_of.items() if status in UNSETTLED]
    report.still_pending = len(pending)
    undelivered = [key for key, status in status_of.items() if status not in ("delivered", "unknown", *UNSETTLED)]
    missing = [key for key, status in status_of.items() if status == "delivered" and not got[key]]
    report.undelivered_messages = len(undelivered) + len(missing)
    report.problems += [
        f"message {k} still {status_of[k]} after {report.settle_seconds:.0f} s of waiting" for k in pending[:5]
    ]
    report.problems += [f"message {k} ended {status_of[k]}" for k in undelivered[:5]]
    report.problems += [f"no provider or mailbox received {k}" for k in missing[:5]]
    report.problems += [f"message {k} unknown and never received" for k in unknown if not got[k]][:5]
    report.problems += [
        f"{channel}: {k} received {n} times" for channel, by_key in received.items() for k, n in by_key.items() if n > 1
    ][:5]


# --- the run ------------------------------------------------------------------------------------------


async def chaos(
    rate: float,
    outage: float,
    gap: float,
    workers: int | None,
    seed: int = 7,
    say=print,
    brokers: int = 1,
    kills: int = 1,
    console: bool = False,
    grievances: bool = False,
    provider_seconds: float | None = None,
    settle_seconds: float = 300.0,
    slow_accounts_every: int = 5,
    fault_kinds: Sequence[str] = FAULT_KINDS,
    recovery_wait: float = 120.0,
) -> ChaosReport:
    report = ChaosReport(settle_seconds=settle_seconds, offered_rate=rate)

    def note_load(moment: str) -> None:
        report.load.append((f"{moment} ({time.strftime('%H:%M', time.gmtime())} UTC)", load_average()))

    async with (
        BenchStack(
            partitions=3,
            instances=1,
            brokers=brokers,
            console=console,
            grievances=grievances,
            service_env={**CHAOS_SERVICE_ENV, **chaos_bank.BANK_SERVICE_ENV},
            bank_args=chaos_bank.BANK_ARGS,
        ) as stack,
        # aiohttp's 100 connections keep the generator's retries from storming a claims process
        # that is starting again (with 1,024 it was not ready after 90 s); 60 s per request, as the backlog run.
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http,
    ):
        # Enough claims to keep filing through the whole fault script.
        kill_faults = kills * (3 + console + grievances)
        fault_seconds = (kill_faults + 5) * gap + 5 * outage + (provider_seconds or outage * 3) + 60
        count = workers or max(20, int(rate * fault_seconds))
        plan = plan_workers(count, rng=random.Random(seed), today=date.today())
        target = Target(
            enrollment_url=stack.urls("enrollment")[0],
            claims_urls=stack.urls("claims"),
            bootstrap=stack.bootstrap,
            database_url=stack.database_url,
            officer_token=token("officer"),
            supervisor_token=token("supervisor"),
        )
        note_load("enrolment starts")
        say(f"chaos: enrolling {count} workers (load average {load_average()}) …")
        await enrol(plan, target, http, progress=lambda *_: None)
        note_load("filing starts")
        say(f"chaos: filing {count} claims at {rate}/s while the faults run (load average {load_average()})")
        await chaos_bank.notifications_twice(stack)
        accounts_done = asyncio.Event()
        accounts = asyncio.create_task(chaos_bank.record_accounts(stack, accounts_done, slow_accounts_every))
        async with (
            ClaimTracker(stack.bootstrap) as tracker,
            # Decisions are retried through every fault and until the run stops waiting (below), not
            # 300 s: at scale that left claims in needs_review.
            Supervisor(target, http, plan, give_up_after=None) as supervisor,
            Operator(stack) as operator,
        ):

            async def first_family_notified(moment: float) -> float | None:
                deadline = time.monotonic() + recovery_wait
                while True:
                    after = [at for at in tracker.deliveries if at >= moment]
                    if after:
                        return min(after) - moment
                    if time.monotonic() > deadline:
                        return None
                    await asyncio.sleep(0.2)

            filing_task = asyncio.create_task(
                # A filing is retried through the outages and, where the machine cannot take `rate`,
                # until the claims API has taken the queue: the report says what rate it sustained.
                file_claims(plan, target, http, tracker, rate=rate, retry_seconds=outage * 6 + 60 + 2 * count / rate)
            )
            report.faults = await run_faults(
                stack,
                outage,
                gap,
                say,
                kills=kills,
                provider_seconds=provider_seconds,
                kinds=fault_kinds,
                recovered=first_family_notified,
            )
            note_load("faults over")
            filing = await filing_task
            report.filed = len(filing.claim_ids)
            report.filing_seconds, report.max_launch_lag = filing.seconds, filing.max_launch_lag
            report.not_accepted = sum(filing.errors.values())
            if filing.errors:
                report.problems.append(f"filings not accepted: {filing.errors}")
            say("chaos: waiting for quiet …")
            # As long a deadline as the messages get: at scale, on a loaded machine, the last claims
            # of the run may take minutes past the faults.
            supervisor.decide_until(time.monotonic() + max(300.0, settle_seconds))
            await tracker.wait_for(filing.claim_ids, timeout=max(300.0, settle_seconds), progress=_every(30, say))
            records = [tracker.records[c] for c in filing.claim_ids]
            report.completed = sum(1 for r in records if r.notified_at)
            for f in report.faults:
                if f.leaders_after is not None:
                    f.filed_before_leaders = notified_after_filing(records, f.started, f.started + f.leaders_after)
            if report.faults:
                _say_latency_after(report.faults[-1].ended, records, say)
            say("chaos: waiting for every transfer …")
            await chaos_bank.wait_for_transfers(stack, filing.claim_ids, max(180.0, settle_seconds), say)
            accounts_done.set()
            await accounts
            await _wait_for_outboxes(stack)
            # The officer stays on while the last messages go out: a kill may still leave one `unknown`.
            await wait_for_messages(stack, filing.claim_ids, settle_seconds, say)
            report.operator_confirmed, report.operator_resent = operator.confirmed, operator.resent
        note_load("check")
        await check(stack, filing.claim_ids, plan, report)
        report.bank = await chaos_bank.check_transfers(stack, filing.claim_ids)
    return report


def notified_after_filing(records: Sequence[ClaimRecord], start: float, end: float) -> list[float]:
    """Filed → family notified, in seconds, of the claims filed (ClaimFiled's time) from `start` to
    `end`, in filing order: what a claim filed while its partition had no leader waited."""
    chosen = sorted((r for r in records if start <= r.filed_at <= end and r.notified_at), key=lambda r: r.filed_at)
    return [r.notified_at - r.filed_at for r in chosen]


def _say_latency_after(moment: float, records: Sequence[ClaimRecord], say) -> None:
    """How long the claims filed after the last fault took, filed to family notified: what a
    part left slower by a fault (a LISTEN lost with PostgreSQL's restart) costs every claim after."""
    took = sorted(r.notified_at - r.filed_at for r in records if r.filed_at and r.filed_at >= moment and r.notified_at)
    if took:
        say(
            f"chaos: {len(took)} claims filed after the last fault, filed to family notified: "
            f"median {statistics.median(took):.2f} s, p90 {took[int(len(took) * 0.9)]:.2f} s"
        )


async def _wait_for_outboxes(stack: BenchStack, timeout: float = 60) -> None:
    """Quiet: every outbox drained (or the deadline passed: the check then counts what is left)."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(stack.database_url)
    try:
        while time.monotonic() < deadline:
            left = 0
            for schema in outbox_schemas(stack):
                left += await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox")
            if left == 0:
                return
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


def _every(seconds: float, say):
    """`say`, at most once per `seconds` (the tracker reports its progress every 5 s)."""
    last = [0.0]

    def progress(line: str) -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            say(f"  [{time.strftime('%H:%M:%S')}]{line}")

    return progress


async def wait_for_messages(stack: BenchStack, claim_ids: list[str], timeout: float, say=print) -> None:
    """Quiet for the families: every message of these claims delivered, failed or `unknown`, none
    pending or being sent, and nothing left in an outbox that could queue another, twice in a row
    a poll apart; or the deadline passed (the check then counts what is left as still pending).
    After the provider's outage the dispatcher retries with backoff (CHAOS_SERVICE_ENV: 1 s doubling
    to 5 s, 40 attempts): the messages due go out as fast as the dispatcher sends."""
    started = time.monotonic()
    deadline, quiet, last_said = started + timeout, 0, 0.0
    while time.monotonic() < deadline:
        try:
            conn = await asyncpg.connect(stack.database_url, timeout=10)
            try:
                by_status = await conn.fetch(
                    "SELECT status, next_attempt_at <= now() AS due, count(*) AS n FROM notifications.notifications "
                    "WHERE claim_id = ANY($1) AND status = ANY($2) GROUP BY 1, 2",
                    claim_ids,
                    list(UNSETTLED),
                )
                outboxes = 0
                for schema in outbox_schemas(stack):
                    outboxes += await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox")
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError) as exc:  # the database is not the thing measured here
            say(f"  messages: cannot read them yet ({exc.__class__.__name__}); trying again")
            await asyncio.sleep(2)
            continue
        unsettled = sum(r["n"] for r in by_status)
        quiet = quiet + 1 if unsettled == 0 and outboxes == 0 else 0
        if quiet >= 2:
            say(f"chaos: every family message settled after {time.monotonic() - started:.0f} s")
            return
        if time.monotonic() - last_said >= 15:
            last_said = time.monotonic()
            detail = ", ".join(f"{r['status']}{' (due)' if r['due'] else ''} {r['n']}" for r in by_status)
            say(
                f"  [{time.strftime('%H:%M:%S')}] messages not settled: {unsettled} ({detail or 'none'}); "
                f"outbox events {outboxes}; {deadline - time.monotonic():.0f} s left"
            )
        await asyncio.sleep(2)
    say(f"chaos: messages still pending after {timeout:.0f} s; counting now")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=5.0, help="claims filed per second")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds Kafka and PostgreSQL stay down")
    parser.add_argument("--gap", type=float, default=10.0, help="seconds between faults")
    parser.add_argument(
        "--brokers",
        type=int,
        default=1,
        choices=(1, 3),
        help="Kafka nodes; 3: a KRaft cluster (RF 3, min ISR 2) whose claims leader is killed twice",
    )
    parser.add_argument("--workers", type=int, default=None, help="claims to file (default: enough for the run)")
    parser.add_argument("--kills", type=int, default=1, help="times each service process is killed (in rounds)")
    parser.add_argument("--console", action="store_true", help="run the console too, and kill it with the others")
    parser.add_argument(
        "--grievances", action="store_true", help="run the grievances service too, and kill it with the others"
    )
    parser.add_argument(
        "--provider-seconds",
        type=float,
        default=None,
        help="how long the SMS/WhatsApp stand-in answers 500 (default: three outages)",
    )
    parser.add_argument(
        "--section",
        default=None,
        help="the docs/benchmarks.md section to write with one broker: chaos (default) or chaos-scale; "
        "a run on 3 brokers is written to chaos-cluster",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=900.0,
        help="longest wait, after the last transfer, for every family message to be delivered or settled; "
        "what is still pending then is a failure of its own (default 900)",
    )
    parser.add_argument(
        "--slow-accounts-every",
        type=int,
        default=5,
        help="every Nth payee's bank account answers after claims gave up (default 5); claims pays one "
        "transfer at a time, so at scale a fifth costs hours of its 2 s timeouts",
    )
    parser.add_argument(
        "--faults",
        default=",".join(FAULT_KINDS),
        help=f"the kinds of fault to inject, comma-separated, of {','.join(FAULT_KINDS)} (default all)",
    )
    parser.add_argument(
        "--recovery-wait",
        type=float,
        default=120.0,
        help="longest wait after a fault for the next family message, before the next fault's gap (default 120)",
    )
    parser.add_argument("--write", action="store_true", help="replace the chaos section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.faults.split(",") if k.strip()]
    if unknown := set(kinds) - set(FAULT_KINDS):
        parser.error(f"--faults: no such kind {', '.join(sorted(unknown))} (of {', '.join(FAULT_KINDS)})")
    report = asyncio.run(
        chaos(
            args.rate,
            args.outage,
            args.gap,
            args.workers,
            brokers=args.brokers,
            kills=args.kills,
            console=args.console,
            grievances=args.grievances,
            provider_seconds=args.provider_seconds,
            settle_seconds=args.settle_seconds,
            slow_accounts_every=args.slow_accounts_every,
            fault_kinds=kinds,
            recovery_wait=args.recovery_wait,
        )
    )
    table = report.table()
    print(table)
    if args.write:
        command = " ".join(["python -m bench.chaos", *(argv if argv is not None else sys.argv[1:])])
        run = f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `{command}`:\n\n{table}"
        slow = "a fifth" if args.slow_accounts_every == 5 else f"one in {args.slow_accounts_every}"
        intro = INTRO.format(slow=slow)
        # A run on the cluster is written to the cluster's section, at scale or not: its faults differ.
        if args.brokers > 1:
            results.write_section("chaos-cluster", "Chaos on a three-node Kafka cluster", f"{CLUSTER_INTRO}\n\n{run}")
        elif args.section == "chaos-scale":
            results.write_section("chaos-scale", "Chaos at scale", f"{intro}\n\n{run}")
        else:
            results.write_section("chaos", "Chaos: nothing lost, nothing doubled", f"{intro}\n\n{run}")
    print("chaos: OK — nothing lost, nothing doubled" if report.ok else "chaos: FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
