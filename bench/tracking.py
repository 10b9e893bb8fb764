"""Following claims through the events, the scripted supervisor, and the figures: the half of
the load generator that reads Kafka (bench/load.py re-exports it; import from either).

The tracker consumes claims.filed.v1, claims.decisions.v1, claims.payouts.v1 and
notifications.deliveries.v1 in a consumer group of its own and keeps one ClaimRecord per
claim, timed with the events' own occurred_at. "Family notified" is every heir-channel
message about the claim's final event (PayoutRecorded, or ClaimRejected) delivered.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
from aiokafka import AIOKafkaConsumer

from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, DELIVERIES, PAYOUTS

if TYPE_CHECKING:
    from bench.load import Target, Worker

REVIEW_FOR_DOCUMENTS = {"DOCUMENTS_INCOMPLETE", "POLICE_REPORT_MISSING"}
# A death soon after joining, and a payout above claims' review threshold (most JKK deaths):
# the scripted supervisor checks and approves them.
REVIEW_TO_APPROVE = {"DEATH_SOON_AFTER_ENROLMENT", "ABOVE_REVIEW_THRESHOLD"}


def _at(envelope: dict) -> float:
    return datetime.fromisoformat(envelope["occurred_at"]).timestamp()


@dataclass
class ClaimRecord:
    claim_id: str
    scenario: str = ""
    channels: int = 0  # heir-channel messages expected per family event
    scheduled_at: float = 0.0  # when the generator meant to file it (wall clock)
    accepted_at: float = 0.0  # when POST /v1/claims answered 202
    filed_at: float = 0.0  # ClaimFiled.occurred_at
    verified_at: float = 0.0  # the first decision event (the rules' outcome)
    referred_at: float = 0.0
    decided_at: float = 0.0  # ClaimApproved / ClaimRejected
    outcome: str = ""
    payout_at: float = 0.0
    deliveries: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)  # about_event -> (heir, channel)
    failed_messages: int = 0
    notified_at: float = 0.0
    known: bool = False  # filed by this generator (events of other claims are kept but not expected)
    expected_outcome: str = ""  # what the scenario should end in: approved or rejected

    def final_event(self) -> str | None:
        return {"approved": "PayoutRecorded", "rejected": "ClaimRejected"}.get(self.outcome)

    def check_notified(self) -> bool:
        final = self.final_event()
        if self.notified_at or not self.known or final is None:
            return bool(self.notified_at)
        delivered = self.deliveries.get(final, {})
        if len(delivered) >= self.channels and (self.outcome == "rejected" or self.payout_at):
            self.notified_at = max(delivered.values(), default=self.decided_at)
            return True
        return False

    def steps(self) -> dict[str, float]:
        """Seconds spent in each step (filed = when the generator meant to file it)."""
        end_of_decision = self.payout_at or self.decided_at
        return {
            "filing (HTTP, queueing included)": self.filed_at - self.scheduled_at,
            "verification": self.verified_at - self.filed_at,
            "review (supervisor)": self.decided_at - self.verified_at,
            "payout recording": (self.payout_at - self.decided_at) if self.payout_at else 0.0,
            "family messages": self.notified_at - end_of_decision,
        }


class ClaimTracker:
    """Consumes the claim and delivery topics from the beginning (its own consumer group)
    and keeps one ClaimRecord per claim. Redelivered events (the relay is at-least-once on
    the wire) are counted in `duplicates` and change nothing."""

    TOPICS = (CLAIMS_FILED.name, CLAIM_DECISIONS.name, PAYOUTS.name, DELIVERIES.name)

    def __init__(self, bootstrap: str, group: str | None = None):
        self._consumer = AIOKafkaConsumer(
            *self.TOPICS,
            bootstrap_servers=bootstrap,
            group_id=group or f"bench-tracker-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            max_poll_records=2000,
        )
        self.records: dict[str, ClaimRecord] = {}
        # When each family message was delivered (any message: a claim's news, its money sent):
        # the chaos run's recovery is the first of these after a fault, which still comes once
        # every claim has its outcome and only the bank transfers go on.
        self.deliveries: list[float] = []
        self.events = 0
        self.duplicates = 0
        self._seen: set[str] = set()
        self._task: asyncio.Task | None = None
        self._changed = asyncio.Event()

    async def __aenter__(self) -> ClaimTracker:
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="claim-tracker")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    def record(self, claim_id: str) -> ClaimRecord:
        found = self.records.get(claim_id)
        if found is None:
            found = self.records[claim_id] = ClaimRecord(claim_id)
        return found

    def expect(self, claim_id: str, worker: Worker, scheduled_at: float, accepted_at: float) -> None:
        """The generator filed this claim; events may have arrived before its answer did."""
        rec = self.record(claim_id)
        rec.scenario, rec.channels, rec.known = worker.scenario, worker.channels, True
        rec.expected_outcome = worker.expected_outcome
        rec.scheduled_at, rec.accepted_at = scheduled_at, accepted_at
        if rec.check_notified():
            self._changed.set()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=2000)
            for records in batches.values():
                for message in records:
                    self._apply(json.loads(message.value))
            if batches:
                self._changed.set()

    def _apply(self, envelope: dict) -> None:
        event_id = envelope["event_id"]
        if event_id in self._seen:
            self.duplicates += 1
            return
        self._seen.add(event_id)
        self.events += 1
        kind, payload, at = envelope["type"], envelope["payload"], _at(envelope)
        rec = self.record(payload["claim_id"])
        if kind == "ClaimFiled":
            rec.filed_at = at
        elif kind in ("ClaimApproved", "ClaimRejected", "ClaimReferredForReview"):
            rec.verified_at = rec.verified_at or at
            if kind == "ClaimReferredForReview":
                rec.referred_at = rec.referred_at or at
            else:
                rec.decided_at, rec.outcome = at, "approved" if kind == "ClaimApproved" else "rejected"
        elif kind == "PayoutRecorded":
            rec.payout_at = at
        elif kind == "NotificationDelivered":
            rec.deliveries.setdefault(payload["about_event"], {})[(payload["heir_id"], payload["channel"])] = at
            self.deliveries.append(at)
        elif kind == "NotificationFailed":
            rec.failed_messages += 1
        rec.check_notified()

    def done(self, claim_ids: Iterable[str]) -> int:
        return sum(1 for c in claim_ids if self.records[c].notified_at)

    async def wait_for(self, claim_ids: Sequence[str], timeout: float, progress=None) -> bool:
        """True once every claim is notified; False at the deadline (the stragglers stay unfinished)."""
        deadline = time.monotonic() + timeout
        printed = 0.0
        while True:
            done = self.done(claim_ids)
            if done == len(claim_ids):
                return True
            now = time.monotonic()
            if now > deadline:
                return False
            if progress and now - printed >= 5:
                progress(f"  waiting: {done:,}/{len(claim_ids):,} claims' families notified")
                printed = now
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 1.0)
            except TimeoutError:
                pass


# --- the scripted supervisor ----------------------------------------------------------------------------


class Supervisor:
    """Watches claims.decisions.v1 for ClaimReferredForReview and does what a supervisor
    would: adds the documents the family brought later, or approves a death soon after
    joining once the circumstances are checked. Retries while claims does not answer."""

    def __init__(
        self,
        target: Target,
        http: aiohttp.ClientSession,
        workers: Iterable[Worker],
        *,
        give_up_after: float | None = 300.0,
        retry_pause: float = 0.5,
    ):
        """`give_up_after`: seconds a decision is retried before it counts as unexpected; None:
        until `decide_until`'s deadline (a run that knows when it stops waiting: bench/chaos.py,
        whose claims may wait on a decision through every fault and the whole settle)."""
        self._target = target
        self._give_up_after, self._retry_pause = give_up_after, retry_pause
        self._until: float | None = None
        self._http = http
        self._by_participant = {w.participant_id: w for w in workers}
        self._consumer = AIOKafkaConsumer(
            CLAIM_DECISIONS.name,
            bootstrap_servers=target.bootstrap,
            group_id=f"bench-supervisor-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
        )
        self._headers = {"Authorization": f"Bearer {target.supervisor_token}"}
        self._handled: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._turn = 0
        self.stats = {"documents_added": 0, "approved": 0, "unexpected": 0, "retries": 0}

    def decide_until(self, deadline: float) -> None:
        """Keep retrying every decision until `deadline` (time.monotonic()), whenever it started."""
        self._until = deadline

    def _gave_up(self, started: float) -> bool:
        now = time.monotonic()
        if self._until is not None and now <= self._until:
            return False
        if self._give_up_after is None:
            return self._until is not None  # no deadline given yet: the run is still going
        return now > started + self._give_up_after

    def add_workers(self, workers: Iterable[Worker]) -> None:
        self._by_participant.update((w.participant_id, w) for w in workers)

    async def __aenter__(self) -> Supervisor:
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="supervisor")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in [self._task, *self._tasks]:
            if task:
                task.cancel()
        await asyncio.gather(*(t for t in [self._task, *self._tasks] if t), return_exceptions=True)
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for message in records:
                    envelope = json.loads(message.value)
                    if envelope["type"] != "ClaimReferredForReview" or envelope["event_id"] in self._handled:
                        continue
                    self._handled.add(envelope["event_id"])
                    task = asyncio.create_task(self._review(envelope["payload"]))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

    async def _review(self, referral: dict) -> None:
        claim_id, codes = referral["claim_id"], {r["code"] for r in referral["reasons"]}
        worker = self._by_participant.get(referral["participant_id"])
        if worker is None:
            self.stats["unexpected"] += 1
            return
        if codes & REVIEW_FOR_DOCUMENTS and worker.withheld:
            ok = await self._post(f"/v1/claims/{claim_id}/documents", {"documents": worker.withheld})
            self.stats["documents_added"] += ok
        elif codes <= REVIEW_TO_APPROVE:
            ok = await self._post(
                f"/v1/claims/{claim_id}/decision",
                {"decision": "approve", "reason": "circumstances checked with the family"},
            )
            self.stats["approved"] += ok
        else:
            self.stats["unexpected"] += 1

    async def _post(self, path: str, body: dict) -> bool:
        started = time.monotonic()
        while True:
            urls = self._target.claims_urls
            self._turn += 1
            url = urls[self._turn % len(urls)]
            try:
                async with self._http.post(url + path, json=body, headers=self._headers) as r:
                    if r.status == 200:
                        return True
                    if r.status == 422 and "claim_not_in_review" in await r.text():
                        return False  # already handled (a redelivered referral)
                    if r.status < 500:
                        self.stats["unexpected"] += 1
                        return False
            except (TimeoutError, aiohttp.ClientError):
                pass
            if self._gave_up(started):
                self.stats["unexpected"] += 1
                return False
            self.stats["retries"] += 1
            await asyncio.sleep(self._retry_pause)


# --- figures -----------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of `values` (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Summary:
    filed: int
    notified: int
    by_outcome: dict[str, int]
    latency: dict[str, float]  # p50, p95, p99, max (seconds), filed → family notified
    steps_p50: dict[str, float]
    steps_mean: dict[str, float]
    throughput: float  # claims notified per second, first notification → last (the steady rate)
    unexpected_outcomes: int
    failed_messages: int

    @property
    def dominant_step(self) -> str:
        return max(self.steps_mean, key=self.steps_mean.get) if self.steps_mean else ""


def summarise(records: Sequence[ClaimRecord]) -> Summary:
    done = [r for r in records if r.notified_at]
    latencies = [r.notified_at - r.scheduled_at for r in done]
    steps = [r.steps() for r in done]
    names = list(steps[0]) if steps else []
    # Completions per second between the first family notified and the last: when the system
    # keeps up it is the offered rate; when it falls behind, the backlog stretches the span.
    first = min((r.notified_at for r in done), default=0.0)
    last = max((r.notified_at for r in done), default=first)
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[r.outcome or "unfinished"] = outcomes.get(r.outcome or "unfinished", 0) + 1
    return Summary(
        filed=len(records),
        notified=len(done),
        by_outcome=outcomes,
        latency={
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": max(latencies, default=float("nan")),
        },
        steps_p50={n: percentile([s[n] for s in steps], 50) for n in names},
        steps_mean={n: sum(s[n] for s in steps) / len(steps) for n in names},
        throughput=(len(done) - 1) / (last - first) if last > first else 0.0,
        unexpected_outcomes=sum(1 for r in done if r.expected_outcome and r.outcome != r.expected_outcome),
        failed_messages=sum(r.failed_messages for r in records),
    )
