"""The document checklist of a claim (Permenaker 5/2021 procedures, as the product brief
lists them). A filing maps each document kind to its number, or "" when the document
has none (a chronology, a medical report): the checklist asks that it is there.

Claim types are the values of claim.ClaimType ("JKK", "JKK_DEATH", "JKM"); they are
compared as text here because claim.py imports this module to validate a filing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypedDict

PARTICIPANT_CARD = "participant_card"  # kartu peserta BPJS Ketenagakerjaan
KTP = "ktp"  # the injured participant's KTP (JKK)
KTP_DECEASED = "ktp_deceased"
KTP_HEIR = "ktp_heir"
FAMILY_CARD = "family_card"  # kartu keluarga (KK)
DEATH_CERTIFICATE = "death_certificate"  # akta / surat keterangan kematian
HEIR_STATEMENT = "heir_statement"  # surat keterangan ahli waris
MARRIAGE_BOOK = "marriage_book"  # buku nikah
BANK_ACCOUNT = "bank_account"  # the payee's account
NPWP = "npwp"
ACCIDENT_CHRONOLOGY = "accident_chronology"
WITNESS_KTP_1 = "witness_ktp_1"
WITNESS_KTP_2 = "witness_ktp_2"
MEDICAL_REPORT = "medical_report"
MEDICAL_RECEIPTS = "medical_receipts"  # kept when there are any; care at a partner facility has none
POLICE_REPORT = "police_report"

# Checklist order: how missing documents are listed to an officer.
CHECKLIST: tuple[str, ...] = (
    PARTICIPANT_CARD,
    KTP,
    KTP_DECEASED,
    KTP_HEIR,
    FAMILY_CARD,
    DEATH_CERTIFICATE,
    HEIR_STATEMENT,
    MARRIAGE_BOOK,
    ACCIDENT_CHRONOLOGY,
    WITNESS_KTP_1,
    WITNESS_KTP_2,
    MEDICAL_REPORT,
    MEDICAL_RECEIPTS,
    POLICE_REPORT,
    BANK_ACCOUNT,
    NPWP,
)
DOCUMENT_KINDS: frozenset[str] = frozenset(CHECKLIST)
KTP_KINDS: frozenset[str] = frozenset({KTP, KTP_DECEASED, KTP_HEIR, WITNESS_KTP_1, WITNESS_KTP_2})

# A tax number is asked for when the payout exceeds Rp 50,000,000 (strictly more).
# Measured on the claim's cash total, not on one heir's share: the checklist is the
# claim's, and BPJS asks for it by the benefit's size. Entitlements paid year by year
# (the scholarship) are not cash now and do not count.
NPWP_THRESHOLD_RUPIAH = 50_000_000

_JKM_DEATH_DOCUMENTS = frozenset(
    {
        PARTICIPANT_CARD,
        KTP_DECEASED,
        KTP_HEIR,
        FAMILY_CARD,
        DEATH_CERTIFICATE,
        HEIR_STATEMENT,
        BANK_ACCOUNT,
    }
)
_JKK_DOCUMENTS = frozenset(
    {
        PARTICIPANT_CARD,
        KTP,
        ACCIDENT_CHRONOLOGY,
        WITNESS_KTP_1,
        WITNESS_KTP_2,
        MEDICAL_REPORT,
        BANK_ACCOUNT,
    }
)


def required_documents(claim_type: str, traffic_accident: bool, payee_is_spouse: bool, payout_total: int) -> set[str]:
    """The kinds a complete application holds.

    JKK_DEATH is JKK's list plus JKM's death documents; the participant's own KTP is then
    the deceased's KTP, so it is asked for once, as ktp_deceased.
    """
    if claim_type == "JKM":
        required = set(_JKM_DEATH_DOCUMENTS)
    elif claim_type == "JKK":
        required = set(_JKK_DOCUMENTS)
    elif claim_type == "JKK_DEATH":
        required = (set(_JKK_DOCUMENTS) - {KTP}) | _JKM_DEATH_DOCUMENTS
    else:
        raise ValueError(f"unknown claim type {claim_type!r}")

    accident = claim_type in ("JKK", "JKK_DEATH")
    if accident and traffic_accident:
        required.add(POLICE_REPORT)
    # The marriage book proves a widow or widower is one; children and other heirs
    # prove their tie through the family card and the heir statement.
    if claim_type != "JKK" and payee_is_spouse:
        required.add(MARRIAGE_BOOK)
    if payout_total > NPWP_THRESHOLD_RUPIAH:
        required.add(NPWP)
    return required


def missing_documents(
    claim_type: str,
    traffic_accident: bool,
    payee_is_spouse: bool,
    payout_total: int,
    present: Collection[str],
) -> list[str]:
    """The required kinds not in `present`, in checklist order."""
    required = required_documents(claim_type, traffic_accident, payee_is_spouse, payout_total)
    return [kind for kind in CHECKLIST if kind in required and kind not in present]


class _Conditions(TypedDict, total=False):
    traffic_accident: bool
    payee_is_spouse: bool
    payout_total: int


# What each condition of required_documents turns on, named as the checklist publishes it.
CONDITIONS: tuple[tuple[str, _Conditions], ...] = (
    ("traffic_accident", {"traffic_accident": True}),
    ("payee_is_spouse", {"payee_is_spouse": True}),
    ("payout_above_npwp_threshold", {"payout_total": NPWP_THRESHOLD_RUPIAH + 1}),
)


def published_checklist(claim_type: str) -> dict[str, object]:
    """The checklist as claims publishes it for a form (GET /v1/checklist): the kinds a
    claim of this type always needs, and those a condition adds with the condition's name,
    in checklist order. Read from required_documents, so a form never holds a copy of the rule."""
    plain: _Conditions = {"traffic_accident": False, "payee_is_spouse": False, "payout_total": 0}
    always = required_documents(claim_type, **plain)
    when: dict[str, str] = {}
    for condition, flags in CONDITIONS:
        for kind in required_documents(claim_type, **(plain | flags)) - always:
            when.setdefault(kind, condition)
    return {
        "claim_type": claim_type,
        "required": [kind for kind in CHECKLIST if kind in always],
        "conditional": [{"kind": kind, "when": when[kind]} for kind in CHECKLIST if kind in when],
        "npwp_threshold_rupiah": NPWP_THRESHOLD_RUPIAH,
    }
