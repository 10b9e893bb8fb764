"""Who is told, on real PostgreSQL (issue 12.9: the person paid is the person told): after a
death each heir reads their own share; an heir without phone or email is reported to claims
once and the claim's reporter is told instead; after a living worker's accident the worker
is told, not the heirs. Handlers are called as the consumers call them, in a transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest

from services.claims import handlers as claims_handlers
from services.claims import repository as claims_repo
from services.claims.app import build_spec as claims_spec
from services.notifications import handlers
from services.notifications.app import build_spec
from shared.contracts.claims import (
    ClaimFiled,
    ClaimReclassified,
    LateChargeRecorded,
    PayoutComponent,
    PayoutRecorded,
)
from shared.contracts.enrollment import HeirData, ParticipantDetails, ParticipantEnrolled
from shared.contracts.notifications import FamilyMemberUnreachable
from shared.db import apply_migrations, create_pool
from shared.envelope import new_envelope, read_envelope
from shared.privacy import mask_nik
from tests.support.family_members import GRANDDAUGHTER, SON, WIDOW, claim_filed

pytestmark = pytest.mark.integration

WORKER_PHONE = "+6281242001234"


@pytest.fixture
async def db(database_url: str, unique: str) -> AsyncIterator[asyncpg.Pool]:
    schema = f"notif_recipients_{unique}"
    await apply_migrations(database_url, schema, build_spec().migrations)
    pool = await create_pool(database_url, schema, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def apply(db: asyncpg.Pool, handler: Any, payload: Any, key: str) -> None:
    async with db.acquire() as conn, conn.transaction():
        await handler(conn, new_envelope(payload, correlation_id=key, producer="test"), payload)


async def enrolled(db: asyncpg.Pool, heirs: list[HeirData]) -> str:
    participant_id = f"P-{uuid.uuid4().hex[:8]}"
    details = ParticipantDetails(
        masked_nik=mask_nik("7371011204800003"),
        full_name="Daeng Rahman",
        birth_date=date(1980, 4, 12),
        sex="M",
        phone=WORKER_PHONE,
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=2_000_000,
        programs=["JKK", "JKM"],
        member_since=date(2025, 1, 1),
    )
    await apply(
        db,
        handlers.on_participant_enrolled,
        ParticipantEnrolled(participant_id=participant_id, details=details, heirs=heirs),
        participant_id,
    )
    return participant_id


def filed(participant_id: str, claim_type: str) -> ClaimFiled:
    return claim_filed(f"CLM-{uuid.uuid4().hex[:8]}", participant_id, claim_type)


def line(
    component: str, amount: int, heir: HeirData | None, name: str | None = None, kind: str = "cash"
) -> PayoutComponent:
    return PayoutComponent(
        component=component,
        amount=amount,
        kind=kind,
        payee_heir_id=heir.heir_id if heir else None,
        payee_name=heir.full_name if heir else name,
    )


async def messages(db: asyncpg.Pool, claim_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM notifications WHERE claim_id = $1 ORDER BY about_event, heir_id, channel", claim_id
    )
    return [dict(r) for r in rows]


async def published(db: asyncpg.Pool, claim_id: str) -> list[Any]:
    rows = await db.fetch("SELECT body FROM outbox WHERE key = $1 ORDER BY id", claim_id)
    return [read_envelope(r["body"]) for r in rows]


async def test_each_heir_reads_their_own_share_and_one_without_contact_is_reported_once(db):
    participant_id = await enrolled(db, [WIDOW, SON, GRANDDAUGHTER])
    claim = filed(participant_id, "JKM")
    on = handlers.make_claim_handlers("whatsapp")
    await apply(db, on["ClaimFiled"], claim, claim.claim_id)
    payout = PayoutRecorded(
        claim_id=claim.claim_id,
        participant_id=participant_id,
        claim_type="JKM",
        components=[
            line("lump_sum", 8_000_000, WIDOW),
            line("lump_sum", 6_000_000, SON),
            line("lump_sum", 6_000_000, GRANDDAUGHTER),
            line("funeral", 10_000_000, WIDOW),
        ],
        total_cash=30_000_000,
    )
    await apply(db, on["PayoutRecorded"], payout, claim.claim_id)

    rows = await messages(db, claim.claim_id)
    # Two events x (the widow by WhatsApp, the son by email, the reporter by WhatsApp); nothing for the child.
    assert [(r["about_event"], r["heir_id"], r["channel"], r["address"]) for r in rows] == [
        (event, heir, channel, address)
        for event in ("ClaimFiled", "PayoutRecorded")
        for heir, channel, address in (
            ("H-1", "whatsapp", "+6281300000001"),
            ("H-2", "email", "rudi@example.id"),
            ("reporter", "whatsapp", "+6281299870001"),
        )
    ]
    payouts = {r["heir_id"]: r["body"] for r in rows if r["about_event"] == "PayoutRecorded"}
    # The widow: 8,000,000 + 10,000,000 = 18,000,000; the son: 6,000,000; neither sees the other's lines.
    assert "Jumlah uang yang dibayarkan: Rp 18.000.000" in payouts["H-1"]
    assert "Rudi Hartono" not in payouts["H-1"] and "Nur Aisyah" not in payouts["H-1"]
    assert "Lump-sum benefit: Rp 6.000.000 to Rudi Hartono" in payouts["H-2"]
    assert "Total money to be paid: Rp 6.000.000" in payouts["H-2"]
    assert "Siti Aminah" not in payouts["H-2"] and "Rp 8.000.000" not in payouts["H-2"]
    # The reporter is not paid: they read who is, and no amount.
    assert "Uang dibayarkan kepada Siti Aminah, Rudi Hartono dan Nur Aisyah" in payouts["reporter"]
    assert "Rp" not in payouts["reporter"]

    facts = [e for e in await published(db, claim.claim_id) if e.type == "FamilyMemberUnreachable"]
    assert [(e.payload["heir_id"], e.payload["reason"], e.payload["about_event"]) for e in facts] == [
        ("H-3", "no_contact", "ClaimFiled")
    ]  # once, though two events could not reach her


async def test_a_worker_hurt_at_work_is_the_one_told_and_paid_not_the_heirs(db):
    participant_id = await enrolled(db, [WIDOW, SON])
    claim = filed(participant_id, "JKK")
    on = handlers.make_claim_handlers("whatsapp")
    await apply(db, on["ClaimFiled"], claim, claim.claim_id)
    payout = PayoutRecorded(
        claim_id=claim.claim_id,
        participant_id=participant_id,
        claim_type="JKK",
        components=[line("temporary_incapacity", 600_000, None, "Daeng Rahman")],
        total_cash=600_000,
    )
    await apply(db, on["PayoutRecorded"], payout, claim.claim_id)

    rows = await messages(db, claim.claim_id)
    assert [(r["about_event"], r["heir_id"], r["channel"], r["address"]) for r in rows] == [
        ("ClaimFiled", participant_id, "whatsapp", WORKER_PHONE),
        ("PayoutRecorded", participant_id, "whatsapp", WORKER_PHONE),
    ]
    body = rows[1]["body"]
    assert "Upah selama tidak mampu bekerja (STMB): Rp 600.000 untuk Daeng Rahman" in body
    assert "berduka" not in body
    assert rows[1]["template"] == "jaring_payout_recorded" and len(rows[1]["template_params"]) == 6
    assert not [e for e in await published(db, claim.claim_id) if e.type == "FamilyMemberUnreachable"]


async def test_a_late_charge_is_told_to_each_payee_with_their_own_charge_and_to_no_one_else(db):
    participant_id = await enrolled(db, [WIDOW, SON, GRANDDAUGHTER])
    claim = filed(participant_id, "JKM")
    on = handlers.make_claim_handlers("whatsapp")
    await apply(db, on["ClaimFiled"], claim, claim.claim_id)
    # Paid 2 days late: the widow's 18,000,000 x 1 % x 2 = 360,000; the son's 6,000,000 x 1 % x 2 = 120,000.
    late = LateChargeRecorded(
        claim_id=claim.claim_id,
        participant_id=participant_id,
        claim_type="JKM",
        payment_deadline=date(2026, 11, 24),
        paid_on=date(2026, 11, 26),
        days_late=2,
        components=[line("late_charge", 360_000, WIDOW), line("late_charge", 120_000, SON)],
        total_cash=480_000,
    )
    envelope = new_envelope(late, correlation_id=claim.claim_id, producer="test")
    for _ in range(2):  # the same event read again (a crash before the offset was committed): nothing doubled
        async with db.acquire() as conn, conn.transaction():
            await on["LateChargeRecorded"](conn, envelope, late)

    rows = [r for r in await messages(db, claim.claim_id) if r["about_event"] == "LateChargeRecorded"]
    # The reporter is told the claim's other news (the child has no contact) but is paid no charge: not told.
    assert [(r["heir_id"], r["channel"], r["template"]) for r in rows] == [
        ("H-1", "whatsapp", "jaring_late_charge_death"),
        ("H-2", "email", "jaring_late_charge_death"),
    ]
    widow, son = rows[0]["body"], rows[1]["body"]
    assert "dibayar terlambat 2 hari" in widow and "Rp 360.000 untuk Siti Aminah" in widow
    assert "Rp 120.000" not in widow and "Rudi Hartono" not in widow
    assert "was paid 2 days after the deadline" in son and "Rp 120.000 to Rudi Hartono" in son
    assert "Rp 360.000" not in son


async def test_a_reclassification_tells_only_a_difference_paid_after_payout(db):
    participant_id = await enrolled(db, [WIDOW])
    claim = filed(participant_id, "JKM")
    on = handlers.make_claim_handlers("whatsapp")
    await apply(db, on["ClaimFiled"], claim, claim.claim_id)

    def reclassified(after_payout: bool, components: list[PayoutComponent], overpaid: int = 0) -> ClaimReclassified:
        return ClaimReclassified(
            claim_id=claim.claim_id,
            participant_id=participant_id,
            from_type="JKM",
            claim_type="JKK_DEATH",
            reason="fell from the market roof",
            reclassified_by="sup-1",
            after_payout=after_payout,
            components=components,
            total_cash=sum(c.amount for c in components),
            overpaid=overpaid,
        )

    await apply(db, on["ClaimReclassified"], reclassified(False, []), claim.claim_id)
    async with db.acquire() as conn:
        assert await handlers.repo.claim_type(conn, claim.claim_id) == "JKK_DEATH"  # later messages name it
    # JKK death of a 3,000,000 earner: 166,000,000; 42,000,000 already paid: 124,000,000 more.
    await apply(
        db,
        on["ClaimReclassified"],
        reclassified(True, [line("reclassification_adjustment", 124_000_000, WIDOW)]),
        claim.claim_id,
    )
    rows = [r for r in await messages(db, claim.claim_id) if r["about_event"] == "ClaimReclassified"]
    assert [(r["heir_id"], r["template"]) for r in rows] == [("H-1", "jaring_claim_reclassified_death")]
    assert "Kekurangan bayar setelah jenis klaim diperbaiki: Rp 124.000.000 untuk Siti Aminah" in rows[0]["body"]
    assert rows[0]["body"].splitlines()[2] == "Turut berduka cita atas meninggalnya Daeng Rahman."


async def test_claims_timeline_shows_a_family_member_who_could_not_be_told(database_url, unique):
    schema = f"claims_timeline_{unique}"
    await apply_migrations(database_url, schema, claims_spec().migrations)
    pool = await create_pool(database_url, schema, max_size=1)
    try:
        fact = FamilyMemberUnreachable(claim_id="CLM-1", heir_id="H-3", about_event="ClaimFiled")
        await apply(pool, claims_handlers.on_notification, fact, "CLM-1")
        async with pool.acquire() as conn:
            steps = await claims_repo.steps(conn, "CLM-1")
    finally:
        await pool.close()
    assert [(s["step"], s["detail"]) for s in steps] == [
        ("family_member_unreachable", {"heir_id": "H-3", "reason": "no_contact", "about": "ClaimFiled"})
    ]
