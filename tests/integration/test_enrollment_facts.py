"""Enrollment's second round on real PostgreSQL and Kafka: heirs without a contact, dated
income, payments that are not the exact amount, deaths and heirs learnt from claims, and
what the topic gives away about a NIK."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from shared.contracts.claims import DeathConfirmed, HeirsNamedOnClaim
from shared.contracts.enrollment import HeirData
from shared.envelope import new_envelope
from shared.kafka import EventProducer, OutgoingRecord
from shared.topics import CLAIM_DECISIONS, PARTICIPANTS
from tests.integration.test_enrollment_api import enrollment, events_about  # noqa: F401 - fixture
from tests.support.city_lists import csv_bytes
from tests.support.kafka_tools import group_caught_up, read_all, wait_until
from tests.support.services import auth, participant_form

pytestmark = pytest.mark.integration


@pytest.fixture
async def claims_producer(kafka_bootstrap):
    producer = EventProducer(kafka_bootstrap, client_id=f"test-claims-{uuid.uuid4().hex[:6]}")
    await producer.start()
    yield producer
    await producer.stop()


def from_claims(payload, claim_id: str) -> OutgoingRecord:
    envelope = new_envelope(payload, correlation_id=claim_id, producer="claims")
    return OutgoingRecord(CLAIM_DECISIONS.name, claim_id, envelope.to_bytes(), envelope.kafka_headers())


async def register(enrollment, **overrides) -> str:
    answer = await enrollment.post("/v1/participants", json=participant_form(**overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()["participant_id"]


async def pay(enrollment, participant_id: str, period: str, amount: int, paid_at: str, payer: str = "self"):
    return await enrollment.post(
        f"/v1/participants/{participant_id}/contributions",
        json={"period": period, "amount": amount, "payer": payer, "paid_at": paid_at},
    )


# --- 1. heirs with no phone and no email --------------------------------------------------------


async def test_an_heir_with_no_phone_and_no_email_is_recorded_with_a_birth_date(enrollment, kafka_bootstrap):
    participant_id = await register(
        enrollment,
        heirs=[
            {"full_name": "Daeng Ngai", "relationship": "parent", "birth_date": "1950-02-01"},
            {"full_name": "Andi Baso", "relationship": "spouse", "phone": "081342001111"},
        ],
    )
    view = (await enrollment.get(f"/v1/participants/{participant_id}")).json()
    assert [(h["full_name"], h["phone"], h["email"], h["birth_date"]) for h in view["heirs"]] == [
        ("Daeng Ngai", None, None, "1950-02-01"),
        ("Andi Baso", "+6281342001111", None, None),
    ]

    replaced = await enrollment.put(
        f"/v1/participants/{participant_id}/heirs",
        json=[{"full_name": "Nurul Aisyah", "relationship": "child", "birth_date": "2018-04-09"}],
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["heirs"][0] | {"heir_id": None} == {
        "heir_id": None,
        "full_name": "Nurul Aisyah",
        "relationship": "child",
        "precedence": 1,
        "phone": None,
        "email": None,
        "language": "id",
        "birth_date": "2018-04-09",
    }

    events = await events_about(kafka_bootstrap, participant_id, 3)
    enrolled = next(e for e in events if e.type == "ParticipantEnrolled")
    assert enrolled.payload["heirs"][0]["birth_date"] == "1950-02-01"
    assert enrolled.payload["heirs"][0]["phone"] is None and enrolled.payload["heirs"][0]["email"] is None
    changed = next(e for e in events if e.type == "HeirsChanged")
    assert changed.payload["heirs"][0]["birth_date"] == "2018-04-09"


async def test_an_heir_born_in_the_future_or_before_1900_is_refused_and_nothing_is_written(enrollment):
    form = participant_form(heirs=[{"full_name": "Nenek", "relationship": "grandparent", "birth_date": "1899-12-31"}])
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 422
    assert [(e["loc"], e["type"]) for e in answer.json()["errors"]] == [
        (["body", "heirs", 0, "birth_date"], "birth_date_before_1900")
    ]
    pool = enrollment.app.state.runtime.pool
    assert await pool.fetchval("SELECT count(*) FROM participants WHERE nik = $1", form["nik"]) == 0


async def test_an_imported_heir_with_no_contact_is_enrolled_with_a_birth_date(enrollment):
    form = participant_form()
    row = {
        **{k: str(v) for k, v in form.items() if k not in ("heirs", "programs")},
        "programs": "JKK;JKM",
        "heir1_name": "Daeng Ngai",
        "heir1_relationship": "parent",
        "heir1_birth_date": "1950-02-01",
    }
    started = await enrollment.post(
        "/v1/imports",
        content=csv_bytes([row]),
        params={"filename": "one.csv"},
        headers={**auth(), "content-type": "text/csv"},
    )
    assert started.status_code == 202, started.text
    import_id = started.json()["import_id"]

    async def finished() -> bool:
        return (await enrollment.get(f"/v1/imports/{import_id}")).json()["status"] == "finished"

    await wait_until(finished, 30, "the import to finish")
    report = (await enrollment.get(f"/v1/imports/{import_id}")).json()
    assert (report["rows_enrolled"], report["rejections"]) == (1, [])
    pool = enrollment.app.state.runtime.pool
    heir = await pool.fetchrow(
        "SELECT h.phone, h.email, h.birth_date FROM heirs h JOIN participants p "
        "USING (participant_id) WHERE p.nik = $1",
        form["nik"],
    )
    assert dict(heir) == {"phone": None, "email": None, "birth_date": date(1950, 2, 1)}
    income = await pool.fetch(
        "SELECT i.effective_from, i.monthly_income FROM income_history i "
        "JOIN participants p USING (participant_id) WHERE p.nik = $1",
        form["nik"],
    )
    assert [tuple(r) for r in income] == [(date.today().strftime("%Y-%m"), 2_000_000)]


# --- 2. declared income, dated --------------------------------------------------------------------


async def test_an_income_change_takes_effect_from_its_month_and_dues_follow_it(enrollment, kafka_bootstrap):
    participant_id = await register(enrollment, member_since="2026-06-01", monthly_income=2_000_000)
    changed = await enrollment.patch(
        f"/v1/participants/{participant_id}", json={"monthly_income": 3_000_000, "income_effective_from": "2026-08"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["income_history"] == [
        {"effective_from": "2026-06", "monthly_income": 2_000_000},
        {"effective_from": "2026-08", "monthly_income": 3_000_000},
    ]
    assert changed.json()["monthly_income"] == 3_000_000

    # A self-paid market trader, PP 50/2025 halves JKK+JKM April-December 2026:
    # July on Rp 2,000,000: (20,000 + 6,800) / 2 = 13,400; August on Rp 3,000,000: (30,000 + 6,800) / 2 = 18,400.
    july = await pay(enrollment, participant_id, "2026-07", 13_400, "2026-07-03")
    august = await pay(enrollment, participant_id, "2026-08", 18_400, "2026-08-03")
    assert (july.json()["month"]["due"], july.json()["month"]["status"]) == (13_400, "complete")
    assert (august.json()["month"]["due"], august.json()["month"]["status"]) == (18_400, "complete")

    events = await events_about(kafka_bootstrap, participant_id, 3)
    details = next(e for e in events if e.type == "ParticipantDetailsChanged").payload["details"]
    assert details["income_history"] == [
        {"effective_from": "2026-06", "monthly_income": 2_000_000},
        {"effective_from": "2026-08", "monthly_income": 3_000_000},
    ]


async def test_an_income_change_dated_before_membership_is_refused_and_nothing_is_written(enrollment):
    participant_id = await register(enrollment, member_since="2026-06-01", monthly_income=2_000_000)
    refused = await enrollment.patch(
        f"/v1/participants/{participant_id}", json={"monthly_income": 3_000_000, "income_effective_from": "2026-05"}
    )
    assert refused.status_code == 422
    assert [(e["loc"], e["type"]) for e in refused.json()["errors"]] == [
        (["body", "income_effective_from"], "income_before_membership")
    ]
    view = (await enrollment.get(f"/v1/participants/{participant_id}")).json()
    assert (view["monthly_income"], view["income_history"]) == (
        2_000_000,
        [{"effective_from": "2026-06", "monthly_income": 2_000_000}],
    )


# --- 3 and 6. paid months, payments that are not the exact amount ---------------------------------


async def test_an_undiscounted_payment_is_recorded_and_its_excess_pays_the_next_month(enrollment, kafka_bootstrap):
    participant_id = await register(enrollment, member_since="2026-10-01", monthly_income=1_000_000)
    # Owed for November 2026: (10,000 + 6,800) / 2 = 8,400 under PP 50/2025; paid the full 16,800.
    paid = await pay(enrollment, participant_id, "2026-11", 16_800, "2026-11-02")
    assert paid.status_code == 201, paid.text
    assert paid.json()["month"]["credit_out"] == 16_800 - 8_400
    listed = (await enrollment.get(f"/v1/participants/{participant_id}/contributions")).json()
    assert [
        (m["period"], m["due"], m["paid"], m["credit_in"], m["credit_out"], m["status"]) for m in listed["months"]
    ] == [
        ("2026-11", 8_400, 16_800, 0, 8_400, "complete"),
        ("2026-12", 8_400, 0, 8_400, 0, "complete"),
    ]
    assert paid.json()["coverage"]["paid_periods"] == ["2026-11", "2026-12"]
    december = await pay(enrollment, participant_id, "2026-12", 8_400, "2026-11-02")
    assert december.status_code == 409  # already paid by the credit

    events = await events_about(kafka_bootstrap, participant_id, 4)
    recorded = next(e for e in events if e.type == "ContributionRecorded").payload
    assert (recorded["amount"], recorded["amount_due"], recorded["status"], recorded["credit"]) == (
        16_800,
        8_400,
        "complete",
        8_400,
    )
    assert events[-1].type == "CoverageChanged"
    assert events[-1].payload["paid_periods"] == ["2026-11", "2026-12"]


# --- 4. a death ends membership ---------------------------------------------------------------------


async def test_a_confirmed_death_ends_membership(enrollment, kafka_bootstrap, claims_producer):
    participant_id = await register(enrollment, member_since="2026-06-01", monthly_income=2_000_000)
    for month in ("06", "07", "08", "09"):  # (20,000 + 6,800) / 2 = 13,400 each, paid ahead on 5 June
        assert (await pay(enrollment, participant_id, f"2026-{month}", 13_400, "2026-06-05")).status_code == 201
    before = (await enrollment.get("/v1/campaign")).json()

    death = from_claims(
        DeathConfirmed(
            claim_id=f"CL-{participant_id}",
            participant_id=participant_id,
            claim_type="JKM",
            date_of_death=date(2026, 9, 20),
        ),
        f"CL-{participant_id}",
    )
    await claims_producer.send_all([death])

    async def deceased() -> bool:
        view = (await enrollment.get(f"/v1/participants/{participant_id}")).json()
        return view["deceased_on"] == "2026-09-20"

    await wait_until(deceased, 60, "enrollment to learn of the death")
    view = (await enrollment.get(f"/v1/participants/{participant_id}")).json()
    assert view["coverage"]["protected_periods"] == [{"start": "2026-06-05", "end": "2026-09-20"}]
    assert view["coverage"]["paid_periods"] == ["2026-06", "2026-07", "2026-08", "2026-09"]

    after_death = await pay(enrollment, participant_id, "2026-10", 13_400, "2026-10-05")
    assert after_death.status_code == 422
    assert [(e["loc"], e["type"]) for e in after_death.json()["errors"]] == [(["body", "period"], "period_after_death")]

    after = (await enrollment.get("/v1/campaign")).json()
    assert after["deceased"] == before["deceased"] + 1
    # Paid through September, the participant was in grace today (29 November 2026 is in Nov = Sep + 2).
    assert (
        sum(after[k] for k in ("active", "grace", "lapsed", "not_started"))
        == sum(before[k] for k in ("active", "grace", "lapsed", "not_started")) - 1
    )

    # The same death again (a replay) and the sweep months later change nothing.
    await claims_producer.send_all([death])
    swept = await enrollment.post("/v1/coverage/sweep", params={"as_of": "2027-06-01"}, headers=auth("supervisor"))
    assert swept.status_code == 200
    # A change that must follow on the topic, so the relay has flushed whatever came before it.
    await enrollment.patch(f"/v1/participants/{participant_id}", json={"address": "Jl. Veteran 1"})

    async def replay_read() -> bool:
        return await group_caught_up(kafka_bootstrap, "enrollment.claim_decisions", CLAIM_DECISIONS.name)

    await wait_until(replay_read, 30, "enrollment.claim_decisions to read the replay")
    # Enrolled + not started (2), four payments each moving coverage on (8), the death with its
    # final coverage (2), the address change (1).
    events = await events_about(kafka_bootstrap, participant_id, 2 + 8 + 2 + 1)
    kinds = [e.type for e in events]
    deceased_events = [
        e
        for e in events
        if e.type == "ParticipantDetailsChanged" and e.payload["details"]["deceased_on"] == "2026-09-20"
    ]
    assert len(deceased_events) == 2, kinds  # the death once, then the address change
    death_at = kinds.index("ParticipantDetailsChanged")
    assert kinds[death_at:] == ["ParticipantDetailsChanged", "CoverageChanged", "ParticipantDetailsChanged"], kinds
    assert events[death_at + 1].payload["protected_periods"] == [{"start": "2026-06-05", "end": "2026-09-20"}]


# --- 5. heirs named on a claim ------------------------------------------------------------------------


async def test_heirs_named_on_a_claim_join_the_participants_heirs_once(enrollment, kafka_bootstrap, claims_producer):
    participant_id = await register(enrollment)  # two heirs of its own
    claim_id = f"CL-{participant_id}"
    named = [
        HeirData(
            heir_id=f"H-{claim_id}-1",
            full_name="Muh. Ilham",
            relationship="child",
            precedence=7,
            birth_date=date(2012, 5, 1),
        ),
        HeirData(heir_id=f"H-{claim_id}-2", full_name="Hj. Sitti", relationship="parent", precedence=1),
    ]
    event = HeirsNamedOnClaim(claim_id=claim_id, participant_id=participant_id, heirs=named, named_by="rina.reviewer")
    await claims_producer.send_all([from_claims(event, claim_id)])

    async def four_heirs() -> bool:
        return len((await enrollment.get(f"/v1/participants/{participant_id}")).json()["heirs"]) == 4

    await wait_until(four_heirs, 60, "the named heirs to be added")
    # Named again (a second event, the same ids): nothing is added twice.
    await claims_producer.send_all([from_claims(event, claim_id)])

    async def caught_up() -> bool:
        return await group_caught_up(kafka_bootstrap, "enrollment.claim_decisions", CLAIM_DECISIONS.name)

    await wait_until(caught_up, 30, "enrollment.claim_decisions to read the second event")
    heirs = (await enrollment.get(f"/v1/participants/{participant_id}")).json()["heirs"]
    assert [(h["heir_id"], h["precedence"], h["phone"], h["birth_date"]) for h in heirs[2:]] == [
        (f"H-{claim_id}-1", 1, None, "2012-05-01"),  # a child is rank 1 whatever the event said
        (f"H-{claim_id}-2", 2, None, None),
    ]
    events = await events_about(kafka_bootstrap, participant_id, 3)
    assert [e.type for e in events].count("HeirsChanged") == 1
    assert [h["heir_id"] for h in events[-1].payload["heirs"]][2:] == [f"H-{claim_id}-1", f"H-{claim_id}-2"]


# --- 7. what the topic gives away about a NIK ---------------------------------------------------------


async def test_everything_published_about_a_participant_leaves_at_least_ten_thousand_possible_niks(
    enrollment, kafka_bootstrap
):
    form = participant_form(member_since="2026-06-01")
    nik = form["nik"]
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 201, answer.text
    participant_id = answer.json()["participant_id"]
    await pay(enrollment, participant_id, "2026-11", 13_400, "2026-11-02")
    await enrollment.patch(f"/v1/participants/{participant_id}", json={"monthly_income": 2_500_000})
    await enrollment.put(
        f"/v1/participants/{participant_id}/heirs", json=[{"full_name": "Andi Baso", "relationship": "spouse"}]
    )
    events = await events_about(kafka_bootstrap, participant_id, 6)
    raw = [r.value for r in await read_all(kafka_bootstrap, PARTICIPANTS.name) if r.key == participant_id.encode()]

    # What a reader of the topic knows about each of the 16 digits.
    known: dict[int, str] = {}
    for event in events:
        details = event.payload.get("details")
        if details is None:
            continue
        for position, char in enumerate(details["masked_nik"]):
            if char.isdigit():
                known[position] = char
        # Birth date and sex travel beside the mask: they give digits 7-12 (DDMMYY, day + 40 for women).
        born = date.fromisoformat(details["birth_date"])
        day = born.day + (40 if details["sex"] == "F" else 0)
        for position, char in enumerate(f"{day:02d}{born.month:02d}{born.year % 100:02d}", start=6):
            known[position] = char
    assert all(nik[p] == d for p, d in known.items())  # what is known is right
    hidden = [p for p in range(16) if p not in known]
    assert hidden == [4, 5, 12, 13, 14, 15]  # the district code and the serial
    # District codes 01-99 (00 is not a district) x serials 0001-9999.
    candidates = (10**2 - 1) * (10**4 - 1)
    assert candidates == 989_901 and candidates >= 10_000
    # Nothing else on the topic carries the hidden digits.
    assert not any(nik.encode() in value or nik[4:].encode() in value for value in raw)


# --- 8. likely duplicate people -------------------------------------------------------------------------


async def test_a_likely_duplicate_person_is_flagged_for_an_officer_not_refused(enrollment):
    first = participant_form(full_name="Muhammad Ilham Daeng Ngai", sex="M", kecamatan="Tallo")
    again = participant_form(
        full_name="Muh. Ilham Dg. Ngai", sex="M", kecamatan="tallo", birth_date=date.fromisoformat(first["birth_date"])
    )
    assert again["nik"] != first["nik"]  # another NIK: the NIK check alone would not see it
    first_id = await register(enrollment, **{**first, "birth_date": date.fromisoformat(first["birth_date"])})
    answer = await enrollment.post("/v1/participants", json=again)
    assert answer.status_code == 201, answer.text  # never refused automatically
    again_id = answer.json()["participant_id"]
    [flag_id] = answer.json()["open_duplicate_flags"]

    listed = await enrollment.get("/v1/duplicates")
    assert listed.status_code == 200
    [flag] = [d for d in listed.json()["duplicates"] if d["candidate_id"] == flag_id]
    assert (flag["participant"]["participant_id"], flag["duplicate_of"]["participant_id"]) == (again_id, first_id)
    assert flag["reasons"] == ["birth_date", "name", "kecamatan", "address"]
    assert flag["participant"]["nik_masked"] == again["nik"][:4] + "*" * 12
    assert first["nik"] not in listed.text and again["nik"] not in listed.text

    unexplained = await enrollment.post(f"/v1/duplicates/{flag_id}/dismiss", json={})
    assert unexplained.status_code == 422 and unexplained.json()["errors"][0]["loc"] == ["body", "reason"]
    merged = await enrollment.post(f"/v1/duplicates/{flag_id}/merge", json={"reason": "same KK, same person"})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["status"], merged.json()["decided_by"]) == ("merged", "test-officer")
    view = (await enrollment.get(f"/v1/participants/{again_id}")).json()
    assert (view["duplicate_of"], view["open_duplicate_flags"]) == (first_id, [])
    twice = await enrollment.post(f"/v1/duplicates/{flag_id}/dismiss", json={"reason": "changed my mind"})
    assert twice.status_code == 409
    assert (await enrollment.post("/v1/duplicates/DUP-none/merge", json={})).status_code == 404
    operator = await enrollment.post(f"/v1/duplicates/{flag_id}/merge", json={}, headers=auth("operator"))
    assert operator.status_code == 403


async def test_an_imported_row_that_is_a_registered_person_again_is_flagged(enrollment):
    first = participant_form(full_name="Hj. Sitti Fatimah Rachman", kecamatan="Wajo")
    first_id = (await enrollment.post("/v1/participants", json=first)).json()["participant_id"]
    row = {
        **{
            k: str(v)
            for k, v in participant_form(birth_date=date.fromisoformat(first["birth_date"])).items()
            if k not in ("heirs", "programs")
        },
        "full_name": "SITI FATIMA RAHMAN",
        "kecamatan": "Wajo",
        "programs": "JKK;JKM",
    }
    started = await enrollment.post(
        "/v1/imports",
        content=csv_bytes([row]),
        params={"filename": "again.csv"},
        headers={**auth(), "content-type": "text/csv"},
    )
    import_id = started.json()["import_id"]

    async def finished() -> bool:
        return (await enrollment.get(f"/v1/imports/{import_id}")).json()["status"] == "finished"

    await wait_until(finished, 30, "the import to finish")
    assert (await enrollment.get(f"/v1/imports/{import_id}")).json()["rows_enrolled"] == 1
    flags = (await enrollment.get("/v1/duplicates")).json()["duplicates"]
    [flag] = [d for d in flags if d["duplicate_of"]["participant_id"] == first_id]
    assert flag["participant"]["full_name"] == "SITI FATIMA RAHMAN"
