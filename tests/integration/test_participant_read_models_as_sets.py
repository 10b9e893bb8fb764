"""Claims' and notifications' participant read models as sets (issue 17), on real PostgreSQL through
their handlers: a poll's details changes in one statement, claims' coverage changes in one, each row
as the event left it, an older event skipped, and a coverage change for a participant not known yet
waiting (named) without the others' rows staying written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.claims import handlers as claims
from services.notifications import handlers as notifications
from shared.consuming import Delivery, NotYet
from shared.contracts.enrollment import (
    CoverageChanged,
    HeirData,
    IncomeFrom,
    ParticipantDetails,
    ParticipantDetailsChanged,
    ParticipantEnrolled,
    ProtectedPeriod,
)
from shared.envelope import new_envelope
from tests.support.schemas import migrated_pool
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

ENROLLED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHANGED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def details(name: str, *, phone: str = "+6281242001234", deceased_on: date | None = None) -> ParticipantDetails:
    return ParticipantDetails(
        masked_nik="7371************",
        full_name=name,
        birth_date=date(1980, 5, 17),
        sex="F",
        phone=phone,
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=2_500_000,
        programs=["JKK", "JKM"],
        member_since=date(2026, 1, 5),
        income_history=[
            IncomeFrom(effective_from="2026-01", monthly_income=2_000_000),
            IncomeFrom(effective_from="2026-07", monthly_income=2_500_000),
        ],
        deceased_on=deceased_on,
    )


def delivered(payload, at: datetime) -> Delivery:
    envelope = new_envelope(payload, correlation_id=payload.participant_id, producer="enrollment", occurred_at=at)
    return Delivery(envelope, payload)


def enrolled(participant_id: str, name: str) -> Delivery:
    heir = HeirData(heir_id=f"H-{participant_id}", full_name="Daeng Tompo", relationship="spouse", precedence=1)
    return delivered(
        ParticipantEnrolled(participant_id=participant_id, details=details(name), heirs=[heir]), ENROLLED_AT
    )


def changed(participant_id: str, name: str, at: datetime = CHANGED_AT, **kwargs) -> Delivery:
    return delivered(ParticipantDetailsChanged(participant_id=participant_id, details=details(name, **kwargs)), at)


def coverage(participant_id: str, status: str, paid: list[str], end: date) -> Delivery:
    return delivered(
        CoverageChanged(
            participant_id=participant_id,
            status=status,
            as_of=date(2026, 11, 20),
            paid_months=len(paid),
            paid_periods=paid,
            protected_periods=[ProtectedPeriod(start=date(2026, 1, 5), end=end)],
        ),
        CHANGED_AT,
    )


@pytest.fixture
async def claims_pool(database_url, unique):
    async with migrated_pool(database_url, "claims", f"claims_people_{unique}") as pool:
        yield pool


@pytest.fixture
async def notifications_pool(database_url, unique):
    async with migrated_pool(database_url, "notifications", f"notif_people_{unique}") as pool:
        yield pool


async def test_claims_applies_a_polls_details_and_coverage_changes_in_a_statement_each(claims_pool):
    async with claims_pool.acquire() as conn:
        for participant_id, name in (("P-A", "Sitti"), ("P-B", "Andi"), ("P-C", "Nurul")):
            await claims.on_participant_enrolled(conn, *enrolled(participant_id, name)[:2])
        deaths = [
            changed("P-A", "Sitti Rahmawati", deceased_on=date(2026, 11, 18)),
            changed("P-B", "Andi Baso", deceased_on=date(2026, 11, 2)),
            # Older than what the row holds (its enrolment): skipped.
            changed("P-C", "Nurul (stale)", at=datetime(2025, 12, 31, tzinfo=UTC)),
        ]
        covered = [
            coverage("P-A", "active", ["2026-10", "2026-11"], date(2026, 11, 18)),
            coverage("P-B", "lapsed", ["2026-09"], date(2026, 11, 2)),
        ]
        async with conn.transaction():
            with statements_run(conn) as statements:
                await claims.on_details_changed.together(conn, deaths)
                await claims.on_coverage_changed.together(conn, covered)
        rows = {
            r["participant_id"]: dict(r)
            for r in await conn.fetch(
                "SELECT participant_id, full_name, deceased_on, programs, monthly_income, income_history, "
                "details_as_of, coverage_status, paid_months, paid_periods, protected_periods, coverage_as_of "
                "FROM participants ORDER BY participant_id"
            )
        }

    assert [s.split(" (")[0] for s in statements] == ["INSERT INTO participants", "WITH u AS"], statements
    assert rows["P-A"] == {
        "participant_id": "P-A",
        "full_name": "Sitti Rahmawati",
        "deceased_on": date(2026, 11, 18),
        "programs": ["JKK", "JKM"],
        "monthly_income": 2_500_000,
        "income_history": [
            {"effective_from": "2026-01", "monthly_income": 2_000_000},
            {"effective_from": "2026-07", "monthly_income": 2_500_000},
        ],
        "details_as_of": CHANGED_AT,
        "coverage_status": "active",
        "paid_months": 2,
        "paid_periods": ["2026-10", "2026-11"],
        "protected_periods": [{"start": "2026-01-05", "end": "2026-11-18"}],
        "coverage_as_of": CHANGED_AT,
    }
    assert (rows["P-B"]["full_name"], rows["P-B"]["deceased_on"]) == ("Andi Baso", date(2026, 11, 2))
    assert (rows["P-B"]["coverage_status"], rows["P-B"]["paid_periods"]) == ("lapsed", ["2026-09"])
    assert rows["P-B"]["protected_periods"] == [{"start": "2026-01-05", "end": "2026-11-02"}]
    # The stale change left the enrolment's row as it was, and no coverage came for P-C.
    assert (rows["P-C"]["full_name"], rows["P-C"]["deceased_on"], rows["P-C"]["details_as_of"]) == (
        "Nurul",
        None,
        ENROLLED_AT,
    )
    assert (rows["P-C"]["coverage_status"], rows["P-C"]["coverage_as_of"]) == ("not_started", None)


async def test_claims_coverage_for_a_participant_not_known_yet_waits_and_names_them(claims_pool):
    async with claims_pool.acquire() as conn:
        await claims.on_participant_enrolled(conn, *enrolled("P-K", "Sitti")[:2])
        batch = [
            coverage("P-K", "active", ["2026-11"], date(2026, 11, 30)),
            coverage("P-NEW", "active", ["2026-11"], date(2026, 11, 30)),
        ]
        with pytest.raises(NotYet, match="P-NEW") as waited:
            async with conn.transaction():  # the runner's: rolled back, then each applied alone
                await claims.on_coverage_changed.together(conn, batch)
        assert "P-K" not in str(waited.value)
        assert set(waited.value.waiting_for) == {"ParticipantEnrolled", "ParticipantDetailsChanged"}
        assert await conn.fetchval("SELECT coverage_status FROM participants WHERE participant_id = 'P-K'") == (
            "not_started"
        )
        # Alone, as the runner then applies it, the known one is written.
        await claims.on_coverage_changed(conn, batch[0].envelope, batch[0].payload)
        assert await conn.fetchval("SELECT coverage_status FROM participants WHERE participant_id = 'P-K'") == "active"


async def test_notifications_applies_a_polls_details_changes_in_one_statement(notifications_pool):
    async with notifications_pool.acquire() as conn:
        for participant_id, name in (("P-A", "Sitti"), ("P-B", "Andi")):
            await notifications.on_participant_enrolled(conn, *enrolled(participant_id, name)[:2])
        batch = [
            changed("P-A", "Sitti Rahmawati", phone="+6281299990000"),
            changed("P-B", "Andi (stale)", at=datetime(2025, 12, 31, tzinfo=UTC), phone="+6281200000000"),
            changed("P-N", "Nurul Aisyah"),  # not enrolled here yet: the change makes the row
        ]
        async with conn.transaction():
            with statements_run(conn) as statements:
                await notifications.on_details_changed.together(conn, batch)
        rows = [
            tuple(r)
            for r in await conn.fetch(
                "SELECT participant_id, full_name, phone, details_as_of FROM participants ORDER BY participant_id"
            )
        ]

    assert [s.split(" (")[0] for s in statements] == ["INSERT INTO participants"], statements
    assert rows == [
        ("P-A", "Sitti Rahmawati", "+6281299990000", CHANGED_AT),
        ("P-B", "Andi", "+6281242001234", ENROLLED_AT),
        ("P-N", "Nurul Aisyah", "+6281242001234", CHANGED_AT),
    ]
