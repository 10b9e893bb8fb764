from datetime import date, datetime

import pytest

from services.enrollment.domain.participant import (
    MAX_AGE_AT_MEMBERSHIP,
    MIN_AGE_AT_MEMBERSHIP,
    age_on,
    register_participant,
)
from shared.errors import RuleViolation
from tests.unit.enrollment.enrollment_builders import nik_for, registration_form

TODAY = date(2026, 11, 12)


def refused(form, today=TODAY):
    with pytest.raises(RuleViolation) as refusal:
        register_participant(form, today)
    return [(e.loc, e.rule) for e in refusal.value.errors]


def test_market_trader_is_registered_with_normalized_fields():
    registration = register_participant(registration_form(kecamatan="tamalate", programs=["jkm", "JKK"]), TODAY)
    assert registration.nik == "7371034703850001"
    assert registration.phone == "+6281242001234"
    assert registration.kecamatan == "Tamalate"
    assert registration.programs == ("JKK", "JKM")
    assert [h.precedence for h in registration.heirs] == [1, 1]


def test_membership_starts_on_the_registration_date_by_default():
    assert register_participant(registration_form(), TODAY).member_since == TODAY


def test_imported_worker_keeps_the_membership_start_from_the_citys_list():
    registration = register_participant(registration_form(member_since="2024-02-01"), TODAY)
    assert registration.member_since == date(2024, 2, 1)


def test_membership_cannot_start_in_the_future():
    assert refused(registration_form(member_since=date(2026, 11, 13))) == [
        (("member_since",), "member_since_in_future"),
    ]


def test_jht_is_optional_and_kept_in_programme_order():
    registration = register_participant(registration_form(programs=["JHT", "JKM", "JKK"]), TODAY)
    assert registration.programs == ("JKK", "JKM", "JHT")


def test_jkk_and_jkm_are_both_required():
    assert refused(registration_form(programs=["JKK", "JHT"])) == [(("programs",), "programs_jkk_jkm_required")]


def test_only_jkk_jkm_and_jht_can_be_enrolled():
    assert refused(registration_form(programs=["JKK", "JKM", "JP"])) == [(("programs",), "program_unknown")]


def test_kecamatan_outside_makassar_is_refused_with_the_list():
    with pytest.raises(RuleViolation) as refusal:
        register_participant(registration_form(kecamatan="Somba Opu"), TODAY)
    [error] = refusal.value.errors
    assert (error.loc, error.rule) == (("kecamatan",), "kecamatan_unknown")
    assert "Makassar's 15 kecamatan" in error.msg and "Kepulauan Sangkarrang" in error.msg


def test_segment_must_be_one_of_the_work_segments():
    assert refused(registration_form(segment="farmer")) == [(("segment",), "segment_unknown")]


def test_declared_income_outside_the_range_is_refused():
    assert refused(registration_form(monthly_income=900_000)) == [(("monthly_income",), "income_out_of_range")]


def test_participant_phone_is_required_and_must_be_mobile():
    assert refused(registration_form(phone=None)) == [(("phone",), "phone_required")]
    assert refused(registration_form(phone="0411 871234")) == [(("phone",), "phone_invalid")]


def test_sex_is_f_or_m():
    form = registration_form()
    form["sex"] = "P"
    assert refused(form) == [(("sex",), "sex_unknown")]


def test_nik_that_disagrees_with_the_birth_date_is_refused():
    form = registration_form(nik=nik_for(date(1985, 3, 8), "F"))
    assert refused(form) == [(("nik",), "nik_birth_date_mismatch")]


def test_womans_registration_with_a_mans_nik_is_refused():
    form = registration_form(nik=nik_for(date(1985, 3, 7), "M"))
    assert refused(form) == [(("nik",), "nik_sex_mismatch")]


def test_birth_date_cannot_be_in_the_future():
    born = date(2026, 12, 1)
    assert refused(registration_form(birth_date=born, member_since=TODAY)) == [
        (("birth_date",), "birth_date_in_future"),
    ]


def test_birth_date_must_be_a_date():
    form = registration_form(birth_date="07-03-1985", nik="7371034703850001")
    assert refused(form) == [(("birth_date",), "birth_date_format")]
    form = registration_form(birth_date=datetime(1985, 3, 7, 8, 0), nik="7371034703850001")
    assert refused(form) == [(("birth_date",), "birth_date_format")]


def test_age_limits_are_15_to_65_when_membership_starts():
    assert (MIN_AGE_AT_MEMBERSHIP, MAX_AGE_AT_MEMBERSHIP) == (15, 65)
    fifteen_today = date(2011, 11, 12)
    assert register_participant(registration_form(birth_date=fifteen_today), TODAY).birth_date == fifteen_today
    assert refused(registration_form(birth_date=date(2011, 11, 13))) == [(("birth_date",), "age_below_minimum")]
    sixty_five = date(1960, 11, 13)  # 65 until 12 November 2026 inclusive
    assert register_participant(registration_form(birth_date=sixty_five), TODAY).birth_date == sixty_five
    assert refused(registration_form(birth_date=date(1960, 11, 12))) == [(("birth_date",), "age_above_maximum")]


def test_age_is_taken_when_membership_started_for_imported_members():
    # 70 today, but 62 when the city enrolled them in 2018.
    form = registration_form(birth_date=date(1956, 5, 1), member_since=date(2018, 6, 1))
    assert register_participant(form, TODAY).member_since == date(2018, 6, 1)


def test_age_counts_completed_years():
    assert age_on(date(2000, 2, 29), date(2016, 2, 28)) == 15
    assert age_on(date(2000, 2, 29), date(2016, 2, 29)) == 16


def test_heir_errors_carry_their_index():
    form = registration_form(heirs=[{"full_name": "Andi", "relationship": "spouse", "birth_date": "2099-01-01"}])
    assert refused(form) == [(("heirs", 0, "birth_date"), "birth_date_in_future")]


def test_an_heir_without_phone_or_email_is_registered():
    form = registration_form(heirs=[{"full_name": "Andi", "relationship": "parent"}])
    [heir] = register_participant(form, TODAY).heirs
    assert (heir.phone, heir.email, heir.precedence) == (None, None, 2)


def test_every_broken_rule_is_reported_at_once():
    form = registration_form(
        nik="1234",
        full_name="  ",
        phone="12",
        kecamatan="Gowa",
        segment="farmer",
        monthly_income=50_000_000,
        programs=["JKM"],
        heirs=[{"full_name": "A", "relationship": "friend", "phone": "0812"}],
    )
    assert refused(form) == [
        (("full_name",), "full_name_required"),
        (("nik",), "nik_format"),
        (("phone",), "phone_invalid"),
        (("kecamatan",), "kecamatan_unknown"),
        (("segment",), "segment_unknown"),
        (("monthly_income",), "income_out_of_range"),
        (("programs",), "programs_jkk_jkm_required"),
        (("heirs", 0, "relationship"), "heir_relationship_unknown"),
        (("heirs", 0, "phone"), "phone_invalid"),
    ]


def test_registration_never_shows_the_full_nik():
    registration = register_participant(registration_form(), TODAY)
    assert registration.nik_masked == "7371************"
    assert registration.nik not in repr(registration)
