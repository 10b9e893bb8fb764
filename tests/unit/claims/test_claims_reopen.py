"""A supervisor sends a decided claim back to review (from a grievance)."""

import pytest

from services.claims.domain.claim import ClaimStatus
from services.claims.domain.decision import reopen
from shared.errors import RuleViolation


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_an_approved_or_rejected_claim_goes_back_to_review(status):
    assert reopen(status, "the family brought the marriage book") is ClaimStatus.NEEDS_REVIEW


@pytest.mark.parametrize("status", ["filed", "needs_review", "payout_recorded"])
def test_a_claim_not_decided_or_already_paid_out_is_not_reopened(status):
    with pytest.raises(RuleViolation) as caught:
        reopen(status, "why not")
    assert [e.rule for e in caught.value.errors] == ["claim_not_reopenable"]


def test_reopening_needs_a_reason():
    with pytest.raises(RuleViolation) as caught:
        reopen("rejected", "  ")
    assert [e.rule for e in caught.value.errors] == ["reason_required"]
