"""Events the enrollment service publishes on `enrollment.participants.v1` (key: participant_id).

Claims and notifications build their own read models from these; a full NIK never
leaves enrollment (only `masked_nik`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from shared.contracts.vocabulary import CoverageStatus
from shared.envelope import EventPayload

Programme = Literal["JKK", "JKM", "JHT"]


class HeirData(BaseModel):
    model_config = ConfigDict(frozen=True)

    heir_id: str
    full_name: str
    relationship: str
    precedence: int  # 1 = spouse/child … 7 = named in a will; enrollment derives it
    # A contact is optional: elderly parents and small children often have neither; the heir
    # statement and the family card (KK) prove the tie, not a phone.
    phone: str | None = None  # E.164
    email: str | None = None
    language: Literal["id", "en"] = "id"
    birth_date: date | None = None  # a minor is paid through a wali; the scholarship ends at 23


class IncomeFrom(BaseModel):
    """Declared monthly income from a month on: benefits use the income in effect in the
    month of the accident or death, so a later change does not move them."""

    model_config = ConfigDict(frozen=True)

    effective_from: str  # "YYYY-MM"
    monthly_income: int  # rupiah


class ParticipantDetails(BaseModel):
    model_config = ConfigDict(frozen=True)

    masked_nik: str
    full_name: str
    birth_date: date
    sex: Literal["F", "M"]
    phone: str
    kecamatan: str
    segment: str
    monthly_income: int
    programs: list[Programme]
    member_since: date
    # Every declared income with the month it took effect, oldest first; `monthly_income`
    # is the one in effect now. Empty from producers that predate it: then monthly_income
    # holds since member_since.
    income_history: list[IncomeFrom] = []
    deceased_on: date | None = None  # set once claims confirmed a death (DeathConfirmed)


class ParticipantEnrolled(EventPayload):
    event_type = "ParticipantEnrolled"

    participant_id: str
    details: ParticipantDetails
    heirs: list[HeirData]
    source: Literal["api", "import"] = "api"


class ParticipantDetailsChanged(EventPayload):
    event_type = "ParticipantDetailsChanged"

    participant_id: str
    details: ParticipantDetails  # the whole snapshot after the change


class HeirsChanged(EventPayload):
    event_type = "HeirsChanged"

    participant_id: str
    heirs: list[HeirData]


class ContributionRecorded(EventPayload):
    event_type = "ContributionRecorded"

    participant_id: str
    contribution_id: str
    period: str  # "YYYY-MM"
    amount: int  # rupiah, as received: it need not be the month's exact due
    payer: Literal["self", "city"]
    paid_at: date
    # What the month owes, and where it stands after this payment: payments for one month
    # add up, and what exceeds the due is credit carried to the next month. None from
    # producers that predate them (every payment was then the exact due).
    amount_due: int | None = None
    status: Literal["complete", "partial"] | None = None
    credit: int | None = None  # carried to the next month after this payment


class ProtectedPeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date  # inclusive


class CoverageChanged(EventPayload):
    event_type = "CoverageChanged"

    participant_id: str
    status: CoverageStatus
    as_of: date
    last_paid_period: str | None = None
    active_through: date | None = None
    grace_until: date | None = None
    lapsed_from: date | None = None
    paid_months: int = 0
    paid_periods: list[str] = []  # every fully paid month, "YYYY-MM", ascending
    # Every stretch in which an incident is covered; claims checks incident dates against it.
    protected_periods: list[ProtectedPeriod] = []


class DeathReported(EventPayload):
    """The civil registry reported the death of a participant (matched by NIK inside enrollment;
    the NIK stays there). Claims opens a proactive death claim from it when the worker was
    covered on that day (docs/outreach.md). Deaths of people who are not participants never
    become an event: enrollment only counts them."""

    event_type = "DeathReported"

    participant_id: str
    date_of_death: date  # WITA calendar day, as the registry recorded it
    place: str
    registry_event_id: str  # the registry's id of the notification: one death is one event
    source: Literal["civil_registry"] = "civil_registry"


# A reminder before cover lapses: in the first grace month, and in the week before cover ends.
ReminderKind = Literal["first_grace_month", "before_lapse"]
REMINDER_KINDS: tuple[str, ...] = get_args(ReminderKind)


class ContributionReminderDue(EventPayload):
    """A self-paid worker's cover is in its grace months: remind them, with the exact amount that
    brings it back (discounts applied), and the day cover ends. Sent once per kind per unpaid run:
    in the first grace month, and again in the week before cover ends; never once the months
    are paid, never for city-paid workers, never after the worker answered STOP
    (docs/outreach.md)."""

    event_type = "ContributionReminderDue"

    participant_id: str
    kind: ReminderKind
    last_paid_period: str  # "YYYY-MM"
    months: list[str]  # the unpaid months the amount pays, "YYYY-MM"
    amount_due: int  # rupiah
    cover_ends_on: date  # the last protected day if nothing is paid
    kecamatan: str  # reminders are counted per kecamatan
