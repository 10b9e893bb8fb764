"""Events the claims service publishes (key: claim_id).

`claims.filed.v1` carries ClaimFiled (read by verification); `claims.decisions.v1`
carries the outcome of verification or of an officer (read by payout recording and
notifications), and officers' corrections; `claims.payouts.v1` carries what was recorded
and disbursed. The words on them are shared.contracts.vocabulary's.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contracts.enrollment import HeirData
from shared.contracts.vocabulary import (
    ClaimStatus,
    ClaimType,
    DeathClaimType,
    DisbursementStatus,
    PayoutComponentName,
    PayoutKind,
    ReasonCode,
)
from shared.envelope import EventPayload


class Reporter(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    phone: str | None = None
    organisation: str | None = None  # workers' group, union or health facility (Permenaker 1/2025 art. 48A)


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: ReasonCode
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
    # Document kind -> handed in. The numbers (a KTP's is a full NIK, a KK's as sensitive)
    # stay in claims' own tables (UU 27/2022): a topic carries only which documents are there.
    documents: dict[str, bool]
    incapacity_days: int | None = None
    disability_percent: int | None = None
    transport_costs: dict[str, int] = {}  # JKK: rupiah spent on transport to hospital, by land/sea/air
    filed_by: str  # officer subject

    @field_validator("documents", mode="before")
    @classmethod
    def _numbers_of_older_events_become_present(cls, value: object) -> object:
        # Events written before the change carry kind -> number: read as "present", and the
        # number is dropped on reading.
        if isinstance(value, dict):
            return {kind: v if isinstance(v, bool) else v is not None for kind, v in value.items()}
        return value


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


class ClaimWithdrawn(EventPayload):
    """The filer or a supervisor withdrew the claim (filed for the wrong person, the wrong
    incident): verification and payout leave it alone, notifications tells the family nothing
    more and drops what was queued and not yet sent."""

    event_type = "ClaimWithdrawn"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    withdrawn_by: str
    reason: str
    was: ClaimStatus = Field(description="the status the claim had when it was withdrawn")


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
    heir_ids, and announces HeirsChanged as usual. `heirs` is the whole list after the
    addition (the heirs claims knew, then the new ones), so replacing or merging by
    heir_id give the same result."""

    event_type = "HeirsNamedOnClaim"

    claim_id: str
    participant_id: str
    heirs: list[HeirData]
    named_by: str


class PayoutComponent(BaseModel):
    model_config = ConfigDict(frozen=True)

    component: PayoutComponentName
    amount: int  # rupiah
    kind: PayoutKind
    payee_heir_id: str | None
    payee_name: str | None
    guardian_name: str | None = None  # the wali through whom a minor heir's share is paid


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
    status: DisbursementStatus
    reference: str | None = None
    changed_by: str


class ClaimReclassified(EventPayload):
    """A supervisor corrected a death claim's type (JKM <-> JKK_DEATH), with a reason.

    After payout, `components` are the differences paid as new ledger lines (nothing is
    paid twice). When the new type pays less, nothing negative is recorded: `overpaid` is
    what was paid beyond the new type's total, left to a supervisor to settle, and the
    claim is flagged for it."""

    event_type = "ClaimReclassified"

    claim_id: str
    participant_id: str
    from_type: DeathClaimType
    claim_type: DeathClaimType
    reason: str
    reclassified_by: str
    after_payout: bool
    components: list[PayoutComponent] = []
    total_cash: int = 0  # cash of `components`
    overpaid: int = 0


class LateChargeRecorded(EventPayload):
    """The money was paid after the payment deadline: 1 % of the benefit per day late is owed
    to the payees (PP 44/2015 art. 37(3), 40(4)), recorded as `late_charge` lines."""

    event_type = "LateChargeRecorded"

    claim_id: str
    participant_id: str
    claim_type: ClaimType
    payment_deadline: date
    paid_on: date
    days_late: int
    components: list[PayoutComponent]
    total_cash: int


class ProactiveClaimOpened(EventPayload):
    """Jaring opened a death claim itself, because the civil registry reported the death of a
    participant who was covered that day (DeathReported). It waits for the family
    (status awaiting_family); notifications tells the heirs that have a contact what they are
    owed, what to bring and where. An officer completes this same claim when they come."""

    event_type = "ProactiveClaimOpened"

    claim_id: str
    participant_id: str
    claim_type: DeathClaimType
    date_of_death: date
    place: str
    # What a filed claim would pay in cash today (the same rule as a filed claim:
    # services/claims/domain/payout.py), and the checklist of documents to bring.
    expected_amount: int
    documents: list[str]
    office: str  # where to bring them


class ProactiveClaimReminderDue(EventPayload):
    """A proactive claim has waited `working_days` working days without the family: they are
    reminded once; after that the claim goes on the kelurahan's home-visit list."""

    event_type = "ProactiveClaimReminderDue"

    claim_id: str
    participant_id: str
    claim_type: DeathClaimType
    opened_on: date
    working_days: int
    expected_amount: int
    documents: list[str]
    office: str
