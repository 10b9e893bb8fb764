"""Reminders before cover lapses (issue 19) and the campaign's retention, on dates given."""

from __future__ import annotations

from datetime import date

from services.enrollment.domain.campaign import Joiner, months_after, retention
from services.enrollment.domain.coverage import Payment
from services.enrollment.domain.period import Period
from services.enrollment.domain.reminders import (
    BEFORE_LAPSE,
    FIRST_GRACE_MONTH,
    amount_owed,
    is_stop,
    months_owed,
    reminder_due,
)

NOV = Period(2026, 11)
ENDS = date(2027, 1, 31)  # last paid November 2026: grace in December and January


def test_no_reminder_while_the_paid_month_runs():
    assert reminder_due(NOV, ENDS, date(2026, 11, 30), set()) is None


def test_the_first_reminder_comes_in_the_first_grace_month_once():
    assert reminder_due(NOV, ENDS, date(2026, 12, 1), set()) == FIRST_GRACE_MONTH
    assert reminder_due(NOV, ENDS, date(2026, 12, 31), {FIRST_GRACE_MONTH}) is None


def test_the_last_reminder_comes_in_the_week_before_cover_ends_once():
    assert reminder_due(NOV, ENDS, date(2027, 1, 23), {FIRST_GRACE_MONTH}) is None
    assert reminder_due(NOV, ENDS, date(2027, 1, 24), {FIRST_GRACE_MONTH}) == BEFORE_LAPSE
    assert reminder_due(NOV, ENDS, date(2027, 1, 31), {FIRST_GRACE_MONTH, BEFORE_LAPSE}) is None


def test_no_reminder_once_cover_lapsed():
    assert reminder_due(NOV, ENDS, date(2027, 2, 1), set()) is None


def test_the_amount_is_every_missed_month_less_what_was_paid_towards_it():
    months = months_owed(NOV, date(2027, 1, 24))
    assert months == [Period(2026, 12), Period(2027, 1)]
    # December discounted (13,400) with 5,000 paid already; January full (26,800).
    due = {Period(2026, 12): 13_400, Period(2027, 1): 26_800}
    assert amount_owed(months, due.__getitem__, {Period(2026, 12): 5_000}) == (13_400 - 5_000) + 26_800


def test_stop_is_the_whole_message_in_any_case():
    assert is_stop("STOP") and is_stop(" stop ") and is_stop("Berhenti")
    assert not is_stop("stop please") and not is_stop("STATUS CL-1")


def test_months_after_keeps_the_day_or_takes_the_months_last():
    assert months_after(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_retention_counts_who_is_still_covered_n_months_after_joining():
    stays = Joiner(date(2026, 1, 1), [Payment(Period(2026, m), date(2026, m, 1)) for m in range(1, 8)])
    leaves = Joiner(date(2026, 1, 1), [Payment(Period(2026, 1), date(2026, 1, 1))])  # lapsed from 1 April
    late = Joiner(date(2026, 6, 1), [Payment(Period(2026, 6), date(2026, 6, 1))])  # joined under 3 months ago
    three, six, twelve = retention([stays, leaves, late], date(2026, 8, 1))
    assert (three.cohort, three.still_covered, three.share) == (2, 1, 0.5)
    # 1 July 2026: the one who stays paid through July; the other lapsed.
    assert (six.cohort, six.still_covered) == (2, 1)
    assert (twelve.cohort, twelve.share) == (0, None)
