"""What grows coverage (issue 19; docs/outreach.md): retention of self-paid workers. Pure.

Retention at N months (3, 6, 12): among self-paid workers who joined at least N months before
`as_of` (member_since + N months <= as_of), the share still covered (active or in grace: still
protected, still a member) on the day N months after joining. Self-paid: at least one
contribution recorded and every one paid by the worker (the city's lists are the programme's
own, reported apart). Workers who died are left out: they did not leave.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.enrollment.domain.coverage import Payment, coverage_on
from services.enrollment.domain.period import Period

RETENTION_MONTHS = (3, 6, 12)
STILL_COVERED = ("active", "grace")


@dataclass(frozen=True)
class Joiner:
    member_since: date
    payments: Sequence[Payment]  # complete months, as coverage counts them


@dataclass(frozen=True)
class Retention:
    months: int
    cohort: int  # joined at least `months` months before as_of
    still_covered: int

    @property
    def share(self) -> float | None:
        return round(self.still_covered / self.cohort, 4) if self.cohort else None


def months_after(day: date, months: int) -> date:
    """The same day `months` months later, the month's last day when it has fewer days."""
    target = Period.of(day) + months
    return date(target.year, target.month, min(day.day, calendar.monthrange(target.year, target.month)[1]))


def retention(joiners: Sequence[Joiner], as_of: date, months: Sequence[int] = RETENTION_MONTHS) -> list[Retention]:
    result = []
    for n in months:
        cohort = [j for j in joiners if months_after(j.member_since, n) <= as_of]
        still = sum(
            1 for j in cohort if coverage_on(j.payments, months_after(j.member_since, n)).status in STILL_COVERED
        )
        result.append(Retention(n, len(cohort), still))
    return result
