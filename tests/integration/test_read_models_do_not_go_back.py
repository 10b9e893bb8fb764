"""Read models do not go backwards: an older event replayed after a newer one (a dead letter
sent again) leaves the newer state. Claims' and notifications' participant read models on
real PostgreSQL, through their handlers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.claims import handlers as claims
from services.notifications import handlers as notifications
from shared.contracts.enrollment import (
    CoverageChanged,
    HeirData,
    HeirsChanged,
    ParticipantDetails,
    ParticipantDetailsChanged,
    ParticipantEnrolled,
    ProtectedPeriod,
)
from shared.envelope import new_envelope
from tests.support.schemas import migrated_pool

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PID = "P-forward"


def details(full_name: str) -> ParticipantDetails:
    return ParticipantDetails(
        masked_nik="7371************",
        full_name=full_name,
        birth_date=date(1990, 5, 17),
        sex="F",
        phone="+6281242001234",
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=2_000_000,
        programs=["JKK", "JKM"],
        member_since=date(2026, 1, 5),
    )


def heir(heir_id: str, name: str) -> HeirData:
    return HeirData(heir_id=heir_id, full_name=name, relationship="spouse", precedence=1, phone="+6281342001111")


def at(minutes: int, payload):
    return new_envelope(payload, correlation_id=PID, producer="enrollment", occurred_at=T0 + timedelta(minutes=minutes))


def coverage(status: str, paid_months: int) -> CoverageChanged:
    periods = [ProtectedPeriod(start=date(2026, 2, 1), end=date(2026, 2, 28))] if status == "active" else []
    return CoverageChanged(
        participant_id=PID, status=status, as_of=date(2026, 11, 1), paid_months=paid_months, protected_periods=periods
    )


async def apply(pool, handler, envelope, payload) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await handler(conn, envelope, payload)


@pytest.fixture
async def claims_pool(database_url, unique):
    async with migrated_pool(database_url, "claims", f"claims_fwd_{unique}") as pool:
        yield pool


@pytest.fixture
async def notifications_pool(database_url, unique):
    async with migrated_pool(database_url, "notifications", f"notif_fwd_{unique}") as pool:
        yield pool


async def test_claims_read_model_keeps_the_newer_details_heirs_and_coverage(claims_pool):
    enrolled = ParticipantEnrolled(participant_id=PID, details=details("Sitti"), heirs=[heir("H1", "Andi")])
    await apply(claims_pool, claims.on_participant_enrolled, at(0, enrolled), enrolled)

    newer_heirs, older_heirs = (
        HeirsChanged(participant_id=PID, heirs=[heir("H3", "Baso")]),
        HeirsChanged(participant_id=PID, heirs=[heir("H2", "Nurul")]),
    )
    await apply(claims_pool, claims.on_heirs_changed, at(20, newer_heirs), newer_heirs)
    await apply(claims_pool, claims.on_heirs_changed, at(10, older_heirs), older_heirs)  # the replay

    newer_details, older_details = (
        ParticipantDetailsChanged(participant_id=PID, details=details("Sitti Rahma")),
        ParticipantDetailsChanged(participant_id=PID, details=details("Siti")),
    )
    await apply(claims_pool, claims.on_details_changed, at(20, newer_details), newer_details)
    await apply(claims_pool, claims.on_details_changed, at(10, older_details), older_details)

    active, not_started = coverage("active", 1), coverage("not_started", 0)
    await apply(claims_pool, claims.on_coverage_changed, at(20, active), active)
    await apply(claims_pool, claims.on_coverage_changed, at(10, not_started), not_started)

    row = await claims_pool.fetchrow(
        "SELECT full_name, coverage_status, paid_months FROM participants WHERE participant_id = $1", PID
    )
    assert dict(row) == {"full_name": "Sitti Rahma", "coverage_status": "active", "paid_months": 1}
    heirs = await claims_pool.fetch("SELECT heir_id FROM heirs WHERE participant_id = $1", PID)
    assert [h["heir_id"] for h in heirs] == ["H3"]

    # The enrolment itself replayed last (older than all) changes nothing either.
    await apply(claims_pool, claims.on_participant_enrolled, at(0, enrolled), enrolled)
    assert (
        await claims_pool.fetchval("SELECT full_name FROM participants WHERE participant_id = $1", PID) == "Sitti Rahma"
    )
    assert [h["heir_id"] for h in await claims_pool.fetch("SELECT heir_id FROM heirs")] == ["H3"]

    # And a newer one still applies.
    newest = HeirsChanged(participant_id=PID, heirs=[heir("H4", "Ilham")])
    await apply(claims_pool, claims.on_heirs_changed, at(30, newest), newest)
    assert [h["heir_id"] for h in await claims_pool.fetch("SELECT heir_id FROM heirs")] == ["H4"]


async def test_notifications_read_model_keeps_the_newer_details_and_heirs(notifications_pool):
    pool = notifications_pool
    enrolled = ParticipantEnrolled(participant_id=PID, details=details("Sitti"), heirs=[heir("H1", "Andi")])
    await apply(pool, notifications.on_participant_enrolled, at(0, enrolled), enrolled)

    newer_heirs, older_heirs = (
        HeirsChanged(participant_id=PID, heirs=[heir("H3", "Baso")]),
        HeirsChanged(participant_id=PID, heirs=[heir("H2", "Nurul")]),
    )
    await apply(pool, notifications.on_heirs_changed, at(20, newer_heirs), newer_heirs)
    await apply(pool, notifications.on_heirs_changed, at(10, older_heirs), older_heirs)
    newer_details, older_details = (
        ParticipantDetailsChanged(participant_id=PID, details=details("Sitti Rahma")),
        ParticipantDetailsChanged(participant_id=PID, details=details("Siti")),
    )
    await apply(pool, notifications.on_details_changed, at(20, newer_details), newer_details)
    await apply(pool, notifications.on_details_changed, at(10, older_details), older_details)

    assert await pool.fetchval("SELECT full_name FROM participants WHERE participant_id = $1", PID) == "Sitti Rahma"
    assert [h["heir_id"] for h in await pool.fetch("SELECT heir_id FROM heirs WHERE participant_id = $1", PID)] == [
        "H3"
    ]
