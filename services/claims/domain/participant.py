"""The read model of a participant that claims keeps, built from enrollment's events
(ParticipantEnrolled, ParticipantDetailsChanged, HeirsChanged, CoverageChanged).

Claims never asks enrollment at decision time: the services share only events, so
each claim is judged on this view. Enrollment computes the protected periods (a paid
month M protects from max(first day of M, paid_at) through the last day of M+2) and
each heir's precedence; claims takes both as given and does not recompute them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

# The relationship words are shared.contracts.vocabulary's; only these two matter to
# claims' rules: a spouse payee needs the marriage book, a child may get the scholarship.
SPOUSE = "spouse"
CHILD = "child"

# A child is a minor until 18 (UU 23/2002 on child protection, art. 1): a minor's share
# is paid through a guardian (wali).
AGE_OF_MAJORITY = 18


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on `day` (a birthday on 29 February falls on 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class HeirView:
    """An ahli waris. `precedence` is enrollment's rank of PP 44/2015 art. 37(5) and
    40(2): 1 spouse or child, 2 parents, 3 grandchildren, 4 grandparents, 5 siblings,
    6 parents-in-law, 7 named in a will."""

    heir_id: str
    full_name: str
    relationship: str
    precedence: int
    phone: str | None = None  # E.164
    email: str | None = None
    language: str = "id"
    birth_date: date | None = None  # None from producers that predate it: treated as an adult

    def is_minor_on(self, day: date) -> bool:
        return self.birth_date is not None and age_on(self.birth_date, day) < AGE_OF_MAJORITY

    @property
    def is_spouse(self) -> bool:
        return self.relationship == SPOUSE

    @property
    def is_child(self) -> bool:
        return self.relationship == CHILD


@dataclass(frozen=True)
class ParticipantView:
    participant_id: str
    masked_nik: str
    member_since: date
    programs: Collection[str]  # of "JKK", "JKM", "JHT"
    monthly_income: int  # declared monthly income, whole rupiah
    # Inclusive (start, end) stretches in which an incident is covered, as enrollment
    # computed them (CoverageChanged.protected_periods).
    protected_periods: Sequence[tuple[date, date]] = field(default_factory=tuple)
    paid_months: int = 0  # months with a recorded contribution
    heirs: Sequence[HeirView] = field(default_factory=tuple)
    # (first day of the month it took effect, declared monthly income), oldest first; empty
    # from producers that predate it, and then `monthly_income` holds since member_since.
    income_history: Sequence[tuple[date, int]] = field(default_factory=tuple)
    paid_periods: Sequence[str] = field(default_factory=tuple)  # fully paid months, "YYYY-MM"
    deceased_on: date | None = None
    full_name: str = ""  # the worker, paid a living worker's accident benefits

    def income_in_month_of(self, day: date) -> int:
        """The declared income in effect in the month of `day` (the accident or the death):
        the latest change effective in or before that month. A change recorded later, or
        effective later, does not move a benefit already owed."""
        effective = [income for start, income in self.income_history if start <= month_start(day)]
        if effective:
            return effective[-1]
        # Before the first dated change (or with no history), the oldest known income holds.
        return self.income_history[0][1] if self.income_history else self.monthly_income

    def paid_months_through(self, day: date) -> int:
        """Months paid up to and including the month of `day` (the death): months paid
        ahead past it do not count. Without the list, the plain count is all there is."""
        if not self.paid_periods:
            return self.paid_months
        through = f"{day.year:04d}-{day.month:02d}"
        return sum(1 for period in self.paid_periods if period <= through)

    def is_protected_on(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.protected_periods)

    def last_protected_day_before(self, day: date) -> date | None:
        """The last protected day before `day`, for telling an officer when cover ended;
        None when no protection had started before it."""
        ends = [end for _, end in self.protected_periods if end < day]
        return max(ends) if ends else None

    def first_protected_day_after(self, day: date) -> date | None:
        starts = [start for start, _ in self.protected_periods if start > day]
        return min(starts) if starts else None

    @property
    def children(self) -> list[HeirView]:
        """Child heirs in the order enrollment lists them."""
        return [heir for heir in self.heirs if heir.is_child]
