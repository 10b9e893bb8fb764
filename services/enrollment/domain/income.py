"""Declared income, dated: each change takes effect from a month.

Benefits use the declared income in effect in the month of the accident or death (the
product brief: "the facts of the day"), and a month's contribution is owed on the income
in effect in that month. So a change is never an overwrite: it is a new entry from a
month on, and `monthly_income` is only the entry in effect today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.enrollment.domain.contributions import income_errors
from services.enrollment.domain.period import Period
from shared.errors import FieldError, RuleViolation


@dataclass(frozen=True, order=True)
class IncomeChange:
    effective_from: Period
    monthly_income: int  # whole rupiah


def income_in(history: Sequence[IncomeChange], period: Period) -> int:
    """The declared income in effect in `period`: the latest change from that month or
    before. A month before the first change (before membership) takes the first one."""
    ordered = sorted(history)
    if not ordered:
        raise ValueError("an income history has at least the income declared at registration")
    in_effect = ordered[0]
    for change in ordered:
        if change.effective_from <= period:
            in_effect = change
    return in_effect.monthly_income


def change_income(
    history: Sequence[IncomeChange],
    monthly_income: object,
    effective_from: object,
    *,
    member_since: date,
    today: date,
) -> list[IncomeChange]:
    """The history with the change applied (a second change for the same month replaces
    it), oldest first; one RuleViolation naming every broken rule otherwise.

    `effective_from` is "YYYY-MM" or None (the current month). It may not be before the
    month membership started (there was no declared income then) nor after the current
    month (today's `monthly_income` would otherwise go stale when that month arrives).
    """
    errors = income_errors(monthly_income)
    month: Period | None = Period.of(today)
    if effective_from is not None:
        try:
            month = Period.parse(
                effective_from if isinstance(effective_from, str) else repr(effective_from), ("income_effective_from",)
            )
        except RuleViolation as violation:
            errors.extend(violation.errors)
            month = None
    if month is not None and month < Period.of(member_since):
        errors.append(
            FieldError(
                ("income_effective_from",),
                "income_before_membership",
                f"income_before_membership: the participant is a member since {Period.of(member_since)}; "
                f"an income cannot take effect in {month}, before that",
            )
        )
    if month is not None and month > Period.of(today):
        errors.append(
            FieldError(
                ("income_effective_from",),
                "income_effective_from_in_future",
                f"income_effective_from_in_future: an income change takes effect from this month "
                f"({Period.of(today)}) or an earlier one; record a later change when its month comes",
            )
        )
    if errors:
        raise RuleViolation(errors)
    assert month is not None and isinstance(monthly_income, int)
    kept = [c for c in history if c.effective_from != month]
    return sorted([*kept, IncomeChange(month, monthly_income)])
