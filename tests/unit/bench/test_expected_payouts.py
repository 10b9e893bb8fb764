"""The chaos run's ledger check uses figures restated apart from the claims domain
(bench/expected_payouts.py): here they are checked against the product brief's amounts."""

from datetime import date

import pytest

from bench.chaos import ChaosReport, _check_ledger
from bench.expected_payouts import NotInTheMix, expected_cash
from bench.load import Worker
from services.enrollment.domain import Period

TODAY = date(2026, 11, 29)


def test_jkm_pays_42_million_or_10_million_in_the_first_months():
    # 20,000,000 lump sum + 12,000,000 periodic + 10,000,000 funeral
    assert (
        expected_cash(
            "JKM", monthly_income=2_000_000, member_since=date(2025, 6, 1), incident_date=TODAY, incapacity_days=None
        )
        == 42_000_000
    )
    # joined 20 days before the death: 8,000,000 + 2,000,000
    assert (
        expected_cash(
            "JKM", monthly_income=2_000_000, member_since=date(2026, 11, 9), incident_date=TODAY, incapacity_days=None
        )
        == 10_000_000
    )


def test_jkk_death_pays_48_incomes_plus_funeral_and_periodic_benefit():
    # 48 x 2,500,000 + 10,000,000 + 12,000,000
    assert (
        expected_cash(
            "JKK_DEATH",
            monthly_income=2_500_000,
            member_since=date(2025, 6, 1),
            incident_date=TODAY,
            incapacity_days=None,
        )
        == 120_000_000 + 22_000_000
    )


def test_jkk_accident_pays_each_day_off_work_at_a_thirtieth_of_the_income_rounded_half_up():
    # 3,000,000 x 14 / 30 = 1,400,000
    assert (
        expected_cash(
            "JKK", monthly_income=3_000_000, member_since=date(2025, 6, 1), incident_date=TODAY, incapacity_days=14
        )
        == 1_400_000
    )
    # 1,750,000 x 7 / 30 = 408,333.33… -> 408,333 ; 1,000,001 x 15 / 30 = 500,000.5 -> 500,001
    assert (
        expected_cash(
            "JKK", monthly_income=1_750_000, member_since=date(2025, 6, 1), incident_date=TODAY, incapacity_days=7
        )
        == 408_333
    )
    assert (
        expected_cash(
            "JKK", monthly_income=1_000_001, member_since=date(2025, 6, 1), incident_date=TODAY, incapacity_days=15
        )
        == 500_001
    )


def test_claims_outside_the_generators_mix_are_refused_not_guessed():
    with pytest.raises(NotInTheMix):  # 80 days: near the 3-month boundary the generator never files
        expected_cash(
            "JKM", monthly_income=2_000_000, member_since=date(2026, 9, 10), incident_date=TODAY, incapacity_days=None
        )
    with pytest.raises(NotInTheMix):
        expected_cash(
            "JKK", monthly_income=2_000_000, member_since=date(2025, 6, 1), incident_date=TODAY, incapacity_days=400
        )


class FakeConn:
    def __init__(self, rows):
        self.rows = rows

    async def fetch(self, *_args):
        return self.rows


def worker(participant_id: str, claim_type: str, income: int, member_since: date, days: int | None = None) -> Worker:
    return Worker(
        "jkm_full",
        {"monthly_income": str(income), "member_since": member_since.isoformat()},
        claim_type,
        Period.of(TODAY),
        TODAY,
        2,
        {},
        incapacity_days=days,
        participant_id=participant_id,
    )


async def test_the_chaos_check_flags_a_ledger_that_differs_from_the_restated_figures():
    workers = [
        worker("P-1", "JKM", 2_000_000, date(2025, 6, 1)),
        worker("P-2", "JKK", 3_000_000, date(2025, 6, 1), days=14),
    ]
    rows = [
        {
            "claim_id": "CLM-1",
            "participant_id": "P-1",
            "claim_type": "JKM",
            "incident_date": TODAY,
            "incapacity_days": None,
            "recorded": 42_000_000,
        },
        # one rupiah short of 3,000,000 x 14 / 30 = 1,400,000
        {
            "claim_id": "CLM-2",
            "participant_id": "P-2",
            "claim_type": "JKK",
            "incident_date": TODAY,
            "incapacity_days": 14,
            "recorded": 1_399_999,
        },
    ]
    report = ChaosReport()
    await _check_ledger(FakeConn(rows), ["CLM-1", "CLM-2"], workers, report)
    assert report.wrong_amounts == 1
    assert report.problems == ["claim CLM-2 (JKK): ledger 1399999 != expected 1400000"]
