"""The children's scholarship (beasiswa pendidikan anak), PP 44/2015 as amended by
PP 82/2019, procedures in Permenaker 5/2021.

For at most 2 children; claimed once a year for the school level the child is in; ends
when the child turns 23, marries or starts work. It is an entitlement paid year by
year, so a claim records it as such and never as cash paid now.

Who qualifies:
  JKM        only when the participant had at least 3 years (36 months) of contributions;
  JKK_DEATH  no minimum contribution period;
  JKK        a participant left with total permanent disability (cacat total tetap), no
             minimum period either. PP 82/2019 gives the scholarship to children of a
             participant who dies *or* is totally and permanently disabled by a work
             accident; the product brief names only the death case, the regulation wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.claims.domain.participant import HeirView, age_on

MAX_CHILDREN = 2
AGE_LIMIT = 23  # the scholarship ends when the child turns 23 [reported: product brief, PP 82/2019]
JKM_MIN_PAID_MONTHS = 36

# (level, rupiah per child per year, at most this many years)
LEVELS: tuple[tuple[str, int, int], ...] = (
    ("kindergarten", 1_500_000, 2),
    ("primary", 1_500_000, 6),
    ("junior_secondary", 2_000_000, 3),
    ("senior_secondary", 3_000_000, 3),
    ("university_or_training", 12_000_000, 5),  # up to a first degree
)

# 2 x 1.5M + 6 x 1.5M + 3 x 2M + 3 x 3M + 5 x 12M = 3 + 9 + 6 + 9 + 60 = Rp 87,000,000 a
# child, so Rp 174,000,000 for two: the regulation's ceiling.
PER_CHILD_CEILING = sum(per_year * years for _, per_year, years in LEVELS)
CEILING = PER_CHILD_CEILING * MAX_CHILDREN


def scholarship_children(children: Sequence[HeirView], incident_date: date) -> list[HeirView]:
    """The children recorded for the scholarship: the first two in enrollment's order
    who are under 23 on the day of the incident (a child whose birth date is not
    recorded is kept; the yearly claim checks the age then).

    The regulation caps the number at two but does not say which two. Schooling,
    marriage and work are checked at each yearly claim; an officer may swap a child
    who no longer qualifies for a younger one then.
    """
    eligible = [
        child for child in children if child.birth_date is None or age_on(child.birth_date, incident_date) < AGE_LIMIT
    ]
    return eligible[:MAX_CHILDREN]
