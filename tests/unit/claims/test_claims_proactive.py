"""Proactive death claims (issue 19): when a reported death opens a claim, what the family is told
it is owed and must bring, and when they are reminded and visited."""

from __future__ import annotations

from datetime import date

from services.claims.domain.proactive import (
    ALREADY_CLAIMED,
    NOT_COVERED,
    NOT_ENROLLED_IN_JKM,
    OPENED,
    home_visit_due,
    outcome_of_reported_death,
    proactive_claim,
    reminder_due,
    working_days_between,
)
from tests.unit.claims.claims_builders import CHILD_1, WIDOW, participant

# claims_builders' participant is protected from 1 January 2023 through 31 August 2026.


def test_a_death_while_covered_opens_a_claim():
    assert outcome_of_reported_death(participant(), date(2026, 7, 10), standing_death_claim=False) == OPENED


def test_a_death_after_cover_ended_opens_nothing():
    assert outcome_of_reported_death(participant(), date(2026, 9, 1), standing_death_claim=False) == NOT_COVERED


def test_a_worker_without_jkm_gets_no_death_claim():
    assert outcome_of_reported_death(participant(programs={"JKK"}), date(2026, 7, 10), False) == NOT_ENROLLED_IN_JKM


def test_a_death_already_claimed_opens_no_second_claim():
    assert outcome_of_reported_death(participant(), date(2026, 7, 10), standing_death_claim=True) == ALREADY_CLAIMED


def test_the_family_is_told_the_full_jkm_and_the_documents_a_widow_brings():
    opened = proactive_claim(participant(heirs=[WIDOW, CHILD_1]), date(2026, 7, 10), "RSUD Daya")
    # PP 82/2019: 20,000,000 + 12,000,000 + 10,000,000 (the scholarship is an entitlement, not cash).
    assert opened.expected_amount == 20_000_000 + 12_000_000 + 10_000_000
    assert opened.documents == (
        "participant_card",
        "ktp_deceased",
        "ktp_heir",
        "family_card",
        "death_certificate",
        "heir_statement",
        "marriage_book",
        "bank_account",
    )
    assert opened.filing.claim_type == "JKM" and opened.filing.incident_date == date(2026, 7, 10)


def test_a_short_membership_is_told_the_short_membership_amount():
    opened = proactive_claim(
        participant(
            member_since=date(2026, 6, 1), protected_periods=[(date(2026, 6, 1), date(2026, 8, 31))], heirs=[CHILD_1]
        ),
        date(2026, 7, 10),
        "Rumah",
    )
    # Less than 3 months of membership: death benefit 8,000,000 + funeral 2,000,000; no widow, no marriage book.
    assert opened.expected_amount == 8_000_000 + 2_000_000
    assert "marriage_book" not in opened.documents


def test_working_days_skip_weekends_and_holidays():
    # Friday 27 Nov 2026 to Friday 4 Dec 2026: Monday 30 Nov to Friday 4 Dec.
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 4)) == 5
    # Tuesday 22 Dec to Tuesday 29 Dec 2026: 23, 28, 29 (24 cuti bersama, 25 Christmas, 26-27 weekend).
    assert working_days_between(date(2026, 12, 22), date(2026, 12, 29)) == 3


def test_the_family_is_reminded_once_after_5_working_days():
    opened = date(2026, 11, 27)
    assert not reminder_due(opened, None, date(2026, 12, 3))
    assert reminder_due(opened, None, date(2026, 12, 4))
    assert not reminder_due(opened, date(2026, 12, 4), date(2026, 12, 20))


def test_the_kelurahan_visits_5_working_days_after_the_reminder():
    assert not home_visit_due(None, date(2027, 1, 30))
    assert not home_visit_due(date(2026, 12, 4), date(2026, 12, 10))
    assert home_visit_due(date(2026, 12, 4), date(2026, 12, 11))
