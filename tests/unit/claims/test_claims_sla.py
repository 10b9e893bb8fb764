from datetime import date

import pytest

from services.claims.domain.claim import ClaimType
from services.claims.domain.sla import days_late, days_left, deadline, late_interest

MONDAY = date(2026, 7, 6)
FRIDAY = date(2026, 7, 10)
SATURDAY = date(2026, 7, 11)


def test_jkm_is_paid_within_3_working_days_of_complete_documents():
    # Complete on Monday 6 July: Tue 7, Wed 8, Thu 9 -> Thursday 9 July.
    assert deadline(ClaimType.JKM, MONDAY) == date(2026, 7, 9)


def test_jkm_deadline_skips_the_weekend():
    # Complete on Friday 10 July: Mon 13, Tue 14, Wed 15.
    assert deadline(ClaimType.JKM, FRIDAY) == date(2026, 7, 15)
    # Complete on a Saturday: counting starts on Monday.
    assert deadline(ClaimType.JKM, SATURDAY) == date(2026, 7, 15)


@pytest.mark.parametrize("claim_type", [ClaimType.JKK, ClaimType.JKK_DEATH])
def test_jkk_and_jkk_death_are_paid_within_7_working_days(claim_type):
    # Complete on Monday 6 July: Tue 7 .. Fri 10 (4), Mon 13 .. Wed 15 (7) -> Wednesday 15 July.
    assert deadline(claim_type, MONDAY) == date(2026, 7, 15)


def test_public_holidays_are_not_working_days():
    # 17 August 2026 (Independence Day) is a Monday. Complete on Friday 14 August:
    # Tue 18, Wed 19, Thu 20.
    assert deadline("JKM", date(2026, 8, 14), holidays={date(2026, 8, 17)}) == date(2026, 8, 20)


def test_days_left_counts_down_to_zero_on_the_deadline_and_below_after_it():
    due = date(2026, 7, 9)
    assert days_left(due, date(2026, 7, 6)) == 3
    assert days_left(due, due) == 0
    assert days_left(due, date(2026, 7, 10)) == -1


def test_payment_on_or_before_the_deadline_is_not_late():
    due = date(2026, 7, 9)
    assert days_late(due, date(2026, 7, 8)) == 0
    assert days_late(due, due) == 0
    assert days_late(due, date(2026, 7, 13)) == 4  # weekend days count: delay is in calendar days


def test_late_jkm_payment_owes_1_percent_a_day():
    # 42,000,000 x 1 % x 4 days = 1,680,000.
    assert late_interest(42_000_000, 4) == 1_680_000
    assert late_interest(42_000_000, 0) == 0


def test_late_interest_is_rounded_half_up_to_the_rupiah():
    # 150 x 1 % x 1 = 1.5 -> 2; 149 x 1 % = 1.49 -> 1.
    assert late_interest(150, 1) == 2
    assert late_interest(149, 1) == 1


def test_a_deadline_stops_for_a_rejected_withdrawn_or_paid_claim():
    from services.claims.domain.sla import deadline_runs

    assert deadline_runs("needs_review", None) and deadline_runs("payout_recorded", "scheduled")
    assert not deadline_runs("rejected", None)
    assert not deadline_runs("withdrawn", None)
    assert not deadline_runs("payout_recorded", "paid")
