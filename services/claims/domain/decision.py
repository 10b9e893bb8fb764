"""How a claim's status changes: by the rules, by an officer, by recording the payout.

    filed --rules--> approved | rejected | needs_review
    needs_review --rules, run again when documents arrive--> approved | rejected | needs_review
    needs_review --officer--> approved | rejected
    approved | rejected --supervisor reopens (a grievance)--> needs_review
    approved --payout recorded--> payout_recorded

Rejected and payout_recorded are final: a rejected family files a new claim (its
fingerprint no longer blocks them, see verification.verify_claim).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from services.claims.domain.claim import ClaimStatus
from services.claims.domain.verification import Verification
from shared.errors import FieldError, RuleViolation

OFFICER_DECISIONS: dict[str, ClaimStatus] = {
    "approve": ClaimStatus.APPROVED,
    "reject": ClaimStatus.REJECTED,
}

RULES_MAY_DECIDE: frozenset[ClaimStatus] = frozenset({ClaimStatus.FILED, ClaimStatus.NEEDS_REVIEW})


def after_verification(claim_status: ClaimStatus | str, verification: Verification) -> ClaimStatus:
    """The status the rules' outcome gives. They decide a filed claim, and decide again
    a claim waiting for review when its documents arrive; never one already decided
    for good (approved, rejected, paid)."""
    if ClaimStatus(claim_status) not in RULES_MAY_DECIDE:
        raise RuleViolation(
            [
                FieldError(
                    ("status",),
                    "claim_already_decided",
                    f"claim_already_decided: the claim is {ClaimStatus(claim_status)}; "
                    "the rules do not decide it again",
                )
            ]
        )
    return verification.outcome


# Statuses a person or the rules have already decided; a second decision on them is refused
# with who decided and when, so a second supervisor learns of the first instead of losing
# their reason in a generic error.
DECIDED: frozenset[ClaimStatus] = frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.PAYOUT_RECORDED})


class AlreadyDecided(Exception):
    """The claim was decided before this decision arrived."""

    def __init__(self, status: str, decided_by: str | None, decided_at: datetime | None):
        self.status, self.decided_by, self.decided_at = status, decided_by, decided_at
        super().__init__(f"claim_already_decided: the claim is already {status}" + f" by {decided_by or 'the rules'}")


def is_decided(claim_status: ClaimStatus | str) -> bool:
    return ClaimStatus(claim_status) in DECIDED


def check_not_decided(claim_status: ClaimStatus | str, decided_by: str | None, decided_at: datetime | None) -> None:
    if is_decided(claim_status):
        raise AlreadyDecided(str(ClaimStatus(claim_status)), decided_by, decided_at)


def decide(
    claim_status: ClaimStatus | str, decision: str, reason: str, *, missing_documents: Collection[str] = ()
) -> ClaimStatus:
    """An officer's decision on a claim referred for review.

    `reason` is what the family and the audit trail read, so it is required for an
    approval as much as for a rejection. `missing_documents` is the latest
    verification's list: an officer may decide the rules' doubts, not waive the
    regulation's documents (PP 44/2015 art. 37(2), 40(3) pay on a complete application).
    """
    errors: list[FieldError] = []
    new_status = OFFICER_DECISIONS.get(decision)
    if new_status is None:
        errors.append(
            FieldError(("decision",), "decision_unknown", "decision_unknown: decision is 'approve' or 'reject'")
        )
    if ClaimStatus(claim_status) is not ClaimStatus.NEEDS_REVIEW:
        errors.append(
            FieldError(
                ("decision",),
                "claim_not_in_review",
                f"claim_not_in_review: only a claim waiting for review can be decided by an officer; "
                f"this one is {ClaimStatus(claim_status)}",
            )
        )
    if not isinstance(reason, str) or not reason.strip():
        errors.append(
            FieldError(
                ("reason",), "reason_required", "reason_required: say why; the family and the audit trail read it"
            )
        )
    if new_status is ClaimStatus.APPROVED and missing_documents:
        errors.append(
            FieldError(
                ("decision",),
                "documents_incomplete",
                f"documents_incomplete: the claim cannot be approved while these are missing: "
                f"{', '.join(missing_documents)}",
            )
        )
    if errors:
        raise RuleViolation(errors)
    return OFFICER_DECISIONS[decision]


# A claim can be withdrawn until its payout is recorded: after that money is owed and moving,
# and a mistake is corrected by reclassification or a reversal, not by taking the claim back.
WITHDRAWABLE: frozenset[ClaimStatus] = frozenset({ClaimStatus.FILED, ClaimStatus.NEEDS_REVIEW, ClaimStatus.APPROVED})


def withdraw(claim_status: ClaimStatus | str, reason: str) -> ClaimStatus:
    """The filer or a supervisor takes back a claim filed in error (duties.check_may_withdraw
    says who); the reason is required, for the audit trail."""
    errors: list[FieldError] = []
    if ClaimStatus(claim_status) not in WITHDRAWABLE:
        errors.append(
            FieldError(
                ("status",),
                "claim_not_withdrawable",
                f"claim_not_withdrawable: a claim is withdrawn before its payout is recorded; this one is "
                f"{ClaimStatus(claim_status)}",
            )
        )
    if not isinstance(reason, str) or not reason.strip():
        errors.append(
            FieldError(
                ("reason",),
                "reason_required",
                "reason_required: say why the claim is withdrawn; the audit trail reads it",
            )
        )
    if errors:
        raise RuleViolation(errors)
    return ClaimStatus.WITHDRAWN


def record_payout(claim_status: ClaimStatus | str) -> ClaimStatus:
    """Only an approved claim is paid, and only once."""
    if ClaimStatus(claim_status) is not ClaimStatus.APPROVED:
        raise RuleViolation(
            [
                FieldError(
                    ("status",),
                    "claim_not_approved",
                    f"claim_not_approved: a payout is recorded for an approved claim only; this one is "
                    f"{ClaimStatus(claim_status)}",
                )
            ]
        )
    return ClaimStatus.PAYOUT_RECORDED


# A decision a supervisor may send back to review. A recorded payout is money owed already:
# correcting it is a new claim or a correction of the ledger, not a reopening.
REOPENABLE: frozenset[ClaimStatus] = frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED})


def reopen(claim_status: ClaimStatus | str, reason: str) -> ClaimStatus:
    """A supervisor reopens a decided claim (from a grievance): it waits for review again."""
    errors: list[FieldError] = []
    if ClaimStatus(claim_status) not in REOPENABLE:
        errors.append(
            FieldError(
                ("claim_id",),
                "claim_not_reopenable",
                f"claim_not_reopenable: only an approved or rejected claim whose payout is not "
                f"recorded can be reopened; this one is {ClaimStatus(claim_status)}",
            )
        )
    if not isinstance(reason, str) or not reason.strip():
        errors.append(FieldError(("reason",), "reason_required", "reason_required: say why the decision is reopened"))
    if errors:
        raise RuleViolation(errors)
    return ClaimStatus.NEEDS_REVIEW
