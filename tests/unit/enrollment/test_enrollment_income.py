"""Declared income is time-dated: each change takes effect from a month."""

from datetime import date

import pytest

from services.enrollment.domain.income import IncomeChange, change_income, income_in
from services.enrollment.domain.period import Period
from shared.errors import RuleViolation

MEMBER_SINCE = date(2026, 3, 15)
TODAY = date(2026, 11, 29)
HISTORY = [IncomeChange(Period(2026, 3), 2_000_000)]


def test_a_change_takes_effect_from_its_month_and_earlier_months_keep_the_old_income():
    history = change_income(HISTORY, 3_000_000, "2026-07", member_since=MEMBER_SINCE, today=TODAY)
    assert history == [IncomeChange(Period(2026, 3), 2_000_000), IncomeChange(Period(2026, 7), 3_000_000)]
    assert income_in(history, Period(2026, 6)) == 2_000_000
    assert income_in(history, Period(2026, 7)) == 3_000_000
    assert income_in(history, Period(2026, 11)) == 3_000_000


def test_without_a_month_the_change_takes_effect_this_month():
    history = change_income(HISTORY, 3_000_000, None, member_since=MEMBER_SINCE, today=TODAY)
    assert history[-1] == IncomeChange(Period(2026, 11), 3_000_000)


def test_a_change_dated_between_two_others_moves_only_its_months():
    history = [IncomeChange(Period(2026, 3), 2_000_000), IncomeChange(Period(2026, 9), 3_000_000)]
    history = change_income(history, 4_000_000, "2026-05", member_since=MEMBER_SINCE, today=TODAY)
    assert [income_in(history, Period(2026, m)) for m in (4, 5, 8, 9, 11)] == [
        2_000_000,
        4_000_000,
        4_000_000,
        3_000_000,
        3_000_000,
    ]


def test_a_second_change_for_the_same_month_replaces_the_first():
    history = change_income(HISTORY, 2_500_000, "2026-03", member_since=MEMBER_SINCE, today=TODAY)
    assert history == [IncomeChange(Period(2026, 3), 2_500_000)]


@pytest.mark.parametrize(
    ("income", "month", "expected"),
    [
        (3_000_000, "2026-02", [(("income_effective_from",), "income_before_membership")]),
        (3_000_000, "2026-12", [(("income_effective_from",), "income_effective_from_in_future")]),
        (3_000_000, "2026-13", [(("income_effective_from",), "period_format")]),
        (500_000, "2026-05", [(("monthly_income",), "income_out_of_range")]),
    ],
)
def test_bad_changes_name_the_field_and_the_rule(income, month, expected):
    with pytest.raises(RuleViolation) as refused:
        change_income(HISTORY, income, month, member_since=MEMBER_SINCE, today=TODAY)
    assert [(e.loc, e.rule) for e in refused.value.errors] == expected
