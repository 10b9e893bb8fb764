"""Builders shared by the claims unit tests (not a test module).

The default participant: a market trader in Makassar, member since 1 January 2023,
declared income Rp 3,000,000, JKK and JKM, every month paid from January 2023 to
June 2026 (42 months), so protected from 1 January 2023 through 31 August 2026
(the last paid month, June, protects through M+2 = August). Heirs: a widow and a child.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from services.claims.domain.claim import Claim, ClaimFiling, ClaimType, Reporter
from services.claims.domain.documents import required_documents
from services.claims.domain.participant import HeirView, ParticipantView

TODAY = date(2026, 7, 15)
INCIDENT = date(2026, 7, 10)

WIDOW = HeirView("h-widow", "Sitti Rahmawati", "spouse", 1, phone="+6281242001234")
CHILD_1 = HeirView("h-child-1", "Andi Saputra", "child", 1)
CHILD_2 = HeirView("h-child-2", "Nur Aisyah", "child", 1)
CHILD_3 = HeirView("h-child-3", "Muh. Fadli", "child", 1)
MOTHER = HeirView("h-mother", "Hj. Becce", "parent", 2)
FATHER = HeirView("h-father", "H. Baso", "parent", 2)
SISTER = HeirView("h-sister", "Rahma", "sibling", 5)


def participant(**overrides: Any) -> ParticipantView:
    fields: dict[str, Any] = {
        "participant_id": "p-1",
        "masked_nik": "7371************",
        "member_since": date(2023, 1, 1),
        "programs": {"JKK", "JKM"},
        "monthly_income": 3_000_000,
        "protected_periods": [(date(2023, 1, 1), date(2026, 8, 31))],
        "paid_months": 42,
        "heirs": [WIDOW, CHILD_1],
    }
    fields.update(overrides)
    return ParticipantView(**fields)


def full_documents(claim_type: ClaimType, *, traffic_accident: bool = False) -> dict[str, str]:
    """Every document any claim of this type may need (spouse payee, payout over the
    NPWP threshold), with numbers shaped as the validation wants them."""
    kinds = required_documents(claim_type, traffic_accident, payee_is_spouse=True, payout_total=10**12)
    numbers = {
        "ktp": "7371034703850001",
        "ktp_deceased": "7371031203800002",
        "ktp_heir": "7371034703850001",
        "witness_ktp_1": "7371030101900003",
        "witness_ktp_2": "7371030202910004",
        "family_card": "7371030101200005",
        "npwp": "12.345.678.9-012.000",
    }
    return {kind: numbers.get(kind, f"{kind.upper()}-001" if kind != "accident_chronology" else "") for kind in kinds}


def filing(claim_type: ClaimType = ClaimType.JKM, **overrides: Any) -> ClaimFiling:
    traffic = overrides.get("traffic_accident", False)
    fields: dict[str, Any] = {
        "participant_id": "p-1",
        "claim_type": claim_type,
        "incident_date": INCIDENT,
        "incident_place": "Pasar Terong, Bontoala",
        "cause": "fell from the stall's roof while fixing it" if claim_type != ClaimType.JKM else "heart attack",
        "reporter": Reporter("Sitti Rahmawati", "+6281242001234", "istri"),
        "traffic_accident": traffic,
    }
    fields.update(overrides)
    if "documents" not in fields:
        fields["documents"] = full_documents(claim_type, traffic_accident=traffic)
    return ClaimFiling(**fields)


def claim(claim_type: ClaimType = ClaimType.JKM, *, filed_on: date = TODAY, **overrides: Any) -> Claim:
    return Claim("c-1", filing(claim_type, **overrides), filed_on)


def without(documents: dict[str, str], *kinds: str) -> dict[str, str]:
    return {kind: number for kind, number in documents.items() if kind not in kinds}


def with_filing(base: Claim, **changes: Any) -> Claim:
    return replace(base, filing=replace(base.filing, **changes))
