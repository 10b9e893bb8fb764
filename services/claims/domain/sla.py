"""Payment deadlines: the SLA clock officers see on each claim.

BPJS pays JKK benefits within 7 working days of the technical and administrative
requirements being met (PP 44/2015 art. 37(2)) and JKM within 3 working days of a
complete application (art. 40(3)); late, it owes 1 % of the benefit for every day of
delay, paid to the participant or heirs (art. 37(3), 40(4)). A JKK death is a JKK
benefit (art. 37(4)), so it runs on JKK's 7 days.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from services.claims.domain.claim import ClaimType

PAYMENT_WORKING_DAYS: dict[ClaimType, int] = {
    ClaimType.JKK: 7,
    ClaimType.JKK_DEATH: 7,
    ClaimType.JKM: 3,
}
LATE_PERCENT_PER_DAY = 1


def deadline(claim_type: ClaimType | str, documents_complete_on: date,
             holidays: Collection[date] = frozenset()) -> date:
    """The last day to pay: the Nth working day after the day the documents were
    complete (that day itself is not counted, as "within N days of" reads). Saturdays,
    Sundays and the given public holidays are not working days; the holiday calendar
    is an argument because it is decreed year by year (SKB cuti bersama)."""
    remaining = PAYMENT_WORKING_DAYS[ClaimType(claim_type)]
    day = documents_complete_on
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def is_working_day(day: date, holidays: Collection[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def days_left(deadline: date, today: date) -> int:
    """Calendar days until the deadline: 0 on the deadline day, negative once it has
    passed (-1 the day after). Calendar days, because lateness is owed per calendar day."""
    return (deadline - today).days


def days_late(deadline: date, paid_on: date) -> int:
    """Days of delay (hari keterlambatan): every calendar day after the deadline. The
    regulation counts the deadline in working days but the delay in plain days."""
    return max((paid_on - deadline).days, 0)


def late_interest(amount: int, days_late: int) -> int:
    """1 % of the benefit for each day of delay, simple (not compounded), uncapped as the
    articles set no cap; rounded half up to the whole rupiah."""
    if amount < 0 or days_late < 0:
        raise ValueError("amount and days late are never negative")
    numerator = amount * LATE_PERCENT_PER_DAY * days_late
    return (2 * numerator + 100) // 200
