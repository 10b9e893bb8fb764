"""Calendar arithmetic the claim rules share: membership and claim windows are counted
in calendar months ("3 months of membership", "5 years after the accident"), not days."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks (31 January + 1 month,
    29 February + 12 months) becomes that month's last day, so a window never
    overshoots into the month after."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
