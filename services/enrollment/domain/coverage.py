"""Coverage: which days a BPU participant's paid contributions protect.

BPU participants pay no late fine; after 3 consecutive unpaid months membership and
protection become inactive [reported: BPJS FAQ, rule `grace_months_after_last_paid`
in services/reported_rules.py]. Jaring's reading of that, kept in this one module:

    the payment for month M protects from max(first day of M, paid_at) through the
    last day of M+2: `active` through M, `grace` in M+1 and M+2, `lapsed` from M+3.

Protection never starts before the money arrived: an incident in a month that had
lapsed is not covered by paying for that month afterwards (a lapsed worker starts
again). Contributions.check_payment refuses such payments for the same reason.

Time is always an argument (`today`); nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from services.enrollment.domain.period import Period
from services.reported_rules import reported

CoverageStatus = Literal["not_started", "active", "grace", "lapsed"]


def grace_months() -> int:
    return reported("grace_months_after_last_paid")


def protected_until(period: Period) -> date:
    """The last day the contribution for `period` protects: last day of M+2."""
    return (period + grace_months()).last_day


@dataclass(frozen=True)
class Payment:
    """A recorded contribution: the month it pays for and the day the money arrived."""

    period: Period
    paid_at: date


@dataclass(frozen=True, order=True)
class DateRange:
    """Days from `start` through `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"DateRange ends {self.end} before it starts {self.start}")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def protection_of(payment: Payment) -> DateRange | None:
    """The days one payment protects, or None when it arrived after its protection
    would already have ended (check_payment refuses those; old data may hold some)."""
    start = max(payment.period.first_day, payment.paid_at)
    end = protected_until(payment.period)
    return DateRange(start, end) if start <= end else None


def protected_periods(payments: Iterable[Payment]) -> list[DateRange]:
    """The union of the days the payments protect, merged and sorted; ranges that
    touch (one ends the day before the next starts) are joined into one."""
    ranges = sorted(r for r in map(protection_of, payments) if r is not None)
    merged: list[DateRange] = []
    for current in ranges:
        if merged and current.start <= merged[-1].end + timedelta(days=1):
            last = merged[-1]
            merged[-1] = DateRange(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return merged


def is_protected_on(periods: Sequence[DateRange], day: date) -> bool:
    """Whether `day` (an incident's day, a death's day) falls in protected days."""
    return any(r.contains(day) for r in periods)


@dataclass(frozen=True)
class Coverage:
    """A participant's standing on one day.

    `last_paid_period`, `active_through`, `grace_until` and `lapsed_from` describe the
    run of protection that covers `today`, or else the most recent one that ended
    before it; they are None while status is `not_started`.
    """

    status: CoverageStatus
    last_paid_period: Period | None
    active_through: date | None
    grace_until: date | None
    lapsed_from: date | None
    protected_periods: list[DateRange] = field(default_factory=list)
    paid_months: int = 0
    paid_periods: list[Period] = field(default_factory=list)  # every fully paid month, ascending


def coverage_on(payments: Iterable[Payment], today: date) -> Coverage:
    """The participant's coverage on `today`.

    A payment whose `paid_at` is after `today` is not known on `today` and is left
    out, so the function answers "what was the standing on that day" for any day.
    """
    known = [p for p in payments if p.paid_at <= today]
    periods = protected_periods(known)
    paid = sorted({p.period for p in known})
    paid_months = len(paid)

    # The run to describe: the one covering today, else the latest that has ended.
    # A run that starts after today (a month paid ahead with nothing before it) does
    # not make today protected, so it is never the one described: protection starts
    # when the paid month does (protection_of).
    run = next((r for r in periods if r.contains(today)), None)
    if run is None:
        run = next((r for r in reversed(periods) if r.end < today), None)
    if run is None:
        return Coverage("not_started", None, None, None, None, periods, paid_months, paid)

    latest = max(p.period for p in known if _falls_in(protection_of(p), run))
    active_through = latest.last_day
    grace_until = protected_until(latest)
    if today > grace_until:
        status: CoverageStatus = "lapsed"
    elif today > active_through:
        status = "grace"
    else:
        # Includes days before `latest` when months were paid ahead: the participant
        # is up to date, and the run covering today proves today is protected.
        status = "active"
    return Coverage(
        status=status,
        last_paid_period=latest,
        active_through=active_through,
        grace_until=grace_until,
        lapsed_from=(latest + grace_months() + 1).first_day,
        protected_periods=periods,
        paid_months=paid_months,
        paid_periods=paid,
    )


def coverage_at_death(payments: Iterable[Payment], deceased_on: date) -> Coverage:
    """The final coverage of a participant who died: the standing on the day of death, with
    protection ending that day. Months after the death month do not count (the scholarship
    counts membership months up to the death), nor does money that arrived after it. It
    depends on nothing but the death, so it never moves again: no sweep churns it."""
    death_month = Period.of(deceased_on)
    known = [p for p in payments if p.period <= death_month and p.paid_at <= deceased_on]
    standing = coverage_on(known, deceased_on)
    clipped = [
        DateRange(r.start, min(r.end, deceased_on)) for r in standing.protected_periods if r.start <= deceased_on
    ]
    return Coverage(
        standing.status,
        standing.last_paid_period,
        standing.active_through,
        standing.grace_until,
        standing.lapsed_from,
        clipped,
        standing.paid_months,
        standing.paid_periods,
    )


def _falls_in(protection: DateRange | None, run: DateRange) -> bool:
    # Merged runs are disjoint, so a payment's protection lies in exactly one run.
    return protection is not None and run.contains(protection.start)
