"""Enrollment's HTTP contract on real PostgreSQL and Kafka, events read back from the topic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.enrollment import api as enrollment_api
from services.enrollment.app import build_spec
from services.enrollment.settings import EnrollmentSettings
from shared.envelope import read_envelope
from shared.topics import PARTICIPANTS
from tests.support.kafka_tools import read_all, wait_until
from tests.support.services import auth, infra_settings, participant_form, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def enrollment(kafka_bootstrap, database_url):
    settings = EnrollmentSettings(
        infra=infra_settings(kafka_bootstrap, database_url), outbox_poll_seconds=0.2, coverage_sweep_seconds=0
    )
    async with running(build_spec(settings)) as client:
        yield client


async def events_about(bootstrap: str, participant_id: str, count: int) -> list:
    found: list = []

    async def arrived() -> bool:
        nonlocal found
        records = await read_all(bootstrap, PARTICIPANTS.name)
        found = [read_envelope(r.value) for r in records if r.key == participant_id.encode()]
        return len(found) >= count

    await wait_until(arrived, 30, f"{count} events about {participant_id}")
    return found


async def test_register_answers_201_with_masked_nik_and_announces_enrolment(enrollment, kafka_bootstrap):
    form = participant_form()
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    participant_id = body["participant_id"]
    assert body["nik_masked"] == form["nik"][:4] + "*" * 12
    assert form["nik"] not in answer.text
    assert body["phone"] == "+6281242001234"
    assert body["coverage"]["status"] == "not_started"
    assert [h["precedence"] for h in body["heirs"]] == [1, 1]

    events = await events_about(kafka_bootstrap, participant_id, 2)
    assert [e.type for e in events] == ["ParticipantEnrolled", "CoverageChanged"]
    enrolled = events[0]
    assert enrolled.correlation_id == participant_id and enrolled.producer == "enrollment"
    assert enrolled.payload["details"]["masked_nik"] == body["nik_masked"]
    assert form["nik"] not in enrolled.model_dump_json()


async def test_every_bad_field_is_named_and_nothing_is_written(enrollment):
    form = participant_form(
        sex="M",
        kecamatan="Gowa",
        monthly_income=500_000,
        phone="12345",
        programs=["JKK"],
        heirs=[{"full_name": "X", "relationship": "cousin"}],
    )
    form["nik"] = form["nik"][:6] + "45" + form["nik"][8:]  # a woman's day in a man's NIK
    answer = await enrollment.post("/v1/participants", json=form)
    assert answer.status_code == 422
    failures = {(tuple(e["loc"]), e["type"]) for e in answer.json()["errors"]}
    assert (("body", "kecamatan"), "kecamatan_unknown") in failures
    assert (("body", "monthly_income"), "income_out_of_range") in failures
    assert (("body", "phone"), "phone_invalid") in failures
    assert (("body", "programs"), "programs_jkk_jkm_required") in failures
    assert (("body", "heirs", 0, "relationship"), "heir_relationship_unknown") in failures
    assert any(loc == ("body", "nik") for loc, _ in failures)
    pool = enrollment.app.state.runtime.pool
    assert await pool.fetchval("SELECT count(*) FROM participants WHERE nik = $1", form["nik"]) == 0


async def test_schema_errors_name_the_field(enrollment):
    answer = await enrollment.post("/v1/participants", json={**participant_form(), "birth_date": "not a date"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "birth_date"]


async def test_second_registration_of_a_nik_is_refused_with_a_pointer(enrollment):
    form = participant_form()
    first = await enrollment.post("/v1/participants", json=form)
    again = await enrollment.post("/v1/participants", json={**form, "full_name": "Someone Else"})
    assert again.status_code == 409
    assert again.json()["existing_id"] == first.json()["participant_id"]
    assert again.json()["code"] == "nik_already_registered"


async def test_requests_without_a_token_or_with_the_wrong_role_are_refused(enrollment):
    anonymous = await enrollment.post("/v1/participants", json=participant_form(), headers={"Authorization": ""})
    assert anonymous.status_code == 401
    operator = await enrollment.post("/v1/participants", json=participant_form(), headers=auth("operator"))
    assert operator.status_code == 403
    assert (await enrollment.get("/health", headers={"Authorization": ""})).json()["status"] == "ready"
    assert (await enrollment.get("/metrics", headers={"Authorization": ""})).status_code == 200


async def test_a_partial_contribution_is_recorded_and_the_month_covers_once_complete(enrollment, kafka_bootstrap):
    participant_id = (await enrollment.post("/v1/participants", json=participant_form())).json()["participant_id"]
    this_month = date.today().strftime("%Y-%m")
    next_month = (date.today().replace(day=28) + timedelta(days=7)).strftime("%Y-%m")
    # City-paid: no PP 50/2025 discount. 1 % of Rp 2,000,000 (JKK) + Rp 6,800 (JKM) = 26,800.
    part = await enrollment.post(
        f"/v1/participants/{participant_id}/contributions", json={"period": this_month, "amount": 1000, "payer": "city"}
    )
    assert part.status_code == 201, part.text
    assert part.json()["month"] | {"completed_on": None} == {
        "period": this_month,
        "due": 20_000 + 6_800,
        "paid": 1000,
        "credit_in": 0,
        "credit_out": 0,
        "outstanding": 26_800 - 1000,
        "status": "partial",
        "completed_on": None,
    }
    assert part.json()["coverage"]["status"] == "not_started"
    rest = await enrollment.post(
        f"/v1/participants/{participant_id}/contributions",
        json={"period": this_month, "amount": 26_800 - 1000, "payer": "city"},
    )
    assert rest.status_code == 201, rest.text
    assert (rest.json()["month"]["status"], rest.json()["month"]["paid"]) == ("complete", 26_800)
    assert rest.json()["coverage"]["status"] == "active"
    again = await enrollment.post(
        f"/v1/participants/{participant_id}/contributions",
        json={"period": this_month, "amount": 26_800, "payer": "city"},
    )
    assert again.status_code == 409
    bad = await enrollment.post(
        f"/v1/participants/{participant_id}/contributions", json={"period": next_month, "amount": 0, "payer": "city"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "amount"]
    events = await events_about(kafka_bootstrap, participant_id, 5)
    assert [e.type for e in events] == [
        "ParticipantEnrolled",
        "CoverageChanged",
        "ContributionRecorded",
        "ContributionRecorded",
        "CoverageChanged",
    ]
    assert [(e.payload["amount"], e.payload["amount_due"], e.payload["status"]) for e in events[2:4]] == [
        (1000, 26_800, "partial"),
        (25_800, 26_800, "complete"),
    ]
    assert events[4].payload["status"] == "active"
    assert events[4].payload["paid_periods"] == [this_month]


async def test_coverage_moves_active_grace_lapsed_as_months_pass(enrollment, kafka_bootstrap, monkeypatch):
    # The scenario's calendar: 15 November 2026 in Makassar, September paid, so in grace. Coverage is
    # worked out on the day a contribution is recorded; from 1 December on the real calendar it is
    # lapsed at once, and the January sweep below would have nothing to move.
    monkeypatch.setattr(enrollment_api, "today", lambda: date(2026, 11, 15))
    participant_id = (
        await enrollment.post("/v1/participants", json=participant_form(member_since="2026-01-10"))
    ).json()["participant_id"]
    paid = await enrollment.post(
        f"/v1/participants/{participant_id}/contributions",
        json={"period": "2026-09", "amount": 13_400, "payer": "self", "paid_at": "2026-09-05"},
    )
    assert paid.status_code == 201, paid.text
    statuses = {}
    for day in ("2026-09-30", "2026-10-01", "2026-11-30", "2026-12-01"):
        coverage = await enrollment.get(f"/v1/participants/{participant_id}/coverage", params={"as_of": day})
        statuses[day] = coverage.json()["status"]
    assert statuses == {"2026-09-30": "active", "2026-10-01": "grace", "2026-11-30": "grace", "2026-12-01": "lapsed"}

    swept = await enrollment.post("/v1/coverage/sweep", params={"as_of": "2027-01-15"}, headers=auth("supervisor"))
    assert swept.status_code == 200 and swept.json()["changed"] >= 1
    events = await events_about(kafka_bootstrap, participant_id, 5)
    assert events[-1].type == "CoverageChanged" and events[-1].payload["status"] == "lapsed"
    again = await enrollment.post("/v1/coverage/sweep", params={"as_of": "2027-01-15"}, headers=auth("supervisor"))
    assert again.status_code == 200
    assert len(await events_about(kafka_bootstrap, participant_id, 5)) == 5, "no change, no second event"


async def test_details_and_heirs_changes_are_validated_announced_and_audited(enrollment, kafka_bootstrap):
    participant_id = (await enrollment.post("/v1/participants", json=participant_form())).json()["participant_id"]
    refused = await enrollment.patch(f"/v1/participants/{participant_id}", json={"nik": "7371030101900001"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["type"] == "field_immutable"
    changed = await enrollment.patch(f"/v1/participants/{participant_id}", json={"kecamatan": "Mariso"})
    assert changed.status_code == 200 and changed.json()["kecamatan"] == "Mariso"
    heirs = await enrollment.put(
        f"/v1/participants/{participant_id}/heirs",
        json=[{"full_name": "Daeng Ngai", "relationship": "parent", "phone": "081355550000"}],
    )
    assert heirs.status_code == 200
    assert heirs.json()["heirs"][0]["precedence"] == 2
    bad_heirs = await enrollment.put(
        f"/v1/participants/{participant_id}/heirs",
        json=[{"full_name": "Not Born Yet", "relationship": "child", "birth_date": "2999-01-01"}],
    )
    assert bad_heirs.status_code == 422
    assert bad_heirs.json()["errors"][0]["loc"] == ["body", 0, "birth_date"]
    events = await events_about(kafka_bootstrap, participant_id, 4)
    assert [e.type for e in events][2:] == ["ParticipantDetailsChanged", "HeirsChanged"]
    pool = enrollment.app.state.runtime.pool
    actions = [
        r["action"]
        for r in await pool.fetch("SELECT action FROM audit_log WHERE subject_id = $1 ORDER BY id", participant_id)
    ]
    assert actions == ["participant.register", "participant.change_details", "participant.replace_heirs"]


async def test_a_participant_is_found_by_full_nik_or_by_phone_in_a_post_body_and_shown_masked(enrollment):
    from tests.support.claimants import unique_name
    from tests.support.services import random_nik

    birth = date(1988, 2, 14)
    nik = random_nik(birth, "M")
    phone = "0813" + nik[-8:]  # unique enough per run: the NIK's serial digits
    created = await enrollment.post(
        "/v1/participants",
        json=participant_form(nik=nik, birth_date=birth, sex="M", full_name=unique_name("Daeng Sikki"), phone=phone),
    )
    assert created.status_code == 201, created.text
    participant_id = created.json()["participant_id"]

    for body in ({"nik": nik}, {"phone": phone}, {"phone": "+62 " + phone[1:]}):
        found = await enrollment.post("/v1/participants/lookup", json=body)
        assert found.status_code == 200, found.text
        assert [p["participant_id"] for p in found.json()] == [participant_id]
        assert nik not in found.text and found.json()[0]["nik_masked"] == nik[:4] + "*" * 12
    refused = await enrollment.post("/v1/participants/lookup", json={"nik": nik[:12]})
    assert refused.status_code == 422 and [e["type"] for e in refused.json()["errors"]] == ["nik_format"]
