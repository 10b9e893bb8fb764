from dataclasses import replace
from datetime import date

import pytest
from claims_builders import INCIDENT, TODAY, filing

from services.claims.domain.claim import (
    ClaimStatus,
    ClaimType,
    Reporter,
    incident_fingerprint,
    validate_filing,
)
from shared.errors import RuleViolation


def rules_broken(f, *, today=TODAY, known=True) -> dict[tuple, str]:
    with pytest.raises(RuleViolation) as caught:
        validate_filing(f, today, known)
    return {error.loc: error.rule for error in caught.value.errors}


@pytest.mark.parametrize("claim_type", list(ClaimType))
def test_complete_filing_of_each_type_is_accepted(claim_type):
    validate_filing(filing(claim_type), TODAY, participant_known=True)


def test_claim_types_and_statuses_are_the_wire_values():
    assert [t.value for t in ClaimType] == ["JKK", "JKK_DEATH", "JKM"]
    assert {s.value for s in ClaimStatus} == {
        "filed",
        "approved",
        "rejected",
        "needs_review",
        "payout_recorded",
        "awaiting_family",
        "withdrawn",
    }


def test_unknown_claim_type_is_refused():
    assert rules_broken(filing(claim_type="JHT", documents={})) == {("claim_type",): "claim_type_unknown"}


def test_incident_in_the_future_is_refused():
    assert rules_broken(filing(incident_date=date(2026, 7, 16))) == {("incident_date",): "incident_date_in_future"}


def test_incident_today_is_accepted():
    validate_filing(filing(incident_date=TODAY), TODAY, participant_known=True)


def test_unknown_participant_is_refused_naming_the_participant_id():
    assert rules_broken(filing(), known=False) == {("participant_id",): "participant_unknown"}


def test_unknown_document_kind_is_refused_naming_the_kind():
    docs = {**filing().documents, "selfie": "x"}
    assert rules_broken(filing(documents=docs)) == {("documents", "selfie"): "document_kind_unknown"}


def test_ktp_number_must_have_16_digits_and_is_not_echoed():
    docs = {**filing().documents, "ktp_heir": "73710347038500"}
    with pytest.raises(RuleViolation) as caught:
        validate_filing(filing(documents=docs), TODAY, True)
    [error] = caught.value.errors
    assert (error.loc, error.rule) == (("documents", "ktp_heir"), "document_number_invalid")
    assert "73710347038500" not in error.msg


@pytest.mark.parametrize("number", ["12.345.678.9-012.000", "123456789012000", "7371034703850001"])
def test_npwp_of_15_or_16_digits_is_accepted(number):
    validate_filing(filing(documents={**filing().documents, "npwp": number}), TODAY, True)


@pytest.mark.parametrize("percent", [-1, 101])
def test_jkk_disability_outside_0_to_100_percent_is_refused(percent):
    assert rules_broken(filing(ClaimType.JKK, disability_percent=percent)) == {
        ("disability_percent",): "disability_percent_out_of_range"
    }


@pytest.mark.parametrize("percent", [0, 35, 100])
def test_jkk_disability_from_0_to_100_percent_is_accepted(percent):
    validate_filing(filing(ClaimType.JKK, disability_percent=percent, incapacity_days=30), TODAY, True)


def test_negative_incapacity_days_are_refused():
    assert rules_broken(filing(ClaimType.JKK, incapacity_days=-3)) == {
        ("incapacity_days",): "incapacity_days_out_of_range"
    }


def test_incapacity_and_disability_belong_to_a_jkk_accident_only():
    broken = rules_broken(filing(ClaimType.JKM, incapacity_days=10, disability_percent=20))
    assert broken == {("incapacity_days",): "not_for_claim_type", ("disability_percent",): "not_for_claim_type"}


def test_place_cause_and_reporter_name_are_required():
    broken = rules_broken(filing(ClaimType.JKK, incident_place=" ", cause="", reporter=Reporter("")))
    assert broken == {
        ("incident_place",): "incident_place_required",
        ("cause",): "cause_required",
        ("reporter", "name"): "reporter_name_required",
    }


def test_a_workers_group_reporting_must_leave_a_phone():
    # Permenaker 1/2025 art. 48A: the report carries the reporter's contact.
    group = Reporter("Serikat Pedagang Pasar Terong", None, "workers' group")
    assert rules_broken(filing(ClaimType.JKK, reporter=group)) == {("reporter", "phone"): "reporter_contact_required"}


def test_reporter_phone_must_be_e164():
    reporter = Reporter("Puskesmas Bontoala", "0411-123456", "health facility")
    assert rules_broken(filing(ClaimType.JKK, reporter=reporter)) == {("reporter", "phone"): "phone_invalid"}


def test_a_health_facility_landline_is_a_valid_reporter_phone():
    reporter = Reporter("Puskesmas Bontoala", "+62411123456", "health facility")
    validate_filing(filing(ClaimType.JKK, reporter=reporter), TODAY, True)


@pytest.mark.parametrize("written", ["081234567890", "6281234567890", "+62 812-3456-7890", "0812 3456 7890"])
def test_a_reporter_phone_written_the_national_way_is_read_as_e164(written):
    from services.claims.domain.claim import reporter_phone

    assert reporter_phone(written) == "+6281234567890"


def test_a_health_facility_landline_written_with_its_area_code_is_read_as_e164():
    from services.claims.domain.claim import reporter_phone

    assert reporter_phone("(0411) 123456") == "+62411123456"


@pytest.mark.parametrize("written", ["12345", "+1 415 555 0100", "nomor saya"])
def test_a_phone_that_is_not_indonesian_is_left_for_validation_to_refuse(written):
    from services.claims.domain.claim import reporter_phone

    reporter = Reporter("Andi", reporter_phone(written), None)
    assert rules_broken(filing(ClaimType.JKK, reporter=reporter)) == {("reporter", "phone"): "phone_invalid"}


def test_an_empty_form_is_refused_naming_every_missing_field_at_once():
    empty = filing(
        ClaimType.JKM,
        participant_id="",
        incident_date=None,
        incident_place="",
        cause="",
        reporter=Reporter("", None, None),
        documents={},
    )
    assert rules_broken(empty) == {
        ("participant_id",): "participant_id_required",
        ("incident_date",): "incident_date_required",
        ("incident_place",): "incident_place_required",
        ("cause",): "cause_required",
        ("reporter", "name"): "reporter_name_required",
    }


def test_every_broken_field_is_reported_at_once():
    broken = rules_broken(filing(claim_type="XXX", documents={}, incident_date=date(2027, 1, 1), cause=""), known=False)
    assert set(broken) == {("claim_type",), ("incident_date",), ("cause",), ("participant_id",)}


def test_a_person_dies_once_whatever_the_date_and_death_type():
    first = incident_fingerprint("p-1", ClaimType.JKM, date(2026, 7, 10))
    assert incident_fingerprint("p-1", ClaimType.JKM, date(2026, 7, 11)) == first
    assert incident_fingerprint("p-1", ClaimType.JKK_DEATH, date(2026, 5, 2)) == first
    assert incident_fingerprint("p-2", ClaimType.JKM, date(2026, 7, 10)) != first


def test_an_accident_is_the_same_incident_only_on_the_same_day():
    first = incident_fingerprint("p-1", ClaimType.JKK, INCIDENT)
    assert incident_fingerprint("p-1", "JKK", INCIDENT) == first
    assert incident_fingerprint("p-1", ClaimType.JKK, date(2026, 7, 11)) != first


def test_death_after_an_accident_is_not_a_duplicate_of_the_accident_claim():
    accident = incident_fingerprint("p-1", ClaimType.JKK, INCIDENT)
    assert accident != incident_fingerprint("p-1", ClaimType.JKK_DEATH, INCIDENT)


def test_filing_is_immutable():
    f = filing()
    with pytest.raises(AttributeError):
        f.cause = "changed"  # type: ignore[misc]
    assert replace(f, cause="changed").cause == "changed"
