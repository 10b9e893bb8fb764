"""What one person may see of a claim: its status, what is missing, the payment deadline,
and their own share with its payment status. Never a NIK, never another heir's amount."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ClaimForFamily:
    """The read model's claim (from claims' events)."""

    claim_id: str
    claim_type: str
    status: str
    missing_documents: tuple[str, ...]
    payment_deadline: date | None
    # Cash per heir_id (PayoutRecorded); empty until recorded.
    shares: Mapping[str, int]
    disbursement_status: str | None  # scheduled, paid, failed (the claim's transfer)


@dataclass(frozen=True)
class FamilyView:
    claim_id: str
    claim_type: str
    status: str
    missing_documents: tuple[str, ...]
    payment_deadline: date | None
    amount: int | None  # this person's cash share; None when none is recorded for them
    payment_status: str  # shared.contracts.grievances.PaymentStatus


def family_view(claim: ClaimForFamily, heir_id: str) -> FamilyView:
    amount = claim.shares.get(heir_id) if heir_id != "reporter" else None
    payment = "not_recorded" if amount is None else claim.disbursement_status or "recorded"
    missing = claim.missing_documents if claim.status in ("filed", "needs_review") else ()
    return FamilyView(
        claim.claim_id, claim.claim_type, claim.status, tuple(missing), claim.payment_deadline, amount, payment
    )
