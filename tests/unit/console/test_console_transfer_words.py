"""The console names every transfer status and rejection reason claims can send in words, in
both languages, and a claim's story shows each transfer as a step."""

from datetime import UTC, datetime, timedelta

from services.console import i18n
from services.console.domain.index import summarize
from services.console.domain.story import IndexedEvent, steps
from shared.contracts.disbursements import REJECTION_REASONS, TRANSFER_STATUSES


def test_every_transfer_status_and_reason_has_words_in_both_languages():
    wanted = (
        {f"step_transfer_{s}" for s in TRANSFER_STATUSES}
        | {"step_transfer_reversed"}
        | {f"reason_{code}" for code in REJECTION_REASONS}
    )
    assert sorted(wanted - set(i18n.TEXT)) == []
    assert i18n.translator("id")("reason_MD07") == "pemilik rekening sudah meninggal"


def test_a_rejected_transfer_is_a_step_of_the_claims_story_without_the_payees_name():
    at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    payload = {
        "claim_id": "CL-1",
        "participant_id": "P-1",
        "component": "funeral",
        "payee_heir_id": "H-1",
        "payee_name": "Muh. Ridwan",
        "amount": 10_000_000,
        "status": "rejected",
        "reason_code": "AC06",
        "attempt": 1,
        "external_id": "42",
        "method": "bank",
        "account_last4": "0006",
        "changed_by": "bank",
    }
    summary = summarize("TransferStatusChanged", payload)
    assert "Ridwan" not in str(summary) and "0006" not in str(summary)
    events = [
        IndexedEvent("ClaimFiled", "claims.filed.v1", at, "claims", "CL-1", {}),
        IndexedEvent(
            "TransferStatusChanged", "claims.disbursements.v1", at + timedelta(minutes=3), "claims", "CL-1", summary
        ),
    ]
    assert [s.name for s in steps(events)] == ["filed", "transfer_rejected"]


def test_a_reversed_transfer_puts_a_paid_claim_back_to_waiting_for_the_transfer():
    from services.console.domain.story import claim_state

    at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)

    def ev(kind: str, minute: int, **summary) -> IndexedEvent:
        return IndexedEvent(kind, "t", at + timedelta(minutes=minute), "claims", "CL-1", summary)

    paid = [ev("ClaimFiled", 0), ev("PayoutRecorded", 1), ev("DisbursementChanged", 2, status="paid")]
    assert claim_state("CL-1", paid).finished
    reversed_ = paid + [ev("DisbursementChanged", 3, status="scheduled")]
    state = claim_state("CL-1", reversed_)
    assert (state.status, state.waiting_for) == ("payout_recorded", "disbursement")
    assert claim_state("CL-1", reversed_ + [ev("DisbursementChanged", 4, status="paid")]).finished
