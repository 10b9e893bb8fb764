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

# Enrollment's relationship vocabulary (services/enrollment/domain/heirs.py). Only these
# two matter to claims: a spouse payee needs the marriage book, a child may get the
# scholarship. Copied, not imported: services share event contracts, not code.
SPOUSE = "spouse"
CHILD = "child"


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
