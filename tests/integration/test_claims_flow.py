"""The claims service on real Kafka and PostgreSQL: filing, verification, officers' review and the
payout ledger, with enrollment in the same process supplying covered participants by its events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.claims.domain.dates import add_months
from services.enrollment.domain import Period
from shared.clock import today as makassar_today
from shared.topics import CLAIM_DECISIONS, PAYOUTS
from tests.support.claimants import (
    CHILD,
    JKK_DOCUMENTS,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    NPWP,
    POLICE_REPORT,
    SPOUSE,
    claim_form,
    claim_of,
    claims_knows,
    covered_participant,
    enrol,
    ledger_lines,
    pay,
    unique_name,
    wait_for_event,
    wait_for_status,
)
from tests.support.services import auth, enrollment_and_claims

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def services(kafka_bootstrap, database_url):
    """Enrollment and claims (every consumer, and the relay) in this process."""
    async with enrollment_and_claims(kafka_bootstrap, database_url) as both:
        yield both


@pytest.fixture
def enrollment(services):
    return services[0]


@pytest.fixture
def claims(services):
    return services[1]


@pytest.fixture
def today() -> date:
    # Makassar's calendar day, the one the services judge dates by (shared/clock.py).
    return makassar_today()


def a_year_before(day: date) -> date:
    return add_months(day, -12)


# --- 1. what an approved claim records ---------------------------------------------------------------


async def test_approved_jkm_claim_records_42_million_once(enrollment, claims, today, kafka_bootstrap):
    # Member for a year, this month paid: protected today; a death not from work.
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]

    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    # PP 82/2019: lump sum 20,000,000 + periodic benefit 12,000,000 + funeral 10,000,000
    # = 42,000,000, all to the widower, the only heir. 42,000,000 <= 50,000,000: no NPWP asked.
    assert ledger_lines(claim) == [
        ("funeral", "Muh. Ridwan", 10_000_000, "cash"),
        ("lump_sum", "Muh. Ridwan", 20_000_000, "cash"),
        ("periodic_benefit", "Muh. Ridwan", 12_000_000, "cash"),
    ]
    assert claim["payout"]["total_cash"] == 42_000_000
    assert claim["reasons"] == [] and claim["missing_documents"] == []
    assert claim["decided_by"] == "rules"

    recorded = await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "PayoutRecorded")
    assert len(recorded) == 1
    payload = recorded[0].payload
    assert payload["total_cash"] == 42_000_000
    assert sorted((x["component"], x["amount"]) for x in payload["components"]) == [
        ("funeral", 10_000_000),
        ("lump_sum", 20_000_000),
        ("periodic_benefit", 12_000_000),
    ]
    assert recorded[0].correlation_id == claim_id


async def test_approved_jkk_death_claim_records_48_times_income_funeral_and_periodic_benefit(
    enrollment, claims, today, kafka_bootstrap
):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE, CHILD], monthly_income=3_000_000
    )
    # JKK death: JKK's documents (chronology, two witnesses, medical report) plus JKM's death
    # documents, the marriage book (the widower is paid) and NPWP (166,000,000 > 50,000,000).
    # Not a traffic accident, so no police report.
    documents = {
        **{k: v for k, v in JKK_DOCUMENTS.items() if k != "ktp"},
        **JKM_DEATH_DOCUMENTS,
        **MARRIAGE_BOOK,
        **NPWP,
    }
    filed = await claims.post(
        "/v1/claims",
        json=claim_form(
            participant_id, "JKK_DEATH", today, documents, cause="fell from the scaffolding of Pasar Butung"
        ),
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]
    # Above the Rp 100,000,000 review threshold (fraud controls): a supervisor looks first.
    referred = await wait_for_status(claims, claim_id, "needs_review")
    assert [r["code"] for r in referred["reasons"]] == ["ABOVE_REVIEW_THRESHOLD"]
    approved = await claims.post(
        f"/v1/claims/{claim_id}/decision",
        headers=auth("supervisor"),
        json={"decision": "approve", "reason": "site report and witnesses agree"},
    )
    assert approved.status_code == 200, approved.text

    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    # Declared income 3,000,000: death benefit 48 x 3,000,000 = 144,000,000; funeral
    # 10,000,000; periodic benefit 12,000,000; cash 166,000,000, shared equally by the two
    # first-rank heirs (widower and daughter): 72,000,000 + 5,000,000 + 6,000,000 = 83,000,000 each.
    # The daughter's scholarship is an entitlement paid year by year, no cash now: at most
    # 2 x 1.5M + 6 x 1.5M + 3 x 2M + 3 x 3M + 5 x 12M = 87,000,000 (PP 82/2019).
    assert ledger_lines(claim) == [
        ("death_benefit", "Aisyah Putri", 72_000_000, "cash"),
        ("death_benefit", "Muh. Ridwan", 72_000_000, "cash"),
        ("funeral", "Aisyah Putri", 5_000_000, "cash"),
        ("funeral", "Muh. Ridwan", 5_000_000, "cash"),
        ("periodic_benefit", "Aisyah Putri", 6_000_000, "cash"),
        ("periodic_benefit", "Muh. Ridwan", 6_000_000, "cash"),
        ("scholarship", "Aisyah Putri", 87_000_000, "entitlement"),
    ]
    assert claim["payout"]["total_cash"] == 166_000_000

    recorded = await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "PayoutRecorded")
    assert len(recorded) == 1
    assert recorded[0].payload["total_cash"] == 166_000_000
    assert sorted(
        (x["component"], x["payee_name"], x["amount"], x["kind"]) for x in recorded[0].payload["components"]
    ) == ledger_lines(claim)


async def test_jkk_death_over_50_million_without_npwp_waits_for_it(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE], monthly_income=3_000_000
    )
    documents = {**{k: v for k, v in JKK_DOCUMENTS.items() if k != "ktp"}, **JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}
    filed = await claims.post("/v1/claims", json=claim_form(participant_id, "JKK_DEATH", today, documents))
    claim_id = filed.json()["claim_id"]

    claim = await wait_for_status(claims, claim_id, "needs_review")
    assert claim["missing_documents"] == ["npwp"]
    assert [r["code"] for r in claim["reasons"]] == ["DOCUMENTS_INCOMPLETE"]
    assert claim["payout"]["components"] == []


# --- 2. lapsed coverage -------------------------------------------------------------------------------


async def test_death_claim_for_lapsed_coverage_is_rejected(enrollment, claims, kafka_bootstrap):
    full_name = unique_name("Daeng Tompo")
    participant_id = await enrol(enrollment, full_name=full_name, member_since=date(2026, 1, 15), heirs=[SPOUSE])
    # May 2026 paid on 5 May: protected 2026-05-05 .. 2026-07-31 (the end of M+2), lapsed from August.
    await pay(enrollment, participant_id, Period(2026, 5), date(2026, 5, 5))
    await claims_knows(claims, participant_id, full_name, "lapsed")

    filed = await claims.post(
        "/v1/claims",
        json=claim_form(participant_id, "JKM", date(2026, 9, 10), {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}),
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]

    claim = await wait_for_status(claims, claim_id, "rejected")
    assert [r["code"] for r in claim["reasons"]] == ["NOT_COVERED_ON_INCIDENT_DATE"]
    assert "2026-07-31" in claim["reasons"][0]["message"]
    assert claim["decided_by"] == "rules"
    assert claim["payout"]["components"] == []

    rejected = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimRejected")
    assert len(rejected) == 1
    assert [r["code"] for r in rejected[0].payload["reasons"]] == ["NOT_COVERED_ON_INCIDENT_DATE"]
    assert rejected[0].payload["decided_by"] == "rules"


# --- 3. a traffic accident without its police report ---------------------------------------------------


async def test_traffic_accident_without_police_report_waits_and_its_arrival_runs_the_rules_again(
    enrollment, claims, today, kafka_bootstrap
):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE, CHILD]
    )
    filed = await claims.post(
        "/v1/claims",
        json=claim_form(
            participant_id,
            "JKK",
            today,
            JKK_DOCUMENTS,
            traffic_accident=True,
            incapacity_days=30,
            incident_place="Jl. Perintis Kemerdekaan, Tamalanrea",
            cause="motorbike hit by a truck on the way to deliver goods to Pasar Daya",
        ),
    )
    assert filed.status_code == 202, filed.text
    claim_id = filed.json()["claim_id"]

    claim = await wait_for_status(claims, claim_id, "needs_review")
    assert [r["code"] for r in claim["reasons"]] == ["POLICE_REPORT_MISSING"]
    assert claim["missing_documents"] == ["police_report"]
    assert claim["sla"] is None, "the payment deadline starts only when the documents are complete"
    # A supervisor cannot wave the regulation's documents through.
    refused = await claims.post(
        f"/v1/claims/{claim_id}/decision",
        json={"decision": "approve", "reason": "the accident is well known"},
        headers=auth("supervisor"),
    )
    assert refused.status_code == 422
    assert [e["type"] for e in refused.json()["errors"]] == ["documents_incomplete"]

    added = await claims.post(f"/v1/claims/{claim_id}/documents", json={"documents": POLICE_REPORT})
    assert added.status_code == 200, added.text
    assert added.json()["status"] == "approved"

    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    assert claim["missing_documents"] == [] and claim["reasons"] == []
    assert claim["sla"]["documents_complete_on"] == today.isoformat()
    # STMB: 100 % of the declared income for the first 12 months, per day on a 30-day month:
    # 2,000,000 x 30 / 30 = 2,000,000, paid to the injured worker, not to the heirs.
    worker = (await enrollment.get(f"/v1/participants/{participant_id}")).json()["full_name"]
    assert ledger_lines(claim) == [("temporary_incapacity", worker, 2_000_000, "cash")]
    # Disbursement's own steps (lines received, transfers) follow on their own time: not this test's.
    steps = [s["step"] for s in claim["steps"] if not s["step"].startswith(("disbursement_", "transfer_"))]
    assert steps == ["filed", "verified", "documents_added", "verified", "payout_recorded"]

    decisions = [
        e.type for e in (await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimApproved"))
    ]
    assert decisions == ["ClaimApproved"]
    referred = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimReferredForReview")
    assert [r["code"] for r in referred[0].payload["reasons"]] == ["POLICE_REPORT_MISSING"]


# --- 4. an officer's review -----------------------------------------------------------------------------


async def test_death_soon_after_enrolment_is_reviewed_approved_by_a_supervisor_and_paid_the_short_membership_amount(
    enrollment, claims, today, kafka_bootstrap
):
    # Member for one month only: a JKM death within 3 months of membership.
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=add_months(today, -1), heirs=[SPOUSE]
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKM", today, {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK})
    )
    claim_id = filed.json()["claim_id"]
    claim = await wait_for_status(claims, claim_id, "needs_review")
    assert [r["code"] for r in claim["reasons"]] == ["DEATH_SOON_AFTER_ENROLMENT"]
    assert claim["missing_documents"] == []

    blank = await claims.post(
        f"/v1/claims/{claim_id}/decision", json={"decision": "approve", "reason": "  "}, headers=auth("supervisor")
    )
    assert blank.status_code == 422
    assert [(e["loc"], e["type"]) for e in blank.json()["errors"]] == [(["body", "reason"], "reason_required")]
    absent = await claims.post(
        f"/v1/claims/{claim_id}/decision", json={"decision": "approve"}, headers=auth("supervisor")
    )
    assert absent.status_code == 422 and absent.json()["errors"][0]["loc"] == ["body", "reason"]
    operator = await claims.post(
        f"/v1/claims/{claim_id}/decision", json={"decision": "approve", "reason": "checked"}, headers=auth("operator")
    )
    assert operator.status_code == 403
    assert (await claim_of(claims, claim_id))["status"] == "needs_review"

    reason = "hospital record shows a sudden stroke, no illness before enrolment"
    approved = await claims.post(
        f"/v1/claims/{claim_id}/decision",
        json={"decision": "approve", "reason": reason},
        headers=auth("supervisor", "rahma.supervisor"),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    claim = await wait_for_status(claims, claim_id, "payout_recorded")
    # Short membership (reported, Peraturan BPJS Ketenagakerjaan 5/2021): death benefit
    # 8,000,000 + funeral 2,000,000 = 10,000,000 in all; no lump sum, no periodic benefit.
    assert ledger_lines(claim) == [
        ("death_benefit", "Muh. Ridwan", 8_000_000, "cash"),
        ("funeral", "Muh. Ridwan", 2_000_000, "cash"),
    ]
    assert claim["payout"]["total_cash"] == 10_000_000
    assert claim["decided_by"] == "rahma.supervisor" and claim["decision_note"] == reason
    recorded = await wait_for_event(kafka_bootstrap, PAYOUTS.name, claim_id, "PayoutRecorded")
    assert len(recorded) == 1 and recorded[0].payload["total_cash"] == 10_000_000

    pool = claims.app.state.runtime.pool
    audit = await pool.fetch(
        "SELECT actor, role, action, details FROM claims.audit_log WHERE subject_id = $1 ORDER BY id", claim_id
    )
    assert [(r["actor"], r["role"], r["action"]) for r in audit] == [
        ("test-officer", "officer", "claim.file"),
        ("rahma.supervisor", "supervisor", "claim.approve"),
    ]
    assert audit[1]["details"] == {"reason": reason}

    # A second supervisor deciding the same claim learns who decided it first, and when.
    again = await claims.post(
        f"/v1/claims/{claim_id}/decision",
        json={"decision": "reject", "reason": "second look"},
        headers=auth("supervisor", "andi.supervisor"),
    )
    assert again.status_code == 409
    refusal = again.json()
    assert (refusal["code"], refusal["claim_status"], refusal["decided_by"]) == (
        "claim_already_decided",
        "payout_recorded",
        "rahma.supervisor",
    )
    assert refusal["decided_at"] is not None


async def test_a_supervisor_cannot_approve_a_claim_the_rules_already_approved(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    filed = await claims.post(
        "/v1/claims", json=claim_form(participant_id, "JKK", today, JKK_DOCUMENTS, incapacity_days=3)
    )
    claim_id = filed.json()["claim_id"]
    await wait_for_status(claims, claim_id, "payout_recorded")

    answer = await claims.post(
        f"/v1/claims/{claim_id}/decision", json={"decision": "approve", "reason": "ok"}, headers=auth("supervisor")
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "claim_already_decided"
    assert answer.json()["decided_by"] == "rules"  # no person: the rules approved it
    pool = claims.app.state.runtime.pool
    actions = await pool.fetch("SELECT action FROM claims.audit_log WHERE subject_id = $1", claim_id)
    assert [r["action"] for r in actions] == ["claim.file"]


# --- 5. filing validation ---------------------------------------------------------------------------------


async def test_filing_names_each_bad_field_and_writes_nothing(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    documents = {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}
    cases = {
        "participant_id": (claim_form("P-NOT-ENROLLED-0000", "JKM", today, documents), "participant_unknown"),
        "incident_date": (
            claim_form(participant_id, "JKM", today + timedelta(days=1), documents),
            "incident_date_in_future",
        ),
        "claim_type": (claim_form(participant_id, "JHT", today, documents), "claim_type_unknown"),
    }
    for field, (form, rule) in cases.items():
        answer = await claims.post("/v1/claims", json=form)
        assert answer.status_code == 422, (field, answer.text)
        assert [(e["loc"], e["type"]) for e in answer.json()["errors"]] == [(["body", field], rule)]

    # The claim, its ClaimFiled in the outbox and its audit row commit together or not at all.
    pool = claims.app.state.runtime.pool
    for someone in (participant_id, "P-NOT-ENROLLED-0000"):
        assert (await claims.get("/v1/claims", params={"participant_id": someone})).json() == []
        assert (
            await pool.fetchval("SELECT count(*) FROM claims.audit_log WHERE details->>'participant_id' = $1", someone)
            == 0
        )


async def test_the_same_accident_filed_twice_is_refused_with_a_pointer_to_the_first_claim(enrollment, claims, today):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    form = claim_form(participant_id, "JKK", today, JKK_DOCUMENTS, incapacity_days=10)
    first = await claims.post("/v1/claims", json=form)
    assert first.status_code == 202, first.text
    # A workers' group reports the same accident (Permenaker 1/2025 art. 48A lets both report).
    again = await claims.post(
        "/v1/claims",
        json={
            **form,
            "reporter": {
                "name": "Haji Sudirman",
                "phone": "+6281355550000",
                "organisation": "Paguyuban Pedagang Pasar Terong",
            },
        },
    )
    assert again.status_code == 409
    assert again.json()["existing_id"] == first.json()["claim_id"]
    assert again.json()["code"] == "incident_already_claimed"
    listed = (await claims.get("/v1/claims", params={"participant_id": participant_id})).json()
    assert [c["claim_id"] for c in listed] == [first.json()["claim_id"]]


# --- withdrawal ---------------------------------------------------------------------------------------------


async def test_a_claim_filed_in_error_is_withdrawn_by_its_filer_audited_and_announced(
    enrollment, claims, today, kafka_bootstrap
):
    participant_id = await covered_participant(
        enrollment, claims, today, member_since=a_year_before(today), heirs=[SPOUSE]
    )
    form = claim_form(participant_id, "JKM", today, {"participant_card": "KPJ-26-0001"})
    filed = await claims.post("/v1/claims", json=form, headers=auth("officer", "rina.officer"))
    claim_id = filed.json()["claim_id"]
    await wait_for_status(claims, claim_id, "needs_review")

    # Another officer may not; the filer may, with a reason.
    other = await claims.post(
        f"/v1/claims/{claim_id}/withdrawal", json={"reason": "wrong person"}, headers=auth("officer", "budi.officer")
    )
    assert other.status_code == 403 and other.json()["code"] == "filer_or_supervisor_only"
    no_reason = await claims.post(
        f"/v1/claims/{claim_id}/withdrawal", json={"reason": " "}, headers=auth("officer", "rina.officer")
    )
    assert [e["type"] for e in no_reason.json()["errors"]] == ["reason_required"]
    done = await claims.post(
        f"/v1/claims/{claim_id}/withdrawal",
        json={"reason": "filed for the wrong person"},
        headers=auth("officer", "rina.officer"),
    )
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"

    withdrawn = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimWithdrawn")
    assert [(e.payload["withdrawn_by"], e.payload["was"]) for e in withdrawn] == [("rina.officer", "needs_review")]
    pool = claims.app.state.runtime.pool
    actions = await pool.fetch("SELECT actor, action FROM claims.audit_log WHERE subject_id = $1 ORDER BY id", claim_id)
    assert [(r["actor"], r["action"]) for r in actions] == [
        ("rina.officer", "claim.file"),
        ("rina.officer", "claim.withdraw"),
    ]
    # Nothing counts down for it any more, and the same incident may be filed again, rightly.
    listed = (await claims.get("/v1/claims", params={"participant_id": participant_id})).json()
    assert [(c["status"], c["days_left"]) for c in listed] == [("withdrawn", None)]
    again = await claims.post("/v1/claims", json=form, headers=auth("officer", "rina.officer"))
    assert again.status_code == 202, again.text
    twice = await claims.post(
        f"/v1/claims/{claim_id}/withdrawal", json={"reason": "again"}, headers=auth("supervisor", "rahma.supervisor")
    )
    assert [e["type"] for e in twice.json()["errors"]] == ["claim_not_withdrawable"]


async def test_the_event_side_runs_on_generic_plans_and_requests_on_postgresqls_choice(claims):
    """The consumers and the dispatcher run the same statements every poll: their pool keeps one
    generic plan of each (tests/integration/test_generic_plans.py); requests, with optional filters,
    and the relay, whose outbox is a queue, keep PostgreSQL's choice."""
    runtime = claims.app.state.runtime
    assert runtime.event_pool is not runtime.pool
    assert await runtime.event_pool.fetchval("SHOW plan_cache_mode") == "force_generic_plan"
    assert await runtime.pool.fetchval("SHOW plan_cache_mode") == "auto"
    assert runtime.relay._pool is runtime.pool
