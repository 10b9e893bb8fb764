"""Typing a success answer (issue 16) keeps the wire as it was: timestamps as FastAPI wrote them
for untyped routes, every key a handler returns still there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from fastapi.encoders import jsonable_encoder
from pydantic import TypeAdapter

from services.claims.api import ClaimListedOut
from shared.answers import Instant


def test_an_instant_is_written_as_isoformat_writes_it_not_with_a_z():
    at = datetime(2026, 11, 29, 8, 30, 15, 250_000, tzinfo=UTC)
    assert TypeAdapter(Instant).dump_python(at, mode="json") == "2026-11-29T08:30:15.250000+00:00"
    wita = datetime(2026, 11, 29, 16, 30, tzinfo=timezone(timedelta(hours=8)))
    assert TypeAdapter(Instant).dump_python(wita, mode="json") == jsonable_encoder(wita) == "2026-11-29T16:30:00+08:00"


def test_a_listed_claim_answers_every_key_the_handler_returns_unchanged():
    row = {
        "claim_id": "clm-1",
        "participant_id": "p-1",
        "participant_name": None,
        "claim_type": "JKM",
        "incident_date": date(2026, 11, 2),
        "status": "needs_review",
        "filed_at": datetime(2026, 11, 3, 1, 0, tzinfo=UTC),
        "filed_by": "officer-1",
        "sla_deadline": None,
        "disbursement_status": None,
        "reasons": [{"code": "DOCUMENTS_INCOMPLETE", "message": "death certificate missing"}],
        "missing_documents": ["death_certificate"],
        "sampled": False,
        "days_left": None,
    }
    answered = ClaimListedOut.model_validate(row).model_dump(mode="json")
    assert answered == jsonable_encoder(row)


def test_a_nullable_vocabulary_lists_null_beside_its_words():
    schema = ClaimListedOut.model_json_schema()["properties"]["disbursement_status"]
    assert schema["enum"] == ["scheduled", "paid", "failed", None]
