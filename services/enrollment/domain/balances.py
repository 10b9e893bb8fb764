"""What each month's payments add up to: payments that are not the exact amount (issue 12.10).

A worker pays what the counter took, not always what was due: an undiscounted Rp 16,800
from a self-paid trader who owed Rp 8,400 under PP 50/2025, a round Rp 20,000, or half
now and half next week. Money that reached BPJS is recorded, never refused for its
amount. Jaring's choice, kept in this one module:

- payments for one month add up; the month is **complete** (protects) once they reach
  what was due, on the day of the payment that completed it, and **partial** until then;
- what is paid beyond a month's due is **credit carried to the next month**, which it
  pays first (in full or in part), and so on month after month. Carrying is chosen over
  refunding because it keeps the worker protected without a trip back to the counter.
  Credit is not carried past a death month: it stays on that month, to be refunded to
  the estate.

Coverage (coverage.py) counts only complete months.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Literal

from services.enrollment.domain.coverage import Payment
from services.enrollment.domain.period import Period

MonthStatus = Literal["complete", "partial"]


@dataclass(frozen=True)
class Paid:
    """One recorded contribution: money for a month, with what that month owed when it was recorded."""

    contribution_id: str
    period: Period
    amount: int
    amount_due: int
    paid_at: date


@dataclass(frozen=True)
class MonthBalance:
    period: Period
    due: int
    paid: int  # by this month's own payments
    credit_in: int  # carried from the month before
    credit_out: int  # carried to the next month (or, in a death month, to refund)
    completed_on: date | None  # the day the money completing it arrived
    completed_by: str | None  # the contribution that completed it (or that carried the credit)

    @property
    def status(self) -> MonthStatus:
        return "complete" if self.completed_on is not None else "partial"

    @property
    def outstanding(self) -> int:
        return 0 if self.completed_on is not None else self.due - self.paid - self.credit_in


def month_balances(
    payments: Iterable[Paid],
    due_for: Callable[[Period], int],
    last_month: Period | None = None,
) -> list[MonthBalance]:
    """Every month that received money (its own or carried credit), oldest first.

    `due_for` answers what a month with no payment of its own owes (for credit carried
    into it); a month with payments owes what its first payment recorded. `last_month`
    (the death month) stops the carrying.
    """
    ordered = sorted(payments, key=lambda p: (p.period, p.paid_at))
    by_month = {month: list(group) for month, group in groupby(ordered, key=lambda p: p.period)}
    balances: list[MonthBalance] = []
    credit, credit_from, credit_on = 0, None, None
    if not ordered:
        return balances
    month, last_paid = ordered[0].period, ordered[-1].period
    while month <= last_paid or credit > 0:
        if last_month is not None and month > last_month:
            break
        own = by_month.get(month, [])
        if not own and credit == 0:
            month = month + 1
            continue
        due = own[0].amount_due if own else due_for(month)
        applied, completed_on, completed_by = credit, None, None
        if credit >= due:
            completed_on, completed_by = credit_on, credit_from
        for payment in own:
            applied += payment.amount
            if completed_on is None and applied >= due:
                completed_on, completed_by = payment.paid_at, payment.contribution_id
        carried = applied - due if completed_on is not None else 0
        balances.append(
            MonthBalance(month, due, sum(p.amount for p in own), credit, carried, completed_on, completed_by)
        )
        if carried:
            # The credit is money that arrived with this month's last payment (or earlier credit).
            credit_on = max([p.paid_at for p in own] + ([credit_on] if credit_on else []))
            credit_from = own[-1].contribution_id if own else credit_from
        credit = carried
        month = month + 1
    return balances


def complete_payments(balances: Iterable[MonthBalance]) -> list[Payment]:
    """The complete months as coverage counts them: each protects from the day it was completed."""
    return [Payment(b.period, b.completed_on) for b in balances if b.completed_on is not None]
