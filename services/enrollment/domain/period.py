"""Period: one calendar month, the unit BPU contributions are paid for.

BPJS Ketenagakerjaan bills BPU participants per month, so a contribution, a grace
window and a discount window are all months, not days; dates only enter where a
payment's own `paid_at` or an incident's day is compared with them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from shared.errors import FieldError, RuleViolation

_PERIOD_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A year-month such as 2026-11; ordered by time (field order is year, month)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")

    @classmethod
    def parse(cls, text: str, loc: tuple[str | int, ...] = ("period",)) -> Period:
        """Reads "YYYY-MM"; bad input is a rule violation at `loc`, as a request field."""
        match = _PERIOD_TEXT.match(text) if isinstance(text, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
            raise RuleViolation(
                [
                    FieldError(
                        loc,
                        "period_format",
                        f"period_format: a period is a year and month written YYYY-MM, e.g. 2026-11; got {text!r}",
                    )
                ]
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month a day falls in."""
        return cls(day.year, day.month)

    def __add__(self, months: int) -> Period:
        if not isinstance(months, int):
            return NotImplemented
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def __sub__(self, months: int) -> Period:
        if not isinstance(months, int):
            return NotImplemented
        return self + (-months)

    def months_until(self, other: Period) -> int:
        """How many months `other` is after this one (negative when before)."""
        return (other.year * 12 + other.month) - (self.year * 12 + self.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
