from datetime import date

import pytest

from services.enrollment.domain.contributions import MAX_MONTHS_PAID_AHEAD, Period, check_payment
from shared.errors import Conflict, RuleViolation


def payment(**overrides):
    """A self-paid market trader's November 2026 contribution paid on 10 November."""
    fields = dict(
        period=Period(2026, 11),
        amount=8_400,
        payer="self",
        paid_at=date(2026, 11, 10),
        today=date(2026, 11, 12),
        member_since=date(2026, 3, 1),
        monthly_income=1_000_000,
        programs=["JKK", "JKM"],
        segment="market_trader",
        already_paid={},
    )
    fields.update(overrides)
    return fields


def refusal(**overrides):
    with pytest.raises(RuleViolation) as refused:
        check_payment(**payment(**overrides))
    return [(e.loc, e.rule) for e in refused.value.errors], refused.value.errors


def test_right_payment_is_accepted_and_returns_what_was_due():
    due = check_payment(**payment())
    assert due.total == 8_400


def test_city_paid_contribution_owes_the_undiscounted_amount():
    # PP 50/2025: no discount when the city's budget pays. 1 % of Rp 1,000,000 + Rp 6,800.
    assert check_payment(**payment(payer="city", amount=16_800)).total == 10_000 + 6_800


def test_an_amount_other_than_the_due_is_recorded_not_refused():
    # An undiscounted Rp 16,800 from a self-paid trader who owed (10,000 + 6,800) / 2 = 8,400,
    # and half of it: balances.py decides what each adds up to.
    assert check_payment(**payment(amount=16_800)).total == 8_400
    assert check_payment(**payment(amount=4_200)).total == 8_400


def test_amount_must_be_whole_positive_rupiah():
    for amount in (8_400.0, 0, -8_400, True):
        rules, _ = refusal(amount=amount)
        assert rules == [(("amount",), "amount_format")], amount


def test_amount_beyond_thirteen_months_is_a_typing_mistake():
    # The month itself plus 12 months of credit: 13 x 8,400 = 109,200.
    assert check_payment(**payment(amount=13 * 8_400)).total == 8_400
    rules, errors = refusal(amount=13 * 8_400 + 1)
    assert rules == [(("amount",), "amount_too_large")]
    assert "Rp 109.200" in errors[0].msg


def test_no_contribution_for_a_month_after_the_death_month():
    rules, _ = refusal(period=Period(2026, 11), deceased_on=date(2026, 10, 31))
    assert rules == [(("period",), "period_after_death")]
    # The death month itself can still be paid (arrears).
    assert check_payment(**payment(deceased_on=date(2026, 11, 1))).total == 8_400


def test_payer_is_self_or_city():
    rules, _ = refusal(payer="employer")
    assert rules == [(("payer",), "payer_unknown")]


def test_period_before_membership_month_is_refused():
    rules, _ = refusal(period=Period(2026, 2), member_since=date(2026, 3, 31), paid_at=date(2026, 3, 31), amount=16_800)
    assert rules == [(("period",), "period_before_membership")]


def test_membership_month_itself_can_be_paid_even_if_membership_began_mid_month():
    assert (
        check_payment(
            **payment(member_since=date(2026, 11, 25), paid_at=date(2026, 11, 25), today=date(2026, 11, 25))
        ).total
        == 8_400
    )


def test_months_can_be_paid_up_to_twelve_ahead():
    assert MAX_MONTHS_PAID_AHEAD == 12
    accepted = check_payment(**payment(period=Period(2027, 11), amount=16_800))
    assert accepted.total == 16_800
    rules, _ = refusal(period=Period(2027, 12), amount=16_800)
    assert rules == [(("period",), "period_too_far_ahead")]


def test_payment_cannot_be_dated_after_today():
    rules, _ = refusal(paid_at=date(2026, 11, 13), today=date(2026, 11, 12))
    assert rules == [(("paid_at",), "paid_at_in_future")]


def test_second_payment_for_a_paid_month_is_a_conflict():
    with pytest.raises(Conflict) as conflict:
        check_payment(**payment(already_paid={Period(2026, 11): "pay-0042"}))
    assert conflict.value.rule == "contribution_period_already_paid"
    assert conflict.value.existing_id == "pay-0042"


def test_other_paid_months_do_not_conflict():
    assert check_payment(**payment(already_paid={Period(2026, 10): "pay-0041"})).total == 8_400


def test_missed_month_can_be_paid_late_within_its_grace():
    # September's grace runs through November: paid on 30 November it is still on time.
    due = check_payment(**payment(period=Period(2026, 9), paid_at=date(2026, 11, 30), today=date(2026, 11, 30)))
    assert due.total == 8_400


def test_payment_for_a_lapsed_month_is_refused():
    # September's grace ended on 30 November; on 1 December that month has lapsed.
    rules, errors = refusal(period=Period(2026, 9), paid_at=date(2026, 12, 1), today=date(2026, 12, 1))
    assert rules == [(("period",), "period_lapsed")]
    assert "starts again from the current month (2026-12)" in errors[0].msg


def test_discount_follows_the_month_paid_for_not_the_day_of_payment():
    # January 2027 is outside the April-December 2026 window even when paid in December 2026.
    due = check_payment(
        **payment(period=Period(2027, 1), amount=16_800, paid_at=date(2026, 12, 20), today=date(2026, 12, 20))
    )
    assert due.discount == 0


def test_every_broken_rule_is_reported_together():
    rules, _ = refusal(payer="bank", period=Period(2026, 1), paid_at=date(2026, 12, 1), today=date(2026, 11, 1))
    assert rules == [
        (("paid_at",), "paid_at_in_future"),
        (("period",), "period_before_membership"),
        (("period",), "period_lapsed"),
        (("payer",), "payer_unknown"),
    ]
