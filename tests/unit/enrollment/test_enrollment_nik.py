from datetime import date

from services.enrollment.domain.nik import validate_nik
from tests.unit.enrollment.enrollment_builders import nik_for


def rules(errors):
    return [e.rule for e in errors]


def test_mans_nik_carries_his_plain_birth_day():
    assert nik_for(date(1990, 8, 17), "M") == "7371031708900001"
    assert validate_nik("7371031708900001", date(1990, 8, 17), "M") == []


def test_womans_nik_carries_day_plus_40():
    assert nik_for(date(1990, 8, 17), "F") == "7371035708900001"
    assert validate_nik("7371035708900001", date(1990, 8, 17), "F") == []


def test_every_nik_error_is_on_the_nik_field_and_names_its_rule():
    errors = validate_nik("7371035708900001", date(1990, 8, 17), "M")
    assert [(e.loc, e.rule) for e in errors] == [(("nik",), "nik_sex_mismatch")]
    assert errors[0].msg.startswith("nik_sex_mismatch:")


def test_nik_must_be_exactly_16_digits():
    for bad in [
        "737103170890001",
        "73710317089000012",
        "73710317089000O1",
        "",
        None,
        7371031708900001,
        "７３７１０３１７０８９０００１",
    ]:
        assert rules(validate_nik(bad, date(1990, 8, 17), "M")) == ["nik_format"], bad


def test_mans_nik_read_as_womans_is_a_sex_mismatch():
    assert rules(validate_nik("7371031708900001", date(1990, 8, 17), "F")) == ["nik_sex_mismatch"]


def test_nik_birth_date_must_match_the_stated_birth_date():
    nik = nik_for(date(1990, 8, 17), "M")
    assert rules(validate_nik(nik, date(1990, 8, 18), "M")) == ["nik_birth_date_mismatch"]
    assert rules(validate_nik(nik, date(1990, 9, 17), "M")) == ["nik_birth_date_mismatch"]
    assert rules(validate_nik(nik, date(1991, 8, 17), "M")) == ["nik_birth_date_mismatch"]


def test_nik_two_digit_year_matches_any_century():
    assert validate_nik(nik_for(date(2001, 1, 5), "M"), date(2001, 1, 5), "M") == []
    assert validate_nik(nik_for(date(1958, 1, 5), "F"), date(1958, 1, 5), "F") == []


def test_nik_birth_date_must_be_a_real_date():
    assert rules(validate_nik("7371033102900001", None, None)) == ["nik_birth_date_invalid"]  # 31 Feb
    assert rules(validate_nik("7371033513900001", None, None)) == ["nik_birth_date_invalid"]  # day 35
    assert rules(validate_nik("7371031713900001", None, None)) == ["nik_birth_date_invalid"]  # month 13


def test_29_february_is_real_in_a_leap_year_of_either_century():
    assert validate_nik("7371036902000001", date(2000, 2, 29), "F") == []


def test_nik_serial_0000_is_refused():
    nik = nik_for(date(1990, 8, 17), "M", serial="0000")
    assert rules(validate_nik(nik, date(1990, 8, 17), "M")) == ["nik_serial_zero"]


def test_nik_region_codes_are_never_00():
    nik = nik_for(date(1990, 8, 17), "M", region="730001")
    assert rules(validate_nik(nik, date(1990, 8, 17), "M")) == ["nik_region_code"]


def test_nik_from_outside_makassar_is_accepted():
    nik = nik_for(date(1990, 8, 17), "M", region="327301")  # Kota Bandung
    assert validate_nik(nik, date(1990, 8, 17), "M") == []


def test_nik_agreement_checks_are_skipped_when_birth_date_or_sex_is_unknown():
    nik = nik_for(date(1990, 8, 17), "M")
    assert validate_nik(nik, None, None) == []
    assert validate_nik(nik, None, "X") == []


def test_nik_reports_every_mismatch_at_once():
    nik = nik_for(date(1990, 8, 17), "M", serial="0000")
    assert rules(validate_nik(nik, date(1991, 8, 17), "F")) == [
        "nik_birth_date_mismatch",
        "nik_sex_mismatch",
        "nik_serial_zero",
    ]
