"""Events the claims service publishes (key: claim_id).

`claims.filed.v1` carries ClaimFiled (read by verification); `claims.decisions.v1`
carries the outcome of verification or of an officer (read by payout recording and
notifications); `claims.payouts.v1` carries what was recorded and disbursed.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.enrollment import HeirData
from shared.envelope import EventPayload

ClaimType = Literal["JKK", "JKK_DEATH", "JKM"]


class Reporter(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    phone: str | None = None
    organisation: str | None = None  # workers' group, union or health facility (Permenaker 1/2025 art. 48A)


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class ClaimFiled(EventPayload):
    event_type = "ClaimFiled"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    incident_date: date
    incident_place: str
    cause: str
    traffic_accident: bool = False
    reporter: Reporter
    documents: dict[str, str]  # document kind -> document number
    incapacity_days: int | None = None
    disability_percent: int | None = None
    filed_by: str  # officer subject


class ClaimApproved(EventPayload):
    event_type = "ClaimApproved"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    decided_by: str  # "rules" or the officer's subject
    reasons: list[Reason] = []
    # The payment clock (PP 44/2015 art. 37(2), 40(3)): set once the documents are complete,
    # so readers (the console) show the deadline without knowing the rule.
    documents_complete_on: date | None = None
    payment_deadline: date | None = None


class ClaimRejected(EventPayload):
    event_type = "ClaimRejected"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    decided_by: str
    reasons: list[Reason]


class ClaimReferredForReview(EventPayload):
    event_type = "ClaimReferredForReview"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    reasons: list[Reason]
    # Document kinds (claims' checklist names) still missing, so the family can be told what to
    # bring; empty when the claim waits for a person for another reason. Empty from older producers.
    missing_documents: list[str] = []
    # Set when a supervisor sent a decided claim back to review (POST /v1/claims/{id}/reopen).
    reopened_by: str | None = None
    # The payment clock (PP 44/2015 art. 37(2), 40(3)): set once the documents are complete,
    # so readers (the console) show the deadline without knowing the rule.
    documents_complete_on: date | None = None
    payment_deadline: date | None = None


class DeathConfirmed(EventPayload):
    """A death claim was approved: enrollment ends the membership (no contribution for a
    month after the death; the sweep and the campaign treat the person as deceased)."""

    event_type = "DeathConfirmed"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    date_of_death: date


class HeirsNamedOnClaim(EventPayload):
    """A reviewer added the heirs named on the heir statement (surat keterangan ahli waris)
    to a death claim. Enrollment takes them as the participant's heirs, keeping the
    heir_ids, and announces HeirsChanged as usual."""

    event_type = "HeirsNamedOnClaim"

    claim_id: str
    participant_id: str
    heirs: list[HeirData]
    named_by: str


class PayoutComponent(BaseModel):
    model_config = ConfigDict(frozen=True)

    component: str  # lump_sum, periodic_benefit, funeral, death_benefit, scholarship, …
    amount: int  # rupiah
    kind: Literal["cash", "entitlement"]
    payee_heir_id: str | None
    payee_name: str | None


class PayoutRecorded(EventPayload):
    event_type = "PayoutRecorded"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    components: list[PayoutComponent]
    total_cash: int


class DisbursementChanged(EventPayload):
    event_type = "DisbursementChanged"

    claim_id: str
    participant_id: str
    status: Literal["scheduled", "paid", "failed"]
    reference: str | None = None
    changed_by: str
