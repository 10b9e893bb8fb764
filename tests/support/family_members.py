"""One family as notifications' read model holds it, for tests that hand its handlers events
directly: a widow by phone, a son by email in English, a small granddaughter with neither, and
the market head who reported the death."""

from __future__ import annotations

from datetime import date

from shared.contracts.claims import ClaimFiled, Reporter
from shared.contracts.enrollment import HeirData, ParticipantDetails, ParticipantEnrolled

WIDOW = HeirData(heir_id="H-1", full_name="Siti Aminah", relationship="spouse", precedence=1, phone="+6281300000001")
SON = HeirData(
    heir_id="H-2", full_name="Rudi Hartono", relationship="child", precedence=1, email="rudi@example.id", language="en"
)
GRANDDAUGHTER = HeirData(
    heir_id="H-3", full_name="Nur Aisyah", relationship="child", precedence=1, birth_date=date(2019, 3, 1)
)  # a small child: no phone, no email
REPORTER = Reporter(name="Daeng Tata", phone="0812-9987-0001", organisation="kepala pasar")


def claim_filed(claim_id: str, participant_id: str, claim_type: str) -> ClaimFiled:
    """The claim as filed at the market for this family (no documents yet)."""
    return ClaimFiled(
        claim_id=claim_id,
        participant_id=participant_id,
        claim_type=claim_type,
        incident_date=date(2026, 11, 20),
        incident_place="Pasar Terong",
        cause="fell",
        reporter=REPORTER,
        documents={},
        filed_by="officer-1",
    )


def enrolment(participant_id: str, heirs: list[HeirData]) -> ParticipantEnrolled:
    """The market trader whose family this is, enrolled with these heirs, as enrollment announces it."""
    details = ParticipantDetails(
        masked_nik="7371************",
        full_name="Daeng Rahman",
        birth_date=date(1980, 4, 12),
        sex="M",
        phone="+6281300000009",
        kecamatan="Tamalate",
        segment="market_trader",
        monthly_income=2_000_000,
        programs=["JKK", "JKM"],
        member_since=date(2025, 1, 1),
    )
    return ParticipantEnrolled(participant_id=participant_id, details=details, heirs=heirs)
