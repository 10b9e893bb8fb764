"""Payment deadlines: the SLA clock officers see on each claim.

BPJS pays JKK benefits within 7 working days of the technical and administrative
requirements being met (PP 44/2015 art. 37(2)) and JKM within 3 working days of a
complete application (art. 40(3)); late, it owes 1 % of the benefit for every day of
delay, paid to the participant or heirs (art. 37(3), 40(4)). A JKK death is a JKK
benefit (art. 37(4)), so it runs on JKK's 7 days.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta

from services.claims.domain.claim import ClaimType
from services.claims.domain.holidays import DAYS_OFF
from services.claims.domain.payout import PayoutLine
from shared.contracts.vocabulary import PAYMENT_WORKING_DAYS

LATE_PERCENT_PER_DAY = 1


def deadline(claim_type: ClaimType | str, documents_complete_on: date, holidays: Collection[date] = DAYS_OFF) -> date:
    """The last day to pay: the Nth working day after the day the documents were
    complete (that day itself is not counted, as "within N days of" reads). Saturdays,
    Sundays, national holidays and cuti bersama (holidays.py, from the yearly SKB) are
    not working days, so a deadline never lands on one."""
    remaining = PAYMENT_WORKING_DAYS[str(ClaimType(claim_type))]
    day = documents_complete_on
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def is_working_day(day: date, holidays: Collection[date] = DAYS_OFF) -> bool:
    return day.weekday() < 5 and day not in holidays


# Statuses that close a claim: nothing more is owed, so no deadline counts down.
CLOSED_STATUSES = frozenset({"rejected", "withdrawn"})


def deadline_runs(status: str, disbursement_status: str | None) -> bool:
    """A payment deadline runs until the claim is closed (rejected, withdrawn) or the money is paid."""
    return status not in CLOSED_STATUSES and disbursement_status != "paid"


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


def late_charge_lines(ledger: Sequence[PayoutLine], payment_deadline: date, paid_on: date) -> list[PayoutLine]:
    """The late charge owed when the money is paid on `paid_on`: for each payee, 1 % per day
    late of the cash benefit recorded for them (late_interest), as one `late_charge` line each.
    Per payee, because the charge is owed to whoever the benefit is owed to. Nothing when
    paid on or before the deadline."""
    late = days_late(payment_deadline, paid_on)
    if late == 0:
        return []
    cash: dict[str, int] = {}
    first: dict[str, PayoutLine] = {}
    for line in ledger:
        if line.kind == "cash" and line.component != "late_charge":
            who = line.payee_heir_id or ""
            cash[who] = cash.get(who, 0) + line.amount
            first.setdefault(who, line)
    return [
        PayoutLine(
            "late_charge",
            late_interest(amount, late),
            "cash",
            first[who].payee_heir_id,
            first[who].payee_name,
            first[who].guardian_name,
            f"paid {paid_on.isoformat()}, {late} days after the deadline {payment_deadline.isoformat()}: "
            f"{LATE_PERCENT_PER_DAY} % x {late} days x {amount} (PP 44/2015 art. 37(3), 40(4))",
        )
        for who, amount in cash.items()
        if late_interest(amount, late) > 0
    ]
