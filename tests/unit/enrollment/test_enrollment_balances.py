"""Payments that are not the exact amount (issue 12.10): recorded, added up, excess carried."""

from datetime import date

from services.enrollment.domain.balances import Paid, complete_payments, month_balances
from services.enrollment.domain.coverage import Payment
from services.enrollment.domain.period import Period

NOV, DEC, JAN = Period(2026, 11), Period(2026, 12), Period(2027, 1)
# A self-paid market trader declaring Rp 1,000,000: JKK 1 % = 10,000 + JKM 6,800 = 16,800 a month,
# halved by PP 50/2025 through December 2026 = 8,400; January 2027 is full price again.
DISCOUNTED, FULL = 16_800 // 2, 10_000 + 6_800


def trader_due(month: Period) -> int:
    return DISCOUNTED if month <= DEC else FULL


def test_an_undiscounted_payment_completes_the_month_and_carries_the_rest_to_the_next():
    balances = month_balances([Paid("C-1", NOV, FULL, DISCOUNTED, date(2026, 11, 10))], trader_due)
    assert [(b.period, b.due, b.paid, b.credit_in, b.credit_out, b.status) for b in balances] == [
        (NOV, 8_400, 16_800, 0, 16_800 - 8_400, "complete"),
        # December owes 8,400 and the 8,400 credit pays it exactly.
        (DEC, 8_400, 0, 8_400, 0, "complete"),
    ]
    assert [b.completed_on for b in balances] == [date(2026, 11, 10)] * 2


def test_a_partial_payment_leaves_the_month_partial_until_the_rest_arrives():
    first = Paid("C-1", NOV, 5_000, DISCOUNTED, date(2026, 11, 3))
    [partial] = month_balances([first], trader_due)
    assert (partial.status, partial.outstanding, partial.completed_on) == ("partial", 8_400 - 5_000, None)

    second = Paid("C-2", NOV, 3_400, DISCOUNTED, date(2026, 11, 20))
    [complete] = month_balances([first, second], trader_due)
    # 5,000 + 3,400 = 8,400: complete on the day the second payment arrived.
    assert (complete.status, complete.paid, complete.outstanding) == ("complete", 8_400, 0)
    assert (complete.completed_on, complete.completed_by) == (date(2026, 11, 20), "C-2")


def test_credit_runs_over_several_months_and_meets_the_full_price_of_january():
    # 30,000 for November: 30,000 - 8,400 = 21,600 into December; 21,600 - 8,400 = 13,200 into
    # January, which owes 16,800: partial, 16,800 - 13,200 = 3,600 outstanding.
    balances = month_balances([Paid("C-1", NOV, 30_000, DISCOUNTED, date(2026, 11, 10))], trader_due)
    assert [(b.period, b.credit_in, b.credit_out, b.status, b.outstanding) for b in balances] == [
        (NOV, 0, 21_600, "complete", 0),
        (DEC, 21_600, 13_200, "complete", 0),
        (JAN, 13_200, 0, "partial", 3_600),
    ]


def test_a_top_up_completes_a_month_partly_paid_by_credit():
    balances = month_balances(
        [
            Paid("C-1", NOV, 30_000, DISCOUNTED, date(2026, 11, 10)),
            Paid("C-2", JAN, 3_600, FULL, date(2027, 1, 5)),
        ],
        trader_due,
    )
    january = balances[-1]
    # 13,200 credit + 3,600 = 16,800.
    assert (january.period, january.status, january.completed_on, january.credit_out) == (
        JAN,
        "complete",
        date(2027, 1, 5),
        0,
    )


def test_credit_stops_at_the_death_month():
    balances = month_balances([Paid("C-1", NOV, FULL, DISCOUNTED, date(2026, 11, 10))], trader_due, last_month=NOV)
    assert [(b.period, b.credit_out) for b in balances] == [(NOV, 8_400)]  # to refund to the estate


def test_only_complete_months_protect():
    balances = month_balances(
        [
            Paid("C-1", NOV, DISCOUNTED, DISCOUNTED, date(2026, 11, 10)),
            Paid("C-2", DEC, 100, DISCOUNTED, date(2026, 12, 10)),
        ],
        trader_due,
    )
    assert complete_payments(balances) == [Payment(NOV, date(2026, 11, 10))]


def test_a_month_owes_what_its_first_payment_recorded_even_if_the_income_changed_since():
    # Recorded when 8,400 was due; the current rules (FULL) would say otherwise.
    [november] = month_balances([Paid("C-1", NOV, 8_400, DISCOUNTED, date(2026, 11, 10))], lambda _m: FULL)
    assert (november.due, november.status) == (8_400, "complete")
