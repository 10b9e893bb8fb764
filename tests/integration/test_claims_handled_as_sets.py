"""Claims' verification, payout recording, disbursement intake and timeline as sets (issue 17), on
real PostgreSQL through their handlers: a batch of filed claims is verified, a batch of approved
claims paid, a batch of recorded payouts taken as transfer lines, and a batch of notifications'
answers put on the timeline, in the statements one claim costs, with the outcomes, lines, steps
and events the claims handled one at a time get."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.claims import handlers
from services.claims.disbursement import handlers as disbursement
from services.claims.domain.sampling import ReviewSampling
from shared.auth import Actor
from shared.consuming import Delivery
from shared.contracts import EVENT_TYPES
from shared.contracts.enrollment import (
    CoverageChanged,
    HeirData,
    ParticipantDetails,
    ParticipantEnrolled,
    ProtectedPeriod,
)
from shared.contracts.notifications import FamilyMemberUnreachable, NotificationDelivered, NotificationFailed
from shared.envelope import new_envelope, read_envelope, read_payload
from tests.support.claimants import JKK_DOCUMENTS, JKM_DEATH_DOCUMENTS, MARRIAGE_BOOK, claim_form
from tests.support.schemas import migrated_pool
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 20)
OFFICER = Actor("officer-rahma", "officer")
# Nothing drawn at random; a cash payout above Rp 40,000,000 goes to a supervisor (the JKM's 42 million does).
SAMPLING = ReviewSampling(rate=0.0, above_rupiah=40_000_000, key=b"set-test")


@pytest.fixture
async def pool(database_url, unique):
    async with migrated_pool(database_url, "claims", f"claims_set_{unique}") as pool:
        yield pool


async def participant(conn, participant_id: str, *, covered: bool) -> None:
    details = ParticipantDetails(
        masked_nik="7371************",
        full_name="Sitti Rahmawati",
        birth_date=date(1990, 5, 17),
        sex="F",
        phone="+6281242001234",
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=2_000_000,
        programs=["JKK", "JKM"],
        member_since=date(2026, 1, 5),
    )
    spouse = HeirData(
        heir_id=f"H-{participant_id}",
        full_name="Daeng Tompo",
        relationship="spouse",
        precedence=1,
        phone="+6281342001111",
    )
    enrolled = ParticipantEnrolled(participant_id=participant_id, details=details, heirs=[spouse])
    at = datetime(2026, 11, 1, tzinfo=UTC)
    await handlers.on_participant_enrolled(
        conn, new_envelope(enrolled, correlation_id=participant_id, producer="enrollment", occurred_at=at), enrolled
    )
    if covered:
        coverage = CoverageChanged(
            participant_id=participant_id,
            status="active",
            as_of=TODAY,
            paid_months=10,
            protected_periods=[ProtectedPeriod(start=date(2026, 1, 5), end=date(2027, 1, 31))],
        )
        await handlers.on_coverage_changed(
            conn, new_envelope(coverage, correlation_id=participant_id, producer="enrollment", occurred_at=at), coverage
        )


async def file(conn, participant_id: str, claim_type: str, incident: date) -> str:
    documents = {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK} if claim_type == "JKM" else JKK_DOCUMENTS
    # An accident that kept the worker from work for 30 days: the temporary-incapacity benefit is paid in cash.
    extra = {} if claim_type == "JKM" else {"incapacity_days": 30}
    form = claim_form(participant_id, claim_type, incident, documents, **extra)
    # As the API hands it over: its model validated the form, the date is a date.
    return await handlers.file_claim(conn, {**form, "incident_date": incident}, OFFICER, TODAY)


async def scene(conn, suffix: str) -> dict[str, str]:
    """Four claims the rules approve, refer and reject, filed as officers file them; their
    ClaimFiled events taken from the outbox. Returns claim ids by name."""
    await participant(conn, f"PA{suffix}", covered=True)
    await participant(conn, f"PB{suffix}", covered=True)
    await participant(conn, f"PU{suffix}", covered=False)
    return {
        "accident": await file(conn, f"PA{suffix}", "JKK", date(2026, 11, 18)),
        "death": await file(conn, f"PB{suffix}", "JKM", date(2026, 11, 17)),
        "uncovered": await file(conn, f"PU{suffix}", "JKK", date(2026, 11, 18)),
        "second accident": await file(conn, f"PA{suffix}", "JKK", date(2026, 11, 10)),
        "withdrawn": await file(conn, f"PA{suffix}", "JKK", date(2026, 11, 3)),
    }


async def events_of(conn, event_type: str) -> dict[str, Delivery]:
    """The outbox's events of one type, by claim id, as their consumer reads them; the outbox emptied."""
    found = {}
    for row in await conn.fetch("DELETE FROM outbox RETURNING event_type, body"):
        if row["event_type"] == event_type:
            envelope = read_envelope(bytes(row["body"]))
            payload = read_payload(envelope, EVENT_TYPES[envelope.type])
            found[payload.claim_id] = Delivery(envelope, payload)
    return found


async def verified(conn, claim_id: str) -> dict:
    row = await conn.fetchrow(
        "SELECT status, reasons, missing_documents, sampled, decided_by, documents_complete_on, sla_deadline "
        "FROM claims WHERE claim_id = $1",
        claim_id,
    )
    steps = await conn.fetch("SELECT step, detail FROM claim_steps WHERE claim_id = $1 ORDER BY id", claim_id)
    return {
        **dict(row),
        "codes": [r["code"] for r in row["reasons"]],
        "steps": [(s["step"], s["detail"].get("outcome")) for s in steps],
    }


async def test_a_batch_of_claims_is_verified_in_the_statements_of_one_with_the_outcomes_of_one_at_a_time(pool):
    verifier = handlers.make_verifier(lambda: TODAY, SAMPLING)
    async with pool.acquire() as conn:
        together, alone = await scene(conn, "1"), await scene(conn, "2")
        await conn.execute(
            "UPDATE claims SET status = 'withdrawn' WHERE claim_id = ANY($1::text[])",
            [together["withdrawn"], alone["withdrawn"]],
        )
        filed = await events_of(conn, "ClaimFiled")

        # One claim at a time, as a consumer of batch size 1 (or a batch's fallback) applies them.
        for name in ("accident", "death", "uncovered", "second accident", "withdrawn"):
            async with conn.transaction():
                await verifier(conn, filed[alone[name]].envelope, filed[alone[name]].payload)
        single = [dict(r) for r in await conn.fetch("DELETE FROM outbox RETURNING event_type")]

        # The other five in one call, each with the trace of its own record.
        traces = {name: f"00-{n:032x}-{n:016x}-01" for n, name in enumerate(together, start=1)}
        async with conn.transaction():
            with statements_run(conn) as statements:
                await verifier.together(
                    conn, [filed[together[name]]._replace(traceparent=traces[name]) for name in together]
                )
        events = await conn.fetch("SELECT event_type, key, headers FROM outbox ORDER BY id")

        outcomes = {name: await verified(conn, claim_id) for name, claim_id in together.items()}
        one_at_a_time = {name: await verified(conn, claim_id) for name, claim_id in alone.items()}

    # Locked, participants read, standing claims read, outcomes and steps written, events queued:
    # five statements for the batch, as for one claim.
    handled = statements
    assert len(handled) == 5, handled
    assert [(name, outcomes[name]["status"], outcomes[name]["codes"]) for name in together] == [
        ("accident", "approved", []),
        ("death", "needs_review", ["ABOVE_REVIEW_THRESHOLD"]),
        ("uncovered", "rejected", ["NOT_COVERED_ON_INCIDENT_DATE"]),
        ("second accident", "approved", []),
        ("withdrawn", "withdrawn", []),
    ]
    assert [outcomes[name]["sampled"] for name in together] == [False, True, False, False, False]
    assert [outcomes[name]["decided_by"] for name in together] == ["rules", None, "rules", "rules", None]
    assert [outcomes[name]["steps"] for name in together] == [
        [("filed", None), ("verified", "approved")],
        [("filed", None), ("verified", "needs_review")],
        [("filed", None), ("verified", "rejected")],
        [("filed", None), ("verified", "approved")],
        [("filed", None)],
    ]
    # Every field, reasons' words too, the same as for the twin claims verified one at a time.
    assert outcomes == one_at_a_time
    # The events, in the batch's order, each in its record's trace and caused by its ClaimFiled.
    expected = ["ClaimApproved", "ClaimReferredForReview", "ClaimRejected", "ClaimApproved"]
    assert [e["event_type"] for e in events] == expected
    assert [e["event_type"] for e in single] == expected
    assert [e["key"] for e in events] == [together[name] for name in list(together)[:4]]
    assert [e["headers"]["traceparent"] for e in events] == [traces[name] for name in list(together)[:4]]
    bodies = await pool.fetch("SELECT body FROM outbox ORDER BY id")
    assert [json.loads(bytes(b["body"]))["causation_id"] for b in bodies] == [
        str(filed[together[name]].envelope.event_id) for name in list(together)[:4]
    ]


SUPERVISOR = Actor("supervisor-andi", "supervisor")


async def paid(conn, claim_id: str) -> dict:
    lines = await conn.fetch(
        "SELECT component, payee_name, amount, kind FROM payout_ledger WHERE claim_id = $1 "
        "ORDER BY component, payee_name, kind",
        claim_id,
    )
    steps = await conn.fetch("SELECT step, detail FROM claim_steps WHERE claim_id = $1 ORDER BY id", claim_id)
    return {
        "status": await conn.fetchval("SELECT status FROM claims WHERE claim_id = $1", claim_id),
        "lines": [(r["component"], r["payee_name"], r["amount"], r["kind"]) for r in lines],
        "steps": [(s["step"], s["detail"].get("total_cash")) for s in steps if s["step"] == "payout_recorded"],
    }


async def test_a_batch_of_approved_claims_is_paid_in_the_statements_of_one_with_the_ledger_of_one_at_a_time(pool):
    verifier = handlers.make_verifier(lambda: TODAY, SAMPLING)
    recorder = handlers.make_payout_recorder(lambda: TODAY)
    async with pool.acquire() as conn:
        together, alone = await scene(conn, "1"), await scene(conn, "2")
        filed = await events_of(conn, "ClaimFiled")
        async with conn.transaction():
            await verifier.together(conn, [filed[claim_id] for claim_id in [*together.values(), *alone.values()]])
        for claims in (together, alone):  # the death was referred for its size: a supervisor approves it
            await handlers.decide_claim(conn, claims["death"], "approve", "papers checked", SUPERVISOR, TODAY)
        approved = await events_of(conn, "ClaimApproved")
        names = ["accident", "death", "second accident"]

        for name in names:
            async with conn.transaction():
                await recorder(conn, approved[alone[name]].envelope, approved[alone[name]].payload)
        single = [r["event_type"] for r in await conn.fetch("DELETE FROM outbox RETURNING event_type")]

        traces = {name: f"00-{n:032x}-{n:016x}-01" for n, name in enumerate(names, start=1)}
        async with conn.transaction():
            with statements_run(conn) as statements:
                await recorder.together(
                    conn, [approved[together[name]]._replace(traceparent=traces[name]) for name in names]
                )
        events = await conn.fetch("SELECT event_type, key, headers FROM outbox ORDER BY id")
        outcomes = {name: await paid(conn, together[name]) for name in names}
        one_at_a_time = {name: await paid(conn, alone[name]) for name in names}
        # A second approval event for a paid claim records nothing.
        async with conn.transaction():
            await recorder.together(conn, [approved[together[name]] for name in names])
        again = await conn.fetchval("SELECT count(*) FROM outbox")

    # Locked, participants read, ledger lines recorded, statuses and steps written, events queued.
    handled = statements
    assert len(handled) == 5, handled
    assert outcomes == one_at_a_time
    assert [outcomes[name]["status"] for name in names] == ["payout_recorded"] * 3
    # The JKM death benefit (PP 82/2019 as amended: Rp 42,000,000 in all) to the spouse, in cash.
    assert sum(amount for _, _, amount, kind in outcomes["death"]["lines"] if kind == "cash") == 42_000_000
    expected = ["PayoutRecorded", "PayoutRecorded", "DeathConfirmed", "PayoutRecorded"]
    assert [e["event_type"] for e in events] == expected
    assert single == expected
    assert [e["key"] for e in events] == [together[n] for n in ("accident", "death", "death", "second accident")]
    assert [e["headers"]["traceparent"] for e in events] == [
        traces[n] for n in ("accident", "death", "death", "second accident")
    ]
    assert again == len(expected)


async def payouts_recorded(conn, together: dict[str, str], alone: dict[str, str]) -> dict[str, Delivery]:
    """Both scenes' claims verified, the death approved by a supervisor, the approved ones' payouts
    recorded; their PayoutRecorded events, by claim id (the outbox emptied)."""
    verifier = handlers.make_verifier(lambda: TODAY, SAMPLING)
    recorder = handlers.make_payout_recorder(lambda: TODAY)
    filed = await events_of(conn, "ClaimFiled")
    async with conn.transaction():
        await verifier.together(conn, [filed[claim_id] for claim_id in [*together.values(), *alone.values()]])
    for claims in (together, alone):
        await handlers.decide_claim(conn, claims["death"], "approve", "papers checked", SUPERVISOR, TODAY)
    approved = await events_of(conn, "ClaimApproved")
    async with conn.transaction():
        await recorder.together(conn, list(approved.values()))
    return await events_of(conn, "PayoutRecorded")


async def taken(conn, claim_id: str, suffix: str) -> dict:
    """The claim's transfer lines (its heirs named without the scene's suffix) and intake steps."""
    lines = await conn.fetch(
        "SELECT component, payee_heir_id, amount, status, entry FROM disbursement_lines WHERE claim_id = $1 "
        "ORDER BY entry, component, payee_heir_id",
        claim_id,
    )
    steps = await conn.fetch(
        "SELECT detail FROM claim_steps WHERE claim_id = $1 AND step = 'disbursement_received' ORDER BY id", claim_id
    )
    return {
        "lines": [
            (r["component"], r["payee_heir_id"].removesuffix(suffix), r["amount"], r["status"], r["entry"])
            for r in lines
        ],
        "steps": [(s["detail"]["lines"], s["detail"]["total"]) for s in steps],
    }


async def test_a_batch_of_recorded_payouts_becomes_transfer_lines_in_the_statements_of_one_each_line_once(pool):
    names = ["accident", "death", "second accident"]
    async with pool.acquire() as conn:
        together, alone = await scene(conn, "1"), await scene(conn, "2")
        recorded = await payouts_recorded(conn, together, alone)

        for name in names:
            async with conn.transaction():
                delivery = recorded[alone[name]]
                await disbursement.on_payout_recorded(conn, delivery.envelope, delivery.payload)
        single = [r["event_type"] for r in await conn.fetch("DELETE FROM outbox RETURNING event_type")]

        traces = {name: f"00-{n:032x}-{n:016x}-01" for n, name in enumerate(names, start=1)}
        async with conn.transaction():
            with statements_run(conn) as statements:
                await disbursement.on_payout_recorded.together(
                    conn, [recorded[together[name]]._replace(traceparent=traces[name]) for name in names]
                )
        events = await conn.fetch("SELECT event_type, key, headers, body FROM outbox ORDER BY id")
        outcomes = {name: await taken(conn, together[name], "1") for name in names}
        one_at_a_time = {name: await taken(conn, alone[name], "2") for name in names}
        # The same payouts delivered again (a redelivery after a crash): no second line, step or event.
        async with conn.transaction():
            await disbursement.on_payout_recorded.together(conn, [recorded[together[name]] for name in names])
        again = await conn.fetchval("SELECT count(*) FROM outbox")
        lines_again = await conn.fetchval(
            "SELECT count(*) FROM disbursement_lines WHERE claim_id = ANY($1::text[])", list(together.values())
        )
        steps_again = await conn.fetchval(
            "SELECT count(*) FROM claim_steps WHERE step = 'disbursement_received' AND claim_id = ANY($1::text[])",
            list(together.values()),
        )

    # New lines with their steps, then their events: two statements for the batch, as for one claim.
    handled = statements
    assert len(handled) == 2, handled
    spouse = "H-PB"  # the death's spouse, H-PB1 and H-PB2 in the two scenes
    # An accident kept the worker (payee '') from work 30 days on Rp 2,000,000 a month: STMB
    # 2,000,000 x 30 / 30 = 2,000,000. The JKM death (PP 82/2019 as amended) to the spouse:
    # 20,000,000 at once + 12,000,000 periodic + 10,000,000 funeral = 42,000,000.
    assert outcomes["accident"] == {
        "lines": [("temporary_incapacity", "", 2_000_000, "received", 0)],
        "steps": [(1, 2_000_000)],
    }
    assert sorted(amount for _, payee, amount, _, _ in outcomes["death"]["lines"] if payee == spouse) == [
        10_000_000,
        12_000_000,
        20_000_000,
    ]
    assert outcomes["death"]["steps"] == [(3, 20_000_000 + 12_000_000 + 10_000_000)]
    assert outcomes["second accident"]["steps"] == [(1, 2_000_000)]
    # Claims handled together get exactly the lines and steps of their twins handled one at a time.
    assert outcomes == one_at_a_time
    # One TransferStatusChanged per line (1 + 3 + 1), in the batch's order, each in its record's
    # trace and caused by its PayoutRecorded.
    per_claim = {"accident": 1, "death": 3, "second accident": 1}
    expected_keys = [together[name] for name in names for _ in range(per_claim[name])]
    assert [e["event_type"] for e in events] == ["TransferStatusChanged"] * 5
    assert single == ["TransferStatusChanged"] * 5
    assert [e["key"] for e in events] == expected_keys
    assert [e["headers"]["traceparent"] for e in events] == [
        traces[name] for name in names for _ in range(per_claim[name])
    ]
    assert [json.loads(bytes(e["body"]))["causation_id"] for e in events] == [
        str(recorded[together[name]].envelope.event_id) for name in names for _ in range(per_claim[name])
    ]
    assert (again, lines_again, steps_again) == (5, 5, 3)


def answer(
    kind: str, claim_id: str, heir_id: str
) -> NotificationDelivered | NotificationFailed | FamilyMemberUnreachable:
    if kind == "delivered":
        return NotificationDelivered(
            notification_id=f"N-{claim_id}",
            claim_id=claim_id,
            heir_id=heir_id,
            channel="sms",
            about_event="ClaimFiled",
            attempts=1,
        )
    if kind == "failed":
        return NotificationFailed(
            notification_id=f"N-{claim_id}",
            claim_id=claim_id,
            heir_id=heir_id,
            channel="email",
            about_event="PayoutRecorded",
            attempts=5,
            last_error="mailbox full",
        )
    return FamilyMemberUnreachable(claim_id=claim_id, heir_id=heir_id, about_event="ClaimFiled")


async def test_a_batch_of_notifications_answers_is_on_the_timeline_in_one_statement_as_one_at_a_time(pool):
    kinds = [("delivered", "H-1"), ("failed", "H-2"), ("unreachable", "H-3"), ("delivered", "H-4")]
    async with pool.acquire() as conn:
        together, alone = await scene(conn, "1"), await scene(conn, "2")
        await conn.execute("DELETE FROM claim_steps")  # the filings' own steps
        batch = [answer(kind, claim_id, heir) for (kind, heir), claim_id in zip(kinds, together.values(), strict=False)]
        twins = [answer(kind, claim_id, heir) for (kind, heir), claim_id in zip(kinds, alone.values(), strict=False)]

        def delivery(payload) -> Delivery:
            return Delivery(new_envelope(payload, correlation_id=payload.claim_id, producer="notifications"), payload)

        # One at a time, as a consumer of batch size 1 (or a batch's fallback) applies them.
        for payload in twins:
            async with conn.transaction():
                await handlers.on_notification(conn, delivery(payload).envelope, payload)

        async with conn.transaction():
            with statements_run(conn) as statements:
                await handlers.on_notification.together(conn, [delivery(payload) for payload in batch])

        async def timeline(claim_ids: list[str]) -> list[tuple]:
            rows = await conn.fetch(
                "SELECT claim_id, step, detail FROM claim_steps WHERE claim_id = ANY($1::text[]) ORDER BY id",
                claim_ids,
            )
            return [(claim_ids.index(r["claim_id"]), r["step"], r["detail"]) for r in rows]

        steps = await timeline(list(together.values()))
        one_at_a_time = await timeline(list(alone.values()))

    handled = statements
    assert len(handled) == 1, handled
    # By the claim's place in the batch, in the batch's order.
    assert steps == [
        (0, "family_notified", {"heir_id": "H-1", "channel": "sms", "about": "ClaimFiled", "attempts": 1}),
        (
            1,
            "family_notification_failed",
            {"heir_id": "H-2", "channel": "email", "about": "PayoutRecorded", "attempts": 5},
        ),
        (2, "family_member_unreachable", {"heir_id": "H-3", "reason": "no_contact", "about": "ClaimFiled"}),
        (3, "family_notified", {"heir_id": "H-4", "channel": "sms", "about": "ClaimFiled", "attempts": 1}),
    ]
    assert steps == one_at_a_time
