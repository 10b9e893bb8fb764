"""The default claim: a JKM death on 10 July 2026 of a participant protected through
31 August 2026, widow and child as heirs, every document in (claims_builders)."""

from datetime import date

from claims_builders import CHILD_1, MOTHER, TODAY, WIDOW, claim, full_documents, participant, with_filing, without

from services.claims.domain.claim import ClaimStatus, ClaimType
from services.claims.domain.reasons import REASON_EFFECT, ReasonCode
from services.claims.domain.verification import verify_claim


def codes(verification):
    return [reason.code for reason in verification.reasons]


def test_death_claim_of_a_protected_participant_with_documents_is_approved():
    result = verify_claim(claim(), participant(), set(), TODAY)
    assert (result.outcome, result.reasons, result.missing_documents) == (ClaimStatus.APPROVED, [], [])
    assert result.documents_complete_on == TODAY


def test_death_claim_for_lapsed_coverage_is_rejected():
    # Last paid month April 2026 protects through 30 June (M+2); death on 10 July.
    lapsed = participant(protected_periods=[(date(2023, 1, 1), date(2026, 6, 30))])
    result = verify_claim(claim(), lapsed, set(), TODAY)
    assert result.outcome == ClaimStatus.REJECTED
    assert codes(result) == [ReasonCode.NOT_COVERED_ON_INCIDENT_DATE]
    assert "2026-06-30" in result.reasons[0].message


def test_incident_in_a_gap_between_protected_periods_is_not_covered():
    gap = participant(protected_periods=[(date(2023, 1, 1), date(2025, 3, 31)), (date(2025, 9, 14), date(2026, 8, 31))])
    result = verify_claim(claim(incident_date=date(2025, 6, 1)), gap, set(), TODAY)
    assert codes(result) == [ReasonCode.NOT_COVERED_ON_INCIDENT_DATE]
    assert "2025-03-31" in result.reasons[0].message


def test_incident_before_protection_started_is_not_covered():
    late_starter = participant(
        member_since=date(2026, 7, 1), protected_periods=[(date(2026, 7, 12), date(2026, 9, 30))]
    )
    result = verify_claim(claim(), late_starter, set(), TODAY)
    assert ReasonCode.NOT_COVERED_ON_INCIDENT_DATE in codes(result)
    assert result.outcome == ClaimStatus.REJECTED
    assert "2026-07-12" in result.reasons[0].message


def test_first_and_last_protected_days_are_covered():
    member = participant(protected_periods=[(date(2026, 7, 10), date(2026, 9, 30))], member_since=date(2023, 1, 1))
    assert verify_claim(claim(incident_date=date(2026, 7, 10)), member, set(), TODAY).outcome == ClaimStatus.APPROVED
    member = participant(protected_periods=[(date(2023, 1, 1), date(2026, 7, 10))])
    assert verify_claim(claim(), member, set(), TODAY).outcome == ClaimStatus.APPROVED


def test_jkm_claim_without_jkm_enrolment_is_rejected():
    result = verify_claim(claim(), participant(programs={"JKK"}), set(), TODAY)
    assert (result.outcome, codes(result)) == (ClaimStatus.REJECTED, [ReasonCode.PROGRAMME_NOT_ENROLLED])


def test_jkk_and_jkk_death_claims_need_jkk_enrolment():
    for claim_type in (ClaimType.JKK, ClaimType.JKK_DEATH):
        result = verify_claim(claim(claim_type), participant(programs={"JKM", "JHT"}), set(), TODAY)
        assert (result.outcome, codes(result)) == (ClaimStatus.REJECTED, [ReasonCode.PROGRAMME_NOT_ENROLLED])


def test_claim_with_missing_documents_stays_open_for_review_listing_them():
    docs = without(full_documents(ClaimType.JKM), "death_certificate", "heir_statement")
    result = verify_claim(claim(documents=docs), participant(), set(), TODAY)
    assert result.outcome == ClaimStatus.NEEDS_REVIEW
    assert codes(result) == [ReasonCode.DOCUMENTS_INCOMPLETE]
    assert result.missing_documents == ["death_certificate", "heir_statement"]
    assert "death_certificate, heir_statement" in result.reasons[0].message
    assert result.documents_complete_on is None


def test_widow_as_payee_needs_the_marriage_book():
    docs = without(full_documents(ClaimType.JKM), "marriage_book")
    assert verify_claim(claim(documents=docs), participant(), set(), TODAY).missing_documents == ["marriage_book"]
    # Paid to the parents, no marriage book is asked for.
    parents_only = participant(heirs=[MOTHER])
    assert verify_claim(claim(documents=docs), parents_only, set(), TODAY).outcome == ClaimStatus.APPROVED


def test_jkk_death_over_50_million_needs_an_npwp():
    # 166,000,000 cash for a 3,000,000 income is over the threshold.
    docs = without(full_documents(ClaimType.JKK_DEATH), "npwp")
    result = verify_claim(claim(ClaimType.JKK_DEATH, documents=docs), participant(), set(), TODAY)
    assert result.missing_documents == ["npwp"]
    assert "Rp 166.000.000" in result.reasons[0].message


def test_jkm_of_42_million_needs_no_npwp():
    docs = without(full_documents(ClaimType.JKM), "npwp")
    assert verify_claim(claim(documents=docs), participant(), set(), TODAY).outcome == ClaimStatus.APPROVED


def test_traffic_accident_without_police_report_is_not_approved():
    docs = without(full_documents(ClaimType.JKK, traffic_accident=True), "police_report")
    accident = claim(ClaimType.JKK, traffic_accident=True, documents=docs, incapacity_days=30)
    result = verify_claim(accident, participant(), set(), TODAY)
    assert result.outcome == ClaimStatus.NEEDS_REVIEW
    assert codes(result) == [ReasonCode.POLICE_REPORT_MISSING]
    assert result.missing_documents == ["police_report"]


def test_traffic_accident_missing_other_documents_too_gets_both_reasons():
    docs = without(full_documents(ClaimType.JKK, traffic_accident=True), "police_report", "witness_ktp_2")
    result = verify_claim(claim(ClaimType.JKK, traffic_accident=True, documents=docs), participant(), set(), TODAY)
    assert codes(result) == [ReasonCode.POLICE_REPORT_MISSING, ReasonCode.DOCUMENTS_INCOMPLETE]
    assert "police_report" not in result.reasons[1].message


def test_jkk_claim_filed_more_than_5_years_after_the_accident_is_rejected():
    accident = date(2021, 3, 1)
    member = participant(protected_periods=[(date(2020, 1, 1), date(2026, 8, 31))])
    on_time = claim(ClaimType.JKK, incident_date=accident, filed_on=date(2026, 3, 1))
    assert verify_claim(on_time, member, set(), TODAY).outcome == ClaimStatus.APPROVED
    too_late = claim(ClaimType.JKK, incident_date=accident, filed_on=date(2026, 3, 2))
    result = verify_claim(too_late, member, set(), TODAY)
    assert (result.outcome, codes(result)) == (ClaimStatus.REJECTED, [ReasonCode.CLAIM_RIGHT_EXPIRED])


def test_jkk_death_claim_right_also_lapses_after_5_years():
    member = participant(protected_periods=[(date(2020, 1, 1), date(2026, 8, 31))], member_since=date(2020, 1, 1))
    late = claim(ClaimType.JKK_DEATH, incident_date=date(2021, 3, 1), filed_on=date(2026, 7, 1))
    assert codes(verify_claim(late, member, set(), TODAY)) == [ReasonCode.CLAIM_RIGHT_EXPIRED]


def test_second_death_claim_for_the_same_person_is_rejected_as_duplicate():
    first = claim(ClaimType.JKM)
    second = with_filing(claim(ClaimType.JKK_DEATH), incident_date=date(2026, 7, 9))
    result = verify_claim(second, participant(), {first.fingerprint}, TODAY)
    assert (result.outcome, codes(result)) == (ClaimStatus.REJECTED, [ReasonCode.DUPLICATE_INCIDENT])


def test_same_accident_reported_twice_is_rejected_as_duplicate():
    by_family = claim(ClaimType.JKK)
    result = verify_claim(claim(ClaimType.JKK), participant(), {by_family.fingerprint}, TODAY)
    assert codes(result) == [ReasonCode.DUPLICATE_INCIDENT]


def test_death_soon_after_enrolment_is_reviewed_never_rejected_by_itself():
    # Member since 1 May 2026, died 10 July 2026: within 3 months.
    newcomer = participant(
        member_since=date(2026, 5, 1), protected_periods=[(date(2026, 5, 1), date(2026, 9, 30))], paid_months=3
    )
    result = verify_claim(claim(), newcomer, set(), TODAY)
    assert (result.outcome, codes(result)) == (ClaimStatus.NEEDS_REVIEW, [ReasonCode.DEATH_SOON_AFTER_ENROLMENT])
    assert "short-membership" in result.reasons[0].message
    # The payout is then 10,000,000: no NPWP asked for, documents complete.
    assert result.documents_complete_on == TODAY


def test_jkk_death_soon_after_enrolment_is_reviewed_too():
    newcomer = participant(member_since=date(2026, 6, 1), protected_periods=[(date(2026, 6, 1), date(2026, 8, 31))])
    result = verify_claim(claim(ClaimType.JKK_DEATH), newcomer, set(), TODAY)
    assert codes(result) == [ReasonCode.DEATH_SOON_AFTER_ENROLMENT]


def test_accident_soon_after_enrolment_is_not_flagged():
    newcomer = participant(member_since=date(2026, 6, 1), protected_periods=[(date(2026, 6, 1), date(2026, 8, 31))])
    assert verify_claim(claim(ClaimType.JKK), newcomer, set(), TODAY).outcome == ClaimStatus.APPROVED


def test_participant_missing_from_the_read_model_is_reviewed():
    result = verify_claim(claim(), None, set(), TODAY)
    assert (result.outcome, codes(result)) == (ClaimStatus.NEEDS_REVIEW, [ReasonCode.PARTICIPANT_NOT_IN_READ_MODEL])
    assert result.documents_complete_on is None  # payee and payout unknown: completeness cannot be judged


def test_death_claim_with_no_heir_is_reviewed():
    result = verify_claim(claim(), participant(heirs=[]), set(), TODAY)
    assert (result.outcome, codes(result)) == (ClaimStatus.NEEDS_REVIEW, [ReasonCode.NO_HEIR])
    assert "burial" in result.reasons[0].message


def test_jkk_accident_needs_no_heir():
    assert verify_claim(claim(ClaimType.JKK), participant(heirs=[]), set(), TODAY).outcome == ClaimStatus.APPROVED


def test_a_rejecting_reason_outweighs_review_reasons():
    docs = without(full_documents(ClaimType.JKM), "death_certificate")
    lapsed = participant(protected_periods=[(date(2023, 1, 1), date(2026, 6, 30))], heirs=[])
    result = verify_claim(claim(documents=docs), lapsed, set(), TODAY)
    assert result.outcome == ClaimStatus.REJECTED
    assert set(codes(result)) == {
        ReasonCode.NOT_COVERED_ON_INCIDENT_DATE,
        ReasonCode.DOCUMENTS_INCOMPLETE,
        ReasonCode.NO_HEIR,
    }


def test_every_reason_code_rejects_or_refers_for_review():
    assert set(REASON_EFFECT) == set(ReasonCode)
    rejecting = {code for code, effect in REASON_EFFECT.items() if effect == "reject"}
    assert rejecting == {
        ReasonCode.NOT_COVERED_ON_INCIDENT_DATE,
        ReasonCode.PROGRAMME_NOT_ENROLLED,
        ReasonCode.CLAIM_RIGHT_EXPIRED,
        ReasonCode.DUPLICATE_INCIDENT,
    }


def test_verification_is_the_same_when_run_again():
    member = participant(heirs=[CHILD_1, WIDOW])
    assert verify_claim(claim(), member, set(), TODAY) == verify_claim(claim(), member, set(), TODAY)
