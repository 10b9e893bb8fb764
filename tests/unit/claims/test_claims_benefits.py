from datetime import date

import pytest
from claims_builders import CHILD_1, CHILD_2, CHILD_3, MOTHER, WIDOW, filing, participant

from services.claims.domain.benefits import (
    cash_total,
    compute_benefits,
    permanent_disability_pay,
    temporary_incapacity_pay,
)
from services.claims.domain.claim import ClaimType
from services.claims.domain.scholarship import CEILING, PER_CHILD_CEILING

DEATH = date(2026, 7, 10)


def amounts(components, kind="cash"):
    return {c.component: c.amount for c in components if c.kind == kind}


def test_jkm_claim_pays_42_million_in_three_components():
    # 20,000,000 lump sum + 12,000,000 periodic benefit + 10,000,000 funeral = 42,000,000
    benefits = compute_benefits(ClaimType.JKM, participant(paid_months=12), DEATH, None)
    assert [(c.component, c.amount, c.kind) for c in benefits] == [
        ("lump_sum", 20_000_000, "cash"),
        ("periodic_benefit", 12_000_000, "cash"),
        ("funeral", 10_000_000, "cash"),
    ]
    assert cash_total(benefits) == 42_000_000


def test_jkm_death_within_three_months_of_membership_pays_10_million_only():
    # Member since 1 May 2026, died 10 July 2026: 3 months are reached on 1 August.
    # 8,000,000 death benefit + 2,000,000 funeral = 10,000,000; no periodic benefit.
    benefits = compute_benefits(ClaimType.JKM, participant(member_since=date(2026, 5, 1)), DEATH, None)
    assert amounts(benefits) == {"death_benefit": 8_000_000, "funeral": 2_000_000}
    assert cash_total(benefits) == 10_000_000
    assert [c for c in benefits if c.kind == "entitlement"] == []


def test_jkm_death_on_the_day_three_months_are_reached_pays_in_full():
    benefits = compute_benefits(ClaimType.JKM, participant(member_since=date(2026, 4, 10)), DEATH, None)
    assert cash_total(benefits) == 42_000_000


def test_three_months_from_the_31st_end_on_the_last_day_of_the_month():
    # Member since 31 January: 3 months are reached on 30 April (April has no 31st).
    member = participant(member_since=date(2026, 1, 31))
    assert cash_total(compute_benefits(ClaimType.JKM, member, date(2026, 4, 29), None)) == 10_000_000
    assert cash_total(compute_benefits(ClaimType.JKM, member, date(2026, 4, 30), None)) == 42_000_000


def test_jkm_scholarship_needs_36_paid_months():
    assert amounts(compute_benefits(ClaimType.JKM, participant(paid_months=35), DEATH, None), "entitlement") == {}
    benefits = compute_benefits(ClaimType.JKM, participant(paid_months=36), DEATH, None)
    [scholarship] = [c for c in benefits if c.kind == "entitlement"]
    assert (scholarship.component, scholarship.amount, scholarship.heir_id) == ("scholarship", 87_000_000, "h-child-1")
    assert cash_total(benefits) == 42_000_000  # the scholarship is not cash now


def test_scholarship_ceiling_is_174_million_for_two_children():
    # Per child: 2 x 1.5M + 6 x 1.5M + 3 x 2M + 3 x 3M + 5 x 12M = 87,000,000; two children 174,000,000.
    assert PER_CHILD_CEILING == 87_000_000
    assert CEILING == 174_000_000


def test_scholarship_is_for_at_most_two_children():
    member = participant(heirs=[WIDOW, CHILD_1, CHILD_2, CHILD_3])
    scholarships = [c for c in compute_benefits(ClaimType.JKK_DEATH, member, DEATH, None) if c.kind == "entitlement"]
    assert [c.heir_id for c in scholarships] == ["h-child-1", "h-child-2"]
    assert sum(c.amount for c in scholarships) == 174_000_000
    assert "3 children recorded" in scholarships[0].note


def test_no_scholarship_without_a_child_heir():
    member = participant(heirs=[WIDOW, MOTHER], paid_months=60)
    assert amounts(compute_benefits(ClaimType.JKM, member, DEATH, None), "entitlement") == {}


def test_jkk_death_for_3_million_income_pays_166_million():
    # 48 x 3,000,000 = 144,000,000 death benefit + 10,000,000 funeral + 12,000,000 periodic
    # = 166,000,000 cash.
    benefits = compute_benefits(ClaimType.JKK_DEATH, participant(monthly_income=3_000_000), DEATH, None)
    assert amounts(benefits) == {"death_benefit": 144_000_000, "funeral": 10_000_000, "periodic_benefit": 12_000_000}
    assert cash_total(benefits) == 166_000_000


def test_jkk_death_scholarship_needs_no_minimum_period_and_no_short_membership_limit():
    member = participant(member_since=date(2026, 6, 1), paid_months=1)
    benefits = compute_benefits(ClaimType.JKK_DEATH, member, DEATH, None)
    assert cash_total(benefits) == 166_000_000
    assert amounts(benefits, "entitlement") == {"scholarship": 87_000_000}


def test_temporary_incapacity_pays_full_income_per_day_on_a_30_day_month():
    # 3,000,000 / 30 = 100,000 a day; 45 days = 4,500,000.
    assert temporary_incapacity_pay(3_000_000, 45) == 4_500_000


def test_temporary_incapacity_pays_half_after_the_first_twelve_months():
    # 360 days x 100,000 = 36,000,000, then 40 days x 50,000 = 2,000,000: 38,000,000.
    assert temporary_incapacity_pay(3_000_000, 400) == 38_000_000


def test_temporary_incapacity_is_rounded_half_up_to_the_rupiah():
    # 1,000,001 x 1 / 30 = 33,333.37 -> 33,333; 1,000,005 x 1 / 30 = 33,333.5 -> 33,334.
    assert temporary_incapacity_pay(1_000_001, 1) == 33_333
    assert temporary_incapacity_pay(1_000_005, 1) == 33_334


def test_total_permanent_disability_pays_56_times_income():
    # 70 % x 80 x 3,000,000 = 168,000,000.
    assert permanent_disability_pay(3_000_000, 100)[0] == 168_000_000


def test_partial_disability_pays_the_percentage_of_80_times_income():
    # 10 % x 80 x 3,000,000 = 24,000,000; 7 % x 80 x 1,234,567 = 6,913,575.2 -> 6,913,575.
    assert permanent_disability_pay(3_000_000, 10)[0] == 24_000_000
    assert permanent_disability_pay(1_234_567, 7)[0] == 6_913_575


def test_partial_disability_never_pays_more_than_total_disability():
    amount, note = permanent_disability_pay(3_000_000, 90)  # 90 % x 80 = 72 x income > 56 x
    assert amount == 168_000_000
    assert "capped" in note


def test_jkk_accident_pays_cash_for_incapacity_and_disability_but_none_for_medical_care():
    # 60 days x 100,000 = 6,000,000 STMB + 20 % x 80 x 3,000,000 = 48,000,000 disability.
    benefits = compute_benefits(
        ClaimType.JKK, participant(), DEATH, filing(ClaimType.JKK, incapacity_days=60, disability_percent=20)
    )
    assert amounts(benefits) == {"temporary_incapacity": 6_000_000, "permanent_disability": 48_000_000}
    assert all(c.kind == "cash" for c in benefits)
    assert not any("medical" in c.component for c in benefits)


def test_jkk_accident_treated_only_at_the_facility_pays_no_cash():
    assert compute_benefits(ClaimType.JKK, participant(), DEATH, filing(ClaimType.JKK)) == []


def test_total_permanent_disability_gives_the_children_a_scholarship():
    # PP 82/2019: death or total permanent disability from a work accident.
    benefits = compute_benefits(
        ClaimType.JKK,
        participant(heirs=[WIDOW, CHILD_1, CHILD_2]),
        DEATH,
        filing(ClaimType.JKK, disability_percent=100),
    )
    assert [c.heir_id for c in benefits if c.kind == "entitlement"] == ["h-child-1", "h-child-2"]


def test_a_jkk_accident_needs_its_filing():
    with pytest.raises(ValueError):
        compute_benefits(ClaimType.JKK, participant(), DEATH, None)
