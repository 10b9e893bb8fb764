"""The load generator: workers with heirs, their claims filed open-loop, every claim followed
to its end through the events. A library: bench/e2e.py measures with it, a chaos run can
drive it at a steady rate while it breaks things.

    workers = plan_workers(6_000, rng=random.Random(1), today=date.today())
    await enrol(workers, target, http)                    # bulk import, contributions, read models caught up
    async with ClaimTracker(target.bootstrap) as tracker, Supervisor(target, http, workers):
        filing = await file_claims(workers, target, http, tracker, rate=100)
        await tracker.wait_for(filing.claim_ids, timeout=120)
    summary = summarise([tracker.records[c] for c in filing.claim_ids])

The mix (DEFAULT_MIX) covers what a market fire brings to the office: JKM deaths with full
papers, JKM deaths soon after joining (needs_review: a scripted supervisor approves them),
JKK deaths, JKK accidents, claims missing documents (needs_review: the supervisor adds them)
and claims of workers whose coverage lapsed (rejected: the family is told why).

Open loop: claim i is launched at start + i/rate whatever happened to the ones before, so a
slow system shows up as latency, not as a slower generator. Each claim is followed by a
tracker consuming claims.filed.v1, claims.decisions.v1, claims.payouts.v1 and
notifications.deliveries.v1 — no API is polled per claim — and timed with the events'
own occurred_at: filed → verified → decided → payout recorded → each family message delivered.
"Family notified" is every heir-channel message about the claim's final event
(PayoutRecorded, or ClaimRejected) delivered.

The tracking half (ClaimTracker, Supervisor, summarise) is bench/tracking.py, re-exported here.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import aiohttp
import asyncpg

from bench.tracking import (
    REVIEW_FOR_DOCUMENTS,
    REVIEW_TO_APPROVE,
    ClaimRecord,
    ClaimTracker,
    Summary,
    Supervisor,
    percentile,
    summarise,
)
from services.enrollment.domain import Period, contribution_due
from shared.topics import PARTICIPANTS
from tests.support.city_lists import city_workers, csv_bytes
from tests.support.kafka_tools import group_caught_up

__all__ = [  # the tracking half lives in bench/tracking.py; both are importable from here
    "DEFAULT_MIX",
    "REVIEW_FOR_DOCUMENTS",
    "REVIEW_TO_APPROVE",
    "ClaimRecord",
    "ClaimTracker",
    "Enrolment",
    "Filing",
    "Summary",
    "Supervisor",
    "Target",
    "Worker",
    "enrol",
    "file_claims",
    "percentile",
    "plan_workers",
    "summarise",
    "wait_for_read_models",
]

# scenario -> weight
DEFAULT_MIX: dict[str, int] = {
    "jkm_full": 30,
    "jkm_short": 10,
    "jkk_death": 10,
    "jkk_accident": 30,
    "missing_documents": 10,
    "lapsed": 10,
}
READ_MODEL_GROUPS = ("claims.participants", "notifications.participants")

_DEATH_PAPERS = (
    "participant_card",
    "ktp_deceased",
    "ktp_heir",
    "family_card",
    "death_certificate",
    "heir_statement",
    "bank_account",
    "marriage_book",
    "npwp",
)
_ACCIDENT_PAPERS = (
    "participant_card",
    "accident_chronology",
    "witness_ktp_1",
    "witness_ktp_2",
    "medical_report",
    "bank_account",
    "npwp",
)
_SIXTEEN_DIGITS = {"ktp", "ktp_deceased", "ktp_heir", "family_card", "witness_ktp_1", "witness_ktp_2", "npwp"}


@dataclass(frozen=True)
class Target:
    """Where the stack answers. Several URLs per service: requests go round-robin."""

    enrollment_url: str
    claims_urls: Sequence[str]
    bootstrap: str
    database_url: str
    officer_token: str
    supervisor_token: str


@dataclass
class Worker:
    scenario: str
    row: dict[str, str]  # the city list's CSV row (services/enrollment/imports.py COLUMNS)
    claim_type: str
    period: Period  # the month the one contribution pays for
    paid_at: date
    channels: int  # heir-channel pairs: messages per family event
    documents: dict[str, str]  # filed with the claim
    withheld: dict[str, str] = field(default_factory=dict)  # added later by the supervisor
    traffic_accident: bool = False
    incapacity_days: int | None = None
    participant_id: str = ""

    @property
    def expected_outcome(self) -> str:
        return "rejected" if self.scenario == "lapsed" else "approved"

    def claim_body(self, today: date) -> dict:
        heir = self.row
        return {
            "participant_id": self.participant_id,
            "claim_type": self.claim_type,
            "incident_date": today.isoformat(),
            "incident_place": "Pasar Sentral, Makassar",
            "cause": "fire at the market" if self.claim_type != "JKM" else "died at home after an illness",
            "traffic_accident": self.traffic_accident,
            "reporter": {
                "name": heir["heir1_name"],
                "phone": "+62" + heir["heir1_phone"][1:],
                "organisation": "keluarga",
            },
            "documents": self.documents,
            "incapacity_days": self.incapacity_days,
        }


def _number(kind: str, rng: random.Random) -> str:
    if kind in _SIXTEEN_DIGITS:
        return f"7371{rng.randrange(10**12):012d}"
    return f"{kind[:3].upper()}-{rng.randrange(10**6):06d}"


def family_channels(row: dict, claim_type: str) -> int:
    """Messages per family event, as notifications decides who is told: the worker alone after a
    living worker's accident (JKK); after a death each heir on each channel they have, and the
    reporter (heir 1's phone here) too when an heir has neither phone nor email."""
    if claim_type == "JKK":
        return 1
    heirs = [n for n in (1, 2) if row.get(f"heir{n}_name")]
    per_heir = [bool(row.get(f"heir{n}_phone")) + bool(row.get(f"heir{n}_email")) for n in heirs]
    return sum(per_heir) + (1 if 0 in per_heir else 0)


def plan_workers(
    count: int, *, rng: random.Random, today: date, mix: dict[str, int] | None = None, taken: set[str] | None = None
) -> list[Worker]:
    """`count` workers, each with the claim it will file; NIKs unique (and not in `taken`)."""
    mix = mix or DEFAULT_MIX
    scenarios = rng.choices(list(mix), list(mix.values()), k=count)
    rows = city_workers(count, rng, today=today, taken=taken)
    workers = []
    for scenario, row in zip(scenarios, rows):
        row["programs"] = "JKK;JKM"
        long_ago = today - timedelta(days=rng.randint(400, 700))
        row["member_since"] = long_ago.isoformat()
        period, paid_at = Period.of(today), today
        claim_type = {"jkm_full": "JKM", "jkm_short": "JKM", "jkk_death": "JKK_DEATH", "jkk_accident": "JKK"}.get(
            scenario
        ) or rng.choice(["JKM", "JKK"])
        if scenario == "jkm_short":  # joined weeks ago: within the short-membership window
            row["member_since"] = max(today - timedelta(days=rng.randint(5, 40)), today.replace(day=1)).isoformat()
        if scenario == "lapsed":  # paid one month long ago, nothing since: the grace ended months back
            period = Period.of(today) - 8
            paid_at = period.first_day + timedelta(days=4)
        traffic = claim_type != "JKM" and rng.random() < 0.2
        kinds = list(_DEATH_PAPERS if claim_type != "JKK" else ())
        if claim_type != "JKM":
            kinds += [k for k in _ACCIDENT_PAPERS if k not in kinds] + (["police_report"] if traffic else [])
        if claim_type == "JKK":
            kinds.append("ktp")
        documents = {k: _number(k, rng) for k in kinds}
        withheld = {}
        if scenario == "missing_documents":
            for kind in ("bank_account", "death_certificate" if claim_type == "JKM" else "medical_report"):
                withheld[kind] = documents.pop(kind)
        channels = family_channels(row, claim_type)
        workers.append(
            Worker(
                scenario,
                row,
                claim_type,
                period,
                paid_at,
                channels,
                documents,
                withheld,
                traffic,
                rng.randint(3, 60) if claim_type == "JKK" else None,
            )
        )
    return workers


# --- enrolment -------------------------------------------------------------------------------------------


@dataclass
class Enrolment:
    workers: int = 0
    import_seconds: float = 0.0
    contributions_seconds: float = 0.0
    read_models_seconds: float = 0.0


async def enrol(
    workers: list[Worker],
    target: Target,
    http: aiohttp.ClientSession,
    *,
    concurrency: int = 32,
    timeout: float = 900.0,
    progress=print,
) -> Enrolment:
    """Bulk import (POST /v1/imports), one contribution each over HTTP (concurrently), then waits
    until claims' and notifications' read models have applied every enrollment event."""
    result = Enrolment(len(workers))
    started = time.monotonic()
    officer = {"Authorization": f"Bearer {target.officer_token}"}
    async with http.post(
        f"{target.enrollment_url}/v1/imports",
        params={"filename": f"bench-{uuid.uuid4().hex}.csv"},
        data=csv_bytes(w.row for w in workers),
        headers={**officer, "Content-Type": "text/csv"},
    ) as r:
        if r.status != 202:
            raise RuntimeError(f"POST /v1/imports answered {r.status}: {(await r.text())[:500]}")
        import_id = (await r.json())["import_id"]
    while True:
        async with http.get(f"{target.enrollment_url}/v1/imports/{import_id}", headers=officer) as r:
            view = await r.json()
        if view["status"] != "running":
            break
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"import {import_id} still running: {view}")
        await asyncio.sleep(0.25)
    if view["status"] != "finished" or view["rows_enrolled"] != len(workers):
        raise RuntimeError(
            f"import {import_id} ended {view['status']}: {view['rows_enrolled']} of {len(workers)} "
            f"enrolled; rejections: {view.get('rejections', [])[:3]}"
        )
    result.import_seconds = time.monotonic() - started
    # The officer's system of record: which id each NIK got (the import answers with counts only).
    conn = await asyncpg.connect(target.database_url)
    try:
        ids = dict(
            await conn.fetch(
                "SELECT nik, participant_id FROM enrollment.participants WHERE nik = ANY($1)",
                [w.row["nik"] for w in workers],
            )
        )
    finally:
        await conn.close()
    for w in workers:
        w.participant_id = ids[w.row["nik"]]

    started = time.monotonic()
    limit = asyncio.Semaphore(concurrency)

    async def contribute(w: Worker) -> None:
        due = contribution_due(int(w.row["monthly_income"]), ["JKK", "JKM"], w.row["segment"], "self", w.period)
        body = {"period": str(w.period), "amount": due.total, "payer": "self", "paid_at": w.paid_at.isoformat()}
        async with limit:
            for attempt in range(5):
                try:
                    async with http.post(
                        f"{target.enrollment_url}/v1/participants/{w.participant_id}/contributions",
                        json=body,
                        headers=officer,
                    ) as r:
                        if r.status in (201, 409):  # 409: already paid (a retried request that had gone through)
                            return
                        raise RuntimeError(f"contribution for {w.participant_id}: {r.status} {await r.text()}")
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.5 * 2**attempt)
            raise RuntimeError(f"contribution for {w.participant_id} failed five times")

    await asyncio.gather(*(contribute(w) for w in workers))
    result.contributions_seconds = time.monotonic() - started
    started = time.monotonic()
    await wait_for_read_models(target, timeout=timeout)
    result.read_models_seconds = time.monotonic() - started
    progress(
        f"  enrolled {len(workers):,} workers: import {result.import_seconds:.1f} s, contributions "
        f"{result.contributions_seconds:.1f} s ({len(workers) / result.contributions_seconds:,.0f}/s), "
        f"read models caught up {result.read_models_seconds:.1f} s later"
    )
    return result


async def wait_for_read_models(target: Target, timeout: float = 600.0) -> None:
    """Enrollment's outbox is empty and both read-model consumer groups are at the topic's end."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(target.database_url)
    try:
        while await conn.fetchval("SELECT count(*) FROM enrollment.outbox"):
            if time.monotonic() > deadline:
                raise TimeoutError("enrollment's outbox did not drain")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    for group in READ_MODEL_GROUPS:
        while not await group_caught_up(target.bootstrap, group, PARTICIPANTS.name):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{group} did not catch up with {PARTICIPANTS.name}")
            await asyncio.sleep(0.3)


# --- filing, open loop ------------------------------------------------------------------------------------


@dataclass
class Filing:
    claim_ids: list[str] = field(default_factory=list)
    offered_rate: float | None = None
    started_at: float = 0.0  # wall clock
    seconds: float = 0.0  # from the first launch to the last answer
    errors: dict[str, int] = field(default_factory=dict)
    max_launch_lag: float = 0.0  # how late the generator launched a filing against its schedule
    http_seconds: list[float] = field(default_factory=list)


async def file_claims(
    workers: Sequence[Worker],
    target: Target,
    http: aiohttp.ClientSession,
    tracker: ClaimTracker,
    *,
    rate: float | None,
    concurrency: int = 64,
    retry_seconds: float = 60.0,
) -> Filing:
    """Files each worker's claim. `rate`: claims per second, each launched at start + i/rate
    whatever the latency (open loop); None: as fast as accepted, `concurrency` in flight."""
    filing = Filing(offered_rate=rate, started_at=time.time())
    today = date.today()
    headers = {"Authorization": f"Bearer {target.officer_token}"}
    urls = list(target.claims_urls)
    start = time.monotonic()

    async def file(i: int, worker: Worker, scheduled_at: float) -> None:
        body = worker.claim_body(today)
        # The same key on every retry: a retry whose first answer was lost gets the claim it made.
        keyed = {**headers, "Idempotency-Key": f"bench-{uuid.uuid4()}"}
        give_up = time.monotonic() + retry_seconds
        turn = i
        while True:
            url = urls[turn % len(urls)]
            try:
                async with http.post(f"{url}/v1/claims", json=body, headers=keyed) as r:
                    status = r.status
                    try:
                        answer = await r.json(content_type=None)
                    except ValueError:  # a proxy's or a dying server's plain-text error page
                        answer = {"error": f"HTTP {status}, not JSON"}
            except (TimeoutError, aiohttp.ClientError) as exc:
                status, answer = 0, {"error": type(exc).__name__}
            if status == 202 or (status == 409 and _existing(answer)):
                # 409: a retried filing whose first attempt had gone through: the same claim.
                claim_id = answer["claim_id"] if status == 202 else _existing(answer)
                accepted = time.time()
                filing.http_seconds.append(accepted - scheduled_at)
                filing.claim_ids.append(claim_id)
                tracker.expect(claim_id, worker, scheduled_at, accepted)
                return
            if status and status < 500 or time.monotonic() > give_up:
                key = f"HTTP {status}" if status else answer["error"]
                filing.errors[key] = filing.errors.get(key, 0) + 1
                return
            turn += 1  # another instance, after a pause: this one may be down
            await asyncio.sleep(0.2)

    tasks = []
    if rate:
        wall0 = time.time()
        for i, worker in enumerate(workers):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                filing.max_launch_lag = max(filing.max_launch_lag, -delay)
            tasks.append(asyncio.create_task(file(i, worker, wall0 + i / rate)))
        await asyncio.gather(*tasks)
    else:
        queue = list(enumerate(workers))[::-1]

        async def lane() -> None:
            while queue:
                i, worker = queue.pop()
                await file(i, worker, time.time())

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    filing.seconds = time.monotonic() - start
    return filing


def _existing(answer: dict) -> str | None:
    """The claim a 409 names: since the problem documents (RFC 9457, shared/errors.py) `existing_id`
    is a member of its own; read only under `detail` before, a retried filing whose first attempt had
    gone through was counted as not accepted, and its claim left out of every check."""
    return answer.get("existing_id") if isinstance(answer, dict) else None
