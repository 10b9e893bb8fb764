"""Claims' words that cross the wire, defined once.

Every value here appears on an event or an API response, and every reader (the
console's and notifications' word tables, enrollment's heir ranks) is tested against
these tuples, so a new word cannot go out untranslated. `Literal` types type the
contracts; the tuples (typing.get_args) are what tests and validation iterate.
"""

from __future__ import annotations

from typing import Literal, get_args

ClaimType = Literal["JKK", "JKK_DEATH", "JKM"]
CLAIM_TYPES: tuple[str, ...] = get_args(ClaimType)
DeathClaimType = Literal["JKK_DEATH", "JKM"]
DEATH_CLAIM_TYPES: tuple[str, ...] = get_args(DeathClaimType)

# `withdrawn`: the filer or a supervisor took a claim back (filed in error); nothing more happens to it.
# awaiting_family: opened by Jaring when the civil registry reported a covered participant's
# death (docs/outreach.md); an officer completes it with the family's filing, then it is `filed`.
ClaimStatus = Literal[
    "filed", "approved", "rejected", "needs_review", "payout_recorded", "awaiting_family", "withdrawn"
]
CLAIM_STATUSES: tuple[str, ...] = get_args(ClaimStatus)

# Why the rules referred or rejected a claim (services/claims/domain/reasons.py decides the
# effect of each), and the two codes an officer's decision carries.
ReasonCode = Literal[
    "NOT_COVERED_ON_INCIDENT_DATE",
    "PROGRAMME_NOT_ENROLLED",
    "CLAIM_RIGHT_EXPIRED",
    "DUPLICATE_INCIDENT",
    "DOCUMENTS_INCOMPLETE",
    "POLICE_REPORT_MISSING",
    "DEATH_SOON_AFTER_ENROLMENT",
    "PARTICIPANT_NOT_IN_READ_MODEL",
    "NO_HEIR",
    "GUARDIAN_MISSING",
    "SAMPLED_FOR_REVIEW",
    "ABOVE_REVIEW_THRESHOLD",
    "OFFICER_APPROVED",
    "OFFICER_REJECTED",
    "REOPENED_BY_SUPERVISOR",
]
REASON_CODES: tuple[str, ...] = get_args(ReasonCode)

# The lines of a payout ledger (services/claims/domain/benefits.py and payout.py).
PayoutComponentName = Literal[
    "lump_sum",
    "periodic_benefit",
    "funeral",
    "death_benefit",
    "scholarship",
    "temporary_incapacity",
    "permanent_disability",
    "transport",
    "late_charge",
    "reclassification_adjustment",
]
PAYOUT_COMPONENTS: tuple[str, ...] = get_args(PayoutComponentName)
PayoutKind = Literal["cash", "entitlement"]
PAYOUT_KINDS: tuple[str, ...] = get_args(PayoutKind)

DisbursementStatus = Literal["scheduled", "paid", "failed"]
DISBURSEMENT_STATUSES: tuple[str, ...] = get_args(DisbursementStatus)

# Working days BPJS has to pay once the application is complete, or it owes 1 % a day:
# JKK within 7 (PP 44/2015 art. 37(2)), JKM within 3 (art. 40(3)); a JKK death is a JKK
# benefit (art. 37(4)).
PAYMENT_WORKING_DAYS: dict[str, int] = {"JKK": 7, "JKK_DEATH": 7, "JKM": 3}

# Heirs (ahli waris) and their rank, PP 44/2015 art. 37(5) and 40(2): (1) widow, widower or
# child; (2) blood relatives in the direct line to the second degree, parents, then
# grandchildren, then grandparents; (3) siblings; (4) parents-in-law; (5) named in a will.
# Group (2) is ordered within itself, which makes seven ranks. Data, not a rule: enrollment
# and claims both rank heirs by this table (a test holds enrollment's copy to it).
Relationship = Literal[
    "spouse",
    "child",
    "parent",
    "grandchild",
    "grandparent",
    "sibling",
    "parent_in_law",
    "named_in_will",
]
RELATIONSHIPS: tuple[str, ...] = get_args(Relationship)
HEIR_PRECEDENCE: dict[str, int] = {
    "spouse": 1,  # janda / duda
    "child": 1,  # anak
    "parent": 2,  # orang tua
    "grandchild": 3,  # cucu
    "grandparent": 4,  # kakek / nenek
    "sibling": 5,  # saudara kandung
    "parent_in_law": 6,  # mertua
    "named_in_will": 7,  # pihak yang ditunjuk dalam wasiat (akta notaris)
}

# Work segments of informal workers (enrollment's; PP 50/2025's discount windows follow them).
Segment = Literal["market_trader", "daily_worker", "micro_business", "driver", "fisher", "other"]
SEGMENTS: tuple[str, ...] = get_args(Segment)

# A participant's coverage (enrollment computes it; claims keeps it in its read model).
CoverageStatus = Literal["not_started", "active", "grace", "lapsed"]
COVERAGE_STATUSES: tuple[str, ...] = get_args(CoverageStatus)

TransportMode = Literal["land", "sea", "air"]
TRANSPORT_MODES: tuple[str, ...] = get_args(TransportMode)
