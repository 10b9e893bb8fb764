"""Every error answer is an RFC 9457 problem document (application/problem+json): type, title,
status and a `detail` sentence, a 422's field errors kept under `errors`, a rule's name as `code`."""

from __future__ import annotations

import httpx
import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.settings import ClaimsSettings
from services.grievances.app import build_spec as grievances_spec
from services.grievances.settings import GrievancesSettings
from tests.support.services import auth, infra_settings, running

pytestmark = pytest.mark.integration

NIK = "7371034506920001"


@pytest.fixture(scope="module")
async def claims(kafka_bootstrap, database_url):
    async with running(
        claims_spec(ClaimsSettings(infra=infra_settings(kafka_bootstrap, database_url), max_body_bytes=4096))
    ) as c:
        yield c


def problem_of(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == "about:blank" and body["status"] == status
    assert isinstance(body["title"], str) and isinstance(body["detail"], str) and body["detail"]
    return body


async def test_a_bad_body_is_a_422_problem_with_its_field_errors_and_no_value_echoed(claims):
    answer = await claims.post(
        "/v1/claims",
        json={
            "participant_id": "P-1",
            "claim_type": "JKM",
            "incident_date": "not a date",
            "incident_place": "Pasar",
            "cause": NIK,
            "reporter": {"name": "A"},
        },
    )
    body = problem_of(answer, 422)
    assert body["title"] == "Unprocessable Content"
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["body", "incident_date"], "date_from_datetime_parsing")
    ]
    assert body["detail"].startswith("incident_date: ")
    assert NIK not in answer.text and "not a date" not in answer.text


async def test_401_403_404_and_413_are_problems_too(claims):
    base = str(claims.base_url)
    async with httpx.AsyncClient(transport=claims._transport, base_url=base) as anonymous:
        unauthenticated = await anonymous.get("/v1/claims")
    assert problem_of(unauthenticated, 401)["title"] == "Unauthorized"
    assert "www-authenticate" in unauthenticated.headers
    async with httpx.AsyncClient(transport=claims._transport, base_url=base, headers=auth("operator")) as operator:
        refused = await operator.post("/v1/claims", json={})  # filing is an officer's
    assert problem_of(refused, 403)["title"] == "Forbidden"
    missing = problem_of(await claims.get("/v1/claims/CL-0000-000000"), 404)
    assert missing["detail"] == "no claim CL-0000-000000"
    too_large = problem_of(
        await claims.post(
            "/v1/claims", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"}
        ),
        413,
    )
    assert too_large["detail"] == "request body larger than 4096 bytes" and too_large["title"] == "Content Too Large"


async def test_deciding_as_an_officer_is_a_403_problem_saying_who_may(claims):
    # Deciding is a supervisor's; the role is checked before the claim is looked up.
    officer = await claims.post("/v1/claims/CL-0000-000000/decision", json={"decision": "approve", "reason": "ok"})
    body = problem_of(officer, 403)
    assert "supervisor" in body["detail"]


async def test_a_negative_page_size_of_the_grievance_queue_is_a_422_not_a_500(kafka_bootstrap, database_url):
    # Found by the stateful fuzzing run: the queue's limit had no lower bound, and PostgreSQL
    # refuses a negative LIMIT.
    settings = GrievancesSettings(infra=infra_settings(kafka_bootstrap, database_url))
    async with running(grievances_spec(settings)) as grievances:
        for limit in (-281097, 0):
            body = problem_of(await grievances.get("/v1/grievances", params={"limit": limit}), 422)
            assert [e["loc"] for e in body["errors"]] == [["query", "limit"]]
        assert (await grievances.get("/v1/grievances", params={"limit": 1})).status_code == 200
