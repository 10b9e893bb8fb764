from services.claims.domain.claim import ClaimType
from services.claims.domain.documents import missing_documents, required_documents

JKM_BASE = {
    "participant_card",
    "ktp_deceased",
    "ktp_heir",
    "family_card",
    "death_certificate",
    "heir_statement",
    "bank_account",
}
JKK_BASE = {
    "participant_card",
    "ktp",
    "accident_chronology",
    "witness_ktp_1",
    "witness_ktp_2",
    "medical_report",
    "bank_account",
}


def test_jkm_paid_to_a_child_needs_the_death_documents_without_marriage_book():
    assert required_documents(ClaimType.JKM, False, payee_is_spouse=False, payout_total=42_000_000) == JKM_BASE


def test_jkm_paid_to_the_widow_needs_the_marriage_book():
    assert required_documents(ClaimType.JKM, False, True, 42_000_000) == JKM_BASE | {"marriage_book"}


def test_npwp_is_needed_only_when_the_payout_exceeds_50_million():
    assert "npwp" not in required_documents(ClaimType.JKM, False, False, 50_000_000)
    assert "npwp" in required_documents(ClaimType.JKM, False, False, 50_000_001)


def test_jkk_accident_needs_chronology_two_witnesses_and_medical_report():
    assert required_documents(ClaimType.JKK, False, False, 5_000_000) == JKK_BASE


def test_police_report_is_needed_for_traffic_accidents_only():
    assert required_documents(ClaimType.JKK, True, False, 5_000_000) == JKK_BASE | {"police_report"}
    assert "police_report" not in required_documents(ClaimType.JKM, True, False, 42_000_000)


def test_a_survivor_of_a_jkk_accident_needs_no_marriage_book():
    assert "marriage_book" not in required_documents(ClaimType.JKK, False, True, 5_000_000)


def test_jkk_death_adds_the_jkm_death_documents_with_the_ktp_asked_once():
    # Income 3,000,000 -> 166,000,000 cash, over the NPWP threshold.
    required = required_documents(ClaimType.JKK_DEATH, True, True, 166_000_000)
    assert required == (JKK_BASE - {"ktp"}) | JKM_BASE | {"police_report", "marriage_book", "npwp"}


def test_missing_documents_are_listed_in_checklist_order():
    present = {"participant_card", "ktp_heir", "bank_account"}
    assert missing_documents(ClaimType.JKM, False, True, 42_000_000, present) == [
        "ktp_deceased",
        "family_card",
        "death_certificate",
        "heir_statement",
        "marriage_book",
    ]


def test_nothing_is_missing_from_a_complete_application():
    assert missing_documents(ClaimType.JKM, False, False, 42_000_000, JKM_BASE) == []


def test_the_published_checklist_of_a_jkm_claim_names_its_documents_and_what_adds_more():
    from services.claims.domain.documents import published_checklist

    published = published_checklist("JKM")
    # In checklist order: card, deceased's KTP, heir's KTP, KK, death certificate, heir statement, account.
    assert published["required"] == [
        "participant_card",
        "ktp_deceased",
        "ktp_heir",
        "family_card",
        "death_certificate",
        "heir_statement",
        "bank_account",
    ]
    # A JKM has no accident, so a traffic accident adds nothing; a widow adds the marriage book,
    # a payout above Rp 50,000,000 the NPWP.
    assert published["conditional"] == [
        {"kind": "marriage_book", "when": "payee_is_spouse"},
        {"kind": "npwp", "when": "payout_above_npwp_threshold"},
    ]


def test_the_published_checklist_of_a_jkk_accident_adds_the_police_report_for_a_traffic_accident():
    from services.claims.domain.documents import published_checklist

    published = published_checklist("JKK")
    assert set(published["required"]) == JKK_BASE
    assert {"kind": "police_report", "when": "traffic_accident"} in published["conditional"]
    assert "marriage_book" not in [c["kind"] for c in published["conditional"]]
