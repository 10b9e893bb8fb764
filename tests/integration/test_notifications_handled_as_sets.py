"""Notifications' claim messages as sets (issue 17), on real PostgreSQL through their handlers: a
batch of ClaimFiled, and one of the payouts topic's events, is queued in a fixed number of
statements whatever its size, with exactly the messages the same events queued one at a time get;
a batch with a claim whose participant is not in the read model yet parks that claim alone; a payout
read before its filing waits for it without holding it back; a poll of the claims' four topics,
their types interleaved, goes to each set-based handler in a run, not in pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest

from services.notifications import handlers
from services.notifications.app import build_spec, consumers
from services.notifications.settings import NotificationsSettings
from shared.consuming import Consumer, ConsumerRunner, Delivery, NotYet
from shared.contracts.claims import (
    ClaimFiled,
    ClaimRejected,
    ClaimWithdrawn,
    DisbursementChanged,
    PayoutComponent,
    PayoutRecorded,
    Reason,
)
from shared.contracts.disbursements import TransferStatusChanged
from shared.contracts.enrollment import HeirData, ParticipantDetails, ParticipantEnrolled
from shared.db import apply_migrations, create_pool
from shared.envelope import Envelope, new_envelope
from shared.kafka import EventProducer, OutgoingRecord, ensure_topics
from shared.privacy import mask_nik
from shared.topics import CLAIM_DECISIONS, CLAIMS_FILED, DISBURSEMENTS, PAYOUTS, Topic
from tests.support.family_members import GRANDDAUGHTER, SON, WIDOW, claim_filed
from tests.support.kafka_tools import read_all, record_carrying
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

HOLD_SECONDS = 600
# asyncpg's own type introspection (once per connection and type, with JIT off around it) is not the handler's.
# Each claim: (participant, claim type, its heirs); the participant's own phone is the worker's.
CLAIMS = {
    "CLM-DEATH": ("P-DEATH", "JKM", [WIDOW, SON, GRANDDAUGHTER]),
    "CLM-HURT": ("P-HURT", "JKK", []),
    "CLM-WITHDRAWN": ("P-WITHDRAWN", "JKK", []),
    "CLM-PAID": ("P-PAID", "JKK", []),
}


async def schema_pool(database_url: str, schema: str) -> asyncpg.Pool:
    await apply_migrations(database_url, schema, build_spec().migrations)
    return await create_pool(database_url, schema, max_size=2)


@pytest.fixture
async def pools(database_url: str, unique: str) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    """Two schemas with the same read models: one gets the batch together, the other one at a time."""
    together = await schema_pool(database_url, f"notif_sets_{unique}")
    alone = await schema_pool(database_url, f"notif_alone_{unique}")
    try:
        yield together, alone
    finally:
        await together.close()
        await alone.close()


def envelope(payload: Any, key: str) -> Envelope:
    return new_envelope(payload, correlation_id=key, producer="test")


async def enrol(conn: asyncpg.Connection, participant_id: str, heirs: list[HeirData]) -> None:
    details = ParticipantDetails(
        masked_nik=mask_nik("7371011204800003"),
        full_name=f"Daeng {participant_id}",
        birth_date=date(1980, 4, 12),
        sex="M",
        phone="+6281242001234",
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=2_000_000,
        programs=["JKK", "JKM"],
        member_since=date(2025, 1, 1),
    )
    event = ParticipantEnrolled(participant_id=participant_id, details=details, heirs=heirs)
    async with conn.transaction():
        await handlers.on_participant_enrolled(conn, envelope(event, participant_id), event)


def filed(claim_id: str) -> ClaimFiled:
    participant_id, claim_type, _ = CLAIMS.get(claim_id, ("P-LATE", "JKK", []))
    return claim_filed(claim_id, participant_id, claim_type)


def paid_out(claim_id: str) -> PayoutRecorded:
    participant_id, claim_type, heirs = CLAIMS[claim_id]
    if claim_type == "JKM":  # 8,000,000 + 10,000,000 to the widow, 6,000,000 each to the son and the child
        lines = [("lump_sum", 8_000_000, WIDOW), ("lump_sum", 6_000_000, SON), ("lump_sum", 6_000_000, GRANDDAUGHTER)]
        lines.append(("funeral", 10_000_000, WIDOW))
        components = [
            PayoutComponent(component=c, amount=a, kind="cash", payee_heir_id=h.heir_id, payee_name=h.full_name)
            for c, a, h in lines
        ]
    else:
        components = [
            PayoutComponent(
                component="temporary_incapacity",
                amount=2_400_000,
                kind="cash",
                payee_heir_id=None,
                payee_name=f"Daeng {participant_id}",
            )
        ]
    total = sum(c.amount for c in components)
    return PayoutRecorded(
        claim_id=claim_id, participant_id=participant_id, claim_type=claim_type, components=components, total_cash=total
    )


async def scene(conn: asyncpg.Connection) -> None:
    for participant_id, _, heirs in CLAIMS.values():
        await enrol(conn, participant_id, heirs)
    # Withdrawn before its filing arrived (the withdrawal came first on its own topic).
    withdrawn = ClaimWithdrawn(
        claim_id="CLM-WITHDRAWN",
        participant_id="P-WITHDRAWN",
        claim_type="JKK",
        withdrawn_by="officer-1",
        reason="filed for the wrong person",
        was="filed",
    )
    async with conn.transaction():
        await handlers.make_claim_handlers("whatsapp")["ClaimWithdrawn"](
            conn, envelope(withdrawn, "CLM-WITHDRAWN"), withdrawn
        )


async def queued(conn: asyncpg.Connection) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT event_id, about_event, claim_id, heir_id, channel, address, language, subject, body, template, "
        "template_params, status, round(extract(epoch FROM next_attempt_at - created_at))::int AS held "
        "FROM notifications ORDER BY claim_id, about_event, heir_id, channel"
    )
    return [tuple(r) for r in rows]


async def announced(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    rows = await conn.fetch(
        "SELECT key, event_type, headers->>'traceparent' AS trace FROM outbox WHERE event_type = "
        "'FamilyMemberUnreachable' ORDER BY id"
    )
    return [(r["key"], r["event_type"], r["trace"]) for r in rows]


async def test_a_batch_of_filings_and_payouts_is_queued_in_fixed_statements_with_the_messages_of_one_at_a_time(
    pools,
):
    together, alone = pools
    on = handlers.make_claim_handlers("whatsapp", HOLD_SECONDS)
    claim_ids = list(CLAIMS)
    filings = [Delivery(envelope(filed(c), c), filed(c)) for c in claim_ids]
    payouts = [Delivery(envelope(paid_out(c), c), paid_out(c)) for c in ("CLM-DEATH", "CLM-HURT", "CLM-WITHDRAWN")]
    money_arrived = DisbursementChanged(claim_id="CLM-PAID", participant_id="P-PAID", status="paid", changed_by="bank")
    payouts.append(Delivery(envelope(money_arrived, "CLM-PAID"), money_arrived))
    for pool in pools:
        async with pool.acquire() as conn:
            await scene(conn)

    # One at a time, as a consumer of batch size 1 (or a batch's fallback) applies them.
    each: list[int] = []
    async with alone.acquire() as conn:
        for delivery in [*filings, *payouts]:
            async with conn.transaction():
                with statements_run(conn) as seen:
                    await on[delivery.envelope.type](conn, delivery.envelope, delivery.payload)
            each.append(len(seen))
        one_at_a_time, single_announced = await queued(conn), await announced(conn)

    traces = {c: f"00-{n:032x}-{n:016x}-01" for n, c in enumerate(claim_ids, start=1)}
    statements: dict[str, list[str]] = {}
    async with together.acquire() as conn:
        for name, batch in (("filed", filings), ("payouts", payouts)):
            async with conn.transaction():
                with statements_run(conn) as statements[name]:
                    # Two handler names, one set-based handler each topic: the payouts' three types share one.
                    await on[batch[0].envelope.type].together(
                        conn, [d._replace(traceparent=traces[d.payload.claim_id]) for d in batch]
                    )
        as_a_set, set_announced = await queued(conn), await announced(conn)

    # Filings: claims recorded with their families read, the unreachable noted, their events queued,
    # the messages queued: 4 statements for 4 claims, as for one with an unreachable heir.
    filed_statements = statements["filed"]
    assert len(filed_statements) == 4, filed_statements
    # Payouts: families read, the unreachable noted (none new: no event), the messages queued.
    payout_statements = statements["payouts"]
    assert len(payout_statements) == 3, payout_statements

    # One at a time, in order (death, hurt, withdrawn, paid): a filing costs 4 with an heir to
    # announce, 2 without, 1 when withdrawn (nothing to queue); a payout 3 (the heir noted, not new),
    # 2, 1; the money sent 2. Filings 4 + 2 + 1 + 2 = 9 and payouts 3 + 2 + 1 + 2 = 8, where the
    # sets cost 4 and 3.
    assert each == [4, 2, 1, 2, 3, 2, 1, 2]
    # Every column the dispatcher sends from, the same as one at a time.
    assert as_a_set == one_at_a_time
    # By hand: the death tells the widow (WhatsApp), the son (email) and the reporter (the child has
    # no contact) of its filing and its payout: 3 + 3; each accident tells the worker by WhatsApp:
    # the hurt worker's filing and payout, 1 + 1; the paid worker's filing and money arrived, 1 + 1;
    # the withdrawn claim nothing. 6 + 2 + 2 = 10.
    told = [(r[2], r[1], r[3], r[4]) for r in as_a_set]
    assert told == [
        ("CLM-DEATH", "ClaimFiled", "H-1", "whatsapp"),
        ("CLM-DEATH", "ClaimFiled", "H-2", "email"),
        ("CLM-DEATH", "ClaimFiled", "reporter", "whatsapp"),
        ("CLM-DEATH", "PayoutRecorded", "H-1", "whatsapp"),
        ("CLM-DEATH", "PayoutRecorded", "H-2", "email"),
        ("CLM-DEATH", "PayoutRecorded", "reporter", "whatsapp"),
        ("CLM-HURT", "ClaimFiled", "P-HURT", "whatsapp"),
        ("CLM-HURT", "PayoutRecorded", "P-HURT", "whatsapp"),
        ("CLM-PAID", "ClaimFiled", "P-PAID", "whatsapp"),
        ("CLM-PAID", "DisbursementPaid", "P-PAID", "whatsapp"),
    ]
    # The first message of a filing waits the hold (600 s), the others are due at once.
    assert [(r[1], r[12]) for r in as_a_set] == [(r[1], HOLD_SECONDS if r[1] == "ClaimFiled" else 0) for r in as_a_set]
    # The widow reads her own 8,000,000 + 10,000,000 = 18,000,000.
    assert "Rp 18.000.000" in as_a_set[3][8]
    # The child without contact is announced to claims once, in her claim's trace.
    assert set_announced == [("CLM-DEATH", "FamilyMemberUnreachable", traces["CLM-DEATH"])]
    assert [(k, t) for k, t, _ in single_announced] == [("CLM-DEATH", "FamilyMemberUnreachable")]


async def test_a_filing_whose_participant_is_not_there_yet_is_parked_alone_and_the_batch_applied(
    database_url, kafka_bootstrap, unique
):
    """Through the consumer's runner on a real topic: the batch is tried as a set, the set waits,
    the records are applied one at a time and only the one without its participant is parked."""
    pool = await schema_pool(database_url, f"notif_park_{unique}")
    topic = Topic(f"test.notif-sets.{unique}.v1", "claim_id", ("ClaimFiled",), producer="test")
    await ensure_topics(kafka_bootstrap, [topic], partitions=1)
    producer = EventProducer(kafka_bootstrap, client_id="test-notif-sets")
    await producer.start()
    try:
        async with pool.acquire() as conn:
            await enrol(conn, "P-HURT", [])
            await enrol(conn, "P-PAID", [])
        envelopes = [envelope(filed(c), c) for c in ("CLM-HURT", "CLM-LATE", "CLM-PAID")]
        await producer.send_all(
            [
                OutgoingRecord(topic.name, e.payload["claim_id"], e.to_bytes(), list(e.kafka_headers()))
                for e in envelopes
            ]
        )
        records = await read_all(kafka_bootstrap, topic.name)
        on = handlers.make_claim_handlers("whatsapp")
        consumer = Consumer("notifications.claims", (topic,), {"ClaimFiled": on["ClaimFiled"]}, batch_size=50)
        runner = ConsumerRunner(consumer, pool, producer)

        await runner.handle_batch(records)
        parked = await pool.fetch("SELECT key, reason FROM waiting")
        told = await pool.fetch("SELECT claim_id FROM notifications ORDER BY claim_id")
        assert [r["claim_id"] for r in told] == ["CLM-HURT", "CLM-PAID"]
        assert [(r["key"], r["reason"]) for r in parked] == [
            ("CLM-LATE", "prerequisite not applied yet: participant P-LATE is not in the notifications read model yet")
        ]
        assert consumer.stats == {"applied": 2, "parked": 1}
        # Alone, the set-based handler still waits the same way (what a drain of the parked record runs).
        async with pool.acquire() as conn, conn.transaction():
            with pytest.raises(NotYet, match="participant P-LATE"):
                await on["ClaimFiled"](conn, envelopes[1], filed("CLM-LATE"))

        # The participant arrives: the parked filing is applied and the worker told.
        async with pool.acquire() as conn:
            await enrol(conn, "P-LATE", [])
        assert await runner.drain("CLM-LATE") == 1
        told = await pool.fetch("SELECT claim_id FROM notifications ORDER BY claim_id")
        assert [r["claim_id"] for r in told] == ["CLM-HURT", "CLM-LATE", "CLM-PAID"]
        assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
    finally:
        await producer.stop()
        await pool.close()


async def test_money_paid_read_before_its_filing_waits_for_it_and_the_filing_is_not_held_behind_it(
    database_url, unique
):
    """One group reads a claim's four topics (services/notifications/app.py): a later event of a
    claim parked for want of its ClaimFiled names it, so the filing goes ahead of it when it comes
    (on another topic, read later) and the two are applied at once, not left waiting until the
    parked one is dead-lettered."""
    pool = await schema_pool(database_url, f"notif_ahead_{unique}")
    try:
        consumer = next(c for c in consumers(NotificationsSettings()) if c.name == "notifications.claims")
        assert {CLAIMS_FILED, PAYOUTS} <= set(consumer.topics)
        runner = ConsumerRunner(consumer, pool, producer=None)
        async with pool.acquire() as conn:
            await enrol(conn, "P-PAID", [])
        # "Paid" names no claim type: the message takes it from the filing.
        money_arrived = DisbursementChanged(
            claim_id="CLM-PAID", participant_id="P-PAID", status="paid", changed_by="bank"
        )
        paid, filing = envelope(money_arrived, "CLM-PAID"), envelope(filed("CLM-PAID"), "CLM-PAID")

        assert await runner.handle(record_carrying(PAYOUTS.name, 7, paid, "CLM-PAID")) == "parked"
        assert await pool.fetchval("SELECT waiting_for FROM waiting") == ["ClaimFiled"]
        assert await runner.handle(record_carrying(CLAIMS_FILED.name, 3, filing, "CLM-PAID")) == "applied"

        assert await pool.fetchval("SELECT count(*) FROM waiting") == 0
        told = await pool.fetch("SELECT about_event FROM notifications WHERE claim_id = 'CLM-PAID' ORDER BY created_at")
        assert [r["about_event"] for r in told] == ["ClaimFiled", "DisbursementPaid"]
        assert consumer.stats == {"parked": 1, "applied": 2}
    finally:
        await pool.close()


def transfer(claim_id: str, status: str, attempt: int, reason: str | None = None) -> TransferStatusChanged:
    """The widow's (or the worker's) line of the claim's payout, at one step of its transfer."""
    participant_id, _, heirs = CLAIMS[claim_id]
    payee = heirs[0] if heirs else None
    return TransferStatusChanged(
        claim_id=claim_id,
        participant_id=participant_id,
        component="lump_sum" if payee else "temporary_incapacity",
        payee_heir_id=payee.heir_id if payee else None,
        payee_name=payee.full_name if payee else f"Daeng {participant_id}",
        amount=8_000_000 if payee else 2_400_000,
        status=status,
        reason_code=reason,
        attempt=attempt,
        changed_by="bank",
    )


async def test_a_poll_of_the_four_topics_goes_to_each_set_based_handler_in_runs_with_the_messages_of_one_at_a_time(
    pools,
):
    """Through the real consumer's runner: the claims' filings, a rejection, a payout, the money
    arriving and the transfers' steps, interleaved as the producers wrote them (time order across
    the four topics). A key is the unit of order, so the poll is regrouped by handler (a claim's
    events keep their order), and a transfer's steps go with the payouts' set instead of a record
    applied alone each."""
    together, alone = pools
    for pool in pools:
        async with pool.acquire() as conn:
            await scene(conn)
    rejected = ClaimRejected(
        claim_id="CLM-HURT",
        participant_id="P-HURT",
        claim_type="JKK",
        decided_by="verification",
        reasons=[Reason(code="NOT_COVERED_ON_INCIDENT_DATE", message="no contribution for the month of the accident")],
    )
    arrived = DisbursementChanged(claim_id="CLM-PAID", participant_id="P-PAID", status="paid", changed_by="bank")
    # (topic, claim, event) in the order they were produced.
    produced = [
        (CLAIMS_FILED, "CLM-DEATH", filed("CLM-DEATH")),
        (CLAIMS_FILED, "CLM-HURT", filed("CLM-HURT")),
        (CLAIMS_FILED, "CLM-PAID", filed("CLM-PAID")),
        (PAYOUTS, "CLM-DEATH", paid_out("CLM-DEATH")),
        (CLAIM_DECISIONS, "CLM-HURT", rejected),
        (DISBURSEMENTS, "CLM-PAID", transfer("CLM-PAID", "pending", 1)),
        (DISBURSEMENTS, "CLM-DEATH", transfer("CLM-DEATH", "rejected", 1, "AC04")),
        (PAYOUTS, "CLM-PAID", arrived),
        (DISBURSEMENTS, "CLM-PAID", transfer("CLM-PAID", "succeeded", 1)),
    ]
    envelopes = [envelope(event, claim_id) for _, claim_id, event in produced]
    records = [
        record_carrying(topic.name, n, env, claim_id, timestamp=1_000 + n)
        for n, ((topic, claim_id, _), env) in enumerate(zip(produced, envelopes, strict=True))
    ]

    # One at a time, in the order produced.
    on = next(c for c in consumers(NotificationsSettings()) if c.name == "notifications.claims").handlers
    async with alone.acquire() as conn:
        for (_, _, event), env in zip(produced, envelopes, strict=True):
            async with conn.transaction():
                await on[env.type](conn, env, event)
        one_at_a_time = await queued(conn)

    consumer = next(c for c in consumers(NotificationsSettings()) if c.name == "notifications.claims")
    runner = ConsumerRunner(consumer, together, producer=None)
    runs: list[tuple[str, list[str]]] = []
    apply_together, apply_one = runner._apply_together, runner._apply_one

    async def watched_together(conn, handler, run):
        runs.append((run[0][1].type, [env.payload["claim_id"] for _, env, _ in run]))
        await apply_together(conn, handler, run)

    async def watched_one(conn, handler, record, env, payload):
        runs.append((env.type, [env.payload["claim_id"]]))
        await apply_one(conn, handler, record, env, payload)

    runner._apply_together, runner._apply_one = watched_together, watched_one
    await runner.handle_batch(records)
    async with together.acquire() as conn:
        as_a_poll = await queued(conn)

    # By hand. Each claim's first events, then each one's second, and so on (shared.consuming.in_time_order):
    # the three filings; the death's payout, the rejection, the paid worker's pending transfer; the
    # death's rejected transfer, the money arriving; the paid worker's transfer succeeding. The filings
    # are one run. The payouts topic's and the transfers' events share one set-based handler, which
    # takes a claim once a call: the pending transfer joins the death's payout past the rejection (a
    # run of its own type); the death's rejected transfer, the death already in that run, starts a run
    # the money arriving joins; the paid worker's transfer succeeding, its claim in that run, starts
    # the last. In the poll's order, with the transfers applied alone, it was seven runs.
    assert runs == [
        ("ClaimFiled", ["CLM-DEATH", "CLM-HURT", "CLM-PAID"]),
        ("PayoutRecorded", ["CLM-DEATH", "CLM-PAID"]),
        ("ClaimRejected", ["CLM-HURT"]),
        ("TransferStatusChanged", ["CLM-DEATH", "CLM-PAID"]),
        ("TransferStatusChanged", ["CLM-PAID"]),
    ]
    assert consumer.stats == {"applied": 9}
    assert as_a_poll == one_at_a_time
    # By hand: the death tells the widow (WhatsApp), the son (email) and the reporter (the child has no
    # contact) of its filing, its payout and the bank refusing the widow's account: 3 + 3 + 3; the hurt
    # worker hears of the filing and the rejection, the paid worker of the filing and the money; the
    # transfer pending and succeeding tell nobody (the money arriving does).
    told = sorted((r[2], r[1], r[3], r[4]) for r in as_a_poll)
    assert told == sorted(
        [
            *(
                ("CLM-DEATH", kind, heir, channel)
                for kind in ("ClaimFiled", "PayoutRecorded", "TransferRejected")
                for heir, channel in (("H-1", "whatsapp"), ("H-2", "email"), ("reporter", "whatsapp"))
            ),
            ("CLM-HURT", "ClaimFiled", "P-HURT", "whatsapp"),
            ("CLM-HURT", "ClaimRejected", "P-HURT", "whatsapp"),
            ("CLM-PAID", "ClaimFiled", "P-PAID", "whatsapp"),
            ("CLM-PAID", "DisbursementPaid", "P-PAID", "whatsapp"),
        ]
    )
