"""Events of claims' disbursement step (topic claims.disbursements.v1, key claim_id).

Statuses are the G2P Connect disbursement standard's (received, pending, succeeded,
rejected); a rejection carries its reason as ISO 20022 names it (the product brief).
Account numbers travel masked: only their last four digits.
"""

from __future__ import annotations

from typing import Literal

from shared.envelope import EventPayload

TransferStatus = Literal["received", "pending", "succeeded", "rejected"]
TRANSFER_STATUSES: tuple[str, ...] = ("received", "pending", "succeeded", "rejected")

# ISO 20022 external status reason codes a transfer is rejected with.
RejectionReason = Literal["AC01", "AC04", "AC06", "MD07", "BE01"]
REJECTION_REASONS: dict[str, str] = {
    "AC01": "account number does not exist",
    "AC04": "account closed",
    "AC06": "account blocked",
    "MD07": "account holder deceased",
    "BE01": "name on the account is not the payee's",
}

PaymentMethod = Literal["bank", "cash", "manual"]
PAYMENT_METHODS: tuple[str, ...] = ("bank", "cash", "manual")


class TransferStatusChanged(EventPayload):
    """One ledger line's transfer moved: a line was received (waiting for an account or for
    its turn), an attempt was sent (pending), the bank paid it (succeeded) or refused it
    (rejected, with its reason). `attempt` counts attempts per line, from 1; 0 before any."""

    event_type = "TransferStatusChanged"

    claim_id: str
    participant_id: str
    component: str
    payee_heir_id: str | None = None
    payee_name: str | None = None
    amount: int  # rupiah
    status: TransferStatus
    reason_code: RejectionReason | None = None
    attempt: int = 0
    external_id: str | None = None
    method: PaymentMethod | None = None
    account_last4: str | None = None
    bank_reference: str | None = None
    changed_by: str  # "bank", "disbursement" (the step itself) or a supervisor's subject
    # Which ledger entry the line belongs to: 0 the payout (and its late charge), n the n-th
    # reclassification's difference; with claim, component and payee it names the line.
    entry: int = 0


class TransferReversed(EventPayload):
    """A transfer that succeeded was undone (paid to a wrong account): the line goes back to
    received and is paid again as a new attempt."""

    event_type = "TransferReversed"

    claim_id: str
    participant_id: str
    component: str
    payee_heir_id: str | None = None
    amount: int
    external_id: str
    reason: str
    reversed_by: str


class ReceiptCheckRequested(EventPayload):
    """A payee, sampled once every line of the claim was paid, is to be asked whether the money
    arrived (programmes ask a sample of recipients; all paid more than Rp 50,000,000)."""

    event_type = "ReceiptCheckRequested"

    claim_id: str
    participant_id: str
    payee_heir_id: str
    amount: int  # rupiah the payee was paid for this claim
