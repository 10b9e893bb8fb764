"""Separation of duties and fraud controls in the claims API, on real Kafka and PostgreSQL:
only a supervisor decides, never the one who filed or completed the claim; officers move no
money; a random share of would-be approvals and every large payout go to a supervisor first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import httpx
import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.domain.dates import add_months
from services.claims.settings import ClaimsSettings
from services.enrollment.app import build_spec as enrollment_spec
from services.enrollment.settings import EnrollmentSettings
from shared.clock import today as makassar_today
from shared.topics import CLAIM_DECISIONS
from tests.support.claimants import (
    JKK_DOCUMENTS,
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    NPWP,
    SPOUSE,
    claim_form,
    covered_participant,
    wait_for_event,
    wait_for_status,
)
from tests.support.kafka_tools import wait_until
from tests.support.services import auth, infra_settings, running

pytestmark = pytest.mark.integration

FAST = dict(outbox_poll_seconds=0.2, handler_backoff_seconds=0.05)
JKM_PAPERS = {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}


@pytest.fixture(scope="module")
def settings(kafka_bootstrap, database_url):
    return infra_settings(kafka_bootstrap, database_url)


@pytest.fixture(scope="module")
async def enrollment(settings):
    async with running(enrollment_spec(EnrollmentSettings(infra=settings, coverage_sweep_seconds=0, **FAST))) as e:
        yield e


@asynccontextmanager
async def claims_drawing(settings, rate: float) -> AsyncIterator[httpx.AsyncClient]:
    """Claims (every consumer, and the relay) drawing `rate` of its would-be approvals for review."""
    async with running(claims_spec(ClaimsSettings(infra=settings, review_sample_rate=rate, **FAST))) as c:
        yield c


@pytest.fixture
def today() -> date:
    return makassar_today()


def audit_of(claims: httpx.AsyncClient, claim_id: str):
    pool = claims.app.state.runtime.pool
    return pool.fetch(
        "SELECT actor, role, action, details FROM claims.audit_log WHERE subject_id = $1 ORDER BY id", claim_id
    )


# --- only a supervisor decides, and not one who filed or completed the claim -----------------------------


async def test_only_another_supervisor_decides_a_claim_and_the_audit_names_them(settings, enrollment, today):
    async with claims_drawing(settings, 0.0) as claims:
        # Member for one month: a JKM death this soon is referred for a person's look.
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -1), heirs=[SPOUSE]
        )
        filed = await claims.post(
            "/v1/claims",
            json=claim_form(participant_id, "JKM", today, JKM_PAPERS),
            headers=auth("supervisor", "sari.supervisor"),
        )
        assert filed.status_code == 202, filed.text
        claim_id = filed.json()["claim_id"]
        await wait_for_status(claims, claim_id, "needs_review")
        decision = f"/v1/claims/{claim_id}/decision"
        approve = {"decision": "approve", "reason": "hospital record shows a sudden stroke"}

        officer = await claims.post(decision, json=approve, headers=auth("officer", "andi.officer"))
        assert officer.status_code == 403
        assert "supervisor" in officer.json()["detail"]

        filer = await claims.post(decision, json=approve, headers=auth("supervisor", "sari.supervisor"))
        assert filer.status_code == 403
        assert filer.json()["code"] == "four_eyes_filer"
        assert "you filed this claim" in filer.json()["detail"]

        added = await claims.post(
            f"/v1/claims/{claim_id}/documents", json={"documents": NPWP}, headers=auth("supervisor", "budi.supervisor")
        )
        assert added.status_code == 200 and added.json()["status"] == "needs_review", added.text
        completer = await claims.post(decision, json=approve, headers=auth("supervisor", "budi.supervisor"))
        assert completer.status_code == 403
        assert completer.json()["code"] == "four_eyes_documents"
        claim = (await claims.get(f"/v1/claims/{claim_id}")).json()
        assert claim["status"] == "needs_review" and claim["documents_added_by"] == ["budi.supervisor"]

        other = await claims.post(decision, json=approve, headers=auth("supervisor", "rahma.supervisor"))
        assert other.status_code == 200, other.text
        assert other.json()["status"] == "approved"
        claim = await wait_for_status(claims, claim_id, "payout_recorded")
        assert claim["decided_by"] == "rahma.supervisor"
        assert [(r["actor"], r["role"], r["action"]) for r in await audit_of(claims, claim_id)] == [
            ("sari.supervisor", "supervisor", "claim.file"),
            ("budi.supervisor", "supervisor", "claim.add_documents"),
            ("rahma.supervisor", "supervisor", "claim.approve"),
        ]

        # The money: an officer cannot move it; a supervisor records a transfer made outside Jaring,
        # line by line, with the bank's reference (docs/disbursement.md). No account is recorded, so
        # the bank is never called and the lines wait.
        disbursement = f"/v1/claims/{claim_id}/disbursement"

        async def lines() -> list[dict]:
            return (await claims.get(disbursement)).json()["lines"]

        async def two_lines() -> bool:
            # A death within 3 months of membership: the short-membership benefit and the funeral.
            return len(await lines()) == 2

        await wait_until(two_lines, 30, "the payout's two lines taken by disbursement")
        widower = (await lines())[0]["payee_heir_id"]
        manual = {
            "component": "death_benefit",
            "payee": widower,
            "bank_reference": "BRI-TRX-7",
            "note": "at the counter",
        }
        by_officer = await claims.post(disbursement, json=manual, headers=auth("officer", "andi.officer"))
        assert by_officer.status_code == 403
        no_reference = await claims.post(
            disbursement, json={**manual, "bank_reference": "  "}, headers=auth("supervisor", "rahma.supervisor")
        )
        assert no_reference.status_code == 422
        assert [(e["loc"], e["type"]) for e in no_reference.json()["errors"]] == [
            (["body", "bank_reference"], "bank_reference_required")
        ]
        old_contract = await claims.post(
            disbursement,
            json={"status": "paid", "reference": "BRI-TRX-7"},
            headers=auth("supervisor", "rahma.supervisor"),
        )
        assert old_contract.status_code == 422  # a status is the bank's to say, not a person's
        assert (await claims.get(f"/v1/claims/{claim_id}")).json()["disbursement"]["status"] == "scheduled"

        for component in ("death_benefit", "funeral"):
            paid = await claims.post(
                disbursement, json={**manual, "component": component}, headers=auth("supervisor", "rahma.supervisor")
            )
            assert paid.status_code == 200, paid.text
        assert (await claims.get(f"/v1/claims/{claim_id}")).json()["disbursement"]["status"] == "paid"
        assert {x["status"] for x in await lines()} == {"succeeded"}
        audit = await audit_of(claims, claim_id)
        assert [
            (r["actor"], r["role"], r["action"], r["details"]["component"], r["details"]["bank_reference"])
            for r in audit[-2:]
        ] == [
            ("rahma.supervisor", "supervisor", "disbursement.manual_transfer", component, "BRI-TRX-7")
            for component in ("death_benefit", "funeral")
        ]


# --- fraud controls: sampled and large claims go to a supervisor -----------------------------------------


async def test_with_every_claim_drawn_a_clean_jkm_claim_goes_to_review_marked_sampled(
    settings, enrollment, today, kafka_bootstrap
):
    async with claims_drawing(settings, 1.0) as claims:
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
        )
        filed = await claims.post("/v1/claims", json=claim_form(participant_id, "JKM", today, JKM_PAPERS))
        claim_id = filed.json()["claim_id"]

        claim = await wait_for_status(claims, claim_id, "needs_review")
        assert [r["code"] for r in claim["reasons"]] == ["SAMPLED_FOR_REVIEW"]
        assert claim["sampled"] is True and claim["missing_documents"] == []
        queue = (
            await claims.get("/v1/claims", params={"status": "needs_review", "participant_id": participant_id})
        ).json()
        assert [(c["claim_id"], c["sampled"]) for c in queue] == [(claim_id, True)]
        referred = await wait_for_event(kafka_bootstrap, CLAIM_DECISIONS.name, claim_id, "ClaimReferredForReview")
        assert [r["code"] for r in referred[0].payload["reasons"]] == ["SAMPLED_FOR_REVIEW"]

        # The rules run again when documents arrive: the draw is the claim's, it does not flip.
        again = await claims.post(f"/v1/claims/{claim_id}/documents", json={"documents": NPWP})
        assert again.json()["status"] == "needs_review"
        assert [r["code"] for r in (await wait_for_status(claims, claim_id, "needs_review"))["reasons"]] == [
            "SAMPLED_FOR_REVIEW"
        ]

        # Referred, not rejected: a supervisor approves and the family is paid.
        approved = await claims.post(
            f"/v1/claims/{claim_id}/decision",
            json={"decision": "approve", "reason": "sample checked against the death register"},
            headers=auth("supervisor", "rahma.supervisor"),
        )
        assert approved.status_code == 200, approved.text
        # JKM, PP 82/2019: 20,000,000 + 12,000,000 + 10,000,000 = 42,000,000 to the widower.
        assert (await wait_for_status(claims, claim_id, "payout_recorded"))["payout"]["total_cash"] == 42_000_000


async def test_with_no_claim_drawn_a_clean_jkm_claim_is_approved_by_the_rules(settings, enrollment, today):
    async with claims_drawing(settings, 0.0) as claims:
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
        )
        filed = await claims.post("/v1/claims", json=claim_form(participant_id, "JKM", today, JKM_PAPERS))
        claim_id = filed.json()["claim_id"]

        claim = await wait_for_status(claims, claim_id, "payout_recorded")
        assert claim["decided_by"] == "rules" and claim["reasons"] == [] and claim["sampled"] is False


async def test_a_jkk_death_of_a_high_earner_above_the_threshold_goes_to_review(settings, enrollment, today):
    async with claims_drawing(settings, 0.0) as claims:
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE], monthly_income=3_000_000
        )
        documents = {
            **{k: v for k, v in JKK_DOCUMENTS.items() if k != "ktp"},
            **JKM_DEATH_DOCUMENTS,
            **MARRIAGE_BOOK,
            **NPWP,
        }
        filed = await claims.post("/v1/claims", json=claim_form(participant_id, "JKK_DEATH", today, documents))
        claim_id = filed.json()["claim_id"]

        claim = await wait_for_status(claims, claim_id, "needs_review")
        # 48 x 3,000,000 + funeral 10,000,000 + periodic 12,000,000 = 166,000,000 > 100,000,000.
        assert [r["code"] for r in claim["reasons"]] == ["ABOVE_REVIEW_THRESHOLD"]
        assert "Rp 166.000.000" in claim["reasons"][0]["message"]
        assert claim["sampled"] is True and claim["payout"]["components"] == []
