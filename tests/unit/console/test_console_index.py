"""The event index keeps where an event sits and a few safe facts, never personal data."""

import json

from services.console.domain.index import participant_of, summarize
from shared.contracts.claims import ClaimFiled, Reporter
from shared.envelope import new_envelope


def filed() -> dict:
    payload = ClaimFiled(
        claim_id="CL-1",
        participant_id="P-1",
        claim_type="JKM",
        incident_date="2026-11-24",
        incident_place="Pasar Terong",
        cause="heart attack",
        reporter=Reporter(name="Andi Baso", phone="+6281342001111"),
        documents={"ktp_deceased": "7371034506920001", "death_certificate": "AKT-474"},
        filed_by="rina.officer",
    )
    return new_envelope(payload, correlation_id="CL-1", producer="claims").payload


def test_a_filed_claim_keeps_its_document_kinds_but_no_number_name_or_phone():
    summary = summarize("ClaimFiled", filed())
    assert summary == {
        "claim_type": "JKM",
        "filed_by": "rina.officer",
        "documents": ["death_certificate", "ktp_deceased"],
    }
    text = json.dumps(summary)
    assert "7371034506920001" not in text and "Andi" not in text and "6281342001111" not in text


def test_an_event_names_its_participant_when_its_payload_does():
    assert participant_of(filed()) == "P-1"
    assert participant_of({"claim_id": "CL-1"}) is None


def test_decisions_keep_who_decided_and_the_reason_codes():
    payload = {
        "claim_id": "CL-1",
        "participant_id": "P-1",
        "claim_type": "JKM",
        "decided_by": "rules",
        "reasons": [{"code": "NO_HEIR", "message": "no heir is recorded"}],
        "documents_complete_on": "2026-11-27",
        "payment_deadline": "2026-12-02",
    }
    assert summarize("ClaimApproved", payload) == {
        "claim_type": "JKM",
        "decided_by": "rules",
        "reasons": ["NO_HEIR"],
        "documents_complete_on": "2026-11-27",
        "payment_deadline": "2026-12-02",
    }


def test_an_event_type_the_console_does_not_know_keeps_nothing():
    assert summarize("SomethingNew", {"secret": "7371034506920001"}) == {}
