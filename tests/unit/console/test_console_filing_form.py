"""The filing form becomes claims' request as an officer filled it; claims' 422 comes back
next to each field, in the page's language where the rule is known."""

from services.console.pages.filing import claim_body, field_messages, read_form
from services.console.upstream import UpstreamError

FIELDS = {
    "participant_id": "P-1",
    "claim_type": "JKM",
    "incident_date": "2026-11-24",
    "incident_place": "Pasar Terong",
    "cause": "serangan jantung",
    "reporter_name": "Andi Baso",
    "reporter_phone": "+6281342001111",
    "reporter_organisation": "",
    "incapacity_days": "",
    "disability_percent": "",
    "doc_ktp_deceased": "on",
    "docnum_ktp_deceased": " 7371034506920001 ",
    "doc_participant_card": "on",
    "docnum_participant_card": "KPJ-1",
    "docnum_death_certificate": "AKT-1",  # typed, but not ticked
}


def test_ticked_documents_are_sent_with_their_numbers_and_the_rest_is_left_out():
    body = claim_body(read_form(FIELDS))
    assert body["documents"] == {"participant_card": "KPJ-1", "ktp_deceased": "7371034506920001"}
    assert body["reporter"] == {"name": "Andi Baso", "phone": "+6281342001111", "organisation": None}
    assert "incapacity_days" not in body and body["traffic_accident"] is False


def test_an_empty_date_is_sent_as_missing_so_claims_names_the_field():
    assert claim_body(read_form({**FIELDS, "incident_date": ""}))["incident_date"] is None


def test_numbers_are_sent_as_numbers_and_anything_else_as_typed_for_claims_to_judge():
    body = claim_body(read_form({**FIELDS, "incapacity_days": "12", "disability_percent": "lots"}))
    assert body["incapacity_days"] == 12 and body["disability_percent"] == "lots"


def test_claims_422_lands_next_to_each_field():
    error = UpstreamError(
        "claims",
        422,
        [
            {
                "loc": ["body", "incident_place"],
                "msg": "incident_place_required: say where",
                "type": "incident_place_required",
            },
            {
                "loc": ["body", "documents", "ktp_heir"],
                "msg": "document_number_invalid: 16 digits",
                "type": "document_number_invalid",
            },
            {"loc": ["body", "reporter", "phone"], "msg": "phone_invalid: E.164", "type": "phone_invalid"},
            {"loc": ["body", "cause"], "msg": "something new", "type": "a_rule_the_console_does_not_know"},
        ],
    )
    assert field_messages(error, "id") == {
        "incident_place": "Wajib diisi.",
        "documents.ktp_heir": "Nomor dokumen tidak sah (KTP/KK: 16 angka).",
        "reporter.phone": "Nomor telepon tidak sah (mis. 0813… atau +62813…).",
        "cause": "Isian ini tidak diterima. (something new)",
    }
    assert field_messages(error, "en")["incident_place"] == "Required."


def test_a_decision_refused_for_missing_documents_names_them_in_words_not_codes():
    error = UpstreamError(
        "claims",
        422,
        [
            {
                "loc": ["body", "decision"],
                "type": "documents_incomplete",
                "msg": "documents_incomplete: the claim cannot be approved while these are missing: participant_card, "
                "ktp_deceased",
            }
        ],
    )
    assert field_messages(error, "id") == {
        "decision": "Klaim tidak dapat disetujui selama dokumen ini kurang: Kartu peserta, KTP almarhum/ah."
    }


def test_a_rule_the_console_does_not_know_is_said_in_general_words_without_its_code():
    error = UpstreamError(
        "claims", 422, [{"loc": ["body", "cause"], "msg": "cause_too_vague: say more", "type": "cause_too_vague"}]
    )
    assert field_messages(error, "id") == {"cause": "Isian ini tidak diterima. (say more)"}


def test_a_form_keeps_its_filing_key_from_submit_to_submit_and_a_new_form_gets_another():
    # The key travels as the Idempotency-Key header, never in claims' body.
    kept = read_form({**FIELDS, "filing_key": "console-1b4e28ba-2fa1-11d2-883f-0016d3cca427"})
    assert kept["filing_key"] == "console-1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert "filing_key" not in claim_body(kept)
    first, second = read_form(FIELDS)["filing_key"], read_form(FIELDS)["filing_key"]
    assert first.startswith("console-") and second.startswith("console-") and first != second
