"""The filing contract drifted from what was first asked (`type`, `place`, a list of documents) to
`claim_type`, `incident_place` and a kind -> number map. The current shape is the contract; the
first is accepted for one version, answered with Deprecation (RFC 9745), Sunset (RFC 8594) and a Link."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

import pytest

from services.claims.domain.dates import add_months
from shared.clock import today as makassar_today
from tests.support.claimants import (
    JKM_DEATH_DOCUMENTS,
    MARRIAGE_BOOK,
    SPOUSE,
    claim_form,
    claim_of,
    covered_participant,
)
from tests.support.services import enrollment_and_claims

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def services(kafka_bootstrap, database_url):
    async with enrollment_and_claims(kafka_bootstrap, database_url) as both:
        yield both


def first_shape(form: dict) -> dict:
    """The same claim as the first contract asked for it."""
    old = {k: v for k, v in form.items() if k not in ("claim_type", "incident_place", "documents")}
    return {
        **old,
        "type": form["claim_type"],
        "place": form["incident_place"],
        "documents": [{"kind": kind, "number": number} for kind, number in form["documents"].items()],
    }


async def test_both_shapes_file_the_same_claim_and_only_the_first_is_told_it_is_deprecated(services):
    enrollment, claims = services
    today: date = makassar_today()
    documents = {**JKM_DEATH_DOCUMENTS, **MARRIAGE_BOOK}
    filed = {}
    for shape in ("current", "first"):
        participant_id = await covered_participant(
            enrollment, claims, today, member_since=add_months(today, -12), heirs=[SPOUSE]
        )
        form = claim_form(participant_id, "JKM", today, documents)
        answer = await claims.post("/v1/claims", json=form if shape == "current" else first_shape(form))
        assert answer.status_code == 202, answer.text
        filed[shape] = answer

    assert "deprecation" not in filed["current"].headers and "sunset" not in filed["current"].headers
    headers = filed["first"].headers
    # RFC 9745: "@" and the Unix time the shape was deprecated (2026-12-01T00:00:00Z); RFC 8594: an HTTP-date.
    assert headers["deprecation"] == "@1796083200"
    assert parsedate_to_datetime(headers["sunset"]) == datetime(2027, 3, 1, tzinfo=UTC)
    assert 'rel="deprecation"' in headers["link"] and "/docs#/claims/" in headers["link"]

    current = await claim_of(claims, filed["current"].json()["claim_id"])
    first = await claim_of(claims, filed["first"].json()["claim_id"])
    for field in ("claim_type", "incident_place", "incident_date", "documents", "missing_documents"):
        assert current[field] == first[field], field
    assert first["claim_type"] == "JKM" and first["incident_place"] == "Pasar Terong, Bontoala"
    assert first["documents"] == sorted(documents)


async def test_a_request_mixing_the_shapes_or_listing_a_kind_twice_is_refused_naming_the_field(services):
    _enrollment, claims = services
    today = makassar_today()
    form = first_shape(claim_form("P-none", "JKM", today, {"ktp_heir": "7371031203900002"}))
    mixed = await claims.post("/v1/claims", json={**form, "claim_type": "JKK"})
    assert mixed.status_code == 422
    assert [(e["loc"], e["type"]) for e in mixed.json()["errors"]] == [(["body", "type"], "shapes_mixed")]
    twice = await claims.post(
        "/v1/claims",
        json={**form, "documents": [{"kind": "ktp_heir", "number": "1"}, {"kind": "ktp_heir", "number": "2"}]},
    )
    assert [(e["loc"], e["type"]) for e in twice.json()["errors"]] == [
        (["body", "documents"], "document_kind_repeated")
    ]
    no_number = await claims.post("/v1/claims", json={**form, "documents": [{"kind": "ktp_heir"}]})
    assert [(e["loc"], e["type"]) for e in no_number.json()["errors"]] == [
        (["body", "documents", 0, "number"], "missing")
    ]
    # The KTP number sent is not echoed back.
    assert "7371031203900002" not in mixed.text + twice.text + no_number.text
