"""The role dependency on a bare FastAPI app: 401 without a good bearer token, 403 for another role,
the actor for a right one, and the bearer scheme still in the OpenAPI document."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from shared.auth import Actor, TokenVerifier, issue_token, require_role

SECRET = "s" * 32


@pytest.fixture
def client():
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(SECRET, issuer="jaring-local", audience="jaring")

    @app.get("/decisions")
    async def decisions(actor: Annotated[Actor, Depends(require_role("supervisor"))]) -> dict:
        return {"subject": actor.subject, "role": actor.role}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_supervisor_gets_through_as_themselves(client):
    answer = await client.get("/decisions", headers=bearer(issue_token(SECRET, "rahma", "supervisor")))
    assert answer.status_code == 200 and answer.json() == {"subject": "rahma", "role": "supervisor"}


async def test_without_a_token_the_answer_is_401_asking_for_a_bearer(client):
    answer = await client.get("/decisions")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


async def test_a_token_signed_with_another_key_is_401_even_after_a_good_one_was_remembered(client):
    good = issue_token(SECRET, "rahma", "supervisor")
    assert (await client.get("/decisions", headers=bearer(good))).status_code == 200
    forged = issue_token("t" * 32, "rahma", "supervisor")
    answer = await client.get("/decisions", headers=bearer(forged))
    assert answer.status_code == 401 and "invalid token" in answer.json()["detail"]


async def test_another_role_is_403_naming_it(client):
    answer = await client.get("/decisions", headers=bearer(issue_token(SECRET, "andi", "officer")))
    assert answer.status_code == 403 and "role 'officer' may not do this" in answer.json()["detail"]


async def test_the_openapi_document_still_names_the_bearer_scheme(client):
    document = (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"] == {"HTTPBearer": {"type": "http", "scheme": "bearer"}}
    assert document["paths"]["/decisions"]["get"]["security"] == [{"HTTPBearer": []}]
