"""What each claim the load generator files must pay in cash, restated from the product brief's
figures for the chaos run's ledger check.

Deliberately written apart from services/claims/domain/benefits.py: a check that recomputed the
ledger with compute_benefits would agree with any mistake compute_benefits makes. Nothing here
imports the claims domain or services/reported_rules.py; the figures are typed again, and only
the cases bench/load.py files are covered (no transport costs, no disability percentage, no
STMB past 360 days): anything else is refused, not guessed.
"""

from __future__ import annotations

from datetime import date

# JKM (PP 82/2019): lump sum 20,000,000 + periodic benefit 12,000,000 + funeral 10,000,000.
JKM_FULL = 20_000_000 + 12_000_000 + 10_000_000
# JKM death within 3 months of membership: 8,000,000 + funeral 2,000,000, nothing else.
JKM_SHORT_MEMBERSHIP = 8_000_000 + 2_000_000
# JKK death: 48 x monthly income + funeral 10,000,000 + periodic benefit 12,000,000.
JKK_DEATH_INCOME_MULTIPLE = 48
JKK_DEATH_FIXED = 10_000_000 + 12_000_000

# bench/load.py makes members of 5-40 days (jkm_short) or of 400-700 days (everyone else):
# far from the 3-month boundary on either side, so counting days is enough here.
SHORT_MEMBERSHIP_DAYS = range(0, 41)
LONG_MEMBERSHIP_DAYS = range(400, 701)


class NotInTheMix(ValueError):
    """A claim bench/load.py does not file: this restatement does not cover it."""


def expected_cash(
    claim_type: str, *, monthly_income: int, member_since: date, incident_date: date, incapacity_days: int | None
) -> int:
    """The cash total of an approved claim, in rupiah."""
    if claim_type == "JKM":
        membership = (incident_date - member_since).days
        if membership in SHORT_MEMBERSHIP_DAYS:
            return JKM_SHORT_MEMBERSHIP
        if membership in LONG_MEMBERSHIP_DAYS:
            return JKM_FULL
        raise NotInTheMix(f"JKM after {membership} days of membership")
    if claim_type == "JKK_DEATH":
        return JKK_DEATH_INCOME_MULTIPLE * monthly_income + JKK_DEATH_FIXED
    if claim_type == "JKK":
        days = incapacity_days or 0
        if not 0 < days <= 360:
            raise NotInTheMix(f"JKK accident with {days} days of incapacity")
        # STMB: the full income for each day off work, a day being a 30th of the month, rounded
        # half up to the rupiah: income x days / 30.
        return (monthly_income * days + 15) // 30
    raise NotInTheMix(f"claim type {claim_type}")
