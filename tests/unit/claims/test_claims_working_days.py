"""Deadlines count Indonesia's working days: no weekend, national holiday or cuti bersama
(services/claims/domain/holidays.py, from the SKB 3 Menteri of each year)."""

from datetime import date, timedelta

import pytest

from services.claims.domain.holidays import CUTI_BERSAMA, DAYS_OFF, NATIONAL_HOLIDAYS
from services.claims.domain.sla import deadline, is_working_day


def test_23_december_2026_plus_7_working_days_skips_christmas_and_new_year():
    # Wed 23 Dec complete. Thu 24 cuti bersama Natal, Fri 25 Natal, Sat 26, Sun 27 off;
    # Mon 28 (1), Tue 29 (2), Wed 30 (3), Thu 31 (4); Fri 1 Jan 2027 Tahun Baru, Sat 2, Sun 3 off;
    # Mon 4 (5), Tue 5 (6), Wed 6 (7).
    assert deadline("JKK", date(2026, 12, 23)) == date(2027, 1, 6)
    # Counting weekends only gave Friday 1 January 2027, a holiday:
    # Thu 24 (1), Fri 25 (2), Mon 28 (3), Tue 29 (4), Wed 30 (5), Thu 31 (6), Fri 1 (7).
    assert deadline("JKK", date(2026, 12, 23), holidays=frozenset()) == date(2027, 1, 1)


def test_jkm_around_idul_fitri_2026_waits_for_the_offices_to_reopen():
    # Tue 17 Mar 2026 complete. Wed 18 cuti Nyepi, Thu 19 Nyepi, Fri 20 cuti Idulfitri, Sat 21 and
    # Sun 22 Idulfitri, Mon 23 and Tue 24 cuti Idulfitri; Wed 25 (1), Thu 26 (2), Fri 27 (3).
    assert deadline("JKM", date(2026, 3, 17)) == date(2026, 3, 27)


def test_the_decreed_counts_are_in_the_table():
    # SKB 2025: 17 national holidays and 10 cuti bersama; SKB 2026: 17 and 8.
    assert sum(1 for d in NATIONAL_HOLIDAYS if d.year == 2025) == 17
    assert sum(1 for d in CUTI_BERSAMA if d.year == 2025) == 10
    assert sum(1 for d in NATIONAL_HOLIDAYS if d.year == 2026) == 17
    assert sum(1 for d in CUTI_BERSAMA if d.year == 2026) == 8


@pytest.mark.parametrize("claim_type", ["JKM", "JKK", "JKK_DEATH"])
def test_no_deadline_in_2025_or_2026_lands_on_a_day_off(claim_type):
    day = date(2025, 1, 1)
    while day.year < 2027:
        due = deadline(claim_type, day)
        assert due.weekday() < 5 and due not in DAYS_OFF, (day, due)
        day += timedelta(days=1)


def test_independence_day_is_not_a_working_day():
    assert not is_working_day(date(2026, 8, 17))
    assert is_working_day(date(2026, 8, 18))
