"""Payment deadlines in working days (PP 44/2015 art. 37(2), 40(3)), as the console lists them."""

from datetime import date

from services.console.domain.sla import deadline, standing

FRIDAY = date(2026, 11, 27)


def test_jkm_is_paid_within_3_working_days_not_counting_the_weekend():
    assert deadline("JKM", FRIDAY) == date(2026, 12, 2)  # Mon, Tue, Wed


def test_jkk_and_a_jkk_death_have_7_working_days():
    assert deadline("JKK", FRIDAY) == date(2026, 12, 8)
    assert deadline("JKK_DEATH", FRIDAY) == deadline("JKK", FRIDAY)


def test_holidays_are_not_working_days():
    assert deadline("JKM", FRIDAY, holidays={date(2026, 11, 30)}) == date(2026, 12, 3)


def test_a_claim_is_due_within_the_warning_days_and_late_after_the_deadline():
    on_time = standing("CL-1", "JKM", "approved", FRIDAY, date(2026, 11, 28), warn_days=1)
    assert (on_time.days_left, on_time.days_since_complete, on_time.flag) == (4, 1, "ok")
    assert standing("CL-1", "JKM", "approved", FRIDAY, date(2026, 12, 1), warn_days=1).flag == "due"
    assert standing("CL-1", "JKM", "approved", FRIDAY, date(2026, 12, 2), warn_days=1).flag == "due"
    late = standing("CL-1", "JKM", "payout_recorded", FRIDAY, date(2026, 12, 4), warn_days=1)
    assert (late.days_left, late.flag) == (-2, "late")
