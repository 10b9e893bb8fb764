from datetime import date

from services.enrollment.domain.coverage import (
    DateRange,
    Payment,
    coverage_on,
    is_protected_on,
    protected_periods,
    protection_of,
)
from services.enrollment.domain.period import Period


def paid_on_the_5th(*periods):
    return [Payment(p, date(p.year, p.month, 5)) for p in periods]


def test_worker_with_no_payment_has_not_started():
    coverage = coverage_on([], date(2026, 11, 1))
    assert coverage.status == "not_started"
    assert (coverage.last_paid_period, coverage.active_through, coverage.lapsed_from) == (None, None, None)
    assert coverage.protected_periods == [] and coverage.paid_months == 0


def test_a_months_payment_protects_from_payment_through_two_grace_months():
    assert protection_of(Payment(Period(2026, 11), date(2026, 11, 10))) == DateRange(
        date(2026, 11, 10), date(2027, 1, 31)
    )


def test_a_month_paid_ahead_protects_from_its_first_day():
    assert protection_of(Payment(Period(2026, 11), date(2026, 10, 20))) == DateRange(
        date(2026, 11, 1), date(2027, 1, 31)
    )


def test_a_late_payment_does_not_protect_the_days_before_it():
    periods = protected_periods([Payment(Period(2026, 11), date(2026, 12, 5))])
    assert periods == [DateRange(date(2026, 12, 5), date(2027, 1, 31))]
    assert not is_protected_on(periods, date(2026, 11, 20))
    assert is_protected_on(periods, date(2026, 12, 5))


def test_payment_after_its_protection_ended_protects_nothing():
    assert protection_of(Payment(Period(2026, 9), date(2026, 12, 1))) is None
    assert protected_periods([Payment(Period(2026, 9), date(2026, 12, 1))]) == []


def test_consecutive_months_merge_into_one_protected_period():
    periods = protected_periods(paid_on_the_5th(Period(2026, 3), Period(2026, 1), Period(2026, 2)))
    assert periods == [DateRange(date(2026, 1, 5), date(2026, 5, 31))]


def test_periods_that_touch_are_joined_and_gaps_are_kept():
    # January protects to 31 March; April paid on 1 April starts the next day: one period.
    touching = protected_periods(
        [Payment(Period(2026, 1), date(2026, 1, 5)), Payment(Period(2026, 4), date(2026, 4, 1))]
    )
    assert touching == [DateRange(date(2026, 1, 5), date(2026, 6, 30))]
    # Restarting in June after lapsing leaves April and May unprotected.
    gap = protected_periods(paid_on_the_5th(Period(2026, 1), Period(2026, 6)))
    assert gap == [DateRange(date(2026, 1, 5), date(2026, 3, 31)), DateRange(date(2026, 6, 5), date(2026, 8, 31))]
    assert not is_protected_on(gap, date(2026, 4, 15))


def test_coverage_moves_active_grace_lapsed_as_months_pass():
    payments = paid_on_the_5th(Period(2026, 1), Period(2026, 2), Period(2026, 3))
    statuses = {
        day: coverage_on(payments, day).status
        for day in [
            date(2026, 3, 31),
            date(2026, 4, 1),
            date(2026, 5, 31),
            date(2026, 6, 1),
            date(2027, 1, 1),
        ]
    }
    assert statuses == {
        date(2026, 3, 31): "active",
        date(2026, 4, 1): "grace",
        date(2026, 5, 31): "grace",
        date(2026, 6, 1): "lapsed",
        date(2027, 1, 1): "lapsed",
    }


def test_coverage_reports_the_dates_of_its_latest_paid_month():
    payments = paid_on_the_5th(Period(2026, 1), Period(2026, 2), Period(2026, 3))
    coverage = coverage_on(payments, date(2026, 4, 20))
    assert coverage.last_paid_period == Period(2026, 3)
    assert coverage.active_through == date(2026, 3, 31)
    assert coverage.grace_until == date(2026, 5, 31)
    assert coverage.lapsed_from == date(2026, 6, 1)
    assert coverage.paid_months == 3


def test_paying_the_missed_month_within_grace_brings_coverage_back_to_active():
    january = [Payment(Period(2026, 1), date(2026, 1, 5))]
    assert coverage_on(january, date(2026, 2, 20)).status == "grace"
    caught_up = january + [Payment(Period(2026, 2), date(2026, 2, 20))]
    assert coverage_on(caught_up, date(2026, 2, 20)).status == "active"


def test_months_paid_ahead_keep_the_worker_active_until_the_last_of_them():
    payments = [
        Payment(Period(2026, 11), date(2026, 11, 3)),
        Payment(Period(2026, 12), date(2026, 11, 3)),
        Payment(Period(2027, 1), date(2026, 11, 3)),
    ]
    coverage = coverage_on(payments, date(2026, 11, 15))
    assert coverage.status == "active"
    assert coverage.last_paid_period == Period(2027, 1)
    assert coverage.active_through == date(2027, 1, 31)


def test_a_month_paid_ahead_with_nothing_before_it_has_not_started_yet():
    payments = [Payment(Period(2026, 12), date(2026, 11, 20))]
    coverage = coverage_on(payments, date(2026, 11, 25))
    assert coverage.status == "not_started"
    assert coverage.protected_periods == [DateRange(date(2026, 12, 1), date(2027, 2, 28))]
    assert coverage_on(payments, date(2026, 12, 1)).status == "active"


def test_lapsed_worker_who_starts_again_is_described_by_the_new_run():
    payments = paid_on_the_5th(Period(2026, 1), Period(2026, 7))
    assert coverage_on(payments, date(2026, 6, 10)).status == "lapsed"
    assert coverage_on(payments, date(2026, 6, 10)).last_paid_period == Period(2026, 1)
    assert coverage_on(payments, date(2026, 7, 4)).status == "lapsed"
    restarted = coverage_on(payments, date(2026, 7, 5))
    assert (restarted.status, restarted.last_paid_period) == ("active", Period(2026, 7))


def test_coverage_on_a_past_day_ignores_payments_recorded_later():
    payments = paid_on_the_5th(Period(2026, 1), Period(2026, 2))
    on_jan_20 = coverage_on(payments, date(2026, 1, 20))
    assert on_jan_20.last_paid_period == Period(2026, 1)
    assert on_jan_20.paid_months == 1
    assert coverage_on(payments, date(2026, 1, 4)).status == "not_started"


def test_protection_ends_on_the_last_day_of_the_second_grace_month():
    periods = protected_periods(paid_on_the_5th(Period(2026, 11)))
    assert is_protected_on(periods, date(2027, 1, 31))
    assert not is_protected_on(periods, date(2027, 2, 1))
    assert not is_protected_on(periods, date(2026, 11, 4))


# --- paid months and death ---------------------------------------------------------------------


def test_paid_periods_lists_every_fully_paid_month_ascending():
    from services.enrollment.domain.coverage import Payment, coverage_on

    payments = [
        Payment(Period(2026, 9), date(2026, 9, 2)),
        Payment(Period(2026, 7), date(2026, 7, 2)),
        Payment(Period(2026, 8), date(2026, 8, 2)),
    ]
    coverage = coverage_on(payments, date(2026, 9, 30))
    assert coverage.paid_periods == [Period(2026, 7), Period(2026, 8), Period(2026, 9)]
    assert coverage.paid_months == 3


def test_coverage_at_death_ends_protection_on_the_day_of_death_and_ignores_later_months():
    from services.enrollment.domain.coverage import DateRange, Payment, coverage_at_death

    # Paid July to December 2026 in advance on 2 July; died 15 September 2026.
    payments = [Payment(Period(2026, m), date(2026, 7, 2)) for m in range(7, 13)]
    final = coverage_at_death(payments, date(2026, 9, 15))
    assert final.paid_periods == [Period(2026, 7), Period(2026, 8), Period(2026, 9)]
    assert final.protected_periods == [DateRange(date(2026, 7, 2), date(2026, 9, 15))]
    assert final.status == "active"
    # The same answer whenever it is asked: it depends on the death only.
    assert coverage_at_death(payments, date(2026, 9, 15)) == final
