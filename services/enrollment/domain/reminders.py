"""Cover that does not lapse silently (issue 19; docs/outreach.md).

With M the last paid month, cover is in grace in M+1 and M+2 and lapses from M+3 (coverage.py).
A self-paid worker in grace is reminded twice per unpaid run:

    first_grace_month  any day of M+1 (the first grace month)
    before_lapse       in the 7 days before cover ends (the last day of M+2 and the 7 before it)

with the exact amount that brings cover back: every unpaid month from M+1 through the month of
the reminder, at what each month owes (discounts applied: contributions.contribution_due), less
what was already paid towards it. Paid months make the worker active again: no reminder. City-
paid workers are not messaged (the city's programme office gets a list); nor is a worker who
answered STOP.

Pure: handed `as_of` (a WITA day) and the facts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, timedelta

from services.enrollment.domain.period import Period
from shared.contracts.enrollment import REMINDER_KINDS

FIRST_GRACE_MONTH, BEFORE_LAPSE = REMINDER_KINDS  # the words on ContributionReminderDue
# Jaring's choice: "a week before it ends" is the last 7 days before the last protected day,
# and that day itself.
BEFORE_LAPSE_DAYS = 7

STOP_WORDS = frozenset({"STOP", "BERHENTI"})


def reminder_due(last_paid: Period, cover_ends_on: date, as_of: date, already_sent: Collection[str]) -> str | None:
    """The reminder to send on `as_of` for a worker whose cover runs from a last paid month
    `last_paid` to `cover_ends_on` (the last day of its grace), or None."""
    if as_of <= last_paid.last_day or as_of > cover_ends_on:
        return None  # still active, or lapsed already: a lapsed worker starts again
    if as_of >= cover_ends_on - timedelta(days=BEFORE_LAPSE_DAYS):
        return BEFORE_LAPSE if BEFORE_LAPSE not in already_sent else None
    if Period.of(as_of) == last_paid + 1 and FIRST_GRACE_MONTH not in already_sent:
        return FIRST_GRACE_MONTH
    return None


def months_owed(last_paid: Period, as_of: date) -> list[Period]:
    """The unpaid months that bring cover back on `as_of`: M+1 through the month of `as_of`."""
    months, month = [], last_paid + 1
    while month <= Period.of(as_of):
        months.append(month)
        month = month + 1
    return months


def amount_owed(months: list[Period], due_for: Callable[[Period], int], paid_towards: Mapping[Period, int]) -> int:
    """What those months owe, less what was already paid towards them (a partial payment, credit)."""
    return sum(max(due_for(month) - paid_towards.get(month, 0), 0) for month in months)


def is_stop(text: str) -> bool:
    """ "STOP" (or "BERHENTI"), whatever the case and spacing, as the whole message."""
    return " ".join(text.split()).upper() in STOP_WORDS
