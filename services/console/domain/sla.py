"""How near each claim is to its payment deadline.

The deadline itself is claims' rule (PP 44/2015 art. 37(2), 40(3): JKK within 7 working
days of a complete application, JKM within 3); claims announces it in its decision
events and the console only shows how near it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SlaStanding:
    claim_id: str
    claim_type: str
    status: str
    documents_complete_on: date
    deadline: date
    days_since_complete: int  # calendar days
    days_left: int  # calendar days to the deadline; 0 on the day, negative once past
    flag: str  # "late", "due" (within the warning days) or "ok"


def standing(
    claim_id: str, claim_type: str, status: str, documents_complete_on: date, due: date, today: date, warn_days: int
) -> SlaStanding:
    days_left = (due - today).days
    flag = "late" if days_left < 0 else "due" if days_left <= warn_days else "ok"
    return SlaStanding(
        claim_id, claim_type, status, documents_complete_on, due, (today - documents_complete_on).days, days_left, flag
    )
