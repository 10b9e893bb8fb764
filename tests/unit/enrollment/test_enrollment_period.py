from datetime import date

import pytest

from services.enrollment.domain.contributions import Period
from shared.errors import RuleViolation


def test_period_is_parsed_from_year_dash_month():
    assert Period.parse("2026-11") == Period(2026, 11)
    assert str(Period(2026, 1)) == "2026-01"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "11-2026", "2026/11", "", None])
def test_malformed_period_is_a_rule_violation_on_its_field(text):
    with pytest.raises(RuleViolation) as refused:
        Period.parse(text, ("payments", 2, "period"))
    [error] = refused.value.errors
    assert (error.loc, error.rule) == (("payments", 2, "period"), "period_format")


def test_periods_are_ordered_in_time():
    assert Period(2026, 12) < Period(2027, 1) < Period(2027, 2)
    assert sorted([Period(2027, 1), Period(2026, 3), Period(2026, 12)]) == [
        Period(2026, 3),
        Period(2026, 12),
        Period(2027, 1),
    ]


def test_adding_months_crosses_year_ends():
    assert Period(2026, 11) + 2 == Period(2027, 1)
    assert Period(2026, 1) - 1 == Period(2025, 12)
    assert Period(2026, 5) + 0 == Period(2026, 5)
    assert Period(2026, 11).months_until(Period(2027, 2)) == 3


def test_first_and_last_day_of_a_month():
    assert Period(2026, 2).first_day == date(2026, 2, 1)
    assert Period(2026, 2).last_day == date(2026, 2, 28)
    assert Period(2028, 2).last_day == date(2028, 2, 29)
    assert Period(2026, 12).last_day == date(2026, 12, 31)
    assert Period.of(date(2026, 11, 30)) == Period(2026, 11)
    assert Period(2026, 11).contains(date(2026, 11, 30)) and not Period(2026, 11).contains(date(2026, 12, 1))
