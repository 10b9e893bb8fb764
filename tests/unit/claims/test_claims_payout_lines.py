"""Who is paid what (domain.payout.payout_lines) on the facts of the incident date, with
heirs who have no contact, minors paid through a wali, transport to hospital, late charges
and a death reclassified after payout. Every figure is worked out by hand beside it."""

from dataclasses import replace
from datetime import date

import pytest
from claims_builders import CHILD_1, MOTHER, TODAY, WIDOW, claim, participant

from services.claims.domain.claim import ClaimType, Guardian
from services.claims.domain.heirs import guardian_errors
from services.claims.domain.participant import HeirView
from services.claims.domain.payout import PayoutLine, approval_refusals, cash_of, payout_lines
from services.claims.domain.reasons import ReasonCode
from services.claims.domain.reclassification import reclassification_difference, reclassification_errors
from services.claims.domain.sla import late_charge_lines
from services.claims.domain.verification import verify_claim

DEATH = date(2026, 7, 10)


def lines_of(lines, kind="cash"):
    return [(x.component, x.payee_name, x.guardian_name, x.amount) for x in lines if x.kind == kind]


# --- 1. heirs without phone or email ------------------------------------------------------------------

MOTHER_NO_CONTACT = HeirView("h-mother", "Hj. Becce", "parent", 2)  # no phone, no email


def test_an_heir_without_contact_is_paid_the_full_jkm_benefit():
    lines = payout_lines(claim(ClaimType.JKM), participant(heirs=[MOTHER_NO_CONTACT], paid_months=12), TODAY)
    # 20,000,000 lump sum + 12,000,000 periodic + 10,000,000 funeral, all to the mother.
    assert lines_of(lines) == [
        ("lump_sum", "Hj. Becce", None, 20_000_000),
        ("periodic_benefit", "Hj. Becce", None, 12_000_000),
        ("funeral", "Hj. Becce", None, 10_000_000),
    ]
    assert cash_of(lines) == 42_000_000


def test_an_heir_without_contact_is_paid_the_full_jkk_death_benefit_of_a_3_million_earner():
    lines = payout_lines(claim(ClaimType.JKK_DEATH), participant(heirs=[MOTHER_NO_CONTACT]), TODAY)
    # 48 x 3,000,000 = 144,000,000 + funeral 10,000,000 + periodic 12,000,000 = 166,000,000.
    assert cash_of(lines) == 144_000_000 + 10_000_000 + 12_000_000
    assert {x.payee_name for x in lines} == {"Hj. Becce"}


def test_heirs_without_contact_are_not_referred_as_no_heir():
    verification = verify_claim(claim(ClaimType.JKM), participant(heirs=[MOTHER_NO_CONTACT]), set(), TODAY)
    assert ReasonCode.NO_HEIR not in [r.code for r in verification.reasons]


def test_a_death_claim_without_any_heir_cannot_be_approved():
    refusals = approval_refusals(claim(ClaimType.JKM), participant(heirs=[]), TODAY)
    assert [e.rule for e in refusals] == ["death_benefit_payee_missing"]
    assert "/v1/claims/c-1/heirs" in refusals[0].msg


def test_without_heirs_only_the_funeral_cost_is_recorded_for_whoever_handled_the_burial():
    lines = payout_lines(claim(ClaimType.JKM), participant(heirs=[]), TODAY)
    assert lines_of(lines) == [("funeral", None, None, 10_000_000)]


# --- 2. minors and their wali -----------------------------------------------------------------------------

SON = HeirView("h-son", "Andi Saputra", "child", 1, birth_date=date(2015, 3, 1))  # 11 on 15 July 2026


def test_a_minor_payee_without_a_wali_is_referred_and_cannot_be_approved():
    subject = participant(heirs=[WIDOW, SON], paid_months=12)
    verification = verify_claim(claim(ClaimType.JKM), subject, set(), TODAY)
    assert ReasonCode.GUARDIAN_MISSING in [r.code for r in verification.reasons]
    assert [(e.loc, e.rule) for e in approval_refusals(claim(ClaimType.JKM), subject, TODAY)] == [
        (("guardians", "h-son"), "guardian_missing")
    ]


def test_a_minor_is_paid_through_the_wali_named_on_the_claim():
    with_wali = replace(claim(ClaimType.JKM), guardians={"h-son": Guardian("Hj. Becce", "nenek")})
    lines = payout_lines(with_wali, participant(heirs=[WIDOW, SON], paid_months=12), TODAY)
    # Two first-rank heirs share equally: 20M/2, 12M/2, 10M/2. Ordered by heir id: h-son, h-widow.
    assert lines_of(lines) == [
        ("lump_sum", "Andi Saputra", "Hj. Becce", 10_000_000),
        ("lump_sum", "Sitti Rahmawati", None, 10_000_000),
        ("periodic_benefit", "Andi Saputra", "Hj. Becce", 6_000_000),
        ("periodic_benefit", "Sitti Rahmawati", None, 6_000_000),
        ("funeral", "Andi Saputra", "Hj. Becce", 5_000_000),
        ("funeral", "Sitti Rahmawati", None, 5_000_000),
    ]
    assert approval_refusals(with_wali, participant(heirs=[WIDOW, SON]), TODAY) == []


def test_a_child_who_turned_18_before_payment_is_paid_directly():
    grown = replace(SON, birth_date=date(2008, 7, 15))  # 18 on 15 July 2026, the payment day
    lines = payout_lines(claim(ClaimType.JKM), participant(heirs=[WIDOW, grown], paid_months=12), TODAY)
    assert {x.guardian_name for x in lines} == {None}


def test_a_wali_for_an_adult_heir_is_refused():
    adult = replace(SON, birth_date=date(2000, 1, 1))
    errors = guardian_errors({"h-son": Guardian("Hj. Becce", "nenek")}, [WIDOW, adult], TODAY)
    assert [(e.loc, e.rule) for e in errors] == [(("guardians", "h-son"), "guardian_for_adult")]


def test_a_wali_for_an_unknown_heir_is_refused():
    errors = guardian_errors({"h-nobody": Guardian("Hj. Becce", "nenek")}, [WIDOW], TODAY)
    assert [e.rule for e in errors] == ["heir_unknown"]


@pytest.mark.parametrize(
    ("born", "entitled"),
    [
        (date(2003, 7, 11), True),  # 22 on 10 July 2026: turns 23 the day after the death
        (date(2003, 7, 10), False),  # 23 on the day of the death
        (date(2001, 1, 1), False),  # 25
    ],
)
def test_a_child_aged_23_on_the_day_of_death_has_no_scholarship(born, entitled):
    child = HeirView("h-child", "Nur Aisyah", "child", 1, birth_date=born)
    lines = payout_lines(claim(ClaimType.JKK_DEATH), participant(heirs=[WIDOW, child]), TODAY)
    # Per child: 2 x 1.5M + 6 x 1.5M + 3 x 2M + 3 x 3M + 5 x 12M = 87,000,000.
    assert lines_of(lines, "entitlement") == ([("scholarship", "Nur Aisyah", None, 87_000_000)] if entitled else [])


# --- 3. facts as they were on the incident date --------------------------------------------------------------

RAISED = dict(monthly_income=5_000_000, income_history=[(date(2023, 1, 1), 3_000_000), (date(2026, 8, 1), 5_000_000)])


def test_jkk_death_uses_the_income_of_the_accident_month_not_a_later_raise():
    lines = payout_lines(claim(ClaimType.JKK_DEATH), participant(heirs=[MOTHER], **RAISED), TODAY)
    # Accident 10 July 2026, income 3,000,000 then (5,000,000 only from August): 48 x 3,000,000.
    assert [x.amount for x in lines if x.component == "death_benefit"] == [144_000_000]


def test_an_accident_after_the_raise_uses_the_raised_income():
    after = claim(ClaimType.JKK_DEATH, incident_date=date(2026, 8, 3))
    lines = payout_lines(after, participant(heirs=[MOTHER], **RAISED), date(2026, 8, 10))
    assert [x.amount for x in lines if x.component == "death_benefit"] == [48 * 5_000_000]


def test_incapacity_pay_uses_the_income_of_the_accident_month():
    accident = claim(ClaimType.JKK, incapacity_days=30)
    lines = payout_lines(accident, participant(full_name="Baso", **RAISED), TODAY)
    # 100 % of 3,000,000 for 30 days of a 30-day month = 3,000,000, to the worker.
    assert lines_of(lines) == [("temporary_incapacity", "Baso", None, 3_000_000)]


def months(first: tuple[int, int], count: int) -> list[str]:
    year, month = first
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def test_scholarship_months_count_up_to_the_death_only():
    # Paid September 2023 .. September 2026: 37 months, but through July 2026 (the death)
    # only September 2023 .. July 2026 = 4 + 12 + 12 + 7 = 35 < 36: no scholarship.
    paid_ahead = participant(heirs=[WIDOW, CHILD_1], paid_months=37, paid_periods=months((2023, 9), 37))
    assert lines_of(payout_lines(claim(ClaimType.JKM), paid_ahead, TODAY), "entitlement") == []
    # Paid August 2023 .. July 2026: 5 + 12 + 12 + 7 = 36 months up to the death: one child, 87,000,000.
    paid_through = participant(heirs=[WIDOW, CHILD_1], paid_months=36, paid_periods=months((2023, 8), 36))
    assert lines_of(payout_lines(claim(ClaimType.JKM), paid_through, TODAY), "entitlement") == [
        ("scholarship", "Andi Saputra", None, 87_000_000)
    ]


# --- 6. transport to hospital ------------------------------------------------------------------------------------


def test_transport_is_paid_up_to_each_modes_cap_and_combined():
    accident = claim(ClaimType.JKK, transport_costs={"land": 1_200_000, "sea": 900_000, "air": 3_000_000})
    lines = payout_lines(accident, participant(full_name="Baso"), TODAY)
    # land capped at 1,000,000; sea 900,000 under its 1,500,000 cap; air capped at 2,500,000.
    assert lines_of(lines) == [("transport", "Baso", None, 1_000_000 + 900_000 + 2_500_000)]


def test_transport_after_a_fatal_accident_goes_to_the_heirs():
    death = claim(ClaimType.JKK_DEATH, transport_costs={"land": 400_000})
    lines = payout_lines(death, participant(heirs=[MOTHER]), TODAY)
    assert [(x.component, x.payee_name, x.amount) for x in lines if x.component == "transport"] == [
        ("transport", "Hj. Becce", 400_000)
    ]
    assert cash_of(lines) == 166_000_000 + 400_000


# --- 8. late payment -------------------------------------------------------------------------------------------


def paid_jkm_to_two() -> list[PayoutLine]:
    return [
        PayoutLine("lump_sum", 10_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("lump_sum", 10_000_000, "cash", "h-b", "B", "Wali B", ""),
        PayoutLine("periodic_benefit", 6_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("periodic_benefit", 6_000_000, "cash", "h-b", "B", "Wali B", ""),
        PayoutLine("funeral", 5_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("funeral", 5_000_000, "cash", "h-b", "B", "Wali B", ""),
        PayoutLine("scholarship", 87_000_000, "entitlement", "h-b", "B", "Wali B", ""),
    ]


def test_paid_five_days_late_each_payee_is_owed_1_percent_a_day_of_their_cash():
    lines = late_charge_lines(paid_jkm_to_two(), date(2026, 7, 15), date(2026, 7, 20))
    # 21,000,000 each x 1 % x 5 days = 1,050,000 each; the scholarship is no cash now.
    assert [(x.component, x.payee_heir_id, x.guardian_name, x.amount) for x in lines] == [
        ("late_charge", "h-a", None, 1_050_000),
        ("late_charge", "h-b", "Wali B", 1_050_000),
    ]


def test_paid_on_the_deadline_nothing_is_owed():
    assert late_charge_lines(paid_jkm_to_two(), date(2026, 7, 15), date(2026, 7, 15)) == []


# --- 5. reclassification JKM <-> JKK_DEATH ---------------------------------------------------------------------------


def test_jkm_reclassified_as_jkk_death_after_payout_pays_only_the_difference():
    paid = [x for x in paid_jkm_to_two() if x.kind == "cash"]
    due = [
        PayoutLine("death_benefit", 72_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("death_benefit", 72_000_000, "cash", "h-b", "B", "Wali B", ""),
        PayoutLine("funeral", 5_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("funeral", 5_000_000, "cash", "h-b", "B", "Wali B", ""),
        PayoutLine("periodic_benefit", 6_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("periodic_benefit", 6_000_000, "cash", "h-b", "B", "Wali B", ""),
        PayoutLine("scholarship", 87_000_000, "entitlement", "h-b", "B", "Wali B", ""),
    ]
    adjustment, overpaid = reclassification_difference(paid, due, "JKM", "JKK_DEATH")
    # Each: 83,000,000 under JKK_DEATH - 21,000,000 paid under JKM = 62,000,000; the scholarship is new.
    assert [(x.component, x.payee_heir_id, x.guardian_name, x.amount, x.kind) for x in adjustment] == [
        ("reclassification_adjustment", "h-a", None, 62_000_000, "cash"),
        ("reclassification_adjustment", "h-b", "Wali B", 62_000_000, "cash"),
        ("scholarship", "h-b", "Wali B", 87_000_000, "entitlement"),
    ]
    assert overpaid == 0


def test_a_lower_new_total_records_nothing_negative_and_reports_the_excess():
    paid = [
        PayoutLine("death_benefit", 144_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("funeral", 10_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("periodic_benefit", 12_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("late_charge", 1_000_000, "cash", "h-a", "A", None, ""),
    ]
    due = [
        PayoutLine("lump_sum", 20_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("periodic_benefit", 12_000_000, "cash", "h-a", "A", None, ""),
        PayoutLine("funeral", 10_000_000, "cash", "h-a", "A", None, ""),
    ]
    adjustment, overpaid = reclassification_difference(paid, due, "JKK_DEATH", "JKM")
    # 166,000,000 paid as benefit (the late charge is not benefit) - 42,000,000 = 124,000,000 too much.
    assert adjustment == [] and overpaid == 124_000_000


def test_reclassification_to_the_same_type_or_of_an_accident_or_without_reason_is_refused():
    assert [e.rule for e in reclassification_errors("JKM", "JKM", "x", "needs_review")] == [
        "reclassification_same_type"
    ]
    assert [e.rule for e in reclassification_errors("JKK", "JKM", "x", "needs_review")] == [
        "reclassification_between_deaths_only"
    ]
    assert [e.rule for e in reclassification_errors("JKM", "JKK_DEATH", " ", "payout_recorded")] == ["reason_required"]
