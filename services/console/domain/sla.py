"""How near each claim is to its payment deadline.

BPJS pays JKK within 7 working days of a complete application and JKM within 3 (PP
44/2015 art. 37(2), 40(3)); a JKK death is a JKK benefit (art. 37(4)); late, it owes 1 %
of the benefit per day. The clock starts on the day the documents were complete — in
Makassar's calendar (WITA), as claims counts it. Claims keeps the same arithmetic in
services/claims/domain/sla.py; services share only event contracts, so these few lines
are repeated here (as format_rupiah is), and the console's figure is checked against
claims' own `sla` on the claim page.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

PAYMENT_WORKING_DAYS: dict[str, int] = {"JKK": 7, "JKK_DEATH": 7, "JKM": 3}


def is_working_day(day: date, holidays: Collection[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def deadline(claim_type: str, documents_complete_on: date, holidays: Collection[date] = frozenset()) -> date:
    """The Nth working day after the day the documents were complete (that day not counted)."""
    remaining = PAYMENT_WORKING_DAYS[claim_type]
    day = documents_complete_on
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


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


def standing(claim_id: str, claim_type: str, status: str, documents_complete_on: date, today: date,
             warn_days: int) -> SlaStanding:
    due = deadline(claim_type, documents_complete_on)
    days_left = (due - today).days
    flag = "late" if days_left < 0 else "due" if days_left <= warn_days else "ok"
    return SlaStanding(claim_id, claim_type, status, documents_complete_on, due,
                       (today - documents_complete_on).days, days_left, flag)
