"""Events the grievances service publishes.

`grievances.family-notices.v1` (key: claim_id) carries what a family must do for a claim (the
documents still missing, and a reminder). `grievances.grievances.v1` (key: grievance_id)
carries a pengaduan's life: filed, resolved, reopened, overdue. `grievances.lookups.v1` (key:
claim_id) carries what a family asked about a claim ("Lacak Klaim"): the one-time code to send,
and a claim's status shared with a phone recorded on it. Each event names the contact to tell, so
notifications sends it without a read model of its own. No event carries a NIK or the grievance's
free text (the family may have typed anything into it); the text stays in the grievances service.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.envelope import EventPayload

GrievanceCategory = Literal["wrong_heir", "amount", "delay", "rejected_claim", "data_correction", "other"]
GRIEVANCE_CATEGORIES: tuple[str, ...] = ("wrong_heir", "amount", "delay", "rejected_claim", "data_correction", "other")
# How a grievance reached Jaring: the public page, a message, or an officer on the family's behalf.
GrievanceChannel = Literal["web", "sms", "whatsapp", "officer"]
GrievanceStatus = Literal["open", "resolved"]
PhoneChannel = Literal["sms", "whatsapp"]
# Disbursement of one person's share as the family reads it.
PaymentStatus = Literal["not_recorded", "recorded", "scheduled", "paid", "failed"]


class Contact(BaseModel):
    """Whom to tell, and how. `heir_id` is the heir's id, or "reporter" for whoever reported
    the claim, or "family" for a phone that filed by itself."""

    model_config = ConfigDict(frozen=True)

    heir_id: str
    phone: str  # E.164
    language: Literal["id", "en"] = "id"
    # The channel the family used to reach us; None: the city's usual phone channel.
    channel: PhoneChannel | None = None


class GrievanceFiled(EventPayload):
    event_type = "GrievanceFiled"

    grievance_id: str
    category: GrievanceCategory
    channel: GrievanceChannel
    claim_id: str | None = None
    participant_id: str | None = None
    filed_by: str  # the officer's subject, or "family"
    assigned_to: str  # the supervisor who owns it
    due_on: date  # resolution deadline (working days by category)
    contact: Contact | None = None


class GrievanceResolved(EventPayload):
    event_type = "GrievanceResolved"

    grievance_id: str
    category: GrievanceCategory
    claim_id: str | None = None
    participant_id: str | None = None
    resolved_by: str
    # What was done, as the supervisor wrote it for the family (NIK-like digit runs masked).
    resolution: str
    reopen_until: date  # the family may reopen it until this day
    claim_reopened: bool = False  # the resolution sent the claim back to review
    contact: Contact | None = None


class GrievanceReopened(EventPayload):
    event_type = "GrievanceReopened"

    grievance_id: str
    category: GrievanceCategory
    claim_id: str | None = None
    participant_id: str | None = None
    reopened_by: str
    due_on: date
    contact: Contact | None = None


class GrievanceOverdue(EventPayload):
    """An open grievance passed its deadline: escalated to the escalation supervisor, and the
    family is told it is late and still being worked on."""

    event_type = "GrievanceOverdue"

    grievance_id: str
    category: GrievanceCategory
    claim_id: str | None = None
    participant_id: str | None = None
    due_on: date
    escalated_to: str
    contact: Contact | None = None


class LookupCodeIssued(EventPayload):
    """A one-time code for "Lacak Klaim", to send to a phone recorded on the claim. The only
    event that carries a secret: its topic keeps it one hour (docs/security.md)."""

    event_type = "LookupCodeIssued"

    lookup_id: str
    claim_id: str
    contact: Contact
    code: str
    expires_at: datetime


class ClaimStatusShared(EventPayload):
    """A recorded phone asked for a claim's status ("STATUS <claim>"): what to tell that person,
    their own share only."""

    event_type = "ClaimStatusShared"

    claim_id: str
    claim_type: str
    contact: Contact
    status: str  # the claim's status word (shared.contracts: filed, needs_review, approved, …)
    missing_documents: list[str] = []
    payment_deadline: date | None = None
    amount: int | None = None  # rupiah, this person's cash share; None until recorded
    payment_status: PaymentStatus = "not_recorded"


class FamilyContact(BaseModel):
    """One person to tell, by every contact they have (an heir may have only an email)."""

    model_config = ConfigDict(frozen=True)

    heir_id: str  # or "reporter"
    phone: str | None = None  # E.164
    email: str | None = None
    language: Literal["id", "en"] = "id"


class MissingDocumentsNoticed(EventPayload):
    """Verification referred a claim for missing documents: the reporter and the first-rank heirs
    with a contact are told what to bring, where, and that the payment clock starts once the
    file is complete; `reminder` is the one reminder 3 working days later while still missing."""

    event_type = "MissingDocumentsNoticed"

    claim_id: str
    participant_id: str
    claim_type: str
    missing_documents: list[str]
    reminder: bool = False
    recipients: list[FamilyContact]
