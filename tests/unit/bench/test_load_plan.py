"""The load generator's workers are what the rules expect of each scenario (bench/load.py),
so a benchmark measures the flow it means to: checked against the domains, no I/O."""

from __future__ import annotations

import random
from datetime import date

import pytest

pytest.importorskip("aiohttp")  # the bench extra: pip install -e '.[bench]'

from bench.load import DEFAULT_MIX, percentile, plan_workers
from services.claims.domain.documents import missing_documents
from services.enrollment.domain import (
    Payment,
    check_payment,
    contribution_due,
    coverage_on,
    register_participant,
)
from services.enrollment.imports import row_to_registration_data

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def workers():
    return plan_workers(600, rng=random.Random(3), today=TODAY)


def test_every_scenario_of_the_mix_is_planned(workers):
    assert {w.scenario for w in workers} == set(DEFAULT_MIX)


def test_every_worker_enrols_and_pays_under_the_rules(workers):
    for w in workers:
        registration = register_participant(row_to_registration_data(w.row), TODAY)
        due = contribution_due(registration.monthly_income, ["JKK", "JKM"], registration.segment, "self", w.period)
        check_payment(
            period=w.period,
            amount=due.total,
            payer="self",
            paid_at=w.paid_at,
            today=TODAY,
            member_since=registration.member_since,
            monthly_income=registration.monthly_income,
            programs=["JKK", "JKM"],
            segment=registration.segment,
            already_paid={},
        )
        assert len(registration.heirs) >= 1
        # The worker alone after a non-fatal accident; each heir (one channel each here) after a death.
        assert w.channels == (1 if w.claim_type == "JKK" else len(registration.heirs))


def test_lapsed_workers_are_not_covered_today_and_the_others_are(workers):
    for w in workers:
        status = coverage_on([Payment(w.period, w.paid_at)], TODAY).status
        assert status == ("lapsed" if w.scenario == "lapsed" else "active"), w.scenario


def test_only_the_missing_documents_scenario_misses_documents(workers):
    for w in workers:
        missing = missing_documents(w.claim_type, w.traffic_accident, True, 100_000_000, w.documents.keys())
        assert bool(missing) == (w.scenario == "missing_documents"), (w.scenario, missing)
        assert not missing_documents(
            w.claim_type, w.traffic_accident, True, 100_000_000, {**w.documents, **w.withheld}.keys()
        )


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50, 99, 100)


def test_a_retried_filing_answered_409_is_the_claim_the_problem_document_names():
    from bench.load import _existing
    from shared.errors import problem

    # The claims service's 409 for an incident already claimed (shared/service.py, Conflict).
    answer = problem(
        409, "this incident is already claimed: CLM-1", code="incident_already_claimed", existing_id="CLM-1"
    )
    assert _existing(answer) == "CLM-1"
    assert _existing(problem(409, "another conflict")) is None
    assert _existing({"error": "HTTP 502, not JSON"}) is None
