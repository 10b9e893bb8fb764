"""What enrollment does with claims' decisions, through its handlers on real PostgreSQL: a
confirmed death and heirs named on a claim, each in the statements it needs (the participant
read once, with heirs and incomes, issue 17), announced by events whose whole content is
written out here by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import asyncpg
import pytest

from services.enrollment import handlers
from services.enrollment.api import ContributionIn, ParticipantIn
from shared.auth import Actor
from shared.consuming import Delivery, PoisonMessage
from shared.contracts.claims import DeathConfirmed, HeirsNamedOnClaim
from shared.contracts.enrollment import HeirData
from shared.envelope import new_envelope, read_envelope
from tests.support.schemas import migrated_pool
from tests.support.services import participant_form
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 20)
OFFICER = Actor("officer-rahma", "officer")


@pytest.fixture
async def pool(database_url, unique):
    async with migrated_pool(database_url, "enrollment", f"enrollment_deaths_{unique}") as pool:
        yield pool


async def enrolled_and_paid(conn: asyncpg.Connection) -> tuple[str, str]:
    """A member since June 2026 (2,000,000 a month), paid June to September on 5 June, who
    declared 3,000,000 from October. Answers the participant's id and full NIK."""
    form = participant_form(birth_date=date(1990, 5, 17), member_since="2026-06-01", monthly_income=2_000_000)
    participant_id = await handlers.register(conn, ParticipantIn(**form).model_dump(), OFFICER, TODAY)
    for month in ("06", "07", "08", "09"):  # (20,000 + 6,800) / 2 = 13,400 each
        paid = ContributionIn(period=f"2026-{month}", amount=13_400, paid_at=date(2026, 6, 5))
        await handlers.record_contribution(conn, participant_id, paid.model_dump(), OFFICER, TODAY)
    await handlers.change_details(
        conn, participant_id, {"monthly_income": 3_000_000, "income_effective_from": "2026-10"}, OFFICER, TODAY
    )
    await conn.execute("DELETE FROM outbox")
    return participant_id, form["nik"]


def from_claims(payload, claim_id: str):
    return new_envelope(
        payload, correlation_id=claim_id, producer="claims", occurred_at=datetime(2026, 11, 20, 9, tzinfo=UTC)
    )


def starts(statements: list[str]) -> list[str]:
    """Each statement by the beginning that says what it is (the beginnings asserted)."""
    known = (
        "SELECT p.*, array(SELECT h FROM heirs h",
        "UPDATE participants p SET deceased_on",
        "SELECT participant_id, contribution_id, period",
        "WITH before AS (SELECT participant_id, snapshot FROM coverage",
        "WITH queued AS (INSERT INTO outbox",
        "INSERT INTO audit_log (actor, role, action, subject_id, details)",
        "SELECT heir_id, participant_id FROM heirs",
    )
    return [next((k for k in known if q.startswith(k)), q) for q in statements]


async def queued(conn: asyncpg.Connection) -> list[tuple[str, dict]]:
    """The outbox's events in publishing order, (type, payload); the outbox emptied."""
    rows = await conn.fetch("DELETE FROM outbox RETURNING id, event_type, body")
    return [
        (r["event_type"], json.loads(read_envelope(bytes(r["body"])).model_dump_json())["payload"])
        for r in sorted(rows, key=lambda r: r["id"])
    ]


async def test_a_confirmed_death_reads_the_participant_once_and_is_announced_in_full(pool):
    async with pool.acquire() as conn:
        participant_id, nik = await enrolled_and_paid(conn)
        death = DeathConfirmed(
            claim_id="CL-death-1", participant_id=participant_id, claim_type="JKM", date_of_death=date(2026, 9, 20)
        )
        async with conn.transaction():
            with statements_run(conn) as statements:
                await handlers.on_death_confirmed(conn, from_claims(death, "CL-death-1"), death)
        events = await queued(conn)

        # The same death again (a second approval, a replay): read, and nothing else.
        async with conn.transaction():
            with statements_run(conn) as again:
                await handlers.on_death_confirmed(conn, from_claims(death, "CL-death-1"), death)
        events_again = await queued(conn)
        audit = await conn.fetch(
            "SELECT actor, details FROM audit_log WHERE action = 'participant.deceased' AND subject_id = $1",
            participant_id,
        )

    # The participant with heirs and incomes, locked; the death written; the payments read; the
    # coverage stored; both events queued; the audit line.
    assert starts(statements) == [
        "SELECT p.*, array(SELECT h FROM heirs h",
        "UPDATE participants p SET deceased_on",
        "SELECT participant_id, contribution_id, period",
        "WITH before AS (SELECT participant_id, snapshot FROM coverage",
        "WITH queued AS (INSERT INTO outbox",
        "INSERT INTO audit_log (actor, role, action, subject_id, details)",
    ], statements
    assert statements[0].endswith("FOR UPDATE OF p")
    assert len(again) == 1, again
    assert events_again == []
    assert [(a["actor"], a["details"]) for a in audit] == [
        ("claims:CL-death-1", {"claim_id": "CL-death-1", "deceased_on": "2026-09-20", "previous": None})
    ]
    assert events == [
        (
            "ParticipantDetailsChanged",
            {
                "participant_id": participant_id,
                "details": {
                    "masked_nik": nik[:4] + "*" * 12,
                    "full_name": "Sitti Rahmawati",
                    "birth_date": "1990-05-17",
                    "sex": "F",
                    "phone": "+6281242001234",
                    "kecamatan": "Tamalate",
                    "segment": "market_trader",
                    "monthly_income": 3_000_000,  # in effect in November, today
                    "programs": ["JKK", "JKM"],
                    "member_since": "2026-06-01",
                    "income_history": [
                        {"effective_from": "2026-06", "monthly_income": 2_000_000},
                        {"effective_from": "2026-10", "monthly_income": 3_000_000},
                    ],
                    "deceased_on": "2026-09-20",
                },
            },
        ),
        (
            "CoverageChanged",
            {
                "participant_id": participant_id,
                # On the day of death, 20 September: September paid, so active through its last day.
                "status": "active",
                "as_of": "2026-09-20",
                "last_paid_period": "2026-09",
                "active_through": "2026-09-30",
                "grace_until": "2026-11-30",  # September + 2 months
                "lapsed_from": "2026-12-01",
                "paid_months": 4,
                "paid_periods": ["2026-06", "2026-07", "2026-08", "2026-09"],
                # From the money on 5 June to the death, not to the end of November.
                "protected_periods": [{"start": "2026-06-05", "end": "2026-09-20"}],
            },
        ),
    ]


async def test_heirs_named_on_a_claim_are_added_without_reading_the_heirs_back_and_announced_with_all_heirs(pool):
    async with pool.acquire() as conn:
        participant_id, _ = await enrolled_and_paid(conn)
        own = await conn.fetch("SELECT heir_id FROM heirs WHERE participant_id = $1 ORDER BY position", participant_id)
        named = HeirsNamedOnClaim(
            claim_id="CL-heirs-1",
            participant_id=participant_id,
            heirs=[
                HeirData(
                    heir_id="H-CL-heirs-1-1",
                    full_name="Muh. Ilham",
                    relationship="child",
                    precedence=7,
                    birth_date=date(2012, 5, 1),
                ),
                HeirData(heir_id="H-CL-heirs-1-2", full_name="Hj. Sitti", relationship="parent", precedence=1),
            ],
            named_by="rina.reviewer",
        )
        async with conn.transaction():
            with statements_run(conn) as statements:
                await handlers.on_heirs_named_on_claim(conn, from_claims(named, "CL-heirs-1"), named)
        events = await queued(conn)
        stored = await conn.fetch(
            "SELECT heir_id, position, precedence FROM heirs WHERE participant_id = $1 ORDER BY position",
            participant_id,
        )

    # The participant with heirs and incomes, locked; who owns the named ids; the event queued;
    # the audit line. (And the new heirs written by COPY, which asyncpg's query logger does not
    # report: the heirs stored below show it ran.)
    assert starts(statements) == [
        "SELECT p.*, array(SELECT h FROM heirs h",
        "SELECT heir_id, participant_id FROM heirs",
        "WITH queued AS (INSERT INTO outbox",
        "INSERT INTO audit_log (actor, role, action, subject_id, details)",
    ], statements
    assert [(h["heir_id"], h["position"], h["precedence"]) for h in stored] == [
        (own[0]["heir_id"], 0, 1),
        (own[1]["heir_id"], 1, 1),
        ("H-CL-heirs-1-1", 2, 1),  # a child is rank 1 whatever the event said
        ("H-CL-heirs-1-2", 3, 2),
    ]
    assert events == [
        (
            "HeirsChanged",
            {
                "participant_id": participant_id,
                "heirs": [
                    {
                        "heir_id": own[0]["heir_id"],
                        "full_name": "Andi Baso",
                        "relationship": "spouse",
                        "precedence": 1,
                        "phone": "+6281342001111",
                        "email": None,
                        "language": "id",
                        "birth_date": None,
                    },
                    {
                        "heir_id": own[1]["heir_id"],
                        "full_name": "Nurul Aisyah",
                        "relationship": "child",
                        "precedence": 1,
                        "phone": None,
                        "email": "nurul@example.id",
                        "language": "en",
                        "birth_date": None,
                    },
                    {
                        "heir_id": "H-CL-heirs-1-1",
                        "full_name": "Muh. Ilham",
                        "relationship": "child",
                        "precedence": 1,
                        "phone": None,
                        "email": None,
                        "language": "id",
                        "birth_date": "2012-05-01",
                    },
                    {
                        "heir_id": "H-CL-heirs-1-2",
                        "full_name": "Hj. Sitti",
                        "relationship": "parent",
                        "precedence": 2,
                        "phone": None,
                        "email": None,
                        "language": "id",
                        "birth_date": None,
                    },
                ],
            },
        )
    ]


# --- a batch of deaths as a set -------------------------------------------------------------------


def confirmed(claim_id: str, participant_id: str, died: date) -> Delivery:
    death = DeathConfirmed(claim_id=claim_id, participant_id=participant_id, claim_type="JKM", date_of_death=died)
    return Delivery(from_claims(death, claim_id), death)


async def deaths_scene(conn: asyncpg.Connection) -> tuple[dict[str, str], list[Delivery]]:
    """Three members paid June to September: A dies on 20 September; B's death is confirmed on
    10 August by one claim, then on 25 September by another; C's death on 1 September was applied
    before and comes again (a replay). Answers the participant ids by name and the deliveries."""
    ids = {name: (await enrolled_and_paid(conn))[0] for name in "ABC"}
    replayed = confirmed(f"CL-{ids['C']}", ids["C"], date(2026, 9, 1))
    async with conn.transaction():
        await handlers.on_death_confirmed(conn, replayed.envelope, replayed.payload)
    await conn.execute("DELETE FROM outbox")
    return ids, [
        confirmed(f"CL-{ids['A']}", ids["A"], date(2026, 9, 20)),
        confirmed(f"CL-{ids['B']}-1", ids["B"], date(2026, 8, 10)),
        replayed,
        confirmed(f"CL-{ids['B']}-2", ids["B"], date(2026, 9, 25)),
    ]


async def outcome(conn: asyncpg.Connection, ids: dict[str, str]) -> dict:
    """What the deaths left, each participant id written as its name (A, B, C)."""
    name = {participant_id: n for n, participant_id in ids.items()}

    def named(value):
        text = json.dumps(value, default=str)
        for participant_id, n in name.items():
            text = text.replace(participant_id, n)
        return json.loads(text)

    people = await conn.fetch(
        "SELECT participant_id, deceased_on, death_claim_id FROM participants WHERE participant_id = ANY($1::text[]) "
        "ORDER BY participant_id",
        list(name),
    )
    coverage = await conn.fetch(
        "SELECT participant_id, status, as_of, snapshot FROM coverage WHERE participant_id = ANY($1::text[])",
        list(name),
    )
    audit = await conn.fetch(
        "SELECT actor, subject_id, details FROM audit_log WHERE action = 'participant.deceased' "
        "AND subject_id = ANY($1::text[]) ORDER BY id",
        list(name),
    )
    seen = named(
        {
            "events": [(kind, payload) for kind, payload in await queued(conn)],
            "people": [dict(r) for r in people],
            "coverage": [dict(r) for r in coverage],
            # C's death before the scene's deliveries is the scene's, not theirs.
            "audit": [dict(r) for r in audit if r["details"]["deceased_on"] != "2026-09-01"],
        }
    )
    for table in ("people", "coverage"):
        seen[table].sort(key=lambda r: r["participant_id"])
    return seen


def per_participant(events: list[tuple[str, dict]]) -> dict[str, list[tuple[str, dict]]]:
    grouped: dict[str, list[tuple[str, dict]]] = {}
    for kind, payload in events:
        grouped.setdefault(payload["participant_id"], []).append((kind, payload))
    return grouped


async def test_a_batch_of_deaths_is_applied_in_the_statements_of_one_with_the_outcome_of_one_at_a_time(pool):
    async with pool.acquire() as conn:
        together, batch = await deaths_scene(conn)
        alone, singles = await deaths_scene(conn)

        for delivery in singles:  # as a consumer of batch size 1 (or a batch's fallback) applies them
            async with conn.transaction():
                await handlers.on_death_confirmed(conn, delivery.envelope, delivery.payload)
        one_at_a_time = await outcome(conn, alone)

        async with conn.transaction():
            with statements_run(conn) as statements:
                await handlers.on_death_confirmed.together(conn, batch)
        as_a_set = await outcome(conn, together)

    # Locked and read with heirs and incomes, the deaths written, the payments read, the coverage
    # stored, the events queued, the audit lines: six statements for four deaths, as for one.
    assert starts(statements) == [
        "SELECT p.*, array(SELECT h FROM heirs h",
        "UPDATE participants p SET deceased_on",
        "SELECT participant_id, contribution_id, period",
        "WITH before AS (SELECT participant_id, snapshot FROM coverage",
        "WITH queued AS (INSERT INTO outbox",
        "INSERT INTO audit_log (actor, role, action, subject_id, details)",
    ], statements
    # Each participant's events as one at a time gives them (a key's order is all Kafka keeps); the
    # rest alike.
    events = as_a_set.pop("events")
    assert per_participant(events) == per_participant(one_at_a_time.pop("events"))
    assert as_a_set == one_at_a_time
    # C's replay changed nothing; B died twice, each death with its own final coverage. The details
    # changes come before the coverage changes, so that their readers apply each kind as one run;
    # B's second death's pair after every first one.
    assert [(kind, payload["participant_id"]) for kind, payload in events] == [
        ("ParticipantDetailsChanged", "A"),
        ("ParticipantDetailsChanged", "B"),
        ("CoverageChanged", "A"),
        ("CoverageChanged", "B"),
        ("ParticipantDetailsChanged", "B"),
        ("CoverageChanged", "B"),
    ]
    b_first, b_second = (payload for kind, payload in per_participant(events)["B"] if kind == "CoverageChanged")
    # 10 August: June to August paid (September's money counts for no month after the death's),
    # August active through its end, grace through October, protection cut at the death.
    assert b_first == {
        "participant_id": "B",
        "status": "active",
        "as_of": "2026-08-10",
        "last_paid_period": "2026-08",
        "active_through": "2026-08-31",
        "grace_until": "2026-10-31",
        "lapsed_from": "2026-11-01",
        "paid_months": 3,
        "paid_periods": ["2026-06", "2026-07", "2026-08"],
        "protected_periods": [{"start": "2026-06-05", "end": "2026-08-10"}],
    }
    assert b_second == {
        "participant_id": "B",
        "status": "active",
        "as_of": "2026-09-25",
        "last_paid_period": "2026-09",
        "active_through": "2026-09-30",
        "grace_until": "2026-11-30",
        "lapsed_from": "2026-12-01",
        "paid_months": 4,
        "paid_periods": ["2026-06", "2026-07", "2026-08", "2026-09"],
        "protected_periods": [{"start": "2026-06-05", "end": "2026-09-25"}],
    }
    assert [(p["participant_id"], p["deceased_on"], p["death_claim_id"]) for p in as_a_set["people"]] == [
        ("A", "2026-09-20", "CL-A"),
        ("B", "2026-09-25", "CL-B-2"),
        ("C", "2026-09-01", "CL-C"),
    ]
    assert [(c["participant_id"], c["as_of"], c["snapshot"]["protected_periods"]) for c in as_a_set["coverage"]] == [
        ("A", "2026-09-20", [{"start": "2026-06-05", "end": "2026-09-20"}]),
        ("B", "2026-09-25", [{"start": "2026-06-05", "end": "2026-09-25"}]),
        ("C", "2026-09-01", [{"start": "2026-06-05", "end": "2026-09-01"}]),
    ]
    assert [(a["subject_id"], a["details"]["deceased_on"], a["details"]["previous"]) for a in as_a_set["audit"]] == [
        ("A", "2026-09-20", None),
        ("B", "2026-08-10", None),
        ("B", "2026-09-25", "2026-08-10"),
    ]


async def test_a_death_of_an_unknown_participant_is_poison_alone_or_in_a_batch(pool):
    async with pool.acquire() as conn:
        participant_id, _ = await enrolled_and_paid(conn)
        known = confirmed("CL-known", participant_id, date(2026, 9, 20))
        stranger = confirmed("CL-stranger", "P-nobody", date(2026, 9, 20))
        with pytest.raises(PoisonMessage, match="P-nobody"):
            async with conn.transaction():
                await handlers.on_death_confirmed.together(conn, [known, stranger])
        with pytest.raises(PoisonMessage, match="P-nobody"):
            async with conn.transaction():
                await handlers.on_death_confirmed(conn, stranger.envelope, stranger.payload)
        # The batch was rolled back whole: the known participant is not dead, nothing was announced.
        died = await conn.fetchval("SELECT deceased_on FROM participants WHERE participant_id = $1", participant_id)
        assert died is None
        assert await queued(conn) == []
