from datetime import UTC

import pytest

from services.claims.domain.claim import ClaimStatus
from services.claims.domain.decision import after_verification, decide, record_payout
from services.claims.domain.reasons import Reason, ReasonCode
from services.claims.domain.verification import Verification
from shared.errors import RuleViolation


def rules_broken(call) -> dict[tuple, str]:
    with pytest.raises(RuleViolation) as caught:
        call()
    return {error.loc: error.rule for error in caught.value.errors}


def test_officer_approves_a_claim_referred_for_review():
    assert (
        decide(ClaimStatus.NEEDS_REVIEW, "approve", "death certificate and hospital record agree")
        == ClaimStatus.APPROVED
    )


def test_officer_rejects_a_claim_referred_for_review():
    assert decide("needs_review", "reject", "the participant was enrolled after the diagnosis") == ClaimStatus.REJECTED


@pytest.mark.parametrize(
    "status", [ClaimStatus.FILED, ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.PAYOUT_RECORDED]
)
def test_officer_cannot_decide_a_claim_that_is_not_in_review(status):
    assert rules_broken(lambda: decide(status, "approve", "looks fine")) == {("decision",): "claim_not_in_review"}


@pytest.mark.parametrize("reason", ["", "   "])
def test_officer_must_give_a_reason(reason):
    assert rules_broken(lambda: decide(ClaimStatus.NEEDS_REVIEW, "reject", reason)) == {("reason",): "reason_required"}


def test_unknown_decision_is_refused():
    assert rules_broken(lambda: decide(ClaimStatus.NEEDS_REVIEW, "maybe", "unsure")) == {
        ("decision",): "decision_unknown"
    }


def test_officer_cannot_approve_while_documents_are_missing():
    broken = rules_broken(
        lambda: decide(ClaimStatus.NEEDS_REVIEW, "approve", "ok", missing_documents=["death_certificate"])
    )
    assert broken == {("decision",): "documents_incomplete"}


def test_officer_may_reject_while_documents_are_missing():
    assert (
        decide(ClaimStatus.NEEDS_REVIEW, "reject", "family withdrew the claim", missing_documents=["death_certificate"])
        == ClaimStatus.REJECTED
    )


def test_rules_decide_a_filed_claim_and_decide_again_when_documents_arrive():
    approved = Verification(ClaimStatus.APPROVED, [], [], None)
    assert after_verification(ClaimStatus.FILED, approved) == ClaimStatus.APPROVED
    assert after_verification(ClaimStatus.NEEDS_REVIEW, approved) == ClaimStatus.APPROVED


def test_rules_do_not_decide_again_a_claim_already_decided():
    rejected = Verification(ClaimStatus.REJECTED, [Reason(ReasonCode.DUPLICATE_INCIDENT, "dup")], [], None)
    assert rules_broken(lambda: after_verification(ClaimStatus.APPROVED, rejected)) == {
        ("status",): "claim_already_decided"
    }


def test_payout_is_recorded_for_an_approved_claim_only_and_once():
    assert record_payout(ClaimStatus.APPROVED) == ClaimStatus.PAYOUT_RECORDED
    assert rules_broken(lambda: record_payout(ClaimStatus.PAYOUT_RECORDED)) == {("status",): "claim_not_approved"}
    assert rules_broken(lambda: record_payout(ClaimStatus.NEEDS_REVIEW)) == {("status",): "claim_not_approved"}


@pytest.mark.parametrize("status", [ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.PAYOUT_RECORDED])
def test_a_second_decision_on_a_decided_claim_is_refused_naming_who_decided_and_when(status):
    from datetime import datetime

    from services.claims.domain.decision import AlreadyDecided, check_not_decided

    at = datetime(2026, 11, 29, 3, 15, tzinfo=UTC)
    with pytest.raises(AlreadyDecided) as refused:
        check_not_decided(status, "rahma.supervisor", at)
    assert (refused.value.status, refused.value.decided_by, refused.value.decided_at) == (
        str(status),
        "rahma.supervisor",
        at,
    )


@pytest.mark.parametrize("status", [ClaimStatus.FILED, ClaimStatus.NEEDS_REVIEW])
def test_a_claim_not_yet_decided_may_be_decided(status):
    from services.claims.domain.decision import check_not_decided

    check_not_decided(status, None, None)


@pytest.mark.parametrize("status", [ClaimStatus.FILED, ClaimStatus.NEEDS_REVIEW, ClaimStatus.APPROVED])
def test_a_claim_is_withdrawn_with_a_reason_until_its_payout_is_recorded(status):
    from services.claims.domain.decision import withdraw

    assert withdraw(status, "filed for the wrong person") is ClaimStatus.WITHDRAWN


@pytest.mark.parametrize("status", [ClaimStatus.PAYOUT_RECORDED, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN])
def test_a_paid_rejected_or_withdrawn_claim_cannot_be_withdrawn(status):
    from services.claims.domain.decision import withdraw

    assert rules_broken(lambda: withdraw(status, "too late")) == {("status",): "claim_not_withdrawable"}


def test_a_withdrawal_needs_a_reason():
    from services.claims.domain.decision import withdraw

    assert rules_broken(lambda: withdraw(ClaimStatus.FILED, " ")) == {("reason",): "reason_required"}


@pytest.mark.parametrize(
    ("role", "subject", "allowed"),
    [
        ("officer", "rina.officer", True),
        ("supervisor", "rahma.supervisor", True),
        ("officer", "budi.officer", False),
    ],
)
def test_only_the_filer_or_a_supervisor_withdraws_a_claim(role, subject, allowed):
    from services.claims.domain.duties import NotPermitted, check_may_withdraw

    if allowed:
        check_may_withdraw(role, subject, filed_by="rina.officer")
    else:
        with pytest.raises(NotPermitted) as refused:
            check_may_withdraw(role, subject, filed_by="rina.officer")
        assert refused.value.code == "filer_or_supervisor_only"
