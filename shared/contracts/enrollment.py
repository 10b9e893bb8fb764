"""Events the enrollment service publishes on `enrollment.participants.v1` (key: participant_id).

Claims and notifications build their own read models from these; a full NIK never
leaves enrollment (only `masked_nik`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.envelope import EventPayload

Programme = Literal["JKK", "JKM", "JHT"]


class HeirData(BaseModel):
    model_config = ConfigDict(frozen=True)

    heir_id: str
    full_name: str
    relationship: str
    precedence: int  # 1 = spouse/child … 7 = named in a will; enrollment derives it
    phone: str | None = None  # E.164
    email: str | None = None
    language: Literal["id", "en"] = "id"


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
    amount: int  # rupiah
    payer: Literal["self", "city"]
    paid_at: date


class ProtectedPeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date  # inclusive


class CoverageChanged(EventPayload):
    event_type = "CoverageChanged"

    participant_id: str
    status: Literal["not_started", "active", "grace", "lapsed"]
    as_of: date
    last_paid_period: str | None = None
    active_through: date | None = None
    grace_until: date | None = None
    lapsed_from: date | None = None
    paid_months: int = 0
    # Every stretch in which an incident is covered; claims checks incident dates against it.
    protected_periods: list[ProtectedPeriod] = []
