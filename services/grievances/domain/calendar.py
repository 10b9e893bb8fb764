"""Working days, the unit of a grievance's resolution deadline.

Monday to Friday except the public holidays and cuti bersama decreed each year (SKB 3
Menteri); the holiday list is an argument, as in claims' payment deadline, because it is
decreed year by year. Claims counts its payment clock the same way (services/claims/
domain/sla.py); the services do not import each other, so the few lines are repeated here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date] = frozenset()) -> date:
    """The Nth working day after `start` (`start` itself not counted, as "within N days of" reads)."""
    if days < 0:
        raise ValueError("days is never negative")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def working_days_between(start: date, end: date, holidays: Collection[date] = frozenset()) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count
