import pytest

from services.enrollment.domain.contributions import (
    DISCOUNT_WINDOWS,
    ContributionDue,
    Period,
    contribution_due,
    format_rupiah,
)
from shared.errors import RuleViolation

JKK_JKM = ["JKK", "JKM"]


def test_self_paid_market_trader_november_2026_minimum_is_8400():
    due = contribution_due(1_000_000, JKK_JKM, "market_trader", "self", Period(2026, 11))
    assert due == ContributionDue(jkk=10_000, jkm=6_800, jht=0, discount=8_400, total=8_400)


def test_self_paid_market_trader_declaring_two_million_owes_13400():
    due = contribution_due(2_000_000, JKK_JKM, "market_trader", "self", Period(2026, 11))
    assert due == ContributionDue(jkk=20_000, jkm=6_800, jht=0, discount=13_400, total=13_400)


def test_city_paid_worker_gets_no_discount_and_owes_26800():
    due = contribution_due(2_000_000, JKK_JKM, "market_trader", "city", Period(2026, 11))
    assert due == ContributionDue(jkk=20_000, jkm=6_800, jht=0, discount=0, total=26_800)


def test_cheapest_undiscounted_package_is_16800():
    assert contribution_due(1_000_000, JKK_JKM, "fisher", "self", Period(2025, 12)).total == 16_800


def test_driver_is_discounted_in_march_2027_other_segments_are_not():
    assert contribution_due(1_000_000, JKK_JKM, "driver", "self", Period(2027, 3)).total == 8_400
    assert contribution_due(1_000_000, JKK_JKM, "market_trader", "self", Period(2027, 3)).total == 16_800


@pytest.mark.parametrize(
    ("period", "discounted"),
    [
        (Period(2025, 12), False),
        (Period(2026, 1), True),
        (Period(2027, 3), True),
        (Period(2027, 4), False),
    ],
)
def test_driver_discount_runs_january_2026_to_march_2027(period, discounted):
    due = contribution_due(1_000_000, JKK_JKM, "driver", "self", period)
    assert (due.discount > 0) is discounted


@pytest.mark.parametrize("segment", ["market_trader", "daily_worker", "micro_business", "fisher", "other"])
@pytest.mark.parametrize(
    ("period", "discounted"),
    [
        (Period(2026, 3), False),
        (Period(2026, 4), True),
        (Period(2026, 12), True),
        (Period(2027, 1), False),
    ],
)
def test_other_segments_discount_runs_april_to_december_2026(segment, period, discounted):
    due = contribution_due(1_000_000, JKK_JKM, segment, "self", period)
    assert (due.discount > 0) is discounted


def test_city_paid_driver_gets_no_discount_either():
    assert contribution_due(1_000_000, JKK_JKM, "driver", "city", Period(2026, 6)).discount == 0


def test_jht_is_two_percent_and_never_discounted():
    due = contribution_due(2_000_000, ["JKK", "JKM", "JHT"], "market_trader", "self", Period(2026, 11))
    assert due == ContributionDue(jkk=20_000, jkm=6_800, jht=40_000, discount=13_400, total=53_400)


def test_jkk_is_one_percent_rounded_half_up_to_whole_rupiah():
    assert contribution_due(1_000_049, JKK_JKM, "other", "self", Period(2025, 1)).jkk == 10_000
    assert contribution_due(1_000_050, JKK_JKM, "other", "self", Period(2025, 1)).jkk == 10_001


def test_discounted_amount_is_rounded_half_up_to_whole_rupiah():
    # JKK 10,001 + JKM 6,800 = 16,801; half is 8,400.5, owed 8,401.
    due = contribution_due(1_000_050, JKK_JKM, "other", "self", Period(2026, 6))
    assert (due.total, due.discount) == (8_401, 8_400)


def test_declared_income_range_bounds_are_accepted():
    assert contribution_due(20_700_000, JKK_JKM, "other", "self", Period(2025, 1)).jkk == 207_000
    assert contribution_due(1_000_000, JKK_JKM, "other", "self", Period(2025, 1)).jkk == 10_000


@pytest.mark.parametrize("income", [999_999, 20_700_001, 0, -1])
def test_declared_income_outside_the_bpu_range_is_refused(income):
    with pytest.raises(RuleViolation) as refused:
        contribution_due(income, JKK_JKM, "other", "self", Period(2026, 1))
    [error] = refused.value.errors
    assert (error.loc, error.rule) == (("monthly_income",), "income_out_of_range")
    assert "Rp 1.000.000" in error.msg and "Rp 20.700.000" in error.msg


def test_income_must_be_whole_rupiah():
    with pytest.raises(RuleViolation) as refused:
        contribution_due(1_500_000.0, JKK_JKM, "other", "self", Period(2026, 1))
    assert [e.rule for e in refused.value.errors] == ["income_format"]


def test_unknown_segment_payer_and_programs_are_all_reported():
    with pytest.raises(RuleViolation) as refused:
        contribution_due(1_000_000, ["JKK", "JP"], "farmer", "employer", Period(2026, 1))
    assert [(e.loc, e.rule) for e in refused.value.errors] == [
        (("programs",), "program_unknown"),
        (("programs",), "programs_jkk_jkm_required"),
        (("segment",), "segment_unknown"),
        (("payer",), "payer_unknown"),
    ]


def test_discount_windows_cover_every_segment_once_per_month():
    for month in range(1, 13):
        for year in (2026, 2027):
            for segment in ("driver", "market_trader", "daily_worker", "micro_business", "fisher", "other"):
                matching = [w for w in DISCOUNT_WINDOWS if w.applies(segment, Period(year, month))]
                assert len(matching) <= 1


def test_rupiah_is_shown_with_dot_thousands():
    assert format_rupiah(42_000_000) == "Rp 42.000.000"
    assert format_rupiah(8_400) == "Rp 8.400"
    assert format_rupiah(0) == "Rp 0"
